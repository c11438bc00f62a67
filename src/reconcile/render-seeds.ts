// The render index's `seeds` field (src/reconcile/render-index.ts): the flotilla build and the
// renderer build (build-identity.ts) that wrote the index, and what the renderer kept for a later
// process (src/render/incremental/seeds.ts). A build whose renderer differs may parse, schedule or
// render differently, so of its index only the applied state is used (render-index.ts); a build
// that differs elsewhere only (a deploy that changed the service) keeps it all. The checksum guards the bytes; the shape is checked here
// so a seed is always what IncrementalRenderer expects, and a seed that is wrong in content only
// costs its reuse.
import type { PlacementResult } from '../model/types.js';
import { isMap } from '../objects/json.js';
import type { RendererSeeds } from '../render/incremental.js';
import type { RenderSeed, ScheduleSeed } from '../render/incremental/seeds.js';
import { flotillaBuild, rendererBuild } from './build-identity.js';
import { flatRows, isValueId, stringAt, type ReadTables, type WriteTables } from './index-tables.js';

/** The field as written: the build that wrote it, the renderer build its seeds and parses hold for, the seeds. */
export interface SeedsField {
  flotilla: string;
  rendering: string;
  renderer: RendererSeeds | null;
}

export function seedsField(renderer: RendererSeeds | null, version = flotillaBuild(), rendering = rendererBuild()): SeedsField {
  return { flotilla: version, rendering, renderer };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): boolean => Number.isSafeInteger(v);
const isFlag = (v: unknown): boolean => v === 0 || v === 1;
const isList = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);
const isRef = (v: unknown): boolean => isMap(v) && [v.apiVersion, v.kind, v.namespace, v.name].every(isString);
const isTarget = (v: unknown): boolean => isMap(v) && isString(v.name) && (v.replicas === null || isInt(v.replicas));
const isPrevious = (v: unknown): boolean => v === null || (isMap(v) && isList(v.clusters, isTarget));
const isDiagnostic = (d: unknown): boolean =>
  isMap(d) && isString(d.severity) && isString(d.code) && isString(d.message) && (d.file === null || isString(d.file));

function isPlacement(p: unknown): boolean {
  return (
    isMap(p) &&
    isRef(p.resource) &&
    (p.replicas === null || isInt(p.replicas)) &&
    isList(p.clusters, isTarget) &&
    (p.error === null || isString(p.error)) &&
    Array.isArray(p.explanation) &&
    Array.isArray(p.verdicts)
  );
}

/** The resource a versionedKey names (null: the key is not four fields). */
function refOfKey(key: string): { apiVersion: string; kind: string; namespace: string; name: string } | null {
  const parts = key.split('|');
  if (parts.length !== 4) return null;
  const [apiVersion, kind, namespace, name] = parts as [string, string, string, string];
  return { apiVersion, kind, namespace, name };
}

const SCHEDULE_FIELDS = 11;
const RENDER_FIELDS = 7;

/** A value's number in the values table, -1 for null. */
const valueId = (tables: WriteTables, v: object | null): number => (v === null ? -1 : tables.values.ofValue(v));

const REF_KEYS = 'apiVersion,kind,namespace,name';

/** Whether `resource` is `result`'s first field and exactly the resource `key` names (same fields, same order). */
function resourceOfKey(result: PlacementResult, key: string): boolean {
  const ref = refOfKey(key);
  const r = result.resource;
  for (const first in result) {
    if (first !== 'resource' || ref === null || Object.keys(r).join() !== REF_KEYS) return false;
    return r.apiVersion === ref.apiVersion && r.kind === ref.kind && r.namespace === ref.namespace && r.name === ref.name;
  }
  return false;
}

/**
 * A placement as written: -1 for none; when its resource is the one its seed's key names, written
 * first (most are: placeResource puts it first), a row [shape, ...fields] of its other fields:
 * `shape` (strings table) lists their names in order, `name:v` for one whose value is an object or
 * list, written as its number in the values table (clusters, policy, claim: a few hundred distinct
 * ones for 10,000 resources, the same objects after a restart, so serialized once); otherwise the
 * whole placement.
 */
function resultField(t: WriteTables, key: string, result: ScheduleSeed['result']): number | unknown[] | PlacementResult {
  if (result === null) return -1;
  if (!resourceOfKey(result, key)) return result;
  const shape: string[] = [];
  const fields: unknown[] = [];
  for (const [k, v] of Object.entries(result)) {
    if (k === 'resource' || v === undefined) continue;
    if (k.includes(',') || k.includes(':')) return result;
    const isObject = typeof v === 'object' && v !== null;
    shape.push(isObject ? `${k}:v` : k);
    fields.push(isObject ? t.values.ofValue(v as object) : v);
  }
  return [t.strings.of(shape.join(',')), ...fields];
}

