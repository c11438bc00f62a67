// No silent misplacement (docs/reference/semantics.md §2.1): what a valid repository may still get
// wrong about where things go, each said with the file and line to look at —
//   - a resource no policy selects, which is never deployed (NOT_PROPAGATED);
//   - a resource selector that matches nothing in the repository (SELECTOR_MATCHES_NOTHING);
//   - a policy that loses a resource to another of the same priority and specificity, decided
//     only by the names (POLICY_SHADOWED).
// The model and the placements in, warnings out; the two memos below only save work between
// revisions (the incremental render's property test checks that results never depend on them).
import type { DiagnosticSink } from '../model/diagnostics.js';
import { closestName, formatPath } from '../model/fields.js';
import type {
  FieldPath,
  FleetModel,
  Manifest,
  OverridePolicy,
  PlacementResult,
  PropagationPolicy,
  ResourceSelector,
} from '../model/types.js';
import { describeRef, versionedKey } from '../objects/identity.js';
import { apiGroup } from '../objects/scope.js';
import { buildClaimIndex, claimResource, comparePrecedence, policyText, specificityText, type Claimant, type ClaimIndex } from './claim.js';
import { labelsOf, Priority, policyImplicitPriority, resourceSelectorPriority, type ImplicitPriority } from './resource-selector.js';
import { refOf } from './schedule.js';

/** Reports every misplacement of a revision; `placements` are the revision's, HPA followers included. */
export function checkMisplacement(model: FleetModel, placements: readonly PlacementResult[], sink: DiagnosticSink): void {
  const index = buildClaimIndex(model);
  warnNotPropagated(model, index, placements, sink);
  warnSelectorsMatchingNothing(model, sink);
  warnShadowedPolicies(model, index, placements, sink);
}

/** Namespaces Karmada never propagates from: its own (names.IsReservedNamespace) and its default skipped ones, kube-*. */
function isSkippedNamespace(ns: string): boolean {
  return ns === 'karmada-system' || ns === 'karmada-cluster' || ns.startsWith('karmada-es-') || ns.startsWith('kube-');
}

/**
 * Whether a user expects the resource to reach member clusters at all, so that its not being
 * deployed is worth a warning. Not: Namespaces (they go where the objects in them go), Events and
 * Leases (Karmada's default skipped APIs), resources in Karmada's reserved and skipped namespaces,
 * the Secrets that hold the AttachedClusters' kubeconfigs (flotilla's credentials, not templates),
 * and autoscaling/v2 HorizontalPodAutoscalers (they follow their scale target, HPA_TARGET_NOT_FOUND otherwise).
 */
function expectsPropagation(m: Manifest, credentials: ReadonlySet<string>): boolean {
  const group = apiGroup(m.apiVersion);
  if (m.apiVersion === 'v1' && (m.kind === 'Namespace' || m.kind === 'Event')) return false;
  if (group === 'events.k8s.io' || group === 'coordination.k8s.io') return false;
  if (m.namespace && isSkippedNamespace(m.namespace)) return false;
  if (m.apiVersion === 'v1' && m.kind === 'Secret' && credentials.has(`${m.namespace}/${m.name}`)) return false;
  return !(m.apiVersion === 'autoscaling/v2' && m.kind === 'HorizontalPodAutoscaler');
}

function warnNotPropagated(model: FleetModel, index: ClaimIndex, placements: readonly PlacementResult[], sink: DiagnosticSink): void {
  const credentials = new Set(model.clusters.flatMap((c) => (c.secretRef ? [`${c.secretRef.namespace}/${c.secretRef.name}`] : [])));
  let byKey: Map<string, Manifest> | null = null;
  for (const p of placements) {
    if (p.policy !== null || p.clusters.length > 0 || p.error !== null) continue;
    byKey ??= new Map(model.resources.map((m) => [versionedKey(refOf(m)), m]));
    const m = byKey.get(versionedKey(p.resource));
    if (!m || !expectsPropagation(m, credentials)) continue;
    const claim = claimResource(index, m);
    if (claim.kind !== 'none') continue;
    sink.warn('NOT_PROPAGATED', `${describeRef(p.resource)} is never deployed: ${claim.reason}`, { source: m.source });
  }
}

