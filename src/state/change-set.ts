// The diff stage: the new desired state (rendered manifests per cluster) against the last applied
// one, object by object, as Flux's change set: created | configured | unchanged | deleted (plus
// `moved`, when only an object's file name changes because a name clash appeared or went away).
// Pure: the inputs are plain data, the result says what to write and what the next state is.
//
// Objects are compared with fast-json-patch after dropping the annotations that change with every
// commit (tracking.ts VOLATILE_ANNOTATIONS): a commit that does not change an object leaves its
// written file alone, so "edit one policy" rewrites only what that policy places.
import { createHash } from 'node:crypto';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { FlotillaError } from '../model/diagnostics.js';
import { clusterObjectId, isRefOf, refOfObject, type ObjectRef } from '../objects/identity.js';
import { manifestPath } from '../objects/layout.js';
import { blobOid } from '../source/objects.js';
import { sortKeysDeep, toSortedJson, toStableYaml } from '../objects/serialize.js';
import { VOLATILE_ANNOTATIONS } from '../objects/tracking.js';

/** One object of the applied state: where its file is and what it holds. */
export interface AppliedObject {
  /** clusterObjectId(cluster, ref): revision identity, so an apiVersion bump deletes the file and writes it anew. */
  id: string;
  cluster: string;
  ref: ObjectRef;
  /** Layout path (layoutManifests), relative to the manifests root. */
  path: string;
  /** Whether `path` carries the API group because of a name clash in its folder. */
  qualified: boolean;
  /** Git blob oid of the file's text (toStableYaml of the object as written). */
  oid: string;
  /**
   * The desired object; equal to the written one up to volatile annotations. Null when restored
   * from the render index (src/reconcile/render-index.ts) and not read yet: `hash` stands for it
   * until a diff needs the object itself (hydrateApplied reads it from its blob).
   */
  object: Record<string, unknown> | null;
  /** contentHash of the object (memo, filled when first needed; always set when `object` is null). */
  hash?: string;
}

/**
 * The applied state: cluster → (object id → object). A diff shares the inner map of every cluster
 * it did not change with the state it started from, so a pass that touches two clusters of a
 * hundred copies two maps, not the whole fleet.
 */
export type AppliedState = ReadonlyMap<string, ReadonlyMap<string, AppliedObject>>;

/** Number of objects in a state. */
export function stateSize(state: AppliedState): number {
  let n = 0;
  for (const inner of state.values()) n += inner.size;
  return n;
}

/** Every object of a state. */
export function* stateObjects(state: AppliedState): Generator<AppliedObject> {
  for (const inner of state.values()) yield* inner.values();
}

/** A state holding `objects`. */
export function stateFromObjects(objects: Iterable<AppliedObject>): Map<string, Map<string, AppliedObject>> {
  const state = new Map<string, Map<string, AppliedObject>>();
  for (const o of objects) {
    let inner = state.get(o.cluster);
    if (!inner) state.set(o.cluster, (inner = new Map()));
    inner.set(o.id, o);
  }
  return state;
}

export type ChangeAction = 'created' | 'configured' | 'deleted' | 'moved';

/** One object to write or delete. */
export interface ObjectChange {
  action: ChangeAction;
  id: string;
  cluster: string;
  ref: ObjectRef;
  /** Where the object is now (deleted: where it was). */
  path: string;
  /** `moved`: the old path, to delete. */
  previousPath?: string;
  /** New file text and its blob oid (absent for deleted). */
  text?: string;
  oid?: string;
  /** `configured`: what changed, as a JSON patch from the old object to the new. */
  patch?: Operation[];
}

export interface ClusterCounts {
  created: number;
  configured: number;
  unchanged: number;
  deleted: number;
}

export interface DesiredDiff {
  changes: ObjectChange[];
  /** The state after applying `changes`. */
  next: AppliedState;
  /** The rendered lists `next` was computed from, per cluster: the next diff's fast path. */
  lists: Map<string, ReadonlyArray<Record<string, unknown>>>;
  counts: ClusterCounts;
  perCluster: Map<string, ClusterCounts>;
}

/** The object without the annotations that change on every commit. */
export function normalizeForDiff(o: Record<string, unknown>): Record<string, unknown> {
  const meta = o.metadata as { annotations?: Record<string, unknown> } | undefined;
  const annotations = meta?.annotations;
  if (!annotations || !VOLATILE_ANNOTATIONS.some((k) => k in annotations)) return o;
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(annotations)) if (!VOLATILE_ANNOTATIONS.includes(k)) kept[k] = v;
  return { ...o, metadata: { ...meta, annotations: kept } };
}

