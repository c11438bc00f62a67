// The mass-deletion guard's rule, row by row (pure: no repository, no clock): a revision's deletions
// plus those of the rolling window against a share of the fleet and an absolute cap; the window's
// ageing; the Flotilla-Allow-Deletions trailer; workloads scaled to 0 on every cluster counted as
// deletions. deletion-guard.test.ts drives the same rule through the reconciler and its status branch.
import { describe, expect, it } from 'vitest';
import { diffDesired, type AppliedState } from '../../src/state/change-set.js';
import {
  allowDeletionsTrailer,
  checkDeletions,
  countDeletions,
  describeHeld,
  scaledToZero,
  withinWindow,
  type DeletionLimits,
  type DeletionRecord,
} from '../../src/state/deletion-guard.js';

const LIMITS: DeletionLimits = { limitPercent: 50, maxDeletions: 500, windowMinutes: 60 };
const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (minutes: number, deleted: number): DeletionRecord => ({
  at: new Date(NOW - minutes * 60_000).toISOString(),
  revision: `r-${minutes}`,
  deleted,
});

interface Row {
  name: string;
  deleted: number;
  totalBefore: number;
  window?: DeletionRecord[];
  limits?: Partial<DeletionLimits>;
  allowed?: number | null;
  held: boolean;
  percent?: number;
  approved?: boolean;
}

const ROWS: Row[] = [
  { name: '6 of 10 at 50% → held (60%)', deleted: 6, totalBefore: 10, held: true, percent: 60 },
  { name: '5 of 10 → exactly 50%, not more: applied', deleted: 5, totalBefore: 10, held: false, percent: 50 },
  { name: 'nothing applied yet → nothing to protect', deleted: 0, totalBefore: 0, held: false },
  { name: 'limit 100 never holds', deleted: 10, totalBefore: 10, limits: { limitPercent: 100 }, held: false },
  { name: 'limit 0 holds any deletion', deleted: 1, totalBefore: 10, limits: { limitPercent: 0 }, held: true },
  {
    name: 'third of three commits deleting 24 each: 72 of 100 within the hour → held',
    deleted: 24,
    totalBefore: 52,
    window: [ago(20, 24), ago(10, 24)],
    held: true,
    percent: 72,
  },
  { name: 'the second of them: 48 of 100 → applied', deleted: 24, totalBefore: 76, window: [ago(10, 24)], held: false, percent: 48 },
  {
    name: 'a deletion that adds nothing to an already-exceeded window is not held (nothing to hold)',
    deleted: 0,
    totalBefore: 10,
    window: [ago(5, 90)],
    held: false,
  },
  {
    name: 'window 0: each commit on its own (the old per-commit guard)',
    deleted: 24,
    totalBefore: 52,
    window: [],
    limits: { windowMinutes: 0 },
    held: false,
  },
  {
    name: 'absolute cap: 30 of 10,000 objects (0.3%) over maxDeletions 25 → held',
    deleted: 30,
    totalBefore: 10_000,
    limits: { maxDeletions: 25 },
    held: true,
  },
  {
    name: 'absolute cap counts the window: 20 now + 10 within the hour over 25 → held',
    deleted: 20,
    totalBefore: 10_000,
    window: [ago(30, 10)],
    limits: { maxDeletions: 25 },
    held: true,
  },
  {
    name: 'the trailer allowing 24 lets the third commit through; its deletions are approved',
    deleted: 24,
    totalBefore: 52,
    window: [ago(20, 24), ago(10, 24)],
    allowed: 24,
    held: false,
    approved: true,
  },
  {
    name: 'a trailer allowing fewer than the revision deletes changes nothing',
    deleted: 24,
    totalBefore: 52,
    window: [ago(20, 24), ago(10, 24)],
    allowed: 10,
    held: true,
  },
  {
    name: 'a trailer on a revision under the limits approves nothing',
    deleted: 1,
    totalBefore: 100,
    allowed: 40,
    held: false,
    approved: false,
  },
];

