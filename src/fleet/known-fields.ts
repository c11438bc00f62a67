// The field names of Karmada's and Kurator's kinds, for strict field validation
// (docs/reference/semantics.md §1.6): ObjectMeta for every kind flotilla reads, and
// the shapes of the API structures flotilla accepts without acting on them, so a typo inside
// `failover` or `suspension` is caught as kubectl's strict validation would catch it.
import type { FieldPath } from '../model/types.js';
import type { ManifestReader } from '../model/fields.js';
import { isMap } from '../objects/json.js';

/** Top-level keys of every Kubernetes object. `status` is written by servers and never checked. */
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

/** metav1.ObjectMeta's JSON fields. */
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

/** Checks the top-level keys and `metadata` of a Karmada or Kurator object. */
export function checkObjectFields(r: ManifestReader): void {
  const object = r.manifest.object;
  r.knownFields(object, [], OBJECT_FIELDS);
  if (isMap(object.metadata)) r.knownFields(object.metadata, ['metadata'], OBJECT_META_FIELDS);
}

/**
 * The field names of a structure: a nested Shape for a mapping, `[Shape]` for a list of mappings,
 * null for a value whose inside is not checked (scalars, free-form maps).
 */
export interface Shape {
  readonly [field: string]: Shape | readonly [Shape] | null;
}

/** Checks the keys of `value` (and below) against `shape`; values of the wrong type are left to the reader that uses them. */
export function checkShape(r: ManifestReader, value: unknown, path: FieldPath, shape: Shape): void {
  if (!isMap(value)) return;
  r.knownFields(value, path, Object.keys(shape));
  checkInside(r, value, path, shape);
}

/** Checks what lies below the fields of `obj` that `shape` names, not `obj`'s own keys. */
export function checkInside(r: ManifestReader, obj: Record<string, unknown>, path: FieldPath, shape: Shape): void {
  for (const [field, inner] of Object.entries(shape)) {
    const v = obj[field];
    if (inner === null || v === undefined) continue;
    if (isListShape(inner)) {
      if (Array.isArray(v)) v.forEach((item, i) => checkShape(r, item, [...path, field, i], inner[0]));
    } else {
      checkShape(r, v, [...path, field], inner);
    }
  }
}

function isListShape(s: Shape | readonly [Shape]): s is readonly [Shape] {
  return Array.isArray(s);
}

const STATE_PRESERVATION: Shape = { rules: [{ aliasLabelName: null, jsonPath: null }] };

/** Shapes of the PropagationSpec fields flotilla accepts without implementing (karmada pkg/apis/policy/v1alpha1/propagation_types.go). */
export const UNSUPPORTED_SPEC_SHAPES: Readonly<Record<string, Shape>> = {
  failover: {
    application: {
      decisionConditions: { tolerationSeconds: null },
      purgeMode: null,
      gracePeriodSeconds: null,
      statePreservation: STATE_PRESERVATION,
    },
    cluster: { purgeMode: null, statePreservation: STATE_PRESERVATION },
  },
  suspension: { dispatching: null, dispatchingOnClusters: { clusterNames: null } },
  schedulePriority: { priorityClassSource: null, priorityClassName: null },
};

/** placement.workloadAffinity (behind Karmada's WorkloadAffinity feature gate). */
export const WORKLOAD_AFFINITY_SHAPE: Shape = { affinity: { groupByLabelKey: null }, antiAffinity: { groupByLabelKey: null } };

const SECRET_REFERENCE: Shape = { namespace: null, name: null };

/**
 * Karmada Cluster spec fields flotilla reads nothing from, with their shapes (karmada
 * pkg/apis/cluster/v1alpha1/types.go): connections come from the operator's side, and there is no
 * resource-model estimation.
 */
export const KARMADA_CLUSTER_UNUSED_SPEC: Shape = {
  id: null,
  syncMode: null,
  apiEndpoint: null,
  secretRef: SECRET_REFERENCE,
  impersonatorSecretRef: SECRET_REFERENCE,
  insecureSkipTLSVerification: null,
  proxyURL: null,
  proxyHeader: null,
  resourceModels: [{ grade: null, ranges: [{ name: null, min: null, max: null }] }],
};

/**
 * Kurator's (Cluster API) Cluster spec: only its top-level fields are checked, as flotilla
 * provisions nothing (kurator pkg/apis/cluster/v1alpha1/cluster_types.go).
 */
export const KURATOR_CLUSTER_SPEC_FIELDS = [
  'infraType',
  'credential',
  'version',
  'region',
  'network',
  'master',
  'workers',
  'podIdentity',
  'additionalResources',
] as const;

/** Kurator Fleet `spec.plugin` (kurator pkg/apis/fleet/v1alpha1/types.go PluginConfig): its plugins, not their settings. */
export const FLEET_PLUGIN_FIELDS = ['metric', 'grafana', 'policy', 'backup', 'distributedStorage', 'flagger', 'submariner'] as const;

const SECRET_NAME: Shape = { name: null };
const DESTINATION: Shape = { fleet: null, clusterSelector: { matchLabels: null } };

/** Flux's GitRepositorySpec (source-controller api/v1beta2), as Kurator's Application embeds it. */
const GIT_REPOSITORY: Shape = {
  url: null,
  secretRef: SECRET_NAME,
  interval: null,
  timeout: null,
  ref: { branch: null, tag: null, semver: null, name: null, commit: null },
  verify: { mode: null, secretRef: SECRET_NAME },
  ignore: null,
  suspend: null,
  gitImplementation: null,
  recurseSubmodules: null,
  include: [{ repository: { name: null }, fromPath: null, toPath: null }],
  accessFrom: null,
};

/** Flux's HelmRepositorySpec. */
const HELM_REPOSITORY: Shape = {
  url: null,
  secretRef: SECRET_NAME,
  passCredentials: null,
  interval: null,
  timeout: null,
  suspend: null,
  accessFrom: null,
  type: null,
  provider: null,
};

/** Kurator's Kustomization sync policy (kurator pkg/apis/apps/v1alpha1/kustomization_types.go). */
const KUSTOMIZATION: Shape = {
  commonMetadata: { annotations: null, labels: null },
  dependsOn: null,
  interval: null,
  retryInterval: null,
  path: null,
  prune: null,
  patches: null,
  images: null,
  targetNamespace: null,
  timeout: null,
  force: null,
  components: null,
};

/**
 * A Kurator Application's spec. `helm` is Flux's HelmReleaseSpec, checked at its top level by
 * flotilla's reader (values are free-form); `rollout` is kept as written for canary rollouts
 * (see traffic), not read here.
 */
export const APPLICATION_SPEC_SHAPE: Shape = {
  source: { gitRepository: GIT_REPOSITORY, helmRepository: HELM_REPOSITORY, ociRepository: null },
  syncPolicies: [{ name: null, kustomization: KUSTOMIZATION, helm: null, destination: DESTINATION, rollout: null }],
  destination: DESTINATION,
};
