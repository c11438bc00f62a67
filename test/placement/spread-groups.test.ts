// Ports of Karmada's select_groups_test.go (TestSelectGroups) and group_clusters_test.go
// (Test_CalcGroupScore, Test_CalcGroupScoreForDuplicate), plus the worked examples in its comments.
import { describe, it, expect } from 'vitest';
import { calcGroupScore, calcGroupScoreForDuplicate, findFeasiblePaths, selectGroups, type GroupInfo } from '../../src/placement/spread.js';
import type { Candidate } from '../../src/placement/candidate.js';
import { aggregated, cand, defaultDivided, duplicated, dynamicWeight, placement, spread } from './spread-fixtures.js';

const g = (name: string, value: number, weight: number): GroupInfo => ({ name, value, weight });
const groupNames = (gs: GroupInfo[]) => gs.map((x) => x.name);

describe('selectGroups (Karmada TestSelectGroups)', () => {
  it('no groups → nothing chosen', () => {
    expect(selectGroups([], 2, 3, 1)).toEqual([]);
  });

  it('1 group but minGroups 2 → nothing chosen', () => {
    expect(selectGroups([g('R1', 1, 80)], 2, 3, 1)).toEqual([]);
  });

  it('values 1+2 = 3 cannot reach target 4 → nothing chosen', () => {
    expect(selectGroups([g('R1', 1, 80), g('R2', 2, 30)], 2, 3, 4)).toEqual([]);
  });

  it('one group of value 1 reaches target 1 → R1', () => {
    expect(groupNames(selectGroups([g('R1', 1, 80)], 1, 3, 1))).toEqual(['R1']);
  });

  it('target 10 within 3 groups: only R5+R4+R6 (2+5+3) reaches it → R5, R4, R6 (weight desc, name asc)', () => {
    const groups = [g('R1', 1, 80), g('R3', 1, 80), g('R2', 1, 60), g('R5', 2, 60), g('R4', 5, 50), g('R6', 3, 50)];
    expect(groupNames(selectGroups(groups, 1, 3, 10))).toEqual(['R5', 'R4', 'R6']);
  });

  it('target 5, min 2: R1+R2 (1+4, weight 120) beats longer combinations → R1, R2', () => {
    const groups = [g('R1', 1, 80), g('R2', 4, 40), g('R3', 1, 30), g('R4', 3, 30), g('R5', 3, 20), g('R6', 5, 10)];
    expect(groupNames(selectGroups(groups, 2, 6, 5))).toEqual(['R1', 'R2']);
  });

  it('target 6 within 3 groups: R1+R4+R5 (weight 110) is the heaviest combination → R1, R4, R5', () => {
    const groups = [g('R1', 1, 60), g('R2', 1, 50), g('R3', 1, 40), g('R4', 3, 30), g('R5', 3, 20), g('R6', 3, 10)];
    expect(groupNames(selectGroups(groups, 1, 3, 6))).toEqual(['R1', 'R4', 'R5']);
  });

  it('target 5 within 2 groups: R1+R4 and R2+R3 both weigh 90 and hold 5 → the one found first, R1, R4', () => {
    const groups = [g('R1', 1, 60), g('R2', 2, 50), g('R3', 3, 40), g('R4', 4, 30)];
    expect(groupNames(selectGroups(groups, 1, 2, 5))).toEqual(['R1', 'R4']);
  });

  it('target 5 within 2 groups: R3+R1 (3+3) ties R4+R2 (1+4) on weight 90 but holds more → R3, R1', () => {
    const groups = [g('R4', 1, 60), g('R3', 3, 50), g('R1', 3, 40), g('R2', 4, 30)];
    expect(groupNames(selectGroups(groups, 1, 2, 5))).toEqual(['R3', 'R1']);
  });
});

