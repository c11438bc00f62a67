// The whole render pipeline as one pure function: files in, placements + per-cluster manifests +
// diagnostics out. The CLI, the reconciler and `plan` all call this, so a dry run computes exactly
// what the reconciler would do.
import { DiagnosticSink, type Diagnostic } from '../model/diagnostics.js';
import type {
  Cluster,
  ConflictResolution,
  FleetModel,
  Manifest,
  OverridePolicy,
  PlacementResult,
  PolicyRef,
  PreviousPlacement,
  Suspension,
} from '../model/types.js';
import { describeRef, refOfObject, versionedKey, type ObjectRef } from '../objects/identity.js';
import { makeFieldLocator, parseFleetFiles, type SourceFile } from '../load/parse.js';
import { buildFleetModel } from '../fleet/build.js';
import { buildClaimIndex, claimResource, policyRefText, stickyClaim, type Claim, type ClaimIndex } from '../placement/claim.js';
import { NO_DETAILS, refOf, scheduleResource } from '../placement/schedule.js';
import { divideHpaBounds } from '../placement/division.js';
import { checkMisplacement } from '../placement/misplacement.js';
import { attachDependencies } from '../placement/dependencies.js';
import { checkDependentOverrides } from '../override/dependent.js';
import { applyOverrides, matchingOverridePolicies } from '../override/apply.js';
import { recordOverriddenBy } from '../override/overridden-by.js';
import { divideJobCompletions, replicaProblem, replicasOf, withReplicas } from '../placement/workload.js';
import { createHash } from 'node:crypto';
import { sortKeysDeep } from '../objects/serialize.js';
import { copyMembers } from '../objects/json.js';
import { checkVirtualServices } from '../validate/virtual-service.js';
import { trafficDeclarations } from '../traffic/declarations.js';
import { checkBuiltinKinds } from '../validate/builtin-schema.js';
import {
  CLUSTER_ANNOTATION,
  CONFLICT_RESOLUTION_ANNOTATION,
  MANAGED_LABEL,
  MANAGED_VALUE,
  OVERRIDDEN_BY_ANNOTATION,
  OWNERSHIP_ANNOTATIONS,
  POLICY_ANNOTATION,
  PRESERVE_ANNOTATION,
  REVISION_ANNOTATION,
  SOURCE_ANNOTATION,
  SUSPENDED_ANNOTATION,
} from '../objects/tracking.js';
import { compareStrings } from '../model/order.js';

export interface RenderInput {
  files: readonly SourceFile[];
  /** 40-hex commit, or "worktree". */
  revision: string;
  /** Previous placements by versionedKey(), the base for Karmada's scale-up/down rules. */
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

/** A render without its manifests: what comparing placements, declarations and diagnostics needs (plan). */
export type RenderSummary = Omit<RenderResult, 'manifests'>;

/** Orders placements as docs/reference/contract.md says: apiVersion, kind, namespace, name. */
export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return (
    compareStrings(a.apiVersion, b.apiVersion) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.name, b.name)
  );
}

const HPA_API = 'autoscaling/v2';
/** Namespaces every cluster has: never rendered, so flotilla never claims (or prunes) them. */
const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * A revision placed but not yet rendered: what a render needs before its first object. Its sink
 * holds the diagnostics so far; rendering adds the override problems.
 */
export interface PlacedFleet {
  revision: string;
  model: FleetModel;
  sink: DiagnosticSink;
  /** In contract order (apiVersion, kind, namespace, name). */
  placements: PlacementResult[];
  hpaBounds: ReadonlyMap<string, HpaBounds>;
  rctx: RenderContext;
}

/**
 * Load, model, claim, schedule: everything of a render but the per-cluster objects. `details:
 * false` schedules without per-cluster verdicts and explanation steps (PlacementContext.details;
 * only `explain`, `plan` and the dashboard show them): at a thousand clusters they outweigh the rest
 * of a placement many times, and computing them costs more than the scheduling.
 */
export function placeFleet(input: RenderInput, options: { details?: boolean } = {}): PlacedFleet {
  const keepDetails = options.details ?? true;
  const sink = new DiagnosticSink(makeFieldLocator(input.files));
  const manifests = parseFleetFiles(input.files, sink);
  const model = buildFleetModel(manifests, sink);
  const ctx = placementContext(model, { details: keepDetails });
  const previous = input.previous ?? new Map<string, PreviousPlacement>();

  const placements = new Map<string, PlacementResult>();
  const followers: Manifest[] = [];
  for (const resource of model.resources) {
    const key = versionedKey(refOf(resource));
    const claim = claimFor(ctx, resource, input.previous, input.revision);
    if (isHpaFollower(resource, claim)) {
      followers.push(resource);
      continue;
    }
    placements.set(key, placeResource(ctx, resource, claim, previous.get(key), sink));
  }

  const { sortedPlacements, hpaBounds } = completePlacements(model, placements, followers, sink);
  return { revision: input.revision, model, sink, placements: sortedPlacements, hpaBounds, rctx: renderContext(model) };
}

