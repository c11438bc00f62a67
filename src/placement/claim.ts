// Which policy claims a resource (docs/reference/semantics.md §2, Karmada pkg/detector/compare.go),
// and, given the previous revision's claim, whether it stays (sticky claims and preemption, §2.2,
// Karmada pkg/detector/detector.go propagateResource and preemption.go).
import { labelsOf, policyImplicitPriority, Priority, resourceSelectorPriority, type ImplicitPriority } from './resource-selector.js';
import type { ClaimRecord, Fleet, FleetModel, Manifest, PolicyRef, PreviousPlacement, PropagationPolicy } from '../model/types.js';
import { compareStrings } from '../model/order.js';

/** The label that ties a resource to one Kurator fleet's default placement. */
export const FLEET_LABEL = 'fleet.kurator.dev/name';

export type Claim =
  | { kind: 'policy'; policy: PropagationPolicy; implicitPriority: ImplicitPriority; record?: ClaimRecord }
  | { kind: 'fleet'; fleet: Fleet }
  | { kind: 'none'; reason: string };

/** A policy that selects a resource, with how specifically its best selector matches. */
export interface Claimant {
  policy: PropagationPolicy;
  implicitPriority: ImplicitPriority;
}

/** Karmada's precedence between two policies of one scope: explicit priority, then implicit, then name. Negative: `a` wins. */
export function comparePrecedence(a: Claimant, b: Claimant): number {
  if (a.policy.priority !== b.policy.priority) return b.policy.priority - a.policy.priority;
  if (a.implicitPriority !== b.implicitPriority) return b.implicitPriority - a.implicitPriority;
  return compareStrings(a.policy.name, b.policy.name);
}

/** Karmada's getHighestPriorityPropagationPolicy: explicit priority, then implicit, then name. */
function highestPriorityPolicy(policies: readonly PropagationPolicy[], resource: Manifest): Claimant | null {
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
  /** Some policy sets preemption Always: only then can a kept claim be preempted. */
  preempting?: boolean;
}