/**
 * What contentHash computes, numbered: change it when contentHash or normalizeForDiff hashes an
 * object differently. A render index keeps content hashes across flotilla versions (a deploy of a
 * new version reuses the applied state's hashes) only while this number is the same.
 */
export const CONTENT_HASH_VERSION = 2; // 2: an own `__proto__` member is hashed (version 1 left it out)

/** Content hash of an object as the diff compares it: volatile annotations ignored, keys sorted. */
const contentHashes = new WeakMap<object, string>();
export function contentHash(o: Record<string, unknown>): string {
  // Rendered objects are reused from pass to pass with only the volatile annotation changed in place: the memo holds.
  let h = contentHashes.get(o);
  if (h === undefined) {
    // The first 24 bytes are the first 32 base64url characters, made as a string of their own:
    // slicing the 43-character digest kept both strings (two objects per hash).
    h = createHash('sha256')
      .update(toSortedJson(normalizeForDiff(o))!)
      .digest()
      .toString('base64url', 0, 24);
    contentHashes.set(o, h);
  }
  return h;
}

/**
 * Memoizes content hashes known without computing them: objects the renderer rendered from the very
 * inputs of an earlier process's render seed, with the hash that process computed (a restart's
 * first diff then compares hashes without serializing every object). A hash already known stays.
 */
export function rememberContentHashes(known: Iterable<[Record<string, unknown>, string]>): void {
  for (const [o, h] of known) if (!contentHashes.has(o)) contentHashes.set(o, h);
}

/** The content hash of an applied object (computed once). */
export function appliedHash(o: AppliedObject): string {
  o.hash ??= contentHash(o.object!);
  return o.hash;
}

/** Whether an applied object holds the same content as `object`, volatile annotations ignored. */
function sameContent(prev: AppliedObject, object: Record<string, unknown>): boolean {
  if (prev.object === null) return prev.hash === contentHash(object);
  if (prev.object === object) return true;
  return objectPatch(prev.object, object).length === 0;
}

/** The applied object's content, which the caller must have read (hydrateApplied). */
function objectOf(prev: AppliedObject): Record<string, unknown> {
  if (prev.object === null) throw new FlotillaError('INTERNAL', `${prev.path}: the applied object was not read before the diff needed it`);
  return prev.object;
}

/** Per cluster map of an applied state (never changed once built): whether it holds an object restored without content. */
const unreadMaps = new WeakMap<object, boolean>();
function holdsUnread(inner: ReadonlyMap<string, AppliedObject>): boolean {
  let unread = unreadMaps.get(inner);
  if (unread === undefined) {
    unread = false;
    for (const o of inner.values()) if (o.object === null) unread = true;
    // Only a state restored from the index has such maps; a diff's maps hold every object, so steady passes skip this.
    if (!unread) unreadMaps.set(inner, false);
  }
  return unread;
}

/** What a diff to a render needs first (objectsToRead). */
export interface DiffPreparation {
  /** Applied objects restored without their content whose rendered counterpart differs: to be read (hydrateApplied). */
  toRead: AppliedObject[];
  /**
   * Clusters whose restored objects are exactly the rendered list's, in its order, with its content:
   * each holds its list's objects now, so the list is what the applied state was computed from (the
   * diff's `previousLists`), and the cluster is unchanged as a whole.
   */
  lists: Map<string, ReadonlyArray<Record<string, unknown>>>;
}

/**
 * What a diff to `manifests` needs before it starts. The applied objects restored without content
 * (render index) whose rendered counterpart differs are to be read (the caller does, hydrateApplied).
 * One whose rendered counterpart has its content hash takes that object as its content, in place
 * (they are equal up to volatile annotations, as hydrateApplied's read would be), and with
 * `identity` is recorded there as that object's entry, as a renderer that reused it would: the
 * diff then keeps the entry as it is, without working out its identity and path a second time.
 * A cluster whose objects are the list's in its order (attachInOrder) skips both: the diff keeps it whole.
 */
