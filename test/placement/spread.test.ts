// selectClusters end to end: Karmada's select_clusters_test.go (TestSelectBestClusters) and
// util_test.go (Test_sortClusters) re-expressed, the seed's fleet default placement, flotilla's
// maxSkew extension and the reasons `flotilla explain` shows.
import { describe, it, expect } from 'vitest';
import {
  needReplicasFor,
  selectClusters,
  shouldIgnoreSpreadConstraints,
  selectBestClustersByCluster,
  constraintsByField,
} from '../../src/placement/spread.js';
import { ScheduleError, sortCandidates, type Candidate } from '../../src/placement/candidate.js';
import type { Placement } from '../../src/model/types.js';
import { aggregated, cand, defaultDivided, duplicated, dynamicWeight, names, placement, spread } from './spread-fixtures.js';

/** The error selectClusters throws, for asserting reason and message together. */
function failure(fn: () => unknown): { reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScheduleError) return { reason: e.reason, message: e.message };
    throw e;
  }
  throw new Error('expected a ScheduleError');
}

/** Karmada's generateClusterInfo: already in candidate order (score desc). */
const karmadaClusters = (): Candidate[] => [
  cand('member4', { score: 60, available: 50, provider: 'P2', region: 'R2', zone: 'Z2' }),
  cand('member2', { score: 40, available: 60, provider: 'P1', region: 'R1', zone: 'Z2' }),
  cand('member3', { score: 30, available: 80, provider: 'P2', region: 'R1', zone: 'Z1' }),
  cand('member1', { score: 20, available: 40, provider: 'P1', region: 'R1', zone: 'Z1' }),
];

const staticWeighted: Placement['replicaScheduling'] = {
  replicaSchedulingType: 'Divided',
  replicaDivisionPreference: 'Weighted',
  weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['member1'] }, weight: 2 }] },
};

describe('shouldIgnoreSpreadConstraints', () => {
  const c = [spread('cluster', 1, 2)];
  it('no spread constraints → ignored', () => {
    expect(shouldIgnoreSpreadConstraints(placement([], aggregated))).toBe(true);
  });
  it('static weight list without dynamicWeight → ignored', () => {
    expect(shouldIgnoreSpreadConstraints(placement(c, staticWeighted))).toBe(true);
  });
  it('Divided + Weighted without weightPreference (every cluster weight 1) → ignored', () => {
    expect(shouldIgnoreSpreadConstraints(placement(c, defaultDivided))).toBe(true);
  });
  it('Divided with no division preference counts as Weighted → ignored', () => {
    expect(shouldIgnoreSpreadConstraints(placement(c, { replicaSchedulingType: 'Divided' }))).toBe(true);
  });
  it('dynamicWeight wins over a static list → not ignored', () => {
    const both: Placement['replicaScheduling'] = {
      ...staticWeighted!,
      weightPreference: { ...staticWeighted!.weightPreference, dynamicWeight: 'AvailableReplicas' },
    };
    expect(shouldIgnoreSpreadConstraints(placement(c, both))).toBe(false);
  });
  it('empty static list without dynamicWeight → not ignored (Karmada checks the list is non-empty)', () => {
    expect(shouldIgnoreSpreadConstraints(placement(c, { ...defaultDivided!, weightPreference: { staticWeightList: [] } }))).toBe(false);
  });
  it('Aggregated, Duplicated and absent replicaScheduling → not ignored', () => {
    expect(shouldIgnoreSpreadConstraints(placement(c, aggregated))).toBe(false);
    expect(shouldIgnoreSpreadConstraints(placement(c, duplicated))).toBe(false);
    expect(shouldIgnoreSpreadConstraints(placement(c))).toBe(false);
  });
});

describe('needReplicasFor', () => {
  it('Duplicated or absent replicaScheduling → −1 (no capacity check); Divided → the replicas', () => {
    expect(needReplicasFor(placement([]), 7)).toBe(-1);
    expect(needReplicasFor(placement([], duplicated), 7)).toBe(-1);
    expect(needReplicasFor(placement([], aggregated), 7)).toBe(7);
    expect(needReplicasFor(placement([], dynamicWeight), 0)).toBe(0);
  });
});

