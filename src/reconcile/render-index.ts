// The render index (issue 13): what a restart needs of the applied state without reading and
// parsing every file of the status branch's manifests/. Without it, a new process read one blob
// and parsed one YAML document per rendered object before its first diff, then compared every
// object field by field: at 100 clusters × 1,000 workloads a one-file commit after a restart cost
// as much as the full first sync. With it, the applied state comes back as layout path, blob oid
// and a content hash per object, and the first diff compares hashes; only the objects the commit
// changes are read from their blobs.
//
// It is a cache, never the source of truth: it is trusted only when its format version and
// checksum hold, it names the status branch and the exact status commit the reconciler restores
// from, and its files are exactly the manifests/ tree of that commit: git's tree oid of its (path,
// blob oid) rows, computed in memory, is that tree's oid (no listing of the tree). That proof is made
// when the index is written (encodeRenderIndex refuses rows that are not the tree it names), so a
// restart from an index written for its very commit trusts the checksum instead of making it again.
// An index written for an earlier commit of the branch (a crash, a `reconcile --once`, a write left
// for later: INDEX_WRITE_INTERVAL_MS) is rolled forward by reading only the files of manifests/ that
// differ between the two trees, then its rows are proven against the tip's tree on load. Anything else (missing, corrupt, another
// branch's, not rollable) is ignored, the state is read from the status branch as before, and the
// next pass writes a fresh index. It is written, after a pass, only when the applied state in memory
// is the one the status branch's tip records (a target that failed leaves the two apart), to a
// temporary file then renamed; past MAX_INDEX_BYTES it is not written at all.
//
// It also keeps the renderer's parse of each source file (path, text, manifests, diagnostics):
// parsing the YAML is most of a new process's first render. A kept parse is used only for a file
// of exactly that path and text, so it is what parsing the file again gives. The first load reads
// only the source blobs whose oid is not that of the kept text (stages/load.ts).
// And the renderer's seeds (placements, render signatures, content hashes; render-seeds.ts), with
// the flotilla build and the renderer build that wrote the index (build-identity.ts): of the index
// of a build with another renderer (a deploy that changed how flotilla parses, schedules or
// renders) only the applied state is used, while CONTENT_HASH_VERSION says its hashes are this
// version's; the parses and seeds are not, so that first pass parses, schedules and renders
// everything as a new renderer must. A build with this very renderer uses all of it.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import { clusterObjectId } from '../objects/identity.js';
import { FlotillaError } from '../model/diagnostics.js';
import { Slices } from '../model/slices.js';
import { isMap } from '../objects/json.js';
import type { RendererSeeds } from '../render/incremental.js';
import type { ParsedFileRecord } from '../render/incremental/sources.js';
import { summarize } from '../source/remote.js';
import { treeOidOfFiles } from '../source/tree-oid.js';
import { isQualifiedPath } from '../state/applied-files.js';
import { rollAppliedForward, rolledRowsMismatch } from '../state/applied-roll-forward.js';
import {
  appliedHash,
  CONTENT_HASH_VERSION,
  contentHash,
  stateObjects,
  stateSize,
  type AppliedObject,
  type AppliedState,
} from '../state/change-set.js';
import type { ReconcileOutcome, ReconcilerContext, ReconcilerState } from './context.js';
import type { KeptParses } from './renderer.js';
import { parsedJson, parsedRecordOf } from './index-parses.js';
import { flatRows, jsonString, readTables, stringAt, writeTables, type ReadTables, type WriteTables } from './index-tables.js';
import { flotillaBuild, rendererBuild } from './build-identity.js';
import { readSeedsField, seedsField, seedsFieldPieces, type SeedsField } from './render-seeds.js';

const gunzipAsync = promisify(gunzip);

/** Format of the index file; a file of another version is ignored (and replaced). */
export const RENDER_INDEX_VERSION = 7;
/**
 * The format before the files proof moved to the write: the same document, so the first start of
 * this version after an upgrade still uses the older one's applied state (as any other build's),
 * proving its rows on load as that format did.
 */
const UNPROVEN_VERSION = 6;
const FORMAT = 'flotilla.dev/render-index';
/** Largest index written, uncompressed (about 2.5 million objects); a larger one is not written. */
export const MAX_INDEX_BYTES = 512 * 2 ** 20;

