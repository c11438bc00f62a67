// Where each rendered object lives on disk: <cluster>/<namespace or _cluster>/<kind>-<name>.yaml.
// Names come from the fleet repository, so every segment is made safe: nothing can climb out of
// the output directory, whatever a manifest says, and no segment is longer than a file system
// takes (docs/reference/contract.md "flotilla render").
import { createHash } from 'node:crypto';
import { refOfObject, type ObjectRef } from './identity.js';
import { apiGroup } from './scope.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Longest path segment, in bytes: ext4, XFS, btrfs, APFS and NTFS all stop at 255. A valid object
 * name has up to 253 characters, so `<kind>-<name>.yaml` can be longer. Segments that fit keep
 * their names, so no layout that worked before moves.
 */
export const MAX_SEGMENT_BYTES = 255;
/** Hex digits of SHA-256 that stand in for a shortened segment's tail: 64 bits, no collision in practice. */
const HASH_CHARS = 16;

/**
 * `segment + suffix`, or when that is over MAX_SEGMENT_BYTES, a prefix of the segment, `~`, a hash
 * of the whole segment, then the suffix. Encoded segments are ASCII (a character is a byte) and
 * never contain `~` (safeSegment encodes it), so a shortened name cannot equal a name that fits.
 */
function boundedSegment(segment: string, suffix = ''): string {
  if (segment.length + suffix.length <= MAX_SEGMENT_BYTES) return segment + suffix;
  const hash = createHash('sha256').update(segment).digest('hex').slice(0, HASH_CHARS);
  // A cut %-escape (two or more hex digits) would read as another character: end the prefix before it.
  const prefix = segment.slice(0, MAX_SEGMENT_BYTES - suffix.length - HASH_CHARS - 1).replace(/%[0-9A-F]*$/, '');
  return `${prefix}~${hash}${suffix}`;
}

/**
 * A path segment that cannot be '.', '..', empty or contain a separator; odd characters are
 * %-encoded; over MAX_SEGMENT_BYTES, shortened to a prefix and a hash.
 */
export function safeSegment(s: string): string {
  return boundedSegment(encodeSegment(s));
}

function encodeSegment(s: string): string {
  if (SAFE.test(s) && s !== '.' && s !== '..') return s;
  const encoded = [...s]
    .map((ch) => (/[A-Za-z0-9._-]/.test(ch) ? ch : '%' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')))
    .join('');
  return encoded === '' || /^\.+$/.test(encoded) || !/^[A-Za-z0-9]/.test(encoded) ? `_${encoded.replace(/\./g, '%2E')}` : encoded;
}

/** Relative path of one object in the `--out` layout. `qualified` adds the API group (used on name clashes). */
export function manifestPath(cluster: string, ref: ObjectRef, qualified = false): string {
  const ns = ref.namespace ? safeSegment(ref.namespace) : '_cluster';
  const group = apiGroup(ref.apiVersion);
  const kind = ref.kind.toLowerCase() + (qualified && group ? `.${group}` : '');
  // Joined into one flat string (versionedKey says why): the applied state holds one path per rendered object.
  return [safeSegment(cluster), ns, boundedSegment(encodeSegment(`${kind}-${ref.name}`), '.yaml')].join('/');
}

/** Each kept object's folder and file name before qualification and encoding, in lower case (layoutClashes). */
const folderKeys = new WeakMap<object, string>();
/** The last list found clear of meetings that started with an object, by that object (layoutClashes). */
const clearLists = new WeakMap<object, readonly Record<string, unknown>[]>();

function folderKeyOf(object: Record<string, unknown>): string {
  const ref = refOfObject(object);
  return `${ref.namespace}/${ref.kind}-${ref.name}`.toLowerCase();
}

function keptFolderKey(object: Record<string, unknown>): string {
  let key = folderKeys.get(object);
  if (key === undefined) {
    key = folderKeyOf(object);
    folderKeys.set(object, key);
  }
  return key;
}

/** Paths for every object of every cluster; objects whose kind-name clash in a folder get group-qualified names. */
export function layoutManifests(
  manifests: Record<string, ReadonlyArray<Record<string, unknown>>>,
): Array<{ path: string; object: Record<string, unknown> }> {
  const out: Array<{ path: string; object: Record<string, unknown> }> = [];
  for (const cluster of Object.keys(manifests).sort()) out.push(...clusterLayout(cluster, manifests[cluster]!));
  return out;
}

/** One cluster's objects with their paths, in their order: group-qualified where their kind-name clash in a folder. */
function clusterLayout(
  cluster: string,
  objects: ReadonlyArray<Record<string, unknown>>,
): Array<{ path: string; object: Record<string, unknown> }> {
  const entries = objects.map((object) => {
    const ref = refOfObject(object);
    return { ref, object, path: manifestPath(cluster, ref) };
  });
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.path.toLowerCase(), (counts.get(e.path.toLowerCase()) ?? 0) + 1);
  return entries.map((e) => ({
    path: counts.get(e.path.toLowerCase())! > 1 ? manifestPath(cluster, e.ref, true) : e.path,
    object: e.object,
  }));
}

/**
 * The objects of one cluster's list that the layout would write to the same file as another (in any
 * case), with that file. Distinct identities can meet there: a kind is not checked for the `-` and
 * `.` that join it to the name and the group (`ResourceQuota-web` named `quota` is
 * `resourcequota-web-quota.yaml`, a ResourceQuota named `web-quota`), and the last one written would
 * replace the other, no deletion counted (validate/scope.ts refuses both). `kept`: the caller renders
 * these objects again next pass (the reconciler), so each object's key and a list found clear are
 * remembered beside it. A one-shot render (validate, render, plan) does not: remembering millions
 * of objects a WeakMap entry each cost validate at 2.9M objects half its CPU, and in one run of
 * three 23 s of folderKey lookups.
 */
export function layoutClashes(
  objects: ReadonlyArray<Record<string, unknown>>,
  kept = false,
): Array<{ path: string; objects: Record<string, unknown>[] }> {
  // Names are qualified only where two meet in a folder, and the encoding is one to one: when no two
  // objects have one folder and file name (unencoded, in any case), no two files can be one. That
  // check is a set of strings each pass (kept per object: the renderer reuses them); the layout's
  // own paths, about 0.13 s of CPU at 174,721 objects, are made only when it finds a meeting.
  // A list of the very objects found clear last time is clear: a steady pass keeps most clusters'
  // objects as they were, and comparing them is a pointer each, where their keys' set cost ~50 ms.
  const first = objects[0];
  const clear = first === undefined || !kept ? undefined : clearLists.get(first);
  if (clear !== undefined && clear.length === objects.length && clear.every((o, i) => o === objects[i])) return [];
  const seen = new Set<string>();
  let meet = false;
  const keyOf = kept ? keptFolderKey : folderKeyOf;
  for (const object of objects) {
    const key = keyOf(object);
    if (seen.has(key)) meet = true;
    seen.add(key);
  }
  if (!meet) {
    if (first !== undefined && kept) clearLists.set(first, [...objects]);
    return [];
  }
  const byPath = new Map<string, Record<string, unknown>[]>();
  for (const { path, object } of clusterLayout('cluster', objects)) {
    const key = path.toLowerCase();
    const list = byPath.get(key);
    if (list) list.push(object);
    else byPath.set(key, [object]);
  }
  return [...byPath]
    .filter(([, list]) => list.length > 1)
    .map(([path, list]) => ({ path: path.slice(path.indexOf('/') + 1), objects: list }));
}