/** A policy of any kind with resource selectors, as this check sees it. */
type SelectingPolicy = PropagationPolicy | OverridePolicy;

/**
 * A resource each selector matched at the last check, by selector. The same Manifest object is the
 * same file content (the incremental renderer keeps it while its file is unchanged), so when it is
 * still among the resources it still matches, and a selector costs a binary search instead of a scan.
 */
let witnesses = new Map<string, Manifest>();

function warnSelectorsMatchingNothing(model: FleetModel, sink: DiagnosticSink): void {
  const policies: SelectingPolicy[] = [
    ...model.propagationPolicies,
    ...model.clusterPropagationPolicies,
    ...model.overridePolicies,
    ...model.clusterOverridePolicies,
  ];
  const next = new Map<string, Manifest>();
  for (const policy of policies) {
    policy.resourceSelectors.forEach((sel, i) => {
      const key = JSON.stringify(sel);
      const known = next.get(key) ?? witnesses.get(key);
      const match = known && stillThere(model.resources, known) ? known : firstMatch(model.resources, sel);
      if (match) {
        next.set(key, match);
        return;
      }
      const path: FieldPath = ['spec', 'resourceSelectors', i];
      const what = policy.kind.endsWith('OverridePolicy') ? 'overrides nothing' : 'propagates nothing';
      const sameType = sliceOf(model.resources, [sel.apiVersion, sel.kind]);
      sink.warn(
        'SELECTOR_MATCHES_NOTHING',
        `${policyText(policy)}: ${formatPath(path)} (${selectorText(sel)}) matches no resource in the repository, ` +
          `so it ${what}; ${nearMiss(model.resources, sel, sameType)}`,
        { source: policy.source, path },
      );
    });
  }
  witnesses = next;
}

/** Whether this very Manifest is among the (sorted) resources. */
function stillThere(resources: readonly Manifest[], m: Manifest): boolean {
  const [from, to] = rangeOf(resources, [m.apiVersion, m.kind, m.namespace]);
  for (let i = from; i < to; i++) if (resources[i] === m) return true;
  return false;
}

/** The identity fields a resource is sorted by in model.resources, as far as `prefix` goes. */
function comparePrefix(m: Manifest, prefix: readonly string[]): number {
  const fields = [m.apiVersion, m.kind, m.namespace];
  for (let i = 0; i < prefix.length; i++) {
    if (fields[i]! !== prefix[i]!) return fields[i]! < prefix[i]! ? -1 : 1;
  }
  return 0;
}