describe('selectClusters by cluster (Karmada TestSelectBestClusters)', () => {
  const top2 = [spread('cluster', 1, 2)];

  it('no replicaScheduling (Duplicated), maxGroups 2, 100 replicas → top 2 by score: member4, member2', () => {
    expect(names(selectClusters(karmadaClusters(), placement(top2), 100).selected)).toEqual(['member4', 'member2']);
  });

  it('Duplicated ignores capacity: 120 replicas, top 2 hold only 110 → still member4, member2', () => {
    expect(names(selectClusters(karmadaClusters(), placement(top2, duplicated), 120).selected)).toEqual(['member4', 'member2']);
  });

  it('static weight ignores spread constraints → all 4 clusters', () => {
    const r = selectClusters(karmadaClusters(), placement(top2, staticWeighted), 120);
    expect(names(r.selected)).toEqual(['member4', 'member2', 'member3', 'member1']);
    expect(r.dropped.size).toBe(0);
    expect(r.steps.join('\n')).toMatch(/static weighted/);
  });

  it('Divided 120 replicas: top 2 hold 50+60 = 110, member2 (60) is swapped for member3 (80) → member4, member3 (130)', () => {
    const r = selectClusters(karmadaClusters(), placement(top2, aggregated), 120);
    expect(names(r.selected)).toEqual(['member4', 'member3']);
    expect(r.dropped.get('member2')).toMatch(/swapped out for member3 \(80 available replicas > 60\)/);
    expect(r.dropped.get('member1')).toBe(
      'not among the top 2 clusters allowed by spreadConstraints maxGroups 2 (score 20, 3 ranked higher)',
    );
    expect(r.steps.join('\n')).toMatch(
      /110 available replicas, fewer than the 120 needed; swapped member2 \(60\) for member3 \(80\) → 130/,
    );
  });

  it('Divided 200 replicas: no pair holds 200 → Unschedulable "no enough resource when selecting 2 clusters"', () => {
    expect(failure(() => selectClusters(karmadaClusters(), placement(top2, dynamicWeight), 200))).toEqual({
      reason: 'Unschedulable',
      message: 'no enough resource when selecting 2 clusters',
    });
  });

  it('minGroups 7 with 4 candidates → "the number of feasible clusters is less than spreadConstraint.MinGroups"', () => {
    expect(failure(() => selectClusters(karmadaClusters(), placement([spread('cluster', 7, 7)]), 30))).toEqual({
      reason: 'SpreadConstraint',
      message: 'the number of feasible clusters is less than spreadConstraint.MinGroups',
    });
  });
});

describe('selectClusters capacity swaps (select_clusters_by_cluster.go)', () => {
  it('swaps walk from the last position to the first: a(10) b(50) | c(60), 105 needed → b, c (110); a dropped', () => {
    const cs = [cand('a', { score: 100, available: 10 }), cand('b', { score: 50, available: 50 }), cand('c', { available: 60 })];
    const r = selectClusters(cs, placement([spread('cluster', 1, 2)], aggregated), 105);
    expect(names(r.selected)).toEqual(['b', 'c']);
    expect([...r.dropped.keys()]).toEqual(['a']);
    expect(r.dropped.get('a')).toMatch(/^swapped out for b \(50 available replicas > 10\)/);
  });

  it('a(10) b(50) | c(60), 115 needed: after both swaps b+c hold 110 < 115 → error', () => {
    const cs = [cand('a', { score: 100, available: 10 }), cand('b', { score: 50, available: 50 }), cand('c', { available: 60 })];
    expect(failure(() => selectClusters(cs, placement([spread('cluster', 1, 2)], aggregated), 115)).message).toBe(
      'no enough resource when selecting 2 clusters',
    );
  });

  it('ties among replacements go to the first in candidate order: a(10) | b(30) c(30), 25 needed → b', () => {
    const cs = [cand('a', { score: 100, available: 10 }), cand('b', { available: 30 }), cand('c', { available: 30 })];
    const pick = selectBestClustersByCluster(cs, constraintsByField(placement([spread('cluster', 1, 1)])).get('cluster')!, 25);
    expect(names(pick.selected)).toEqual(['b']);
    expect(pick.swaps.map((s) => [s.out.cluster.name, s.in.cluster.name])).toEqual([['a', 'b']]);
  });

  it('enough capacity in the top n → no swap even if others have more: a(30) | b(90), 20 needed → a', () => {
    const cs = [cand('a', { score: 100, available: 30 }), cand('b', { available: 90 })];
    const r = selectClusters(cs, placement([spread('cluster', 1, 1)], aggregated), 20);
    expect(names(r.selected)).toEqual(['a']);
    expect(r.steps).toHaveLength(1);
  });
});