export function objectsToRead(
  previous: AppliedState,
  manifests: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>,
  identity?: IdentityCache,
): DiffPreparation {
  const toRead: AppliedObject[] = [];
  const lists = new Map<string, ReadonlyArray<Record<string, unknown>>>();
  for (const [cluster, list] of Object.entries(manifests)) {
    const before = previous.get(cluster);
    if (!before || !holdsUnread(before)) continue;
    if (attachInOrder(before, list)) {
      lists.set(cluster, list);
      continue;
    }
    for (const object of list) {
      const prev = before.get(clusterObjectId(cluster, refOfObject(object)));
      if (!prev || prev.object !== null) continue;
      if (prev.hash !== contentHash(object)) toRead.push(prev);
      else {
        prev.object = object;
        identity?.set(object, prev);
      }
    }
  }
  return { toRead, lists };
}

/**
 * Whether `before` holds exactly `list`'s objects, in its order, each with the rendered object's
 * content hash (or already that object); if so each takes its rendered object as its content. The
 * render index keeps each cluster's objects in the order of the list they were diffed from, so after
 * a restart every cluster the commit did not touch is such: found without working out an id, a
 * lookup, or an entry for the identity cache per object (a restart's first diff did all three for
 * each of the 174,721 objects of the benchmark's fleet). Same ids, so same name clashes and paths:
 * diffCluster would keep every entry as it is.
 */
function attachInOrder(before: ReadonlyMap<string, AppliedObject>, list: ReadonlyArray<Record<string, unknown>>): boolean {
  if (before.size !== list.length) return false;
  let i = 0;
  for (const prev of before.values()) {
    const object = list[i++]!;
    if (!isRefOf(prev.ref, object)) return false;
    if (prev.object === null ? prev.hash !== contentHash(object) : prev.object !== object) return false;
  }
  i = 0;
  for (const prev of before.values()) prev.object = list[i++]!;
  return true;
}

/** The JSON patch from `before` to `after`, volatile annotations ignored (empty = unchanged). */
export function objectPatch(before: Record<string, unknown>, after: Record<string, unknown>): Operation[] {
  return jsonpatch.compare(sortKeysDeep(normalizeForDiff(before)), sortKeysDeep(normalizeForDiff(after)));
}

/** Caches, per rendered object, the applied entry it produced (a renderer that reuses objects skips the comparison). */
export type IdentityCache = WeakMap<object, AppliedObject>;

/**
 * Compares the rendered manifests with the applied state. Layout paths follow layoutManifests
 * exactly: an object's file name carries its API group when another object of the same cluster
 * would get the same (case-insensitive) path.
 *
 * Two shortcuts make a pass cost what the change costs: a cluster whose rendered list holds the
 * very objects of the last applied pass (`previousLists`, compared by reference) is unchanged as
 * a whole, and an object the renderer reused (`identity`) is unchanged without comparing. The
 * incremental renderer only ever reuses an object whose content it did not change, bar the
 * volatile revision annotation.
 */
export function diffDesired(input: {
  previous: AppliedState;
  manifests: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>;
  identity?: IdentityCache;
  previousLists?: ReadonlyMap<string, ReadonlyArray<Record<string, unknown>>>;
}): DesiredDiff {
  const { previous, identity } = input;
  const next = new Map<string, ReadonlyMap<string, AppliedObject>>();
  const lists = new Map<string, ReadonlyArray<Record<string, unknown>>>();
  const changes: ObjectChange[] = [];
  const perCluster = new Map<string, ClusterCounts>();
  const counts: ClusterCounts = { created: 0, configured: 0, unchanged: 0, deleted: 0 };
  const countsOf = (cluster: string) => {
    let c = perCluster.get(cluster);
    if (!c) perCluster.set(cluster, (c = { created: 0, configured: 0, unchanged: 0, deleted: 0 }));
    return c;
  };
  const empty: ReadonlyMap<string, AppliedObject> = new Map();

  for (const cluster of Object.keys(input.manifests).sort()) {
    const list = input.manifests[cluster]!;
    const before = previous.get(cluster) ?? empty;
    const beforeList = input.previousLists?.get(cluster);
    lists.set(cluster, list);
    if (beforeList && beforeList.length === list.length && before.size === list.length && list.every((o, i) => o === beforeList[i])) {
      next.set(cluster, before);
      countsOf(cluster).unchanged += before.size;
      continue;
    }
    const inner = diffCluster(cluster, list, before, identity, changes, countsOf(cluster));
    if (inner.size > 0) next.set(cluster, inner);
  }
  for (const [cluster, before] of previous) {
    if (cluster in input.manifests) continue;
    const c = countsOf(cluster);
    for (const p of [...before.values()].sort(byPath)) {
      changes.push({ action: 'deleted', id: p.id, cluster, ref: p.ref, path: p.path });
      c.deleted++;
    }
  }
  for (const c of perCluster.values()) for (const k of Object.keys(counts) as Array<keyof ClusterCounts>) counts[k] += c[k];
  return { changes, next, lists, counts, perCluster };
}