/** Where the resources whose apiVersion, kind (and namespace) are `prefix` lie in the sorted model.resources: [from, to). */
function rangeOf(resources: readonly Manifest[], prefix: readonly string[]): [number, number] {
  const bound = (before: (c: number) => boolean): number => {
    let lo = 0;
    let hi = resources.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(comparePrefix(resources[mid]!, prefix))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [bound((c) => c < 0), bound((c) => c <= 0)];
}

/** The resources whose apiVersion, kind (and namespace) are `prefix`. */
function sliceOf(resources: readonly Manifest[], prefix: readonly string[]): readonly Manifest[] {
  return resources.slice(...rangeOf(resources, prefix));
}

/**
 * The first resource a selector matches. It looks only at the resources of its type (and
 * namespace), without copying them, and tests the name or one required label before the whole
 * selector.
 */
function firstMatch(resources: readonly Manifest[], sel: ResourceSelector): Manifest | undefined {
  const [from, to] = rangeOf(resources, sel.namespace ? [sel.apiVersion, sel.kind, sel.namespace] : [sel.apiVersion, sel.kind]);
  const [labelKey, labelValue] = Object.entries(sel.labelSelector?.matchLabels ?? {})[0] ?? [];
  for (let i = from; i < to; i++) {
    const m = resources[i]!;
    const likely = sel.name ? m.name === sel.name : labelKey === undefined || labelsOf(m)[labelKey] === labelValue;
    if (likely && resourceSelectorPriority(sel, m) !== Priority.MisMatch) return m;
  }
  return undefined;
}

/** "apps/v1 Deployment default/web", "v1 ConfigMap labelled app=web" */
function selectorText(sel: ResourceSelector): string {
  const where = sel.namespace ? `${sel.namespace}/` : '';
  if (sel.name) return `${sel.apiVersion} ${sel.kind} ${where}${sel.name}`;
  const labels = sel.labelSelector ? ' with matching labels' : '';
  return `${sel.apiVersion} ${sel.kind}${labels}${sel.namespace ? ` in namespace ${sel.namespace}` : ''}`;
}

/** The likeliest mistake behind a selector that matches nothing. */
function nearMiss(resources: readonly Manifest[], sel: ResourceSelector, candidates: readonly Manifest[]): string {
  if (candidates.length === 0) {
    const sameKind = [...new Set(resources.filter((m) => m.kind === sel.kind).map((m) => m.apiVersion))].sort();
    if (sameKind.length > 0) return `the repository's ${sel.kind} resources have apiVersion ${sameKind.join(', ')}`;
    const kind = closestName(sel.kind, [...new Set(resources.filter((m) => m.apiVersion === sel.apiVersion).map((m) => m.kind))]);
    if (kind !== null) return `did you mean kind ${kind}?`;
    return `the repository has no ${sel.apiVersion} ${sel.kind}`;
  }
  const inNamespace = candidates.filter((m) => !sel.namespace || m.namespace === sel.namespace);
  if (sel.name) {
    const near = closestName(sel.name, [...new Set(inNamespace.map((m) => m.name))]);
    if (near !== null) return `did you mean ${near}?`;
    const elsewhere = [...new Set(candidates.filter((m) => m.name === sel.name).map((m) => m.namespace))].sort();
    if (elsewhere.length > 0) return `there is one in namespace ${elsewhere.join(', ')}`;
    return `there is no ${sel.kind} named ${sel.name}${sel.namespace ? ` in namespace ${sel.namespace}` : ''}`;
  }
  if (inNamespace.length === 0) return `the repository's ${sel.kind} resources are in other namespaces`;
  const where = sel.namespace ? ` in namespace ${sel.namespace}` : '';
  return `none of the ${inNamespace.length} ${sel.kind} resources${where} has matching labels`;
}

/** The policy claiming a resource and those of equal rank that lose it on their names alone, by policyText. */
interface NameDecided {
  winner: string;
  losers: Array<{ policy: string; implicitPriority: ImplicitPriority }>;
}

function nameDecided(policies: readonly PropagationPolicy[], m: Manifest): NameDecided | null {
  let winner: Claimant | null = null;
  let losers: Claimant[] = [];
  for (const policy of policies) {
    const implicitPriority = policyImplicitPriority(policy.resourceSelectors, m);
    if (implicitPriority === Priority.MisMatch) continue;
    const c = { policy, implicitPriority };
    if (!winner) {
      winner = c;
      continue;
    }
    const sameRank = c.policy.priority === winner.policy.priority && c.implicitPriority === winner.implicitPriority;
    if (comparePrecedence(c, winner) < 0) {
      losers = sameRank ? [winner, ...losers] : [];
      winner = c;
    } else if (sameRank) {
      losers.push(c);
    }
  }
  if (!winner || losers.length === 0) return null;
  return {
    winner: policyText(winner.policy),
    losers: losers.map((l) => ({ policy: policyText(l.policy), implicitPriority: l.implicitPriority })),
  };
}

/**
 * Contests already decided, per resource and propagation-policy set. The incremental renderer keeps
 * a resource's Manifest while its file is unchanged, so a commit that touches no policy matches only
 * the changed resources against the policies, not all of them (which costs as much as claiming every
 * resource again). Entries name policies by text, resolved against each revision's model, so a
 * policy's new line after an unrelated edit is reported where it now is.
 */
const decidedCache = new WeakMap<Manifest, { policySet: number; decided: NameDecided | null }>();
let lastPolicySet = '';
let policySetId = 0;

/** A number for the revision's (Cluster)PropagationPolicies as claiming sees them: the same set keeps its number. */
function policySet(model: FleetModel): number {
  const text = [...model.propagationPolicies, ...model.clusterPropagationPolicies]
    .map((p) => JSON.stringify([p.kind, p.namespace, p.name, p.priority, p.resourceSelectors]))
    .join('\n');
  if (text !== lastPolicySet) {
    lastPolicySet = text;
    policySetId++;
  }
  return policySetId;
}

/**
 * What of a resource its contest can depend on, for the revision's policies: its type and
 * namespace, its name when a selector names one, and the labels the selectors look at. Resources
 * alike in these are decided alike, so a new process (which has no decidedCache) decides each
 * such group once instead of every resource against every policy.
 */
interface ContestKeys {
  policySet: number;
  byName: boolean;
  labelKeys: string[];
  decided: Map<string, NameDecided | null>;
}

let contestKeys: ContestKeys = { policySet: -1, byName: false, labelKeys: [], decided: new Map() };
/** The decided groups kept at most: this many per resource of the revision, plus the slack. */
const CONTEST_MEMO_FACTOR = 4;
const CONTEST_MEMO_SLACK = 1024;

/** How many groups of resources the contest memo holds: what its bound is checked by. */
export function contestMemoSize(): number {
  return contestKeys.decided.size;
}

function contestKeysFor(model: FleetModel, set: number): ContestKeys {
  if (contestKeys.policySet === set) return contestKeys;
  const labels = new Set<string>();
  let byName = false;
  for (const p of [...model.propagationPolicies, ...model.clusterPropagationPolicies]) {
    for (const sel of p.resourceSelectors) {
      if (sel.name) byName = true;
      for (const k of Object.keys(sel.labelSelector?.matchLabels ?? {})) labels.add(k);
      for (const r of sel.labelSelector?.matchExpressions ?? []) if (typeof r?.key === 'string') labels.add(r.key);
    }
  }
  contestKeys = { policySet: set, byName, labelKeys: [...labels].sort(), decided: new Map() };
  return contestKeys;
}

/** The resource's contest: decided once per group of resources alike in what selectors read (ContestKeys). */
function decideAlike(keys: ContestKeys, index: ClaimIndex, m: Manifest): NameDecided | null {
  const labels = labelsOf(m);
  const parts = [m.apiVersion, m.kind, m.namespace, keys.byName ? m.name : ''];
  for (const k of keys.labelKeys) parts.push(Object.prototype.hasOwnProperty.call(labels, k) ? `=${JSON.stringify(labels[k])}` : '-');
  const key = JSON.stringify(parts);
  let decided = keys.decided.get(key);
  if (decided === undefined) keys.decided.set(key, (decided = decide(index, m)));
  return decided;
}

function decide(index: ClaimIndex, m: Manifest): NameDecided | null {
  const namespaced = m.namespace ? (index.byNamespace.get(m.namespace) ?? []) : [];
  const inNamespace = namespaced.some((p) => policyImplicitPriority(p.resourceSelectors, m) !== Priority.MisMatch);
  return nameDecided(inNamespace ? namespaced : index.cluster, m);
}

interface Shadow {
  winner: Claimant;
  loser: Claimant;
  resources: Manifest[];
}

/**
 * The name-decided contest as the sticky claim settled it (§2.2): when another policy keeps the
 * resource, the tied policies lose to that claim, not to a name — `explain` and `plan` say so, and
 * no POLICY_SHADOWED is due.
 */
function actualContest(decided: NameDecided | null, claimedBy: string | undefined): NameDecided | null {
  if (!decided || claimedBy === undefined || claimedBy === decided.winner) return decided;
  return null;
}

/**
 * POLICY_SHADOWED, one warning per losing policy and winner, at the loser's first selector that
 * matches: a tie on priority and specificity is broken by the policy names, which no one reading
 * either policy would guess. A PropagationPolicy beating a ClusterPropagationPolicy, or a higher
 * priority or a more specific selector winning, is Karmada's documented order and is not warned.
 */
function warnShadowedPolicies(model: FleetModel, index: ClaimIndex, placements: readonly PlacementResult[], sink: DiagnosticSink): void {
  const set = policySet(model);
  const keys = contestKeysFor(model, set);
  // Groups of resources long gone stay decided while the policies stay the same (a name or label
  // value a selector reads sets a group apart): past a few times the revision's resources the memo
  // starts over, as a new process does, so a daemon does not keep every resource it ever saw.
  if (keys.decided.size > CONTEST_MEMO_FACTOR * model.resources.length + CONTEST_MEMO_SLACK) keys.decided.clear();
  const policies = new Map([...model.propagationPolicies, ...model.clusterPropagationPolicies].map((p) => [policyText(p), p]));
  const shadows = new Map<string, Shadow>();
  // Sticky claims (§2.2): a placement whose claim was kept or preempted is claimed by its own policy, not the fresh winner.
  let claimedBy: Map<string, string> | null = null;
  for (const p of placements) {
    if (!p.claim || !p.policy || p.policy.kind === 'Fleet') continue;
    (claimedBy ??= new Map()).set(versionedKey(p.resource), policyText(p.policy));
  }
  for (const m of model.resources) {
    let entry = decidedCache.get(m);
    if (entry?.policySet !== set) {
      entry = { policySet: set, decided: decideAlike(keys, index, m) };
      decidedCache.set(m, entry);
    }
    const decided = claimedBy ? actualContest(entry.decided, claimedBy.get(versionedKey(refOf(m)))) : entry.decided;
    if (!decided) continue;
    const winner = policies.get(decided.winner)!;
    for (const l of decided.losers) {
      const key = `${l.policy}\u0000${decided.winner}`;
      let shadow = shadows.get(key);
      if (!shadow) {
        const loser = { policy: policies.get(l.policy)!, implicitPriority: l.implicitPriority };
        shadow = { winner: { policy: winner, implicitPriority: l.implicitPriority }, loser, resources: [] };
        shadows.set(key, shadow);
      }
      shadow.resources.push(m);
    }
  }
  for (const { winner, loser, resources } of shadows.values()) {
    const first = resources[0]!;
    const i = loser.policy.resourceSelectors.findIndex((s) => resourceSelectorPriority(s, first) === loser.implicitPriority);
    const shown = resources.slice(0, 3).map((m) => describeRef(refOf(m)));
    const more = resources.length > 3 ? ` and ${resources.length - 3} more` : '';
    sink.warn(
      'POLICY_SHADOWED',
      `${policyText(loser.policy)} has no effect on ${shown.join(', ')}${more}: ` +
        `${policyText(winner.policy)} claims ${resources.length === 1 ? 'it' : 'them'}, ` +
        `with the same priority ${winner.policy.priority} and both selecting it ${specificityText(loser.implicitPriority)}, ` +
        `only because "${winner.policy.name}" sorts before "${loser.policy.name}"; ` +
        'give the one meant to win a higher spec.priority, or narrow the other',
      { source: loser.policy.source, path: ['spec', 'resourceSelectors', Math.max(i, 0)] },
    );
  }
}