describe('selectClusters: the seed’s fleet default placement', () => {
  it(
    'spread {maxGroups 2, minGroups 1}, Duplicated: hangzhou (60), shanghai (60) selected; ' + 'frankfurt (0) dropped naming maxGroups 2',
    () => {
      const candidates = sortCandidates([
        cand('frankfurt', { score: 0, available: 3, region: 'eu-central' }),
        cand('shanghai', { score: 60, available: 3, region: 'cn-east' }),
        cand('hangzhou', { score: 60, available: 3, region: 'cn-east' }),
      ]);
      // The loader defaults spreadByField to cluster; leave it out to check the defensive default too.
      const r = selectClusters(candidates, placement([{ maxGroups: 2, minGroups: 1 }], duplicated), 3);
      expect(names(r.selected)).toEqual(['hangzhou', 'shanghai']);
      expect(Object.fromEntries(r.dropped)).toEqual({
        frankfurt: 'not among the top 2 clusters allowed by spreadConstraints maxGroups 2 (score 0, 2 ranked higher)',
      });
      expect(r.steps).toEqual(['spread by cluster: maxGroups 2 keeps the top 2 of 3 candidates']);
    },
  );
});

describe('selectClusters: maxGroups 0 and the maxSkew extension', () => {
  const three = () => [cand('a', { score: 100, available: 5 }), cand('b', { available: 5 }), cand('c', { available: 5 })];

  it('Duplicated, cluster maxGroups 0 → nothing selected, every candidate dropped (caller reports no clusters available)', () => {
    const r = selectClusters(three(), placement([spread('cluster', 1, 0)], duplicated), 3);
    expect(r.selected).toEqual([]);
    expect([...r.dropped.keys()]).toEqual(['a', 'b', 'c']);
    expect(r.dropped.get('a')).toBe('spreadConstraints maxGroups 0 allows no cluster');
  });

  it('Divided, cluster maxGroups 0 → "no enough resource when selecting 0 clusters", as Karmada', () => {
    expect(failure(() => selectClusters(three(), placement([spread('cluster', 1, 0)], aggregated), 3))).toEqual({
      reason: 'Unschedulable',
      message: 'no enough resource when selecting 0 clusters',
    });
  });

  it('Divided, cluster maxGroups 0, 0 replicas (non-workload) → still "no enough resource when selecting 0 clusters"', () => {
    expect(failure(() => selectClusters(three(), placement([spread('cluster', 1, 0)], aggregated), 0)).message).toBe(
      'no enough resource when selecting 0 clusters',
    );
  });

  it('maxSkew 1 without maxGroups does not limit the clusters: 3 of 3 selected', () => {
    const r = selectClusters(three(), placement([spread('cluster', 1, 0, { maxSkew: 1 })], aggregated), 3);
    expect(names(r.selected)).toEqual(['a', 'b', 'c']);
    expect(r.steps[0]).toMatch(/no maxGroups \(maxSkew given\) keeps all 3 candidates/);
  });

  it('maxSkew with maxGroups 2 still limits to 2', () => {
    const r = selectClusters(three(), placement([spread('cluster', 1, 2, { maxSkew: 1 })], aggregated), 3);
    expect(names(r.selected)).toEqual(['a', 'b']);
  });

  it('maxSkew without maxGroups on the region constraint allows every region: 3 regions of 1 cluster, 3 clusters needed', () => {
    const cs = [
      cand('a', { region: 'r1', available: 5 }),
      cand('b', { region: 'r2', available: 5 }),
      cand('c', { region: 'r3', available: 5 }),
    ];
    const p = placement([spread('region', 1, 0, { maxSkew: 1 }), spread('cluster', 3, 3)], aggregated);
    expect(names(selectClusters(cs, p, 3).selected)).toEqual(['a', 'b', 'c']);
    // Without maxSkew, region maxGroups 0 allows no region at all.
    expect(failure(() => selectClusters(cs, placement([spread('region', 1, 0), spread('cluster', 3, 3)], aggregated), 3)).message).toBe(
      'the number of clusters is less than the cluster spreadConstraint.MinGroups',
    );
  });
});

