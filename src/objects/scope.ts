// Which kinds are cluster-scoped: kubectl leaves their namespace empty and defaults every other
// kind's namespace to 'default'. Built-in list plus kinds a CustomResourceDefinition in the
// repository declares with `spec.scope: Cluster`.

/** The API group of an apiVersion: "apps/v1" → "apps", "v1" → "" (core). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Built-in cluster-scoped kinds, matched by kind alone (their names are unambiguous). */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'ClusterPropagationPolicy',
  'ClusterOverridePolicy',
]);

/**
 * Kinds that are cluster-scoped only in one group (Kurator's and Cluster API's `Cluster` are
 * namespaced, and so is Cluster API's `IPAddress`), and the newer built-in kinds, named with their
 * group since their names are common ones.
 */
const CLUSTER_SCOPED_GROUP_KINDS = new Set([
  'cluster.karmada.io/Cluster',
  '/ComponentStatus',
  'policy/PodSecurityPolicy',
  'extensions/PodSecurityPolicy',
  'networking.k8s.io/ClusterCIDR',
  'resource.k8s.io/ResourceClass',
  'auditregistration.k8s.io/AuditSink',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'certificates.k8s.io/ClusterTrustBundle',
  'storage.k8s.io/VolumeAttributesClass',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'resource.k8s.io/DeviceTaintRule',
  'storagemigration.k8s.io/StorageVersionMigration',
  'internal.apiserver.k8s.io/StorageVersion',
  'authentication.k8s.io/TokenReview',
  'authentication.k8s.io/SelfSubjectReview',
  'authorization.k8s.io/SubjectAccessReview',
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
]);

/**
 * The API groups Kubernetes serves itself: a CRD cannot define kinds in them (the API server
 * refuses it), so a repository's CRD that claims one says nothing about their scope.
 */
const BUILT_IN_GROUPS = new Set([
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'auditregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Cluster-scoped kinds declared by CRDs, keyed "group/Kind". */
export type CustomScopes = ReadonlySet<string>;

/** The "group/Kind" of a CRD document declaring a cluster-scoped kind, or null. */
export function clusterScopedKindOfCrd(apiVersion: string, kind: string, object: Record<string, unknown>): string | null {
  if (kind !== 'CustomResourceDefinition' || apiGroup(apiVersion) !== 'apiextensions.k8s.io') return null;
  const spec = object.spec as { scope?: unknown; group?: unknown; names?: { kind?: unknown } } | undefined;
  // A CRD's group has a dot and is none of Kubernetes' own (the API server refuses one that is not):
  // one that claims `""` or `apps` would make every ConfigMap or Deployment of every path cluster-scoped.
  if (!spec || spec.scope !== 'Cluster' || typeof spec.group !== 'string' || !spec.group.includes('.') || BUILT_IN_GROUPS.has(spec.group))
    return null;
  const crdKind = spec.names?.kind;
  return typeof crdKind === 'string' ? `${spec.group}/${crdKind}` : null;
}

/** True when objects of this apiVersion/kind have no namespace. */
export function isClusterScoped(apiVersion: string, kind: string, custom: CustomScopes): boolean {
  if (CLUSTER_SCOPED_KINDS.has(kind)) return true;
  const key = `${apiGroup(apiVersion)}/${kind}`;
  return CLUSTER_SCOPED_GROUP_KINDS.has(key) || custom.has(key);
}
