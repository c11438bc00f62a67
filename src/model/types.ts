// Plain data shared by every stage of the pipeline. Field names follow Karmada's API
// (policy.karmada.io/v1alpha1, cluster.karmada.io/v1alpha1) so its documentation serves our users.

/** Where a document starts: file relative to the fleet root (posix separators), 1-based line/column. */
export interface ManifestSource {
  file: string;
  /** 0-based index of the YAML document inside the file. */
  docIndex: number;
  line: number;
  column: number;
}

/** A path to a field inside a manifest, e.g. ['spec', 'placement', 'clusterAffinity']. */
export type FieldPath = ReadonlyArray<string | number>;

/** One parsed Kubernetes-style document. `namespace` is '' for cluster-scoped objects. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  object: Record<string, unknown>;
  source: ManifestSource;
}

/** What names an object. Which of its fields make an object's identity: objects/identity.ts. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

// ---------------------------------------------------------------- selectors

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

/** policyv1alpha1.FieldSelector: NodeSelectorRequirements over provider/region/zone. */
export interface FieldSelector {
  matchExpressions?: SelectorRequirement[];
}

/** flotilla extension (docs/reference/semantics.md): preferred affinity adds `weight` to matching clusters' score. */
export interface PreferredClusterTerm {
  weight: number;
  preference: LabelSelector;
}

export interface ClusterAffinity {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  clusterNames?: string[];
  exclude?: string[];
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredClusterTerm[];
}

export interface ClusterAffinityTerm extends ClusterAffinity {
  affinityName: string;
  overflowAffinities?: Array<ClusterAffinity & { affinityName: string }>;
}

// ---------------------------------------------------------------- clusters

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: TaintEffect | '';
  tolerationSeconds?: number;
}

export interface APIEnablement {
  groupVersion: string;
  resources: Array<{ name: string; kind: string }>;
}

/** Quantities as Kubernetes strings ("4", "500m", "16Gi"). */
export type ResourceList = Record<string, string | number>;

export interface ResourceSummary {
  allocatable?: ResourceList;
  allocating?: ResourceList;
  allocated?: ResourceList;
}

/** A member cluster, merged from every declaration of the same name. */
export interface Cluster {
  name: string;
  labels: Record<string, string>;
  provider: string;
  region: string;
  zones: string[];
  taints: Taint[];
  ready: boolean;
  deleting: boolean;
  /** undefined: the cluster declares none, so it is treated as serving every API. */
  apiEnablements?: APIEnablement[];
  /** undefined: no capacity declared. */
  resourceSummary?: ResourceSummary;
  /** Kurator fleets this cluster belongs to. */
  fleets: string[];
  /**
   * AttachedCluster kubeconfig Secret, used by the reconciler to find credentials; `key` is the
   * Secret's data key holding the kubeconfig (Kurator's `spec.kubeconfig: {name, key}`).
   */
  secretRef?: { namespace: string; name: string; key?: string };
  sources: ManifestSource[];
}

// ---------------------------------------------------------------- policies

export interface ResourceSelector {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
  labelSelector?: LabelSelector;
}

export type SpreadField = 'cluster' | 'region' | 'zone' | 'provider';

export interface SpreadConstraint {
  spreadByField?: SpreadField;
  spreadByLabel?: string;
  maxGroups: number;
  minGroups: number;
  /** flotilla extension: group totals differ by at most maxSkew (Divided only). */
  maxSkew?: number;
}

export interface StaticClusterWeight {
  targetCluster: ClusterAffinity;
  weight: number;
}

export interface ReplicaSchedulingStrategy {
  replicaSchedulingType: 'Duplicated' | 'Divided';
  replicaDivisionPreference?: 'Aggregated' | 'Weighted';
  weightPreference?: {
    staticWeightList?: StaticClusterWeight[];
    dynamicWeight?: string;
  };
}

export interface Placement {
  clusterAffinity?: ClusterAffinity;
  clusterAffinities?: ClusterAffinityTerm[];
  clusterTolerations: Toleration[];
  spreadConstraints: SpreadConstraint[];
  /** undefined ⇒ Duplicated (Karmada's Placement.ReplicaSchedulingType()). */
  replicaScheduling?: ReplicaSchedulingStrategy;
  /**
   * flotilla extension: maxSkew limits kept aside when the loader had to replace spread constraints
   * Karmada would reject (e.g. region/zone without a cluster constraint).
   */
  skewConstraints?: Array<{ field: SpreadField; maxSkew: number }>;
  /**
   * The provider/region/zone fields of spread constraints the loader replaced: Karmada's
   * SpreadConstraint filter still removes clusters lacking them (docs/reference/semantics.md §3.1).
   */
  spreadFilterFields?: Array<Exclude<SpreadField, 'cluster'>>;
}

