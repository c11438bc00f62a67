// Label and cluster matching, after Karmada's pkg/util/selector.go (ClusterMatches) and
// apimachinery's label selectors. Invalid selectors match nothing, as in Karmada.
import type { Cluster, ClusterAffinity, FieldSelector, LabelSelector, SelectorRequirement } from '../model/types.js';

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A qualified label key: optional DNS-subdomain prefix, '/', and a name of at most 63 chars. */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && LABEL_NAME.test(name);
}

// Selectors come from parsed policies and are matched against every cluster for every resource;
// validating each one once keeps matching cheap.
const selectorProblems = new WeakMap<LabelSelector, string | null>();

/** Why a selector is invalid, or null. Mirrors metav1.LabelSelectorAsSelector's validation. */
export function labelSelectorProblem(sel: LabelSelector): string | null {
  const cached = selectorProblems.get(sel);
  if (cached !== undefined) return cached;
  const problem = findSelectorProblem(sel);
  selectorProblems.set(sel, problem);
  return problem;
}

function findSelectorProblem(sel: LabelSelector): string | null {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!isValidLabelKey(k)) return `invalid label key "${k}"`;
    if (typeof v !== 'string' || (v !== '' && !LABEL_NAME.test(v))) return `invalid label value "${String(v)}" for key "${k}"`;
  }
  for (const r of sel.matchExpressions ?? []) {
    const p = requirementProblem(r);
    if (p) return p;
  }
  return null;
}

function requirementProblem(r: SelectorRequirement): string | null {
  if (!r || typeof r.key !== 'string' || !isValidLabelKey(r.key)) return `invalid label key "${r?.key ?? ''}"`;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return `operator ${r.operator} for key "${r.key}" needs at least one value`;
      return null;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) return `operator ${r.operator} for key "${r.key}" takes no values`;
      return null;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? ''))
        return `operator ${r.operator} for key "${r.key}" needs one integer value`;
      return null;
    default:
      return `unknown operator "${String(r.operator)}" for key "${r.key}"`;
  }
}

function requirementMatches(r: SelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const a = Number(value);
      const b = Number(values[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** metav1 label selector semantics; an empty selector matches everything, an invalid one nothing. */
export function matchesLabelSelector(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  if (labelSelectorProblem(sel)) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (labels[k] !== v || !Object.prototype.hasOwnProperty.call(labels, k)) return false;
  }
  return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

/** Karmada's matchZones: zone expressions test the spec.zones list, not a scalar. */
function zoneRequirementMatches(r: SelectorRequirement, zones: readonly string[]): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return zones.length > 0 && zones.some((z) => values.includes(z));
    case 'NotIn':
      return zones.every((z) => !values.includes(z));
    case 'Exists':
      return zones.length > 0;
    case 'DoesNotExist':
      return zones.length === 0;
    default:
      return false;
  }
}

function matchesFieldSelector(sel: FieldSelector, cluster: Cluster): boolean {
  const fields: Record<string, string> = {};
  if (cluster.provider) fields.provider = cluster.provider;
  if (cluster.region) fields.region = cluster.region;
  for (const r of sel.matchExpressions ?? []) {
    if (!r || typeof r.key !== 'string' || r.key === '') return false;
    if (r.key === 'zone') {
      if (!zoneRequirementMatches(r, cluster.zones)) return false;
      continue;
    }
    if (requirementProblem(r) || !requirementMatches(r, fields)) return false;
  }
  return true;
}

/** Karmada's util.ClusterMatches: exclude, then labelSelector, fieldSelector, clusterNames. */
export function clusterMatches(cluster: Cluster, affinity: ClusterAffinity): boolean {
  if (affinity.exclude?.includes(cluster.name)) return false;
  if (affinity.labelSelector && !matchesLabelSelector(affinity.labelSelector, cluster.labels)) return false;
  if (affinity.fieldSelector && !matchesFieldSelector(affinity.fieldSelector, cluster)) return false;
  if (affinity.clusterNames && affinity.clusterNames.length > 0 && !affinity.clusterNames.includes(cluster.name)) return false;
  return true;
}

/** Why a cluster does not match an affinity, for `explain`; null when it matches. */
export function clusterMismatchReason(cluster: Cluster, affinity: ClusterAffinity): string | null {
  if (affinity.exclude?.includes(cluster.name)) return 'excluded by clusterAffinity.exclude';
  if (affinity.labelSelector && !matchesLabelSelector(affinity.labelSelector, cluster.labels))
    return 'labels do not match clusterAffinity.labelSelector';
  if (affinity.fieldSelector && !matchesFieldSelector(affinity.fieldSelector, cluster))
    return 'provider/region/zones do not match clusterAffinity.fieldSelector';
  if (affinity.clusterNames && affinity.clusterNames.length > 0 && !affinity.clusterNames.includes(cluster.name))
    return 'not in clusterAffinity.clusterNames';
  return null;
}