/**
 * One schedule seed as written, the fields of a row: key, file, index, claimSig, claimSticky (0/1),
 * claimPrevious, claimRecord, follower (0/1), previous, result, diagnostics. Strings are numbers
 * in the strings table, previous placements and claim records in the values table (-1: null).
 */
function scheduleRow(t: WriteTables, s: ScheduleSeed): unknown[] {
  const str = (v: string) => t.strings.of(v);
  return [
    str(s.key),
    str(s.file),
    s.index,
    str(s.claimSig),
    s.claimSticky ? 1 : 0,
    valueId(t, s.claimPrevious),
    valueId(t, s.claimRecord),
    s.follower ? 1 : 0,
    valueId(t, s.previous),
    resultField(t, s.key, s.result),
    s.diagnostics,
  ];
}

/**
 * One render seed as written: key, file, index, the three signatures (strings table) and its
 * objects as [cluster, hash] pairs flattened, the hash as the number of an applied object's row
 * of that very hash (`hashRows`) when there is one: it is the same content hash in most rows.
 */
function renderRow(t: WriteTables, s: RenderSeed, hashRows: ReadonlyMap<string, number>): unknown[] {
  const str = (v: string) => t.strings.of(v);
  const objects: Array<number | string> = [];
  for (const [cluster, hash] of s.objects) objects.push(str(cluster), hashRows.get(hash) ?? hash);
  return [str(s.key), str(s.file), s.index, str(s.placementSig), str(s.overrideSig), str(s.boundsSig), objects];
}

/**
 * The field's JSON, a piece per seed (joined, they are the field): schedules and renders as flat
 * lists of rows, their strings and values interned into `tables`.
 */
export function* seedsFieldPieces(field: SeedsField, tables: WriteTables, hashRows: ReadonlyMap<string, number>): Generator<string> {
  const r = field.renderer;
  yield `{"flotilla":${JSON.stringify(field.flotilla)},"rendering":${JSON.stringify(field.rendering)},"renderer":`;
  if (r === null) {
    yield 'null}';
    return;
  }
  yield `{"clusters":${JSON.stringify(r.clusters)},"claims":${JSON.stringify(r.claims)},"schedules":[`;
  yield* flatRows(r.schedules.map((seed) => scheduleRow(tables, seed)));
  yield '],"renders":[';
  yield* flatRows(r.renders.map((seed) => renderRow(tables, seed, hashRows)));
  yield ']}}';
}

/** A value of the table that `ok` accepts, null for -1; undefined when `id` is neither. */
function valueAt(tables: ReadTables, id: unknown, ok: (v: unknown) => boolean): unknown {
  if (id === -1) return null;
  return isValueId(tables, id) && ok(tables.values[id]) ? tables.values[id] : undefined;
}

const isPrimitive = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

type ShapeFields = ReadonlyArray<readonly [string, string | undefined]>;

/** A placement shape's fields and their kinds (`v`: a value's number), each shape split once per decode: thousands of rows share a few. */
function shapeReader(): (shape: string) => ShapeFields {
  const shapes = new Map<string, ShapeFields>();
  return (shape) => {
    let fields = shapes.get(shape);
    if (fields === undefined) {
      fields = (shape === '' ? [] : shape.split(',')).map((name) => name.split(':') as [string, string | undefined]);
      shapes.set(shape, fields);
    }
    return fields;
  };
}

/** The placement of a schedule row (null: none), undefined when it is not one (resultField). */
function resultAt(tables: ReadTables, key: string, field: unknown, shapeFields: (shape: string) => ShapeFields): unknown {
  if (field === -1) return null;
  if (isMap(field)) return field;
  const ref = refOfKey(key);
  const shape = Array.isArray(field) ? stringAt(tables, field[0]) : undefined;
  if (!ref || shape === undefined) return undefined;
  const names = shapeFields(shape);
  if (names.length !== (field as unknown[]).length - 1) return undefined;
  const out: Record<string, unknown> = { resource: ref };
  for (const [i, [k, kind]] of names.entries()) {
    const v = (field as unknown[])[i + 1];
    if (k === 'resource' || k === '__proto__' || Object.hasOwn(out, k)) return undefined;
    const value =
      kind === 'v' ? valueAt(tables, v, (x) => typeof x === 'object' && x !== null) : kind === undefined && isPrimitive(v) ? v : undefined;
    if (value === undefined || (kind === 'v' && value === null)) return undefined;
    out[k] = value;
  }
  return out;
}