export interface PolicyRef {
  kind: 'PropagationPolicy' | 'ClusterPropagationPolicy' | 'Fleet';
  namespace: string;
  name: string;
}

export interface PropagationPolicy {
  kind: 'PropagationPolicy' | 'ClusterPropagationPolicy';
  name: string;
  /** '' for ClusterPropagationPolicy. */
  namespace: string;
  priority: number;
  preemption: 'Always' | 'Never';
  resourceSelectors: ResourceSelector[];
  placement: Placement;
  /**
   * What happens to an object that already exists on a member cluster and flotilla did not create
   * (Karmada's spec.conflictResolution, default Abort): Abort leaves it alone and fails its apply,
   * Overwrite adopts it (docs/reference/semantics.md §1.1).
   */
  conflictResolution: ConflictResolution;
  /** Karmada's spec.preserveResourcesOnDeletion: objects the repository drops stay on the clusters (released). */
  preserveResourcesOnDeletion: boolean;
  /** Karmada's spec.propagateDeps: the objects its workloads reference go where they go (placement/dependencies.ts). */
  propagateDeps: boolean;
  /** Karmada's spec.dependentOverrides: (Cluster)OverridePolicies that must exist before it takes effect. */
  dependentOverrides: string[];
  /** Karmada's spec.failover.application (absent: the policy asks for no application failover). */
  applicationFailover?: ApplicationFailover;
  /**
   * Karmada's spec.activationPreference Lazy: a change to the policy reaches a resource it already
   * placed only when the resource itself changes (docs/reference/semantics.md §2.3). Absent: immediate.
   */
  activationPreference?: 'Lazy';
  /**
   * Karmada's spec.suspension: dispatching to every cluster (`dispatching: true`) or to the named
   * ones is held; what is on those clusters is neither created, updated nor deleted
   * (docs/reference/semantics.md §2.4). Absent: nothing is suspended.
   */
  suspension?: Suspension;
  source: ManifestSource;
}

/** What happens to the copy on the cluster a workload is evicted from (Karmada's purgeMode). */
export type PurgeMode = 'Immediately' | 'Graciously' | 'Never';

/** Karmada's ApplicationFailoverBehavior, defaults applied (docs/reference/semantics.md §4.5). */
export interface ApplicationFailover {
  /** How long a workload may stay unhealthy on a cluster before it is evicted from it (default 300). */
  tolerationSeconds: number;
  purgeMode: PurgeMode;
  /** Graciously only: how long the old copy waits for the new ones to be healthy (default 600). */
  gracePeriodSeconds: number | null;
}

/** What a policy's spec.suspension holds back: every cluster, or the named ones. */
export type Suspension = { all: true } | { all: false; clusters: string[] };

export type ConflictResolution = 'Abort' | 'Overwrite';

/** Kurator Fleet: its member clusters and (flotilla extension) a default placement. */
export interface Fleet {
  name: string;
  namespace: string;
  clusters: string[];
  placement?: Placement;
  source: ManifestSource;
}

export interface ImageOverrider {
  predicate?: { path: string };
  component: 'Registry' | 'Repository' | 'Tag';
  operator: 'add' | 'remove' | 'replace';
  value?: string;
}

export interface CommandArgsOverrider {
  containerName: string;
  operator: 'add' | 'remove';
  value?: string[];
}

export interface LabelAnnotationOverrider {
  operator: 'add' | 'remove' | 'replace';
  value?: Record<string, string>;
}

export interface PlaintextOverrider {
  path: string;
  operator: 'add' | 'remove' | 'replace';
  value?: unknown;
}

export interface FieldOverrider {
  fieldPath: string;
  json?: Array<{ subPath: string; operator: 'add' | 'remove' | 'replace'; value?: unknown }>;
  yaml?: Array<{ subPath: string; operator: 'add' | 'remove' | 'replace'; value?: unknown }>;
}

export interface Overriders {
  imageOverrider?: ImageOverrider[];
  commandOverrider?: CommandArgsOverrider[];
  argsOverrider?: CommandArgsOverrider[];
  labelsOverrider?: LabelAnnotationOverrider[];
  annotationsOverrider?: LabelAnnotationOverrider[];
  fieldOverrider?: FieldOverrider[];
  plaintext?: PlaintextOverrider[];
}

export interface OverrideRule {
  /** undefined ⇒ every cluster. */
  targetCluster?: ClusterAffinity;
  overriders: Overriders;
  /** Where the rule sits in its policy, for diagnostics. */
  path: FieldPath;
}

export interface OverridePolicy {
  kind: 'OverridePolicy' | 'ClusterOverridePolicy';
  name: string;
  namespace: string;
  /** Empty ⇒ matches every resource. */
  resourceSelectors: ResourceSelector[];
  rules: OverrideRule[];
  source: ManifestSource;
}

/** The seed's KarmadaConfig: flotilla's own tuning, never propagated. */
export interface Tuning {
  parallelism: number;
  estimatorTimeoutSeconds: number;
}

