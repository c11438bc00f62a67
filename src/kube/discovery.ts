// Which resource (URL segment) serves a kind, and whether it is namespaced: read from the
// cluster's discovery documents (/api/v1, /apis/<group>/<version>), one group version at a time
// and cached, as kubectl's RESTMapper does. A group version the cluster does not serve (a CRD not
// installed yet, an aggregated API that is down) is not cached: the next lookup asks again, so an
// API that comes back is found (and what flotilla recorded of it can be pruned). `invalidate` forgets
// what was cached — called after flotilla applies a CRD.
import { isMap } from '../objects/json.js';
import type { KubeApi } from './api.js';

export interface ResourceMapping {
  apiVersion: string;
  kind: string;
  /** The plural resource name, e.g. deployments. */
  resource: string;
  namespaced: boolean;
  /** The verbs discovery lists for it (absent when the document gave none). */
  verbs?: string[];
}

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
  verbs?: unknown;
}

/** The URL path of a collection (name empty) or of one object. Namespaced kinds need a namespace. */
export function resourcePath(m: ResourceMapping, namespace: string, name = ''): string {
  const base = m.apiVersion.includes('/') ? `/apis/${m.apiVersion}` : `/api/${m.apiVersion}`;
  const ns = m.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${m.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Mappings of one discovery document (APIResourceList), subresources left out. */
export function mappingsFromDiscovery(apiVersion: string, doc: unknown): ResourceMapping[] {
  const resources = (isMap(doc) ? doc.resources : undefined) ?? [];
  if (!Array.isArray(resources)) return [];
  const out: ResourceMapping[] = [];
  for (const r of resources as ApiResource[]) {
    if (typeof r.name !== 'string' || typeof r.kind !== 'string' || r.name.includes('/')) continue;
    const verbs = Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : undefined;
    out.push({ apiVersion, kind: r.kind, resource: r.name, namespaced: r.namespaced === true, ...(verbs ? { verbs } : {}) });
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
      entry = this.api.getJson(path).then((doc) => {
        // Not served (404): not cached either, so an API that is back is found by the next lookup.
        if (doc === null) this.byGroupVersion.delete(apiVersion);
        return new Map(mappingsFromDiscovery(apiVersion, doc).map((m) => [m.kind, m]));
      });
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

  /**
   * Every namespaced kind that can be listed, read afresh (not from the cache: someone else may
   * have installed a CRD since) — the preferred version of each group, as `kubectl api-resources`
   * and the namespace controller enumerate what a Namespace holds. metrics.k8s.io is left out: its
   * PodMetrics mirror pods and are not stored objects. Throws when a discovery document cannot be read.
   */
  async namespacedListableKinds(): Promise<ResourceMapping[]> {
    const groups = (await this.api.getJson('/apis')) as {
      groups?: Array<{ name?: unknown; preferredVersion?: { groupVersion?: unknown } }>;
    } | null;
    const versions = ['v1'];
    for (const g of Array.isArray(groups?.groups) ? groups.groups : []) {
      const gv = g.preferredVersion?.groupVersion;
      if (typeof gv === 'string' && g.name !== 'metrics.k8s.io') versions.push(gv);
    }
    const docs = await Promise.all(
      versions.map(async (gv) => mappingsFromDiscovery(gv, await this.api.getJson(gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`))),
    );
    return docs.flat().filter((m) => m.namespaced && (!m.verbs || m.verbs.includes('list')));
  }

  /** Forgets a group's versions (all of them when no group is given), e.g. after a CRD was applied. */
  invalidate(group?: string): void {
    for (const gv of [...this.byGroupVersion.keys()]) {
      if (group === undefined || gv.startsWith(`${group}/`)) this.byGroupVersion.delete(gv);
    }
  }
}
