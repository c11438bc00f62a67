// Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation), applied before anything uses a
// name to build a file path (render writes <cluster>/<namespace>/<kind>-<name>.yaml).

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `value` is not a DNS-1123 label (≤63 chars, lowercase alphanumerics and '-'), or null. */
export function dns1123LabelProblem(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(value))
    return "must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with an alphanumeric character)";
  return null;
}

/** Why `value` is not a DNS-1123 subdomain (≤253 chars, dot-separated labels), or null. */
export function dns1123SubdomainProblem(value: string): string | null {
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value))
    return "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending with an alphanumeric character)";
  return null;
}

/** Why `value` is not a DNS-1035 label (Service names: must start with a letter), or null. */
export function dns1035LabelProblem(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(value)) return "must be a lowercase RFC 1035 label (a-z, 0-9 and '-', starting with a letter)";
  return null;
}

/**
 * Karmada's ValidateClusterName (pkg/apis/cluster/validation): a DNS-1123 label of at most 48
 * characters, because Karmada derives the `karmada-es-<cluster>` namespace from it.
 */
export function clusterNameProblem(value: string): string | null {
  if (value.length > 48) return 'must be no more than 48 characters';
  return dns1123LabelProblem(value);
}

/** apimachinery's IsValidPathSegmentName: the minimum every object name must satisfy. */
export function pathSegmentProblem(value: string): string | null {
  if (value === '.' || value === '..') return `may not be '${value}'`;
  if (value.includes('/') || value.includes('%')) return "may not contain '/' or '%'";
  return null;
}

/** Kinds whose names follow path-segment rules only (RBAC allows e.g. "system:controller:x"). */
const PATH_SEGMENT_NAMED_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * Why `name` is not a valid metadata.name for `kind`, or null. Most kinds (and every custom
 * resource) need a DNS-1123 subdomain; Namespaces a DNS-1123 label; Services a DNS-1035 label.
 */
export function objectNameProblem(kind: string, name: string): string | null {
  if (kind === 'Namespace') return dns1123LabelProblem(name);
  if (kind === 'Service') return dns1035LabelProblem(name);
  if (PATH_SEGMENT_NAMED_KINDS.has(kind)) return pathSegmentProblem(name);
  return dns1123SubdomainProblem(name);
}
