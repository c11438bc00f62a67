// Selection by region, after selectBestClustersByRegion / selectRegions in Karmada's
// pkg/scheduler/core/spreadconstraint/select_clusters_by_region.go (docs/reference/semantics.md §3.5, "By region").
import type { Placement } from '../../model/types.js';
import { ScheduleError, sortCandidates, type Candidate } from '../candidate.js';
import type { EffectiveConstraint } from './constraints.js';
import { calcGroupScore } from './group-score.js';
import { selectGroups, sortByWeight, type GroupInfo } from './select-groups.js';

/** A region: its score (docs/reference/semantics.md §3.6) and its clusters in candidate order. */
export interface RegionGroup {
  name: string;
  score: number;
  clusters: Candidate[];
}

/** What the region algorithm chose. */
export interface RegionPick {
  /** The chosen regions, weight desc, name asc. */
  regions: RegionGroup[];
  /** Karmada's order: the best cluster of each chosen region, then the fill by score. */
  selected: Candidate[];
  /** How many clusters the cluster constraint allows in the chosen regions. */
  wanted: number;
  /** The chosen regions' other clusters, in fill order (score desc, available desc, name asc). */
  fillOrder: Candidate[];
}

/**
 * Groups candidates by `cluster.region` (empty regions skipped, as Karmada's generateRegionInfo does),
 * in order of first appearance, each scored with calcGroupScore against the region constraint.
 */
export function groupByRegion(
  candidates: readonly Candidate[],
  placement: Placement,
  replicas: number,
  regionMinGroups: number,
): RegionGroup[] {
  const byName = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const region = c.cluster.region;
    if (!region) continue;
    let list = byName.get(region);
    if (!list) byName.set(region, (list = []));
    list.push(c);
  }
  return [...byName].map(([name, clusters]) => ({
    name,
    clusters,
    score: calcGroupScore(clusters, placement, replicas, regionMinGroups),
  }));
}

/**
 * Chooses regions with selectGroups (a region's value = its cluster count, weight = its score,
 * target = the cluster constraint's minGroups), keeps the best cluster of each chosen region, then
 * fills up to the cluster constraint's maxGroups from the chosen regions' remaining clusters.
 * Capacity is not checked here (Karmada does not either).
 */
export function selectBestClustersByRegion(
  regions: readonly RegionGroup[],
  regionConstraint: EffectiveConstraint,
  clusterConstraint: EffectiveConstraint,
): RegionPick {
  if (regions.length < regionConstraint.minGroups) {
    throw new ScheduleError('SpreadConstraint', 'the number of feasible region is less than spreadConstraint.MinGroups');
  }
  const groups: GroupInfo[] = regions.map((r) => ({ name: r.name, value: r.clusters.length, weight: r.score }));
  const chosenGroups = selectGroups(groups, regionConstraint.minGroups, regionConstraint.maxGroups, clusterConstraint.minGroups);
  if (chosenGroups.length === 0) {
    throw new ScheduleError('SpreadConstraint', 'the number of clusters is less than the cluster spreadConstraint.MinGroups');
  }
  const byName = new Map(regions.map((r) => [r.name, r]));
  const chosen = sortByWeight(chosenGroups).map((g) => byName.get(g.name)!);

  const selected = chosen.map((r) => r.clusters[0]!);
  const fillOrder = sortCandidates(chosen.flatMap((r) => r.clusters.slice(1)));
  const wanted = Math.min(selected.length + fillOrder.length, clusterConstraint.maxGroups);
  // When more regions are chosen than maxGroups allows, Karmada still keeps one cluster per region.
  const extra = Math.max(0, wanted - selected.length);
  selected.push(...fillOrder.slice(0, extra));
  return { regions: chosen, selected, wanted, fillOrder };
}
