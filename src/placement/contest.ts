// Which propagation policies select a placed resource, the claiming one first and why the others
// lose it (docs/reference/semantics.md §2). `flotilla explain` prints it and the dashboard's
// workload page shows it: one function, so both say the same.
import type { FleetModel, PlacementResult } from '../model/types.js';
import { versionedKey } from '../objects/identity.js';
import { buildClaimIndex, claimants, lossReason, specificityText } from './claim.js';
import { refOf } from './schedule.js';

/** A policy that selects the explained resource: the one that claims it, or one that lost it and why. */
export interface PolicyContest {
  kind: string;
  namespace: string;
  name: string;
  priority: number;
  /** How its best selector selects the resource: "by name", "by label", "by kind". */
  selects: string;
  claims: boolean;
  /** Why it does not claim the resource (absent for the one that does). */
  lostBecause?: string;
}

/**
 * Every PropagationPolicy and ClusterPropagationPolicy that selects the placed resource, the
 * claiming one first: a policy that loses has no effect on it, and `explain` says so instead of
 * leaving it unmentioned.
 */
export function policyContest(model: FleetModel, p: PlacementResult): PolicyContest[] {
  const resource = model.resources.find((m) => versionedKey(refOf(m)) === versionedKey(p.resource));
  if (!resource) return [];
  const all = claimants(buildClaimIndex(model), resource);
  return all.map((c, i) => ({
    kind: c.policy.kind,
    namespace: c.policy.namespace,
    name: c.policy.name,
    priority: c.policy.priority,
    selects: specificityText(c.implicitPriority),
    claims: i === 0,
    ...(i === 0 ? {} : { lostBecause: lossReason(all[0]!, c) }),
  }));
}
