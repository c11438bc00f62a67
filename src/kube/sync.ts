// One cluster's apply stage, top to bottom as Flux's kustomize-controller does it: observe (list
// flotilla's objects by its label, get the others by name), compare (normalize.ts: only the fields
// flotilla sends), apply what differs with server-side apply in order (Namespaces and CRDs first,
// webhooks last), prune what left the desired state (inventory diff), read health. Every object
// ends with one action of the change set: created | configured | unchanged | deleted | skipped |
// failed. Nothing that is equal is sent, so a resync with no change makes no write request.
//
// Conflicts (409) with another field manager: on an object flotilla already manages (its field
// manager is on it), the other manager changed a field flotilla owns — drift — and the apply is
// forced so the repository wins, as Flux does. On an object flotilla never applied, someone else
// owns it: the conflict is reported and not forced unless `force` is configured.
import { identityKey } from '../objects/normalize.js';
import { CLUSTER_ANNOTATION, MANAGED_LABEL, MANAGED_VALUE, PRUNE_ANNOTATION } from '../objects/tracking.js';
import type { KubeApi, KubeObject } from './api.js';
import { resourcePath, type Discovery, type ResourceMapping } from './discovery.js';
import { KubeApiError } from './errors.js';
import { objectHealth, rollUpHealth, type Health, type HealthStatus } from './health.js';
import { mapLimit } from './limit.js';
import { compareWithLive } from './normalize.js';
import { applyPhase, sortForApply, sortForDelete } from './order.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/**
 * An object flotilla owns on a cluster and has not deleted: the inventory prune works from. Only
 * objects flotilla created, or applied with its field manager (its Apply entry in managedFields),
 * are recorded — never one it merely found there.
 */
export interface InventoryEntry extends ObjectRef {
  /** identityKey: group|kind|namespace|name (an apiVersion bump is the same object). */
  id: string;
  /** 'created': flotilla created it; 'adopted': it was already there and flotilla took it over by applying it. Absent in older inventories. */
  origin?: 'created' | 'adopted';
}

export interface DesiredObject {
  id: string;
  ref: ObjectRef;
  object: KubeObject;
  /** The repository changed this object in the revision being applied (so a difference is not drift). */
  changed: boolean;
}

export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped' | 'failed';

export interface ObjectResult {
  id: string;
  ref: ObjectRef;
  action: ObjectAction;
  /** Fields whose live value differed although the repository did not change them (corrected by this apply). */
  drift: string[];
  /** Why it failed or was skipped. */
  message: string | null;
  /** KubeApiError code of a failure. */
  code: string | null;
  /** Health of the live object after this pass (null for deleted, skipped and failed objects). */
  health: Health | null;
  /** With `keepObjects`: the live object before the pass (null: none), as read from the cluster. */
  live?: KubeObject | null;
  /** With `keepObjects`: the object as the server returned it from the apply (a dry run's result), null when nothing was applied. */
  applied?: KubeObject | null;
}

