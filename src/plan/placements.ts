// Per-resource placement changes between two renders, each changed cell with the rule behind it.
// Reasons come from the verdicts the scheduler already records (filter plugin, spread selection,
// availability) and from the policies of both revisions, so a reviewer reads "filtered out by
// TaintToleration …" or "static weight 60 → 50" instead of bare numbers.
import type { Cluster, ClusterVerdict, FleetModel, Placement, PlacementResult, PolicyRef } from '../model/types.js';
import { versionedKey } from '../objects/identity.js';
import { compareRefs, type RenderSummary } from '../render/render-fleet.js';
import { clusterMatches } from '../objects/label-selector.js';
import { describeFieldChange, fieldChanges } from '../diff/fields.js';
import type { ClusterMove, ReasonKind, WorkloadChange } from './types.js';

/** `PropagationPolicy/default/nginx-propagation` (namespace left out for cluster-scoped kinds). */
export function policyText(p: PolicyRef | null): string {
  if (!p) return '(none)';
  return p.namespace ? `${p.kind}/${p.namespace}/${p.name}` : `${p.kind}/${p.name}`;
}

/** Whether two placements name the same policy (or both none). */
export function samePolicy(a: PolicyRef | null, b: PolicyRef | null): boolean {
  return (a === null && b === null) || (!!a && !!b && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name);
}

/** The placement a policy ref names in a model (Fleet ⇒ its default placement). */
export function findPlacement(model: FleetModel, ref: PolicyRef | null): { placement: Placement; priority: number | null } | null {
  if (!ref) return null;
  if (ref.kind === 'Fleet') {
    const f = model.fleets.find((x) => x.namespace === ref.namespace && x.name === ref.name);
    return f?.placement ? { placement: f.placement, priority: null } : null;
  }
  const list = ref.kind === 'PropagationPolicy' ? model.propagationPolicies : model.clusterPropagationPolicies;
  const p = list.find((x) => x.namespace === ref.namespace && x.name === ref.name);
  return p ? { placement: p.placement, priority: p.priority } : null;
}

/** Karmada's static weight of a cluster: the largest weight of the staticWeightList entries matching it (0: none). */
function staticWeight(placement: Placement | undefined, cluster: Cluster | undefined): number | null {
  const list = placement?.replicaScheduling?.weightPreference?.staticWeightList;
  if (!list || !cluster) return null;
  let weight = 0;
  for (const entry of list) if (clusterMatches(cluster, entry.targetCluster)) weight = Math.max(weight, entry.weight);
  return weight;
}

const PLUGIN_KINDS: Record<string, ReasonKind> = {
  ClusterAffinity: 'affinity',
  TaintToleration: 'taint',
  APIEnablement: 'api',
  SpreadConstraint: 'spread',
};

/** The kind of a verdict reason: which filter, or spread selection, or division. */
function kindOfVerdictReason(reason: string): ReasonKind {
  const m = /^filtered out by (\w+):/.exec(reason);
  if (m) return PLUGIN_KINDS[m[1]!] ?? 'affinity';
  if (reason.includes('being deleted')) return 'cluster-removed';
  if (reason.includes('spreadConstraints') || reason.includes('region ')) return 'spread';
  return 'division';
}

function firstReason(v: ClusterVerdict | undefined): string | null {
  return v && v.reasons.length > 0 ? v.reasons[0]! : null;
}

interface Side {
  render: RenderSummary;
  clusters: Map<string, Cluster>;
  /** Scheduled with the other side's placements as previous: its availability includes what they held. */
  onPrevious: boolean;
}

function side(render: RenderSummary, onPrevious: boolean): Side {
  return { render, clusters: new Map(render.model.clusters.map((c) => [c.name, c])), onPrevious };
}

/** Replicas a cluster can take beyond what it holds (the estimator's allocatable), when it declares capacity. */
function allocatable(v: ClusterVerdict | undefined, s: Side, held: number | null): number | null {
  if (!v || v.availableReplicas === null || !s.clusters.get(v.name)?.resourceSummary) return null;
  return v.availableReplicas - (s.onPrevious ? (held ?? 0) : 0);
}

function referrersText(p: PlacementResult): string {
  return (p.dependency?.requiredBy ?? []).map((r) => `${r.resource.kind} ${r.resource.namespace}/${r.resource.name}`).join(', ');
}

/**
 * A cluster a dependency (propagateDeps) joins or leaves because the workloads referencing it do,
 * not because its own policy selects it there.
 */