describe('selectGroups quirks (docs/reference/semantics.md §3.5)', () => {
  it('a lighter combination that is a strict prefix of the heaviest wins: G1+G2+G3 (100) loses to G1+G2 (90)', () => {
    // value order G3(1) G1(2) G2(3): DFS records G3+G1+G2 (6 ≥ 5) first, then G1+G2 (5 ≥ 5).
    const groups = [g('G1', 2, 50), g('G2', 3, 40), g('G3', 1, 10)];
    expect(groupNames(selectGroups(groups, 1, 3, 5))).toEqual(['G1', 'G2']);
  });

  it('a lighter combination that is not a prefix does not win: G3+G1+G2 (150) beats G1+G2 (90)', () => {
    const groups = [g('G1', 2, 50), g('G2', 3, 40), g('G3', 1, 60)];
    expect(groupNames(selectGroups(groups, 1, 3, 5))).toEqual(['G3', 'G1', 'G2']);
  });

  it('a combination is not extended once it qualifies: target 1 never yields a 2-group path', () => {
    const paths = findFeasiblePaths([g('A', 1, 10), g('B', 1, 20)], 1, 2, 1);
    expect(paths.map((p) => groupNames(p.groups))).toEqual([['B'], ['A']]);
  });

  it('target 7 over values 2,3,6,7 with exactly 2 groups → 2+6, 2+7, 3+6, 3+7, 6+7 in that order (Karmada doc example)', () => {
    const groups = [g('v7', 7, 0), g('v3', 3, 0), g('v6', 6, 0), g('v2', 2, 0)];
    const paths = findFeasiblePaths(groups, 2, 2, 7);
    expect(paths.map((p) => [p.id, p.value])).toEqual([
      [1, 8],
      [2, 9],
      [3, 9],
      [4, 10],
      [5, 13],
    ]);
    expect(paths.map((p) => groupNames(p.groups).sort())).toEqual([
      ['v2', 'v6'],
      ['v2', 'v7'],
      ['v3', 'v6'],
      ['v3', 'v7'],
      ['v6', 'v7'],
    ]);
  });

  it('exactly minGroups groups: all are chosen when together they reach the target, none otherwise', () => {
    expect(groupNames(selectGroups([g('A', 1, 10), g('B', 2, 20)], 2, 2, 3))).toEqual(['B', 'A']);
    expect(selectGroups([g('A', 1, 10), g('B', 2, 20)], 2, 2, 4)).toEqual([]);
  });

  it('maxGroups Infinity (unlimited) can take every group: 1+1+1 reaches target 3', () => {
    expect(groupNames(selectGroups([g('A', 1, 1), g('B', 1, 2), g('C', 1, 3)], 1, Infinity, 3))).toEqual(['C', 'B', 'A']);
  });

  it('does not reorder the caller’s array', () => {
    const groups = [g('B', 2, 0), g('A', 1, 0)];
    selectGroups(groups, 1, 2, 3);
    expect(groupNames(groups)).toEqual(['B', 'A']);
  });
});

/** member1..memberN with the given scores and available replicas (Karmada's generateClusterScores). */
function members(scores: number[], available: number[]): Candidate[] {
  return scores.map((score, i) => cand(`member${i + 1}`, { score, available: available[i]! }));
}

describe('calcGroupScoreForDuplicate (Karmada Test_CalcGroupScoreForDuplicate)', () => {
  it('no clusters → 0', () => {
    expect(calcGroupScoreForDuplicate([], 10)).toBe(0);
  });

  it('no cluster holds 10 replicas (5, 5 available) → 0', () => {
    expect(calcGroupScoreForDuplicate(members([50, 50], [5, 5]), 10)).toBe(0);
  });

  it('50 replicas: 2 of 5 clusters fit with mean score 100 → 2·1000 + 100 = 2100; 4 of 4 fit at score 0 → 4000', () => {
    expect(calcGroupScoreForDuplicate(members([100, 100, 100, 100, 100], [60, 70, 40, 30, 10]), 50)).toBe(2100);
    expect(calcGroupScoreForDuplicate(members([0, 0, 0, 0], [60, 60, 60, 60]), 50)).toBe(4000);
  });

  it('50 replicas: both groups have 2 clusters that fit; mean score decides → 2100 vs 2000', () => {
    expect(calcGroupScoreForDuplicate(members([100, 100, 100, 100, 100], [60, 70, 10, 10, 5]), 50)).toBe(2100);
    expect(calcGroupScoreForDuplicate(members([0, 0, 0, 0], [100, 100, 10, 10]), 50)).toBe(2000);
  });

  it('mean score of the fitting clusters is truncated: scores 100,100,0 → 3·1000 + 66 = 3066', () => {
    expect(calcGroupScoreForDuplicate(members([100, 100, 0, 0, 0], [30, 30, 30, 10, 10]), 20)).toBe(3066);
  });
});

