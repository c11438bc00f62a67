// What changes in each cluster's rendered manifests: objects added, removed (every one, by name)
// and changed, with a short field-level summary. Objects are compared normalized (no status,
// server fields or per-commit annotations) and with Secret values redacted.
import { describeFieldChange, fieldChanges } from '../diff/fields.js';
import { identityKey, refOfObject, type ObjectRef } from '../objects/identity.js';
import { normalizeObject, redactSecretPair } from '../objects/normalize.js';
import type { ClusterObjectChanges, ObjectChange } from './types.js';
import { isSuspendedObject } from '../objects/tracking.js';

type Manifests = Record<string, ReadonlyArray<Record<string, unknown>>>;

function compareObjectRefs(a: ObjectRef, b: ObjectRef): number {
  const ka = [a.kind, a.namespace, a.name, a.apiVersion];
  const kb = [b.kind, b.namespace, b.name, b.apiVersion];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/** Per-cluster object changes, clusters sorted by name; clusters without changes are left out. */
export function objectChanges(base: Manifests, head: Manifests, maxFields = 5): ClusterObjectChanges[] {
  const clusters = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  const out: ClusterObjectChanges[] = [];
  for (const cluster of clusters) {
    const before = new Map((base[cluster] ?? []).map((o) => [identityKey(o), o]));
    const after = new Map((head[cluster] ?? []).map((o) => [identityKey(o), o]));
    const added: ObjectRef[] = [];
    const removed: ObjectRef[] = [];
    const changed: ObjectChange[] = [];
    // A suspended object (spec.suspension) is neither created nor updated: the plan's `suspended` lists it instead.
    for (const [key, o] of after) if (!before.has(key) && !isSuspendedObject(o)) added.push(refOfObject(o));
    for (const [key, o] of before) {
      const next = after.get(key);
      if (next && isSuspendedObject(next)) continue;
      if (!next) {
        removed.push(refOfObject(o));
        continue;
      }
      const shown = redactSecretPair(normalizeObject(o), normalizeObject(next));
      const fields = fieldChanges(shown.before, shown.after);
      if (fields.length === 0) continue;
      changed.push({
        ...refOfObject(next),
        fields: fields.slice(0, maxFields).map(describeFieldChange),
        moreFields: Math.max(0, fields.length - maxFields),
      });
    }
    if (added.length + removed.length + changed.length === 0) continue;
    const hadObjects = before.size > 0;
    const hasObjects = after.size > 0;
    out.push({
      cluster,
      state: hadObjects && !hasObjects ? 'drops-out' : !hadObjects && hasObjects ? 'new' : 'kept',
      added: added.sort(compareObjectRefs),
      removed: removed.sort(compareObjectRefs),
      changed: changed.sort(compareObjectRefs),
    });
  }
  return out;
}
