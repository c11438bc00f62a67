import { describe, it, expect } from 'vitest';
import {
  divideByAvailability,
  divideByStaticWeight,
  divideDuplicated,
  divideHpaBounds,
  divideWithOverflow,
  enforceMaxSkew,
} from '../../src/placement/division.js';
import type { DivisionResult } from '../../src/placement/division.js';
import { ScheduleError } from '../../src/placement/candidate.js';
import type { Candidate } from '../../src/placement/candidate.js';
import { fnv1a32 } from '../../src/placement/webster.js';
import type { Cluster, StaticClusterWeight, TargetCluster } from '../../src/model/types.js';

function cluster(name: string, labels: Record<string, string> = {}): Cluster {
  return { name, labels, provider: '', region: '', zones: [], taints: [], ready: true, deleting: false, fleets: [], sources: [] };
}

/** A candidate; `held` is what the previous result gave it, so available = allocatable + held. */
function cand(name: string, allocatable = 0, opts: { held?: number; tier?: number; labels?: Record<string, string> } = {}): Candidate {
  return {
    cluster: cluster(name, opts.labels),
    score: 0,
    allocatableReplicas: allocatable,
    availableReplicas: allocatable + (opts.held ?? 0),
    overflowTier: opts.tier ?? 1000,
  };
}

const byNames = (...names: string[]) => ({ clusterNames: names });
const weight = (w: number, ...names: string[]): StaticClusterWeight => ({ targetCluster: byNames(...names), weight: w });
const counts = (r: DivisionResult): Record<string, number | null> => Object.fromEntries(r.clusters.map((c) => [c.name, c.replicas]));
const prev = (p: Record<string, number>): TargetCluster[] => Object.entries(p).map(([name, replicas]) => ({ name, replicas }));

function uidWithParity(odd: boolean): string {
  for (let i = 0; ; i++) if (((fnv1a32(`uid-${i}`) & 1) === 1) === odd) return `uid-${i}`;
}

function scheduleError(fn: () => unknown): ScheduleError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScheduleError) return e;
    throw e;
  }
  throw new Error('expected a ScheduleError');
}

describe('divideDuplicated', () => {
  it('5 replicas over 3 clusters → 5 each, sorted by name', () => {
    const r = divideDuplicated(5, [cand('c'), cand('a'), cand('b')]);
    expect(r.clusters).toEqual([
      { name: 'a', replicas: 5 },
      { name: 'b', replicas: 5 },
      { name: 'c', replicas: 5 },
    ]);
    expect(r.steps.join('\n')).toContain('5');
  });

  it('0 replicas → every entry dropped', () => {
    expect(divideDuplicated(0, [cand('a')]).clusters).toEqual([]);
  });

  it('no selected cluster → "no clusters available to schedule"', () => {
    expect(scheduleError(() => divideDuplicated(3, [])).message).toBe('no clusters available to schedule');
  });
});