/** Everything a revision of the fleet repository declares. */
export interface FleetModel {
  clusters: Cluster[];
  fleets: Fleet[];
  propagationPolicies: PropagationPolicy[];
  clusterPropagationPolicies: PropagationPolicy[];
  overridePolicies: OverridePolicy[];
  clusterOverridePolicies: OverridePolicy[];
  /** Everything to propagate, sorted by apiVersion, kind, namespace, name. */
  resources: Manifest[];
  /**
   * The documents that steer the fleet instead of being placed on it (fleets, cluster declarations,
   * policies, KarmadaConfig, Applications), sorted as `resources`: the scope judges each by its file's rule
   * as an object of its kind (validate/scope.ts), so no path reaches past its lane through a policy.
   */
  controlPlane: Manifest[];
  tuning: Tuning;
}

// ---------------------------------------------------------------- scheduling results

export interface TargetCluster {
  name: string;
  /** Per-cluster replicas for workloads; null for everything else. */
  replicas: number | null;
}

/** The previous result of one resource (status branch or `render --previous`). */
export interface PreviousPlacement {
  clusters: TargetCluster[];
  /** Karmada's status.schedulerObservedAffinityName. */
  affinityName?: string | null;
  /**
   * A reschedule was triggered (Karmada's spec.rescheduleTriggeredAt, as WorkloadRebalancer sets
   * it): dynamic weights and Aggregated divide in Fresh mode (docs/reference/semantics.md §4.3), not on top of `clusters`.
   */
  fresh?: boolean;
  /**
   * Clusters the workload is being evicted from by application failover (Karmada's
   * gracefulEvictionTasks): the ClusterEviction filter keeps them out until the eviction ends.
   */
  evicted?: readonly string[];
  /** The policy that claimed the resource (sticky claims, docs/reference/semantics.md §2.2); absent: unknown. */
  policy?: PolicyRef | null;
  /** The revision since which that policy claims it. */
  claimedSince?: string;
  /** The resource template's hash when a Lazy policy placed it (activationPreference, §2.3). */
  templateHash?: string;
}

/** How a placement's claim follows from the previous revision's (sticky claims, docs/reference/semantics.md §2.2). */
export interface ClaimRecord {
  /** The revision since which the claiming policy claims the resource (null: before a previous result that did not say). */
  since: string | null;
  /**
   * new: no policy claimed it before; kept: the previous claim stands; preempted: a policy with
   * preemption Always took it; released: the previous policy is gone or no longer selects it;
   * fleet: a Fleet's default placement, never sticky.
   */
  change: 'new' | 'kept' | 'preempted' | 'released';
  /** The previous revision's claim (null: none). */
  previous: PolicyRef | null;
  /** Why, in words: "kept by …; … does not preempt". */
  reason: string;
  /** Policies that select the resource and would claim it from scratch but do not preempt (kept claims only). */
  notPreempting: PolicyRef[];
}

/** Per-cluster record of why a cluster was (not) chosen, for `explain`. */
export interface ClusterVerdict {
  name: string;
  /** Passed every filter. */
  feasible: boolean;
  /** Why it was filtered out, or why it was/was not selected after filtering. */
  reasons: string[];
  score: number;
  availableReplicas: number | null;
  selected: boolean;
  replicas: number | null;
}

export interface PlacementResult {
  resource: ObjectRef;
  policy: PolicyRef | null;
  /** Desired replicas of the workload, null for non-workloads. */
  replicas: number | null;
  clusters: TargetCluster[];
  error: string | null;
  /** Karmada's status.schedulerObservedAffinityName, when clusterAffinities is used. */
  affinityName?: string | null;
  /** Human-readable steps: which filters ran, the division arithmetic. */
  explanation: string[];
  verdicts: ClusterVerdict[];
  /** propagateDeps: this object is a dependency of workloads placed with it (absent when it is not). */
  dependency?: DependencyPlacement;
  /** Set when the render had a previous result: how the claim follows from the previous one. */
  claim?: ClaimRecord;
  /** The template's hash, when a Lazy policy claims it (the next revision tells whether it changed). */
  templateHash?: string;
  /** Lazy activation kept the previous placement: the policy's changes wait for a change to the resource. */
  lazyKept?: boolean;
  /** Clusters where the claiming policy suspends dispatching (spec.suspension), sorted. */
  suspendedClusters?: string[];
}

/** How an object that workloads reference is placed with them (Karmada's attached binding). */
export interface DependencyPlacement {
  /** The workloads that reference it, with the policies that propagate their dependencies (Karmada's requiredBy). */
  requiredBy: Array<{ resource: ObjectRef; policy: PolicyRef }>;
  /** No claim of its own: it goes only where they go, with their ownership settings merged. */
  attachedOnly: boolean;
}
