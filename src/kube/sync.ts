// One cluster's sync pass, top to bottom as Flux's kustomize-controller does it, in four stages
// that hand each other their results:
//   observe   (cluster-observe.ts) list flotilla's objects by its label, get the others by name
//   apply     (apply.ts)           compare (normalize.ts: only the fields flotilla sends), apply what
//                                  differs with server-side apply in order (Namespaces and CRDs
//                                  first, webhooks last)
//   prune     (prune.ts)           delete what left the desired state, as pruneDecision
//                                  (prune-decision.ts) rules
//   inventory (inventory.ts)       what flotilla owns on the cluster after the pass
// then read health. Every object ends with one action of the change set: created | configured |
// unchanged | deleted | skipped | failed. Nothing that is equal is sent, so a resync with no change
// makes no write request. A stage that finds the cluster unusable (or told to stop) ends the pass.
import type { KubeApi, KubeObject } from './api.js';
import { applyDesired, type Applied } from './apply.js';
import { observeForSync } from './cluster-observe.js';
import type { Discovery } from './discovery.js';
import type { KubeApiError } from './errors.js';
import { rollUpHealth } from './health.js';
import { nextInventory } from './inventory.js';
import { sortForApply } from './order.js';
import { pruneLeaving, type Pruned } from './prune.js';
import { PassMappings, STOPPED_REASON } from './sync-pass.js';
import type { Origin } from './take-over.js';
import { isSuspendedObject } from '../objects/tracking.js';
import {
  emptyCounts,
  objectResult,
  type ClusterSyncResult,
  type DesiredObject,
  type InventoryEntry,
  type ObjectResult,
  type SyncOptions,
} from './sync-types.js';

export {
  DEFAULT_SYNC_OPTIONS,
  describeRef,
  refOf,
  type ClusterSyncResult,
  type DesiredObject,
  type InventoryEntry,
  type ObjectAction,
  type ObjectRef,
  type ObjectResult,
  type SyncOptions,
} from './sync-types.js';
export { appliedForCluster, carriesManagedLabel, managedBy, pruneDisabled } from './live-object.js';

export interface SyncClusterInput {
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
  /** Ids of old copies a graceful eviction keeps on this cluster → why: never pruned while it lasts. */
  retained?: ReadonlyMap<string, string>;
  options: SyncOptions;
}

/** What a suspended object's result says (docs/reference/semantics.md §2.4). */
export const SUSPENDED_MESSAGE = 'suspended: its policy holds dispatching to this cluster (spec.suspension); left as it is';

/** A stage not run because the pass stopped before it. */
const notApplied = (): Applied => ({ results: new Map(), liveAfter: new Map(), liveFound: new Map(), origins: new Map(), abort: null });
const notPruned = (): Pruned => ({ results: new Map(), keep: new Set(), liveOfLeaving: new Map(), pruneHeld: null, abort: null });

/**
 * Syncs one cluster to its desired objects. Never throws for what the cluster does: an unreachable
 * cluster comes back with reachable false and every object skipped; one object's failure (422, 409)
 * fails that object only. `pruneAllowed` false (revision with errors, mass-deletion guard) keeps
 * every object that left the desired state, and says why in `pruneHeld`.
 */
