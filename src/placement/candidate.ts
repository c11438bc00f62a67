// The scheduler's view of one cluster that passed the filters.
import type { Cluster } from '../model/types.js';

/** A feasible cluster with the numbers Karmada's selection and division steps work on. */
export interface Candidate {
  cluster: Cluster;
  /** Sum of score plugins: 100 when in the previous result (ClusterLocality), plus preferred-affinity weights. */
  score: number;
  /** Estimator output for this workload (Karmada's AllocatableReplicas). */
  allocatableReplicas: number;
  /** allocatableReplicas + replicas previously assigned to this cluster (Karmada's AvailableReplicas). */
  availableReplicas: number;
  /** 0 = primary affinity, k = k-th overflow affinity, 1000 = no clusterAffinities (docs/reference/semantics.md §3.4). */
  overflowTier: number;
}

/** Raised when a resource cannot be scheduled; `message` follows Karmada's wording (docs/reference/semantics.md §6). */
export class ScheduleError extends Error {
  constructor(
    readonly reason: 'NoClusterFit' | 'Unschedulable' | 'SpreadConstraint' | 'InvalidStrategy',
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/** Karmada's sortClusters: overflow tier asc, score desc, available replicas desc, name asc. */
export function sortCandidates(candidates: readonly Candidate[]): Candidate[] {
  return [...candidates].sort(
    (a, b) =>
      a.overflowTier - b.overflowTier ||
      b.score - a.score ||
      b.availableReplicas - a.availableReplicas ||
      (a.cluster.name < b.cluster.name ? -1 : a.cluster.name > b.cluster.name ? 1 : 0),
  );
}