/** Where the index lives: bytes in, bytes out (a file in the cache folder). */
export interface RenderIndexStore {
  read(): Promise<Buffer | null>;
  write(data: Buffer): Promise<void>;
  remove(): Promise<void>;
}

/** What the index says: the status commit it describes and the applied objects of its manifests/. */
export interface RenderIndex {
  statusBranch: string;
  statusCommit: string;
  manifestsTree: string | null;
  objects: AppliedObject[];
  /** The renderer's parse of each source file when the index was written (a new renderer starts from them). */
  parsed: ParsedFileRecord[];
  /** What the renderer kept beside its parses (placements, render signatures, content hashes; src/reconcile/render-seeds.ts). */
  seeds: RendererSeeds | null;
  /** The other flotilla build that wrote the index, when one did. */
  writtenBy?: string;
  /** Set when its parses and seeds were left out: the build that wrote it had another renderer (rendererBuild). */
  seedsLeftOut?: true;
  /**
   * Set when its rows are not known to be its manifests/ tree's files: an index of UNPROVEN_VERSION,
   * or one rolled forward from such an index or whose changed folders did not check out
   * (rolledRowsMismatch). They are proven whole on load (indexMismatch).
   */
  unproven?: true;
}

/**
 * About 16 KiB of JSON per piece handed to the hash and to gzip: small enough to be allocated in
 * V8's young generation and die there (a string past ~128 KiB goes straight to the old one, which
 * only a full collection frees, so the garbage of a pass's end would add to its peak).
 */
const PIECE = 2 ** 14;
/** Characters compressed at once (six pieces): still a young-generation string once joined. */
const GZIP_BATCH = 6 * PIECE;

/**
 * Fields of one applied object as stored, in a flat list of them: cluster, path, blob oid, content
 * hash, qualified (0/1), apiVersion, kind, namespace, name. Strings other than the oid and hash are
 * numbers in the strings table; the path is the number of what follows `<cluster>/` in it (the
 * same in every cluster an object is placed in), or the path itself when it does not start so.
 */
const OBJECT_FIELDS = 9;

function objectRow(t: WriteTables, o: AppliedObject, hash: string): unknown[] {
  const str = (v: string) => t.strings.of(v);
  const prefix = `${o.cluster}/`;
  const p = o.path.startsWith(prefix) ? str(o.path.slice(prefix.length)) : o.path;
  const { apiVersion, kind, namespace, name } = o.ref;
  return [str(o.cluster), p, o.oid, hash, o.qualified ? 1 : 0, str(apiVersion), str(kind), str(namespace), str(name)];
}

/** Each applied object's row, noting in `hashRows` the first row of each content hash. */
function* objectRows(state: AppliedState, t: WriteTables, hashRows: Map<string, number>): Generator<unknown[]> {
  let row = 0;
  for (const o of stateObjects(state)) {
    const hash = appliedHash(o);
    if (!hashRows.has(hash)) hashRows.set(hash, row);
    yield objectRow(t, o, hash);
    row++;
  }
}

/** Each JSON text of `items` with a comma before all but the first: a list's elements. */
function* listed(items: Iterable<string>): Generator<string> {
  let first = true;
  for (const json of items) {
    yield first ? json : `,${json}`;
    first = false;
  }
}

/**
 * The index document's JSON, a part per row. The strings and values tables come last, when every
 * row has interned into them.
 */
function* documentParts(
  index: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
  state: AppliedState,
  parsed: readonly ParsedFileRecord[],
  seeds: SeedsField,
): Generator<string> {
  const { statusBranch, statusCommit, manifestsTree } = index;
  const contentHashes = CONTENT_HASH_VERSION;
  yield `${JSON.stringify({ statusBranch, statusCommit, manifestsTree, contentHashes }).slice(0, -1)},"objects":[`;
  const tables = writeTables();
  // A render seed names an object's hash by the row of an applied object with that very hash.
  const hashRows = new Map<string, number>();
  yield* flatRows(objectRows(state, tables, hashRows));
  yield '],"parsed":[';
  for (const [i, record] of parsed.entries()) yield `${i === 0 ? '' : ','}${parsedJson(tables, record)}`;
  yield '],"seeds":';
  yield* seedsFieldPieces(seeds, tables, hashRows);
  yield ',"strings":[';
  yield* listed(tables.strings.list.map(jsonString));
  yield '],"values":[';
  yield* listed(tables.values.list);
  yield ']}';
}