/** Renders a fleet revision: load, claim, schedule, override, render (`details` as placeFleet's). */
export function renderFleet(input: RenderInput, options: { details?: boolean } = {}): RenderResult {
  const { model, sink, placements, hpaBounds, rctx } = placeFleet(input, options);
  const rendered: RenderedObject[] = [];
  for (const p of placements) {
    if (p.clusters.length === 0) continue;
    const key = versionedKey(p.resource);
    const resource = rctx.byKey.get(key)!;
    rendered.push(...renderPlacement(rctx, resource, p, overridesFor(rctx, resource), hpaBounds.get(key), input.revision, sink));
  }

  return {
    revision: input.revision,
    clusters: clusterSummaries(model),
    placements,
    manifests: assembleManifests(rctx, rendered, input.revision),
    diagnostics: sink.sorted(),
    model,
  };
}

/** The clusters section of a render result. */
export function clusterSummaries(model: FleetModel): ClusterSummary[] {
  return model.clusters.map((c) => ({
    name: c.name,
    labels: c.labels,
    ready: c.ready,
    provider: c.provider,
    region: c.region,
    zones: c.zones,
    fleets: c.fleets,
  }));
}

/** What scheduling one resource needs from the revision's model, built once per revision. */
export interface PlacementContext {
  index: ClaimIndex;
  clusters: readonly Cluster[];
  clusterByName: ReadonlyMap<string, Cluster>;
  /**
   * False: placeResource neither computes nor keeps per-cluster verdicts and explanation steps (both
   * are NO_DETAILS); clusters, replicas, errors, claim and diagnostics are the same as with them.
   */
  details: boolean;
}

/** Builds the per-revision scheduling context; `details` defaults to true (ScheduleInput.details). */
export function placementContext(model: FleetModel, options: { details?: boolean } = {}): PlacementContext {
  return {
    index: buildClaimIndex(model),
    clusters: model.clusters,
    clusterByName: new Map(model.clusters.map((c) => [c.name, c])),
    details: options.details ?? true,
  };
}

/**
 * The claim of a resource: from scratch without a previous result, else sticky (the previous
 * revision's policy keeps it unless it is gone, no longer selects it or is preempted, §2.2).
 */
export function claimFor(
  ctx: PlacementContext,
  resource: Manifest,
  previous: ReadonlyMap<string, PreviousPlacement> | undefined,
  revision: string,
): Claim {
  if (!previous) return claimResource(ctx.index, resource);
  return stickyClaim(ctx.index, resource, previous.get(versionedKey(refOf(resource))), revision);
}

/** An HPA that no policy claims follows its scale target instead of being scheduled itself. */
export function isHpaFollower(resource: Manifest, claim: Claim): boolean {
  return claim.kind !== 'policy' && isFollowingHpa(resource);
}

/**
 * The placement of one claimed (or unclaimed) resource: the claim's placement scheduled over its
 * universe of clusters (a fleet's members for its default placement). A failure is reported as
 * SCHEDULE_FAILED at the resource's document.
 */
