// Scores of a topology group (a region), after calcGroupScore / calcGroupScoreForDuplicate in
// Karmada's pkg/scheduler/core/spreadconstraint/group_clusters.go (docs/reference/semantics.md §3.6).
import type { Placement } from '../../model/types.js';
import type { Candidate } from '../candidate.js';
import { constraintsByField } from './constraints.js';

/**
 * Karmada's weightUnit: the replica part of a group score counts in thousands so that the average
 * cluster score (0..100 in practice) only breaks ties between groups holding the same replicas.
 */
export const WEIGHT_UNIT = 1000;

/** Go's int64 division: truncates toward zero. */
function intDiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/**
 * Duplicated score: clusters that can each hold every replica count W apiece, plus their mean score
 * (0 when none can), so "more clusters that fit" always beats "higher scores".
 */
export function calcGroupScoreForDuplicate(clusters: readonly Candidate[], replicas: number): number {
  let valid = 0;
  let sumValidScore = 0;
  for (const c of clusters) {
    if (c.availableReplicas >= replicas) {
      valid++;
      sumValidScore += c.score;
    }
  }
  if (valid === 0) return 0;
  return valid * WEIGHT_UNIT + intDiv(sumValidScore, valid);
}

/**
 * A group's score for the placement: Duplicated (or no placement) uses calcGroupScoreForDuplicate;
 * Divided walks the group's clusters (in candidate order) until it has max(cluster minGroups,
 * `minGroups`) clusters holding ceil(replicas / minGroups), and scores the replicas it reached
 * (capped at that target) in thousands plus the mean score of the clusters it walked.
 */
export function calcGroupScore(
  clusters: readonly Candidate[],
  placement: Placement | undefined,
  replicas: number,
  minGroups: number,
): number {
  if (!placement || !placement.replicaScheduling || placement.replicaScheduling.replicaSchedulingType === 'Duplicated') {
    return calcGroupScoreForDuplicate(clusters, replicas);
  }
  // Karmada divides by minGroups as a float; a 0 (never after defaulting) would make the target
  // infinite, so it is read as 1 here.
  const groupMin = Math.max(1, minGroups);
  let target = Math.ceil(replicas / groupMin);
  const clusterMin = Math.max(constraintsByField(placement).get('cluster')?.minGroups ?? 0, groupMin);

  let sumAvailable = 0;
  let sumScore = 0;
  let walked = 0;
  for (const c of clusters) {
    sumAvailable += c.availableReplicas;
    sumScore += c.score;
    walked++;
    if (walked >= clusterMin && sumAvailable >= target) break;
  }
  if (sumAvailable < target) {
    // Short of the target: the whole group was walked, so the mean is over all its clusters.
    return sumAvailable * WEIGHT_UNIT + (clusters.length > 0 ? intDiv(sumScore, clusters.length) : 0);
  }
  target *= WEIGHT_UNIT;
  // An empty group never reaches here in Karmada (regions have ≥1 cluster); guard the division.
  return target + (walked > 0 ? intDiv(sumScore, walked) : 0);
}
