// Static checks of an (Cluster)OverridePolicy, as Karmada's CRD schema and validating webhook make
// them (pkg/util/validation/validation.go ValidateOverrideRules), plus flotilla's prototype-safety
// rule. The loader reports these so a bad policy is refused before any rendering.
import type { FieldPath, OverridePolicy, OverrideRule } from '../model/types.js';
import { isValidLabelKey, labelSelectorProblem } from '../objects/label-selector.js';
import type { OverrideProblem } from './apply.js';
import { OverrideCode, parsePointer, unsafePointerSegment } from './json-patch.js';

const OPERATORS = ['add', 'remove', 'replace'];
const COMMAND_OPERATORS = ['add', 'remove'];
const COMPONENTS = ['Registry', 'Repository', 'Tag'];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Every static problem of `policy`, in field order. */
export function validateOverridePolicy(policy: OverridePolicy): OverrideProblem[] {
  const problems: OverrideProblem[] = [];
  const report = (path: FieldPath, code: OverrideCode, message: string): void => {
    problems.push({ policy, path, severity: 'error', code, message });
  };
  const invalid = (path: FieldPath, message: string): void => report(path, OverrideCode.Invalid, message);

  /** A JSON pointer field: RFC 6901 syntax (jsonpointer.New) and no prototype segment. */
  const pointer = (path: FieldPath, value: unknown, what: string, allowEmpty: boolean): void => {
    if (typeof value !== 'string' || parsePointer(value) === null || (!allowEmpty && value === '')) {
      invalid(path, `${what} "${String(value ?? '')}" must be a JSON pointer starting with "/"`);
      return;
    }
    const unsafe = unsafePointerSegment(value);
    if (unsafe !== null)
      report(path, OverrideCode.UnsafePath, `${what} "${value}" goes through "${unsafe}", which could change every object's prototype`);
  };
  const operator = (path: FieldPath, value: unknown, allowed: readonly string[]): boolean => {
    if (typeof value === 'string' && allowed.includes(value)) return true;
    invalid(path, `operator "${String(value ?? '')}" is not one of ${allowed.join(', ')}`);
    return false;
  };
  /** validateOverrideOperator: add/replace need a value, remove takes none (a null value counts as none). */
  const opValue = (at: FieldPath, op: unknown, value: unknown): void => {
    const present = value !== undefined && value !== null;
    if ((op === 'add' || op === 'replace') && !present) invalid(at, `value is required for ${op}`);
    if (op === 'remove' && present) invalid([...at, 'value'], 'value is not allowed for remove');
  };

  for (const rule of policy.rules) validateRule(rule);
  return problems;

  function validateRule(rule: OverrideRule): void {
    const base = [...rule.path, 'overriders'];
    const o = rule.overriders;

    (o.imageOverrider ?? []).forEach((im, i) => {
      const at = [...base, 'imageOverrider', i];
      if (!COMPONENTS.includes(im.component))
        invalid([...at, 'component'], `component "${String(im.component ?? '')}" is not one of ${COMPONENTS.join(', ')}`);
      operator([...at, 'operator'], im.operator, OPERATORS);
      if (im.predicate !== undefined) pointer([...at, 'predicate', 'path'], im.predicate.path, 'predicate path', false);
    });

    for (const field of ['commandOverrider', 'argsOverrider'] as const) {
      (o[field] ?? []).forEach((c, i) => {
        const at = [...base, field, i];
        if (typeof c.containerName !== 'string' || c.containerName === '') invalid([...at, 'containerName'], 'containerName is required');
        operator([...at, 'operator'], c.operator, COMMAND_OPERATORS);
      });
    }

    (o.labelsOverrider ?? []).forEach((l, i) => {
      const at = [...base, 'labelsOverrider', i];
      operator([...at, 'operator'], l.operator, OPERATORS);
      for (const [key, value] of Object.entries(l.value ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (!isValidLabelKey(key)) invalid([...at, 'value', key], `"${key}" is not a valid label key`);
        if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
          invalid([...at, 'value', key], `"${String(value)}" is not a valid label value for "${key}"`);
        }
      }
    });

    (o.annotationsOverrider ?? []).forEach((a, i) => {
      const at = [...base, 'annotationsOverrider', i];
      operator([...at, 'operator'], a.operator, OPERATORS);
      for (const [key, value] of Object.entries(a.value ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
        // apimachinery ValidateAnnotations checks the lower-cased key as a qualified name.
        if (!isValidLabelKey(key.toLowerCase())) invalid([...at, 'value', key], `"${key}" is not a valid annotation key`);
        if (typeof value !== 'string') invalid([...at, 'value', key], `annotation "${key}" must have a string value`);
      }
    });

    (o.fieldOverrider ?? []).forEach((f, i) => {
      const at = [...base, 'fieldOverrider', i];
      const hasYaml = (f.yaml ?? []).length > 0;
      const hasJson = (f.json ?? []).length > 0;
      if (hasYaml && hasJson) invalid(at, 'fieldOverrider has both yaml and json set; only one is allowed');
      if (!hasYaml && !hasJson) invalid(at, 'fieldOverrider must have either json or yaml set');
      pointer([...at, 'fieldPath'], f.fieldPath, 'fieldPath', true);
      for (const format of ['json', 'yaml'] as const) {
        (f[format] ?? []).forEach((op, j) => {
          const opAt = [...at, format, j];
          pointer([...opAt, 'subPath'], op.subPath, 'subPath', true);
          if (operator([...opAt, 'operator'], op.operator, OPERATORS)) opValue(opAt, op.operator, op.value);
        });
      }
    });

    (o.plaintext ?? []).forEach((p, i) => {
      const at = [...base, 'plaintext', i];
      pointer([...at, 'path'], p.path, 'path', false);
      if (operator([...at, 'operator'], p.operator, OPERATORS)) opValue(at, p.operator, p.value);
    });

    const selector = rule.targetCluster?.labelSelector;
    if (selector) {
      const problem = labelSelectorProblem(selector);
      if (problem) invalid([...rule.path, 'targetCluster', 'labelSelector'], `targetCluster.labelSelector: ${problem}`);
    }
  }
}