export function placeResource(
  ctx: PlacementContext,
  resource: Manifest,
  claim: Claim,
  previous: PreviousPlacement | undefined,
  sink: DiagnosticSink,
): PlacementResult {
  const ref = refOf(resource);
  const { details } = ctx;
  if (claim.kind === 'none') {
    return {
      resource: ref,
      policy: null,
      replicas: null,
      clusters: [],
      error: null,
      explanation: details ? [`not propagated: ${claim.reason}`] : NO_DETAILS,
      verdicts: details ? [] : NO_DETAILS,
    };
  }
  const policy: PolicyRef =
    claim.kind === 'policy'
      ? { kind: claim.policy.kind, namespace: claim.policy.namespace, name: claim.policy.name }
      : { kind: 'Fleet', namespace: claim.fleet.namespace, name: claim.fleet.name };
  const placement = claim.kind === 'policy' ? claim.policy.placement : claim.fleet.placement!;
  const universe =
    claim.kind === 'fleet' ? claim.fleet.clusters.map((n) => ctx.clusterByName.get(n)).filter((c): c is Cluster => !!c) : ctx.clusters;
  const invalid = replicaProblem(resource);
  const lazy = claim.kind === 'policy' && claim.policy.activationPreference === 'Lazy' && !invalid;
  const templateHash = lazy ? hashTemplate(resource) : undefined;
  if (invalid) {
    // The API server would reject it; scheduling it as a non-workload would copy it whole to every cluster.
    sink.error('INVALID_FIELD_TYPE', `${describeRef(ref)}: ${invalid.message}`, {
      source: resource.source,
      path: invalid.path,
    });
    return {
      resource: ref,
      policy,
      replicas: null,
      clusters: [],
      error: invalid.message,
      explanation: details ? [`not scheduled: ${invalid.message}`] : NO_DETAILS,
      verdicts: details ? [] : NO_DETAILS,
    };
  }
  const kept = templateHash ? lazyPlacement(ctx, resource, claim, previous, templateHash) : null;
  const result = kept ?? scheduleResource({ resource, placement, policy, clusters: universe, previous, details });
  if (templateHash) result.templateHash = templateHash;
  if (claim.kind === 'policy' && claim.policy.suspension) holdSuspended(result, claim.policy.suspension, previous, details);
  if (!details) {
    // A kept (Lazy) placement brings its own step; scheduled ones already carry NO_DETAILS.
    result.explanation = NO_DETAILS;
    result.verdicts = NO_DETAILS;
  } else {
    result.explanation.unshift(
      claim.kind === 'policy'
        ? `claimed by ${policyRefText(policy)} (priority ${claim.policy.priority})`
        : `no policy selects it: default placement of Fleet ${claim.fleet.namespace}/${claim.fleet.name}`,
    );
  }
  // Kept out of the explanation steps: the incremental renderer updates a new claim's revision without scheduling again.
  if (claim.kind === 'policy' && claim.record) result.claim = claim.record;
  if (result.error) sink.error('SCHEDULE_FAILED', `${describeRef(ref)} cannot be scheduled: ${result.error}`, { source: resource.source });
  return result;
}

/** A stable hash of a resource template as written (sanitized as rendered), for Lazy activation (§2.3). */
function hashTemplate(resource: Manifest): string {
  return createHash('sha256')
    .update(JSON.stringify(sortKeysDeep(sanitize(resource.object, resource.namespace))))
    .digest('hex')
    .slice(0, 16);
}

/**
 * activationPreference Lazy (docs/reference/semantics.md §2.3): a resource the same policy placed at
 * the previous revision, whose template has not changed since, keeps that placement — a change to
 * the policy waits for a change to the resource. Not when the previous placement cannot stand as
 * it is: a cluster gone from the fleet, or replicas that no longer add up (failover took a cluster
 * out of a Divided workload), then the policy as it is now places it.
 */
function lazyPlacement(
  ctx: PlacementContext,
  resource: Manifest,
  claim: Claim,
  previous: PreviousPlacement | undefined,
  templateHash: string,
): PlacementResult | null {
  if (claim.kind !== 'policy' || !previous || previous.templateHash !== templateHash || previous.clusters.length === 0) return null;
  if (claim.record?.change !== 'kept' && claim.record?.change !== undefined) return null;
  const before = previous.policy;
  if (!before || before.kind !== claim.policy.kind || before.namespace !== claim.policy.namespace || before.name !== claim.policy.name)
    return null;
  if (!previous.clusters.every((c) => ctx.clusterByName.has(c.name))) return null;
  const replicas = replicasOf(resource);
  if (replicas !== null) {
    const counts = previous.clusters.map((c) => c.replicas);
    if (counts.some((n) => n === null)) return null;
    const sum = (counts as number[]).reduce((a, b) => a + b, 0);
    if (sum !== replicas && !counts.every((n) => n === replicas)) return null;
  } else if (previous.clusters.some((c) => c.replicas !== null)) return null;
  return {
    resource: refOf(resource),
    policy: { kind: claim.policy.kind, namespace: claim.policy.namespace, name: claim.policy.name },
    replicas,
    clusters: previous.clusters.map((c) => ({ name: c.name, replicas: c.replicas })),
    error: null,
    ...(previous.affinityName ? { affinityName: previous.affinityName } : {}),
    explanation: [
      'activationPreference Lazy: the resource is unchanged since the previous revision, so it keeps the previous placement; ' +
        'the policy as it is now applies when the resource next changes',
    ],
    verdicts: [],
    lazyKept: true,
  };
}

/**
 * spec.suspension (docs/reference/semantics.md §2.4): the clusters where dispatching is held. A
 * held cluster the previous placement had keeps the object as it was placed (nothing is deleted
 * there); the rendered objects on held clusters carry SUSPENDED_ANNOTATION, which the targets
 * neither apply nor prune.
 */