/** The document's JSON in pieces of about PIECE characters: the whole document is never one string. */
function* documentPieces(...args: Parameters<typeof documentParts>): Generator<string> {
  let piece = '';
  for (const part of documentParts(...args)) {
    piece += part;
    if (piece.length >= PIECE) {
      yield piece;
      piece = '';
    }
  }
  if (piece.length > 0) yield piece;
}

/**
 * The index file's bytes: a checksummed JSON document, gzipped. Null when larger than MAX_INDEX_BYTES.
 * The document is made once, a piece at a time, into its checksum and gzip, so memory holds the
 * compressed file, not the document. Pieces are compressed about 96 KiB at a time, each batch a
 * gzip member of its own (gunzip reads consecutive members as one text): a gzip stream fed
 * 16 KiB pieces made a thread-pool round trip per piece, most of writing the index after every pass
 * (compressing batches on the thread pool while the next ones are made measured no faster).
 * The header line (which holds the checksum, known last) is the first member.
 */
export async function encodeRenderIndex(
  index: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
  state: AppliedState,
  maxBytes = MAX_INDEX_BYTES,
  parsed: readonly ParsedFileRecord[] = [],
  seeds: SeedsField = seedsField(null),
): Promise<Buffer | null> {
  // The proof a restart relies on (indexMismatch): rows that are not the tree the index names are never written.
  const mismatch = filesMismatch(stateObjects(state), index.manifestsTree);
  if (mismatch !== null) throw new FlotillaError('INTERNAL', `render index not written, the applied state does not hold: ${mismatch}`);
  const hash = createHash('sha256');
  const out: Buffer[] = [];
  let batch: string[] = [];
  let batched = 0;
  const flush = () => {
    if (batch.length > 0) out.push(gzipSync(batch.join(''), { level: 1 }));
    batch = [];
    batched = 0;
  };
  let length = 0;
  for (const piece of documentPieces(index, state, parsed, seeds)) {
    length += piece.length;
    if (length > maxBytes) return null;
    hash.update(piece);
    batch.push(piece);
    batched += piece.length;
    if (batched >= GZIP_BATCH) flush();
  }
  flush();
  const header = JSON.stringify({ format: FORMAT, version: RENDER_INDEX_VERSION, sha256: hash.digest('hex') });
  return Buffer.concat([gzipSync(`${header}\n`, { level: 1 }), ...out]);
}

/**
 * The index file's bytes gunzipped on zlib's thread pool, or why they are not gzip: at 170,000
 * objects gunzipSync was about 0.1 s of a restart's main thread, which meanwhile reads the status.
 * In 1 MiB pieces: zlib's 16 KiB made about 1,900 trips through the pool, which a restart's folder
 * listings keep busy (the index arrived some 0.15 s after the main thread had run out of work).
 */
export async function gunzipRenderIndex(data: Buffer): Promise<Buffer | { problem: string }> {
  try {
    return await gunzipAsync(data, { chunkSize: 1 << 20 });
  } catch (e) {
    return { problem: `not gzip (${(e as Error).message})` };
  }
}

