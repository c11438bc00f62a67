// The prune rule, the most safety-critical rule of the apply engine: what happens to one inventory
// entry that left the desired state — deleted, released or kept — given what the caller read of its
// live object and of the pass. Pure: no I/O, no clock, no mutation — the caller (prune.ts) reads the
// object and runs the cascade check, and feeds what it found in. A fact the caller has not supplied
// yet (the live object, the cascade check) is a reason to keep: the caller supplies it and asks again.
//
// flotilla touches only what is provably its own, for this cluster, now: an object that carries its
// label, its field manager's Apply entry in managedFields (a label can be copied with a manifest,
// that entry cannot), flotilla.dev/cluster naming this cluster, not desired by another cluster name
// on the same API server this pass, and not opted out (flotilla.dev/prune: "false"). Of those it
// deletes only what it created: an object it adopted (conflictResolution Overwrite), one whose
// policy said preserveResourcesOnDeletion, and the Namespaces every cluster has are released —
// flotilla's field manager and tracking metadata removed, the object left as it is — unless the
// object says flotilla.dev/prune: "true" (never for those Namespaces). And a Namespace or a CRD is
// deleted only when that takes nothing foreign with it.
import { CLUSTER_ANNOTATION, MANAGED_LABEL, MANAGED_VALUE, PRESERVE_ANNOTATION, PRUNE_ANNOTATION } from '../objects/tracking.js';
import type { KubeObject } from './api.js';
import {
  appliedForCluster,
  carriesManagedLabel,
  isCrd,
  isNamespace,
  isProtectedNamespace,
  managedBy,
  preservedOnDeletion,
  pruneSetting,
} from './live-object.js';
import type { InventoryEntry } from './sync-types.js';
import { carriesAdoptedMark } from './take-over.js';

/** What the caller read of an inventory entry's live object. */
export type LiveView =
  /** Not read yet (nothing needs reading while pruning is held). */
  | { state: 'not-read' }
  /** The cluster does not serve its kind now (a CRD being reinstalled, an aggregated API down). */
  | { state: 'not-served' }
  /** Read, and not there. */
  | { state: 'gone' }
  | { state: 'found'; object: KubeObject };

/** What the caller's cascade check found: what deleting a Namespace or a CRD would take with it. */
export type CascadeCheck = 'not-checked' | 'clear' | { hold: string };

export interface PruneContext {
  /** The cluster name pruning (the one flotilla.dev/cluster must name). */
  cluster: string;
  fieldManager: string;
  /** Ids desired on this cluster this pass: never pruned. */
  desired: ReadonlySet<string>;
  /** Why pruning is held back this pass (revision with errors, mass-deletion guard), null when it runs. */
  held: string | null;
  /** Ids another cluster name on the same API server desires this pass → that name. */
  desiredElsewhere: ReadonlyMap<string, string>;
  /** Ids of old copies application failover keeps while their workload is evicted (graceful eviction) → why. */
  retained?: ReadonlyMap<string, string>;
  /** Namespaces of entries kept earlier in this pass because they opted out (delete order puts them before their Namespace). */
  namespacesHoldingOptedOut: ReadonlySet<string>;
  /** The cascade check of this entry (Namespaces and CRDs only). */
  cascade: CascadeCheck;
}

/**
 * Every reason an inventory entry is not deleted, with what follows from it: `reported` — the pass
 * reports the entry as skipped with the reason; `staysInInventory` — the entry is kept and tried
 * again on a later pass (otherwise it leaves this cluster's inventory, and flotilla forgets it).
 */
export const PRUNE_KEEP_REASONS = {
  /** Desired this pass: not leaving at all (the apply stage decides its inventory record). */
  'still-desired': { reported: false, staysInInventory: false },
  /** An old copy a graceful eviction keeps until the new copies are healthy or its grace period ends. */
  'graceful-eviction': { reported: true, staysInInventory: true },
  'prune-held': { reported: true, staysInInventory: true },
  'not-read': { reported: true, staysInInventory: true },
  'kind-not-served': { reported: true, staysInInventory: true },
  /** Nothing to delete. */
  'already-gone': { reported: false, staysInInventory: false },
  'no-managed-label': { reported: true, staysInInventory: false },
  'not-applied-by-flotilla': { reported: true, staysInInventory: false },
  'applied-for-other-cluster': { reported: true, staysInInventory: false },
  'desired-elsewhere': { reported: true, staysInInventory: false },
  /** flotilla.dev/prune: "false" (or "disabled"): kept as it is and forgotten. */
  'prune-disabled': { reported: true, staysInInventory: false },
  'namespace-holds-opted-out': { reported: true, staysInInventory: false },
  'cascade-not-checked': { reported: true, staysInInventory: true },
  'cascade-hold': { reported: true, staysInInventory: true },
} as const satisfies Record<string, { reported: boolean; staysInInventory: boolean }>;

export type PruneKeepReason = keyof typeof PRUNE_KEEP_REASONS;

/**
 * Why an entry is released instead of deleted: it stays on the cluster, flotilla's field manager
 * entry and tracking metadata are removed, and it leaves the inventory (kept there only when the
 * release fails, to be tried again).
 */
export const PRUNE_RELEASE_REASONS = ['protected-namespace', 'preserve-on-deletion', 'adopted'] as const;
export type PruneReleaseReason = (typeof PRUNE_RELEASE_REASONS)[number];

export type PruneDecision =
  | { action: 'delete' }
  | { action: 'release'; reason: PruneReleaseReason; message: string }
  | { action: 'keep'; reason: PruneKeepReason; message: string };