describe('divideByStaticWeight (docs/reference/semantics.md §4.2)', () => {
  const four = [cand('A'), cand('B'), cand('C'), cand('D')];
  const w2111 = [weight(2, 'A'), weight(1, 'B'), weight(1, 'C'), weight(1, 'D')];

  it('static 2:1:1:1 with 7 replicas → 3,2,1,1', () => {
    expect(counts(divideByStaticWeight(7, four, w2111, ''))).toEqual({ A: 3, B: 2, C: 1, D: 1 });
  });

  it('static 2:1:1:1 with 8 replicas → 3,2,2,1', () => {
    expect(counts(divideByStaticWeight(8, four, w2111, ''))).toEqual({ A: 3, B: 2, C: 2, D: 1 });
  });

  it('static 1:1 with 3 replicas → 2,1 (name tie, empty uid)', () => {
    expect(counts(divideByStaticWeight(3, [cand('A'), cand('B')], [weight(1, 'A', 'B')], ''))).toEqual({ A: 2, B: 1 });
  });

  it('static 1:1 with 3 replicas and an odd-hash uid → 1,2 (name descending)', () => {
    expect(counts(divideByStaticWeight(3, [cand('A'), cand('B')], [weight(1, 'A', 'B')], uidWithParity(true)))).toEqual({ A: 1, B: 2 });
    expect(counts(divideByStaticWeight(3, [cand('A'), cand('B')], [weight(1, 'A', 'B')], uidWithParity(false)))).toEqual({ A: 2, B: 1 });
  });

  it('seed: hangzhou:70 shanghai:30 with 10 → 7/3, with 7 → 5/2, with 1 → hangzhou 1', () => {
    const sel = [cand('cluster-hangzhou'), cand('cluster-shanghai')];
    const w = [weight(70, 'cluster-hangzhou'), weight(30, 'cluster-shanghai')];
    expect(counts(divideByStaticWeight(10, sel, w, ''))).toEqual({ 'cluster-hangzhou': 7, 'cluster-shanghai': 3 });
    expect(counts(divideByStaticWeight(7, sel, w, ''))).toEqual({ 'cluster-hangzhou': 5, 'cluster-shanghai': 2 });
    expect(counts(divideByStaticWeight(1, sel, w, ''))).toEqual({ 'cluster-hangzhou': 1 });
  });

  it('seed: 60/40 with 10 → 6/4 and 80/20 with 10 → 8/2', () => {
    const sel = [cand('a'), cand('b')];
    expect(counts(divideByStaticWeight(10, sel, [weight(60, 'a'), weight(40, 'b')], ''))).toEqual({ a: 6, b: 4 });
    expect(counts(divideByStaticWeight(10, sel, [weight(80, 'a'), weight(20, 'b')], ''))).toEqual({ a: 8, b: 2 });
  });

  it('weights 3:2:1 with 12 → 6,4,2; 13 → 7,4,2; 14 → 7,5,2', () => {
    const sel = [cand('m1'), cand('m2'), cand('m3')];
    const w = [weight(3, 'm1'), weight(2, 'm2'), weight(1, 'm3')];
    expect(counts(divideByStaticWeight(12, sel, w, ''))).toEqual({ m1: 6, m2: 4, m3: 2 });
    expect(counts(divideByStaticWeight(13, sel, w, ''))).toEqual({ m1: 7, m2: 4, m3: 2 });
    expect(counts(divideByStaticWeight(14, sel, w, ''))).toEqual({ m1: 7, m2: 5, m3: 2 });
  });

  it('no weightPreference → weight 1 each: 12 over 3 → 4,4,4', () => {
    expect(counts(divideByStaticWeight(12, [cand('m1'), cand('m2'), cand('m3')], undefined, ''))).toEqual({ m1: 4, m2: 4, m3: 4 });
  });

  it('a selected cluster no rule matches is left out (m1:1 only, 2 replicas → m1 2)', () => {
    const r = divideByStaticWeight(2, [cand('m1'), cand('m2')], [weight(1, 'm1')], '');
    expect(counts(r)).toEqual({ m1: 2 });
    expect(r.steps.join('\n')).toContain('m2');
  });

  it('a cluster matched by several rules takes the highest weight (m1 max(1,2)=2 : m2 1, 3 replicas → 2,1)', () => {
    const w = [weight(1, 'm1'), weight(1, 'm2'), weight(2, 'm1')];
    expect(counts(divideByStaticWeight(3, [cand('m1'), cand('m2')], w, ''))).toEqual({ m1: 2, m2: 1 });
  });

  it('rules by label selector: region=east weight 3, all clusters weight 1 → east 3 : west 1 with 8 → 6,2', () => {
    const sel = [cand('east-1', 0, { labels: { region: 'east' } }), cand('west-1', 0, { labels: { region: 'west' } })];
    const w: StaticClusterWeight[] = [
      { targetCluster: { labelSelector: { matchLabels: { region: 'east' } } }, weight: 3 },
      { targetCluster: {}, weight: 1 },
    ];
    expect(counts(divideByStaticWeight(8, sel, w, ''))).toEqual({ 'east-1': 6, 'west-1': 2 });
  });

  it('no rule matches any selected cluster → every cluster weight 1 (5 over 2 → 3,2)', () => {
    expect(counts(divideByStaticWeight(5, [cand('a'), cand('b')], [weight(4, 'zzz')], ''))).toEqual({ a: 3, b: 2 });
    expect(counts(divideByStaticWeight(5, [cand('a'), cand('b')], [], ''))).toEqual({ a: 3, b: 2 });
  });

  it('0 replicas → no cluster gets any', () => {
    expect(divideByStaticWeight(0, [cand('m1'), cand('m2')], [weight(1, 'm1', 'm2')], '').clusters).toEqual([]);
  });

  it('explains the arithmetic: "static weights hangzhou:70 shanghai:30 → Webster over 10 replicas → hangzhou 7, shanghai 3"', () => {
    const r = divideByStaticWeight(10, [cand('shanghai'), cand('hangzhou')], [weight(70, 'hangzhou'), weight(30, 'shanghai')], '');
    expect(r.steps).toContain('static weights hangzhou:70 shanghai:30 → Webster over 10 replicas → hangzhou 7, shanghai 3');
  });

  it('no selected cluster → "no clusters available to schedule"', () => {
    expect(scheduleError(() => divideByStaticWeight(3, [], undefined, '')).message).toBe('no clusters available to schedule');
  });
});

