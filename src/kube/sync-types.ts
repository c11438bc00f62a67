// The vocabulary of one cluster's sync pass, shared by its stages (cluster-observe.ts, apply.ts,
// prune.ts, inventory.ts) and their callers: what is desired, what flotilla owns (the inventory),
// what happened to each object, and the options of a pass.
import { identityKey } from '../objects/identity.js';
import { MANAGED_VALUE } from '../objects/tracking.js';
import type { KubeObject } from './api.js';
import type { Health, HealthStatus } from './health.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/**
 * An object flotilla owns on a cluster and has not deleted or released: the inventory prune works
 * from. Only objects flotilla created, or applied with its field manager (its Apply entry in
 * managedFields), are recorded — never one it merely found there.
 */
export interface InventoryEntry extends ObjectRef {
  /** identityKey: group|kind|namespace|name (an apiVersion bump is the same object). */
  id: string;
  /**
   * 'created': flotilla created it (deleted when the repository drops it); 'adopted': it was already
   * there and flotilla took it over under conflictResolution Overwrite (released, never deleted).
   * Absent in older inventories and in entries known only from the status branch: the live
   * object's flotilla.dev/adopted mark decides then.
   */
  origin?: 'created' | 'adopted';
}

export interface DesiredObject {
  id: string;
  ref: ObjectRef;
  object: KubeObject;
  /** The repository changed this object in the revision being applied (so a difference is not drift). */
  changed: boolean;
}

/** `released`: left on the cluster with flotilla's field manager and tracking metadata removed (it is no longer flotilla's). */
export type ObjectAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'released' | 'skipped' | 'failed';

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
  /**
   * Adopt objects flotilla did not create whatever the claiming policy's conflictResolution says
   * (every policy counts as Overwrite): the kubernetes target's force: true.
   */
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
  /**
   * Why the repository's scope refuses an object as a cluster-scoped one (null: it does not; absent:
   * no scope). Asked before an object is sent whose kind the cluster serves cluster-wide although
   * the render judged it namespaced, its CRD not being in the repository.
   */
  clusterScopedRefusal?: (object: Record<string, unknown>) => string | null;
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
  /** Cluster isolation (fleet.ts): runs in the background this result reports on, when there are any. */
  background?: BackgroundNote;
}

/**
 * What a pass says about a cluster whose runs outlast passes (kube/cluster-pipelines.ts): the run
 * still going when the pass ended (nothing of it is counted in the result), and the runs that
 * ended in the background since the last pass (their counts are included).
 */
export interface BackgroundNote {
  applying: { cluster: string; revision: string | null; since: number; queued: string | null } | null;
  included: Array<{ revision: string | null; startedAt: number; finishedAt: number }>;
  /** The same, for people: the status's cluster message. */
  message: string;
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

/** The ref of an inventory entry. */
export function entryRef(e: InventoryEntry): ObjectRef {
  return { apiVersion: e.apiVersion, kind: e.kind, namespace: e.namespace, name: e.name };
}

/** One object's result: what happened to a desired object or an inventory entry. */
export function objectResult(
  d: { id: string; ref: ObjectRef } | InventoryEntry,
  action: ObjectAction,
  extra: Partial<ObjectResult> = {},
): ObjectResult {
  const ref: ObjectRef = 'ref' in d ? d.ref : entryRef(d);
  return { id: d.id, ref, action, drift: [], message: null, code: null, health: null, ...extra };
}

/** Results by id, in the order they were decided (a pass reports each object once). */
export type ResultsById = Map<string, ObjectResult>;

export function emptyCounts(): Record<ObjectAction, number> {
  return { created: 0, configured: 0, unchanged: 0, deleted: 0, released: 0, skipped: 0, failed: 0 };
}