/** The index in `raw` (the file's bytes gunzipped), or why it is not one this version can trust. */
export function decodeGunzipped(raw: Buffer): RenderIndex | { problem: string } {
  // The checksum is of the body's bytes as they are, and the body is decoded once, for JSON.parse.
  const nl = raw.indexOf(0x0a);
  let header: { format?: unknown; version?: unknown; sha256?: unknown };
  let doc: {
    statusBranch?: unknown;
    statusCommit?: unknown;
    manifestsTree?: unknown;
    contentHashes?: unknown;
    objects?: unknown;
    parsed?: unknown;
    seeds?: unknown;
    strings?: unknown;
    values?: unknown;
  };
  try {
    header = JSON.parse(raw.toString('utf8', 0, nl < 0 ? raw.length : nl)) as typeof header;
    if (header.format !== FORMAT || (header.version !== RENDER_INDEX_VERSION && header.version !== UNPROVEN_VERSION))
      return { problem: `format ${String(header.version)}, not ${RENDER_INDEX_VERSION}` };
    if (
      nl < 0 ||
      header.sha256 !==
        createHash('sha256')
          .update(raw.subarray(nl + 1))
          .digest('hex')
    )
      return { problem: 'checksum mismatch' };
    doc = JSON.parse(raw.toString('utf8', nl + 1)) as typeof doc;
  } catch (e) {
    return { problem: `not JSON (${(e as Error).message})` };
  }
  const { statusBranch, statusCommit, manifestsTree } = doc;
  if (
    typeof statusBranch !== 'string' ||
    typeof statusCommit !== 'string' ||
    !(manifestsTree === null || typeof manifestsTree === 'string')
  )
    return { problem: 'no status commit' };
  if (doc.contentHashes !== CONTENT_HASH_VERSION) return { problem: `content hashes of version ${String(doc.contentHashes)}` };
  const tables = readTables(doc.strings, doc.values);
  if (tables === null) return { problem: 'malformed tables' };
  const objects = appliedObjects(doc.objects, tables);
  if (objects === null) return { problem: 'malformed objects' };
  const seedsDoc = isMap(doc.seeds) ? doc.seeds : {};
  const writtenBy = typeof seedsDoc.flotilla === 'string' ? seedsDoc.flotilla : flotillaBuild();
  const other = writtenBy !== flotillaBuild() ? { writtenBy } : {};
  // An index of the older format was written by an older build, whatever it says.
  if (seedsDoc.rendering !== rendererBuild() || header.version === UNPROVEN_VERSION) {
    // A build with another renderer (a deploy) may parse, schedule and render differently, so its
    // parses and seeds are left out; the applied state is what the status branch holds, hashed as
    // this version hashes (CONTENT_HASH_VERSION): kept, with the one thing the layout decides worked
    // out again (the layout's code is the renderer's: state/change-set and render-index are in it).
    for (const o of objects) o.qualified = isQualifiedPath(o.path, o.cluster, o.ref);
    const unproven = header.version === UNPROVEN_VERSION ? { unproven: true as const } : {};
    return { parsed: [], seeds: null, statusBranch, statusCommit, manifestsTree, objects, ...other, seedsLeftOut: true, ...unproven };
  }
  const parsed = parsedRecords(doc.parsed, tables);
  if (parsed === null) return { problem: 'malformed parsed files' };
  const seeds = readSeedsField(
    doc.seeds,
    tables,
    objects.map((o) => o.hash!),
  );
  if ('problem' in seeds) return seeds;
  return { parsed, seeds: seeds.renderer, statusBranch, statusCommit, manifestsTree, objects, ...other };
}

/** The kept parses of their written rows (index-parses.ts), or null when one is not a parse. */
function parsedRecords(written: unknown, tables: ReadTables): ParsedFileRecord[] | null {
  if (!Array.isArray(written)) return null;
  const out: ParsedFileRecord[] = [];
  for (const w of written) {
    const r = parsedRecordOf(tables, w);
    if (r === null) return null;
    out.push(r);
  }
  return out;
}

/** The applied objects of a flat list of rows (objectRow), or null when it is not one. */
function appliedObjects(flat: unknown, tables: ReadTables): AppliedObject[] | null {
  if (!Array.isArray(flat) || flat.length % OBJECT_FIELDS !== 0) return null;
  const out: AppliedObject[] = [];
  for (let i = 0; i < flat.length; i += OBJECT_FIELDS) {
    // Fields read one by one, without an array of indexes and one of fields per row (71,000 rows at fleet scale).
    const cluster = stringAt(tables, flat[i]);
    const apiVersion = stringAt(tables, flat[i + 5]);
    const kind = stringAt(tables, flat[i + 6]);
    const namespace = stringAt(tables, flat[i + 7]);
    const name = stringAt(tables, flat[i + 8]);
    const p: unknown = flat[i + 1];
    const oid: unknown = flat[i + 2];
    const hash: unknown = flat[i + 3];
    const qualified: unknown = flat[i + 4];
    const suffix = typeof p === 'string' ? p : stringAt(tables, p);
    if (cluster === undefined || apiVersion === undefined || kind === undefined || namespace === undefined || name === undefined)
      return null;
    if (suffix === undefined || typeof oid !== 'string' || typeof hash !== 'string' || !(qualified === 0 || qualified === 1)) return null;
    const ref = { apiVersion, kind, namespace, name };
    // Joined into one flat string, not a template's tree of pieces (as clusterObjectId and manifestPath are).
    const path = typeof p === 'string' ? p : [cluster, suffix].join('/');
    out.push({ id: clusterObjectId(cluster, ref), cluster, ref, path, qualified: qualified === 1, oid, object: null, hash });
  }
  return out;
}

