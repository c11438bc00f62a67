// Cluster selection with spread constraints, after Karmada's pkg/scheduler/core/spreadconstraint
// (select_clusters.go and friends; docs/reference/semantics.md §3.4–§3.6). Candidates arrive sorted by
// sortCandidates; the result keeps that order and says, per cluster left out, why.
import type { Placement } from '../model/types.js';
import { ScheduleError, type Candidate } from './candidate.js';
import { selectBestClustersByCluster } from './spread/by-cluster.js';
import { groupByRegion, selectBestClustersByRegion } from './spread/by-region.js';
import { constraintsByField, type EffectiveConstraint } from './spread/constraints.js';

export { calcGroupScore, calcGroupScoreForDuplicate, WEIGHT_UNIT } from './spread/group-score.js';
export { selectGroups, findFeasiblePaths, prioritizePaths, type GroupInfo, type FeasiblePath } from './spread/select-groups.js';
export { selectBestClustersByCluster, type ClusterPick, type CapacitySwap } from './spread/by-cluster.js';
export { groupByRegion, selectBestClustersByRegion, type RegionGroup, type RegionPick } from './spread/by-region.js';
export { constraintsByField, defaultedConstraint, type EffectiveConstraint } from './spread/constraints.js';

/** The clusters kept by the spread constraints, with the reasoning for `flotilla explain`. */
export interface SelectionResult {
  /** In the order Karmada's selection produces (candidate order when nothing was selected by spread). */
  selected: Candidate[];
  steps: string[];
  /** Cluster name → why this feasible candidate was not selected. */
  dropped: Map<string, string>;
}

/** True when the division is static weighted (Divided + Weighted without dynamicWeight). */
function isStaticWeighted(placement: Placement): boolean {
  const rs = placement.replicaScheduling;
  if (!rs || rs.replicaSchedulingType !== 'Divided') return false;
  // An unset preference under Divided is Weighted (helper.SetReplicaDivisionPreferenceWeighted).
  if ((rs.replicaDivisionPreference ?? 'Weighted') !== 'Weighted') return false;
  const wp = rs.weightPreference;
  return wp === undefined || ((wp.staticWeightList?.length ?? 0) > 0 && !wp.dynamicWeight);
}

/** Karmada's shouldIgnoreSpreadConstraint (plus "no constraints"): static weighting ignores spread. */
export function shouldIgnoreSpreadConstraints(placement: Placement): boolean {
  return (placement.spreadConstraints ?? []).length === 0 || isStaticWeighted(placement);
}

/** Replicas the selection must be able to hold: −1 (no capacity check) for Duplicated placements. */
export function needReplicasFor(placement: Placement, replicas: number): number {
  const rs = placement.replicaScheduling;
  return !rs || rs.replicaSchedulingType === 'Duplicated' ? -1 : replicas;
}

/**
 * Karmada's SelectBestClusters: all candidates when spread constraints are ignored, else the region
 * algorithm when a region constraint exists, else the cluster algorithm; zone, provider and label
 * constraints alone are rejected. `replicas` is the workload's desired replicas (0 for non-workloads).
 */
