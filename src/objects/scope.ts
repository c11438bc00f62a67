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

/** Kinds that are cluster-scoped only in one group (Kurator's and Cluster API's `Cluster` are namespaced). */
const CLUSTER_SCOPED_GROUP_KINDS = new Set(['cluster.karmada.io/Cluster']);

/** Cluster-scoped kinds declared by CRDs, keyed "group/Kind". */
export type CustomScopes = ReadonlySet<string>;

/** The "group/Kind" of a CRD document declaring a cluster-scoped kind, or null. */
export function clusterScopedKindOfCrd(apiVersion: string, kind: string, object: Record<string, unknown>): string | null {
  if (kind !== 'CustomResourceDefinition' || apiGroup(apiVersion) !== 'apiextensions.k8s.io') return null;
  const spec = object.spec as { scope?: unknown; group?: unknown; names?: { kind?: unknown } } | undefined;
  if (!spec || spec.scope !== 'Cluster' || typeof spec.group !== 'string') return null;
  const crdKind = spec.names?.kind;
  return typeof crdKind === 'string' ? `${spec.group}/${crdKind}` : null;
}

/** True when objects of this apiVersion/kind have no namespace. */
export function isClusterScoped(apiVersion: string, kind: string, custom: CustomScopes): boolean {
  if (CLUSTER_SCOPED_KINDS.has(kind)) return true;
  const key = `${apiGroup(apiVersion)}/${kind}`;
  return CLUSTER_SCOPED_GROUP_KINDS.has(key) || custom.has(key);
}
