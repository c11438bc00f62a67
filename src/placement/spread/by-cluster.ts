// Selection by the cluster spread constraint alone, after selectBestClustersByCluster in Karmada's
// pkg/scheduler/core/spreadconstraint/select_clusters_by_cluster.go (docs/reference/semantics.md §3.5, "By cluster").
import { ScheduleError, type Candidate } from '../candidate.js';
import type { EffectiveConstraint } from './constraints.js';

/** One replacement made to reach the needed replicas: `out` left the selection, `in` took its place. */
export interface CapacitySwap {
  position: number;
  out: Candidate;
  in: Candidate;
}

/** What the cluster algorithm chose, in Karmada's order (positions after swaps). */
export interface ClusterPick {
  /** How many clusters the constraint allows: min(#candidates, maxGroups). */
  count: number;
  selected: Candidate[];
  swaps: CapacitySwap[];
}

const sumAvailable = (cs: readonly Candidate[]) => cs.reduce((s, c) => s + c.availableReplicas, 0);

/**
 * Keeps the first min(#candidates, maxGroups) candidates; when `needReplicas` ≥ 0 (Divided) and they
 * cannot hold it, walks positions from last to first swapping in the left-out candidate with the
 * most available replicas (strictly more than the one it replaces; first such on ties).
 */
export function selectBestClustersByCluster(
  candidates: readonly Candidate[],
  constraint: EffectiveConstraint,
  needReplicas: number,
): ClusterPick {
  if (candidates.length < constraint.minGroups) {
    throw new ScheduleError('SpreadConstraint', 'the number of feasible clusters is less than spreadConstraint.MinGroups');
  }
  const count = Math.min(candidates.length, constraint.maxGroups);
  const selected = candidates.slice(0, count);
  if (needReplicas < 0) return { count, selected, swaps: [] };

  const rest = candidates.slice(count);
  const swaps: CapacitySwap[] = [];
  for (let pos = count - 1; pos >= 0 && sumAvailable(selected) < needReplicas; pos--) {
    let best = -1;
    let most = selected[pos]!.availableReplicas;
    rest.forEach((c, i) => {
      if (c.availableReplicas > most) {
        best = i;
        most = c.availableReplicas;
      }
    });
    if (best < 0) continue;
    const out = selected[pos]!;
    selected[pos] = rest[best]!;
    rest[best] = out;
    swaps.push({ position: pos, out, in: selected[pos]! });
  }
  // Karmada also fails when nothing is selected (maxGroups 0 under Divided), even with 0 replicas.
  if (sumAvailable(selected) < needReplicas || selected.length === 0) {
    throw new ScheduleError('Unschedulable', `no enough resource when selecting ${count} clusters`);
  }
  return { count, selected, swaps };
}
