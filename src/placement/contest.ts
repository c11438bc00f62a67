// Which propagation policies select a placed resource, the claiming one first and why the others
// lose it (docs/reference/semantics.md §2). `flotilla explain` prints it and the dashboard's
// workload page shows it: one function, so both say the same.
import type { FleetModel, PlacementResult } from '../model/types.js';
import { versionedKey } from '../objects/identity.js';
import {
  buildClaimIndex,
  claimants,
  lossReason,
  notPreemptingReason,
  policyText,
  sinceText,
  specificityText,
  wouldWinFresh,
} from './claim.js';
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
 * claiming one first (docs/reference/semantics.md §2): a policy that loses has no effect on it, and
 * `explain` says so instead of leaving it unmentioned.
 */
export function policyContest(model: FleetModel, p: PlacementResult): PolicyContest[] {
  const resource = model.resources.find((m) => versionedKey(refOf(m)) === versionedKey(p.resource));
  if (!resource) return [];
  const all = claimants(buildClaimIndex(model), resource);
  // With a previous result the claim is sticky (§2.2): the claiming policy is the placement's, not the first claimant.
  const winner = p.policy ? all.find((c) => samePolicy(c.policy, p.policy!)) : undefined;
  const ordered = winner ? [winner, ...all.filter((c) => c !== winner)] : all;
  const record = p.claim;
  // The policy the claim was held by before this revision: the one a fresh winner would have had to preempt.
  const before = record?.previous ? all.find((c) => samePolicy(c.policy, record.previous!)) : undefined;
  return ordered.map((c, i) => {
    const claims = winner ? c === winner : i === 0;
    let lostBecause: string | undefined;
    if (!claims) {
      const first = winner ?? ordered[0]!;
      const sticky = winner && record && (record.change === 'kept' || record.change === 'preempted') && wouldWinFresh(c, winner);
      if (sticky && record.change === 'kept') {
        const kept = `kept by ${policyText(winner.policy)} ${sinceText(record.since)}`;
        lostBecause = `${kept}; ${notPreemptingReason(c.policy, winner.policy, resource)}`;
      } else if (sticky) {
        lostBecause = `${record.reason}; ${notPreemptingReason(c.policy, (before ?? winner).policy, resource)}`;
      } else lostBecause = lossReason(first, c);
    }
    return {
      kind: c.policy.kind,
      namespace: c.policy.namespace,
      name: c.policy.name,
      priority: c.policy.priority,
      selects: specificityText(c.implicitPriority),
      claims,
      ...(lostBecause === undefined ? {} : { lostBecause }),
    };
  });
}

function samePolicy(a: { kind: string; namespace: string; name: string }, b: { kind: string; namespace: string; name: string }): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}
