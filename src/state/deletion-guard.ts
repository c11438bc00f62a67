// Safety rules that hold a revision back instead of applying it (issue 3, "Safety").
import type { DesiredDiff } from './change-set.js';

export interface DeletionCheck {
  /** True when the revision must not be applied. */
  held: boolean;
  deleted: number;
  /** Objects in the applied state before this revision. */
  total: number;
  percent: number;
  limitPercent: number;
}

/**
 * The mass-deletion guard: a revision that would delete more than `limitPercent` of all applied
 * objects is far more often a broken path, a deleted folder or a bad merge than an intent, so it
 * is held back and reported. An empty applied state has nothing to protect.
 */
export function checkDeletions(diff: Pick<DesiredDiff, 'counts'>, total: number, limitPercent: number): DeletionCheck {
  const deleted = diff.counts.deleted;
  const percent = total === 0 ? 0 : Math.round((deleted / total) * 10000) / 100;
  return { held: total > 0 && deleted > 0 && percent > limitPercent, deleted, total, percent, limitPercent };
}
