// Normalizing objects before comparing desired and observed state, as Argo's gitops-engine does:
// fields the API server sets (or that change with every commit) must never show as a difference,
// and Secret values must never be printed.
import { createHash } from 'node:crypto';
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

/** `<redacted sha256:1a2b3c4d>`: hides the value, yet a changed value still shows as a changed line. */
export function redactValue(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return `<redacted sha256:${createHash('sha256').update(text).digest('hex').slice(0, 8)}>`;
}

/** A copy of a Secret with every `data`/`stringData` value redacted; other objects are returned as they are. */
export function redactSecret(object: Record<string, unknown>): Record<string, unknown> {
  if (!isSecret(object)) return object;
  const copy = { ...object };
  for (const field of ['data', 'stringData']) {
    const values = copy[field];
    if (isMap(values)) {
      copy[field] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, redactValue(v)]));
    } else if (values !== undefined && values !== null) {
      copy[field] = redactValue(values);
    }
  }
  return copy;
}
