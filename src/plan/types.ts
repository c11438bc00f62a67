// The plain-data report of `flotilla plan`: what merging head onto base changes. computePlan builds
// it; the markdown, text and JSON formatters only print it.
import type { TrafficPlan } from './traffic.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { PolicyRef } from '../model/types.js';
import type { ObjectRef } from '../objects/identity.js';

/** A revision as the report names it, with its diagnostic counts. */
export interface RevisionSummary {
  /** 40-hex commit, or "worktree". */
  revision: string;
  errors: number;
  warnings: number;
}

/** Why a cluster's share of a resource changed, by the kind of rule behind it. */
export type ReasonKind =
  | 'policy' // another policy claims the resource
  | 'placement' // the claiming policy's placement was edited (no finer reason found)
  | 'cluster-added'
  | 'cluster-removed'
  | 'affinity'
  | 'taint'
  | 'api'
  | 'spread'
  | 'capacity'
  | 'weight'
  | 'replicas'
  | 'unschedulable'
  | 'resource-added'
  | 'resource-removed'
  | 'not-propagated'
  | 'dependency' // it goes with the workloads that reference it (propagateDeps)
  | 'division';

/** One cluster of one resource: before → after. Replica counts are null for non-workloads. */
export interface ClusterMove {
  cluster: string;
  placedBefore: boolean;
  placedAfter: boolean;
  before: number | null;
  after: number | null;
  /** after − before in replicas (absent counts as 0); 0 for non-workloads. */
  delta: number;
  /** Set when the cell changed. */
  reason: string | null;
  reasonKind: ReasonKind | null;
}

/** A resource whose placement changed (policy, clusters, replicas or schedulability). */
export interface WorkloadChange {
  resource: ObjectRef;
  change: 'added' | 'removed' | 'changed';
  policy: { before: PolicyRef | null; after: PolicyRef | null };
  replicas: { before: number | null; after: number | null };
  error: { before: string | null; after: string | null };
  /** Every cluster the resource is on before or after, sorted by name (unchanged ones too, for the matrix). */
  clusters: ClusterMove[];
  /** Resource-level reasons: policy takeover, spec.replicas, placement edits. */
  reasons: string[];
  /** Replicas leaving clusters: Σ max(0, before − after). */
  moved: number;
}

/**
 * A claim that changes at head, or is kept against a policy that would win from scratch
 * (docs/reference/semantics.md §2.2): preempted (preemption Always), released (the policy is gone or
 * no longer selects it), kept, or reclaimed (head scheduled from scratch).
 */
export interface ClaimChange {
  resource: ObjectRef;
  change: 'preempted' | 'released' | 'kept' | 'reclaimed';
  before: PolicyRef | null;
  after: PolicyRef | null;
  reason: string;
}

/** A changed object with its field-level summary. */
export interface ObjectChange extends ObjectRef {
  fields: string[];
  /** Field changes not listed in `fields`. */
  moreFields: number;
}

/** What changes in one cluster's rendered manifests. */
export interface ClusterObjectChanges {
  cluster: string;
  /** 'drops-out': everything on it is deleted; 'new': nothing was rendered for it before. */
  state: 'new' | 'drops-out' | 'kept';
  added: ObjectRef[];
  /** Every deletion, listed one by one. */
  removed: ObjectRef[];
  changed: ObjectChange[];
}

/** A policy, override policy, cluster or fleet declaration added, removed or edited. */
export interface DeclarationChange {
  kind: string;
  namespace: string;
  name: string;
  change: 'added' | 'removed' | 'changed';
  fields: string[];
  moreFields: number;
}

/** A risky consequence a reviewer should look at before merging. */
export interface Risk {
  code:
    | 'CLUSTER_TO_ZERO'
    | 'REGION_TO_ZERO'
    | 'FLEET_CLUSTER_TO_ZERO'
    | 'FLEET_REGION_TO_ZERO'
    | 'UNSCHEDULABLE'
    | 'LARGE_MOVE'
    | 'VS_SUBSET_UNBACKED';
  message: string;
  resource: ObjectRef | null;
}

/** A head diagnostic, marked when base did not have it. */
export interface PlanDiagnostic extends Diagnostic {
  isNew: boolean;
}

/** The counts the summary line prints. */
export interface PlanSummary {
  changed: boolean;
  workloadsChanged: number;
  replicasMoved: number;
  objectsAdded: number;
  objectsRemoved: number;
  objectsChanged: number;
  clustersAffected: number;
  policiesChanged: number;
  overridesChanged: number;
  clusterDeclarationsChanged: number;
  risks: number;
  headErrors: number;
}

/** Everything `flotilla plan` reports. */
export interface PlanReport {
  base: RevisionSummary;
  head: RevisionSummary;
  /** Whether head was scheduled with base's placements as Karmada's previous result. */
  headScheduledOnBase: boolean;
  maxMove: number;
  summary: PlanSummary;
  /** Every cluster of either revision, sorted. */
  clusters: string[];
  workloads: WorkloadChange[];
  /** Claim changes, and claims kept against a policy that would win from scratch. */
  claims: ClaimChange[];
  /** Resources whose policy holds dispatching (spec.suspension) on some of their clusters: nothing is applied or deleted there. */
  suspended: Array<{ resource: ObjectRef; clusters: string[] }>;
  objects: ClusterObjectChanges[];
  policies: DeclarationChange[];
  overrides: DeclarationChange[];
  clusterDeclarations: DeclarationChange[];
  risks: Risk[];
  /** Things a reviewer should know that are not changes (e.g. a new taint that placed workloads survive). */
  notes: string[];
  diagnostics: PlanDiagnostic[];
  /** Adaptive routes and the canaries the pull request starts (plan/traffic.ts); absent when there are none. */
  traffic?: TrafficPlan;
}
