// The mass-deletion guard (issue 3 "Safety", issue 11 "Guards over time"): a revision whose
// deletions would take the fleet's deletions within a rolling window past a share of its objects
// or an absolute cap is held back instead of applied. A broken path, a deleted folder or a bad
// merge is far more often the cause than an intent, and spreading one over several commits must
// not get it through: three commits deleting 24% each are held at the third. Scaling a workload
// to 0 replicas on every cluster counts as deleting it. Pure: the window (kept on the status
// branch, so a restart does not reset it), the clock's now and the head's trailer come in.
//
// Released by the commit trailer `Flotilla-Allow-Deletions: N` on a commit not yet applied: the
// revision may then delete up to N objects whatever the window says, and those approved deletions
// are not counted against the next ones (docs/guide/reconciler.md "Safety").
import { versionedKey } from '../objects/identity.js';
import { isMap } from '../objects/json.js';
import type { AppliedState, DesiredDiff } from './change-set.js';

/** The trailer that releases a held deletion. */
export const ALLOW_DELETIONS_TRAILER = 'Flotilla-Allow-Deletions';

/** Deletions an applied revision made, as the status branch keeps them for the window. */
export interface DeletionRecord {
  /** When it was applied (ISO 8601). */
  at: string;
  revision: string;
  /** Objects deleted, workload objects scaled to 0 on every cluster included. */
  deleted: number;
}

export interface DeletionLimits {
  /** safety.maxDeletePercent: of the fleet's objects, within the window. */
  limitPercent: number;
  /** safety.maxDeletions: objects within the window, whatever their share. */
  maxDeletions: number;
  /** safety.deletionWindowMinutes (0: this revision alone counts). */
  windowMinutes: number;
}

export interface DeletionCheck {
  /** True when the revision must not be applied. */
  held: boolean;
  /** Objects this revision deletes, `scaledToZero` included. */
  deleted: number;
  /** Of those, workload objects scaled from some replicas to 0 on every cluster. */
  scaledToZero: number;
  /** Objects deleted by revisions applied earlier within the window. */
  windowDeleted: number;
  windowMinutes: number;
  /** The fleet the share is of: objects before this revision plus `windowDeleted`. */
  total: number;
  /** (deleted + windowDeleted) / total, in percent. */
  percent: number;
  limitPercent: number;
  maxDeletions: number;
  /** The Flotilla-Allow-Deletions trailer's value found on the commits not yet applied (null: none). */
  allowed: number | null;
  /** The limits were passed and the trailer let the revision through: its deletions do not count against later ones. */
  approved: boolean;
}

/** The records of `records` still within the window at `now` (none when the window is 0). */
export function withinWindow(records: readonly DeletionRecord[], now: number, windowMinutes: number): DeletionRecord[] {
  const since = now - windowMinutes * 60_000;
  return records.filter((r) => {
    const at = Date.parse(r.at);
    return windowMinutes > 0 && Number.isFinite(at) && at > since && at <= now;
  });
}

/**
 * Judges one revision's deletions against the window. `counted` is what the revision deletes;
 * `totalBefore` the objects in force before it; `window` the records still in the window.
 */
export function checkDeletions(input: {
  counted: { deleted: number; scaledToZero: number };
  totalBefore: number;
  window: readonly DeletionRecord[];
  limits: DeletionLimits;
  allowed: number | null;
}): DeletionCheck {
  const { counted, limits } = input;
  const deleted = counted.deleted;
  const windowDeleted = input.window.reduce((n, r) => n + r.deleted, 0);
  const total = input.totalBefore + windowDeleted;
  const cumulative = deleted + windowDeleted;
  const percent = total === 0 ? 0 : Math.round((cumulative / total) * 10000) / 100;
  const over = total > 0 && (percent > limits.limitPercent || cumulative > limits.maxDeletions);
  const approved = deleted > 0 && over && input.allowed !== null && deleted <= input.allowed;
  return {
    held: deleted > 0 && over && !approved,
    deleted,
    scaledToZero: counted.scaledToZero,
    windowDeleted,
    windowMinutes: limits.windowMinutes,
    total,
    percent,
    limitPercent: limits.limitPercent,
    maxDeletions: limits.maxDeletions,
    allowed: input.allowed,
    approved,
  };
}

