// PropagationPolicy / ClusterPropagationPolicy (docs/reference/semantics.md §1.1): Karmada's defaults and the
// checks of its validating webhook (pkg/util/validation/validation.go: ValidatePropagationSpec).
import type { FieldPath, PropagationPolicy, ResourceSelector } from '../model/types.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { checkInside, checkObjectFields, UNSUPPORTED_SPEC_SHAPES } from './known-fields.js';
import { parseFailover } from './failover.js';
import { parsePlacement } from './placement.js';
import { parseLabelSelector } from './selectors.js';

const PROPAGATION_SPEC_FIELDS = [
  'resourceSelectors',
  'association',
  'propagateDeps',
  'placement',
  'priority',
  'preemption',
  'dependentOverrides',
  'schedulerName',
  'failover',
  'conflictResolution',
  'activationPreference',
  'suspension',
  'preserveResourcesOnDeletion',
  'schedulePriority',
] as const;

/**
 * The PropagationSpec fields flotilla does not implement, each reported at the severity its
 * absence deserves (docs/reference/semantics.md §1.1): a warning where the result differs from
 * what the field asks for, a note where nothing a user sees changes.
 */
function reportUnsupportedSpec(r: ManifestReader, spec: Record<string, unknown>): void {
  checkInside(r, spec, ['spec'], UNSUPPORTED_SPEC_SHAPES);
  if (has(spec, 'schedulePriority')) {
    r.unsupported(
      'info',
      ['spec', 'schedulePriority'],
      'it orders Karmada’s scheduling queue; flotilla schedules every resource of a revision',
    );
  }
  if (r.boolean(spec.association, ['spec', 'association'])) {
    // Deprecated in Karmada's API in favour of propagateDeps, and read by none of its controllers.
    r.unsupported(
      'warning',
      ['spec', 'association'],
      'Karmada ignores the deprecated association field: the objects its workloads reference are not propagated with them; ' +
        'set propagateDeps: true instead',
    );
  }
  const schedulerName = r.string(spec.schedulerName, ['spec', 'schedulerName']);
  if (schedulerName && schedulerName !== 'default-scheduler') {
    r.unsupported('info', ['spec', 'schedulerName'], `"${schedulerName}" is ignored: flotilla is the only scheduler`);
  }
}

/**
 * resourceSelectors of a policy. For namespaced policies the mutating webhook fills an empty
 * selector namespace with the policy's, and the validating webhook rejects any other namespace.
 */
export function parseResourceSelectors(r: ManifestReader, value: unknown, path: FieldPath, policyNamespace: string): ResourceSelector[] {
  const items = r.list(value, path);
  if (!items) return [];
  const out: ResourceSelector[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, ['apiVersion', 'kind', 'namespace', 'name', 'labelSelector']);
    const apiVersion = r.string(obj.apiVersion, [...p, 'apiVersion']) ?? '';
    const kind = r.string(obj.kind, [...p, 'kind']) ?? '';
    if (apiVersion === '')
      r.error('INVALID_POLICY', `${formatPath([...p, 'apiVersion'])} is required`, has(obj, 'apiVersion') ? [...p, 'apiVersion'] : p);
    if (kind === '') r.error('INVALID_POLICY', `${formatPath([...p, 'kind'])} is required`, has(obj, 'kind') ? [...p, 'kind'] : p);
    const sel: ResourceSelector = { apiVersion, kind };
    const namespace = r.string(obj.namespace, [...p, 'namespace']) ?? '';
    if (policyNamespace !== '') {
      if (namespace !== '' && namespace !== policyNamespace) {
        r.error(
          'INVALID_POLICY',
          `namespace of resource selector ("${namespace}") must be the same as the namespace of the policy ("${policyNamespace}")`,
          [...p, 'namespace'],
        );
      }
      sel.namespace = policyNamespace;
    } else if (namespace !== '') {
      sel.namespace = namespace;
    }
    const name = r.string(obj.name, [...p, 'name']);
    if (name) sel.name = name;
    const labelSelector = parseLabelSelector(r, obj.labelSelector, [...p, 'labelSelector']);
    if (labelSelector) sel.labelSelector = labelSelector;
    out.push(sel);
  });
  return out;
}

