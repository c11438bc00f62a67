// Which resource (URL segment) serves a kind, and whether it is namespaced: read from the
// cluster's discovery documents (/api/v1, /apis/<group>/<version>), one group version at a time
// and cached, as kubectl's RESTMapper does. A group version the cluster does not serve (a CRD not
// installed yet) is remembered as missing until `invalidate` — called after flotilla applies a CRD.
import type { KubeApi } from './api.js';

export interface ResourceMapping {
  apiVersion: string;
  kind: string;
  /** The plural resource name, e.g. deployments. */
  resource: string;
  namespaced: boolean;
}

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
}

/** The URL path of a collection (name empty) or of one object. Namespaced kinds need a namespace. */
export function resourcePath(m: ResourceMapping, namespace: string, name = ''): string {
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${m.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Mappings of one discovery document (APIResourceList), subresources left out. */
export function mappingsFromDiscovery(apiVersion: string, doc: unknown): ResourceMapping[] {
  const resources = (doc && typeof doc === 'object' ? (doc as { resources?: unknown }).resources : undefined) ?? [];
  if (!Array.isArray(resources)) return [];
  const out: ResourceMapping[] = [];
  for (const r of resources as ApiResource[]) {
    if (typeof r.name !== 'string' || typeof r.kind !== 'string' || r.name.includes('/')) continue;
    out.push({ apiVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced === true });
  }
  return out;
}

/** Cached discovery of one cluster. */
export class Discovery {
  private readonly byGroupVersion = new Map<string, Promise<Map<string, ResourceMapping>>>();

  constructor(private readonly api: KubeApi) {}

  private groupVersion(apiVersion: string): Promise<Map<string, ResourceMapping>> {
    let entry = this.byGroupVersion.get(apiVersion);
    if (!entry) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      entry = this.api.getJson(path).then((doc) => new Map(mappingsFromDiscovery(apiVersion, doc).map((m) => [m.kind, m])));
      // A failed discovery call is not cached: the next lookup asks again.
      entry.catch(() => this.byGroupVersion.delete(apiVersion));
      this.byGroupVersion.set(apiVersion, entry);
    }
    return entry;
  }

  /** The mapping of a kind, or null when the cluster does not serve it. */
  async lookup(apiVersion: string, kind: string): Promise<ResourceMapping | null> {
    return (await this.groupVersion(apiVersion)).get(kind) ?? null;
  }

  /** Forgets a group's versions (all of them when no group is given), e.g. after a CRD was applied. */
  invalidate(group?: string): void {
    for (const gv of [...this.byGroupVersion.keys()]) {
      if (group === undefined || gv.startsWith(`${group}/`)) this.byGroupVersion.delete(gv);
    }
  }
}
