// Label selectors, field selectors and cluster affinities as Karmada's API defines them
// (policy.karmada.io/v1alpha1 ClusterAffinity, metav1.LabelSelector), with its validation.
import { isValidLabelKey, labelSelectorProblem } from '../objects/label-selector.js';
import type {
  ClusterAffinity,
  FieldPath,
  FieldSelector,
  LabelSelector,
  PreferredClusterTerm,
  SelectorRequirement,
} from '../model/types.js';
import { formatPath, type ManifestReader } from '../model/fields.js';

const LABEL_SELECTOR_FIELDS = ['matchLabels', 'matchExpressions'] as const;
const REQUIREMENT_FIELDS = ['key', 'operator', 'values'] as const;

/** Fields of a ClusterAffinity (plus flotilla's preferred-affinity extension). */
export const CLUSTER_AFFINITY_FIELDS = [
  'labelSelector',
  'fieldSelector',
  'clusterNames',
  'exclude',
  'preferredDuringSchedulingIgnoredDuringExecution',
] as const;

function parseRequirements(r: ManifestReader, value: unknown, path: FieldPath): SelectorRequirement[] | undefined {
  const items = r.list(value, path);
  if (!items) return undefined;
  const out: SelectorRequirement[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, REQUIREMENT_FIELDS);
    const key = r.string(obj.key, [...p, 'key']) ?? '';
    const operator = r.string(obj.operator, [...p, 'operator']) ?? '';
    const values = r.stringList(obj.values, [...p, 'values']);
    out.push({ key, operator, ...(values ? { values } : {}) });
  });
  return out;
}

/** A metav1.LabelSelector; an invalid one is INVALID_SELECTOR (it would match nothing in Karmada). */
export function parseLabelSelector(r: ManifestReader, value: unknown, path: FieldPath): LabelSelector | undefined {
  const obj = r.record(value, path);
  if (!obj) return undefined;
  r.knownFields(obj, path, LABEL_SELECTOR_FIELDS);
  const sel: LabelSelector = {};
  const matchLabels = r.stringMap(obj.matchLabels, [...path, 'matchLabels']);
  if (matchLabels) sel.matchLabels = matchLabels;
  const matchExpressions = parseRequirements(r, obj.matchExpressions, [...path, 'matchExpressions']);
  if (matchExpressions) sel.matchExpressions = matchExpressions;
  const problem = labelSelectorProblem(sel);
  if (problem) r.error('INVALID_SELECTOR', `${formatPath(path)} is not a valid label selector: ${problem}`, path);
  return sel;
}

/** Karmada's ValidatePolicyFieldSelector: keys provider/region/zone, operators In/NotIn only. */
function parseFieldSelector(r: ManifestReader, value: unknown, path: FieldPath): FieldSelector | undefined {
  const obj = r.record(value, path);
  if (!obj) return undefined;
  r.knownFields(obj, path, ['matchExpressions']);
  const exprPath = [...path, 'matchExpressions'];
  const matchExpressions = parseRequirements(r, obj.matchExpressions, exprPath);
  matchExpressions?.forEach((req, i) => {
    if (!['provider', 'region', 'zone'].includes(req.key)) {
      r.error(
        'INVALID_SELECTOR',
        `${formatPath([...exprPath, i, 'key'])}: unsupported key "${req.key}", must be provider, region, or zone`,
        [...exprPath, i, 'key'],
      );
    } else if (req.operator !== 'In' && req.operator !== 'NotIn') {
      r.error(
        'INVALID_SELECTOR',
        `${formatPath([...exprPath, i, 'operator'])}: unsupported operator "${req.operator}", must be In or NotIn`,
        [...exprPath, i, 'operator'],
      );
    } else if (!req.values || req.values.length === 0) {
      r.error('INVALID_SELECTOR', `${formatPath([...exprPath, i])}: operator ${req.operator} needs at least one value`, [...exprPath, i]);
    }
  });
  return matchExpressions ? { matchExpressions } : {};
}

/**
 * flotilla extension (docs/reference/semantics.md): preferred terms add `weight` (1..100, as
 * Kubernetes' node affinity) to a cluster's score.
 */
function parsePreferred(r: ManifestReader, value: unknown, path: FieldPath): PreferredClusterTerm[] | undefined {
  const items = r.list(value, path);
  if (!items) return undefined;
  const out: PreferredClusterTerm[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, ['weight', 'preference']);
    const weight = r.integer(obj.weight, [...p, 'weight']);
    if (weight === undefined) {
      if (obj.weight === undefined || obj.weight === null) r.error('INVALID_WEIGHT', `${formatPath([...p, 'weight'])} is required`, p);
      return;
    }
    if (weight < 1 || weight > 100) {
      r.error('INVALID_WEIGHT', `${formatPath([...p, 'weight'])} must be between 1 and 100, found ${weight}`, [...p, 'weight']);
      return;
    }
    const preference = parseLabelSelector(r, obj.preference, [...p, 'preference']) ?? {};
    out.push({ weight, preference });
  });
  return out;
}

/**
 * The ClusterAffinity fields of `obj` (a clusterAffinity, a clusterAffinities term, an overflow
 * affinity or a targetCluster). `extraFields` are the other keys allowed beside them.
 */
export function parseClusterAffinity(
  r: ManifestReader,
  obj: Record<string, unknown>,
  path: FieldPath,
  extraFields: readonly string[] = [],
): ClusterAffinity {
  r.knownFields(obj, path, [...CLUSTER_AFFINITY_FIELDS, ...extraFields]);
  const affinity: ClusterAffinity = {};
  const labelSelector = parseLabelSelector(r, obj.labelSelector, [...path, 'labelSelector']);
  if (labelSelector) affinity.labelSelector = labelSelector;
  const fieldSelector = parseFieldSelector(r, obj.fieldSelector, [...path, 'fieldSelector']);
  if (fieldSelector) affinity.fieldSelector = fieldSelector;
  const clusterNames = r.stringList(obj.clusterNames, [...path, 'clusterNames']);
  if (clusterNames) {
    affinity.clusterNames = clusterNames;
    r.checkClusterNames(clusterNames, [...path, 'clusterNames']);
  }
  const exclude = r.stringList(obj.exclude, [...path, 'exclude']);
  if (exclude) {
    affinity.exclude = exclude;
    r.checkClusterNames(exclude, [...path, 'exclude']);
  }
  const preferred = parsePreferred(r, obj.preferredDuringSchedulingIgnoredDuringExecution, [
    ...path,
    'preferredDuringSchedulingIgnoredDuringExecution',
  ]);
  if (preferred) affinity.preferredDuringSchedulingIgnoredDuringExecution = preferred;
  return affinity;
}

/** A ClusterAffinity value at `path` (absent ⇒ undefined). */
export function parseClusterAffinityAt(r: ManifestReader, value: unknown, path: FieldPath): ClusterAffinity | undefined {
  const obj = r.record(value, path);
  return obj ? parseClusterAffinity(r, obj, path) : undefined;
}

/** Karmada's emptyClusterAffinity: no selection criterion at all. */
export function isEmptyClusterAffinity(a: ClusterAffinity): boolean {
  return !a.labelSelector && !a.fieldSelector && !a.clusterNames?.length && !a.exclude?.length;
}

/** Karmada validates affinity names with content.IsLabelKey; the CRD limits them to 1..32 characters. */
export function affinityNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 32) return 'must be no more than 32 characters';
  if (!isValidLabelKey(name)) return 'must be a valid label key (alphanumerics, "-", "_", "." with an optional DNS prefix)';
  return null;
}