describe('divideByAvailability — first schedule (docs/reference/semantics.md §4.3)', () => {
  const sel = () => [cand('m1', 6), cand('m2', 8), cand('m3', 10)];

  it('dynamic: 12 replicas over available 6/8/10 → 3/4/5', () => {
    expect(counts(divideByAvailability('DynamicWeight', 12, sel(), [], ''))).toEqual({ m1: 3, m2: 4, m3: 5 });
  });

  it('dynamic: 12 replicas over available 8/8/10 → 4/4/4', () => {
    expect(counts(divideByAvailability('DynamicWeight', 12, [cand('m1', 8), cand('m2', 8), cand('m3', 10)], [], ''))).toEqual({
      m1: 4,
      m2: 4,
      m3: 4,
    });
  });

  it('dynamic: 12 over 18:12:6 → 6:4:2; over 6:12:6 → 3:6:3', () => {
    expect(counts(divideByAvailability('DynamicWeight', 12, [cand('m1', 18), cand('m2', 12), cand('m3', 6)], [], ''))).toEqual({
      m1: 6,
      m2: 4,
      m3: 2,
    });
    expect(counts(divideByAvailability('DynamicWeight', 12, [cand('m1', 6), cand('m2', 12), cand('m3', 6)], [], ''))).toEqual({
      m1: 3,
      m2: 6,
      m3: 3,
    });
  });

  it('aggregated: 12 over available 6/8/10 → the two largest, m2 5, m3 7', () => {
    expect(counts(divideByAvailability('Aggregated', 12, sel(), [], ''))).toEqual({ m2: 5, m3: 7 });
  });

  it('aggregated: 12 over 12/8/10 → m1 takes all 12', () => {
    expect(counts(divideByAvailability('Aggregated', 12, [cand('m1', 12), cand('m2', 8), cand('m3', 10)], [], ''))).toEqual({ m1: 12 });
  });

  it('aggregated: 12 over 6/6/6 → equal availability keeps candidate order, m1 6, m2 6', () => {
    expect(counts(divideByAvailability('Aggregated', 12, [cand('m1', 6), cand('m2', 6), cand('m3', 6)], [], ''))).toEqual({ m1: 6, m2: 6 });
    expect(counts(divideByAvailability('Aggregated', 12, [cand('m3', 6), cand('m2', 6), cand('m1', 6)], [], ''))).toEqual({ m2: 6, m3: 6 });
  });

  it('shortage: 12 over 3/3/3 → "Clusters available replicas 9 are not enough to schedule." (both modes)', () => {
    const three = [cand('m1', 3), cand('m2', 3), cand('m3', 3)];
    for (const mode of ['DynamicWeight', 'Aggregated'] as const) {
      const e = scheduleError(() => divideByAvailability(mode, 12, three, [], ''));
      expect(e.reason).toBe('Unschedulable');
      expect(e.message).toBe('Clusters available replicas 9 are not enough to schedule.');
    }
  });

  it('no selected cluster → "no clusters available to schedule"', () => {
    expect(scheduleError(() => divideByAvailability('DynamicWeight', 1, [], [], '')).message).toBe('no clusters available to schedule');
  });

  it('explains the availability list and the result', () => {
    const steps = divideByAvailability('DynamicWeight', 12, sel(), [], '').steps.join('\n');
    expect(steps).toContain('m3:10 m2:8 m1:6');
    expect(steps).toContain('m1 3, m2 4, m3 5');
  });
});

