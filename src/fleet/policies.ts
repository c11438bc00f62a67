// PropagationPolicy / ClusterPropagationPolicy (docs/reference/semantics.md §1.1): Karmada's defaults and the
// checks of its validating webhook (pkg/util/validation/validation.go: ValidatePropagationSpec).
import type { FieldPath, PropagationPolicy, ResourceSelector } from '../model/types.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { parsePlacement } from './placement.js';
import { parseLabelSelector } from './selectors.js';

/** Top-level keys every Kubernetes object may have. */
export const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

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

/** Karmada fields flotilla accepts but does not act on: said once, never silently dropped. */
const NOT_APPLICABLE_SPEC_FIELDS: Readonly<Record<string, string>> = {
  failover: 'failover is done by the reconciler from cluster readiness, not per policy',
  suspension: 'suspension is not implemented',
  dependentOverrides: 'OverridePolicies always apply; there is no waiting for them',
  activationPreference: 'policies are re-evaluated at every revision',
  schedulePriority: 'scheduling priority has no meaning without a queue',
};

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
  r.knownFields(m.object, [], OBJECT_FIELDS);
  const spec = r.record(m.object.spec, ['spec']);
  if (!spec) {
    if (!has(m.object, 'spec')) r.error('INVALID_POLICY', 'spec is required', []);
    return null;
  }
  r.knownFields(spec, ['spec'], PROPAGATION_SPEC_FIELDS);
  for (const [field, why] of Object.entries(NOT_APPLICABLE_SPEC_FIELDS)) {
    if (has(spec, field)) r.info('NOT_APPLICABLE', `spec.${field} is accepted but has no effect in flotilla: ${why}`, ['spec', field]);
  }
  const propagateDeps = r.boolean(spec.propagateDeps, ['spec', 'propagateDeps']);
  const association = r.boolean(spec.association, ['spec', 'association']);
  if (propagateDeps || association) {
    const field = propagateDeps ? 'propagateDeps' : 'association';
    r.info('NOT_APPLICABLE', `spec.${field} is accepted but dependencies are not propagated automatically; select them explicitly`, [
      'spec',
      field,
    ]);
  }
  const schedulerName = r.string(spec.schedulerName, ['spec', 'schedulerName']);
  if (schedulerName && schedulerName !== 'default-scheduler') {
    r.info('NOT_APPLICABLE', `spec.schedulerName "${schedulerName}" is ignored: flotilla is the only scheduler`, ['spec', 'schedulerName']);
  }

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
          `${formatPath([...selectorsPath, i, 'name'])} cannot be empty if preemption is Always: an empty name may cause unexpected resources preemption`,
          [...selectorsPath, i],
        );
      }
    });
  }

  const placement = parsePlacement(r, spec.placement, ['spec', 'placement']);
  const { conflictResolution, preserveResourcesOnDeletion } = parseOwnership(r, spec);
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
    source: m.source,
  };
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
