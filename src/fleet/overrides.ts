// OverridePolicy / ClusterOverridePolicy (docs/reference/semantics.md §1.5). This module reads the structure
// (types, unknown fields, the deprecated targetCluster+overriders pair); the overriders' own rules
// (enums, JSON pointers, prototype-safe paths) are checked by src/override/validate.ts so loading
// and applying agree on them.
import { validateOverridePolicy } from '../override/validate.js';
import type {
  CommandArgsOverrider,
  FieldOverrider,
  FieldPath,
  ImageOverrider,
  LabelAnnotationOverrider,
  OverridePolicy,
  OverrideRule,
  Overriders,
  PlaintextOverrider,
} from '../model/types.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { checkObjectFields } from './known-fields.js';
import { parseResourceSelectors } from './policies.js';
import { parseClusterAffinityAt } from './selectors.js';

const OVERRIDERS_FIELDS = [
  'imageOverrider',
  'commandOverrider',
  'argsOverrider',
  'labelsOverrider',
  'annotationsOverrider',
  'fieldOverrider',
  'plaintext',
] as const;

/** The entries of one overrider list, each a mapping with its path (wrong shapes reported). */
function entries(
  r: ManifestReader,
  value: unknown,
  path: FieldPath,
  fields: readonly string[],
): Array<{ obj: Record<string, unknown>; at: FieldPath }> {
  const items = r.list(value, path) ?? [];
  const out: Array<{ obj: Record<string, unknown>; at: FieldPath }> = [];
  items.forEach((item, i) => {
    const at = [...path, i];
    const obj = r.record(item, at);
    if (!obj) return;
    r.knownFields(obj, at, fields);
    out.push({ obj, at });
  });
  return out;
}

/**
 * Enum-valued strings are kept as written (cast to their union type): validateOverridePolicy
 * reports values outside the enum with the field's path.
 */
function parseOverriders(r: ManifestReader, value: unknown, path: FieldPath): Overriders {
  const obj = r.record(value, path);
  const out: Overriders = {};
  if (!obj) return out;
  r.knownFields(obj, path, OVERRIDERS_FIELDS);
  const str = (o: Record<string, unknown>, at: FieldPath, key: string) => r.string(o[key], [...at, key]);

  if (has(obj, 'imageOverrider')) {
    out.imageOverrider = entries(r, obj.imageOverrider, [...path, 'imageOverrider'], ['predicate', 'component', 'operator', 'value']).map(
      ({ obj: o, at }) => {
        const im = { component: str(o, at, 'component') ?? '', operator: str(o, at, 'operator') ?? '' } as ImageOverrider;
        const v = str(o, at, 'value');
        if (v !== undefined) im.value = v;
        const predicate = r.record(o.predicate, [...at, 'predicate']);
        if (predicate) {
          r.knownFields(predicate, [...at, 'predicate'], ['path']);
          im.predicate = { path: r.string(predicate.path, [...at, 'predicate', 'path']) ?? '' };
        }
        return im;
      },
    );
  }
  for (const field of ['commandOverrider', 'argsOverrider'] as const) {
    if (!has(obj, field)) continue;
    out[field] = entries(r, obj[field], [...path, field], ['containerName', 'operator', 'value']).map(({ obj: o, at }) => {
      const c = { containerName: str(o, at, 'containerName') ?? '', operator: str(o, at, 'operator') ?? '' } as CommandArgsOverrider;
      const v = r.stringList(o.value, [...at, 'value']);
      if (v) c.value = v;
      return c;
    });
  }
  for (const field of ['labelsOverrider', 'annotationsOverrider'] as const) {
    if (!has(obj, field)) continue;
    out[field] = entries(r, obj[field], [...path, field], ['operator', 'value']).map(({ obj: o, at }) => {
      const l = { operator: str(o, at, 'operator') ?? '' } as LabelAnnotationOverrider;
      const v = r.stringMap(o.value, [...at, 'value']);
      if (v) l.value = v;
      return l;
    });
  }
  if (has(obj, 'fieldOverrider')) {
    out.fieldOverrider = entries(r, obj.fieldOverrider, [...path, 'fieldOverrider'], ['fieldPath', 'json', 'yaml']).map(
      ({ obj: o, at }) => {
        const f: FieldOverrider = { fieldPath: str(o, at, 'fieldPath') ?? '' };
        for (const format of ['json', 'yaml'] as const) {
          if (!has(o, format)) continue;
          f[format] = entries(r, o[format], [...at, format], ['subPath', 'operator', 'value']).map(({ obj: op, at: opAt }) => ({
            subPath: str(op, opAt, 'subPath') ?? '',
            operator: (str(op, opAt, 'operator') ?? '') as 'add',
            ...(has(op, 'value') ? { value: op.value } : {}),
          }));
        }
        return f;
      },
    );
  }
  if (has(obj, 'plaintext')) {
    out.plaintext = entries(r, obj.plaintext, [...path, 'plaintext'], ['path', 'operator', 'value']).map(({ obj: o, at }) => {
      const p = { path: str(o, at, 'path') ?? '', operator: str(o, at, 'operator') ?? '' } as PlaintextOverrider;
      if (has(o, 'value')) p.value = o.value;
      return p;
    });
  }
  return out;
}