describe('divideByAvailability — steady scale up', () => {
  it('aggregated 12 → 24 with previous {m1:4, m2:8}, allocatable m1 4, m2 6, m3 8 → m1 7, m2 12, m3 5', () => {
    // "available" here is AllocatableReplicas: what each cluster can take on top of what it holds.
    // Target 12 extra; in-use m2, m1 first (6, 4), then m3 8 — all three needed (10 < 12) — Webster 12 over 6:4:8 → 4,3,5.
    const sel = [cand('m1', 4, { held: 4 }), cand('m2', 6, { held: 8 }), cand('m3', 8)];
    expect(counts(divideByAvailability('Aggregated', 24, sel, prev({ m1: 4, m2: 8 }), ''))).toEqual({ m1: 7, m2: 12, m3: 5 });
  });

  it('aggregated 12 → 24 with previous {m1:4, m2:8}, allocatable 6/6/20 → in-use clusters first: m1 10, m2 14', () => {
    const sel = [cand('m1', 6, { held: 4 }), cand('m2', 6, { held: 8 }), cand('m3', 20)];
    expect(counts(divideByAvailability('Aggregated', 24, sel, prev({ m1: 4, m2: 8 }), ''))).toEqual({ m1: 10, m2: 14 });
  });

  it('aggregated 12 → 24, m2 (8) no longer selected, m4 appears: allocatable m1 4, m3 8, m4 12 → m1 7, m3 7, m4 10', () => {
    const sel = [cand('m1', 4, { held: 4 }), cand('m3', 8), cand('m4', 12)];
    const r = divideByAvailability('Aggregated', 24, sel, prev({ m1: 4, m2: 8 }), '');
    expect(counts(r)).toEqual({ m1: 7, m3: 7, m4: 10 });
    expect(r.steps.join('\n')).toContain('m2:8');
  });

  it('dynamic 12 → 24 with previous 2/4/6 and allocatable 10/10/10 → 6/8/10', () => {
    const sel = [cand('m1', 10, { held: 2 }), cand('m2', 10, { held: 4 }), cand('m3', 10, { held: 6 })];
    expect(counts(divideByAvailability('DynamicWeight', 24, sel, prev({ m1: 2, m2: 4, m3: 6 }), ''))).toEqual({ m1: 6, m2: 8, m3: 10 });
  });

  it('dynamic 12 with previous {m1:6, m3:6}, m3 gone, allocatable 3/3 → the 6 from m3 re-placed: m1 9, m2 3', () => {
    const sel = [cand('m1', 3, { held: 6 }), cand('m2', 3)];
    expect(counts(divideByAvailability('DynamicWeight', 12, sel, prev({ m1: 6, m3: 6 }), ''))).toEqual({ m1: 9, m2: 3 });
  });

  it('dynamic 12 → 24 with allocatable 1/1/1 → "Clusters available replicas 3 are not enough to schedule."', () => {
    const sel = [cand('m1', 1, { held: 2 }), cand('m2', 1, { held: 4 }), cand('m3', 1, { held: 6 })];
    const e = scheduleError(() => divideByAvailability('DynamicWeight', 24, sel, prev({ m1: 2, m2: 4, m3: 6 }), ''));
    expect(e.message).toBe('Clusters available replicas 3 are not enough to schedule.');
  });

  it('aggregated 12 → 24 with allocatable 1/1/1 → shortage of 3', () => {
    const sel = [cand('m1', 1, { held: 4 }), cand('m2', 1, { held: 8 }), cand('m3', 1)];
    const e = scheduleError(() => divideByAvailability('Aggregated', 24, sel, prev({ m1: 4, m2: 8 }), ''));
    expect(e.message).toBe('Clusters available replicas 3 are not enough to schedule.');
  });
});