/**
 * Why `index` may not stand for the status branch at `statusCommit` (null: it may): another branch,
 * commit or manifests/ tree. An `unproven` one must also have exactly the files of that tree
 * (filesMismatch); one read as written was proven so by encodeRenderIndex, and its checksum holds,
 * and one rolled forward from it was checked where its rows changed (rolledForward).
 */
export function indexMismatch(
  index: RenderIndex,
  expected: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
): string | null {
  if (index.statusBranch !== expected.statusBranch) return `written for branch ${index.statusBranch}`;
  if (index.statusCommit !== expected.statusCommit) return `written for status commit ${index.statusCommit}`;
  if (index.manifestsTree !== expected.manifestsTree) return 'written for another manifests/ tree';
  return index.unproven ? filesMismatch(index.objects, expected.manifestsTree) : null;
}

/**
 * Why `objects` are not exactly the files of the manifests/ tree `manifestsTree` (null: they are):
 * an object twice, objects where there is no manifests/, or other files. The last is proven without
 * reading the tree: git's tree oid of their (path, blob oid) rows, computed in memory, must be it.
 */
export function filesMismatch(objects: Iterable<AppliedObject>, manifestsTree: string | null): string | null {
  const ids = new Set<string>();
  const files: Array<readonly [string, string]> = [];
  for (const o of objects) {
    if (ids.has(o.id)) return `${o.id} twice`;
    ids.add(o.id);
    files.push([o.path, o.oid]);
  }
  if (manifestsTree === null) return files.length === 0 ? null : `${files.length} objects, there is no manifests/`;
  const tree = treeOidOfFiles(files);
  return tree === manifestsTree ? null : 'its files are not those of the manifests/ tree';
}

/** The index as a file (written to a temporary name, then renamed: a crash never leaves half an index). */
export function fileRenderIndexStore(file: string): RenderIndexStore {
  return {
    async read() {
      try {
        return await readFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async write(data) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, data);
      await rename(`${file}.tmp`, file);
    },
    async remove() {
      await rm(file, { force: true });
    },
  };
}

/** The index file for a source and status branch in the cache folder. */
export function renderIndexFile(cacheDir: string, source: { url: string; branch: string; path: string }, statusBranch: string): string {
  const id = createHash('sha256').update(`${source.url}\n${source.branch}\n${source.path}\n${statusBranch}`).digest('hex').slice(0, 16);
  return path.join(cacheDir, `render-index-${id}.json.gz`);
}

/**
 * How often a reconciler writes the index at most: writing it is proportional to the fleet (about a
 * second at 71,000 objects), which after every commit was most of a steady pass, and most of a
 * restart's. A process writes it after its first pass unless it started from one (exact or rolled
 * forward), then when it is INDEX_WRITE_INTERVAL_MS old or INDEX_LAG_LIMIT changes behind, and on
 * stopping (flushRenderIndex). A crash, or a `reconcile --once` run, leaves an older index: the
 * next start rolls it forward, reading only the files of manifests/ that changed since.
 */
export const INDEX_WRITE_INTERVAL_MS = 5 * 60_000;
/**
 * Changes the index on disk may be behind before a pass writes it whatever its age: rolling a file
 * forward costs one blob read and parse where writing the index serializes every object, so a
 * restart's roll-forward stays well below one write (compare the rolled-forward and restart rows of
 * bench/restart-bench.mjs).
 */
export const INDEX_LAG_LIMIT = 1000;

/**
 * What a pass adds to the index's lag: the objects it changed, the source files it parsed anew and
 * the resources it scheduled again. Unbounded when its render started from seeds that mostly did not
 * hold (it scheduled again over half of the revision's `resources`: the index was the first sync's,
 * whose placements had no previous one, or another revision's far behind): a restart from that index
 * would schedule the whole fleet again, so the pass writes a new one.
 */