export interface SyncOptions {
  fieldManager: string;
  /** Force conflicts with other field managers even on objects flotilla never applied. */
  force: boolean;
  /** Server-side dry run (dryRun=All): nothing is persisted, the inventory does not change. */
  dryRun: boolean;
  /** Objects of one cluster applied at once (within an apply phase). */
  objectConcurrency: number;
  /** Keep each object's live copy and apply result on its ObjectResult (`flotilla diff` shows them). */
  keepObjects?: boolean;
  /**
   * Asked before every write (apply, delete): false stops the cluster's pass there — the rest is
   * skipped and the inventory keeps what it had. Sharding passes "this replica still holds the
   * cluster's shard lease", so a replica that lost it stops writing (src/ha/sharded-target.ts).
   */
  shouldContinue?: () => boolean;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = { fieldManager: MANAGED_VALUE, force: false, dryRun: false, objectConcurrency: 8 };

export interface ClusterSyncResult {
  cluster: string;
  /** False when the cluster did not answer (the whole pass for it was abandoned). */
  reachable: boolean;
  /** Set when the cluster's pass as a whole failed (unreachable, forbidden). */
  error: string | null;
  errorCode: string | null;
  objects: ObjectResult[];
  /** The inventory after this pass. */
  inventory: InventoryEntry[];
  counts: Record<ObjectAction, number>;
  health: { status: HealthStatus; counts: Record<HealthStatus, number> };
  /** Write requests sent (apply and delete, retries included). */
  writes: number;
  /** Why pruning did not run, when it did not. */
  pruneHeld: string | null;
}

/** The ref and id of an object. */
export function refOf(object: KubeObject): { id: string; ref: ObjectRef } {
  const meta = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const ref: ObjectRef = {
    apiVersion: String(object.apiVersion ?? ''),
    kind: String(object.kind ?? ''),
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    name: typeof meta.name === 'string' ? meta.name : '',
  };
  return { id: identityKey(object), ref };
}

/** `Kind namespace/name` for messages. */
export function describeRef(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether flotilla's field manager has applied this live object before. */
export function managedBy(live: KubeObject, manager: string): boolean {
  const entries = isMap(live.metadata) && Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
  return entries.some((e) => isMap(e) && e.manager === manager && e.operation === 'Apply');
}

/** Whether a live object carries flotilla's tracking label (flotilla created or adopted it). */
export function carriesManagedLabel(live: KubeObject): boolean {
  const labels = isMap(live.metadata) && isMap(live.metadata.labels) ? live.metadata.labels : {};
  return labels[MANAGED_LABEL] === MANAGED_VALUE;
}

/** The member cluster a live object was last applied for (its flotilla.dev/cluster annotation), or null. */
export function appliedForCluster(live: KubeObject): string | null {
  const annotations = isMap(live.metadata) && isMap(live.metadata.annotations) ? live.metadata.annotations : {};
  const v = annotations[CLUSTER_ANNOTATION];
  return typeof v === 'string' ? v : null;
}

/** Whether a live object opted out of pruning (annotation flotilla.dev/prune: disabled). */
export function pruneDisabled(live: KubeObject): boolean {
  const annotations = isMap(live.metadata) && isMap(live.metadata.annotations) ? live.metadata.annotations : {};
  return annotations[PRUNE_ANNOTATION] === 'disabled';
}

/** The group and kind a CRD object defines, or null when it is not a CRD. */
function crdDefines(o: KubeObject): { group: string; kind: string } | null {
  if (o.kind !== 'CustomResourceDefinition') return null;
  const spec = isMap(o.spec) ? o.spec : {};
  const names = isMap(spec.names) ? spec.names : {};
  return typeof spec.group === 'string' && typeof names.kind === 'string' ? { group: spec.group, kind: names.kind } : null;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

const EMPTY_COUNTS = (): Record<ObjectAction, number> => ({ created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 });

/** Errors that mean the cluster itself is not usable now: stop instead of failing object after object. */
function isClusterWide(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && (e.code === 'KUBE_UNREACHABLE' || (e.code === 'KUBE_FORBIDDEN' && e.status === 401));
}

class ClusterAbort extends Error {
  constructor(override readonly cause: KubeApiError) {
    super(cause.message);
  }
}

/**
 * Syncs one cluster to its desired objects. Never throws for what the cluster does: an unreachable
 * cluster comes back with reachable false and every object skipped; one object's failure (422, 409)
 * fails that object only. `pruneAllowed` false (revision with errors, mass-deletion guard) keeps
 * every object that left the desired state, and says why in `pruneHeld`.
 */
export async function syncCluster(input: {
  api: KubeApi;
  discovery: Discovery;
  desired: readonly DesiredObject[];
  inventory: readonly InventoryEntry[];
  pruneAllowed: boolean;
  pruneHeldReason?: string;
  /**
   * First pass of this cluster with no inventory kept for it (the cache was lost): record the listed
   * live objects that are flotilla's for this cluster — its label, its Apply entry in managedFields
   * and flotilla.dev/cluster equal to this cluster — and not desired, so an object applied by a pass
   * whose record never landed is pruned on a later pass (through the mass-deletion guard) instead
   * of being orphaned for good. Only kinds this pass lists (desired or inventoried kinds) are seen.
   */
  adoptLive?: boolean;
  /** Ids desired this pass by another cluster name on the same API server → that name: never pruned here. */
  desiredElsewhere?: ReadonlyMap<string, string>;
  options: SyncOptions;
}): Promise<ClusterSyncResult> {
  const { api, discovery, options } = input;
  const writesBefore = api.writes;
  const results = new Map<string, ObjectResult>();
  const liveAfter = new Map<string, KubeObject | null>();
  const desiredIds = new Set(input.desired.map((d) => d.id));
  const liveBefore = new Map<string, KubeObject | null>();
  const mappings = new Map<string, ResourceMapping | null>();
  const setResult = (d: { id: string; ref: ObjectRef } | InventoryEntry, action: ObjectAction, extra: Partial<ObjectResult> = {}) => {
    const ref: ObjectRef = 'ref' in d ? d.ref : { apiVersion: d.apiVersion, kind: d.kind, namespace: d.namespace, name: d.name };
    results.set(d.id, { id: d.id, ref, action, drift: [], message: null, code: null, health: null, ...extra });
  };

  const mappingOf = async (ref: ObjectRef): Promise<ResourceMapping | null> => {
    const key = `${ref.apiVersion}|${ref.kind}`;
    if (!mappings.has(key)) mappings.set(key, await discovery.lookup(ref.apiVersion, ref.kind));
    return mappings.get(key)!;
  };
  const pathOf = (m: ResourceMapping, ref: ObjectRef) => resourcePath(m, ref.namespace, ref.name);

  let pruneHeld: string | null = null;
  const keep = new Set<string>();
  const liveOfLeaving = new Map<string, KubeObject>();
  const adopted: InventoryEntry[] = [];
  try {
    // ---- observe: flotilla's objects by label, one list per kind; the rest by name.
    const kinds = new Map<string, ObjectRef>();
    for (const r of [...input.desired.map((d) => d.ref), ...input.inventory]) kinds.set(`${r.apiVersion}|${r.kind}`, r);
    const listed = new Map<string, KubeObject>();
    for (const key of [...kinds.keys()].sort()) {
      const ref = kinds.get(key)!;
      const m = await guard(() => mappingOf(ref));
      if (!m) continue;
      const items = await guard(() =>
        api.list(resourcePath(m, ''), { labelSelector: `${MANAGED_LABEL}=${MANAGED_VALUE}`, apiVersion: m.apiVersion, kind: m.kind }),
      );
      for (const item of items) listed.set(refOf(item).id, item);
    }
    if (input.adoptLive && !options.dryRun) {
      const known = new Set([...desiredIds, ...input.inventory.map((e) => e.id)]);
      for (const [id, live] of [...listed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        if (
          known.has(id) ||
          !carriesManagedLabel(live) ||
          !managedBy(live, options.fieldManager) ||
          appliedForCluster(live) !== api.cluster ||
          pruneDisabled(live)
        )
          continue;
        const { ref } = refOf(live);
        adopted.push({ id, ...ref, origin: 'adopted' });
        setResult({ id, ref }, 'skipped', {
          message: `not deleted yet: found flotilla's on the cluster with no inventory kept for it; adopted into the inventory, pruned on a later pass`,
        });
      }
    }
    const definedByDesiredCrds = new Set(
      input.desired.flatMap((d) => (crdDefines(d.object) ? [`${crdDefines(d.object)!.group}|${crdDefines(d.object)!.kind}`] : [])),
    );
    await mapLimit(input.desired, options.objectConcurrency, async (d) => {
      if (listed.has(d.id)) {
        liveBefore.set(d.id, listed.get(d.id)!);
        return;
      }
      const m = await guard(() => mappingOf(d.ref));
      if (!m) return; // unknown kind: decided below
      liveBefore.set(d.id, await guard(() => api.get(pathOf(m, d.ref))));
    });

    // ---- apply, phase by phase
    const namespacesCreated = new Set<string>();
    let stopped = false;
    const ordered = sortForApply(input.desired, (d) => d.ref);
    for (const phase of [0, 1, 2] as const) {
      const items = ordered.filter((d) => applyPhase(d.ref.apiVersion, d.ref.kind) === phase);
      const run = async (d: DesiredObject) => {
        let m = await guard(() => mappingOf(d.ref));
        if (!m && definedByDesiredCrds.has(`${groupOf(d.ref.apiVersion)}|${d.ref.kind}`)) {
          // Its CRD was applied in phase 0 of this pass: ask discovery again.
          mappings.delete(`${d.ref.apiVersion}|${d.ref.kind}`);
          m = await guard(() => mappingOf(d.ref));
          if (m && !liveBefore.has(d.id)) liveBefore.set(d.id, await guard(() => api.get(pathOf(m!, d.ref))));
        }
        if (!m) {
          setResult(d, 'failed', {
            code: 'KUBE_UNKNOWN_KIND',
            message: `the cluster does not serve ${d.ref.apiVersion} ${d.ref.kind} (is its CRD installed?)`,
          });
          return;
        }
        const live = liveBefore.get(d.id) ?? null;
        let drift: string[] = [];
        if (live) {
          const cmp = compareWithLive(d.object, live, options.fieldManager);
          if (!cmp.differs) {
            setResult(d, 'unchanged', { health: objectHealth(live) });
            liveAfter.set(d.id, live);
            return;
          }
          if (!d.changed) drift = cmp.fields;
        }
        const ours = live ? managedBy(live, options.fieldManager) : false;
        // Stopped: no more writes; the writes already sent finish before the pass ends (inventory).
        if (stopped || (options.shouldContinue && !options.shouldContinue())) {
          stopped = true;
          return;
        }
        try {
          const after = await api.apply(pathOf(m, d.ref), d.object, {
            fieldManager: options.fieldManager,
            force: options.force || ours,
            dryRun: options.dryRun,
          });
          liveAfter.set(d.id, after);
          setResult(d, live ? 'configured' : 'created', { drift, health: objectHealth(after) });
          if (!live && d.ref.kind === 'Namespace' && d.ref.apiVersion === 'v1') namespacesCreated.add(d.ref.name);
          const defines = crdDefines(d.object);
          if (defines && !options.dryRun) discovery.invalidate(defines.group);
        } catch (e) {
          if (isClusterWide(e)) throw new ClusterAbort(e);
          const err = e instanceof KubeApiError ? e : null;
          if (options.dryRun && err?.code === 'KUBE_NOT_FOUND' && d.ref.namespace && namespacesCreated.has(d.ref.namespace)) {
            // A dry run persists nothing, so the Namespace created earlier in this pass is not there.
            setResult(d, 'created', { message: `dry run: namespace ${d.ref.namespace} would be created first` });
            return;
          }
          let message = err ? err.message : String(e);
          if (err?.code === 'KUBE_CONFLICT')
            message = `${message} — another field manager owns these fields; flotilla does not take over objects it never applied unless the kubernetes target sets force: true`;
          setResult(d, 'failed', { code: err?.code ?? 'KUBE_API', message, drift });
        }
      };
      // Namespaces and CRDs one by one (later ones may depend on earlier ones); the rest in parallel.
      await mapLimit(items, phase === 0 ? 1 : options.objectConcurrency, run);
      if (stopped) throw new ClusterAbort(stoppedError());
    }

    // ---- prune: inventory entries that left the desired state
    const leaving = input.inventory.filter((e) => !desiredIds.has(e.id));
    if (leaving.length > 0 && !input.pruneAllowed) {
      pruneHeld = input.pruneHeldReason ?? 'pruning held back';
      for (const e of leaving) {
        setResult(e, 'skipped', { message: `not deleted: ${pruneHeld}` });
        keep.add(e.id);
      }
    } else {
      const keptIn = new Set<string>();
      for (const e of sortForDelete(leaving, (x) => x)) {
        const m = await guard(() => mappingOf(e));
        if (!m) {
          // Not served now (a CRD being reinstalled, an aggregated API down): the object may still be
          // there, so the entry stays and is pruned once the API is back.
          setResult(e, 'skipped', {
            message: `not deleted: the cluster does not serve ${e.apiVersion} ${e.kind} now; kept in the inventory until it does`,
          });
          keep.add(e.id);
          continue;
        }
        const live = listed.get(e.id) ?? (await guard(() => api.get(pathOf(m, e))));
        if (!live) continue; // already gone: nothing to do, and it leaves the inventory
        liveOfLeaving.set(e.id, live);
        if (!carriesManagedLabel(live)) {
          setResult(e, 'skipped', {
            message: `not deleted: it does not carry ${MANAGED_LABEL}=${MANAGED_VALUE}, so flotilla did not create it`,
          });
          continue;
        }
        // The label can be copied with a manifest; flotilla's own server-side apply entry cannot.
        if (!managedBy(live, options.fieldManager)) {
          setResult(e, 'skipped', {
            message: `not deleted: flotilla never applied it (no Apply entry by field manager ${options.fieldManager} in its managedFields), so it is not flotilla's`,
          });
          continue;
        }
        // Two cluster names on one API server (a renamed cluster, two contexts to one server): the
        // other name may have just applied it. Only the cluster it was last applied for prunes it.
        const appliedFor = appliedForCluster(live);
        if (appliedFor !== api.cluster) {
          setResult(e, 'skipped', {
            message: `not deleted: its ${CLUSTER_ANNOTATION} annotation is ${appliedFor === null ? 'missing' : `"${appliedFor}"`}, not "${api.cluster}" — it was last applied for another cluster name on the same API server; dropped from this cluster's inventory`,
          });
          continue;
        }
        // The other name may not have applied it yet in this pass (clusters run in parallel).
        const other = input.desiredElsewhere?.get(e.id);
        if (other !== undefined) {
          setResult(e, 'skipped', {
            message: `not deleted: cluster ${other} reaches the same API server and applies it in this pass; dropped from this cluster's inventory`,
          });
          continue;
        }
        if (pruneDisabled(live)) {
          setResult(e, 'skipped', { message: `not deleted: annotated ${PRUNE_ANNOTATION}: disabled` });
          keptIn.add(e.namespace);
          continue;
        }
        // Deleting a Namespace deletes everything in it: never while it holds an object kept above.
        if (e.kind === 'Namespace' && e.apiVersion === 'v1' && keptIn.has(e.name)) {
          setResult(e, 'skipped', { message: `not deleted: it holds objects annotated ${PRUNE_ANNOTATION}: disabled` });
          continue;
        }
        // Deleting a Namespace or a CRD takes its contents or custom resources with it: only when all
        // of those are flotilla's own and deleted in this pass; otherwise the entry waits.
        const prunedIds = new Set([...results.values()].filter((r) => r.action === 'deleted').map((r) => r.id));
        const pruned = {
          ids: prunedIds,
          uids: new Set([...prunedIds].map((id) => uidOf(liveOfLeaving.get(id))).filter((u): u is string => u !== null)),
        };
        const alsoListed = [...mappings.values()].filter((x): x is ResourceMapping => x !== null && x.namespaced);
        const held = await cascadeHold(api, discovery, e, live, pruned, alsoListed);
        if (held) {
          setResult(e, 'skipped', { message: `not deleted: ${held}` });
          keep.add(e.id);
          continue;
        }
        if (options.shouldContinue && !options.shouldContinue()) throw new ClusterAbort(stoppedError());
        try {
          await api.delete(pathOf(m, e), { dryRun: options.dryRun });
          setResult(e, 'deleted');
        } catch (err) {
          if (isClusterWide(err)) throw new ClusterAbort(err);
          setResult(e, 'failed', {
            code: err instanceof KubeApiError ? err.code : 'KUBE_API',
            message: `delete failed: ${(err as Error).message}`,
          });
          keep.add(e.id);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof ClusterAbort)) throw e;
    const stopped = e.cause.reason === STOPPED_REASON;
    for (const d of input.desired)
      if (!results.has(d.id)) setResult(d, 'skipped', { message: stopped ? e.cause.message : 'cluster unavailable' });
    if (stopped)
      for (const x of input.inventory)
        if (!desiredIds.has(x.id) && !results.has(x.id)) setResult(x, 'skipped', { message: e.cause.message });
    return finish(false, e.cause);
  }
  return finish(true, null);

  function finish(reachable: boolean, error: KubeApiError | null): ClusterSyncResult {
    if (options.keepObjects) {
      for (const r of results.values()) {
        r.live = liveBefore.get(r.id) ?? liveOfLeaving.get(r.id) ?? null;
        r.applied = r.action === 'created' || r.action === 'configured' ? (liveAfter.get(r.id) ?? null) : null;
      }
    }
    const objects = sortForApply([...results.values()], (r) => r.ref);
    const counts = EMPTY_COUNTS();
    for (const r of objects) counts[r.action]++;
    return {
      cluster: api.cluster,
      reachable: reachable || (error !== null && error.code !== 'KUBE_UNREACHABLE'),
      error: error ? error.message : null,
      errorCode: error ? error.code : null,
      objects,
      inventory: options.dryRun
        ? [...input.inventory]
        : withAdopted(
            nextInventory(
              input.inventory,
              input.desired,
              results,
              liveBefore,
              keep,
              !reachable || error !== null,
              liveAfter,
              options.fieldManager,
            ),
            adopted,
          ),
      counts,
      health: rollUpHealth(objects.filter((o) => o.health).map((o) => o.health!.status)),
      writes: api.writes - writesBefore,
      pruneHeld,
    };
  }
}

const STOPPED_REASON = 'PassStopped';

/** Why a pass stopped when SyncOptions.shouldContinue said no. */
function stoppedError(): KubeApiError {
  return new KubeApiError(
    'KUBE_API',
    "stopped before writing: this replica no longer holds the lease of the cluster's shard",
    null,
    STOPPED_REASON,
  );
}

/** Runs a read; a cluster-wide failure (unreachable, unauthorized) aborts the cluster's pass. */
async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (isClusterWide(e) || (e instanceof KubeApiError && e.transient)) throw new ClusterAbort(e as KubeApiError);
    throw e;
  }
}

function uidOf(o: KubeObject | undefined): string | null {
  return o && isMap(o.metadata) && typeof o.metadata.uid === 'string' ? o.metadata.uid : null;
}

/** `A, B, C and 2 more` for messages. */
function listSome(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
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

/**
 * Why deleting inventory entry `e` (live copy `live`) would take objects flotilla does not prune
 * with it, or null when it would not. A Namespace's deletion deletes everything in it, a CRD's every
 * custom resource of its kinds — foreign ones included (the namespace controller and the
 * apiextensions finalizer do not ask whose they are). So every namespaced kind discovery lists
 * (plus `alsoListed`, the kinds flotilla itself uses) is listed in the Namespace, every custom
 * resource of the CRD cluster-wide; each object found must be one this pass deleted, already being
 * deleted, owned (ownerReferences) by an object found, or one Kubernetes puts in every namespace.
 * A list that fails holds the deletion too: what cannot be seen cannot be called flotilla's.
 */
async function cascadeHold(
  api: KubeApi,
  discovery: Discovery,
  e: InventoryEntry,
  live: KubeObject,
  pruned: { ids: ReadonlySet<string>; uids: ReadonlySet<string> },
  alsoListed: readonly ResourceMapping[],
): Promise<string | null> {
  let found: KubeObject[] = [];
  let subject: string;
  try {
    if (e.kind === 'Namespace' && e.apiVersion === 'v1') {
      subject = 'deleting the Namespace deletes everything in it';
      const kinds = new Map<string, ResourceMapping>();
      for (const m of [...(await discovery.namespacedListableKinds()), ...alsoListed])
        kinds.set(`${groupOf(m.apiVersion)}|${m.resource}`, m);
      for (const key of [...kinds.keys()].sort()) {
        const m = kinds.get(key)!;
        found.push(...(await api.list(resourcePath(m, e.name), { apiVersion: m.apiVersion, kind: m.kind })));
      }
    } else if (e.kind === 'CustomResourceDefinition' && groupOf(e.apiVersion) === 'apiextensions.k8s.io') {
      const spec = isMap(live.spec) ? live.spec : {};
      const names = isMap(spec.names) ? spec.names : {};
      const versions = Array.isArray(spec.versions) ? spec.versions.filter(isMap) : [];
      const served = versions.find((v) => v.served === true && typeof v.name === 'string');
      if (typeof spec.group !== 'string' || typeof names.plural !== 'string' || typeof names.kind !== 'string') return null; // defines nothing
      subject = `deleting the CRD deletes every ${names.kind}`;
      if (!served) return `${subject}, and with no version served flotilla cannot see whose they are`;
      const m: ResourceMapping = {
        apiVersion: `${spec.group}/${String(served.name)}`,
        kind: names.kind,
        resource: names.plural,
        namespaced: spec.scope === 'Namespaced',
      };
      found = await api.list(resourcePath(m, ''), { apiVersion: m.apiVersion, kind: m.kind });
    } else {
      return null;
    }
  } catch (err) {
    // Only a cluster that cannot be used at all stops the pass; one API that fails (an aggregated
    // API down, 503) holds this deletion alone.
    if (isClusterWide(err)) throw new ClusterAbort(err);
    return `it may hold objects flotilla does not own, and listing them failed: ${(err as Error).message}`;
  }
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
  if (e.kind === 'Namespace')
    return `${subject}, and it holds ${others.length} object${others.length === 1 ? '' : 's'} flotilla is not pruning: ${listSome(named)}; kept in the inventory until they are gone`;
  const crs = others
    .map((o) => {
      const r = refOf(o).ref;
      return r.namespace ? `${r.namespace}/${r.name}` : r.name;
    })
    .sort();
  const kind = refOf(others[0]!).ref.kind;
  return `${subject}, and ${others.length} ${kind} flotilla is not pruning exist${others.length === 1 ? 's' : ''}: ${listSome(crs)}; kept in the inventory until they are gone`;
}

/** `inventory` plus the adopted entries it does not hold, sorted by id. */
function withAdopted(inventory: InventoryEntry[], adopted: readonly InventoryEntry[]): InventoryEntry[] {
  if (adopted.length === 0) return inventory;
  const ids = new Set(inventory.map((e) => e.id));
  return [...inventory, ...adopted.filter((e) => !ids.has(e.id))].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The inventory after a pass: desired objects that are flotilla's — created in this pass, or live
 * with flotilla's Apply entry in managedFields (applied now or before) — plus objects that left the
 * desired state and were not deleted for a reason that may pass (`keep`: held back, delete failed,
 * API not served, a Namespace or CRD still holding foreign objects). A desired object that failed
 * (409: someone else owns it) or that was already there with equal values and never applied is
 * not recorded: it is not flotilla's to prune. Objects found gone, not flotilla's, or opted out
 * leave it. An entry whose object could not be looked at (its kind not served now), and after an
 * aborted pass anything previously recorded, is never forgotten.
 */
function nextInventory(
  previous: readonly InventoryEntry[],
  desired: readonly DesiredObject[],
  results: ReadonlyMap<string, ObjectResult>,
  liveBefore: ReadonlyMap<string, KubeObject | null>,
  keep: ReadonlySet<string>,
  aborted: boolean,
  liveAfter: ReadonlyMap<string, KubeObject | null>,
  fieldManager: string,
): InventoryEntry[] {
  const out = new Map<string, InventoryEntry>();
  const prev = new Map(previous.map((e) => [e.id, e]));
  for (const d of desired) {
    const action = results.get(d.id)?.action;
    const live = liveAfter.get(d.id) ?? liveBefore.get(d.id) ?? null;
    const created = action === 'created';
    const ours = created || (live !== null && managedBy(live, fieldManager));
    const unseen = !liveAfter.has(d.id) && !liveBefore.has(d.id);
    const before = prev.get(d.id);
    if (ours) {
      const origin = created ? 'created' : (before?.origin ?? (before ? undefined : 'adopted'));
      out.set(d.id, { id: d.id, ...d.ref, ...(origin ? { origin } : {}) });
    } else if (before && (aborted || unseen)) out.set(d.id, before);
  }
  for (const e of previous) {
    if (out.has(e.id)) continue;
    if (keep.has(e.id) || (aborted && results.get(e.id)?.action !== 'deleted')) out.set(e.id, e);
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
