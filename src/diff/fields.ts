// Field-level differences between two JSON values: the short "what changed" of `plan`, e.g.
// `spec.replicas: 6 → 5`. Deterministic: keys are visited in sorted order, arrays by index (lists of
// scalars by a longest common subsequence, so removing one cluster name is one change).
import { diffArrays } from 'diff';
import { isMap } from '../objects/json.js';

/** One changed leaf (or whole subtree, when a side is missing or the types differ). */
export interface FieldChange {
  /** Readable path: `spec.template.spec.containers[0].image`, `metadata.labels["app.kubernetes.io/name"]`. */
  path: string;
  op: 'add' | 'remove' | 'replace';
  before?: unknown;
  after?: unknown;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (IDENT.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Every changed field between `before` and `after`, in path order. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (before === after) return [];
  if (isMap(before) && isMap(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const out: FieldChange[] = [];
    for (const k of keys) {
      const p = join(path, k);
      if (!(k in after)) out.push({ path: p, op: 'remove', before: before[k] });
      else if (!(k in before)) out.push({ path: p, op: 'add', after: after[k] });
      else out.push(...fieldChanges(before[k], after[k], p));
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    // Lists of scalars (cluster names, command arguments) read best as items removed and added.
    if ([...before, ...after].every((v) => v === null || typeof v !== 'object')) return scalarListChanges(before, after, path);
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = join(path, i);
      if (i >= after.length) out.push({ path: p, op: 'remove', before: before[i] });
      else if (i >= before.length) out.push({ path: p, op: 'add', after: after[i] });
      else out.push(...fieldChanges(before[i], after[i], p));
    }
    return out;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: path === '' ? '(whole object)' : path, op: 'replace', before, after }];
}

/** Items removed from and added to a list of scalars, by a longest common subsequence (indices of each side). */
function scalarListChanges(before: readonly unknown[], after: readonly unknown[], path: string): FieldChange[] {
  const script = diffArrays(
    before.map((v) => JSON.stringify(v)),
    after.map((v) => JSON.stringify(v)),
  );
  const out: FieldChange[] = [];
  let i = 0;
  let j = 0;
  for (const change of script) {
    for (let n = 0; n < change.count; n++) {
      if (change.removed) out.push({ path: join(path, i), op: 'remove', before: before[i++] });
      else if (change.added) out.push({ path: join(path, j), op: 'add', after: after[j++] });
      else {
        i++;
        j++;
      }
    }
  }
  return out;
}

/** A value shortened for one line of a report. */
export function shortValue(v: unknown, max = 80): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'undefined');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `spec.replicas: 6 → 5`, `metadata.labels.tier: added "gold"`, `spec.paused: removed (was true)`. */
export function describeFieldChange(c: FieldChange): string {
  if (c.op === 'add') return `${c.path}: added ${shortValue(c.after)}`;
  if (c.op === 'remove') return `${c.path}: removed (was ${shortValue(c.before)})`;
  return `${c.path}: ${shortValue(c.before)} → ${shortValue(c.after)}`;
}
