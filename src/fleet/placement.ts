// spec.placement of PropagationPolicy / ClusterPropagationPolicy (and a Fleet's default placement),
// with Karmada's mutating-webhook defaults and validating-webhook checks (docs/reference/semantics.md §1.2;
// pkg/util/validation/validation.go: ValidatePlacement, ValidateSpreadConstraint).
import type {
  ClusterAffinityTerm,
  FieldPath,
  Placement,
  ReplicaSchedulingStrategy,
  SpreadConstraint,
  SpreadField,
  StaticClusterWeight,
  TaintEffect,
  Toleration,
} from '../model/types.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { checkShape, WORKLOAD_AFFINITY_SHAPE } from './known-fields.js';
import { affinityNameProblem, isEmptyClusterAffinity, parseClusterAffinity, parseClusterAffinityAt } from './selectors.js';

/**
 * maxGroups of the cluster constraint flotilla substitutes for spread constraints Karmada would
 * reject: large enough that min(#clusters, maxGroups) selects every candidate (Karmada's
 * selectBestClustersByCluster), whereas 0 would select none.
 */
export const UNLIMITED_GROUPS = Number.MAX_SAFE_INTEGER;

const PLACEMENT_FIELDS = [
  'clusterAffinity',
  'clusterAffinities',
  'clusterTolerations',
  'tolerations',
  'spreadConstraints',
  'replicaScheduling',
  'workloadAffinity',
] as const;
const SPREAD_FIELDS: readonly SpreadField[] = ['cluster', 'region', 'zone', 'provider'];
const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Parses a placement (absent ⇒ empty placement: every cluster, Duplicated). Errors are counted on `r`. */
export function parsePlacement(r: ManifestReader, value: unknown, path: FieldPath): Placement {
  const placement: Placement = { clusterTolerations: [], spreadConstraints: [] };
  const obj = r.record(value, path);
  if (!obj) return placement;
  r.knownFields(obj, path, PLACEMENT_FIELDS);
  if (has(obj, 'workloadAffinity')) {
    checkShape(r, obj.workloadAffinity, [...path, 'workloadAffinity'], WORKLOAD_AFFINITY_SHAPE);
    // Ignoring co-location rules places workloads where Karmada would not: a warning, not a note.
    r.unsupported(
      'warning',
      [...path, 'workloadAffinity'],
      'inter-workload affinity and anti-affinity (Karmada’s WorkloadAffinity feature gate) are not applied, ' +
        'so workloads are placed as if it were absent',
    );
  }

  // replicaScheduling first: whether overflow affinities are allowed depends on it.
  const replicaScheduling = parseReplicaScheduling(r, obj.replicaScheduling, [...path, 'replicaScheduling']);
  if (replicaScheduling) placement.replicaScheduling = replicaScheduling;

  const clusterAffinity = parseClusterAffinityAt(r, obj.clusterAffinity, [...path, 'clusterAffinity']);
  if (clusterAffinity) placement.clusterAffinity = clusterAffinity;
  const clusterAffinities = parseClusterAffinities(
    r,
    obj.clusterAffinities,
    [...path, 'clusterAffinities'],
    overflowAllowed(replicaScheduling),
  );
  if (clusterAffinities) placement.clusterAffinities = clusterAffinities;
  if (has(obj, 'clusterAffinity') && has(obj, 'clusterAffinities')) {
    r.error('INVALID_POLICY', 'clusterAffinities cannot co-exist with clusterAffinity', [...path, 'clusterAffinities']);
  }

  placement.clusterTolerations = parseTolerations(r, obj, path);
  const spread = parseSpreadConstraints(r, obj.spreadConstraints, [...path, 'spreadConstraints']);
  placement.spreadConstraints = spread.constraints;
  if (spread.skewConstraints) placement.skewConstraints = spread.skewConstraints;
  if (spread.filterFields) placement.spreadFilterFields = spread.filterFields;
  if (!replicaScheduling || replicaScheduling.replicaSchedulingType === 'Duplicated') {
    // maxSkew balances divided replicas; Duplicated gives every cluster all of them (docs/reference/semantics.md extensions).
    for (const skewPath of spread.maxSkewPaths) {
      r.warn(
        'MAXSKEW_NOT_APPLICABLE',
        `${formatPath(skewPath)} has no effect: replicas are Duplicated (no replicaScheduling, or ` +
          `type Duplicated), so there is nothing to balance`,
        skewPath,
      );
    }
  }
  return placement;
}