function byPath(a: AppliedObject, b: AppliedObject): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** The diff of one cluster's objects: pushes its changes, returns its next objects. */
function diffCluster(
  cluster: string,
  list: ReadonlyArray<Record<string, unknown>>,
  before: ReadonlyMap<string, AppliedObject>,
  identity: IdentityCache | undefined,
  changes: ObjectChange[],
  counts: ClusterCounts,
): Map<string, AppliedObject> {
  interface Item {
    object: Record<string, unknown>;
    same: AppliedObject | null;
    ref: ObjectRef;
    id: string;
    base: string;
  }
  const items: Item[] = [];
  const clashCounts = new Map<string, number>();
  for (const object of list) {
    const cached = identity?.get(object);
    let item: Item;
    if (cached && cached.cluster === cluster && before.get(cached.id) === cached) {
      item = { object, same: cached, ref: cached.ref, id: cached.id, base: manifestPathKey(cached) };
    } else {
      const ref = refOfObject(object);
      item = { object, same: null, ref, id: clusterObjectId(cluster, ref), base: manifestPath(cluster, ref).toLowerCase() };
    }
    clashCounts.set(item.base, (clashCounts.get(item.base) ?? 0) + 1);
    items.push(item);
  }

  const next = new Map<string, AppliedObject>();
  for (const item of items) {
    if (next.has(item.id)) continue; // a renderer never emits one identity twice per cluster; keep the first
    const qualified = clashCounts.get(item.base)! > 1;
    const prev = item.same ?? before.get(item.id) ?? null;
    const path = prev && prev.qualified === qualified ? prev.path : manifestPath(cluster, item.ref, qualified);
    if (prev && (item.same || sameContent(prev, item.object))) {
      if (prev.path === path) {
        const entry = prev.object === item.object ? prev : { ...prev, object: item.object };
        next.set(item.id, entry);
        if (entry !== prev || !item.same) identity?.set(item.object, entry);
        counts.unchanged++;
        continue;
      }
      // Same content, new file name: the written file moves (and gets this revision's text).
      const text = toStableYaml(item.object);
      const entry: AppliedObject = { ...prev, path, qualified, oid: blobOid(text), object: item.object };
      next.set(item.id, entry);
      identity?.set(item.object, entry);
      changes.push({ action: 'moved', id: item.id, cluster, ref: item.ref, path, previousPath: prev.path, text, oid: entry.oid });
      counts.configured++;
      continue;
    }
    const text = toStableYaml(item.object);
    const entry: AppliedObject = { id: item.id, cluster, ref: item.ref, path, qualified, oid: blobOid(text), object: item.object };
    next.set(item.id, entry);
    identity?.set(item.object, entry);
    if (prev) {
      const change: ObjectChange = {
        action: 'configured',
        id: item.id,
        cluster,
        ref: item.ref,
        path,
        text,
        oid: entry.oid,
        patch: objectPatch(objectOf(prev), item.object),
      };
      if (prev.path !== path) change.previousPath = prev.path;
      changes.push(change);
      counts.configured++;
    } else {
      changes.push({ action: 'created', id: item.id, cluster, ref: item.ref, path, text, oid: entry.oid });
      counts.created++;
    }
  }
  const gone: AppliedObject[] = [];
  for (const o of before.values()) if (!next.has(o.id)) gone.push(o);
  for (const p of gone.sort(byPath)) {
    changes.push({ action: 'deleted', id: p.id, cluster, ref: p.ref, path: p.path });
    counts.deleted++;
  }
  return next;
}

/** The case-folded unqualified layout path of an applied object (the key of layoutManifests' clash check). */
function manifestPathKey(o: AppliedObject): string {
  return (o.qualified ? manifestPath(o.cluster, o.ref) : o.path).toLowerCase();
}

/** Every file of a state as path → blob oid. */
export function stateFiles(state: AppliedState): Map<string, string> {
  const files = new Map<string, string>();
  forEachStateFile(state, (p, oid) => files.set(p, oid));
  return files;
}

/** Visits every file of a state (path, blob oid), as stateFiles lists them. */
export function forEachStateFile(state: AppliedState, visit: (path: string, oid: string) => void): void {
  for (const inner of state.values()) for (const o of inner.values()) visit(o.path, o.oid);
}