describe('selectClusters dispatch (select_clusters.go)', () => {
  const cs = () => karmadaClusters();

  it('only a zone constraint → "just support cluster and region spread constraint"', () => {
    expect(failure(() => selectClusters(cs(), placement([spread('zone', 1, 1)], duplicated), 1))).toEqual({
      reason: 'SpreadConstraint',
      message: 'just support cluster and region spread constraint',
    });
  });

  it('only provider, or only a label constraint → same error', () => {
    expect(failure(() => selectClusters(cs(), placement([spread('provider', 1, 1)]), 1)).message).toBe(
      'just support cluster and region spread constraint',
    );
    expect(failure(() => selectClusters(cs(), placement([{ spreadByLabel: 'team', minGroups: 1, maxGroups: 1 }]), 1)).message).toBe(
      'just support cluster and region spread constraint',
    );
  });

  it('zone and provider constraints beside a cluster one do not select: cluster maxGroups 3 → top 3 by score', () => {
    const p = placement([spread('zone', 1, 1), spread('provider', 1, 1), spread('cluster', 1, 3)], duplicated);
    expect(names(selectClusters(cs(), p, 1).selected)).toEqual(['member4', 'member2', 'member3']);
  });

  it('a region constraint takes precedence over the cluster one', () => {
    // Duplicated 50: R1 has member2 (60) and member3 (80) fitting → 2000+35; R2 only member4 → 1060.
    const p = placement([spread('cluster', 2, 2), spread('region', 1, 1)], duplicated);
    const r = selectClusters(cs(), p, 50);
    expect(names(r.selected)).toEqual(['member2', 'member3']);
    expect(r.steps[0]).toBe(
      'spread by region: 2 regions scored (docs/reference/semantics.md §3.6): R1 2035 (3 clusters), R2 1060 (1 cluster)',
    );
    expect(r.dropped.get('member4')).toMatch(/^region R2 not chosen by spreadConstraints \(region minGroups 1, maxGroups 1\): R1 chosen/);
    expect(r.dropped.get('member1')).toMatch(/^region R1 chosen, but not among the 1 more cluster allowed by cluster maxGroups 2/);
  });

  it('with duplicate constraints for one field, the last one counts (Karmada keys them by field)', () => {
    const p = placement([spread('cluster', 1, 1), spread('cluster', 1, 3)], duplicated);
    expect(selectClusters(cs(), p, 1).selected).toHaveLength(3);
  });
});