describe('divideByAvailability — steady scale down and unchanged', () => {
  it('dynamic 12 → 6 with previous 2/4/6 → proportional 1/2/3 (capacity ignored)', () => {
    const sel = [cand('m1', 1, { held: 2 }), cand('m2', 1, { held: 4 }), cand('m3', 1, { held: 6 })];
    expect(counts(divideByAvailability('DynamicWeight', 6, sel, prev({ m1: 2, m2: 4, m3: 6 }), ''))).toEqual({ m1: 1, m2: 2, m3: 3 });
  });

  it('aggregated 12 → 6 with previous {m1:4, m2:8} → the largest alone covers 6: m2 6', () => {
    const sel = [cand('m1', 1, { held: 4 }), cand('m2', 1, { held: 8 }), cand('m3', 1)];
    expect(counts(divideByAvailability('Aggregated', 6, sel, prev({ m1: 4, m2: 8 }), ''))).toEqual({ m2: 6 });
  });

  it('aggregated 12 → 8 with previous {m1:4, m2:8} → m2 8', () => {
    const sel = [cand('m1', 100, { held: 4 }), cand('m2', 100, { held: 8 })];
    expect(counts(divideByAvailability('Aggregated', 8, sel, prev({ m1: 4, m2: 8 }), ''))).toEqual({ m2: 8 });
  });

  it('scale down to 0 → nothing left', () => {
    expect(divideByAvailability('DynamicWeight', 0, [cand('m1', 0, { held: 3 })], prev({ m1: 3 }), '').clusters).toEqual([]);
  });

  it('replicas unchanged (12 = 4 + 8) → previous kept even with no capacity left', () => {
    const sel = [cand('m1', 0, { held: 4 }), cand('m2', 0, { held: 8 }), cand('m3', 50)];
    const r = divideByAvailability('DynamicWeight', 12, sel, prev({ m1: 4, m2: 8 }), '');
    expect(counts(r)).toEqual({ m1: 4, m2: 8 });
    expect(r.steps.join('\n')).toContain('unchanged');
  });
});

describe('divideByAvailability — fresh reschedule', () => {
  it('dynamic fresh: previous {m1:12}, allocatable 0/12/12 → availability 12:12:12 → 4/4/4 (steady would keep m1 12)', () => {
    const sel = [cand('m1', 0, { held: 12 }), cand('m2', 12), cand('m3', 12)];
    expect(counts(divideByAvailability('DynamicWeight', 12, sel, prev({ m1: 12 }), '', true))).toEqual({ m1: 4, m2: 4, m3: 4 });
    expect(counts(divideByAvailability('DynamicWeight', 12, sel, prev({ m1: 12 }), '', false))).toEqual({ m1: 12 });
  });

  it('aggregated fresh ignores which clusters were in use: previous {m1:4}, allocatable m1 2, m2 10 → m2 takes all 6', () => {
    const sel = [cand('m1', 2, { held: 4 }), cand('m2', 10)];
    expect(counts(divideByAvailability('Aggregated', 6, sel, prev({ m1: 4 }), '', true))).toEqual({ m2: 6 });
  });

  it('fresh shortage counts held replicas: allocatable 1 + held 3 = 4 < 5', () => {
    const e = scheduleError(() => divideByAvailability('DynamicWeight', 5, [cand('m1', 1, { held: 3 })], prev({ m1: 3 }), '', true));
    expect(e.message).toBe('Clusters available replicas 4 are not enough to schedule.');
  });
});

