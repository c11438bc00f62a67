// fieldOverrider (Karmada overridemanager.go applyFieldOverriders, docs/reference/semantics.md §5.2): edit a JSON or
// YAML document embedded in a string field (typically a ConfigMap's data) with RFC 6902 ops.
import { parseDocument, stringify } from 'yaml';
import { kubernetesYamlTags } from '../load/kubernetes-yaml.js';
import type { FieldOverrider, FieldPath } from '../model/types.js';
import { OverrideCode, applyPatchOps, describe, resolvePointer, unsafePointerSegment, type PatchOp, type PatchPlan } from './json-patch.js';

/** Parses one YAML document the way Kubernetes tooling reads it. */
export function parseKubernetesYaml(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const doc = parseDocument(text, { version: '1.1', customTags: kubernetesYamlTags, logLevel: 'error' });
  if (doc.errors.length > 0) return { ok: false, reason: doc.errors[0]!.message.split('\n')[0]! };
  try {
    return { ok: true, value: doc.toJS() };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/**
 * Re-serialises YAML as Karmada's yaml.JSONToYAML does: keys sorted, lists not indented under their
 * key; strings a YAML 1.1 reader would misread ("yes", "010") are quoted.
 */
export function stringifyKubernetesYaml(value: unknown): string {
  return stringify(value, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/**
 * The patch one field overrider makes: parse the string at `fieldPath`, apply its yaml (or else
 * json) ops at their subPaths, and replace the string with the re-serialised document (compact
 * JSON, or re-marshalled YAML so formatting and comments are not kept).
 */
export function fieldPatches(object: Record<string, unknown>, overrider: FieldOverrider, at: FieldPath): PatchPlan {
  const fail = (message: string, code: OverrideCode = OverrideCode.Failed, path: FieldPath = at): PatchPlan => ({
    ops: [],
    issues: [{ severity: 'error', code, path, message: `fieldOverrider: ${message}` }],
  });
  const fieldPath = overrider.fieldPath;
  const unsafe = unsafePointerSegment(fieldPath);
  if (unsafe !== null)
    return fail(`fieldPath "${fieldPath}" goes through "${unsafe}"; refused`, OverrideCode.UnsafePath, [...at, 'fieldPath']);
  // Karmada's webhook requires exactly one of yaml/json; when both are set, its code uses yaml.
  const yamlOps = overrider.yaml ?? [];
  const jsonOps = overrider.json ?? [];
  const format: 'yaml' | 'json' | null = yamlOps.length > 0 ? 'yaml' : jsonOps.length > 0 ? 'json' : null;
  if (format === null) return { ops: [], issues: [] };
  const ops = format === 'yaml' ? yamlOps : jsonOps;

  const found = resolvePointer(object, fieldPath);
  if (!found.found) return fail(`fieldPath "${fieldPath}" does not resolve: ${found.reason}`, OverrideCode.Failed, [...at, 'fieldPath']);
  if (typeof found.value !== 'string') {
    return fail(`the value at fieldPath "${fieldPath}" is ${describe(found.value)}, not a string`, OverrideCode.Failed, [
      ...at,
      'fieldPath',
    ]);
  }
  const text = found.value;
  let doc: unknown;
  if (format === 'yaml') {
    const parsed = parseKubernetesYaml(text);
    if (!parsed.ok)
      return fail(`the value at "${fieldPath}" is not valid YAML: ${parsed.reason}`, OverrideCode.Failed, [...at, 'fieldPath']);
    doc = parsed.value;
  } else {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      return fail(`the value at "${fieldPath}" is not valid JSON: ${(e as Error).message}`, OverrideCode.Failed, [...at, 'fieldPath']);
    }
  }
  const patch: PatchOp[] = ops.map((o) => ({ op: o.operator, path: o.subPath, value: o.value }));
  const result = applyPatchOps(doc, patch, (i) => [...at, format, i], `fieldOverrider ${fieldPath}`);
  if (!result.ok) return { ops: [], issues: [result.issue] };
  const rewritten = format === 'json' ? JSON.stringify(result.doc) : stringifyKubernetesYaml(result.doc);
  return { ops: [{ op: 'replace', path: fieldPath, value: rewritten }], issues: [] };
}