function keep(reason: PruneKeepReason, message: string): PruneDecision {
  return { action: 'keep', reason, message };
}

function release(reason: PruneReleaseReason, message: string): PruneDecision {
  return { action: 'release', reason, message };
}

/** Whether deleting the entry deletes other objects with it (a Namespace's contents, a CRD's custom resources). */
export function cascades(entry: InventoryEntry): boolean {
  return isNamespace(entry) || isCrd(entry);
}

/**
 * Whether inventory entry `entry`, whose live object the caller read as `live`, is deleted, released
 * or kept. The rules apply in this order.
 */
export function pruneDecision(entry: InventoryEntry, live: LiveView, context: PruneContext): PruneDecision {
  if (context.desired.has(entry.id)) return keep('still-desired', 'still desired on this cluster');
  const retained = context.retained?.get(entry.id);
  if (retained !== undefined) return keep('graceful-eviction', retained);
  if (context.held !== null) return keep('prune-held', `not deleted: ${context.held}`);
  if (live.state === 'not-read') return keep('not-read', 'not deleted: its live object was not read');
  // Not served now: the object may still be there, so the entry stays and is pruned once the API is back.
  if (live.state === 'not-served')
    return keep(
      'kind-not-served',
      `not deleted: the cluster does not serve ${entry.apiVersion} ${entry.kind} now; kept in the inventory until it does`,
    );
  if (live.state === 'gone') return keep('already-gone', 'already gone');
  return ownership(entry, live.object, context) ?? releaseInstead(entry, live.object) ?? cascade(entry, context) ?? { action: 'delete' };
}

/** Why the live object is not flotilla's to delete on this cluster now, or null when it is. */
function ownership(entry: InventoryEntry, object: KubeObject, context: PruneContext): PruneDecision | null {
  if (!carriesManagedLabel(object))
    return keep('no-managed-label', `not deleted: it does not carry ${MANAGED_LABEL}=${MANAGED_VALUE}, so flotilla did not create it`);
  // The label can be copied with a manifest; flotilla's own server-side apply entry cannot.
  if (!managedBy(object, context.fieldManager))
    return keep(
      'not-applied-by-flotilla',
      `not deleted: flotilla never applied it (no Apply entry by field manager ${context.fieldManager} in its managedFields), ` +
        `so it is not flotilla's`,
    );
  // Two cluster names on one API server (a renamed cluster, two contexts to one server): the
  // other name may have just applied it. Only the cluster it was last applied for prunes it.
  const appliedFor = appliedForCluster(object);
  if (appliedFor !== context.cluster)
    return keep(
      'applied-for-other-cluster',
      `not deleted: its ${CLUSTER_ANNOTATION} annotation is ${appliedFor === null ? 'missing' : `"${appliedFor}"`}, ` +
        `not "${context.cluster}" — it was last applied for another cluster name on the same API server; ` +
        "dropped from this cluster's inventory",
    );
  // The other name may not have applied it yet in this pass (clusters run in parallel).
  const other = context.desiredElsewhere.get(entry.id);
  if (other !== undefined)
    return keep(
      'desired-elsewhere',
      `not deleted: cluster ${other} reaches the same API server and applies it in this pass; dropped from this cluster's inventory`,
    );
  const setting = pruneSetting(object);
  if (setting === 'false' || setting === 'disabled')
    return keep('prune-disabled', `not deleted: annotated ${PRUNE_ANNOTATION}: "${setting}"; left as it is and forgotten`);
  return null;
}

/** Why flotilla releases the object instead of deleting it, or null when it deletes what it created. */
function releaseInstead(entry: InventoryEntry, object: KubeObject): PruneDecision | null {
  const leftAsItIs = "flotilla's field manager and tracking metadata are removed, the object stays";
  // Deleting one of these takes the cluster down with it, whoever created it: no annotation overrides this.
  if (isNamespace(entry) && isProtectedNamespace(entry.name))
    return release('protected-namespace', `released, never deleted: Namespace ${entry.name} is one every cluster needs; ${leftAsItIs}`);
  // The object's own word is the most specific: an opt-in to deletion beats the policy and the origin.
  if (pruneSetting(object) === 'true') return null;
  if (preservedOnDeletion(object))
    return release(
      'preserve-on-deletion',
      `released, not deleted: its policy sets preserveResourcesOnDeletion (${PRESERVE_ANNOTATION}); ${leftAsItIs}`,
    );
  if (entry.origin === 'adopted' || carriesAdoptedMark(object))
    return release(
      'adopted',
      `released, not deleted: flotilla adopted it (it was on the cluster before; conflictResolution Overwrite) and deletes only ` +
        `what it created (annotate it ${PRUNE_ANNOTATION}: "true" to have it deleted); ${leftAsItIs}`,
    );
  return null;
}

/** Why deleting the entry would take what must stay with it, or null when it would not. */
function cascade(entry: InventoryEntry, context: PruneContext): PruneDecision | null {
  // Deleting a Namespace deletes everything in it: never while it holds an object kept above.
  if (isNamespace(entry) && context.namespacesHoldingOptedOut.has(entry.name))
    return keep('namespace-holds-opted-out', `not deleted: it holds objects annotated ${PRUNE_ANNOTATION}: "false"`);
  // Deleting a Namespace or a CRD takes its contents or custom resources with it: only when all of
  // those are flotilla's own and deleted in this pass; otherwise the entry waits.
  if (typeof context.cascade === 'object') return keep('cascade-hold', `not deleted: ${context.cascade.hold}`);
  if (context.cascade === 'not-checked' && cascades(entry))
    return keep('cascade-not-checked', 'not deleted: what deleting it would take with it was not checked');
  return null;
}
