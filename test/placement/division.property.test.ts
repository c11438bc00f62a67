import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  divideByAvailability,
  divideByStaticWeight,
  divideHpaBounds,
  divideWithOverflow,
  enforceMaxSkew,
} from '../../src/placement/division.js';
import type { DivisionResult } from '../../src/placement/division.js';
import { ScheduleError } from '../../src/placement/candidate.js';
import type { Candidate } from '../../src/placement/candidate.js';
import type { StaticClusterWeight, TargetCluster } from '../../src/model/types.js';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

interface Scenario {
  selected: Candidate[];
  previous: TargetCluster[];
  replicas: number;
  uid: string;
}

/**
 * Selected candidates with consistent numbers (available = allocatable + previously held), a
 * previous result that may name unselected clusters.
 */
const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    clusters: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...NAMES),
        allocatable: fc.integer({ min: 0, max: 40 }),
        held: fc.integer({ min: 0, max: 20 }),
        selected: fc.boolean(),
        tier: fc.integer({ min: 0, max: 2 }),
      }),
      { selector: (c) => c.name, minLength: 1 },
    ),
    replicas: fc.integer({ min: 0, max: 120 }),
    uid: fc.constantFrom('', 'uid-a', 'uid-b', 'uid-c'),
  })
  .filter(({ clusters }) => clusters.some((c) => c.selected))
  .map(({ clusters, replicas, uid }) => ({
    selected: clusters
      .filter((c) => c.selected)
      .map((c) => ({
        cluster: {
          name: c.name,
          labels: {},
          provider: '',
          region: '',
          zones: [],
          taints: [],
          ready: true,
          deleting: false,
          fleets: [],
          sources: [],
        },
        score: 0,
        allocatableReplicas: c.allocatable,
        availableReplicas: c.allocatable + c.held,
        overflowTier: c.tier,
      })),
    previous: clusters.filter((c) => c.held > 0).map((c) => ({ name: c.name, replicas: c.held })),
    replicas,
    uid,
  }));

const weightsArb: fc.Arbitrary<StaticClusterWeight[]> = fc.array(
  fc.record({
    targetCluster: fc.record({ clusterNames: fc.subarray(NAMES, { minLength: 1 }) }),
    weight: fc.integer({ min: 0, max: 9 }),
  }),
  { maxLength: 6 },
);

/** Runs a division, returning undefined for a ScheduleError (other errors fail the property). */
function attempt(fn: () => DivisionResult): DivisionResult | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ScheduleError) return undefined;
    throw e;
  }
}

function checkShape(result: DivisionResult, s: Scenario): void {
  const names = result.clusters.map((c) => c.name);
  expect(names).toEqual([...names].sort());
  expect(new Set(names).size).toBe(names.length);
  const selected = new Set(s.selected.map((c) => c.cluster.name));
  for (const c of result.clusters) {
    expect(selected.has(c.name)).toBe(true);
    expect(c.replicas).toBeGreaterThan(0);
  }
  expect(result.clusters.reduce((n, c) => n + (c.replicas ?? 0), 0)).toBe(s.replicas);
}

const divisions: Array<[string, (s: Scenario, w: StaticClusterWeight[]) => DivisionResult]> = [
  ['static weight', (s, w) => divideByStaticWeight(s.replicas, s.selected, w, s.uid)],
  ['default static weight', (s) => divideByStaticWeight(s.replicas, s.selected, undefined, s.uid)],
  ['dynamic weight', (s) => divideByAvailability('DynamicWeight', s.replicas, s.selected, s.previous, s.uid)],
  ['aggregated', (s) => divideByAvailability('Aggregated', s.replicas, s.selected, s.previous, s.uid)],
  ['dynamic weight, fresh', (s) => divideByAvailability('DynamicWeight', s.replicas, s.selected, s.previous, s.uid, true)],
  ['aggregated, fresh', (s) => divideByAvailability('Aggregated', s.replicas, s.selected, s.previous, s.uid, true)],
  ['overflow dynamic', (s) => divideWithOverflow('DynamicWeight', s.replicas, s.selected, s.previous, s.uid)],
  ['overflow aggregated', (s) => divideWithOverflow('Aggregated', s.replicas, s.selected, s.previous, s.uid)],
];

