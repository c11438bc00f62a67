// Comparing a desired object with its live copy, as Argo's gitops-engine does: first normalize
// both sides (drop status and what the API server sets), then compare only the fields flotilla
// sends. Whatever the server or its controllers add (defaults such as `imagePullPolicy`,
// `strategy`, `clusterIP`; other managers' labels) is not flotilla's business and never a
// difference; a field flotilla sends whose live value differs is one — and when nothing in the
// repository changed it, it is drift. Pure.
import { isMap } from '../objects/json.js';
import { parseQuantityExact } from '../objects/quantity.js';
import { normalizeObject } from '../objects/normalize.js';
import { MANAGED_VALUE } from '../objects/tracking.js';

type Json = unknown;

/** Empty or absent: `{}`, `[]`, null and undefined all mean "nothing" to the API server. */
function isEmpty(v: Json): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isMap(v) && Object.keys(v).length === 0);
}

/**
 * A zero scalar (`""`, `false`, `0`): Go's `omitempty` drops these when the API server encodes an
 * object (EnvVar.value, VolumeMount.readOnly, PodSpec.hostNetwork…), so an absent live field equals
 * a desired zero. Pointer fields the server keeps (Deployment `replicas: 0`) come back as 0 anyway.
 */
function isZero(v: Json): boolean {
  return v === '' || v === false || v === 0;
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

/** A field's location as segments (map keys and list indexes); keys may contain dots (`nvidia.com/gpu`). */
type FieldPath = ReadonlyArray<string | number>;

/** Where a value lives, as a readable path: `spec.template.spec.containers[0].image`. */
function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const safe = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${safe}` : safe;
}

/** The readable text of a path (see join). */
function pathText(path: FieldPath): string {
  return path.reduce<string>((text, key) => join(text, key), '');
}

/** The map key a value sits under, list indexes skipped (`limits` for `…limits["nvidia.com/gpu"]`'s parent). */
function parentKey(path: FieldPath): string {
  let end = path.length;
  while (end > 0 && typeof path[end - 1] === 'number') end--;
  const parent = path[end - 2];
  return typeof parent === 'string' ? parent : '';
}

/** The last map key of a path: the name of the list a path points at. */
function fieldName(path: FieldPath): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? last : '';
}

/** Lists the API server merges by key (their `x-kubernetes-list-map-keys` / patchMergeKey). */
const NAME_KEYED_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'imagePullSecrets']);

/**
 * The merge key of one list item, or null when the list is not keyed (or the item lacks its key).
 * Container ports are keyed by containerPort+protocol and Service ports by port+protocol, the
 * protocol defaulting to TCP as the API server defaults it; volumeMounts by mountPath, which is
 * the real schema's key (one volume may be mounted at several paths, so its name is not unique).
 */
function listItemKey(list: string, item: Json): string | null {
  if (!isMap(item)) return null;
  if (NAME_KEYED_LISTS.has(list)) return typeof item.name === 'string' ? JSON.stringify([item.name]) : null;
  if (list === 'volumeMounts') return typeof item.mountPath === 'string' ? JSON.stringify([item.mountPath]) : null;
  if (list === 'ports') {
    const protocol = item.protocol ?? 'TCP';
    if (item.containerPort !== undefined) return JSON.stringify(['containerPort', item.containerPort, protocol]);
    if (item.port !== undefined) return JSON.stringify(['port', item.port, protocol]);
  }
  return null;
}

/** Desired items' keys, or null when any item has none or two share one (compared by index then). */
function desiredKeys(list: string, desired: readonly Json[]): string[] | null {
  const keys: string[] = [];
  for (const item of desired) {
    const key = listItemKey(list, item);
    if (key === null) return null;
    keys.push(key);
  }
  return new Set(keys).size === keys.length ? keys : null;
}

function diff(desired: Json, live: Json, path: FieldPath, out: string[]): void {
  if (isMap(desired)) {
    if (!isMap(live)) {
      if (!(isEmpty(desired) && isEmpty(live))) out.push(path.length ? pathText(path) : '(object)');
      return;
    }
    for (const key of Object.keys(desired).sort()) {
      const d = desired[key];
      const l = live[key];
      if (isEmpty(d) && isEmpty(l)) continue;
      diff(d, l, [...path, key], out);
    }
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) {
      if (!(isEmpty(desired) && isEmpty(live))) out.push(pathText(path));
      return;
    }
    const list = fieldName(path);
    const keys = desiredKeys(list, desired);
    if (keys) {
      // Keyed list: each desired item against the live item with its key, wherever it sits; live
      // items flotilla does not send (an injected sidecar or env var) belong to other managers.
      const liveByKey = new Map<string, Json>();
      for (const item of live) {
        const key = listItemKey(list, item);
        if (key !== null && !liveByKey.has(key)) liveByKey.set(key, item);
      }
      desired.forEach((d, i) => {
        if (!liveByKey.has(keys[i]!)) out.push(pathText([...path, i]));
        else diff(d, liveByKey.get(keys[i]!), [...path, i], out);
      });
      return;
    }
    // Unkeyed list: by index; a missing item is a difference, items past the desired ones are not ours.
    if (live.length < desired.length) {
      out.push(pathText(path));
      return;
    }
    desired.forEach((d, i) => diff(d, live[i], [...path, i], out));
    return;
  }
  if (desired === live) return;
  if ((live === undefined || live === null) && (desired === null || isZero(desired))) return;
  if (QUANTITY_PARENTS.has(parentKey(path)) && sameQuantity(desired, live)) return;
  out.push(pathText(path));
}

/**
 * Paths of the fields flotilla sends whose live value differs. Maps are compared key by key over
 * the desired keys only (server additions ignored). Keyed lists (containers, env, volumes,
 * volumeMounts, ports, imagePullSecrets) match items by key and ignore live items flotilla does not
 * send; other lists are compared by index over the desired items. A desired zero (`""`, `false`,
 * `0`) equals an absent live field, which is how the API server returns omitempty fields.
 */
export function differingFields(desired: Json, live: Json, path: FieldPath = []): string[] {
  const out: string[] = [];
  diff(desired, live, path, out);
  return out;
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
    if (!key.startsWith('f:')) continue; // list items (k:, v:) are walked by walkOwnedItems
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
    else if (isMap(sub) && Array.isArray(d)) walkOwnedItems(sub, d, here, out);
  }
}

/** Does a desired list item carry the key a `k:{...}` element names (protocol defaulting to TCP)? */
function itemHasKey(item: Json, key: Record<string, Json>): boolean {
  if (!isMap(item)) return false;
  return Object.keys(key).every((k) => JSON.stringify(k === 'protocol' ? (item[k] ?? 'TCP') : item[k]) === JSON.stringify(key[k]));
}

/**
 * The items of a list flotilla owns (`k:{"name":"old"}` of a keyed list, `v:"x"` of a set) that the
 * desired list no longer has: differingFields ignores live items it does not send, so an item the
 * repository dropped is found here, and SSA removes it on the next apply. Reported at the list.
 */
function walkOwnedItems(fields: Record<string, Json>, desired: readonly Json[], path: string, out: string[]): void {
  for (const element of Object.keys(fields)) {
    let value: Json;
    try {
      value = JSON.parse(element.slice(2));
    } catch {
      continue;
    }
    if (element.startsWith('k:') && isMap(value)) {
      const index = desired.findIndex((item) => itemHasKey(item, value as Record<string, Json>));
      const sub = fields[element];
      if (index < 0) out.push(path);
      else if (isMap(sub)) walkOwned(sub, desired[index], join(path, index), out);
    } else if (element.startsWith('v:')) {
      if (!desired.some((item) => JSON.stringify(item) === JSON.stringify(value))) out.push(path);
    }
  }
}

/** What the live copy of a desired object needs: nothing, or an apply because of these fields. */
export function compareWithLive(
  desired: Record<string, unknown>,
  live: Record<string, unknown>,
  manager = MANAGED_VALUE,
): { differs: boolean; fields: string[] } {
  const fields = [...differingFields(normalizeObject(desired), normalizeObject(live)), ...ownedFieldsDropped(desired, live, manager)];
  return { differs: fields.length > 0, fields: [...new Set(fields)] };
}
