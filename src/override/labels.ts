// labelsOverrider / annotationsOverrider (Karmada pkg/util/overridemanager/labelannotationoverrider.go,
// docs/reference/semantics.md §5.2).
import type { FieldPath, LabelAnnotationOverrider } from '../model/types.js';
import { OverrideCode, pointerOf, type PatchOp, type PatchPlan } from './json-patch.js';
import { isMap } from '../objects/json.js';

/** Which metadata map an overrider edits. */
export type LabelAnnotationTarget = 'labels' | 'annotations';

/**
 * The patch one labels/annotations overrider makes to `metadata.<target>`: add sets every key
 * (creating the map, and metadata, when missing); replace sets only keys that already exist; remove
 * deletes keys that exist, ignoring the overrider's values. Keys may contain '/', which the pointer
 * escapes as '~1' exactly as Karmada does.
 */
export function labelAnnotationPatches(
  object: Record<string, unknown>,
  target: LabelAnnotationTarget,
  overrider: LabelAnnotationOverrider,
  at: FieldPath,
): PatchPlan {
  const label = target === 'labels' ? 'labelsOverrider' : 'annotationsOverrider';
  // Sorted keys: the result does not depend on the order keys were written in the policy.
  const keys = Object.keys(overrider.value ?? {}).sort();
  if (keys.length === 0) return { ops: [], issues: [] };
  const op = overrider.operator;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    // Karmada forwards the operator to json-patch, which rejects it.
    return {
      ops: [],
      issues: [{ severity: 'error', code: OverrideCode.Failed, path: at, message: `${label}: unknown operator "${String(op)}"` }],
    };
  }
  const metadata = object.metadata;
  const existing = isMap(metadata) && isMap(metadata[target]) ? (metadata[target] as Record<string, unknown>) : null;
  const ops: PatchOp[] = [];
  if (op === 'add' && existing === null) {
    if (metadata !== undefined && metadata !== null && !isMap(metadata)) {
      // unstructured.SetNestedStringMap fails on a non-map metadata; Karmada then skips every key.
      return { ops: [], issues: [] };
    }
    if (!isMap(metadata)) ops.push({ op: 'add', path: '/metadata', value: {} });
    ops.push({ op: 'add', path: pointerOf(['metadata', target]), value: {} });
  }
  for (const key of keys) {
    if (op !== 'add' && (existing === null || !Object.prototype.hasOwnProperty.call(existing, key))) continue;
    const path = pointerOf(['metadata', target, key]);
    ops.push(op === 'remove' ? { op, path } : { op, path, value: overrider.value![key] });
  }
  return { ops, issues: [] };
}