function dependencyReason(cluster: string, before: PlacementResult, after: PlacementResult): { reason: string; kind: ReasonKind } | null {
  const ownBefore = before.verdicts.find((v) => v.name === cluster)?.selected === true;
  const ownAfter = after.verdicts.find((v) => v.name === cluster)?.selected === true;
  const placedAfter = after.clusters.some((c) => c.name === cluster);
  if (placedAfter && after.dependency && !ownAfter) {
    return { reason: `goes with the workloads that reference it (propagateDeps): ${referrersText(after)}`, kind: 'dependency' };
  }
  if (!placedAfter && before.dependency && !ownBefore) {
    const now = after.dependency ? `: ${referrersText(after)}` : '';
    return { reason: `the workloads that reference it (propagateDeps) no longer go there${now}`, kind: 'dependency' };
  }
  return null;
}

/** The reason one cluster cell changed, most decisive rule first. */
function cellReason(
  cluster: string,
  before: PlacementResult | undefined,
  after: PlacementResult | undefined,
  base: Side,
  head: Side,
  policyChanged: boolean,
): { reason: string; kind: ReasonKind } {
  if (!after) return { reason: 'resource removed from the repository', kind: 'resource-removed' };
  if (!before) return { reason: 'new resource', kind: 'resource-added' };
  const dependency = dependencyReason(cluster, before, after);
  if (dependency) return dependency;
  if (policyChanged) return { reason: `claimed by ${policyText(after.policy)} instead of ${policyText(before.policy)}`, kind: 'policy' };
  if (!head.clusters.has(cluster)) return { reason: 'cluster removed from the fleet', kind: 'cluster-removed' };
  if (!base.clusters.has(cluster)) return { reason: 'new cluster', kind: 'cluster-added' };
  if (after.error) return { reason: `unschedulable: ${after.error}`, kind: 'unschedulable' };
  if (!after.policy) return { reason: after.explanation[0] ?? 'not propagated', kind: 'not-propagated' };

  const hv = after.verdicts.find((v) => v.name === cluster);
  const bv = before.verdicts.find((v) => v.name === cluster);
  const placedBefore = before.clusters.some((c) => c.name === cluster);
  const placedAfter = after.clusters.some((c) => c.name === cluster);
  if (placedBefore && !placedAfter) {
    const why = firstReason(hv);
    if (why) return { reason: why, kind: kindOfVerdictReason(why) };
    return { reason: 'no longer a candidate of the placement', kind: 'placement' };
  }
  if (!placedBefore && placedAfter) {
    const was = firstReason(bv);
    if (was) {
      const kind = kindOfVerdictReason(was);
      return {
        reason: kind === 'division' || kind === 'spread' ? `now selected (was: ${was})` : `now passes the filters (was: ${was})`,
        kind,
      };
    }
    return { reason: 'now a candidate of the placement', kind: 'placement' };
  }
  // Placed on both sides, replica count changed: name every cause that applies.
  const causes: Array<{ reason: string; kind: ReasonKind }> = [];
  const bp = findPlacement(base.render.model, before.policy)?.placement;
  const hp = findPlacement(head.render.model, after.policy)?.placement;
  const bw = staticWeight(bp, base.clusters.get(cluster));
  const hw = staticWeight(hp, head.clusters.get(cluster));
  if (bw !== null && hw !== null && bw !== hw) causes.push({ reason: `static weight ${bw} → ${hw}`, kind: 'weight' });
  if (before.replicas !== after.replicas) causes.push({ reason: `spec.replicas ${before.replicas} → ${after.replicas}`, kind: 'replicas' });
  const held = before.clusters.find((c) => c.name === cluster)?.replicas ?? null;
  const ba = allocatable(bv, base, null);
  const ha = allocatable(hv, head, held);
  if (ba !== null && ha !== null && ba !== ha) causes.push({ reason: `allocatable replicas ${ba} → ${ha}`, kind: 'capacity' });
  const beforeSet = before.clusters.map((c) => c.name);
  const afterSet = after.clusters.map((c) => c.name);
  const joined = afterSet.filter((n) => !beforeSet.includes(n));
  const left = beforeSet.filter((n) => !afterSet.includes(n));
  if (joined.length > 0 || left.length > 0) {
    const parts = [joined.length ? `${joined.join(', ')} joined` : '', left.length ? `${left.join(', ')} left` : ''].filter(Boolean);
    causes.push({ reason: `replicas redistributed: ${parts.join('; ')}`, kind: 'spread' });
  }
  if (causes.length === 0 && bp && hp && JSON.stringify(bp) !== JSON.stringify(hp)) {
    const first = fieldChanges(JSON.parse(JSON.stringify(bp)), JSON.parse(JSON.stringify(hp)))[0];
    causes.push({ reason: `placement changed (${first ? describeFieldChange(first) : 'edited'})`, kind: 'placement' });
  }
  if (causes.length === 0) causes.push({ reason: 'division changed (see flotilla explain)', kind: 'division' });
  return { reason: causes.map((c) => c.reason).join('; '), kind: causes[0]!.kind };
}

