// The whole render pipeline as one pure function: files in, placements + per-cluster manifests +
// diagnostics out. The CLI, the reconciler and `plan` all call this, so a dry run computes exactly
// what the reconciler would do.
import { DiagnosticSink, sortDiagnostics, type Diagnostic } from '../model/diagnostics.js';
import type { Cluster, FleetModel, Manifest, OverridePolicy, PlacementResult, PolicyRef, PreviousPlacement, ResourceRef } from '../model/types.js';
import { makeFieldLocator, parseFleetFiles, type SourceFile } from '../load/parse.js';
import { buildFleetModel } from '../model/build.js';
import { buildClaimIndex, claimResource } from '../placement/claim.js';
import { refOf, scheduleResource } from '../placement/schedule.js';
import { divideHpaBounds } from '../placement/division.js';
import { applyOverrides, matchingOverridePolicies } from '../override/apply.js';
import { withReplicas } from '../placement/workload.js';
import { checkVirtualServices } from '../validate/virtual-service.js';
import { CLUSTER_ANNOTATION, MANAGED_LABEL, MANAGED_VALUE, POLICY_ANNOTATION, REVISION_ANNOTATION, SOURCE_ANNOTATION } from './tracking.js';

export interface RenderInput {
  files: readonly SourceFile[];
  /** 40-hex commit, or "worktree". */
  revision: string;
  /** Previous placements by resourceKey(), the base for Karmada's scale-up/down rules. */
  previous?: ReadonlyMap<string, PreviousPlacement>;
}

export interface ClusterSummary {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  provider: string;
  region: string;
  zones: string[];
  fleets: string[];
}

export interface RenderResult {
  revision: string;
  clusters: ClusterSummary[];
  placements: PlacementResult[];
  /** Rendered objects per cluster, in apply order (Namespaces, CRDs, then by identity). */
  manifests: Record<string, Record<string, unknown>[]>;
  diagnostics: Diagnostic[];
  model: FleetModel;
}

/** Stable key of a resource identity, used to look up previous placements. */
export function resourceKey(r: ResourceRef): string {
  return `${r.apiVersion}|${r.kind}|${r.namespace}|${r.name}`;
}

