// Which policy claims a resource (docs/reference/semantics.md §2, Karmada pkg/detector/compare.go).
// flotilla recomputes claims at every revision: the repository is the truth, so Karmada's sticky
// claims and preemption have nothing to hold on to (`plan` warns when a resource changes policy).
import { labelsOf, policyImplicitPriority, Priority, type ImplicitPriority } from './resource-selector.js';
import type { Fleet, FleetModel, Manifest, PropagationPolicy } from '../model/types.js';

/** The label that ties a resource to one Kurator fleet's default placement. */
export const FLEET_LABEL = 'fleet.kurator.dev/name';

export type Claim =
  | { kind: 'policy'; policy: PropagationPolicy; implicitPriority: ImplicitPriority }
  | { kind: 'fleet'; fleet: Fleet }
  | { kind: 'none'; reason: string };

function compareName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Karmada's getHighestPriorityPropagationPolicy: explicit priority, then implicit, then name. */
export function highestPriorityPolicy(
  policies: readonly PropagationPolicy[],
  resource: Manifest,
): { policy: PropagationPolicy; implicitPriority: ImplicitPriority } | null {
  let best: { policy: PropagationPolicy; implicitPriority: ImplicitPriority } | null = null;
  for (const policy of policies) {
    const implicit = policyImplicitPriority(policy.resourceSelectors, resource);
    if (implicit === Priority.MisMatch) continue;
    if (
      !best ||
      policy.priority > best.policy.priority ||
      (policy.priority === best.policy.priority &&
        (implicit > best.implicitPriority || (implicit === best.implicitPriority && compareName(policy.name, best.policy.name) < 0)))
    ) {
      best = { policy, implicitPriority: implicit };
    }
  }
  return best;
}

/** An index of policies by namespace so claiming 10,000 resources does not rescan every policy. */
export interface ClaimIndex {
  byNamespace: Map<string, PropagationPolicy[]>;
  cluster: PropagationPolicy[];
  fleets: Fleet[];
}

/** Builds the claim index once per revision. */
export function buildClaimIndex(model: FleetModel): ClaimIndex {
  const byNamespace = new Map<string, PropagationPolicy[]>();
  for (const p of model.propagationPolicies) {
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }
  return { byNamespace, cluster: model.clusterPropagationPolicies, fleets: model.fleets };
}

/** PPs of the resource's namespace first, then CPPs, then (flotilla extension) a fleet's default placement. */
export function claimResource(index: ClaimIndex, resource: Manifest): Claim {
  if (resource.namespace) {
    const pp = highestPriorityPolicy(index.byNamespace.get(resource.namespace) ?? [], resource);
    if (pp) return { kind: 'policy', ...pp };
  }
  const cpp = highestPriorityPolicy(index.cluster, resource);
  if (cpp) return { kind: 'policy', ...cpp };

  const withPlacement = index.fleets.filter((f) => f.placement);
  const label = labelsOf(resource)[FLEET_LABEL];
  if (label !== undefined) {
    const fleet = index.fleets.find((f) => f.name === label);
    if (!fleet) return { kind: 'none', reason: `labelled ${FLEET_LABEL}=${label}, but no such Fleet is declared` };
    if (!fleet.placement) return { kind: 'none', reason: `Fleet ${fleet.name} has no spec.placement and no policy selects it` };
    return { kind: 'fleet', fleet };
  }
  if (index.fleets.length === 1 && withPlacement.length === 1) return { kind: 'fleet', fleet: withPlacement[0]! };
  if (index.fleets.length > 1 && withPlacement.length > 0) {
    return {
      kind: 'none',
      reason: `no policy selects it, and with ${index.fleets.length} fleets it needs a ${FLEET_LABEL} label to use a fleet's default placement`,
    };
  }
  return { kind: 'none', reason: 'no PropagationPolicy or ClusterPropagationPolicy selects it' };
}
