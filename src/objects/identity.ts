// Object identity, stated once: which fields make two objects the same object.
//
// An object is named by its ref (ObjectRef): apiVersion, kind, namespace ('' for a cluster-scoped
// kind) and name. Two rules compare refs, and they differ on purpose:
//
// - Kubernetes identity (objectKey, identityKey): API group, kind, namespace, name, and not the
//   version. The API server serves one stored object under every version of its group, so a
//   v1beta1 → v1 bump in the repository names the object already on the cluster. Whatever speaks
//   of objects as a cluster holds them keys by it: the apply engine's inventory and prune (these
//   keys are recorded in the inventory), the live diff, `plan`'s per-cluster object changes.
// - Revision identity (versionedKey, clusterObjectId): the whole apiVersion. What the compiler and
//   the status branch key by: placements (status.yaml and `--previous` record them with their
//   apiVersion), a revision's resource templates, and the applied state under manifests/. There a
//   version bump counts as a new resource template: it is scheduled afresh (no previous placement
//   to scale from) and its manifests/ file is deleted and written anew. Keying these by group
//   would change placements and status commits, so it would be a decision of its own, not a rename.
import type { ObjectRef } from '../model/types.js';
import { apiGroup } from './scope.js';

// model/ is the leaf this folder builds on and its placement results carry refs, so the shape is
// declared there; this module owns what it means.
export type { ObjectRef };

/** The ref of a parsed object: a missing field reads as '', and so does a namespace or name that is not a string. */
export function refOfObject(object: Record<string, unknown>): ObjectRef {
  const meta = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return {
    apiVersion: String(object.apiVersion ?? ''),
    kind: String(object.kind ?? ''),
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: typeof meta.name === 'string' ? meta.name : '',
  };
}

/** Whether `ref` is refOfObject(object), read without making the ref (a restart's diff asks it of every rendered object). */
export function isRefOf(ref: ObjectRef, object: Record<string, unknown>): boolean {
  const meta = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return (
    String(object.apiVersion ?? '') === ref.apiVersion &&
    String(object.kind ?? '') === ref.kind &&
    (typeof meta.namespace === 'string' ? meta.namespace : '') === ref.namespace &&
    (typeof meta.name === 'string' ? meta.name : '') === ref.name
  );
}

/** Kubernetes identity: `group|kind|namespace|name` (an apiVersion bump is the same object). */
export function objectKey(ref: ObjectRef): string {
  return `${apiGroup(ref.apiVersion)}|${ref.kind}|${ref.namespace}|${ref.name}`;
}

/** objectKey of a parsed object. */
export function identityKey(object: Record<string, unknown>): string {
  return objectKey(refOfObject(object));
}

/** Revision identity: `apiVersion|kind|namespace|name`. */
export function versionedKey(ref: ObjectRef): string {
  // Joined, not a template literal: a template leaves a tree of string pieces, which V8 keeps beside
  // the flat copy it makes to hash a Map key (keys and ids are held per resource and per rendered object).
  return [ref.apiVersion, ref.kind, ref.namespace, ref.name].join('|');
}

/** An object of one cluster in the applied state: `cluster` + NUL + versionedKey. */
export function clusterObjectId(cluster: string, ref: ObjectRef): string {
  // Joined into one flat string, as versionedKey is.
  return [cluster, versionedKey(ref)].join('\u0000');
}

/** `Kind namespace/name` (`Kind name` when cluster-scoped), for messages. */
export function describeRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}