describe('calcGroupScore (Karmada Test_CalcGroupScore)', () => {
  const dup = placement([], duplicated);
  const agg = placement([], aggregated);
  const dyn = placement([], dynamicWeight);
  const staticEmpty = placement([], { ...defaultDivided!, weightPreference: { staticWeightList: [] } });

  it('#1 Duplicated 20: all 5 fit (5040) beats 3 fit at higher scores (3100)', () => {
    const s1 = calcGroupScore(members([100, 100, 0, 0, 0], [30, 30, 30, 30, 30]), dup, 20, 0);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [30, 30, 30, 10, 10]), dup, 20, 0);
    expect([s1, s2]).toEqual([5040, 3100]);
  });

  it('#2 Duplicated 20: 3 fit in both; mean score 66 (3066) loses to 100 (3100)', () => {
    const s1 = calcGroupScore(members([100, 100, 0, 0, 0], [30, 30, 30, 10, 10]), dup, 20, 0);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [30, 30, 30, 10, 10]), dup, 20, 0);
    expect([s1, s2]).toEqual([3066, 3100]);
  });

  it('#3 Aggregated 100 over minGroups 2 (target 50): 30+30 reaches it (50100); 10+10+10+5+5 = 40 does not (40100)', () => {
    const s1 = calcGroupScore(members([100, 100, 0, 0, 0], [30, 30, 30, 10, 10]), agg, 100, 2);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [10, 10, 10, 5, 5]), agg, 100, 2);
    expect([s1, s2]).toEqual([50100, 40100]);
  });

  it('#4 dynamic weight 100, minGroups 2: 45 available (45040) beats 40 available (40100)', () => {
    const s1 = calcGroupScore(members([100, 100, 0, 0, 0], [10, 10, 10, 10, 5]), dyn, 100, 2);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [10, 10, 10, 5, 5]), dyn, 100, 2);
    expect([s1, s2]).toEqual([45040, 40100]);
  });

  it('#5 static weight 100, minGroups 2: same 40 available, mean score 40 (40040) loses to 100 (40100)', () => {
    const s1 = calcGroupScore(members([100, 100, 0, 0, 0], [10, 10, 10, 5, 5]), staticEmpty, 100, 2);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [10, 10, 10, 5, 5]), staticEmpty, 100, 2);
    expect([s1, s2]).toEqual([40040, 40100]);
  });

  it('#6 Aggregated 100, minGroups 2: both reach 50 with two clusters; score 100 (50100) beats 0 (50000) despite less capacity', () => {
    const s1 = calcGroupScore(members([0, 0, 0, 0, 0], [100, 100, 100, 100, 100]), agg, 100, 2);
    const s2 = calcGroupScore(members([100, 100, 100, 100, 100], [50, 50, 50, 50, 50]), agg, 100, 2);
    expect([s1, s2]).toEqual([50000, 50100]);
  });

  it('Divided 100 over 2 groups: 10+10+10+10+5 = 45 short (45·1000 + 100 = 45100) loses to 40+30 (50000)', () => {
    expect(calcGroupScore(members([100, 100, 100, 100, 100], [10, 10, 10, 10, 5]), agg, 100, 2)).toBe(45100);
    expect(calcGroupScore(members([0, 0, 0, 0], [40, 30, 10, 10]), agg, 100, 2)).toBe(50000);
  });

  it('Divided 100 over 2 groups: 40+40 at score 100 (50100) beats 100+100 at score 0 (50000)', () => {
    expect(calcGroupScore(members([100, 100, 100, 100, 100], [40, 40, 10, 10, 5]), agg, 100, 2)).toBe(50100);
    expect(calcGroupScore(members([0, 0, 0, 0], [100, 100, 10, 10]), agg, 100, 2)).toBe(50000);
  });

  it('the cluster constraint’s minGroups 3 makes the walk take 3 clusters: 10 replicas, scores 100,0,0 → 10000 + 33', () => {
    const clusters = members([100, 0, 0], [20, 5, 5]);
    expect(calcGroupScore(clusters, placement([spread('cluster', 3, 3), spread('region', 1, 1)], aggregated), 10, 1)).toBe(10033);
    expect(calcGroupScore(clusters, placement([spread('cluster', 1, 3), spread('region', 1, 1)], aggregated), 10, 1)).toBe(10100);
  });

  it('no placement counts as Duplicated', () => {
    expect(calcGroupScore(members([100], [5]), undefined, 5, 2)).toBe(1100);
  });
});
