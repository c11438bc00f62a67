// Normalizing objects before comparing desired and observed state, as Argo's gitops-engine does:
// fields the API server sets (or that change with every commit) must never show as a difference,
// and Secret values must never be printed.
import { VOLATILE_ANNOTATIONS } from './tracking.js';
import { isMap } from './json.js';

/** metadata fields the API server owns. */
export const SERVER_METADATA_FIELDS: readonly string[] = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** Annotations that never count as a difference: flotilla's per-commit revision, kubectl's client-side apply record. */
export const IGNORED_ANNOTATIONS: readonly string[] = [...VOLATILE_ANNOTATIONS, 'kubectl.kubernetes.io/last-applied-configuration'];

/**
 * A copy without status, server-set metadata and the annotations that never count; an annotation
 * map left empty is dropped. Only the levels it changes are copied (the rest is shared, never
 * mutated), since it runs on every live object of every resync.
 */
export function normalizeObject(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  delete copy.status;
  const meta = copy.metadata;
  if (isMap(meta)) {
    const m: Record<string, unknown> = { ...meta };
    for (const k of SERVER_METADATA_FIELDS) delete m[k];
    const annotations = m.annotations;
    if (isMap(annotations)) {
      const a: Record<string, unknown> = { ...annotations };
      for (const k of IGNORED_ANNOTATIONS) delete a[k];
      if (Object.keys(a).length === 0) delete m.annotations;
      else m.annotations = a;
    }
    copy.metadata = m;
  }
  return copy;
}

/** True for a core/v1 Secret, whose `data` and `stringData` values are credentials. */
export function isSecret(object: Record<string, unknown>): boolean {
  return object.kind === 'Secret' && object.apiVersion === 'v1';
}

/** What a Secret value is shown as: no function of the value (an unkeyed hash of a short secret is reversed offline). */
export const REDACTED = '<redacted>';
/** A Secret value that differs from the other side's: the line still shows as changed in a unified diff. */
export const REDACTED_CHANGED = '<redacted, changed>';

const SECRET_VALUE_FIELDS = ['data', 'stringData'] as const;

/** A Secret field's values by key; a `data` that is not a map is one value under the empty key. */
function valuesOf(field: unknown): Map<string, string> | null {
  if (field === undefined || field === null) return null;
  const entries = isMap(field) ? Object.entries(field) : [['', field] as const];
  return new Map(entries.map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')]));
}

/** One side's field with every value replaced: `<redacted>`, or `<redacted, changed>` where `other` holds a different value. */
function redactField(field: unknown, other: Map<string, string> | null, markChanged: boolean): unknown {
  const mine = valuesOf(field);
  if (mine === null) return field;
  const shown = (key: string, value: string) =>
    markChanged && other?.has(key) === true && other.get(key) !== value ? REDACTED_CHANGED : REDACTED;
  if (!isMap(field)) return shown('', mine.get('')!);
  return Object.fromEntries([...mine].map(([k, v]) => [k, shown(k, v)]));
}

function redactSide(object: Record<string, unknown>, other: Record<string, unknown> | null, markChanged: boolean): Record<string, unknown> {
  const copy = { ...object };
  for (const field of SECRET_VALUE_FIELDS) {
    if (!(field in copy)) continue;
    copy[field] = redactField(copy[field], other && isSecret(other) ? valuesOf(other[field]) : null, markChanged);
  }
  return copy;
}

/**
 * Both sides of a comparison (`before` the live or recorded object, `after` the desired one) with
 * every Secret `data`/`stringData` value replaced: `<redacted>` where the value is the same on both
 * sides (or on one side only), and on the `after` side `<redacted, changed>` where it differs — so a
 * rotated value is a changed line, and nothing printed depends on the value. Other objects are
 * returned as they are.
 */
export function redactSecretPair(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): { before: Record<string, unknown> | null; after: Record<string, unknown> | null } {
  return {
    before: before && isSecret(before) ? redactSide(before, after, false) : before,
    after: after && isSecret(after) ? redactSide(after, before, true) : after,
  };
}

/** A copy of a Secret with every `data`/`stringData` value `<redacted>`; other objects are returned as they are. */
export function redactSecret(object: Record<string, unknown>): Record<string, unknown> {
  return redactSecretPair(object, null).before!;
}