function policyRefText(p: PolicyRef): string {
  return `${p.kind}/${p.namespace}/${p.name}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders placements as CONTRACT.md says: apiVersion, kind, namespace, name. */
export function compareRefs(a: ResourceRef, b: ResourceRef): number {
  return compareStrings(a.apiVersion, b.apiVersion) || compareStrings(a.kind, b.kind) || compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}

const HPA_API = 'autoscaling/v2';
/** Namespaces every cluster has: never rendered, so flotilla never claims (or prunes) them. */
const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Renders a fleet revision: load, claim, schedule, override, render. */
export function renderFleet(input: RenderInput): RenderResult {
  const sink = new DiagnosticSink(makeFieldLocator(input.files));
  const manifests = parseFleetFiles(input.files, sink);
  const model = buildFleetModel(manifests, sink);
  const index = buildClaimIndex(model);
  const clusterByName = new Map(model.clusters.map((c) => [c.name, c]));
  const previous = input.previous ?? new Map<string, PreviousPlacement>();

  const placements = new Map<string, PlacementResult>();
  const followers: Manifest[] = [];
  for (const resource of model.resources) {
    const claim = claimResource(index, resource);
    const ref = refOf(resource);
    if (claim.kind !== 'policy' && isFollowingHpa(resource)) {
      followers.push(resource);
      continue;
    }
    let result: PlacementResult;
    if (claim.kind === 'none') {
      result = { resource: ref, policy: null, replicas: null, clusters: [], error: null, explanation: [`not propagated: ${claim.reason}`], verdicts: [] };
    } else {
      const policy: PolicyRef =
        claim.kind === 'policy'
          ? { kind: claim.policy.kind, namespace: claim.policy.namespace, name: claim.policy.name }
          : { kind: 'Fleet', namespace: claim.fleet.namespace, name: claim.fleet.name };
      const placement = claim.kind === 'policy' ? claim.policy.placement : claim.fleet.placement!;
      const universe = claim.kind === 'fleet' ? claim.fleet.clusters.map((n) => clusterByName.get(n)).filter((c): c is Cluster => !!c) : model.clusters;
      result = scheduleResource({ resource, placement, policy, clusters: universe, previous: previous.get(resourceKey(ref)) });
      result.explanation.unshift(
        claim.kind === 'policy' ? `claimed by ${policyRefText(policy)} (priority ${claim.policy.priority})` : `no policy selects it: default placement of Fleet ${claim.fleet.namespace}/${claim.fleet.name}`,
      );
      if (result.error) sink.error('SCHEDULE_FAILED', `${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name} cannot be scheduled: ${result.error}`, { source: resource.source });
    }
    placements.set(resourceKey(ref), result);
  }

  const hpaBounds = new Map<string, Map<string, { minReplicas: number; maxReplicas: number }>>();
  for (const hpa of followers) {
    const { result, bounds } = followTarget(hpa, placements, sink);
    placements.set(resourceKey(result.resource), result);
    if (bounds) hpaBounds.set(resourceKey(result.resource), bounds);
  }

  const sortedPlacements = [...placements.values()].sort((a, b) => compareRefs(a.resource, b.resource));
  checkVirtualServices(model, sortedPlacements, sink);

  const rendered = renderManifests(model, sortedPlacements, hpaBounds, input.revision, sink);

  return {
    revision: input.revision,
    clusters: model.clusters.map((c) => ({ name: c.name, labels: c.labels, ready: c.ready, provider: c.provider, region: c.region, zones: c.zones, fleets: c.fleets })),
    placements: sortedPlacements,
    manifests: rendered,
    diagnostics: sortDiagnostics(sink.items),
    model,
  };
}

function isFollowingHpa(m: Manifest): boolean {
  return m.apiVersion === HPA_API && m.kind === 'HorizontalPodAutoscaler';
}

/** flotilla extension: an HPA no policy selects follows the workload it scales, its bounds divided. */
function followTarget(
  hpa: Manifest,
  placements: ReadonlyMap<string, PlacementResult>,
  sink: DiagnosticSink,
): { result: PlacementResult; bounds?: Map<string, { minReplicas: number; maxReplicas: number }> } {
  const ref = refOf(hpa);
  const spec = (hpa.object.spec ?? {}) as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string }; minReplicas?: number; maxReplicas?: number };
  const target = spec.scaleTargetRef ?? {};
  const targetRef = { apiVersion: target.apiVersion ?? '', kind: target.kind ?? '', namespace: hpa.namespace, name: target.name ?? '' };
  const targetPlacement = placements.get(resourceKey(targetRef));
  if (!targetPlacement) {
    sink.warn('HPA_TARGET_NOT_FOUND', `HorizontalPodAutoscaler ${ref.namespace}/${ref.name} scales ${targetRef.kind} ${targetRef.name}, which is not in the repository, and no policy selects the HPA: not propagated`, {
      source: hpa.source,
      path: ['spec', 'scaleTargetRef'],
    });
    return { result: { resource: ref, policy: null, replicas: null, clusters: [], error: null, explanation: ['not propagated: its scale target is not in the repository'], verdicts: [] } };
  }
  const targetText = `${targetRef.kind}/${targetRef.namespace}/${targetRef.name}`;
  const explanation = [`no policy selects it: follows the placement of its scale target ${targetText}`];
  if (targetPlacement.clusters.length === 0) {
    return { result: { resource: ref, policy: targetPlacement.policy, replicas: null, clusters: [], error: null, explanation: [...explanation, 'its target is placed on no cluster'], verdicts: [] } };
  }
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : min;
  const split = targetPlacement.clusters.map((c) => ({ name: c.name, replicas: c.replicas ?? 1 }));
  const divided = divideHpaBounds(min, max, split, '');
  const bounds = new Map(divided.map((d) => [d.name, { minReplicas: d.minReplicas, maxReplicas: d.maxReplicas }]));
  explanation.push(`minReplicas ${min} / maxReplicas ${max} divided in proportion to the target's replicas: ${divided.map((d) => `${d.name} ${d.minReplicas}..${d.maxReplicas}`).join(', ')}`);
  return {
    result: { resource: ref, policy: targetPlacement.policy, replicas: null, clusters: targetPlacement.clusters.map((c) => ({ name: c.name, replicas: null })), error: null, explanation, verdicts: [] },
    bounds,
  };
}

/** Server-populated fields never belong in a rendered manifest. */
function sanitize(object: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(object);
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown> | undefined;
  if (meta) {
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp']) delete meta[k];
  }
  return copy;
}

function withTracking(object: Record<string, unknown>, cluster: string, revision: string, policy: PolicyRef | null, sourceFile: string): Record<string, unknown> {
  const meta = { ...((object.metadata as Record<string, unknown> | undefined) ?? {}) };
  meta.labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}), [MANAGED_LABEL]: MANAGED_VALUE };
  const annotations: Record<string, string> = { ...((meta.annotations as Record<string, string> | undefined) ?? {}) };
  annotations[REVISION_ANNOTATION] = revision;
  annotations[SOURCE_ANNOTATION] = sourceFile;
  annotations[CLUSTER_ANNOTATION] = cluster;
  if (policy) annotations[POLICY_ANNOTATION] = policyRefText(policy);
  meta.annotations = annotations;
  return { ...object, metadata: meta };
}