describe('selectClusters by region (select_clusters_by_region.go)', () => {
  it('Divided 100 over 2 regions: R1 holds the best-scored cluster but only 40 of the 50 per region → R2 and R3 chosen', () => {
    const candidates = sortCandidates([
      cand('a', { region: 'R1', score: 100, available: 30 }),
      cand('b', { region: 'R1', score: 0, available: 10 }),
      cand('c', { region: 'R2', score: 0, available: 60 }),
      cand('d', { region: 'R3', score: 0, available: 45 }),
      cand('e', { region: 'R3', score: 0, available: 20 }),
    ]);
    const r = selectClusters(candidates, placement([spread('region', 2, 2), spread('cluster', 2, 3)], aggregated), 100);
    expect(names(r.selected)).toEqual(['c', 'd', 'e']);
    expect(r.steps[0]).toContain('R2 50000 (1 cluster), R3 50000 (2 clusters), R1 40050 (2 clusters)');
    expect(r.steps[1]).toMatch(/chose R2, R3/);
    expect(r.dropped.get('a')).toMatch(/^region R1 not chosen/);
    expect(r.dropped.get('b')).toMatch(/^region R1 not chosen/);
  });

  it('a cluster without a region is never selected by region (the filter normally removes it first)', () => {
    const candidates = [cand('a', { region: 'R1', available: 1 }), cand('nowhere', { available: 1 })];
    const r = selectClusters(candidates, placement([spread('region', 1, 1), spread('cluster', 1, 2)], duplicated), 1);
    expect(names(r.selected)).toEqual(['a']);
    expect(r.dropped.get('nowhere')).toBe('has no region, so spreadConstraints by region cannot place it');
  });

  it('region constraint without a cluster one: flotilla proceeds as if the cluster constraint had no limits', () => {
    const candidates = [
      cand('a', { region: 'R1', available: 1 }),
      cand('b', { region: 'R1', available: 1 }),
      cand('c', { region: 'R2', available: 1 }),
    ];
    const r = selectClusters(candidates, placement([spread('region', 1, 1)], duplicated), 1);
    // R1: 2 fitting clusters (2000) beats R2 (1000); every cluster of R1 is kept.
    expect(names(r.selected)).toEqual(['a', 'b']);
  });

  it(
    "selected clusters come back in Karmada's region order (best of R1, best of R2, then the " +
      'fill), which division tie-breaks depend on',
    () => {
      const candidates = [
        cand('x', { region: 'R2', score: 100, available: 1 }),
        cand('y', { region: 'R1', score: 0, available: 1 }),
        cand('z', { region: 'R1', score: 0, available: 1 }),
      ];
      // Duplicated 1: R1 = 2000, R2 = 1100; both chosen (min 2), R1 first in Karmada's order.
      const r = selectClusters(candidates, placement([spread('region', 2, 2), spread('cluster', 2, 3)], duplicated), 1);
      expect(names(r.selected)).toEqual(['y', 'x', 'z']);
    },
  );
});

describe('sortCandidates (Karmada Test_sortClusters, Test_GroupClustersWithScore)', () => {
  it('different scores: b (2) before a (1)', () => {
    expect(names(sortCandidates([cand('a', { score: 1 }), cand('b', { score: 2 })]))).toEqual(['b', 'a']);
  });

  it('same score: more available replicas first — b (10) before a (5)', () => {
    expect(names(sortCandidates([cand('a', { score: 1, available: 5 }), cand('b', { score: 1, available: 10 })]))).toEqual(['b', 'a']);
  });

  it('same score and availability: name ascending', () => {
    expect(names(sortCandidates([cand('b', { score: 1, available: 5 }), cand('a', { score: 1, available: 5 })]))).toEqual(['a', 'b']);
  });

  it('overflow tier comes before score: tier 0 (score 0) before tier 1 (score 100)', () => {
    expect(names(sortCandidates([cand('hi', { score: 100, tier: 1 }), cand('lo', { score: 0, tier: 0 })]))).toEqual(['lo', 'hi']);
  });

  it('Karmada’s four members with scores 20, 40, 30, 60 (available 100 each) → member4, member2, member3, member1', () => {
    const cs = [
      cand('member1', { score: 20, available: 100 }),
      cand('member2', { score: 40, available: 100 }),
      cand('member3', { score: 30, available: 100 }),
      cand('member4', { score: 60, available: 100 }),
    ];
    expect(names(sortCandidates(cs))).toEqual(['member4', 'member2', 'member3', 'member1']);
  });

  it('does not reorder its input', () => {
    const cs = [cand('a', { score: 1 }), cand('b', { score: 2 })];
    sortCandidates(cs);
    expect(names(cs)).toEqual(['a', 'b']);
  });
});