export function indexLagOf(outcome: Pick<ReconcileOutcome, 'counts' | 'renderStats'>, resources: number): number {
  const { created, configured, deleted } = outcome.counts;
  const stats = outcome.renderStats;
  if (stats?.full && stats.rescheduled * 2 > resources) return Number.POSITIVE_INFINITY;
  return created + configured + deleted + (stats ? stats.reparsedFiles + stats.rescheduled : 0);
}

/**
 * Writes the index after a pass when the applied state is the one the status branch's tip records
 * and the index on disk does not already describe that tip — at most every INDEX_WRITE_INTERVAL_MS,
 * unless `force`d or INDEX_LAG_LIMIT changes behind. When the two are apart (a target failed, a dry
 * run, a commit that did not happen) an index on disk for an older tip is left, for the next
 * restart to roll forward.
 */
export async function saveRenderIndex(ctx: ReconcilerContext, state: ReconcilerState, opts: { force?: boolean } = {}): Promise<void> {
  const { statusTip, statusTree, manifestsTree } = state.revisions;
  if (!ctx.index || ctx.dryRun || statusTip === null || statusTree === undefined || manifestsTree !== statusTree) return;
  if (state.indexedTip === statusTip) return;
  const now = ctx.clock.now();
  if (state.indexWrittenAt === 'found') state.indexWrittenAt = now;
  const recent = state.indexWrittenAt !== null && now - state.indexWrittenAt < INDEX_WRITE_INTERVAL_MS;
  if (!opts.force && recent && state.indexLag <= INDEX_LAG_LIMIT) return;
  const renderer = state.render.renderer;
  const kept = renderer.keep?.(contentHash) ?? { parsed: renderer.parsedFiles?.() ?? [], seeds: null };
  const data = await encodeRenderIndex(
    { statusBranch: ctx.config.status.branch, statusCommit: statusTip, manifestsTree },
    state.applied.state,
    MAX_INDEX_BYTES,
    kept.parsed,
    seedsField(kept.seeds),
  );
  if (data === null) {
    ctx.log.warn({ objects: stateSize(state.applied.state) }, `render index over ${MAX_INDEX_BYTES} bytes: not written`);
    await ctx.index.remove();
  } else await ctx.index.write(data);
  state.indexedTip = statusTip;
  state.indexWrittenAt = now;
  state.indexLag = 0;
}

/**
 * Whether the pass under way will end by writing the index, as far as can be told before its end:
 * this process has neither written one nor started from one (its first pass, as a full first
 * reconcile is). A later write waits for INDEX_WRITE_INTERVAL_MS or INDEX_LAG_LIMIT, which only the
 * pass's end decides.
 */
export function firstIndexWriteDue(ctx: ReconcilerContext, state: ReconcilerState): boolean {
  return ctx.index !== null && !ctx.dryRun && state.indexWrittenAt === null;
}

/**
 * Waits for `busy` (the write stage), meanwhile computing the content hashes the index write at the
 * pass's end hashes every object for (encodeRenderIndex; the renderer's seeds hash the same
 * objects, through contentHash's memo): a slice at a time, between the writes the event loop
 * waits on. At fleet scale that hashing was about 1.6 s of the main thread after a full
 * reconcile's status commit, and its file writes leave the thread idle for seconds. Stops when
 * `busy` settles; the write computes what is left.
 */
export async function hashWhile<T>(objects: Iterable<AppliedObject>, busy: Promise<T>): Promise<T> {
  let settled = false;
  const finished = busy.finally(() => {
    settled = true;
  });
  const slices = new Slices();
  for (const o of objects) {
    if (settled) break;
    if (o.object !== null) appliedHash(o);
    if (slices.due()) await slices.next();
  }
  return finished;
}

/**
 * The index file gunzipped (gunzipRenderIndex), or why it is not gzip; null when there is no index
 * or it cannot be read (logged). Never rejects: a restart starts it before it reads the status,
 * and the status read may fail first.
 */