/** What a held check says in the status, the log and the README: the numbers, the limit passed, and how to release it. */
export function describeHeld(check: DeletionCheck, revision: string): string {
  const zero = check.scaledToZero > 0 ? ` (${check.scaledToZero} of them workload objects scaled to 0 replicas on every cluster)` : '';
  const cumulative = check.deleted + check.windowDeleted;
  const what =
    check.windowDeleted > 0
      ? `would delete ${check.deleted} objects${zero}; with the ${check.windowDeleted} deleted in the last ` +
        `${check.windowMinutes} minutes that is ${cumulative} of ${check.total} objects (${check.percent}%)`
      : `would delete ${check.deleted} of ${check.total} objects (${check.percent}%)${zero}`;
  const limit =
    check.percent > check.limitPercent
      ? `over safety.maxDeletePercent ${check.limitPercent}%`
      : `over safety.maxDeletions ${check.maxDeletions}${check.windowMinutes > 0 ? ` per ${check.windowMinutes} minutes` : ''}`;
  const tooFew = check.allowed !== null ? ` (the ${ALLOW_DELETIONS_TRAILER}: ${check.allowed} trailer allows fewer)` : '';
  return `revision ${revision} ${what}, ${limit}${tooFew}`;
}

/** How to release a held deletion; `scoped`: the scope has paths, so only the platform's commit releases it. */
export function releaseHint(check: DeletionCheck, scoped = false): string {
  const commit = scoped ? "a commit that changes scope.default's files and no scope path's" : 'a commit (git commit --allow-empty works)';
  return `to apply it anyway, push ${commit} whose message ends with the trailer "${ALLOW_DELETIONS_TRAILER}: ${check.deleted}"`;
}

/** The Flotilla-Allow-Deletions trailer's value in a commit message's trailer block (its last paragraph), or null. */
export function allowDeletionsTrailer(message: string): number | null {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1]! : '';
  let found: number | null = null;
  for (const line of last.split('\n')) {
    const m = /^flotilla-allow-deletions:\s*(\d{1,9})\s*$/i.exec(line.trim());
    if (m) found = Number(m[1]);
  }
  return found;
}

function replicasOf(o: Record<string, unknown>): number | null {
  const spec = isMap(o.spec) ? o.spec : null;
  return spec && typeof spec.replicas === 'number' ? spec.replicas : null;
}

/**
 * Workload objects this diff scales from some replicas to 0 where their workload now runs 0
 * replicas on every cluster it is on: each such object counts as a deletion.
 */
export function scaledToZero(previous: AppliedState, diff: Pick<DesiredDiff, 'changes' | 'next'>): number {
  const candidates = new Map<string, number>();
  for (const c of diff.changes) {
    if (c.action !== 'configured') continue;
    const after = diff.next.get(c.cluster)?.get(c.id)?.object;
    const before = previous.get(c.cluster)?.get(c.id)?.object;
    if (!after || !before || replicasOf(after) !== 0 || (replicasOf(before) ?? 0) <= 0) continue;
    const key = versionedKey(c.ref);
    candidates.set(key, (candidates.get(key) ?? 0) + 1);
  }
  if (candidates.size === 0) return 0;
  const stillRunning = new Set<string>();
  for (const inner of diff.next.values()) {
    for (const o of inner.values()) {
      const key = versionedKey(o.ref);
      // A diff's next state holds every object it compares (an entry without one is unread, hence running).
      if (candidates.has(key) && (o.object === null ? 1 : (replicasOf(o.object) ?? 1)) > 0) stillRunning.add(key);
    }
  }
  let n = 0;
  for (const [key, count] of candidates) if (!stillRunning.has(key)) n += count;
  return n;
}

/** What a diff deletes for the guard: its deleted objects plus those scaled to 0 everywhere. */
export function countDeletions(
  previous: AppliedState,
  diff: Pick<DesiredDiff, 'changes' | 'next' | 'counts'>,
): {
  deleted: number;
  scaledToZero: number;
} {
  const zero = scaledToZero(previous, diff);
  return { deleted: diff.counts.deleted + zero, scaledToZero: zero };
}
