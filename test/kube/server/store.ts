// Object storage of the test API server: objects by group/resource, namespace and name, under one
// global resourceVersion counter (as etcd's revision is global to a real cluster).
import type { ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

/** The storage bucket of a resource: versions of one CRD share it (no conversion between versions). */
function bucketKey(type: ResourceType): string {
  return `${type.group}/${type.resource}`;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Objects and the resourceVersion counter. */
export class ObjectStore {
  private revision = 0;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();

  /** The current resourceVersion (what a list returns). */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Advances the counter and returns the new resourceVersion for a write. */
  nextResourceVersion(): string {
    this.revision += 1;
    return String(this.revision);
  }

  /** The stored object, if any. */
  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(bucketKey(type))?.get(objectKey(type.namespaced ? namespace : undefined, name));
  }

  /** Stores (creates or replaces) an object. */
  put(type: ResourceType, obj: KubeObject): void {
    const key = bucketKey(type);
    if (!this.buckets.has(key)) this.buckets.set(key, new Map());
    this.buckets.get(key)!.set(objectKey(type.namespaced ? obj.metadata?.namespace : undefined, obj.metadata!.name!), obj);
  }

  /** Removes an object; returns whether it was there. */
  remove(type: ResourceType, namespace: string | undefined, name: string): boolean {
    return this.buckets.get(bucketKey(type))?.delete(objectKey(type.namespaced ? namespace : undefined, name)) ?? false;
  }

  /** Objects of a resource, in one namespace or all, ordered by namespace then name (etcd key order). */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const bucket = this.buckets.get(bucketKey(type));
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, obj]) => namespace === undefined || obj.metadata?.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => obj);
  }

  /** Drops every object of a resource (when its CRD is deleted). */
  dropResource(type: ResourceType): void {
    this.buckets.delete(bucketKey(type));
  }
}
