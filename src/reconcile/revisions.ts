// The reconciler's revision bookkeeping in one record: which source revision the renderer is at,
// which one is settled, the desired state the reconciler applies (and its placements, Karmada's
// previous result), the last good revision — the newest every target applied in full — the last
// head fetched, the status branch's tip and what its last commit recorded, a status whose commit
// failed. Stages never assign a field: they call the update functions below, each a pure step from
// one record to the next, so how a revision travels reads off this file.
import type { PreviousPlacement } from '../model/types.js';
import { sameStatus, type ReconcileStatus } from '../state/document.js';

/**
 * The desired state the reconciler applies: the newest revision it wrote to the targets, in full
 * or in part, and its placements. Targets that did not take it catch up from it on later passes.
 */
export interface DesiredRecord {
  /** Its source revision (null: restored from a status branch that does not name it). */
  revision: string | null;
  /** The placements in the contract's shape (status.yaml). */
  placements: Array<Record<string, unknown>>;
  /** The same placements as the next render's previous result. */
  previous: Map<string, PreviousPlacement>;
}

/**
 * The newest revision every target applied in full (for a kubernetes target: on every cluster it
 * had objects to apply or prune on): status.yaml's lastGoodRevision, and its desired state's tree,
 * which the status branch records as manifests/.
 */
export interface LastGood {
  revision: string;
  manifestsTree: string | null;
}

export interface RevisionRecord {
  /** The status branch has been read (the first pass restores from it). */
  readonly restored: boolean;
  /** The status branch's tip as this process knows it: the parent of its next status commit. */
  readonly statusTip: string | null;
  /** The last status committed (or read from the branch). */
  readonly lastStatus: ReconcileStatus | null;
  /** The manifests tree the last status commit recorded (undefined: the branch was never read). */
  readonly statusTree: string | null | undefined;
  /** The status of a pass whose status commit failed, retried on the next pass. */
  readonly pendingStatus: ReconcileStatus | null;
  /** The tree of the desired state the reconciler applies (null: no objects); the next diff starts from it. */
  readonly manifestsTree: string | null;
  /** The revision the renderer's file set is at (null: empty renderer, the next pass reads everything). */
  readonly rendered: string | null;
  /** The last revision fully handled (status recorded, all targets written): polls skip it. */
  readonly settled: string | null;
  /** The source revision of the last pass that fetched one. */
  readonly lastHead: string | null;
  readonly desired: DesiredRecord | null;
  readonly lastGood: LastGood | null;
}

export const EMPTY_RECORD: RevisionRecord = {
  restored: false,
  statusTip: null,
  lastStatus: null,
  statusTree: undefined,
  pendingStatus: null,
  manifestsTree: null,
  rendered: null,
  settled: null,
  lastHead: null,
  desired: null,
  lastGood: null,
};

/** The status branch's tip was fetched (null: no branch yet). */
export function tipFetched(r: RevisionRecord, tip: string | null): RevisionRecord {
  return { ...r, statusTip: tip };
}

/** The status branch's last status and manifests tree were read (before its applied state is). */
export function statusRead(r: RevisionRecord, status: ReconcileStatus | null, manifestsTree: string | null): RevisionRecord {
  return { ...r, lastStatus: status, manifestsTree };
}

/**
 * The status branch is read: its manifests tree is what its last commit recorded — the last good
 * revision's desired state, which the next diff starts from — and its placements are the desired ones.
 */
export function restored(r: RevisionRecord, desired: DesiredRecord | null, lastGoodRevision: string | null): RevisionRecord {
  const statusTree = r.statusTip ? r.manifestsTree : null;
  return {
    ...r,
    restored: true,
    statusTree,
    ...(desired ? { desired } : {}),
    ...(lastGoodRevision ? { lastGood: { revision: lastGoodRevision, manifestsTree: statusTree } } : {}),
  };
}

/** A new head was fetched. */
export function fetched(r: RevisionRecord, head: string): RevisionRecord {
  return { ...r, lastHead: head };
}

/** The renderer's file set is now at `revision` (null: it was reset). */
export function renderedAt(r: RevisionRecord, revision: string | null): RevisionRecord {
  return { ...r, rendered: revision };
}

/** `revision` is fully handled (null: the next poll must run again). */
export function settledAt(r: RevisionRecord, revision: string | null): RevisionRecord {
  return { ...r, settled: revision };
}

/** The desired state of a render was written to the targets: the next diff starts from it, its placements are the next previous. */
export function adopted(r: RevisionRecord, manifestsTree: string | null, desired: DesiredRecord): RevisionRecord {
  return { ...r, manifestsTree, desired };
}

/** Every target applied the desired state in force in full: it is the last good one. */
export function appliedEverywhere(r: RevisionRecord): RevisionRecord {
  if (!r.desired?.revision) return r;
  return { ...r, lastGood: { revision: r.desired.revision, manifestsTree: r.manifestsTree } };
}

/** The manifests tree a status commit records: the last good revision's desired state (null: none yet). */
export function recordedTree(r: RevisionRecord): string | null {
  return r.lastGood?.manifestsTree ?? null;
}

/** Whether `status` says something the status branch does not have yet. */
export function statusIsNew(r: RevisionRecord, status: ReconcileStatus): boolean {
  return !(sameStatus(status, r.lastStatus) && r.statusTree === recordedTree(r));
}

/** Nothing new to commit: a pending status is no longer needed. */
export function statusUnchanged(r: RevisionRecord): RevisionRecord {
  return { ...r, pendingStatus: null };
}

/** `status` was committed as `commit` with the last good manifests tree. */
export function committed(r: RevisionRecord, commit: string, status: ReconcileStatus): RevisionRecord {
  return { ...r, statusTip: commit, lastStatus: status, statusTree: recordedTree(r), pendingStatus: null };
}

/** The status commit failed: retried next pass, and the revision is not settled. */
export function commitFailed(r: RevisionRecord, status: ReconcileStatus): RevisionRecord {
  return { ...r, pendingStatus: status, settled: null };
}

/** What stays in force when a revision is not applied: the last good revision, and the desired state when it is another. */
export function staysInForce(r: RevisionRecord): string {
  const good = r.lastGood?.revision ?? '(none)';
  if (!r.desired || r.desired.revision === good) return `revision ${good} stays in force`;
  const desired = r.desired.revision === null ? 'the desired state before it' : `revision ${r.desired.revision}`;
  return `${desired} stays the desired state (last good revision ${good})`;
}

/** The last status this reconciler knows (a pending one first). */
export function knownStatus(r: RevisionRecord): ReconcileStatus | null {
  return r.pendingStatus ?? r.lastStatus;
}