/** The schedule seed of a row's fields, or null when they are not one. */
function scheduleSeed(tables: ReadTables, f: readonly unknown[], shapeFields: (shape: string) => ShapeFields): ScheduleSeed | null {
  const [key, file, claimSig] = [stringAt(tables, f[0]), stringAt(tables, f[1]), stringAt(tables, f[3])];
  if (key === undefined || file === undefined || claimSig === undefined || !isInt(f[2])) return null;
  if (!isFlag(f[4]) || !isFlag(f[7]) || !isList(f[10], isDiagnostic)) return null;
  const claimPrevious = valueAt(tables, f[5], isPrevious);
  const claimRecord = valueAt(tables, f[6], isMap);
  const previous = valueAt(tables, f[8], isPrevious);
  const result = resultAt(tables, key, f[9], shapeFields);
  if (claimPrevious === undefined || claimRecord === undefined || previous === undefined || result === undefined) return null;
  const follower = f[7] === 1;
  if (follower ? result !== null : !isPlacement(result)) return null;
  return {
    key,
    file,
    index: f[2] as number,
    claimSig,
    claimSticky: f[4] === 1,
    claimPrevious: claimPrevious as ScheduleSeed['claimPrevious'],
    claimRecord: claimRecord as ScheduleSeed['claimRecord'],
    follower,
    previous: previous as ScheduleSeed['previous'],
    result: result as ScheduleSeed['result'],
    diagnostics: f[10] as ScheduleSeed['diagnostics'],
  };
}

/** The render seed of a row's fields, or null when they are not one; `hashes` are the applied objects' by row. */
function renderSeed(tables: ReadTables, f: readonly unknown[], hashes: readonly string[]): RenderSeed | null {
  const key = stringAt(tables, f[0]);
  const file = stringAt(tables, f[1]);
  const placementSig = stringAt(tables, f[3]);
  const overrideSig = stringAt(tables, f[4]);
  const boundsSig = stringAt(tables, f[5]);
  const flat = f[6];
  if (key === undefined || file === undefined || placementSig === undefined || overrideSig === undefined || boundsSig === undefined)
    return null;
  if (!isInt(f[2])) return null;
  if (!Array.isArray(flat) || flat.length % 2 !== 0) return null;
  const objects: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) {
    const cluster = stringAt(tables, flat[i]);
    const h = flat[i + 1] as unknown;
    const hash = isString(h) ? h : isInt(h) && (h as number) >= 0 ? hashes[h as number] : undefined;
    if (cluster === undefined || hash === undefined) return null;
    objects.push([cluster, hash]);
  }
  return {
    key,
    file,
    index: f[2] as number,
    placementSig,
    overrideSig,
    boundsSig,
    objects,
  };
}

/** Each row of a flat list of `width` fields made into a seed; null when the list is not such rows or a row not a seed. */
function rowsOf<S>(flat: unknown, width: number, seed: (fields: readonly unknown[]) => S | null): S[] | null {
  if (!Array.isArray(flat) || flat.length % width !== 0) return null;
  const out: S[] = [];
  for (let i = 0; i < flat.length; i += width) {
    const s = seed(flat.slice(i, i + width));
    if (s === null) return null;
    out.push(s);
  }
  return out;
}

/**
 * The renderer's seeds in a decoded `seeds` field, or why the index may not be used. `tables` are
 * the document's, `hashes` its applied objects' content hashes by row. Whether the field's renderer
 * build is this process's is decodeGunzipped's to decide, before it reads anything it names.
 */
export function readSeedsField(
  field: unknown,
  tables: ReadTables,
  hashes: readonly string[],
): { renderer: RendererSeeds | null } | { problem: string } {
  if (!isMap(field)) return { problem: 'malformed seeds' };
  const r = field.renderer;
  if (r === null) return { renderer: null };
  if (!isMap(r) || !isString(r.clusters) || !isString(r.claims)) return { problem: 'malformed seeds' };
  const shapeFields = shapeReader();
  const schedules = rowsOf(r.schedules, SCHEDULE_FIELDS, (f) => scheduleSeed(tables, f, shapeFields));
  const renders = rowsOf(r.renders, RENDER_FIELDS, (f) => renderSeed(tables, f, hashes));
  if (schedules === null || renders === null) return { problem: 'malformed seeds' };
  return { renderer: { clusters: r.clusters, claims: r.claims, schedules, renders } };
}