function hasAnyOverrider(o: Overriders): boolean {
  return OVERRIDERS_FIELDS.some((f) => (o[f]?.length ?? 0) > 0);
}

/** Parses an OP or COP; returns null when Karmada would reject it (errors reported). */
export function parseOverridePolicy(r: ManifestReader): OverridePolicy | null {
  const m = r.manifest;
  checkObjectFields(r);
  const spec = r.record(m.object.spec, ['spec']);
  if (!spec) {
    if (!has(m.object, 'spec')) r.error('INVALID_POLICY', 'spec is required', []);
    return null;
  }
  r.knownFields(spec, ['spec'], ['resourceSelectors', 'overrideRules', 'targetCluster', 'overriders']);
  const resourceSelectors = parseResourceSelectors(r, spec.resourceSelectors, ['spec', 'resourceSelectors'], m.namespace);

  const rules: OverrideRule[] = [];
  const rulesPath: FieldPath = ['spec', 'overrideRules'];
  const ruleItems = r.list(spec.overrideRules, rulesPath);
  ruleItems?.forEach((item, i) => {
    const at = [...rulesPath, i];
    const obj = r.record(item, at);
    if (!obj) return;
    r.knownFields(obj, at, ['targetCluster', 'overriders']);
    const targetCluster = parseClusterAffinityAt(r, obj.targetCluster, [...at, 'targetCluster']);
    const overriders = parseOverriders(r, obj.overriders, [...at, 'overriders']);
    rules.push({ ...(targetCluster ? { targetCluster } : {}), overriders, path: at });
  });

  // The deprecated pair: used only without overrideRules; both at once is rejected (ValidateOverrideSpec).
  const legacyTarget = parseClusterAffinityAt(r, spec.targetCluster, ['spec', 'targetCluster']);
  const legacyOverriders = parseOverriders(r, spec.overriders, ['spec', 'overriders']);
  if (ruleItems) {
    if (has(spec, 'targetCluster'))
      r.error('INVALID_POLICY', "spec.overrideRules and spec.targetCluster can't co-exist", ['spec', 'targetCluster']);
    if (hasAnyOverrider(legacyOverriders))
      r.error('INVALID_POLICY', "spec.overrideRules and spec.overriders can't co-exist", ['spec', 'overriders']);
  } else if (has(spec, 'targetCluster') || has(spec, 'overriders')) {
    r.info(
      'DEPRECATED_FIELD',
      'spec.targetCluster/spec.overriders are deprecated; use spec.overrideRules',
      has(spec, 'overriders') ? ['spec', 'overriders'] : ['spec', 'targetCluster'],
    );
    rules.push({ ...(legacyTarget ? { targetCluster: legacyTarget } : {}), overriders: legacyOverriders, path: ['spec'] });
  }

  const policy: OverridePolicy = {
    kind: m.kind as OverridePolicy['kind'],
    name: m.name,
    namespace: m.namespace,
    resourceSelectors,
    rules,
    source: m.source,
  };
  for (const problem of validateOverridePolicy(policy)) {
    // Target-cluster selectors were already checked (INVALID_SELECTOR) while parsing the affinity.
    if (problem.path.includes('targetCluster')) continue;
    if (problem.severity === 'error') r.error(problem.code, `${formatPath(problem.path)}: ${problem.message}`, problem.path);
    else r.warn(problem.code, `${formatPath(problem.path)}: ${problem.message}`, problem.path);
  }
  return r.errors > 0 ? null : policy;
}
