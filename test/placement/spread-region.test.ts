// Port of Karmada's select_clusters_by_region_test.go (Test_selectBestClustersByRegion): region
// scores are given directly, as in Karmada's table, so only the region/cluster choice is tested.
import { describe, it, expect } from 'vitest';
import { constraintsByField, groupByRegion, selectBestClustersByRegion, type RegionGroup } from '../../src/placement/spread.js';
import { ScheduleError } from '../../src/placement/candidate.js';
import { cand, duplicated, names, placement, spread } from './spread-fixtures.js';
import type { SpreadField } from '../../src/model/types.js';

const constraint = (field: SpreadField, min: number, max: number) => constraintsByField(placement([spread(field, min, max)])).get(field)!;

function region(name: string, score: number, clusters: Array<[string, number, number]>): RegionGroup {
  return { name, score, clusters: clusters.map(([n, s, a]) => cand(n, { score: s, available: a, region: name })) };
}

const twoRegions = () => [
  region('R1', 100, [
    ['member1', 100, 40],
    ['member2', 80, 40],
  ]),
  region('R2', 80, [
    ['member3', 80, 40],
    ['member4', 80, 40],
    ['member5', 60, 40],
  ]),
];

function pick(regions: RegionGroup[], regionMinMax: [number, number], clusterMinMax: [number, number]) {
  return selectBestClustersByRegion(regions, constraint('region', ...regionMinMax), constraint('cluster', ...clusterMinMax));
}

describe('selectBestClustersByRegion (Karmada Test_selectBestClustersByRegion)', () => {
  it('1 region, 2 clusters: the higher-scored region R1 (100) holds 2 → member1, member2', () => {
    expect(names(pick(twoRegions(), [1, 1], [2, 2]).selected)).toEqual(['member1', 'member2']);
  });

  it('1 region, 3 clusters: only R2 has 3 → member3, member4, member5', () => {
    expect(names(pick(twoRegions(), [1, 1], [3, 3]).selected)).toEqual(['member3', 'member4', 'member5']);
  });

  it('2 regions, 4..5 clusters: R1+R2 (1+3 clusters, weight 160) is the heaviest pair holding 4 → member1..member4', () => {
    const regions = [
      region('R1', 90, [['member1', 90, 40]]),
      region('R2', 70, [
        ['member2', 70, 40],
        ['member3', 60, 40],
        ['member4', 30, 40],
      ]),
      region('R3', 80, [
        ['member5', 80, 40],
        ['member6', 50, 60],
      ]),
      region('R4', 50, [
        ['member7', 50, 50],
        ['member8', 40, 50],
        ['member9', 10, 50],
        ['member10', 0, 50],
      ]),
    ];
    expect(names(pick(regions, [2, 2], [4, 5]).selected)).toEqual(['member1', 'member2', 'member3', 'member4']);
  });

  it('1..3 regions, 6..8 clusters: R1+R3+R2 (1+2+3, weight 170, found before R4+R3+R2) → region heads, then fill by score', () => {
    const regions = [
      region('R1', 70, [['member1', 70, 40]]),
      region('R2', 40, [
        ['member2', 40, 40],
        ['member3', 40, 40],
        ['member4', 40, 40],
      ]),
      region('R3', 60, [
        ['member5', 60, 40],
        ['member6', 50, 60],
      ]),
      region('R4', 70, [['member7', 70, 100]]),
      region('R5', 50, [['member8', 50, 50]]),
    ];
    const result = pick(regions, [1, 3], [6, 8]);
    expect(result.regions.map((r) => r.name)).toEqual(['R1', 'R3', 'R2']);
    expect(names(result.selected)).toEqual(['member1', 'member5', 'member2', 'member6', 'member3', 'member4']);
  });

  it('2 regions but region minGroups 3 → "the number of feasible region is less than spreadConstraint.MinGroups"', () => {
    expect(() => pick(twoRegions(), [3, 3], [3, 3])).toThrowError(
      new ScheduleError('SpreadConstraint', 'the number of feasible region is less than spreadConstraint.MinGroups'),
    );
  });

  it(
    '1 region may be used but none holds 4 clusters → "the number of clusters is less than the ' + 'cluster spreadConstraint.MinGroups"',
    () => {
      expect(() => pick(twoRegions(), [1, 1], [4, 4])).toThrowError(
        'the number of clusters is less than the cluster spreadConstraint.MinGroups',
      );
    },
  );

  it('the only region has 2 clusters but 3 are needed → error', () => {
    const only = [
      region('R1', 100, [
        ['member1', 100, 40],
        ['member2', 80, 20],
      ]),
    ];
    expect(() => pick(only, [1, 1], [3, 4])).toThrowError(ScheduleError);
  });

  it('3 regions required but cluster maxGroups 2: one cluster per chosen region is still kept → 3 clusters (Karmada)', () => {
    const regions = [region('R1', 3, [['a', 0, 1]]), region('R2', 2, [['b', 0, 1]]), region('R3', 1, [['c', 0, 1]])];
    expect(names(pick(regions, [3, 3], [1, 2]).selected)).toEqual(['a', 'b', 'c']);
  });

  it('the fill ranks by score, then available replicas, then name — not by region', () => {
    const regions = [
      region('R1', 10, [
        ['r1-head', 100, 1],
        ['r1-low', 0, 5],
      ]),
      region('R2', 5, [
        ['r2-head', 100, 1],
        ['r2-big', 0, 9],
      ]),
    ];
    expect(names(pick(regions, [2, 2], [3, 3]).selected)).toEqual(['r1-head', 'r2-head', 'r2-big']);
  });
});

describe('groupByRegion', () => {
  it('groups in candidate order, skips clusters without a region, scores each region (Duplicated 10: 1 and 2 fitting clusters)', () => {
    const candidates = [
      cand('a', { region: 'east', score: 100, available: 10 }),
      cand('b', { region: 'west', score: 0, available: 20 }),
      cand('c', { region: '', available: 50 }),
      cand('d', { region: 'west', score: 0, available: 10 }),
    ];
    const regions = groupByRegion(candidates, placement([spread('region', 1, 1)], duplicated), 10, 1);
    expect(regions.map((r) => [r.name, names(r.clusters), r.score])).toEqual([
      ['east', ['a'], 1100],
      ['west', ['b', 'd'], 2000],
    ]);
  });
});