/** Karmada's util.IsOverflowSchedulingAllowed: Divided with Aggregated, or Weighted by dynamicWeight. */
function overflowAllowed(rs: ReplicaSchedulingStrategy | undefined): boolean {
  if (!rs || rs.replicaSchedulingType !== 'Divided') return false;
  if (rs.replicaDivisionPreference === 'Aggregated') return true;
  return rs.replicaDivisionPreference === 'Weighted' && !!rs.weightPreference?.dynamicWeight;
}

function parseClusterAffinities(
  r: ManifestReader,
  value: unknown,
  path: FieldPath,
  allowOverflow: boolean,
): ClusterAffinityTerm[] | undefined {
  const items = r.list(value, path);
  if (!items) return undefined;
  const terms: ClusterAffinityTerm[] = [];
  const names = new Set<string>();
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    const affinity = parseClusterAffinity(r, obj, p, ['affinityName', 'overflowAffinities']);
    const affinityName = r.string(obj.affinityName, [...p, 'affinityName']) ?? '';
    const nameProblem = affinityNameProblem(affinityName);
    if (nameProblem)
      r.error('INVALID_POLICY', `${formatPath([...p, 'affinityName'])} "${affinityName}" ${nameProblem}`, [...p, 'affinityName']);
    else if (names.has(affinityName))
      r.error('INVALID_POLICY', `each affinity term in a policy must have a unique name; "${affinityName}" is used twice`, [
        ...p,
        'affinityName',
      ]);
    names.add(affinityName);
    const term: ClusterAffinityTerm = { ...affinity, affinityName };

    const overflowPath = [...p, 'overflowAffinities'];
    const overflowItems = r.list(obj.overflowAffinities, overflowPath);
    if (overflowItems) {
      if (!allowOverflow) {
        r.error(
          'INVALID_POLICY',
          'overflowAffinities can only be used together with dynamic weight or aggregated scheduling',
          overflowPath,
        );
      }
      if (isEmptyClusterAffinity(affinity)) {
        r.error('INVALID_POLICY', 'overflowAffinities can only be used together with the inline ClusterAffinity', overflowPath);
      }
      const overflowNames = new Set([affinityName]);
      term.overflowAffinities = [];
      overflowItems.forEach((o, oi) => {
        const op = [...overflowPath, oi];
        const oobj = r.record(o, op);
        if (!oobj) return;
        const oaffinity = parseClusterAffinity(r, oobj, op, ['affinityName']);
        const oname = r.string(oobj.affinityName, [...op, 'affinityName']) ?? '';
        const oproblem = affinityNameProblem(oname);
        if (oproblem) r.error('INVALID_POLICY', `${formatPath([...op, 'affinityName'])} "${oname}" ${oproblem}`, [...op, 'affinityName']);
        else if (overflowNames.has(oname)) {
          r.error(
            'INVALID_POLICY',
            `overflow affinity name "${oname}" must be unique and must not duplicate the primary group's affinityName`,
            [...op, 'affinityName'],
          );
        }
        overflowNames.add(oname);
        term.overflowAffinities!.push({ ...oaffinity, affinityName: oname });
      });
    }
    terms.push(term);
  });
  return terms;
}

/**
 * clusterTolerations, also accepting `tolerations` (the seed's spelling, which Karmada's schema
 * would prune) with a FIELD_ALIAS warning so the user learns the real name.
 */