describe('divideWithOverflow (docs/reference/semantics.md §3.8)', () => {
  it('primary tier m1 holds 5 → 12 replicas aggregated: m1 5, overflow m2 7', () => {
    const sel = [cand('m1', 5, { tier: 0 }), cand('m2', 10, { tier: 1 })];
    const r = divideWithOverflow('Aggregated', 12, sel, [], '');
    expect(counts(r)).toEqual({ m1: 5, m2: 7 });
    expect(r.steps.join('\n')).toMatch(/primary affinity.*available 5, takes 5 of 12/);
    expect(r.steps.join('\n')).toMatch(/overflow affinity 1.*available 10, takes 7 of 7/);
  });

  it('primary tier with room for all 4 → overflow tier unused', () => {
    const sel = [cand('m1', 5, { tier: 0 }), cand('m2', 10, { tier: 1 })];
    expect(counts(divideWithOverflow('DynamicWeight', 4, sel, [], ''))).toEqual({ m1: 4 });
  });

  it('three tiers 2/3/10 with 9 replicas → 2, 3, 4', () => {
    const sel = [cand('c', 10, { tier: 2 }), cand('a', 2, { tier: 0 }), cand('b', 3, { tier: 1 })];
    expect(counts(divideWithOverflow('DynamicWeight', 9, sel, [], ''))).toEqual({ a: 2, b: 3, c: 4 });
  });

  it('inside a tier the normal strategy applies: primary m1 4 + m2 8 (sum 12) takes 6 → dynamic 2/4', () => {
    const sel = [cand('m1', 4, { tier: 0 }), cand('m2', 8, { tier: 0 }), cand('m3', 100, { tier: 1 })];
    expect(counts(divideWithOverflow('DynamicWeight', 6, sel, [], ''))).toEqual({ m1: 2, m2: 4 });
  });

  it('previous assignments in a tier are respected: {m1:5, m2:3} with 8 replicas stays m1 5, m2 3', () => {
    const sel = [cand('m1', 0, { tier: 0, held: 5 }), cand('m2', 10, { tier: 1, held: 3 })];
    expect(counts(divideWithOverflow('DynamicWeight', 8, sel, prev({ m1: 5, m2: 3 }), ''))).toEqual({ m1: 5, m2: 3 });
  });

  it('scale down that fits the primary tier drops the overflow replicas: {m1:5, m2:3} → 4 → m1 4', () => {
    const sel = [cand('m1', 0, { tier: 0, held: 5 }), cand('m2', 10, { tier: 1, held: 3 })];
    expect(counts(divideWithOverflow('DynamicWeight', 4, sel, prev({ m1: 5, m2: 3 }), ''))).toEqual({ m1: 4 });
  });

  it('all tiers exhausted → "Clusters available replicas are not enough to schedule."', () => {
    const sel = [cand('m1', 2, { tier: 0 }), cand('m2', 3, { tier: 1 })];
    const e = scheduleError(() => divideWithOverflow('Aggregated', 6, sel, [], ''));
    expect(e.reason).toBe('Unschedulable');
    expect(e.message).toBe('Clusters available replicas are not enough to schedule.');
  });

  it('accepts a tier-division callback (static weights inside each tier)', () => {
    const sel = [cand('a', 3, { tier: 0 }), cand('b', 3, { tier: 0 }), cand('c', 10, { tier: 1 })];
    const seen: number[] = [];
    const r = divideWithOverflow(
      (n, tier) => {
        seen.push(n);
        return divideByStaticWeight(n, tier, undefined, '');
      },
      8,
      sel,
      [],
    );
    expect(seen).toEqual([6, 2]);
    expect(counts(r)).toEqual({ a: 3, b: 3, c: 2 });
  });
});

