// Static checks of an (Cluster)OverridePolicy, as Karmada's CRD schema and validating webhook make
// them (pkg/util/validation/validation.go ValidateOverrideRules), plus flotilla's prototype-safety
// rule. The loader reports these so a bad policy is refused before any rendering.
import type { FieldPath, OverridePolicy, OverrideRule, Overriders } from '../model/types.js';
import { isValidLabelKey, labelSelectorProblem } from '../objects/label-selector.js';
import type { OverrideProblem } from './apply.js';
import { OverrideCode, parsePointer, unsafePointerSegment } from './json-patch.js';
import { compareStrings } from '../model/order.js';

const OPERATORS = ['add', 'remove', 'replace'];
const COMMAND_OPERATORS = ['add', 'remove'];
const COMPONENTS = ['Registry', 'Repository', 'Tag'];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Every static problem of `policy`, in field order. */
export function validateOverridePolicy(policy: OverridePolicy): OverrideProblem[] {
  const check = new PolicyChecker(policy);
  for (const rule of policy.rules) validateRule(check, rule);
  return check.problems;
}

/** The problems of one policy, and the field checks shared by its overriders. */
class PolicyChecker {
  readonly problems: OverrideProblem[] = [];

  constructor(private readonly policy: OverridePolicy) {}

  report(path: FieldPath, code: OverrideCode, message: string): void {
    this.problems.push({ policy: this.policy, path, severity: 'error', code, message });
  }

  invalid(path: FieldPath, message: string): void {
    this.report(path, OverrideCode.Invalid, message);
  }

  /** A JSON pointer field: RFC 6901 syntax (jsonpointer.New) and no prototype segment. */
  pointer(path: FieldPath, value: unknown, what: string, allowEmpty: boolean): void {
    if (typeof value !== 'string' || parsePointer(value) === null || (!allowEmpty && value === '')) {
      this.invalid(path, `${what} "${String(value ?? '')}" must be a JSON pointer starting with "/"`);
      return;
    }
    const unsafe = unsafePointerSegment(value);
    if (unsafe !== null)
      this.report(
        path,
        OverrideCode.UnsafePath,
        `${what} "${value}" goes through "${unsafe}", which could change every object's prototype`,
      );
  }

  /** Whether `value` is one of the `allowed` operators (a problem when not). */
  operator(path: FieldPath, value: unknown, allowed: readonly string[]): boolean {
    if (typeof value === 'string' && allowed.includes(value)) return true;
    this.invalid(path, `operator "${String(value ?? '')}" is not one of ${allowed.join(', ')}`);
    return false;
  }

  /** validateOverrideOperator: add/replace need a value, remove takes none (a null value counts as none). */
  opValue(at: FieldPath, op: unknown, value: unknown): void {
    const present = value !== undefined && value !== null;
    if ((op === 'add' || op === 'replace') && !present) this.invalid(at, `value is required for ${op}`);
    if (op === 'remove' && present) this.invalid([...at, 'value'], 'value is not allowed for remove');
  }
}

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return compareStrings(a, b);
}

/** One rule's overriders, kind by kind in field order, then its target cluster selector. */
function validateRule(check: PolicyChecker, rule: OverrideRule): void {
  const base = [...rule.path, 'overriders'];
  const o = rule.overriders;
  validateImageOverriders(check, o, base);
  for (const field of ['commandOverrider', 'argsOverrider'] as const) {
    (o[field] ?? []).forEach((c, i) => {
      const at = [...base, field, i];
      if (typeof c.containerName !== 'string' || c.containerName === '')
        check.invalid([...at, 'containerName'], 'containerName is required');
      check.operator([...at, 'operator'], c.operator, COMMAND_OPERATORS);
    });
  }
  validateLabelAndAnnotationOverriders(check, o, base);
  validateFieldOverriders(check, o, base);
  (o.plaintext ?? []).forEach((p, i) => {
    const at = [...base, 'plaintext', i];
    check.pointer([...at, 'path'], p.path, 'path', false);
    if (check.operator([...at, 'operator'], p.operator, OPERATORS)) check.opValue(at, p.operator, p.value);
  });
  const selector = rule.targetCluster?.labelSelector;
  if (selector) {
    const problem = labelSelectorProblem(selector);
    if (problem) check.invalid([...rule.path, 'targetCluster', 'labelSelector'], `targetCluster.labelSelector: ${problem}`);
  }
}

function validateImageOverriders(check: PolicyChecker, o: Overriders, base: FieldPath): void {
  (o.imageOverrider ?? []).forEach((im, i) => {
    const at = [...base, 'imageOverrider', i];
    if (!COMPONENTS.includes(im.component))
      check.invalid([...at, 'component'], `component "${String(im.component ?? '')}" is not one of ${COMPONENTS.join(', ')}`);
    check.operator([...at, 'operator'], im.operator, OPERATORS);
    if (im.predicate !== undefined) check.pointer([...at, 'predicate', 'path'], im.predicate.path, 'predicate path', false);
  });
}

/** Label overriders need valid label keys and values; annotation overriders valid keys and string values. */
function validateLabelAndAnnotationOverriders(check: PolicyChecker, o: Overriders, base: FieldPath): void {
  (o.labelsOverrider ?? []).forEach((l, i) => {
    const at = [...base, 'labelsOverrider', i];
    check.operator([...at, 'operator'], l.operator, OPERATORS);
    for (const [key, value] of Object.entries(l.value ?? {}).sort(byKey)) {
      if (!isValidLabelKey(key)) check.invalid([...at, 'value', key], `"${key}" is not a valid label key`);
      if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
        check.invalid([...at, 'value', key], `"${String(value)}" is not a valid label value for "${key}"`);
      }
    }
  });
  (o.annotationsOverrider ?? []).forEach((a, i) => {
    const at = [...base, 'annotationsOverrider', i];
    check.operator([...at, 'operator'], a.operator, OPERATORS);
    for (const [key, value] of Object.entries(a.value ?? {}).sort(byKey)) {
      // apimachinery ValidateAnnotations checks the lower-cased key as a qualified name.
      if (!isValidLabelKey(key.toLowerCase())) check.invalid([...at, 'value', key], `"${key}" is not a valid annotation key`);
      if (typeof value !== 'string') check.invalid([...at, 'value', key], `annotation "${key}" must have a string value`);
    }
  });
}

/** A field overrider has either json or yaml operations (not both), each with a sub-path, an operator and a fitting value. */
function validateFieldOverriders(check: PolicyChecker, o: Overriders, base: FieldPath): void {
  (o.fieldOverrider ?? []).forEach((f, i) => {
    const at = [...base, 'fieldOverrider', i];
    const hasYaml = (f.yaml ?? []).length > 0;
    const hasJson = (f.json ?? []).length > 0;
    if (hasYaml && hasJson) check.invalid(at, 'fieldOverrider has both yaml and json set; only one is allowed');
    if (!hasYaml && !hasJson) check.invalid(at, 'fieldOverrider must have either json or yaml set');
    check.pointer([...at, 'fieldPath'], f.fieldPath, 'fieldPath', true);
    for (const format of ['json', 'yaml'] as const) {
      (f[format] ?? []).forEach((op, j) => {
        const opAt = [...at, format, j];
        check.pointer([...opAt, 'subPath'], op.subPath, 'subPath', true);
        if (check.operator([...opAt, 'operator'], op.operator, OPERATORS)) check.opValue(opAt, op.operator, op.value);
      });
    }
  });
}