describe('checkDeletions', () => {
  it.each(ROWS)('$name', (row) => {
    const check = checkDeletions({
      counted: { deleted: row.deleted, scaledToZero: 0 },
      totalBefore: row.totalBefore,
      window: row.window ?? [],
      limits: { ...LIMITS, ...row.limits },
      allowed: row.allowed ?? null,
    });
    expect(check.held).toBe(row.held);
    if (row.percent !== undefined) expect(check.percent).toBe(row.percent);
    expect(check.approved).toBe(row.approved ?? false);
  });

  it('says what it counted, which limit was passed, and names the revision', () => {
    const windowed = checkDeletions({
      counted: { deleted: 24, scaledToZero: 4 },
      totalBefore: 52,
      window: [ago(20, 24), ago(10, 24)],
      limits: LIMITS,
      allowed: null,
    });
    expect(describeHeld(windowed, 'abc')).toBe(
      'revision abc would delete 24 objects (4 of them workload objects scaled to 0 replicas on every cluster); ' +
        'with the 48 deleted in the last 60 minutes that is 72 of 100 objects (72%), over safety.maxDeletePercent 50%',
    );
    const capped = checkDeletions({
      counted: { deleted: 30, scaledToZero: 0 },
      totalBefore: 10_000,
      window: [],
      limits: { ...LIMITS, maxDeletions: 25 },
      allowed: 10,
    });
    expect(describeHeld(capped, 'abc')).toBe(
      'revision abc would delete 30 of 10000 objects (0.3%), over safety.maxDeletions 25 per 60 minutes ' +
        '(the Flotilla-Allow-Deletions: 10 trailer allows fewer)',
    );
  });
});

describe('withinWindow', () => {
  it('keeps what is younger than the window, drops what is older, from the future or unreadable; a 0 window keeps nothing', () => {
    const records = [ago(90, 1), ago(61, 2), ago(59, 3), ago(1, 4), ago(-5, 5), { at: 'yesterday', revision: 'x', deleted: 6 }];
    expect(withinWindow(records, NOW, 60).map((r) => r.deleted)).toEqual([3, 4]);
    expect(withinWindow(records, NOW, 0)).toEqual([]);
  });
});

describe('the Flotilla-Allow-Deletions trailer', () => {
  it.each([
    ['subject\n\nbody\n\nFlotilla-Allow-Deletions: 40\n', 40],
    ['subject\n\nSigned-off-by: a <a@b>\nflotilla-allow-deletions:  7 \n', 7],
    ['subject\n\nFlotilla-Allow-Deletions: 3\nFlotilla-Allow-Deletions: 5', 5],
    ['Flotilla-Allow-Deletions: 40', null], // a subject is not a trailer block
    ['subject\n\nFlotilla-Allow-Deletions: 40\n\nmore text after it', null], // not the last paragraph
    ['subject\n\nFlotilla-Allow-Deletions: all', null],
    ['subject\n\nFlotilla-Allow-Deletions: -4', null],
    ['subject\n\nX-Flotilla-Allow-Deletions: 4', null],
  ])('%j → %s', (message, expected) => {
    expect(allowDeletionsTrailer(message)).toBe(expected);
  });
});

describe('scaling a workload to 0 on every cluster counts as deleting it', () => {
  const deployment = (name: string, replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: { replicas },
  });
  const diffOf = (before: Record<string, Record<string, unknown>[]>, after: Record<string, Record<string, unknown>[]>) => {
    const previous = diffDesired({ previous: new Map(), manifests: before }).next;
    return { previous, diff: diffDesired({ previous, manifests: after }) };
  };

  it('web 6/4 on two clusters → 0/0: both objects count; a deletion elsewhere adds to them', () => {
    const { previous, diff } = diffOf(
      { east: [deployment('web', 6), deployment('api', 1)], west: [deployment('web', 4)] },
      { east: [deployment('web', 0)], west: [deployment('web', 0)] },
    );
    expect(scaledToZero(previous, diff)).toBe(2);
    expect(countDeletions(previous, diff)).toEqual({ deleted: 3, scaledToZero: 2 });
  });

  it('0 on one cluster while another still runs it (replicas moved) is not a deletion', () => {
    const { previous, diff } = diffOf(
      { east: [deployment('web', 6)], west: [deployment('web', 4)] },
      { east: [deployment('web', 0)], west: [deployment('web', 10)] },
    );
    expect(scaledToZero(previous, diff)).toBe(0);
  });

  it('already at 0, or an object without replicas, is not a deletion', () => {
    const cm = (v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { v } });
    const { previous, diff } = diffOf({ east: [deployment('idle', 0), cm('a')] }, { east: [deployment('idle', 0), cm('b')] });
    expect(scaledToZero(previous, diff)).toBe(0);
    const empty: AppliedState = new Map();
    expect(scaledToZero(empty, diff)).toBe(0);
  });
});
