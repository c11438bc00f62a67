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
// blob oid) rows, computed in memory, is that tree's oid (no listing of the tree).
// An index written for an earlier commit of the branch (a crash, a `reconcile --once`, a write left
// for later: INDEX_WRITE_INTERVAL_MS) is rolled forward by reading only the files of manifests/ that
// differ between the two trees, then checked the same way. Anything else (missing, corrupt, another
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
// the flotilla version that wrote the index: another version's index is not used at all.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { clusterObjectId } from '../objects/identity.js';
import { isMap } from '../objects/json.js';
import type { RendererSeeds } from '../render/incremental.js';
import type { ParsedFileRecord } from '../render/incremental/sources.js';
import { summarize } from '../source/remote.js';
import { treeOidOfFiles } from '../source/tree-oid.js';
import { rollAppliedForward } from '../state/applied-roll-forward.js';
import { appliedHash, contentHash, stateObjects, stateSize, type AppliedObject, type AppliedState } from '../state/change-set.js';
import type { ReconcileOutcome, ReconcilerContext, ReconcilerState } from './context.js';
import type { KeptParses } from './renderer.js';
import { readSeedsField, seedsField, type SeedsField } from './render-seeds.js';

/** Format of the index file; a file of another version is ignored (and replaced). */
export const RENDER_INDEX_VERSION = 3;
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
}

/** One object as stored: cluster, path, oid, hash, qualified (0/1), apiVersion, kind, namespace, name. */
type Row = [string, string, string, string, 0 | 1, string, string, string, string];

/**
 * About 16 KiB of JSON per piece handed to the hash and to gzip: small enough to be allocated in
 * V8's young generation and die there (a string past ~128 KiB goes straight to the old one, which
 * only a full collection frees, so the garbage of a pass's end would add to its peak).
 */
const PIECE = 2 ** 14;
/** Characters compressed at once (six pieces): still a young-generation string once joined. */
const GZIP_BATCH = 6 * PIECE;

/**
 * The index document's JSON — what JSON.stringify({ ...index, objects: rows, parsed, seeds }) gives —
 * as pieces of about PIECE characters, made one object or parse at a time: the whole document
 * (about 23 MB at 100 clusters × 5,000 workloads) is never one string.
 */
function* documentPieces(
  index: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
  state: AppliedState,
  parsed: readonly ParsedFileRecord[],
  seeds: SeedsField,
): Generator<string> {
  let piece = `${JSON.stringify(index).slice(0, -1)},"objects":[`;
  const add = function* (json: string): Generator<string> {
    piece += json;
    if (piece.length >= PIECE) {
      yield piece;
      piece = '';
    }
  };
  let first = true;
  for (const o of stateObjects(state)) {
    const row: Row = [
      o.cluster,
      o.path,
      o.oid,
      appliedHash(o),
      o.qualified ? 1 : 0,
      o.ref.apiVersion,
      o.ref.kind,
      o.ref.namespace,
      o.ref.name,
    ];
    yield* add(`${first ? '' : ','}${JSON.stringify(row)}`);
    first = false;
  }
  yield* add('],"parsed":[');
  for (const [i, record] of parsed.entries()) yield* add(`${i === 0 ? '' : ','}${JSON.stringify(record)}`);
  // The seeds a seed at a time, too: their placements and hashes are as many as the objects.
  const renderer = seeds.renderer;
  yield* add(`],"seeds":{"flotilla":${JSON.stringify(seeds.flotilla)},"renderer":`);
  if (renderer === null) yield* add('null');
  else {
    yield* add(`{"clusters":${JSON.stringify(renderer.clusters)},"claims":${JSON.stringify(renderer.claims)},"schedules":[`);
    for (const [i, seed] of renderer.schedules.entries()) yield* add(`${i === 0 ? '' : ','}${JSON.stringify(seed)}`);
    yield* add('],"renders":[');
    for (const [i, seed] of renderer.renders.entries()) yield* add(`${i === 0 ? '' : ','}${JSON.stringify(seed)}`);
    yield* add(']}');
  }
  yield `${piece}}}`;
}