function holdSuspended(result: PlacementResult, suspension: Suspension, previous: PreviousPlacement | undefined, details: boolean): void {
  const held = (name: string) => suspension.all || suspension.clusters.includes(name);
  const placed = new Set(result.clusters.map((c) => c.name));
  const kept = (previous?.clusters ?? []).filter((c) => held(c.name) && !placed.has(c.name));
  if (kept.length > 0) {
    result.clusters = [...result.clusters, ...kept.map((c) => ({ name: c.name, replicas: c.replicas }))].sort((a, b) =>
      compareStrings(a.name, b.name),
    );
    if (details) result.explanation.push(`suspended: kept on ${kept.map((c) => c.name).join(', ')}, where dispatching is held`);
  }
  const suspended = result.clusters.map((c) => c.name).filter(held);
  if (suspended.length === 0) return;
  result.suspendedClusters = suspended;
  if (details) result.explanation.push(`suspended (spec.suspension): nothing is created, updated or deleted on ${suspended.join(', ')}`);
}

/** Per-cluster HPA bounds of a following HPA. */
export type HpaBounds = ReadonlyMap<string, { minReplicas: number; maxReplicas: number }>;

function isFollowingHpa(m: Manifest): boolean {
  return m.apiVersion === HPA_API && m.kind === 'HorizontalPodAutoscaler';
}

/**
 * The placement steps after scheduling, shared by the full and the incremental render: HPAs follow
 * their targets, placements are sorted (docs/reference/contract.md order), VirtualServices and built-in kinds are checked
 * and so is what goes nowhere or to the wrong policy (placement/misplacement.ts).
 */
export function completePlacements(
  model: FleetModel,
  placements: Map<string, PlacementResult>,
  followers: readonly Manifest[],
  sink: DiagnosticSink,
): { sortedPlacements: PlacementResult[]; hpaBounds: Map<string, HpaBounds> } {
  const hpaBounds = new Map<string, HpaBounds>();
  for (const hpa of followers) {
    const { result, bounds } = followTarget(hpa, placements, sink);
    placements.set(versionedKey(result.resource), result);
    if (bounds) hpaBounds.set(versionedKey(result.resource), bounds);
  }
  attachDependencies(model, placements, sink);
  const sortedPlacements = [...placements.values()].sort((a, b) => compareRefs(a.resource, b.resource));
  checkDependentOverrides(model, sortedPlacements, sink);
  checkVirtualServices(model, sortedPlacements, sink);
  trafficDeclarations(model, sink);
  checkBuiltinKinds(model.resources, sink, (m) => placements.get(versionedKey(refOf(m)))?.error != null);
  checkMisplacement(model, sortedPlacements, sink);
  return { sortedPlacements, hpaBounds };
}