function movesOf(
  before: PlacementResult | undefined,
  after: PlacementResult | undefined,
  base: Side,
  head: Side,
  policyChanged: boolean,
): ClusterMove[] {
  const b = new Map((before?.clusters ?? []).map((c) => [c.name, c.replicas]));
  const a = new Map((after?.clusters ?? []).map((c) => [c.name, c.replicas]));
  const names = [...new Set([...b.keys(), ...a.keys()])].sort();
  return names.map((cluster) => {
    const placedBefore = b.has(cluster);
    const placedAfter = a.has(cluster);
    const bn = b.get(cluster) ?? null;
    const an = a.get(cluster) ?? null;
    const delta = (an ?? 0) - (bn ?? 0);
    const changed = placedBefore !== placedAfter || bn !== an;
    const why = changed ? cellReason(cluster, before, after, base, head, policyChanged) : null;
    return { cluster, placedBefore, placedAfter, before: bn, after: an, delta, reason: why?.reason ?? null, reasonKind: why?.kind ?? null };
  });
}

/** Resource-level reasons: takeover by another policy, replica count, edits of the claiming placement. */
function resourceReasons(before: PlacementResult, after: PlacementResult, base: RenderSummary, head: RenderSummary): string[] {
  const out: string[] = [];
  if (!samePolicy(before.policy, after.policy)) {
    const hp = findPlacement(head.model, after.policy);
    const bp = findPlacement(base.model, before.policy);
    const prio = (p: { priority: number | null } | null) => (p && p.priority !== null ? ` (priority ${p.priority})` : '');
    out.push(`claimed by ${policyText(after.policy)}${prio(hp)} instead of ${policyText(before.policy)}${prio(bp)}`);
  } else if (after.policy) {
    const bp = findPlacement(base.model, before.policy)?.placement;
    const hp = findPlacement(head.model, after.policy)?.placement;
    if (bp && hp) {
      const changes = fieldChanges(JSON.parse(JSON.stringify(bp)), JSON.parse(JSON.stringify(hp)));
      for (const c of changes.slice(0, 3)) out.push(`placement.${describeFieldChange(c)}`);
      if (changes.length > 3) out.push(`${changes.length - 3} more placement changes`);
    }
  }
  if (before.replicas !== after.replicas) out.push(`spec.replicas ${before.replicas} → ${after.replicas}`);
  if (!before.error && after.error) out.push(`becomes unschedulable: ${after.error}`);
  if (before.error && !after.error) out.push(`schedulable again (was: ${before.error})`);
  return out;
}

function placementEqual(a: PlacementResult, b: PlacementResult): boolean {
  return (
    samePolicy(a.policy, b.policy) &&
    a.replicas === b.replicas &&
    a.error === b.error &&
    a.clusters.length === b.clusters.length &&
    a.clusters.every((c, i) => c.name === b.clusters[i]!.name && c.replicas === b.clusters[i]!.replicas)
  );
}

/** Every resource whose placement differs between base and head, sorted by apiVersion, kind, namespace, name. */
export function placementChanges(base: RenderSummary, head: RenderSummary, headScheduledOnBase = false): WorkloadChange[] {
  const b = side(base, false);
  const h = side(head, headScheduledOnBase);
  const before = new Map(base.placements.map((p) => [versionedKey(p.resource), p]));
  const after = new Map(head.placements.map((p) => [versionedKey(p.resource), p]));
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  const out: WorkloadChange[] = [];
  for (const key of keys) {
    const bp = before.get(key);
    const hp = after.get(key);
    if (bp && hp && placementEqual(bp, hp)) continue;
    const any = (hp ?? bp)!;
    // A resource placed nowhere on either side (no policy, both revisions) is not a placement change.
    if ((!bp || bp.clusters.length === 0) && (!hp || hp.clusters.length === 0) && !hp?.error && !(bp && hp)) continue;
    const policyChanged = !!bp && !!hp && !samePolicy(bp.policy, hp.policy);
    const clusters = movesOf(bp, hp, b, h, policyChanged);
    const moved = clusters.reduce((n, c) => n + Math.max(0, (c.before ?? 0) - (c.after ?? 0)), 0);
    out.push({
      resource: any.resource,
      change: !bp ? 'added' : !hp ? 'removed' : 'changed',
      policy: { before: bp?.policy ?? null, after: hp?.policy ?? null },
      replicas: { before: bp?.replicas ?? null, after: hp?.replicas ?? null },
      error: { before: bp?.error ?? null, after: hp?.error ?? null },
      clusters,
      reasons: bp && hp ? resourceReasons(bp, hp, base, head) : [!bp ? 'new resource' : 'resource removed from the repository'],
      moved,
    });
  }
  return out.sort((x, y) => compareRefs(x.resource, y.resource));
}
