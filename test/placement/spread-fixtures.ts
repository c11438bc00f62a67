// Test data builders for the spread-constraint tests.
import type { Candidate } from '../../src/placement/candidate.js';
import type { Cluster, Placement, SpreadConstraint } from '../../src/model/types.js';

/** A ready cluster with the given topology and nothing else. */
export function cluster(name: string, topology: { provider?: string; region?: string; zones?: string[] } = {}): Cluster {
  return {
    name,
    labels: {},
    provider: topology.provider ?? '',
    region: topology.region ?? '',
    zones: topology.zones ?? [],
    taints: [],
    ready: true,
    deleting: false,
    fleets: [],
    sources: [],
  };
}

/** A candidate; allocatable defaults to available (no previous assignment). */
export function cand(
  name: string,
  opts: { score?: number; available?: number; region?: string; provider?: string; zone?: string; tier?: number } = {},
): Candidate {
  const available = opts.available ?? 0;
  return {
    cluster: cluster(name, { region: opts.region, provider: opts.provider, zones: opts.zone ? [opts.zone] : [] }),
    score: opts.score ?? 0,
    allocatableReplicas: available,
    availableReplicas: available,
    overflowTier: opts.tier ?? 0,
  };
}

/** A spread constraint the way the loader hands it over (defaults applied). */
export function spread(
  field: SpreadConstraint['spreadByField'],
  minGroups: number,
  maxGroups: number,
  extra: Partial<SpreadConstraint> = {},
): SpreadConstraint {
  return { spreadByField: field, minGroups, maxGroups, ...extra };
}

/** A placement with the given spread constraints and scheduling (undefined ⇒ Duplicated). */
export function placement(spreadConstraints: SpreadConstraint[], replicaScheduling?: Placement['replicaScheduling']): Placement {
  return { clusterTolerations: [], spreadConstraints, ...(replicaScheduling ? { replicaScheduling } : {}) };
}

export const duplicated: Placement['replicaScheduling'] = { replicaSchedulingType: 'Duplicated' };
export const aggregated: Placement['replicaScheduling'] = { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' };
export const dynamicWeight: Placement['replicaScheduling'] = {
  replicaSchedulingType: 'Divided',
  replicaDivisionPreference: 'Weighted',
  weightPreference: { dynamicWeight: 'AvailableReplicas' },
};
export const defaultDivided: Placement['replicaScheduling'] = { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' };

/** Names of candidates, for compact assertions. */
export const names = (cs: readonly Candidate[]) => cs.map((c) => c.cluster.name);
