// Comparing a desired object with its live copy, as Argo's gitops-engine does: first normalize
// both sides (drop status and what the API server sets), then compare only the fields flotilla
// sends. Whatever the server or its controllers add (defaults such as `imagePullPolicy`,
// `strategy`, `clusterIP`; other managers' labels) is not flotilla's business and never a
// difference; a field flotilla sends whose live value differs is one — and when nothing in the
// repository changed it, it is drift. Pure.
import { parseQuantityExact } from '../placement/quantity.js';
import { IGNORED_ANNOTATIONS, SERVER_METADATA_FIELDS } from '../diff/normalize.js';
import { MANAGED_VALUE } from '../render/tracking.js';

type Json = unknown;

function isMap(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy without status, server-set metadata and annotations that never count (both sides). */
export function normalizeLive(object: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  delete copy.status;
  if (isMap(copy.metadata)) {
    const meta: Record<string, unknown> = { ...copy.metadata };
    for (const k of SERVER_METADATA_FIELDS) delete meta[k];
    if (isMap(meta.annotations)) {
      const a = { ...meta.annotations };
      for (const k of IGNORED_ANNOTATIONS) delete a[k];
      meta.annotations = a;
    }
    copy.metadata = meta;
  }
  return copy;
}

/** Empty or absent: `{}`, `[]`, null and undefined all mean "nothing" to the API server. */
function isEmpty(v: Json): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);
}

/** Quantities are canonicalized by the API server ("0.5" cpu becomes "500m"): equal values are equal. */
function sameQuantity(a: Json, b: Json): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number')) return false;
  try {
    const x = parseQuantityExact(a);
    const y = parseQuantityExact(b);
    return x.num * y.den === y.num * x.den;
  } catch {
    return false;
  }
}

const QUANTITY_PARENTS = new Set(['limits', 'requests', 'capacity', 'allocatable', 'hard', 'storage']);

/** Where a value lives, as a readable path: `spec.template.spec.containers[0].image`. */
function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

/**
 * Paths of the fields flotilla sends whose live value differs. Maps are compared key by key over
 * the desired keys only (server additions ignored); lists must have the same length and are then
 * compared item by item the same way (a list item's defaulted fields are ignored too).
 */
export function differingFields(desired: Json, live: Json, path = ''): string[] {
  if (isMap(desired)) {
    if (!isMap(live)) return isEmpty(desired) && isEmpty(live) ? [] : [path || '(object)'];
    const out: string[] = [];
    for (const key of Object.keys(desired).sort()) {
      const d = desired[key];
      const l = live[key];
      if (isEmpty(d) && isEmpty(l)) continue;
      out.push(...differingFields(d, l, join(path, key)));
    }
    return out;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return isEmpty(desired) && isEmpty(live) ? [] : [path];
    if (live.length !== desired.length) return [path];
    const out: string[] = [];
    desired.forEach((d, i) => out.push(...differingFields(d, live[i], join(path, i))));
    return out;
  }
  if (desired === live) return [];
  if (desired === null && live === undefined) return [];
  const parent = path.replace(/(\[\d+\])+$/, '').split('.').slice(-2, -1)[0] ?? '';
  if (QUANTITY_PARENTS.has(parent) && sameQuantity(desired, live)) return [];
  return [path];
}

/**
 * Paths of fields flotilla's field manager owns on the live object (from managedFields, `f:` keys
 * only) that the desired object no longer has. Server-side apply removes them on the next apply,
 * so their presence means the object must be sent again.
 */
export function ownedFieldsDropped(desired: Record<string, unknown>, live: Record<string, unknown>, manager = MANAGED_VALUE): string[] {
  const meta = isMap(live.metadata) ? live.metadata : {};
  const entries = Array.isArray(meta.managedFields) ? meta.managedFields : [];
  const out: string[] = [];
  for (const e of entries) {
    if (!isMap(e) || e.manager !== manager || e.operation !== 'Apply' || !isMap(e.fieldsV1)) continue;
    walkOwned(e.fieldsV1, desired, '', out);
  }
  return [...new Set(out)].sort();
}

function walkOwned(fields: Record<string, Json>, desired: Json, path: string, out: string[]): void {
  for (const key of Object.keys(fields)) {
    if (!key.startsWith('f:')) continue; // list items (k:, v:, i:) are compared through differingFields
    const name = key.slice(2);
    const here = join(path, name);
    if (here === 'status' || here.startsWith('status.')) continue;
    const d = isMap(desired) ? desired[name] : undefined;
    if (d === undefined) {
      out.push(here);
      continue;
    }
    const sub = fields[key];
    if (isMap(sub) && isMap(d)) walkOwned(sub, d, here, out);
  }
}

/** What the live copy of a desired object needs: nothing, or an apply because of these fields. */
export function compareWithLive(desired: Record<string, unknown>, live: Record<string, unknown>, manager = MANAGED_VALUE): { differs: boolean; fields: string[] } {
  const fields = [...differingFields(normalizeLive(desired), normalizeLive(live)), ...ownedFieldsDropped(desired, live, manager)];
  return { differs: fields.length > 0, fields: [...new Set(fields)] };
}