export function selectClusters(candidates: readonly Candidate[], placement: Placement, replicas: number): SelectionResult {
  if (shouldIgnoreSpreadConstraints(placement)) {
    const why =
      (placement.spreadConstraints ?? []).length === 0
        ? 'no spread constraints'
        : 'spread constraints ignored for static weighted division (docs/reference/semantics.md §3.5)';
    return { selected: [...candidates], steps: [`${why}: all ${candidates.length} candidates selected`], dropped: new Map() };
  }
  const byField = constraintsByField(placement);
  const region = byField.get('region');
  const cluster = byField.get('cluster');
  if (region) return selectByRegion(candidates, placement, replicas, region, cluster);
  if (cluster) return selectByCluster(candidates, cluster, needReplicasFor(placement, replicas));
  throw new ScheduleError('SpreadConstraint', 'just support cluster and region spread constraint');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function maxGroupsText(c: EffectiveConstraint): string {
  return c.unlimitedBySkew ? 'no maxGroups (maxSkew given)' : `maxGroups ${c.declaredMaxGroups}`;
}

function selectByCluster(candidates: readonly Candidate[], constraint: EffectiveConstraint, needReplicas: number): SelectionResult {
  const pick = selectBestClustersByCluster(candidates, constraint, needReplicas);
  const n = pick.count;
  const limit = maxGroupsText(constraint);
  const steps: string[] = [];
  const dropped = new Map<string, string>();
  if (n === 0) {
    steps.push(`spread by cluster: ${limit} keeps none of the ${plural(candidates.length, 'candidate')}`);
  } else if (n < candidates.length) {
    steps.push(`spread by cluster: ${limit} keeps the top ${n} of ${candidates.length} candidates`);
  } else {
    steps.push(`spread by cluster: ${limit} keeps all ${plural(candidates.length, 'candidate')}`);
  }

  if (pick.swaps.length > 0) {
    const before = candidates.slice(0, n).reduce((s, c) => s + c.availableReplicas, 0);
    const after = pick.selected.reduce((s, c) => s + c.availableReplicas, 0);
    const swaps = pick.swaps.map(
      (s) => `${s.out.cluster.name} (${s.out.availableReplicas}) for ${s.in.cluster.name} (${s.in.availableReplicas})`,
    );
    steps.push(
      `spread by cluster: the top ${n} hold ${before} available replicas, fewer than the ${needReplicas} needed; ` +
        `swapped ${swaps.join(', then ')} → ${after}`,
    );
  }

  // Karmada hands the clusters to replica assignment in the order selection produced them (best
  // cluster per region first, or the capacity-swapped list); its stable availability sort and
  // Aggregated's shortest prefix break ties by that order, so it is kept.
  const selected = [...pick.selected];
  const kept = new Set(selected);
  // The last swap that took a cluster out explains why it is out (it may have come back later).
  const swappedOut = new Map(pick.swaps.map((s) => [s.out, s]));
  candidates.forEach((c, rank) => {
    if (kept.has(c)) return;
    const swap = swappedOut.get(c);
    if (n === 0) {
      dropped.set(c.cluster.name, `spreadConstraints ${limit} allows no cluster`);
    } else if (swap) {
      dropped.set(
        c.cluster.name,
        `swapped out for ${swap.in.cluster.name} (${swap.in.availableReplicas} available replicas > ${c.availableReplicas}) ` +
          `so the ${plural(n, 'cluster')} allowed by spreadConstraints ${limit} can hold ${needReplicas} replicas`,
      );
    } else {
      dropped.set(
        c.cluster.name,
        `not among the top ${plural(n, 'cluster')} allowed by spreadConstraints ${limit} (score ${c.score}, ${rank} ranked higher)`,
      );
    }
  });
  return { selected, steps, dropped };
}

function selectByRegion(
  candidates: readonly Candidate[],
  placement: Placement,
  replicas: number,
  regionConstraint: EffectiveConstraint,
  clusterConstraint: EffectiveConstraint | undefined,
): SelectionResult {
  // Karmada's validation requires a cluster constraint beside a region one; flotilla proceeds as if
  // {spreadByField: cluster} without limits were given (docs/reference/semantics.md extension list).
  const cluster: EffectiveConstraint = clusterConstraint ?? {
    field: 'cluster',
    minGroups: 1,
    maxGroups: Infinity,
    declaredMaxGroups: 0,
    unlimitedBySkew: false,
  };
  const clusterLimit = clusterConstraint ? maxGroupsText(cluster) : 'no limit (no cluster constraint)';
  const regions = groupByRegion(candidates, placement, replicas, regionConstraint.minGroups);
  const steps: string[] = [];
  const scored = [...regions]
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r) => `${r.name} ${r.score} (${plural(r.clusters.length, 'cluster')})`);
  steps.push(
    `spread by region: ${plural(regions.length, 'region')} scored (docs/reference/semantics.md §3.6): ${scored.join(', ') || 'none'}`,
  );

  const pick = selectBestClustersByRegion(regions, regionConstraint, cluster);
  const regionLimit = `minGroups ${regionConstraint.minGroups}, ${maxGroupsText(regionConstraint)}`;
  const chosenNames = pick.regions.map((r) => r.name);
  steps.push(
    `spread by region: chose ${chosenNames.join(', ')} (region ${regionLimit}; ` +
      `at least ${plural(cluster.minGroups, 'cluster')} needed by the cluster constraint)`,
  );
  const heads = pick.regions.map((r) => r.clusters[0]!);
  const fill = pick.selected.slice(heads.length);
  steps.push(
    `spread by region: best cluster of each chosen region: ${heads.map((c) => c.cluster.name).join(', ')}` +
      (fill.length > 0
        ? `; then ${fill.length} more by score (cluster ${clusterLimit}): ${fill.map((c) => c.cluster.name).join(', ')}`
        : ''),
  );

  // Karmada hands the clusters to replica assignment in the order selection produced them (best
  // cluster per region first, or the capacity-swapped list); its stable availability sort and
  // Aggregated's shortest prefix break ties by that order, so it is kept.
  const selected = [...pick.selected];
  const kept = new Set(selected);
  const regionOf = new Map(pick.regions.map((r) => [r.name, r]));
  const extra = pick.selected.length - heads.length;
  const dropped = new Map<string, string>();
  for (const c of candidates) {
    if (kept.has(c)) continue;
    const region = c.cluster.region;
    let why: string;
    if (!region) {
      why = 'has no region, so spreadConstraints by region cannot place it';
    } else if (!regionOf.has(region)) {
      why = `region ${region} not chosen by spreadConstraints (region ${regionLimit}): ${chosenNames.join(', ')} chosen`;
    } else if (extra === 0) {
      why =
        `region ${region} chosen, but cluster ${clusterLimit} leaves room only for the best cluster of each chosen region ` +
        `(${heads.map((h) => h.cluster.name).join(', ')})`;
    } else {
      const rank = pick.fillOrder.indexOf(c);
      why =
        `region ${region} chosen, but not among the ${extra} more ` +
        `${extra === 1 ? 'cluster' : 'clusters'} allowed by cluster ${clusterLimit} ` +
        `after the best cluster of each chosen region (score ${c.score}, ${c.availableReplicas} available, ${rank} ranked higher)`;
    }
    dropped.set(c.cluster.name, why);
  }
  return { selected, steps, dropped };
}