function parseTolerations(r: ManifestReader, obj: Record<string, unknown>, path: FieldPath): Toleration[] {
  const out = parseTolerationList(r, obj.clusterTolerations, [...path, 'clusterTolerations']);
  if (has(obj, 'tolerations')) {
    const both = has(obj, 'clusterTolerations');
    r.warn(
      'FIELD_ALIAS',
      both
        ? `${formatPath([...path, 'tolerations'])} is not a Karmada field; its entries are added to clusterTolerations`
        : `${formatPath([...path, 'tolerations'])} is not a Karmada field (Karmada would drop it); read as clusterTolerations — rename it`,
      [...path, 'tolerations'],
    );
    out.push(...parseTolerationList(r, obj.tolerations, [...path, 'tolerations']));
  }
  return out;
}

function parseTolerationList(r: ManifestReader, value: unknown, path: FieldPath): Toleration[] {
  const items = r.list(value, path);
  if (!items) return [];
  const out: Toleration[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    const t: Toleration = {};
    const key = r.string(obj.key, [...p, 'key']);
    if (key !== undefined) t.key = key;
    const operator = r.string(obj.operator, [...p, 'operator']);
    if (operator !== undefined && operator !== '') {
      // Karmada's validateClusterTolerations rejects Lt/Gt; anything else never matches a taint.
      if (operator !== 'Equal' && operator !== 'Exists') {
        r.error(
          'INVALID_POLICY',
          `${formatPath([...p, 'operator'])}: unsupported toleration operator "${operator}", must be Equal or Exists`,
          [...p, 'operator'],
        );
      } else t.operator = operator;
    }
    const val = r.string(obj.value, [...p, 'value']);
    if (val !== undefined) t.value = val;
    const effect = r.string(obj.effect, [...p, 'effect']);
    if (effect !== undefined) {
      if (effect !== '' && !TAINT_EFFECTS.includes(effect)) {
        r.error(
          'INVALID_POLICY',
          `${formatPath([...p, 'effect'])}: unsupported effect "${effect}", must be NoSchedule, PreferNoSchedule or NoExecute`,
          [...p, 'effect'],
        );
      } else t.effect = effect as TaintEffect | '';
    }
    const seconds = r.integer(obj.tolerationSeconds, [...p, 'tolerationSeconds']);
    if (seconds !== undefined) t.tolerationSeconds = seconds;
    out.push(t);
  });
  return out;
}

interface ParsedSpread {
  constraints: SpreadConstraint[];
  /** Where each maxSkew is written, for MAXSKEW_NOT_APPLICABLE. */
  maxSkewPaths: FieldPath[];
  skewConstraints?: Array<{ field: SpreadField; maxSkew: number }>;
  /** The fields of the replaced constraints, which the SpreadConstraint filter still requires. */
  filterFields?: Array<Exclude<SpreadField, 'cluster'>>;
}

