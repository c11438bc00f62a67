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

/** A policy that selects a resource, with how specifically its best selector matches. */
export interface Claimant {
  policy: PropagationPolicy;
  implicitPriority: ImplicitPriority;
}

/** Karmada's precedence between two policies of one scope: explicit priority, then implicit, then name. Negative: `a` wins. */
export function comparePrecedence(a: Claimant, b: Claimant): number {
  if (a.policy.priority !== b.policy.priority) return b.policy.priority - a.policy.priority;
  if (a.implicitPriority !== b.implicitPriority) return b.implicitPriority - a.implicitPriority;
  return compareName(a.policy.name, b.policy.name);
}

/** Karmada's getHighestPriorityPropagationPolicy: explicit priority, then implicit, then name. */
export function highestPriorityPolicy(policies: readonly PropagationPolicy[], resource: Manifest): Claimant | null {
  let best: Claimant | null = null;
  for (const policy of policies) {
    const implicit = policyImplicitPriority(policy.resourceSelectors, resource);
    if (implicit === Priority.MisMatch) continue;
    const candidate = { policy, implicitPriority: implicit };
    if (!best || comparePrecedence(candidate, best) < 0) best = candidate;
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
      reason:
        `no policy selects it, and with ${index.fleets.length} fleets it needs a ${FLEET_LABEL} ` +
        `label to use a fleet's default placement`,
    };
  }
  return { kind: 'none', reason: 'no PropagationPolicy or ClusterPropagationPolicy selects it' };
}

/**
 * Every policy that selects the resource, in the order Karmada would pick them: the
 * PropagationPolicies of its namespace by precedence, then the ClusterPropagationPolicies. The
 * first one claims it (unless none does); `explain` lists the others with lossReason.
 */
export function claimants(index: ClaimIndex, resource: Manifest): Claimant[] {
  const matching = (policies: readonly PropagationPolicy[]) =>
    policies
      .map((policy) => ({ policy, implicitPriority: policyImplicitPriority(policy.resourceSelectors, resource) }))
      .filter((c) => c.implicitPriority !== Priority.MisMatch)
      .sort(comparePrecedence);
  const namespaced = resource.namespace ? matching(index.byNamespace.get(resource.namespace) ?? []) : [];
  return [...namespaced, ...matching(index.cluster)];
}

const SPECIFICITY: Readonly<Record<ImplicitPriority, string>> = {
  [Priority.MisMatch]: 'not at all',
  [Priority.MatchAll]: 'by kind',
  [Priority.MatchLabelSelector]: 'by label',
  [Priority.MatchName]: 'by name',
};

/** How a selector of this implicit priority selects: "by name", "by label", "by kind". */
export function specificityText(p: ImplicitPriority): string {
  return SPECIFICITY[p];
}

/** "PropagationPolicy default/web" */
export function policyText(p: { kind: string; namespace: string; name: string }): string {
  return `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

/** Why `loser` does not claim a resource `winner` claims (docs/reference/semantics.md §2). */
export function lossReason(winner: Claimant, loser: Claimant): string {
  const w = winner.policy;
  const l = loser.policy;
  if (w.kind !== l.kind)
    return `a PropagationPolicy of the resource's namespace (${w.name}) wins over every ClusterPropagationPolicy, whatever the priority`;
  if (w.priority !== l.priority) return `lower priority (${l.priority} < ${w.priority})`;
  const ws = specificityText(winner.implicitPriority);
  const ls = specificityText(loser.implicitPriority);
  if (ws !== ls) return `same priority ${w.priority}, but ${w.name} selects it ${ws}, more specifically than ${ls}`;
  return `same priority ${w.priority} and both select it ${ws}: the name that sorts first wins ("${w.name}" < "${l.name}")`;
}