/** flotilla extension: an HPA no policy selects follows the workload it scales, its bounds divided. */
export function followTarget(
  hpa: Manifest,
  placements: ReadonlyMap<string, PlacementResult>,
  sink: DiagnosticSink,
): { result: PlacementResult; bounds?: Map<string, { minReplicas: number; maxReplicas: number }> } {
  const ref = refOf(hpa);
  const spec = (hpa.object.spec ?? {}) as {
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
  const target = spec.scaleTargetRef ?? {};
  const targetRef = { apiVersion: target.apiVersion ?? '', kind: target.kind ?? '', namespace: hpa.namespace, name: target.name ?? '' };
  const targetPlacement = placements.get(versionedKey(targetRef));
  if (!targetPlacement) {
    sink.warn(
      'HPA_TARGET_NOT_FOUND',
      `HorizontalPodAutoscaler ${ref.namespace}/${ref.name} scales ${targetRef.kind} ` +
        `${targetRef.name}, which is not in the repository, and no policy selects the HPA: not propagated`,
      {
        source: hpa.source,
        path: ['spec', 'scaleTargetRef'],
      },
    );
    return {
      result: {
        resource: ref,
        policy: null,
        replicas: null,
        clusters: [],
        error: null,
        explanation: ['not propagated: its scale target is not in the repository'],
        verdicts: [],
      },
    };
  }
  const targetText = `${targetRef.kind}/${targetRef.namespace}/${targetRef.name}`;
  const explanation = [`no policy selects it: follows the placement of its scale target ${targetText}`];
  if (targetPlacement.clusters.length === 0) {
    return {
      result: {
        resource: ref,
        policy: targetPlacement.policy,
        replicas: null,
        clusters: [],
        error: null,
        explanation: [...explanation, 'its target is placed on no cluster'],
        verdicts: [],
      },
    };
  }
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : min;
  const split = targetPlacement.clusters.map((c) => ({ name: c.name, replicas: c.replicas ?? 1 }));
  const divided = divideHpaBounds(min, max, split, '');
  const bounds = new Map(divided.map((d) => [d.name, { minReplicas: d.minReplicas, maxReplicas: d.maxReplicas }]));
  explanation.push(
    `minReplicas ${min} / maxReplicas ${max} divided in proportion to the target's replicas: ` +
      `${divided.map((d) => `${d.name} ${d.minReplicas}..${d.maxReplicas}`).join(', ')}`,
  );
  return {
    result: {
      resource: ref,
      policy: targetPlacement.policy,
      replicas: null,
      clusters: targetPlacement.clusters.map((c) => ({ name: c.name, replicas: null })),
      error: null,
      explanation,
      verdicts: [],
      // Held where its target is held (spec.suspension): an HPA applied without its workload would scale nothing.
      ...(targetPlacement.suspendedClusters ? { suspendedClusters: targetPlacement.suspendedClusters } : {}),
    },
    bounds,
  };
}

/**
 * Server-populated fields never belong in a rendered manifest. Only the top level and metadata are
 * copied: the rest is shared with the template, as rendered objects already share it with each
 * other (read-only, like every render result; whoever changes one copies it first, as overrides
 * and traffic do). Deep-copying every template cost a restart more than the rest of rendering it.
 */
function sanitize(object: Record<string, unknown>, namespace = ''): Record<string, unknown> {
  const copy = { ...object };
  delete copy.status;
  const m = copy.metadata ?? {};
  const meta = (typeof m === 'object' && m !== null && !Array.isArray(m) ? { ...m } : structuredClone(m)) as Record<string, unknown>;
  for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp'])
    delete meta[k];
  // The namespace is explicit in what we render ('default' when the manifest left it out), so an
  // apply never depends on a kubeconfig's current namespace.
  if (namespace) meta.namespace = namespace;
  copy.metadata = meta;
  return copy;
}

/** What the claiming policy says about objects flotilla did not create and objects the repository drops. */
export interface Ownership {
  conflictResolution: ConflictResolution;
  preserveResourcesOnDeletion: boolean;
}

/** Karmada's defaults: a Fleet's default placement, or no policy at all. */
const DEFAULT_OWNERSHIP: Ownership = { conflictResolution: 'Abort', preserveResourcesOnDeletion: false };
/**
 * A Namespace flotilla adds because its objects need it: an existing one is adopted (and released,
 * never deleted, when no object needs it any more) — a namespace created by someone else is the
 * usual case, and refusing it would fail every object in it.
 */
const ADDED_NAMESPACE_OWNERSHIP: Ownership = { conflictResolution: 'Overwrite', preserveResourcesOnDeletion: false };

/**
 * Adds flotilla's tracking label and annotations for one cluster at one revision, and the claiming
 * policy's ownership settings when they are not Karmada's defaults (a manifest's own values for
 * those annotations are dropped: the policy decides).
 */
function withTracking(
  object: Record<string, unknown>,
  cluster: string,
  revision: string,
  policy: PolicyRef | null,
  sourceFile: string,
  ownership: Ownership,
  suspended = false,
): Record<string, unknown> {
  return tracked(object, trackingOf(object.metadata, revision, policy, sourceFile, ownership), cluster, suspended);
}

/** The tracking labels and annotations of an object's metadata on any cluster (the cluster's own annotation left empty). */
interface Tracking {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function trackingOf(metadata: unknown, revision: string, policy: PolicyRef | null, sourceFile: string, ownership: Ownership): Tracking {
  const meta = (metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const labels = { ...(meta.labels ?? {}), [MANAGED_LABEL]: MANAGED_VALUE };
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  for (const k of OWNERSHIP_ANNOTATIONS) delete annotations[k];
  annotations[REVISION_ANNOTATION] = revision;
  annotations[SOURCE_ANNOTATION] = sourceFile;
  // Set here so that every cluster's copy has it in the same place as a fresh withTracking.
  annotations[CLUSTER_ANNOTATION] = '';
  if (policy) annotations[POLICY_ANNOTATION] = policyRefText(policy);
  if (ownership.conflictResolution === 'Overwrite') annotations[CONFLICT_RESOLUTION_ANNOTATION] = 'Overwrite';
  if (ownership.preserveResourcesOnDeletion) annotations[PRESERVE_ANNOTATION] = 'true';
  return { labels, annotations };
}

/** OVERRIDDEN_BY_ANNOTATION's text of a policy list, made once per list (a resource's copies share theirs: renderOnCluster). */
const overriddenByTexts = new WeakMap<readonly OverridePolicy[], string>();

function overriddenByText(policies: readonly OverridePolicy[]): string {
  let text = overriddenByTexts.get(policies);
  if (text === undefined) overriddenByTexts.set(policies, (text = JSON.stringify([...new Set(policies.map((p) => p.source.file))])));
  return text;
}

/**
 * The object with `tracking` (made from its metadata) for `cluster`: metadata, labels and annotations
 * are its own. `overriddenBy`: the override policies that changed it (OVERRIDDEN_BY_ANNOTATION).
 */
function tracked(
  object: Record<string, unknown>,
  tracking: Tracking,
  cluster: string,
  suspended: boolean,
  overriddenBy: readonly OverridePolicy[] = [],
): Record<string, unknown> {
  const meta = copyMembers((object.metadata as Record<string, unknown> | undefined) ?? {});
  meta.labels = { ...tracking.labels };
  const annotations = { ...tracking.annotations };
  annotations[CLUSTER_ANNOTATION] = cluster;
  if (suspended) annotations[SUSPENDED_ANNOTATION] = 'true';
  if (overriddenBy.length > 0) annotations[OVERRIDDEN_BY_ANNOTATION] = overriddenByText(overriddenBy);
  meta.annotations = annotations;
  return { ...object, metadata: meta };
}

/** The ownership settings of the policy that placed an object (Karmada's defaults for a Fleet or none). */
function ownershipOf(ctx: RenderContext, policy: PolicyRef | null): Ownership {
  return (policy && ctx.ownership.get(policyRefText(policy))) ?? DEFAULT_OWNERSHIP;
}

/**
 * The ownership settings an object is rendered with: its claiming policy's, or, for a dependency with
 * no claim of its own, its referrers' merged as Karmada's dependencies distributor merges them —
 * Overwrite if any referrer's policy overwrites, preserved if any preserves.
 */
export function placementOwnership(ctx: RenderContext, p: PlacementResult): Ownership {
  if (!p.dependency?.attachedOnly) return ownershipOf(ctx, p.policy);
  const all = p.dependency.requiredBy.map((r) => ownershipOf(ctx, r.policy));
  return {
    conflictResolution: all.some((o) => o.conflictResolution === 'Overwrite') ? 'Overwrite' : 'Abort',
    preserveResourcesOnDeletion: all.some((o) => o.preserveResourcesOnDeletion),
  };
}

/** Apply order inside a cluster: Namespaces, CRDs, everything else; then by identity. */
/** Whether `o` is a Namespace: first in apply order. */
export function isNamespaceObject(o: Record<string, unknown>): boolean {
  return o.kind === 'Namespace' && o.apiVersion === 'v1';
}

function applyRank(o: Record<string, unknown>): number {
  if (isNamespaceObject(o)) return 0;
  if (o.kind === 'CustomResourceDefinition') return 1;
  return 2;
}

/** What rendering needs from the revision's model, built once per revision. */
export interface RenderContext {
  byKey: ReadonlyMap<string, Manifest>;
  clusters: ReadonlyMap<string, Cluster>;
  clusterOverridePolicies: readonly OverridePolicy[];
  overridesByNamespace: ReadonlyMap<string, OverridePolicy[]>;
  /** Each propagation policy's ownership settings, by `Kind/namespace/name`. */
  ownership: ReadonlyMap<string, Ownership>;
  /** The policies and Fleets (by `Kind/namespace/name`) whose placement divides replicas: only theirs are revised. */
  divided: ReadonlySet<string>;
}

/** Builds the per-revision render context. */
export function renderContext(model: FleetModel): RenderContext {
  const overridesByNamespace = new Map<string, OverridePolicy[]>();
  for (const op of model.overridePolicies) {
    const list = overridesByNamespace.get(op.namespace) ?? [];
    list.push(op);
    overridesByNamespace.set(op.namespace, list);
  }
  const policies = [...model.propagationPolicies, ...model.clusterPropagationPolicies];
  const divided = new Set<string>();
  for (const p of policies) if (p.placement.replicaScheduling?.replicaSchedulingType === 'Divided') divided.add(policyRefText(p));
  for (const f of model.fleets) {
    if (f.placement?.replicaScheduling?.replicaSchedulingType === 'Divided') divided.add(policyRefText({ kind: 'Fleet', ...f }));
  }
  return {
    byKey: new Map(model.resources.map((m) => [versionedKey(refOf(m)), m])),
    clusters: new Map(model.clusters.map((c) => [c.name, c])),
    clusterOverridePolicies: model.clusterOverridePolicies,
    overridesByNamespace,
    ownership: new Map(
      policies.map((p) => [
        policyRefText(p),
        { conflictResolution: p.conflictResolution, preserveResourcesOnDeletion: p.preserveResourcesOnDeletion },
      ]),
    ),
    divided,
  };
}

/**
 * Whether each cluster's replica share is written into the object: Karmada's binding controller
 * revises replicas only for a Divided placement of more than 0 replicas (needReviseReplicas); a
 * Duplicated object keeps its replica fields as written, so a Job gets no parallelism it did not have.
 */
export function revisesReplicas(ctx: RenderContext, p: PlacementResult): boolean {
  return p.policy !== null && (p.replicas ?? 0) > 0 && ctx.divided.has(policyRefText(p.policy));
}

/** The (Cluster)OverridePolicies that apply to a resource, in application order. */
export function overridesFor(ctx: RenderContext, resource: Manifest): OverridePolicy[] {
  return matchingOverridePolicies(resource, ctx.clusterOverridePolicies, ctx.overridesByNamespace.get(resource.namespace) ?? []);
}

/** One rendered object and where it goes; `namespace` is the resource's ('' if cluster-scoped), which the cluster then needs. */
export interface RenderedObject {
  cluster: string;
  namespace: string;
  object: Record<string, unknown>;
}

/**
 * Renders one placed resource for each of its clusters: replicas, HPA bounds, overrides, tracking.
 * Override problems are reported once per resource (errors once per cluster too); a cluster whose
 * overrides fail gets nothing, as Karmada creates no Work for it.
 */
export function renderPlacement(
  ctx: RenderContext,
  resource: Manifest,
  p: PlacementResult,
  policies: readonly OverridePolicy[],
  hpaBounds: HpaBounds | undefined,
  revision: string,
  sink: DiagnosticSink,
): RenderedObject[] {
  const out: RenderedObject[] = [];
  if (p.clusters.length === 0) return out;
  const job = placementJob(ctx, resource, p, policies, hpaBounds, revision);
  // Problem ids carry the resource key, so de-duplicating per resource equals de-duplicating per revision.
  const reported = new Set<string>();
  for (const target of p.clusters) {
    const r = renderOnCluster(ctx, job, target, sink, reported);
    if (r) out.push(r);
  }
  return out;
}

/** One placed resource ready to render on any of its clusters. */
export interface PlacementJob {
  resource: Manifest;
  p: PlacementResult;
  /** renderBase(resource), shared by every cluster's copy (never modified). */
  base: Record<string, unknown>;
  policies: readonly OverridePolicy[];
  hpaBounds: HpaBounds | undefined;
  revision: string;
  /** Whether each cluster's replica share is written into its copy (revisesReplicas). */
  revise: boolean;
  /** A Divided Job's completions per cluster (divideJobCompletions), null otherwise. */
  completions: ReadonlyMap<string, number> | null;
  /** The placement's ownership settings (placementOwnership). */
  ownership: Ownership;
  /** The tracking of `base`'s metadata: a copy whose metadata no override changed gets it without recomputing. */
  tracking: Tracking;
}

/** The job of rendering one placed resource on its clusters. */
export function placementJob(
  ctx: RenderContext,
  resource: Manifest,
  p: PlacementResult,
  policies: readonly OverridePolicy[],
  hpaBounds: HpaBounds | undefined,
  revision: string,
): PlacementJob {
  const revise = revisesReplicas(ctx, p);
  const completions = revise ? divideJobCompletions(resource, p.clusters) : null;
  const base = renderBase(resource);
  const ownership = placementOwnership(ctx, p);
  const tracking = trackingOf(base.metadata, revision, p.policy, resource.source.file, ownership);
  return { resource, p, base, policies, hpaBounds, revision, revise, completions, ownership, tracking };
}

/** The resource's object without server-set fields, its namespace explicit: what every cluster's copy starts from. */
function renderBase(resource: Manifest): Record<string, unknown> {
  return sanitize(resource.object, resource.namespace);
}

/**
 * The resource's copy for one of its clusters (null when the cluster is unknown or its overrides
 * fail). Override problems whose id is in `reported` are not reported again; ids carry the
 * resource's key, so one set can serve a whole revision.
 */
export function renderOnCluster(
  ctx: RenderContext,
  job: PlacementJob,
  target: { name: string; replicas: number | null },
  sink: DiagnosticSink,
  reported: Set<string>,
): RenderedObject | null {
  const { resource, p, policies } = job;
  const cluster = ctx.clusters.get(target.name);
  if (!cluster) return null;
  let object =
    job.revise && target.replicas !== null ? withReplicas(resource.apiVersion, resource.kind, job.base, target.replicas) : job.base;
  const share = job.completions?.get(target.name);
  if (share !== undefined) object = { ...object, spec: { ...(object.spec as Record<string, unknown>), completions: share } };
  const bounds = job.hpaBounds?.get(target.name);
  if (bounds) object = { ...object, spec: { ...(object.spec as Record<string, unknown>), ...bounds } };
  let applied: readonly OverridePolicy[] = [];
  if (policies.length > 0) {
    const key = versionedKey(p.resource);
    const o = applyOverrides(resource, object, cluster, policies);
    let failed = false;
    for (const problem of o.problems) {
      if (problem.severity === 'error') failed = true;
      const { code, policy, path, severity } = problem;
      const onCluster = severity === 'error' ? target.name : '';
      const id = `${code}|${policy.kind}|${policy.namespace}|${policy.name}|${path.join('/')}|${key}|${onCluster}`;
      if (reported.has(id)) continue;
      reported.add(id);
      const where = problem.severity === 'error' ? ` on cluster ${target.name}` : '';
      sink.report(
        problem.severity,
        problem.code,
        `${problem.policy.kind} ${problem.policy.name} → ${p.resource.kind} ${p.resource.name}${where}: ${problem.message}`,
        {
          source: problem.policy.source,
          path: problem.path,
        },
      );
    }
    if (failed) return null; // Karmada creates no Work for a cluster whose overrides fail.
    object = o.object;
    // Every matching policy applied (no rule left out for this cluster): the job's own list, shared by its copies.
    applied = o.changedBy.length === policies.length && o.changedBy.every((x, i) => x === policies[i]) ? policies : o.changedBy;
  }
  const rendered = tracked(
    object,
    object.metadata === job.base.metadata
      ? job.tracking
      : trackingOf(object.metadata, job.revision, p.policy, resource.source.file, job.ownership),
    target.name,
    p.suspendedClusters?.includes(target.name) ?? false,
    applied,
  );
  // The scope judges the copy by the rules of the paths whose policies changed it, too.
  recordOverriddenBy(rendered, applied, resource);
  return { cluster: target.name, namespace: resource.namespace, object: rendered };
}

/**
 * The per-cluster manifests from rendered objects given in placement order, clusters sorted by
 * name; a cluster with no object has no entry.
 */
export function assembleManifests(
  ctx: RenderContext,
  rendered: Iterable<RenderedObject>,
  revision: string,
): Record<string, Record<string, unknown>[]> {
  const byCluster = new Map<string, RenderedObject[]>();
  for (const r of rendered) {
    const list = byCluster.get(r.cluster);
    if (list) list.push(r);
    else byCluster.set(r.cluster, [r]);
  }
  const result: Record<string, Record<string, unknown>[]> = {};
  for (const name of [...byCluster.keys()].sort()) result[name] = assembleCluster(ctx, name, byCluster.get(name)!, revision);
  return result;
}

/**
 * One cluster's manifests in apply order from its rendered objects (in placement order): every
 * namespace they live in is added — the declared Namespace when the repository has one, else a
 * bare one — then Namespaces, CRDs and everything else, each by identity.
 */
export function assembleCluster(
  ctx: RenderContext,
  cluster: string,
  rendered: readonly RenderedObject[],
  revision: string,
): Record<string, unknown>[] {
  const list = rendered.map((r) => r.object);
  const needed = new Set<string>();
  for (const r of rendered) if (r.namespace) needed.add(r.namespace);
  const present = new Set(list.filter((o) => applyRank(o) === 0).map((o) => refOfObject(o).name));
  for (const ns of [...needed].sort()) {
    if (present.has(ns) || BUILTIN_NAMESPACES.has(ns)) continue;
    const declared = ctx.byKey.get(versionedKey({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns }));
    const object = declared ? sanitize(declared.object) : { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    list.push(withTracking(object, cluster, revision, null, declared?.source.file ?? '(generated)', ADDED_NAMESPACE_OWNERSHIP));
  }
  return inApplyOrder(list);
}

/**
 * Objects sorted in apply order (stable), each ref read once: a comparator reading them costs a
 * ref per comparison, and at a thousand objects per cluster that was most of assembling one.
 */
function inApplyOrder(list: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const keyed = list.map((o) => ({ o, rank: applyRank(o), ref: refOfObject(o) }));
  keyed.sort((a, b) => a.rank - b.rank || compareRefs(a.ref, b.ref));
  return keyed.map((k) => k.o);
}

/** A cluster's objects in apply order (Namespaces, CRDs, then by identity), for objects added after the render (traffic/apply.ts). */
export function sortForApply(list: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return inApplyOrder(list);
}