/** Spread constraints with SetDefaultSpreadConstraints applied and ValidateSpreadConstraint's checks. */
function parseSpreadConstraints(r: ManifestReader, value: unknown, path: FieldPath): ParsedSpread {
  const items = r.list(value, path);
  if (!items) return { constraints: [], maxSkewPaths: [] };
  const errorsBefore = r.errors;
  const constraints: SpreadConstraint[] = [];
  const maxSkewPaths: FieldPath[] = [];
  const fieldsSeen = new Set<SpreadField>();
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, ['spreadByField', 'spreadByLabel', 'maxGroups', 'minGroups', 'maxSkew']);
    const field = r.string(obj.spreadByField, [...p, 'spreadByField']);
    const label = r.string(obj.spreadByLabel, [...p, 'spreadByLabel']);
    const minGroups = r.integer(obj.minGroups, [...p, 'minGroups']) ?? 0;
    const maxGroups = r.integer(obj.maxGroups, [...p, 'maxGroups']) ?? 0;
    const maxSkew = r.integer(obj.maxSkew, [...p, 'maxSkew']);

    if (field && !SPREAD_FIELDS.includes(field as SpreadField)) {
      r.error(
        'INVALID_POLICY',
        `${formatPath([...p, 'spreadByField'])}: unsupported value "${field}", must be cluster, region, zone or provider`,
        [...p, 'spreadByField'],
      );
    }
    if (field && label) r.error('INVALID_POLICY', 'spreadByLabel should not co-exist with spreadByField', [...p, 'spreadByLabel']);
    if (minGroups < 0) r.error('INVALID_POLICY', `minGroups lower than 0 is not allowed (found ${minGroups})`, [...p, 'minGroups']);
    if (maxGroups < 0) r.error('INVALID_POLICY', `maxGroups lower than 0 is not allowed (found ${maxGroups})`, [...p, 'maxGroups']);
    // The mutating webhook defaults minGroups 0 ⇒ 1 before the validating webhook compares them.
    const effectiveMin = minGroups === 0 ? 1 : minGroups;
    if (maxGroups > 0 && maxGroups < effectiveMin) {
      r.error('INVALID_POLICY', `maxGroups (${maxGroups}) lower than minGroups (${effectiveMin}) is not allowed`, [...p, 'maxGroups']);
    }
    if (maxSkew !== undefined && maxSkew < 1) r.error('INVALID_POLICY', `maxSkew must be at least 1 (found ${maxSkew})`, [...p, 'maxSkew']);

    // helper.SetDefaultSpreadConstraints: neither field nor label ⇒ spread by cluster.
    const spreadByField = (field || (label ? undefined : 'cluster')) as SpreadField | undefined;
    if (field && SPREAD_FIELDS.includes(field as SpreadField)) {
      if (fieldsSeen.has(field as SpreadField))
        r.error('INVALID_POLICY', `multiple ${field} spread constraints are not allowed`, [...p, 'spreadByField']);
      fieldsSeen.add(field as SpreadField);
    } else if (!field && !label) {
      if (fieldsSeen.has('cluster'))
        r.error(
          'INVALID_POLICY',
          'multiple cluster spread constraints are not allowed (a constraint without spreadByField spreads by cluster)',
          p,
        );
      fieldsSeen.add('cluster');
    }
    const c: SpreadConstraint = { maxGroups, minGroups: effectiveMin };
    if (spreadByField) c.spreadByField = spreadByField;
    if (label) c.spreadByLabel = label;
    if (maxSkew !== undefined) {
      c.maxSkew = maxSkew;
      maxSkewPaths.push([...p, 'maxSkew']);
    }
    constraints.push(c);
  });

  if (r.errors === errorsBefore && fieldsSeen.size > 0 && !fieldsSeen.has('cluster')) {
    // Karmada rejects field constraints without a cluster one; flotilla proceeds as if an unlimited
    // cluster constraint were given and keeps the maxSkew values (docs/reference/semantics.md, extensions).
    const fields = [...fieldsSeen].join(', ');
    r.warn(
      'SPREAD_CONSTRAINT_IGNORED',
      `${formatPath(path)} spread by ${fields} without a cluster constraint, which Karmada ` +
        `rejects; flotilla places as if {spreadByField: cluster} without limits were ` +
        `given${constraints.some((c) => c.maxSkew !== undefined) ? ' and keeps their maxSkew limits' : ''}`,
      path,
    );
    const skewConstraints = constraints
      .filter((c) => c.spreadByField && c.maxSkew !== undefined)
      .map((c) => ({ field: c.spreadByField!, maxSkew: c.maxSkew! }));
    const filterFields = [...fieldsSeen].filter((f): f is Exclude<SpreadField, 'cluster'> => f !== 'cluster');
    return {
      constraints: [{ spreadByField: 'cluster', minGroups: 1, maxGroups: UNLIMITED_GROUPS }],
      maxSkewPaths,
      filterFields,
      ...(skewConstraints.length > 0 ? { skewConstraints } : {}),
    };
  }
  return { constraints, maxSkewPaths };
}

