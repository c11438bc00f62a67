// The prune's cascade check: deleting a Namespace deletes everything in it, deleting a CRD every
// custom resource of its kind — foreign ones included (the namespace controller and the
// apiextensions finalizer do not ask whose they are). `cascadeHold` lists what would go (I/O);
// `cascadeVerdict` judges the list (pure).
import { isMap } from '../objects/json.js';
import type { KubeApi, KubeObject } from './api.js';
import { resourcePath, type Discovery, type ResourceMapping } from './discovery.js';
import { groupOf, isCrd, isNamespace, uidOf } from './live-object.js';
import { ClusterAbort, isClusterWide } from './sync-pass.js';
import { describeRef, refOf, type InventoryEntry } from './sync-types.js';

/** What the pass deleted so far: their dependents go with them (the garbage collector). */
export interface PrunedSoFar {
  ids: ReadonlySet<string>;
  uids: ReadonlySet<string>;
}

/**
 * Why deleting inventory entry `e` (live copy `live`) would take objects flotilla does not prune
 * with it, or null when it would not. Every namespaced kind discovery lists (plus `alsoListed`,
 * the kinds flotilla itself uses) is listed in the Namespace, every custom resource of the CRD
 * cluster-wide; each object found must be one this pass deleted, already being deleted, owned
 * (ownerReferences) by an object found, or one Kubernetes puts in every namespace. A list that
 * fails holds the deletion too: what cannot be seen cannot be called flotilla's.
 */
export async function cascadeHold(
  api: KubeApi,
  discovery: Discovery,
  e: InventoryEntry,
  live: KubeObject,
  pruned: PrunedSoFar,
  alsoListed: readonly ResourceMapping[],
): Promise<string | null> {
  let swept: { subject: string; found: KubeObject[] } | string | null;
  try {
    if (isNamespace(e)) swept = await namespaceContents(api, discovery, e.name, alsoListed);
    else if (isCrd(e)) swept = await crdResources(api, live);
    else return null;
  } catch (err) {
    // Only a cluster that cannot be used at all stops the pass; one API that fails (an aggregated
    // API down, 503) holds this deletion alone.
    if (isClusterWide(err)) throw new ClusterAbort(err);
    return `it may hold objects flotilla does not own, and listing them failed: ${(err as Error).message}`;
  }
  if (swept === null || typeof swept === 'string') return swept;
  return cascadeVerdict(e, swept.subject, swept.found, pruned);
}

/** Everything in Namespace `name`: every namespaced kind discovery lists, and `alsoListed`. */
async function namespaceContents(
  api: KubeApi,
  discovery: Discovery,
  name: string,
  alsoListed: readonly ResourceMapping[],
): Promise<{ subject: string; found: KubeObject[] }> {
  const found: KubeObject[] = [];
  const kinds = new Map<string, ResourceMapping>();
  for (const m of [...(await discovery.namespacedListableKinds()), ...alsoListed]) kinds.set(`${groupOf(m.apiVersion)}|${m.resource}`, m);
  for (const key of [...kinds.keys()].sort()) {
    const m = kinds.get(key)!;
    found.push(...(await api.list(resourcePath(m, name), { apiVersion: m.apiVersion, kind: m.kind })));
  }
  return { subject: 'deleting the Namespace deletes everything in it', found };
}

/**
 * Every custom resource of the kind a live CRD defines, cluster-wide; null when it defines nothing
 * (nothing would go), a reason when no version is served (nothing can be seen).
 */
async function crdResources(api: KubeApi, live: KubeObject): Promise<{ subject: string; found: KubeObject[] } | string | null> {
  const spec = isMap(live.spec) ? live.spec : {};
  const names = isMap(spec.names) ? spec.names : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isMap) : [];
  const served = versions.find((v) => v.served === true && typeof v.name === 'string');
  if (typeof spec.group !== 'string' || typeof names.plural !== 'string' || typeof names.kind !== 'string') return null; // defines nothing
  const subject = `deleting the CRD deletes every ${names.kind}`;
  if (!served) return `${subject}, and with no version served flotilla cannot see whose they are`;
  const m: ResourceMapping = {
    apiVersion: `${spec.group}/${String(served.name)}`,
    kind: names.kind,
    resource: names.plural,
    namespaced: spec.scope === 'Namespaced',
  };
  return { subject, found: await api.list(resourcePath(m, ''), { apiVersion: m.apiVersion, kind: m.kind }) };
}

/** Why the objects `found` in what deleting `e` sweeps away hold its deletion, or null when none does. Pure. */
export function cascadeVerdict(e: InventoryEntry, subject: string, found: readonly KubeObject[], pruned: PrunedSoFar): string | null {
  // Owners: what is found here, and what this pass deleted (the garbage collector takes their dependents).
  const uids = new Set([...pruned.uids, ...found.map(uidOf).filter((u): u is string => u !== null)]);
  const others = found.filter((o) => {
    const meta = isMap(o.metadata) ? o.metadata : {};
    if (meta.deletionTimestamp) return false; // already on its way out
    if (pruned.ids.has(refOf(o).id)) return false;
    // Dependents go with their owner, and the owner (found here too) is what is judged.
    if (Array.isArray(meta.ownerReferences) && meta.ownerReferences.some((r) => isMap(r) && typeof r.uid === 'string' && uids.has(r.uid)))
      return false;
    return !madeByKubernetes(o, found);
  });
  if (others.length === 0) return null;
  const named = others.map((o) => describeRef(refOf(o).ref)).sort();
  if (isNamespace(e))
    return (
      `${subject}, and it holds ${others.length} object${others.length === 1 ? '' : 's'} flotilla is not pruning: ${listSome(named)}; ` +
      'kept in the inventory until they are gone'
    );
  const crs = others
    .map((o) => {
      const r = refOf(o).ref;
      return r.namespace ? `${r.namespace}/${r.name}` : r.name;
    })
    .sort();
  const kind = refOf(others[0]!).ref.kind;
  return (
    `${subject}, and ${others.length} ${kind} flotilla is not pruning exist${others.length === 1 ? 's' : ''}: ${listSome(crs)}; ` +
    'kept in the inventory until they are gone'
  );
}

/** Objects every namespace holds without anyone applying them (made by Kubernetes' own controllers). */
function madeByKubernetes(o: KubeObject, all: readonly KubeObject[]): boolean {
  const { ref } = refOf(o);
  if (ref.kind === 'Event' && (ref.apiVersion === 'v1' || ref.apiVersion.startsWith('events.k8s.io/'))) return true;
  if (ref.apiVersion === 'v1' && ref.kind === 'ConfigMap' && ref.name === 'kube-root-ca.crt') return true;
  if (ref.apiVersion === 'v1' && ref.kind === 'ServiceAccount' && ref.name === 'default') return true;
  // The endpoints controller's Endpoints follow the Service of the same name.
  if (ref.apiVersion === 'v1' && ref.kind === 'Endpoints')
    return all.some((x) => x.apiVersion === 'v1' && x.kind === 'Service' && refOf(x).ref.name === ref.name);
  return false;
}

/** `A, B, C and 2 more` for messages. */
function listSome(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