export async function syncCluster(input: SyncClusterInput): Promise<ClusterSyncResult> {
  const { api, discovery, desired, inventory, options } = input;
  const writesBefore = api.writes;
  const mappings = new PassMappings(discovery);
  const observed = await observeForSync({ api, mappings, desired, inventory, adoptLive: input.adoptLive === true, options });
  // Suspended objects (spec.suspension) are observed and stay desired, so nothing prunes them, but are never applied.
  const suspended = desired.filter((d) => isSuspendedObject(d.object));
  const active =
    suspended.length === 0 && observed.unread.size === 0
      ? desired
      : desired.filter((d) => !isSuspendedObject(d.object) && !observed.unread.has(d.id));
  const applied = observed.abort
    ? notApplied()
    : await applyDesired({
        api,
        discovery,
        mappings,
        desired: active,
        liveBefore: observed.liveBefore,
        recorded: recordedOrigins(inventory),
        options,
      });
  const pruned =
    observed.abort || applied.abort
      ? notPruned()
      : await pruneLeaving({
          api,
          discovery,
          mappings,
          inventory,
          listed: observed.listed,
          context: {
            cluster: api.cluster,
            fieldManager: options.fieldManager,
            desired: new Set(desired.map((d) => d.id)),
            held: input.pruneAllowed ? null : (input.pruneHeldReason ?? 'pruning held back'),
            desiredElsewhere: input.desiredElsewhere ?? new Map(),
            ...(input.retained ? { retained: input.retained } : {}),
          },
          options,
        });
  const held = observed.abort ? [] : suspended.map((d) => [d.id, objectResult(d, 'skipped', { message: SUSPENDED_MESSAGE })] as const);
  const result = passResult(input, {
    results: new Map([...observed.results, ...held, ...applied.results, ...pruned.results]),
    liveBefore: new Map([...observed.liveBefore, ...applied.liveFound]),
    liveAfter: applied.liveAfter,
    origins: applied.origins,
    liveOfLeaving: pruned.liveOfLeaving,
    keep: pruned.keep,
    adopted: observed.adopted,
    abort: observed.abort ?? applied.abort ?? pruned.abort,
  });
  return { ...result, writes: api.writes - writesBefore, pruneHeld: pruned.pruneHeld };
}

/** What the stages of a pass found and did, put together. */
interface PassRecord {
  results: Map<string, ObjectResult>;
  liveBefore: ReadonlyMap<string, KubeObject | null>;
  liveAfter: ReadonlyMap<string, KubeObject | null>;
  /** Created or adopted, per desired object the apply stage found or made flotilla's. */
  origins: ReadonlyMap<string, Origin>;
  liveOfLeaving: ReadonlyMap<string, KubeObject>;
  keep: ReadonlySet<string>;
  adopted: readonly InventoryEntry[];
  /** Why the pass stopped early, if it did. */
  abort: KubeApiError | null;
}

/** The inventory's origin of each entry that records one. */
function recordedOrigins(inventory: readonly InventoryEntry[]): Map<string, Origin> {
  const out = new Map<string, Origin>();
  for (const e of inventory) if (e.origin) out.set(e.id, e.origin);
  return out;
}

/** The cluster's result: every object's action (those a stopped pass did not reach, skipped), counts, health, inventory. */
function passResult(input: SyncClusterInput, pass: PassRecord): Omit<ClusterSyncResult, 'writes' | 'pruneHeld'> {
  const { api, options } = input;
  const { results, abort } = pass;
  if (abort) {
    const stopped = abort.reason === STOPPED_REASON;
    const desiredIds = new Set(input.desired.map((d) => d.id));
    for (const d of input.desired)
      if (!results.has(d.id)) results.set(d.id, objectResult(d, 'skipped', { message: stopped ? abort.message : 'cluster unavailable' }));
    if (stopped)
      for (const x of input.inventory)
        if (!desiredIds.has(x.id) && !results.has(x.id)) results.set(x.id, objectResult(x, 'skipped', { message: abort.message }));
  }
  if (options.keepObjects) {
    for (const r of results.values()) {
      r.live = pass.liveBefore.get(r.id) ?? pass.liveOfLeaving.get(r.id) ?? null;
      r.applied = r.action === 'created' || r.action === 'configured' ? (pass.liveAfter.get(r.id) ?? null) : null;
    }
  }
  const objects = sortForApply([...results.values()], (r) => r.ref);
  const counts = emptyCounts();
  for (const r of objects) counts[r.action]++;
  return {
    cluster: api.cluster,
    reachable: abort === null || abort.code !== 'KUBE_UNREACHABLE',
    error: abort ? abort.message : null,
    errorCode: abort ? abort.code : null,
    objects,
    inventory: options.dryRun
      ? [...input.inventory]
      : nextInventory({
          ...pass,
          previous: input.inventory,
          desired: input.desired,
          aborted: abort !== null,
          fieldManager: options.fieldManager,
        }),
    counts,
    health: rollUpHealth(objects.filter((o) => o.health).map((o) => o.health!.status)),
  };
}