describe('Divided strategies (properties)', () => {
  for (const [label, divide] of divisions) {
    it(`${label}: replicas conserved, only selected clusters, sorted by name, no 0 entries, deterministic`, () => {
      fc.assert(
        fc.property(scenario, weightsArb, (s, w) => {
          const first = attempt(() => divide(s, w));
          const again = attempt(() => divide(s, w));
          expect(again).toEqual(first);
          if (first) checkShape(first, s);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('static weights never give replicas to a weight-0 cluster (when some selected cluster has weight > 0)', () => {
    fc.assert(
      fc.property(scenario, weightsArb, (s, w) => {
        const weightOf = (name: string) =>
          Math.max(0, ...w.filter((r) => r.targetCluster.clusterNames!.includes(name)).map((r) => r.weight));
        const anyWeighted = s.selected.some((c) => weightOf(c.cluster.name) > 0);
        const result = divideByStaticWeight(s.replicas, s.selected, w, s.uid);
        if (anyWeighted) for (const c of result.clusters) expect(weightOf(c.name)).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('static weights never fail and ignore the previous result', () => {
    fc.assert(
      fc.property(scenario, weightsArb, (s, w) => {
        expect(() => divideByStaticWeight(s.replicas, s.selected, w, s.uid)).not.toThrow();
      }),
    );
  });

  it('steady dynamic/aggregated fail exactly when Σ available (allocatable + held) < replicas — in the scale-up direction', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const held = s.previous.filter((p) => s.selected.some((c) => c.cluster.name === p.name)).reduce((n, p) => n + (p.replicas ?? 0), 0);
        const available = s.selected.reduce((n, c) => n + c.availableReplicas, 0);
        for (const mode of ['DynamicWeight', 'Aggregated'] as const) {
          const result = attempt(() => divideByAvailability(mode, s.replicas, s.selected, s.previous, s.uid));
          if (held >= s.replicas) expect(result).toBeDefined();
          else expect(result === undefined).toBe(available < s.replicas);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('overflow fails exactly when Σ available over all tiers < replicas', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const available = s.selected.reduce((n, c) => n + c.availableReplicas, 0);
        const result = attempt(() => divideWithOverflow('DynamicWeight', s.replicas, s.selected, s.previous, s.uid));
        expect(result === undefined).toBe(available < s.replicas);
      }),
      { numRuns: 300 },
    );
  });

  it('steady scale up never takes replicas away from a cluster that keeps being selected', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const held = new Map(
          s.previous.filter((p) => s.selected.some((c) => c.cluster.name === p.name)).map((p) => [p.name, p.replicas ?? 0]),
        );
        const total = [...held.values()].reduce((a, b) => a + b, 0);
        if (total > s.replicas) return;
        const result = attempt(() => divideByAvailability('DynamicWeight', s.replicas, s.selected, s.previous, s.uid));
        if (!result) return;
        const got = new Map(result.clusters.map((c) => [c.name, c.replicas ?? 0]));
        for (const [name, n] of held) expect(got.get(name) ?? 0).toBeGreaterThanOrEqual(n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('enforceMaxSkew (properties)', () => {
  const arb = fc.record({
    counts: fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), replicas: fc.integer({ min: 0, max: 30 }) }), {
      selector: (c) => c.name,
      minLength: 1,
    }),
    groups: fc.func(fc.constantFrom('east', 'west', 'north')),
    maxSkew: fc.integer({ min: 0, max: 5 }),
  });

  it('conserves replicas, keeps the clusters given, and ends within maxSkew (or 1 apart when maxSkew is 0)', () => {
    fc.assert(
      fc.property(arb, ({ counts, groups, maxSkew }) => {
        const groupOf = (n: string) => groups(n);
        const result = enforceMaxSkew(counts, groupOf, maxSkew, 'region');
        const total = counts.reduce((n, c) => n + c.replicas, 0);
        expect(result.clusters.reduce((n, c) => n + (c.replicas ?? 0), 0)).toBe(total);
        const names = new Set(counts.map((c) => c.name));
        for (const c of result.clusters) expect(names.has(c.name)).toBe(true);
        const totals = new Map<string, number>();
        for (const c of counts) totals.set(groupOf(c.name), 0);
        for (const c of result.clusters) totals.set(groupOf(c.name), totals.get(groupOf(c.name))! + (c.replicas ?? 0));
        const spread = Math.max(...totals.values()) - Math.min(...totals.values());
        expect(spread).toBeLessThanOrEqual(Math.max(maxSkew, 1));
        expect(enforceMaxSkew(counts, groupOf, maxSkew, 'region')).toEqual(result);
      }),
    );
  });
});

describe('divideHpaBounds (properties)', () => {
  it('each cluster gets 1 ≤ min ≤ max, and the totals are max(bound, #clusters)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), replicas: fc.integer({ min: 0, max: 50 }) }), {
          selector: (c) => c.name,
          minLength: 1,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom('', 'uid-a', 'uid-b'),
        (split, min, extra, uid) => {
          const max = min + extra;
          const bounds = divideHpaBounds(min, max, split, uid);
          expect(bounds.map((b) => b.name)).toEqual(split.map((s) => s.name).sort());
          for (const b of bounds) {
            expect(b.minReplicas).toBeGreaterThanOrEqual(1);
            expect(b.minReplicas).toBeLessThanOrEqual(b.maxReplicas);
          }
          expect(bounds.reduce((n, b) => n + b.minReplicas, 0)).toBe(Math.max(min, split.length));
          expect(bounds.reduce((n, b) => n + b.maxReplicas, 0)).toBe(Math.max(max, split.length));
        },
      ),
    );
  });
});