/** Builds the claim index once per revision. */
export function buildClaimIndex(model: FleetModel): ClaimIndex {
  const byNamespace = new Map<string, PropagationPolicy[]>();
  for (const p of model.propagationPolicies) {
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(p);
    byNamespace.set(p.namespace, list);
  }
  const preempting = [...model.propagationPolicies, ...model.clusterPropagationPolicies].some((p) => p.preemption === 'Always');
  return { byNamespace, cluster: model.clusterPropagationPolicies, fleets: model.fleets, preempting };
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

/** "PropagationPolicy/default/web", as placements and the status name policies. */
export function policyRefText(p: PolicyRef): string {
  return `${p.kind}/${p.namespace}/${p.name}`;
}

function refOfPolicy(p: PropagationPolicy): PolicyRef {
  return { kind: p.kind, namespace: p.namespace, name: p.name };
}

function findPolicy(index: ClaimIndex, ref: PolicyRef): PropagationPolicy | undefined {
  const list =
    ref.kind === 'PropagationPolicy'
      ? (index.byNamespace.get(ref.namespace) ?? [])
      : ref.kind === 'ClusterPropagationPolicy'
        ? index.cluster
        : [];
  return list.find((p) => p.name === ref.name && p.kind === ref.kind);
}

/**
 * Whether `candidate` preempts the resource from `holder` (Karmada's preemption.go): it must set
 * preemption Always and name the resource in a selector (the webhook requires a name); a
 * PropagationPolicy preempts a ClusterPropagationPolicy whatever the priorities, otherwise only a
 * higher explicit priority of the same kind preempts (implicit priority and names play no part).
 */
export function preempts(candidate: PropagationPolicy, holder: PropagationPolicy, resource: Manifest): boolean {
  if (candidate.preemption !== 'Always') return false;
  if (!candidate.resourceSelectors.some((s) => resourceSelectorPriority(s, resource) === Priority.MatchName)) return false;
  if (candidate.kind === 'PropagationPolicy' && holder.kind === 'ClusterPropagationPolicy') return true;
  return candidate.kind === holder.kind && candidate.priority > holder.priority;
}

/** Why `candidate`, which selects the resource, does not take it from `holder`. */
export function notPreemptingReason(candidate: PropagationPolicy, holder: PropagationPolicy, resource: Manifest): string {
  const name = `${policyText(candidate)} (priority ${candidate.priority})`;
  if (candidate.kind === 'ClusterPropagationPolicy' && holder.kind === 'PropagationPolicy')
    return `${name} does not preempt: a ClusterPropagationPolicy never preempts a PropagationPolicy`;
  if (candidate.preemption !== 'Always') return `${name} does not preempt (preemption: Never)`;
  if (!candidate.resourceSelectors.some((s) => resourceSelectorPriority(s, resource) === Priority.MatchName))
    return `${name} does not preempt: no selector of it names the resource`;
  return `${name} does not preempt: its priority is not higher than ${holder.priority}`;
}

/**
 * The claim of a resource given the previous revision's (docs/reference/semantics.md §2.2). The
 * previous policy keeps the resource unless it is gone, no longer selects it, or a policy that
 * selects it preempts it (preempts()); otherwise — and for a resource no policy claimed, or that
 * a Fleet's default placement placed — the claim is made from scratch (claimResource). Among
 * several preempting policies, a PropagationPolicy before a ClusterPropagationPolicy, then by
 * precedence: Karmada applies them as events come, and the highest explicit priority ends with it.
 */
export function stickyClaim(index: ClaimIndex, resource: Manifest, previous: PreviousPlacement | undefined, revision: string): Claim {
  const fresh = claimResource(index, resource);
  const before = previous?.policy ?? null;
  const holder = before && before.kind !== 'Fleet' ? findPolicy(index, before) : undefined;
  const holderPriority = holder ? policyImplicitPriority(holder.resourceSelectors, resource) : Priority.MisMatch;
  if (!holder || holderPriority === Priority.MisMatch) {
    if (fresh.kind !== 'policy') return fresh;
    const reason =
      before === null || before.kind === 'Fleet'
        ? `claimed by ${policyText(fresh.policy)} at this revision`
        : !holder
          ? `${policyRefText(before)} is gone: claimed afresh by ${policyText(fresh.policy)}`
          : `${policyRefText(before)} no longer selects it: claimed afresh by ${policyText(fresh.policy)}`;
    const change = before === null || before.kind === 'Fleet' ? 'new' : 'released';
    return { ...fresh, record: { since: revision, change, previous: before, reason, notPreempting: [] } };
  }
  const since = previous?.claimedSince ?? null;
  if (fresh.kind === 'policy' && fresh.policy === holder && index.preempting === false) {
    // The usual case, cheaply: the holder is also the fresh winner and nothing can preempt it.
    const record: ClaimRecord = {
      since,
      change: 'kept',
      previous: before,
      reason: `kept by ${policyText(holder)} ${sinceText(since)}`,
      notPreempting: [],
    };
    return { ...fresh, record };
  }
  const others = claimants(index, resource).filter((c) => c.policy !== holder);
  const preemptor = others.find((c) => preempts(c.policy, holder, resource));
  if (preemptor) {
    const reason =
      `${policyText(preemptor.policy)} (priority ${preemptor.policy.priority}, preemption: Always) preempts ` +
      `${policyText(holder)} (priority ${holder.priority})`;
    return { kind: 'policy', ...preemptor, record: { since: revision, change: 'preempted', previous: before, reason, notPreempting: [] } };
  }
  // The policies a fresh claim would prefer are the ones a reader expects to win: say why they do not.
  const holderClaimant = { policy: holder, implicitPriority: holderPriority };
  const passedOver = others.filter((c) => wouldWinFresh(c, holderClaimant));
  const reason = [
    `kept by ${policyText(holder)} ${sinceText(since)}`,
    ...passedOver.map((c) => notPreemptingReason(c.policy, holder, resource)),
  ].join('; ');
  return {
    kind: 'policy',
    ...holderClaimant,
    record: { since, change: 'kept', previous: before, reason, notPreempting: passedOver.map((c) => refOfPolicy(c.policy)) },
  };
}

/** "since revision 1a2b3c4" (a commit shortened as git does), or "from an earlier revision" when the previous result does not say. */
export function sinceText(since: string | null): string {
  if (since === null) return 'from an earlier revision';
  return `since revision ${/^[0-9a-f]{40}$/.test(since) ? since.slice(0, 7) : since}`;
}

/** Whether `c` would claim the resource ahead of `holder` from scratch (a PropagationPolicy before any ClusterPropagationPolicy). */
export function wouldWinFresh(c: Claimant, holder: Claimant): boolean {
  if (c.policy.kind !== holder.policy.kind) return c.policy.kind === 'PropagationPolicy';
  return comparePrecedence(c, holder) < 0;
}