describe('enforceMaxSkew (flotilla extension)', () => {
  const region: Record<string, string> = { a: 'us', b: 'us', c: 'eu', d: 'eu', e: 'ap' };
  const groupOf = (n: string) => region[n]!;

  it('us 8 (a 6, b 2) vs eu 2 (c 2), maxSkew 2 → two replicas a → c: a 4, b 2, c 4', () => {
    const r = enforceMaxSkew(prev({ a: 6, b: 2, c: 2 }), groupOf, 2, 'region');
    expect(counts(r)).toEqual({ a: 4, b: 2, c: 4 });
    expect(r.steps[0]).toBe('maxSkew 2 by region: moved 2 from a (us) to c (eu) → group totals eu 4, us 6');
  });

  it('takes from the fullest cluster, name descending on ties (a 3, b 3 → b first); gives to a 0-replica cluster listed', () => {
    const r = enforceMaxSkew(prev({ a: 3, b: 3, c: 0 }), groupOf, 1, 'region');
    expect(counts(r)).toEqual({ a: 2, b: 1, c: 3 });
  });

  it('gives to the emptiest cluster of the smallest group, name ascending on ties (c 1, d 1 → c)', () => {
    const r = enforceMaxSkew(prev({ a: 6, c: 1, d: 1 }), groupOf, 2, 'region');
    expect(counts(r)).toEqual({ a: 5, c: 2, d: 1 });
  });

  it('three groups: us 9, eu 0+0 (c, d listed), ap 3, maxSkew 1 → totals 4/4/4', () => {
    const r = enforceMaxSkew(prev({ a: 9, c: 0, d: 0, e: 3 }), groupOf, 1, 'region');
    expect(counts(r)).toEqual({ a: 4, c: 2, d: 2, e: 4 });
  });

  it('largest groups tie → name ascending decides which gives (eu 5 = us 5 vs ap 1, maxSkew 3 → c gives: a 5, c 4, e 2)', () => {
    expect(counts(enforceMaxSkew(prev({ a: 5, c: 5, e: 1 }), groupOf, 3, 'region'))).toEqual({ a: 5, c: 4, e: 2 });
    expect(counts(enforceMaxSkew(prev({ a: 5, c: 5, e: 1 }), groupOf, 2, 'region'))).toEqual({ a: 4, c: 4, e: 3 });
  });

  it('already within maxSkew → unchanged, explained', () => {
    const r = enforceMaxSkew(prev({ a: 3, c: 2 }), groupOf, 1, 'region');
    expect(counts(r)).toEqual({ a: 3, c: 2 });
    expect(r.steps[0]).toContain('already within');
  });

  it('groups with no cluster in the list are not considered (only us listed → no move)', () => {
    expect(counts(enforceMaxSkew(prev({ a: 7, b: 1 }), groupOf, 1, 'region'))).toEqual({ a: 7, b: 1 });
  });

  it('maxSkew 0 with 5 replicas over two groups cannot be met exactly → 3/2, conserved, explained', () => {
    const r = enforceMaxSkew(prev({ a: 5, c: 0 }), groupOf, 0, 'region');
    expect(counts(r)).toEqual({ a: 3, c: 2 });
    expect(r.steps.join('\n')).toContain('cannot be met exactly');
  });

  it('a cluster emptied by the moves is dropped', () => {
    const r = enforceMaxSkew(prev({ a: 1, b: 1, c: 0 }), groupOf, 0, 'region');
    expect(r.clusters).toEqual([
      { name: 'a', replicas: 1 },
      { name: 'c', replicas: 1 },
    ]);
  });
});

describe('divideHpaBounds (flotilla extension)', () => {
  it('seed: split spot 8 / ondemand 2, min 3 max 20 → spot 2..16, ondemand 1..4', () => {
    expect(divideHpaBounds(3, 20, prev({ spot: 8, ondemand: 2 }), '')).toEqual([
      { name: 'ondemand', minReplicas: 1, maxReplicas: 4 },
      { name: 'spot', minReplicas: 2, maxReplicas: 16 },
    ]);
  });

  it('bound smaller than the cluster count still gives every cluster 1 (min 1 over 3 clusters → 1 each)', () => {
    expect(divideHpaBounds(1, 2, prev({ a: 5, b: 3, c: 1 }), '')).toEqual([
      { name: 'a', minReplicas: 1, maxReplicas: 1 },
      { name: 'b', minReplicas: 1, maxReplicas: 1 },
      { name: 'c', minReplicas: 1, maxReplicas: 1 },
    ]);
  });

  it('equal split 5:5, min 3 max 9 → ties follow the uid (empty: a first; odd hash: b first)', () => {
    expect(divideHpaBounds(3, 9, prev({ a: 5, b: 5 }), '')).toEqual([
      { name: 'a', minReplicas: 2, maxReplicas: 5 },
      { name: 'b', minReplicas: 1, maxReplicas: 4 },
    ]);
    expect(divideHpaBounds(3, 9, prev({ a: 5, b: 5 }), uidWithParity(true))).toEqual([
      { name: 'a', minReplicas: 1, maxReplicas: 4 },
      { name: 'b', minReplicas: 2, maxReplicas: 5 },
    ]);
  });

  it('no clusters → no bounds', () => {
    expect(divideHpaBounds(1, 5, [], '')).toEqual([]);
  });
});
