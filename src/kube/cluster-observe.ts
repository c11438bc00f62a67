// Observe, the first stage of a cluster's sync pass: flotilla's objects by its label, one list
// per kind desired or inventoried; each desired object the lists did not return, by name. On a
// first pass with no inventory kept for the cluster, flotilla's own listed objects for it are
// taken back into the inventory (so what a lost pass applied is pruned later, not orphaned), each
// with the origin its flotilla.dev/adopted mark says.
import { MANAGED_LABEL, MANAGED_VALUE } from '../objects/tracking.js';
import type { KubeApi, KubeObject } from './api.js';
import { resourcePath } from './discovery.js';
import type { KubeApiError } from './errors.js';
import { mapLimit } from './limit.js';
import { appliedForCluster, carriesManagedLabel, managedBy, pruneDisabled } from './live-object.js';
import { abortCause, guard, objectPath, ownReadFailure, type PassMappings } from './sync-pass.js';
import { carriesAdoptedMark } from './take-over.js';
import {
  objectResult,
  refOf,
  type DesiredObject,
  type InventoryEntry,
  type ObjectRef,
  type ResultsById,
  type SyncOptions,
} from './sync-types.js';

export interface Observed {
  /** flotilla's objects (its label) of every kind desired or inventoried, by id. */
  listed: Map<string, KubeObject>;
  /** Each desired object's live copy (null: none) — absent when its kind is not served. */
  liveBefore: Map<string, KubeObject | null>;
  /** Entries adopted into the inventory (adoptLive), and their results (skipped: pruned on a later pass). */
  adopted: InventoryEntry[];
  results: ResultsById;
  /**
   * Desired objects that could not be read (a 403 on their kind's list and on the object: the
   * target's identity may not read them). Failed with why, and not applied: the rest of the cluster
   * goes on, since one path's kind must not stop every path's objects there.
   */
  unread: Set<string>;
  /** Set when the cluster could not be read: the pass stops here. */
  abort: KubeApiError | null;
}

export async function observeForSync(input: {
  api: KubeApi;
  mappings: PassMappings;
  desired: readonly DesiredObject[];
  inventory: readonly InventoryEntry[];
  adoptLive: boolean;
  options: SyncOptions;
}): Promise<Observed> {
  const { api, mappings, desired, options } = input;
  const out: Observed = { listed: new Map(), liveBefore: new Map(), adopted: [], results: new Map(), unread: new Set(), abort: null };
  try {
    await listManaged(api, mappings, [...desired.map((d) => d.ref), ...input.inventory], out.listed);
    if (input.adoptLive && !options.dryRun) {
      const known = new Set([...desired.map((d) => d.id), ...input.inventory.map((e) => e.id)]);
      for (const entry of adoptable(out.listed, known, api.cluster, options.fieldManager)) {
        out.adopted.push(entry);
        out.results.set(
          entry.id,
          objectResult(entry, 'skipped', {
            message:
              "not deleted yet: found flotilla's on the cluster with no inventory kept for it; " +
              'adopted into the inventory, pruned on a later pass',
          }),
        );
      }
    }
    await mapLimit(desired, options.objectConcurrency, async (d) => {
      if (out.listed.has(d.id)) {
        out.liveBefore.set(d.id, out.listed.get(d.id)!);
        return;
      }
      const m = await guard(() => mappings.of(d.ref));
      if (!m) return; // unknown kind: the apply stage decides
      try {
        out.liveBefore.set(d.id, await guard(() => api.get(objectPath(m, d.ref))));
      } catch (e) {
        const own = ownReadFailure(e);
        if (own === null) throw e;
        out.unread.add(d.id);
        out.results.set(d.id, objectResult(d, 'failed', { code: own.code, message: `not applied: cannot read it: ${own.message}` }));
      }
    });
  } catch (e) {
    out.abort = abortCause(e);
  }
  return out;
}

/** Lists flotilla's objects (by its label) of each kind of `refs` the cluster serves into `into`, kind by kind in order. */
async function listManaged(api: KubeApi, mappings: PassMappings, refs: readonly ObjectRef[], into: Map<string, KubeObject>): Promise<void> {
  const kinds = new Map<string, ObjectRef>();
  for (const r of refs) kinds.set(`${r.apiVersion}|${r.kind}`, r);
  for (const key of [...kinds.keys()].sort()) {
    const ref = kinds.get(key)!;
    const m = await guard(() => mappings.of(ref));
    if (!m) continue;
    let items: KubeObject[];
    try {
      items = await guard(() =>
        api.list(resourcePath(m, ''), { labelSelector: `${MANAGED_LABEL}=${MANAGED_VALUE}`, apiVersion: m.apiVersion, kind: m.kind }),
      );
    } catch (e) {
      // This kind only (a 403 for the whole cluster's list): its objects are read by name, or fail, one by one.
      if (ownReadFailure(e) === null) throw e;
      continue;
    }
    for (const item of items) into.set(refOf(item).id, item);
  }
}

/**
 * Listed objects that are flotilla's for this cluster and not `known` (desired or inventoried):
 * its label, its Apply entry in managedFields, flotilla.dev/cluster naming this cluster, and not
 * opted out of pruning. Sorted by id.
 */
export function adoptable(
  listed: ReadonlyMap<string, KubeObject>,
  known: ReadonlySet<string>,
  cluster: string,
  fieldManager: string,
): InventoryEntry[] {
  const out: InventoryEntry[] = [];
  for (const [id, live] of [...listed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (
      known.has(id) ||
      !carriesManagedLabel(live) ||
      !managedBy(live, fieldManager) ||
      appliedForCluster(live) !== cluster ||
      pruneDisabled(live)
    )
      continue;
    // Its origin is on the object itself: flotilla.dev/adopted marks what flotilla did not create.
    out.push({ id, ...refOf(live).ref, origin: carriesAdoptedMark(live) ? 'adopted' : 'created' });
  }
  return out;
}