/** replicaScheduling: present with empty type ⇒ Divided; Divided with empty preference ⇒ Weighted. */
function parseReplicaScheduling(r: ManifestReader, value: unknown, path: FieldPath): ReplicaSchedulingStrategy | undefined {
  const obj = r.record(value, path);
  if (!obj) return undefined;
  r.knownFields(obj, path, ['replicaSchedulingType', 'replicaDivisionPreference', 'weightPreference']);
  const typePath = [...path, 'replicaSchedulingType'];
  const type = r.string(obj.replicaSchedulingType, typePath) || 'Divided';
  if (type !== 'Divided' && type !== 'Duplicated') {
    r.error('INVALID_POLICY', `${formatPath(typePath)}: unsupported value "${type}", must be Duplicated or Divided`, typePath);
  }
  const strategy: ReplicaSchedulingStrategy = { replicaSchedulingType: type === 'Duplicated' ? 'Duplicated' : 'Divided' };
  const prefPath = [...path, 'replicaDivisionPreference'];
  const preference = r.string(obj.replicaDivisionPreference, prefPath) ?? '';
  if (preference !== '' && preference !== 'Aggregated' && preference !== 'Weighted') {
    r.error('INVALID_POLICY', `${formatPath(prefPath)}: unsupported value "${preference}", must be Aggregated or Weighted`, prefPath);
  } else if (preference !== '') {
    strategy.replicaDivisionPreference = preference;
  } else if (strategy.replicaSchedulingType === 'Divided') {
    strategy.replicaDivisionPreference = 'Weighted';
  }

  const wpPath = [...path, 'weightPreference'];
  const wp = r.record(obj.weightPreference, wpPath);
  if (wp) {
    r.knownFields(wp, wpPath, ['staticWeightList', 'dynamicWeight']);
    strategy.weightPreference = {};
    const dynPath = [...wpPath, 'dynamicWeight'];
    const dynamicWeight = r.string(wp.dynamicWeight, dynPath);
    if (dynamicWeight !== undefined && dynamicWeight !== '') {
      if (dynamicWeight !== 'AvailableReplicas') {
        r.error('INVALID_POLICY', `${formatPath(dynPath)}: unsupported value "${dynamicWeight}", must be AvailableReplicas`, dynPath);
      }
      strategy.weightPreference.dynamicWeight = dynamicWeight;
    }
    const listPath = [...wpPath, 'staticWeightList'];
    const items = r.list(wp.staticWeightList, listPath);
    if (items) {
      const list: StaticClusterWeight[] = [];
      items.forEach((item, i) => {
        const p = [...listPath, i];
        const entry = r.record(item, p);
        if (!entry) return;
        r.knownFields(entry, p, ['targetCluster', 'weight']);
        const weight = r.integer(entry.weight, [...p, 'weight']);
        if (weight === undefined && !has(entry, 'weight')) r.error('INVALID_WEIGHT', `${formatPath([...p, 'weight'])} is required`, p);
        // The CRD declares `minimum: 1`: a weight of 0 or less is rejected by the API server.
        if (weight !== undefined && weight < 1)
          r.error('INVALID_WEIGHT', `${formatPath([...p, 'weight'])} must be at least 1, found ${weight}`, [...p, 'weight']);
        const targetCluster = parseClusterAffinityAt(r, entry.targetCluster, [...p, 'targetCluster']);
        if (!targetCluster && !has(entry, 'targetCluster'))
          r.error('INVALID_POLICY', `${formatPath([...p, 'targetCluster'])} is required`, p);
        list.push({ targetCluster: targetCluster ?? {}, weight: weight ?? 0 });
      });
      strategy.weightPreference.staticWeightList = list;
    }
  }
  return strategy;
}