export function readRenderIndex(ctx: ReconcilerContext): Promise<Buffer | { problem: string } | null> {
  if (!ctx.index) return Promise.resolve(null);
  return ctx.index.read().then(
    (data) => (data === null ? null : gunzipRenderIndex(data)),
    (e: unknown) => {
      ctx.log.warn({ err: summarize(e) }, 'cannot read the render index; reading the status branch');
      return null;
    },
  );
}

/**
 * The applied state the index holds for the status branch at `statusCommit`, whose manifests/ is
 * `manifestsTree`, and the source files' kept parses; null, with the reason logged, when there is
 * no index or it may not be trusted. An index written for an earlier commit of the same branch is
 * rolled forward (applied-roll-forward.ts): only the files of manifests/ that differ between its
 * tree and `manifestsTree` are read, and `lag` counts them.
 */
export async function loadRenderIndex(
  ctx: ReconcilerContext,
  expected: { statusCommit: string; manifestsTree: string | null },
  read: Promise<Buffer | { problem: string } | null> = readRenderIndex(ctx),
): Promise<{ objects: AppliedObject[]; parsed: ParsedFileRecord[] & KeptParses; lag: number } | null> {
  const raw = await read;
  if (raw === null) return null;
  const decoded = 'problem' in raw ? raw : decodeGunzipped(raw);
  const index = 'problem' in decoded ? decoded : await rolledForward(ctx, decoded, expected);
  const problem =
    'problem' in index ? `corrupt: ${index.problem}` : indexMismatch(index, { ...expected, statusBranch: ctx.config.status.branch });
  if (problem !== null || 'problem' in index) {
    ctx.log.info({ problem }, 'render index not used (it is rebuilt after this pass); reading the status branch');
    return null;
  }
  if (index.seedsLeftOut)
    ctx.log.info(
      { writtenBy: index.writtenBy },
      'render index of a flotilla build with another renderer: its applied state is used, its parses and seeds are not',
    );
  else if (index.writtenBy !== undefined)
    ctx.log.info({ writtenBy: index.writtenBy }, 'render index of another flotilla build with this renderer: all of it is used');
  // The seeds travel with the parses they name manifests of, to the renderer made from them.
  // The index of a build with another renderer is as far behind as an index can be: this build
  // writes its own after its first pass, even when the status branch does not move (a deploy with
  // no new commit). One of this very renderer is as good as this build's own (writing it again at
  // once cost that deploy's pass about a second at 100 × 5,000: BENCHMARKS.md, run 42).
  const lag = index.seedsLeftOut ? Number.POSITIVE_INFINITY : index.lag;
  return { objects: index.objects, parsed: Object.assign(index.parsed, { seeds: index.seeds }), lag };
}

/**
 * The index taken to the expected status commit when it was written for another commit of the same
 * branch: rows that encodeRenderIndex proved stay proven where the roll forward did not touch them,
 * and the folders it touched are compared with the tip's tree (rolledRowsMismatch); otherwise it is
 * `unproven`, proven whole on load. As it is (lag 0) when it was written for that very commit, or
 * when it cannot be rolled forward (indexMismatch then says why it is not used).
 */
async function rolledForward(
  ctx: ReconcilerContext,
  index: RenderIndex,
  expected: { statusCommit: string; manifestsTree: string | null },
): Promise<RenderIndex & { lag: number }> {
  const asWritten = { ...index, lag: 0 };
  if (index.statusBranch !== ctx.config.status.branch || index.statusCommit === expected.statusCommit) return asWritten;
  try {
    const rolled = await rollAppliedForward(ctx.git.objects, index.objects, index.manifestsTree, expected.manifestsTree);
    if (rolled === null) return asWritten;
    ctx.log.info({ from: index.statusCommit, files: rolled.changedFiles }, 'render index rolled forward to the status branch tip');
    // Rows the write proved, rolled forward, are proven where they changed; any others are proven whole (indexMismatch).
    const proven = !index.unproven && (await rolledRowsMismatch(ctx.git.objects, rolled, expected.manifestsTree)) === null;
    return { ...index, ...expected, objects: rolled.objects, lag: rolled.changedFiles, ...(proven ? {} : { unproven: true as const }) };
  } catch (e) {
    ctx.log.info({ err: summarize(e) }, 'cannot roll the render index forward');
    return asWritten;
  }
}