/**
 * The index file's bytes: a checksummed JSON document, gzipped. Null when larger than MAX_INDEX_BYTES.
 * The document is made once, a piece at a time, into its checksum and gzip, so memory holds the
 * compressed file, not the document. Pieces are compressed about 96 KiB at a time, each batch a
 * gzip member of its own (gunzip reads consecutive members as one text): a gzip stream fed
 * 16 KiB pieces made a thread-pool round trip per piece, most of writing the index after every pass.
 * The header line (which holds the checksum, known last) is the first member.
 */
export async function encodeRenderIndex(
  index: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
  state: AppliedState,
  maxBytes = MAX_INDEX_BYTES,
  parsed: readonly ParsedFileRecord[] = [],
  seeds: SeedsField = seedsField(null),
): Promise<Buffer | null> {
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

function isRow(r: unknown): r is Row {
  return (
    Array.isArray(r) && r.length === 9 && (r[4] === 0 || r[4] === 1) && [0, 1, 2, 3, 5, 6, 7, 8].every((i) => typeof r[i] === 'string')
  );
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): boolean => Number.isSafeInteger(v);

/** A kept parse as the renderer made it: manifests of its file, located in it, and diagnostics. */
function isParsedRecord(r: unknown): r is ParsedFileRecord {
  if (!isMap(r) || !isString(r.path) || !isString(r.text) || typeof r.selfContained !== 'boolean') return false;
  if (!Array.isArray(r.scopes) || !r.scopes.every(isString) || !Array.isArray(r.diagnostics) || !Array.isArray(r.manifests)) return false;
  const manifestOk = (m: unknown) =>
    isMap(m) &&
    [m.apiVersion, m.kind, m.name, m.namespace].every(isString) &&
    isMap(m.object) &&
    isMap(m.source) &&
    m.source.file === r.path &&
    [m.source.docIndex, m.source.line, m.source.column].every(isInt);
  const diagnosticOk = (d: unknown) =>
    isMap(d) && isString(d.severity) && isString(d.code) && isString(d.message) && (d.file === null || isString(d.file));
  return r.manifests.every(manifestOk) && r.diagnostics.every(diagnosticOk);
}

/** The index in `data`, or why it is not one this version can trust. */
export function decodeRenderIndex(data: Buffer): RenderIndex | { problem: string } {
  let raw: Buffer;
  try {
    raw = gunzipSync(data);
  } catch (e) {
    return { problem: `not gzip (${(e as Error).message})` };
  }
  // The checksum is of the body's bytes as they are, and the body is decoded once, for JSON.parse.
  const nl = raw.indexOf(0x0a);
  let header: { format?: unknown; version?: unknown; sha256?: unknown };
  let doc: {
    statusBranch?: unknown;
    statusCommit?: unknown;
    manifestsTree?: unknown;
    objects?: unknown;
    parsed?: unknown;
    seeds?: unknown;
  };
  try {
    header = JSON.parse(raw.toString('utf8', 0, nl < 0 ? raw.length : nl)) as typeof header;
    if (header.format !== FORMAT || header.version !== RENDER_INDEX_VERSION)
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
  const { statusBranch, statusCommit, manifestsTree, objects, parsed } = doc;
  if (
    typeof statusBranch !== 'string' ||
    typeof statusCommit !== 'string' ||
    !(manifestsTree === null || typeof manifestsTree === 'string')
  )
    return { problem: 'no status commit' };
  if (!Array.isArray(objects) || !objects.every(isRow)) return { problem: 'malformed objects' };
  if (!Array.isArray(parsed) || !parsed.every(isParsedRecord)) return { problem: 'malformed parsed files' };
  const seeds = readSeedsField(doc.seeds);
  if ('problem' in seeds) return seeds;
  return {
    parsed,
    seeds: seeds.renderer,
    statusBranch,
    statusCommit,
    manifestsTree,
    objects: objects.map(([cluster, p, oid, hash, qualified, apiVersion, kind, namespace, name]) => {
      const ref = { apiVersion, kind, namespace, name };
      return { id: clusterObjectId(cluster, ref), cluster, ref, path: p, qualified: qualified === 1, oid, object: null, hash };
    }),
  };
}

/**
 * Why `index` may not stand for the status branch at `statusCommit` (null: it may): another branch
 * or commit, an object twice, or files that are not exactly those of the commit's manifests/ tree.
 * The last is proven without reading the tree: git's tree oid of the index's own (path, blob oid)
 * rows, computed in memory, must be the commit's manifests/ tree oid (no manifests/: no objects).
 */
export function indexMismatch(
  index: RenderIndex,
  expected: { statusBranch: string; statusCommit: string; manifestsTree: string | null },
): string | null {
  if (index.statusBranch !== expected.statusBranch) return `written for branch ${index.statusBranch}`;
  if (index.statusCommit !== expected.statusCommit) return `written for status commit ${index.statusCommit}`;
  if (index.manifestsTree !== expected.manifestsTree) return 'written for another manifests/ tree';
  const ids = new Set<string>();
  for (const o of index.objects) {
    if (ids.has(o.id)) return `${o.id} twice`;
    ids.add(o.id);
  }
  if (expected.manifestsTree === null) return index.objects.length === 0 ? null : `${index.objects.length} objects, there is no manifests/`;
  const tree = treeOidOfFiles(index.objects.map((o) => [o.path, o.oid] as const));
  return tree === expected.manifestsTree ? null : 'its files are not those of the manifests/ tree';
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
 * forward costs a blob read and a parse (under a millisecond), about a thousandth of writing the
 * index, so a restart never pays more than a write for the lag.
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
 * The applied state the index holds for the status branch at `statusCommit`, whose manifests/ is
 * `manifestsTree`, and the source files' kept parses; null, with the reason logged, when there is
 * no index or it may not be trusted. An index written for an earlier commit of the same branch is
 * rolled forward (applied-roll-forward.ts): only the files of manifests/ that differ between its
 * tree and `manifestsTree` are read, and `lag` counts them.
 */
export async function loadRenderIndex(
  ctx: ReconcilerContext,
  expected: { statusCommit: string; manifestsTree: string | null },
): Promise<{ objects: AppliedObject[]; parsed: ParsedFileRecord[] & KeptParses; lag: number } | null> {
  if (!ctx.index) return null;
  const data = await ctx.index.read().catch((e: unknown) => {
    ctx.log.warn({ err: summarize(e) }, 'cannot read the render index; reading the status branch');
    return null;
  });
  if (data === null) return null;
  const decoded = decodeRenderIndex(data);
  const index = 'problem' in decoded ? decoded : await rolledForward(ctx, decoded, expected);
  const problem =
    'problem' in index ? `corrupt: ${index.problem}` : indexMismatch(index, { ...expected, statusBranch: ctx.config.status.branch });
  if (problem !== null || 'problem' in index) {
    ctx.log.info({ problem }, 'render index not used (it is rebuilt after this pass); reading the status branch');
    return null;
  }
  // The seeds travel with the parses they name manifests of, to the renderer made from them.
  return { objects: index.objects, parsed: Object.assign(index.parsed, { seeds: index.seeds }), lag: index.lag };
}

/**
 * The index taken to the expected status commit when it was written for another commit of the same
 * branch; as it is (lag 0) when it was written for that very commit, or when it cannot be rolled
 * forward (indexMismatch then says why it is not used).
 */
async function rolledForward(
  ctx: ReconcilerContext,
  index: RenderIndex,
  expected: { statusCommit: string; manifestsTree: string | null },
): Promise<RenderIndex & { lag: number }> {
  if (index.statusBranch !== ctx.config.status.branch || index.statusCommit === expected.statusCommit) return { ...index, lag: 0 };
  try {
    const rolled = await rollAppliedForward(ctx.git.objects, index.objects, index.manifestsTree, expected.manifestsTree);
    if (rolled === null) return { ...index, lag: 0 };
    ctx.log.info({ from: index.statusCommit, files: rolled.changedFiles }, 'render index rolled forward to the status branch tip');
    return { ...index, ...expected, objects: rolled.objects, lag: rolled.changedFiles };
  } catch (e) {
    ctx.log.info({ err: summarize(e) }, 'cannot roll the render index forward');
    return { ...index, lag: 0 };
  }
}