/** Apply order inside a cluster: Namespaces, CRDs, everything else; then by identity. */
function applyRank(o: Record<string, unknown>): number {
  if (o.kind === 'Namespace' && o.apiVersion === 'v1') return 0;
  if (o.kind === 'CustomResourceDefinition') return 1;
  return 2;
}

function objectRef(o: Record<string, unknown>): ResourceRef {
  const meta = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return { apiVersion: String(o.apiVersion), kind: String(o.kind), namespace: meta.namespace ?? '', name: meta.name ?? '' };
}

function renderManifests(
  model: FleetModel,
  placements: readonly PlacementResult[],
  hpaBounds: ReadonlyMap<string, ReadonlyMap<string, { minReplicas: number; maxReplicas: number }>>,
  revision: string,
  sink: DiagnosticSink,
): Record<string, Record<string, unknown>[]> {
  const byKey = new Map(model.resources.map((m) => [resourceKey(refOf(m)), m]));
  const clusters = new Map(model.clusters.map((c) => [c.name, c]));
  const overridesByNamespace = new Map<string, OverridePolicy[]>();
  for (const op of model.overridePolicies) {
    const list = overridesByNamespace.get(op.namespace) ?? [];
    list.push(op);
    overridesByNamespace.set(op.namespace, list);
  }
  const out = new Map<string, Record<string, unknown>[]>();
  const namespacesNeeded = new Map<string, Set<string>>();
  const reported = new Set<string>();

  for (const p of placements) {
    if (p.clusters.length === 0) continue;
    const key = resourceKey(p.resource);
    const resource = byKey.get(key)!;
    const base = sanitize(resource.object);
    const policies = matchingOverridePolicies(resource, model.clusterOverridePolicies, overridesByNamespace.get(resource.namespace) ?? []);
    for (const target of p.clusters) {
      const cluster = clusters.get(target.name);
      if (!cluster) continue;
      let object = target.replicas !== null ? withReplicas(resource.apiVersion, resource.kind, base, target.replicas) : base;
      const bounds = hpaBounds.get(key)?.get(target.name);
      if (bounds) object = { ...object, spec: { ...(object.spec as Record<string, unknown>), ...bounds } };
      if (policies.length > 0) {
        const o = applyOverrides(resource, object, cluster, policies);
        let failed = false;
        for (const problem of o.problems) {
          if (problem.severity === 'error') failed = true;
          const id = `${problem.code}|${problem.policy.kind}|${problem.policy.namespace}|${problem.policy.name}|${problem.path.join('/')}|${key}|${problem.severity === 'error' ? target.name : ''}`;
          if (reported.has(id)) continue;
          reported.add(id);
          const where = problem.severity === 'error' ? ` on cluster ${target.name}` : '';
          sink.report(problem.severity, problem.code, `${problem.policy.kind} ${problem.policy.name} → ${p.resource.kind} ${p.resource.name}${where}: ${problem.message}`, {
            source: problem.policy.source,
            path: problem.path,
          });
        }
        if (failed) continue; // Karmada creates no Work for a cluster whose overrides fail.
        object = o.object;
      }
      const list = out.get(target.name) ?? [];
      list.push(withTracking(object, target.name, revision, p.policy, resource.source.file));
      out.set(target.name, list);
      if (resource.namespace) {
        const set = namespacesNeeded.get(target.name) ?? new Set<string>();
        set.add(resource.namespace);
        namespacesNeeded.set(target.name, set);
      }
    }
  }

  // Every namespace a cluster's objects live in is rendered too: the declared Namespace when the
  // repository has one, else a bare one.
  for (const [cluster, needed] of namespacesNeeded) {
    const list = out.get(cluster)!;
    const present = new Set(list.filter((o) => applyRank(o) === 0).map((o) => objectRef(o).name));
    for (const ns of [...needed].sort()) {
      if (present.has(ns) || BUILTIN_NAMESPACES.has(ns)) continue;
      const declared = byKey.get(resourceKey({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns }));
      const object = declared ? sanitize(declared.object) : { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
      list.push(withTracking(object, cluster, revision, null, declared?.source.file ?? '(generated)'));
    }
  }

  const result: Record<string, Record<string, unknown>[]> = {};
  for (const name of [...out.keys()].sort()) {
    result[name] = out.get(name)!.sort((a, b) => applyRank(a) - applyRank(b) || compareRefs(objectRef(a), objectRef(b)));
  }
  return result;
}