/** Parses a PP or CPP; returns null when Karmada's webhook would reject it (errors reported). */
export function parsePropagationPolicy(r: ManifestReader): PropagationPolicy | null {
  const m = r.manifest;
  const kind = m.kind as PropagationPolicy['kind'];
  checkObjectFields(r);
  const spec = r.record(m.object.spec, ['spec']);
  if (!spec) {
    if (!has(m.object, 'spec')) r.error('INVALID_POLICY', 'spec is required', []);
    return null;
  }
  r.knownFields(spec, ['spec'], PROPAGATION_SPEC_FIELDS);
  // Read before the unimplemented fields are reported, so its notes come in the order of the spec.
  const applicationFailover = parseFailover(r, spec);
  reportUnsupportedSpec(r, spec);

  const selectorsPath: FieldPath = ['spec', 'resourceSelectors'];
  const resourceSelectors = parseResourceSelectors(r, spec.resourceSelectors, selectorsPath, m.namespace);
  if (!has(spec, 'resourceSelectors') || (Array.isArray(spec.resourceSelectors) && spec.resourceSelectors.length === 0)) {
    r.error(
      'INVALID_POLICY',
      'spec.resourceSelectors must have at least one item',
      has(spec, 'resourceSelectors') ? selectorsPath : ['spec'],
    );
  }

  const priority = r.integer(spec.priority, ['spec', 'priority']) ?? 0;
  if (priority < -2147483648 || priority > 2147483647)
    r.error('INVALID_POLICY', `spec.priority ${priority} is out of int32 range`, ['spec', 'priority']);
  const preemptionRaw = r.string(spec.preemption, ['spec', 'preemption']) || 'Never';
  if (preemptionRaw !== 'Always' && preemptionRaw !== 'Never') {
    r.error('INVALID_POLICY', `spec.preemption: unsupported value "${preemptionRaw}", must be Always or Never`, ['spec', 'preemption']);
  }
  const preemption = preemptionRaw === 'Always' ? 'Always' : 'Never';
  if (preemption === 'Always') {
    resourceSelectors.forEach((sel, i) => {
      if (!sel.name) {
        r.error(
          'INVALID_POLICY',
          `${formatPath([...selectorsPath, i, 'name'])} cannot be empty if preemption is Always: an ` +
            `empty name may cause unexpected resources preemption`,
          [...selectorsPath, i],
        );
      }
    });
  }

  const placement = parsePlacement(r, spec.placement, ['spec', 'placement']);
  const { conflictResolution, preserveResourcesOnDeletion } = parseOwnership(r, spec);
  const propagateDeps = r.boolean(spec.propagateDeps, ['spec', 'propagateDeps']) ?? false;
  const dependentOverrides = parseDependentOverrides(r, spec.dependentOverrides);
  const activationPreference = parseActivationPreference(r, spec);
  const suspension = parseSuspension(r, spec);
  if (r.errors > 0) return null;
  return {
    kind,
    name: m.name,
    namespace: m.namespace,
    priority,
    preemption,
    resourceSelectors,
    placement,
    conflictResolution,
    preserveResourcesOnDeletion,
    propagateDeps,
    dependentOverrides,
    ...(applicationFailover ? { applicationFailover } : {}),
    ...(activationPreference ? { activationPreference } : {}),
    ...(suspension ? { suspension } : {}),
    source: m.source,
  };
}

/** spec.dependentOverrides: names of override policies (checked against the revision's: override/dependent.ts). */
function parseDependentOverrides(r: ManifestReader, value: unknown): string[] {
  const items = r.list(value, ['spec', 'dependentOverrides']) ?? [];
  const names: string[] = [];
  items.forEach((item, i) => {
    const name = r.string(item, ['spec', 'dependentOverrides', i]);
    if (name) names.push(name);
  });
  return names;
}

/** spec.activationPreference: Karmada's enum has one value, Lazy; empty means immediate (docs/reference/semantics.md §2.3). */
function parseActivationPreference(r: ManifestReader, spec: Record<string, unknown>): 'Lazy' | undefined {
  const raw = r.string(spec.activationPreference, ['spec', 'activationPreference']);
  if (!raw) return undefined;
  if (raw !== 'Lazy') {
    r.error('INVALID_POLICY', `spec.activationPreference: unsupported value "${raw}", must be Lazy or empty`, [
      'spec',
      'activationPreference',
    ]);
    return undefined;
  }
  return 'Lazy';
}

/**
 * spec.suspension (docs/reference/semantics.md §2.4): `dispatching: true` holds every cluster,
 * `dispatchingOnClusters.clusterNames` the named ones; neither holds nothing.
 */
function parseSuspension(r: ManifestReader, spec: Record<string, unknown>): PropagationPolicy['suspension'] {
  if (!has(spec, 'suspension')) return undefined;
  const s = r.record(spec.suspension, ['spec', 'suspension']);
  if (!s) return undefined;
  if (r.boolean(s.dispatching, ['spec', 'suspension', 'dispatching'])) return { all: true };
  if (!has(s, 'dispatchingOnClusters')) return undefined;
  const on = r.record(s.dispatchingOnClusters, ['spec', 'suspension', 'dispatchingOnClusters']);
  const path: FieldPath = ['spec', 'suspension', 'dispatchingOnClusters', 'clusterNames'];
  const names = (r.list(on?.clusterNames, path) ?? []).flatMap((n, i) => {
    const name = r.string(n, [...path, i]);
    return name ? [name] : [];
  });
  r.checkClusterNames(names, path);
  return names.length > 0 ? { all: false, clusters: [...new Set(names)].sort() } : undefined;
}

/**
 * spec.conflictResolution (Karmada's enum Abort | Overwrite, default Abort) and
 * spec.preserveResourcesOnDeletion (default false): what the apply engine may take over and delete.
 */
function parseOwnership(
  r: ManifestReader,
  spec: Record<string, unknown>,
): Pick<PropagationPolicy, 'conflictResolution' | 'preserveResourcesOnDeletion'> {
  const raw = r.string(spec.conflictResolution, ['spec', 'conflictResolution']) || 'Abort';
  if (raw !== 'Abort' && raw !== 'Overwrite')
    r.error('INVALID_POLICY', `spec.conflictResolution: unsupported value "${raw}", must be Abort or Overwrite`, [
      'spec',
      'conflictResolution',
    ]);
  const preserve = r.boolean(spec.preserveResourcesOnDeletion, ['spec', 'preserveResourcesOnDeletion']) ?? false;
  return { conflictResolution: raw === 'Overwrite' ? 'Overwrite' : 'Abort', preserveResourcesOnDeletion: preserve };
}
