// The reconciler's revision bookkeeping in one record: which source revision the renderer is at,
// which one is settled, the last good one (and its placements, Karmada's previous result), the
// last head fetched, the status branch's tip and what its last commit recorded, a status whose
// commit failed. Stages never assign a field: they call the update functions below, each a pure
// step from one record to the next, so how a revision travels reads off this file.
import type { PreviousPlacement } from '../model/types.js';
import { sameStatus, type ReconcileStatus } from '../state/document.js';

/** The newest revision whose desired state is in force, and its placements. */
export interface LastGood {
  revision: string;
  /** The placements in the contract's shape (status.yaml). */
  placements: Array<Record<string, unknown>>;
  /** The same placements as the next render's previous result. */
  previous: Map<string, PreviousPlacement>;
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
  /** The tree of the desired state in force (the status branch's manifests/; null: no objects). */
  readonly manifestsTree: string | null;
  /** The revision the renderer's file set is at (null: empty renderer, the next pass reads everything). */
  readonly rendered: string | null;
  /** The last revision fully handled (status recorded, all targets written): polls skip it. */
  readonly settled: string | null;
  /** The source revision of the last pass that fetched one. */
  readonly lastHead: string | null;
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

/** The status branch is read: its manifests tree is what its last commit recorded, its last good revision is ours. */
export function restored(r: RevisionRecord, lastGood: LastGood | null): RevisionRecord {
  return { ...r, restored: true, statusTree: r.statusTip ? r.manifestsTree : null, ...(lastGood ? { lastGood } : {}) };
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

/** The desired state of a render is now the applied one, and its placements the last good ones. */
export function appliedAt(r: RevisionRecord, manifestsTree: string | null, lastGood: LastGood): RevisionRecord {
  return { ...r, manifestsTree, lastGood };
}

/** Whether `status` says something the status branch does not have yet. */
export function statusIsNew(r: RevisionRecord, status: ReconcileStatus): boolean {
  return !(sameStatus(status, r.lastStatus) && r.statusTree === r.manifestsTree);
}

/** Nothing new to commit: a pending status is no longer needed. */
export function statusUnchanged(r: RevisionRecord): RevisionRecord {
  return { ...r, pendingStatus: null };
}

/** `status` was committed as `commit` with the manifests tree in force. */
export function committed(r: RevisionRecord, commit: string, status: ReconcileStatus): RevisionRecord {
  return { ...r, statusTip: commit, lastStatus: status, statusTree: r.manifestsTree, pendingStatus: null };
}

/** The status commit failed: retried next pass, and the revision is not settled. */
export function commitFailed(r: RevisionRecord, status: ReconcileStatus): RevisionRecord {
  return { ...r, pendingStatus: status, settled: null };
}

/** The last status this reconciler knows (a pending one first). */
export function knownStatus(r: RevisionRecord): ReconcileStatus | null {
  return r.pendingStatus ?? r.lastStatus;
}
