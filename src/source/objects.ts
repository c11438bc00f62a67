// Reading and writing a repository's object database without a work tree: blobs, nested trees
// edited in place, commits. The status branch, the rendered-manifests branch and incremental
// reads of a commit's changed files all go through here. Tree edits touch only the folders on
// the path of a change, so a one-object change rewrites a handful of trees, however large the
// tree is (isomorphic-git's writeTree writes one level at a time).
import fs from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { mapLimit } from '../kube/limit.js';
import { DEFAULT_MAX_FILE_BYTES, type SourceFile } from '../load/parse.js';
import { FlotillaError } from '../model/diagnostics.js';
import { compareStrings } from '../model/order.js';
import {
  isFleetFilePath,
  locateGitDirectory,
  readRevisionFiles,
  SYMLINK_MODE,
  type ChangedPath,
  type RevisionFile,
  type TreeObjectEntry,
} from './git-revision.js';
import { PackReader, type PackTable } from './pack-reader.js';
import { isObjectId } from './tree-oid.js';
import { bodyBytes, checkOid, deflateObject, objectOid, PackBuilder, PackedObjects, writePacks, type RawObject } from './packfile.js';

/** Suffix of temporary object files: unique within this process. */
let tempCounter = 0;
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/**
 * From this many new objects a batch is written as one pack rather than loose files: below it
 * loose writes cost little, and every pack is one more idx each lookup reads (the cache's
 * maintain() repacks when they pile up). Measured: 14,400 blobs took 6.2 s loose (4 in flight)
 * against a few hundred ms as one pack.
 */
const PACK_MIN_OBJECTS = 512;
/** Loose object files written at once: file-system latency overlaps. */
const LOOSE_CONCURRENCY = 16;

/** Git's blob oid of a text: what writeBlob returns for it, computed without writing (the change set's file oids). */
export function blobOid(text: string | Uint8Array): string {
  return objectOid('blob', typeof text === 'string' ? text : Buffer.from(text));
}

/** Author/committer of commits flotilla writes. */
export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

type TreeEntry = { mode: string; oid: string; type: 'blob' | 'tree' | 'commit' };
/**
 * The edits of one editTree call: each path, its value, and where the part of the path below the
 * folder being edited starts. Folders pass on the numbers of their edits, not copies of the edits
 * and their split paths: a first reconcile edits one path per rendered object (175,000 at the issue's
 * fleet size), and those copies were some 50 MiB of the pass's peak heap.
 */
interface TreeEdits {
  paths: string[];
  values: Array<string | { tree: string } | null>;
  /** Per edit, the index in its path where the part below the current folder starts. */
  at: Int32Array;
}

/** Object-database operations over one git directory, sharing isomorphic-git's pack cache. */
export class ObjectStore {
  private cache: object = {};
  private readonly packed: PackedObjects;
  private reader: PackReader;
  /** The packs' idx tables, read once each (kept until a repack: resetCache). */
  private readonly packTables = new Map<string, PackTable>();
  /** Calls of withPackReader under way: while any is, blobs are read by `reader`, whose packs stay open. */
  private packReads = 0;

  constructor(readonly gitdir: string) {
    this.packed = new PackedObjects(gitdir);
    this.reader = new PackReader(gitdir, this.packTables);
  }

  /**
   * Runs `read` with blobs read straight from the packs (PackReader: each pack opened once, one
   * positional read per object) instead of by isomorphic-git, which probes for a loose file and
   * lists objects/pack per object. For reads of many blobs; the packs are closed when the last
   * such call ends.
   */
  async withPackReader<T>(read: () => Promise<T>): Promise<T> {
    this.packReads++;
    try {
      return await read();
    } finally {
      if (--this.packReads === 0) await this.replaceReader();
    }
  }

  private async replaceReader(): Promise<void> {
    const old = this.reader;
    this.reader = new PackReader(this.gitdir, this.packTables);
    await old.close();
  }

  /** Drops the pack cache (after a repack replaced the packs it indexes). */
  resetCache(): void {
    this.cache = {};
    this.packed.clear();
    this.packTables.clear();
    // A read still under way on the old packs fails and is done again by isomorphic-git.
    void this.replaceReader();
  }

  /** The cache object to hand to isomorphic-git calls on this gitdir. */
  get packCache(): object {
    return this.cache;
  }

  /** Writes a blob (see writeObjects); returns its oid (the same text always gives the same oid). */
  async writeBlob(text: string | Uint8Array): Promise<string> {
    return (await this.writeBlobs([text]))[0]!;
  }

  /**
   * Writes many blobs; oids in input order. With `oids` (what the caller computed for each text),
   * each is checked as its text is stored, and a text that does not hash to its oid throws.
   */
  async writeBlobs(texts: ReadonlyArray<string | Uint8Array>, oids?: readonly string[]): Promise<string[]> {
    return this.writeObjects(
      texts.map((t, i) => {
        const body = typeof t === 'string' ? t : Buffer.from(t);
        return oids ? { type: 'blob', body, oid: oids[i]!, check: true } : { type: 'blob', body, oid: objectOid('blob', body) };
      }),
    );
  }

  /**
   * Stores objects not already present (loose or packed) and returns their oids in input order.
   * Written here rather than with isomorphic-git's writeBlob/writeTree, which took ~0.85 ms per
   * object (a full reconcile writes one blob per rendered object). A large batch becomes one pack
   * (packfile.ts); a small one loose objects — zlib("<type> <size>\0<body>") at
   * objects/<2 hex>/<38 hex>, written to a temporary file and renamed into place, so a crash never
   * leaves a truncated object. An object not stored (present already, or twice in the batch) is
   * still checked when its oid is the caller's.
   */
  async writeObjects(objects: readonly RawObject[]): Promise<string[]> {
    const unique = new Map<string, RawObject>();
    const skipped: RawObject[] = [];
    for (const o of objects) {
      if (unique.has(o.oid)) skipped.push(o);
      else unique.set(o.oid, o);
    }
    const packed = await this.packed.lookup();
    const fresh: RawObject[] = [];
    for (const o of unique.values()) (packed(o.oid) ? skipped : fresh).push(o);
    if (fresh.length >= PACK_MIN_OBJECTS) {
      const loose = await this.looseOids(fresh);
      const toPack = fresh.filter((o) => !loose.has(o.oid) || (skipped.push(o), false));
      await writePacks(
        this.gitdir,
        toPack.sort((a, b) => (a.oid < b.oid ? -1 : 1)),
      );
    } else {
      await mapLimit(fresh, LOOSE_CONCURRENCY, (o) => this.writeLoose(o));
    }
    for (const o of skipped) if (o.check) checkOid(o);
    return objects.map((o) => o.oid);
  }

  /** The loose objects among `objects`, by listing each fan-out folder they fall in once. */
  private async looseOids(objects: readonly RawObject[]): Promise<Set<string>> {
    const out = new Set<string>();
    const prefixes = [...new Set(objects.map((o) => o.oid.slice(0, 2)))];
    await Promise.all(
      prefixes.map(async (prefix) => {
        const names = await fs.promises.readdir(path.join(this.gitdir, 'objects', prefix)).catch(() => [] as string[]);
        for (const n of names) if (n.length === 38) out.add(prefix + n);
      }),
    );
    return out;
  }

  /** One loose object; an existing one is kept. */
  private async writeLoose(o: RawObject): Promise<void> {
    const body = bodyBytes(o);
    const dir = path.join(this.gitdir, 'objects', o.oid.slice(0, 2));
    const file = path.join(dir, o.oid.slice(2));
    if (
      await fs.promises.access(file).then(
        () => true,
        () => false,
      )
    )
      return;
    const data = deflateObject(Buffer.concat([Buffer.from(`${o.type} ${body.byteLength}\0`), body]));
    const temp = path.join(this.gitdir, 'objects', `tmp_obj_${process.pid}_${(tempCounter = (tempCounter + 1) % 1e9)}`);
    await fs.promises.writeFile(temp, data, { mode: 0o444 });
    try {
      await fs.promises.rename(temp, file);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.rename(temp, file);
    }
  }

  /**
   * The text of a blob: within withPackReader from its pack (one read, no failed probe for a loose
   * file), else — and for a loose object, or a read cut by a repack closing the pack — by isomorphic-git.
   */
  async readBlobText(oid: string): Promise<string> {
    return Buffer.from(await this.blobBytes(oid)).toString('utf8');
  }

  /**
   * An object of `type`: within withPackReader from a pack already open, else loose, else from a
   * pack not open yet (objects/pack listed once the object is not loose: a listing for every loose
   * object of a repository read whole was most of reading it); otherwise through isomorphic-git.
   */
  private async readTyped(oid: string, type: 'blob' | 'tree' | 'commit' | 'tag' | null): Promise<{ type: string; body: Uint8Array }> {
    const packed = (scan: boolean) =>
      this.packReads === 0
        ? null
        : this.reader.read(oid, { scan }).catch((e: unknown) => {
            if (e instanceof FlotillaError) throw e;
            return null;
          });
    let read: { type: string; body: Uint8Array } | null = (await packed(false)) ?? (await this.readLoose(oid)) ?? (await packed(true));
    if (read === null) {
      const o = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
      read = { type: o.type, body: o.object as Uint8Array };
    }
    if (type !== null && read.type !== type) throw new FlotillaError('INTERNAL', `object ${oid} is a ${read.type}, not a ${type}`);
    return read;
  }

  /** The root tree of a commit (an annotated tag is followed to what it names; a tree is its own). */
  async treeOfCommit(commit: string): Promise<string> {
    const { oid, type, body } = await this.peeled(commit);
    if (type === 'tree') return oid;
    const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 64)).toString('latin1');
    const named = /^tree ([0-9a-f]{40})\n/.exec(head);
    if (!named) throw new Error(`commit ${oid} is damaged: its first header is not its tree`);
    return named[1]!;
  }

  /** The object `oid` names once annotated tags are followed: a commit or a tree, else INTERNAL. */
  private async peeled(oid: string): Promise<{ oid: string; type: string; body: Uint8Array }> {
    let at = oid;
    for (let hops = 0; hops < 8; hops++) {
      const { type, body } = await this.readTyped(at, null);
      if (type === 'commit' || type === 'tree') return { oid: at, type, body };
      const named =
        type === 'tag'
          ? /^object ([0-9a-f]{40})\n/.exec(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1', 0, 64))
          : null;
      if (!named) throw new FlotillaError('INTERNAL', `object ${at} is a ${type}, not a commit`);
      at = named[1]!;
    }
    throw new FlotillaError('INTERNAL', `${oid}: too many tags in a row`);
  }

  /** A tree's entries in its order, read and parsed here (parseTree), not by isomorphic-git. */
  async treeEntries(tree: string): Promise<TreeObjectEntry[]> {
    return parseTree(tree, (await this.readTyped(tree, 'tree')).body);
  }

  /** A blob's bytes (see readBlobText). */
  async blobBytes(oid: string): Promise<Uint8Array> {
    return (await this.readTyped(oid, 'blob')).body;
  }

  /**
   * A loose object (`objects/<2 hex>/<38 hex>`, zlib of "<type> <size>\0<body>"), or null when it is
   * not loose. Inflated by node's zlib, not isomorphic-git's inflate in JavaScript: a restart reads
   * status.yaml first (5.5 MB for 10,000 placements), loose until a repack.
   */
  private async readLoose(oid: string): Promise<{ type: string; body: Buffer } | null> {
    if (!isObjectId(oid)) throw new FlotillaError('INTERNAL', `not an object id: ${oid}`);
    let data: Buffer;
    try {
      // Synchronous, as PackReader reads an entry: a loose object is small (a tree, a file of
      // manifests/) and in the page cache, and readFile's four thread-pool round trips (open, stat,
      // read, close) cost many times the read when a restart rolls its index forward tree by tree.
      data = fs.readFileSync(path.join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
    } catch (e) {
      if (isCode(e, 'ENOENT')) return null;
      throw e;
    }
    const raw = inflateSync(data);
    const nul = raw.indexOf(0);
    const [type, size] = raw.toString('latin1', 0, Math.max(nul, 0)).split(' ');
    if (nul < 0 || type === undefined || size !== String(raw.length - nul - 1))
      throw new FlotillaError('INTERNAL', `loose object ${oid} is damaged: its header does not give its type and size`);
    return { type, body: raw.subarray(nul + 1) };
  }

  /** Text of the file at `filepath` in a commit, or null when it is not there. */
  async readTextAt(commit: string, filepath: string): Promise<string | null> {
    return this.withPackReader(async () => {
      const entry = await this.entryAt(commit, filepath);
      if (entry === null) return null;
      if (entry.type !== 'blob') throw new FlotillaError('INTERNAL', `${filepath} at ${commit} is a ${entry.type}, not a file`);
      return Buffer.from(await this.blobBytes(entry.oid)).toString('utf8');
    });
  }

  /** Tree oid of a commit, or of a folder inside it (null when absent). */
  async treeOf(commit: string, folder = ''): Promise<string | null> {
    const entry = await this.withPackReader(() => this.entryAt(commit, folder));
    if (entry === null) return null;
    if (entry.type !== 'tree') throw new FlotillaError('INTERNAL', `${folder} at ${commit} is a ${entry.type}, not a folder`);
    return entry.oid;
  }

  /**
   * The entry at `filepath` ('' for the root tree) in a commit, null when the commit or the path is
   * not there (a path through a file included). Read by this store (readTyped), as the revision walk
   * reads: isomorphic-git's readTree loads a whole packfile into memory at its first packed object
   * (24 MB at fleet scale, most of a restart's read of status.yaml and the manifests/ tree). Called
   * within withPackReader, so packed objects are read from the packs.
   */
  private async entryAt(commit: string, filepath: string): Promise<{ oid: string; type: TreeObjectEntry['type'] } | null> {
    let at: { oid: string; type: TreeObjectEntry['type'] };
    try {
      at = { oid: await this.treeOfCommit(commit), type: 'tree' };
    } catch (e) {
      if (isCode(e, 'NotFoundError')) return null;
      throw e;
    }
    for (const name of filepath.split('/')) {
      if (name === '' || name === '.') continue;
      if (at.type !== 'tree') return null;
      const entry = (await this.treeEntries(at.oid)).find((e) => e.name === name);
      if (entry === undefined) return null;
      at = entry;
    }
    return at;
  }

  /** A commit's message, parents, tree and committer time (an annotated tag is followed to what it names). */
  async readCommit(commit: string): Promise<{ message: string; parents: string[]; tree: string; timestamp: number }> {
    return this.withPackReader(() => this.commitOf(commit));
  }

  /** readCommit within withPackReader: read by this store, parsed as isomorphic-git's readCommit parses. */
  private async commitOf(commit: string): Promise<{ message: string; parents: string[]; tree: string; timestamp: number }> {
    const { oid, type, body } = await this.peeled(commit);
    if (type !== 'commit') throw new FlotillaError('INTERNAL', `object ${oid} is a ${type}, not a commit`);
    return parseCommit(oid, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  }

  /** Every blob below a tree as path → oid (paths relative to that tree). */
  async listTree(tree: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const visit = async (oid: string, prefix: string): Promise<void> => {
      for (const e of await this.treeEntries(oid)) {
        // Joined flat, not a template's pieces: the restore keeps every path for the process's life.
        const p = prefix ? [prefix, e.name].join('/') : e.name;
        if (e.type === 'tree') await visit(e.oid, p);
        else if (e.type === 'blob') out.set(p, e.oid);
      }
    };
    await this.withPackReader(() => visit(tree, ''));
    return out;
  }

  /**
   * The blobs that differ between two trees (null: no tree) as path → blob oid in `to`, or null
   * where `to` has no blob at that path. Subtrees of equal oid are not read, so a commit that
   * changed a few files costs a few tree reads however large the trees (`git diff-tree -r`).
   */
  async changedBlobs(from: string | null, to: string | null): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    // Only blobs count, as in listTree: a submodule entry is neither written nor read here.
    await this.withPackReader(() =>
      this.diffTrees(from, to, (p, before, after) => {
        if (after?.type === 'blob') out.set(p, after.oid);
        else if (before?.type === 'blob') out.set(p, null);
      }),
    );
    return out;
  }

  /**
   * The files (entries other than folders) that differ between two commits, sorted by path, as
   * git.walk over both trees reports them: a file that became a folder is deleted and the files
   * below it added. Read by this store, so a packed history is read from its packs.
   */
  async changedPaths(from: string, to: string): Promise<ChangedPath[]> {
    const changes: ChangedPath[] = [];
    await this.withPackReader(async () => {
      const [a, b] = [await this.treeOfCommit(from), await this.treeOfCommit(to)];
      await this.diffTrees(a, b, (p, before, after) => {
        if (before) changes.push({ path: p, op: after ? 'modify' : 'delete' });
        else changes.push({ path: p, op: 'add' });
      });
    });
    return changes.sort((x, y) => compareStrings(x.path, y.path));
  }

  /**
   * Calls `each` for every path whose file (an entry other than a folder) differs between two trees
   * (null: none), with its entry on either side; subtrees of equal oid are not read. Within withPackReader.
   */
  private async diffTrees(
    from: string | null,
    to: string | null,
    each: (path: string, before: TreeObjectEntry | undefined, after: TreeObjectEntry | undefined) => void,
  ): Promise<void> {
    const entries = async (oid: string | null): Promise<Map<string, TreeObjectEntry>> =>
      oid === null ? new Map() : new Map((await this.treeEntries(oid)).map((e) => [e.name, e]));
    const subtree = (e: TreeObjectEntry | undefined) => (e?.type === 'tree' ? e.oid : null);
    const file = (e: TreeObjectEntry | undefined) => (e !== undefined && e.type !== 'tree' ? e : undefined);
    const visit = async (a: string | null, b: string | null, prefix: string): Promise<void> => {
      if (a === b) return;
      const [left, right] = await Promise.all([entries(a), entries(b)]);
      for (const name of new Set([...left.keys(), ...right.keys()])) {
        const x = left.get(name);
        const y = right.get(name);
        if (x?.oid === y?.oid && x?.type === y?.type) continue;
        const p = prefix ? [prefix, name].join('/') : name;
        if (subtree(x) !== null || subtree(y) !== null) await visit(subtree(x), subtree(y), p);
        if (file(x) || file(y)) each(p, file(x), file(y));
      }
    };
    await visit(from, to, '');
  }

  /**
   * Applies `edits` (path → blob oid to set, or null to delete; a path may also name a folder to
   * put a whole subtree with `{ tree: oid }`) to `base` and returns the new root tree oid. Folders
   * that end up empty disappear, as in git. The new trees are built in memory and stored in one
   * batch (a first reconcile makes hundreds; isomorphic-git's writeTree took ~2 ms each).
   */
  async editTree(base: string | null, edits: ReadonlyMap<string, string | { tree: string } | null>): Promise<string> {
    const fresh: RawObject[] = [];
    const all: TreeEdits = { paths: [...edits.keys()], values: [...edits.values()], at: new Int32Array(edits.size) };
    const root = await this.withPackReader(() =>
      this.editLevel(
        base,
        all,
        all.paths.map((_, i) => i),
        fresh,
      ),
    );
    if (root === null) fresh.push(treeObject(new Map()));
    await this.writeObjects(fresh);
    return root ?? EMPTY_TREE;
  }

  /** One folder's edits (`mine`: their numbers in `all`); new trees (this one and below) go to `fresh`. */
  private async editLevel(base: string | null, all: TreeEdits, mine: readonly number[], fresh: RawObject[]): Promise<string | null> {
    const entries = new Map<string, TreeEntry>();
    if (base) {
      for (const e of await this.treeEntries(base))
        entries.set(e.name, { mode: e.mode.toString(8).padStart(6, '0'), oid: e.oid, type: e.type });
    }
    const nested = new Map<string, number[]>();
    let changed = false;
    for (const i of mine) {
      // The path's segments as split('/') gives them, read in place.
      const path = all.paths[i]!;
      const from = all.at[i]!;
      const slash = path.indexOf('/', from);
      if (slash >= 0) {
        const head = path.slice(from, slash);
        all.at[i] = slash + 1;
        const list = nested.get(head);
        if (list) list.push(i);
        else nested.set(head, [i]);
      } else if (applyEdit(entries, path.slice(from), all.values[i] as string | { tree: string } | null)) changed = true;
    }
    // Sub-folders are edited side by side (their base trees are read at once), applied in order.
    const subs = [...nested];
    const results = await Promise.all(
      subs.map(([name, sub]) => {
        const before = entries.get(name);
        return this.editLevel(before?.type === 'tree' ? before.oid : null, all, sub, fresh);
      }),
    );
    subs.forEach(([name], i) => {
      const before = entries.get(name);
      const subBase = before?.type === 'tree' ? before.oid : null;
      const next = results[i]!;
      if (next === subBase) return;
      changed = true;
      if (next === null) entries.delete(name);
      else entries.set(name, { mode: '040000', oid: next, type: 'tree' });
    });
    if (!changed) return base;
    if (entries.size === 0) return null;
    const tree = treeObject(entries);
    fresh.push(tree);
    return tree.oid;
  }

  /** Writes a commit object (no ref is moved). */
  async writeCommit(spec: { tree: string; parents: string[]; message: string; author: Signature }): Promise<string> {
    const commit = commitObject(spec);
    await this.writeObjects([commit]);
    return commit.oid;
  }

  /** Whether `ancestor` is `commit` or one of its ancestors (both must be present locally). */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    if (ancestor === commit) return true;
    // Breadth first over the parents, as isomorphic-git's isDescendent walks; a commit not here
    // (a shallow history) ends the search with false.
    return this.withPackReader(async () => {
      const seen = new Set([commit]);
      const queue = [commit];
      for (let i = 0; i < queue.length; i++) {
        let parents: string[];
        try {
          parents = (await this.commitOf(queue[i]!)).parents;
        } catch (e) {
          if (isCode(e, 'NotFoundError')) return false;
          throw e;
        }
        for (const p of parents) {
          if (p === ancestor) return true;
          if (!seen.has(p)) {
            seen.add(p);
            queue.push(p);
          }
        }
      }
      return false;
    });
  }

  /**
   * A pack of what `commit` adds to `base` (null: the receiver has none of its history): what a
   * push of `commit` over `base` sends. The commits of the first-parent chain from `commit` down to
   * `base` (or to the root, or to a commit this shallow repository lacks), and of each one's tree
   * what its parent's tree lacks, descending only into folders whose oid differs (a status commit
   * that changes one file sends its blob and the trees on its path). The status branch's commits
   * have one parent each; a merge's other parents would have to be on the receiver already.
   */
  async packSince(commit: string, base: string | null): Promise<{ pack: Buffer[]; count: number }> {
    return this.withPackReader(async () => {
      const pack = new PackBuilder();
      const sent = new Set<string>();
      const read = async (oid: string) => {
        const { body } = await this.readTyped(oid, 'commit');
        return { oid, body, parsed: parseCommit(oid, Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) };
      };
      // Each commit of the chain is read once: as the parent whose tree the one above is compared with, then sent.
      let at = commit === base ? null : await read(commit);
      while (at !== null) {
        pack.add('commit', at.body);
        sent.add(at.oid);
        const first = at.parsed.parents[0];
        const parent =
          first === undefined ? null : await read(first).catch((e: unknown) => (isCode(e, 'NotFoundError') ? null : Promise.reject(e)));
        await this.packTreeDifference(pack, sent, at.parsed.tree, parent?.parsed.tree ?? null);
        at = parent === null || parent.oid === base ? null : parent;
      }
      return { pack: pack.finish(), count: sent.size };
    });
  }

  /** Adds to `pack` the objects of `tree` that `base` (the same folder in the parent, null: none) lacks. */
  private async packTreeDifference(pack: PackBuilder, sent: Set<string>, tree: string, base: string | null): Promise<void> {
    if (tree === base || sent.has(tree)) return;
    const { body } = await this.readTyped(tree, 'tree');
    pack.add('tree', body);
    sent.add(tree);
    const before = new Map(base === null ? [] : (await this.treeEntries(base)).map((e) => [e.name, e]));
    for (const e of parseTree(tree, body)) {
      const was = before.get(e.name);
      if (was?.oid === e.oid || sent.has(e.oid)) continue;
      if (e.type === 'tree') await this.packTreeDifference(pack, sent, e.oid, was?.type === 'tree' ? was.oid : null);
      else if (e.type === 'blob') {
        pack.add('blob', (await this.readTyped(e.oid, 'blob')).body);
        sent.add(e.oid);
      }
      // A gitlink names a commit of another repository: nothing of it is sent.
    }
  }

  /**
   * The fleet files among `paths` at `commit`: a path that is gone, a symlink, or not a fleet
   * file (isFleetFilePath) gives null — for the reconciler, "not in the fleet at this commit".
   */
  async readFleetFilesAt(
    commit: string,
    paths: readonly string[],
    subpath: string,
    maxFileBytes = DEFAULT_MAX_FILE_BYTES,
    allFiles = false,
  ): Promise<Array<SourceFile | null>> {
    return this.withPackReader(async () => {
      // Each folder's entries read once, from its parent's: a wide commit shares the root and the parents.
      const folders = new Map<string, Map<string, TreeObjectEntry> | null>();
      const folder = async (dir: string): Promise<Map<string, TreeObjectEntry> | null> => {
        let entries = folders.get(dir);
        if (entries === undefined) {
          const parent = dir === '' ? null : await folder(parentFolder(dir));
          const at = dir === '' ? await this.entryAt(commit, '') : parent?.get(path.posix.basename(dir));
          entries = at?.type === 'tree' ? new Map((await this.treeEntries(at.oid)).map((e) => [e.name, e])) : null;
          folders.set(dir, entries);
        }
        return entries;
      };
      const out: Array<SourceFile | null> = [];
      for (const p of paths) {
        if (!isFleetFilePath(p, subpath, allFiles)) {
          out.push(null);
          continue;
        }
        const entry = (await folder(parentFolder(p)))?.get(path.posix.basename(p));
        if (!entry || entry.type !== 'blob' || entry.mode === SYMLINK_MODE) {
          out.push(null);
          continue;
        }
        const blob = await this.blobBytes(entry.oid);
        if (blob.byteLength > maxFileBytes) out.push({ path: p, text: '', size: blob.byteLength });
        else out.push({ path: p, text: Buffer.from(blob).toString('utf8') });
      }
      return out;
    });
  }
}

/** The folder a repository path is in ('' for the root). */
function parentFolder(filepath: string): string {
  const dir = path.posix.dirname(filepath);
  return dir === '.' ? '' : dir;
}

/** Sets or deletes one entry of a folder; whether that changed it. */
function applyEdit(entries: Map<string, TreeEntry>, name: string, value: string | { tree: string } | null): boolean {
  const before = entries.get(name);
  if (value === null) return entries.delete(name);
  if (typeof value === 'string') {
    entries.set(name, { mode: '100644', oid: value, type: 'blob' });
    return !before || before.oid !== value || before.type !== 'blob' || before.mode !== '100644';
  }
  entries.set(name, { mode: '040000', oid: value.tree, type: 'tree' });
  return !before || before.oid !== value.tree || before.type !== 'tree';
}

const TREE_MODES: ReadonlyMap<string, { mode: number; type: TreeObjectEntry['type'] }> = new Map([
  ['40000', { mode: 0o40000, type: 'tree' }],
  ['040000', { mode: 0o40000, type: 'tree' }],
  ['100644', { mode: 0o100644, type: 'blob' }],
  ['100755', { mode: 0o100755, type: 'blob' }],
  ['120000', { mode: 0o120000, type: 'blob' }],
  ['160000', { mode: 0o160000, type: 'commit' }],
]);

/**
 * The entries of a tree object ("<mode> <name>\0<20-byte oid>" each). Refused, as isomorphic-git
 * refuses them: a mode git does not write, and a name git's verify_path would not check out
 * (unsafeEntryName) — readers join names into paths.
 */
export function parseTree(oid: string, body: Uint8Array): TreeObjectEntry[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: TreeObjectEntry[] = [];
  for (let at = 0; at < bytes.length;) {
    const space = bytes.indexOf(0x20, at);
    const nul = space < 0 ? -1 : bytes.indexOf(0, space + 1);
    // Plain errors: what the repository holds, not a flaw of flotilla (readRevisionFiles reports GIT_READ_FAILED).
    if (nul < 0 || nul + 21 > bytes.length) throw new Error(`tree ${oid} is damaged at byte ${at}`);
    const kind = TREE_MODES.get(bytes.toString('latin1', at, space));
    if (kind === undefined) throw new Error(`tree ${oid}: unexpected mode ${bytes.toString('latin1', at, space)}`);
    const name = bytes.toString('utf8', space + 1, nul);
    if (unsafeEntryName(name)) throw new Error(`tree ${oid}: unsafe entry name ${JSON.stringify(name)}`);
    out.push({ name, mode: kind.mode, type: kind.type, oid: bytes.toString('hex', nul + 1, nul + 21) });
    at = nul + 21;
  }
  return out;
}

const PLAIN_ENTRY_NAME = /^[A-Za-z0-9_-](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/;

/** Code points HFS+ ignores in a name (zero-width joiners, direction marks, the BOM): `.g\u200cit` is `.git` there. */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Whether a tree entry's name could name something else than one entry of its folder: a separator
 * (`/`, `\`), a name Windows reads as `.` or `..` (only dots and spaces, as it drops them at the
 * end), or `.git` however a file system may spell it (any case, trailing dots or spaces, an NTFS
 * stream after `:`, an 8.3 alias `git~1`, HFS+ ignored code points).
 */
function unsafeEntryName(name: string): boolean {
  // Most names: ASCII letters, digits, `.`, `_`, `-`, neither starting with a dot nor ending with
  // one, so none of the spellings below (read for every entry of every tree a restart reads).
  if (PLAIN_ENTRY_NAME.test(name)) return false;
  if (name.includes('/') || name.includes('\\')) return true;
  const spelled = name.replace(HFS_IGNORED, '').split(':')[0]!.toLowerCase();
  // Trailing dots and spaces dropped by a backward scan: a regular expression for them backtracks
  // quadratically on a long run of dots followed by anything else.
  let end = spelled.length;
  while (end > 0 && (spelled[end - 1] === '.' || spelled[end - 1] === ' ')) end--;
  const base = spelled.slice(0, end);
  return base === '' || base === '.git' || /^\.?git~[1-9]$/.test(base);
}

/**
 * A commit as isomorphic-git's writeCommit wrote flotilla's (the same bytes, so the same oid): the
 * author as committer, in UTC; the message without carriage returns or blank lines before and
 * after, ending in one newline. Written here: isomorphic-git compresses through the Compression
 * Streams API, whose first use in a process (a restart's first status commit) costs many times the
 * commit itself.
 */
function commitObject(spec: { tree: string; parents: readonly string[]; message: string; author: Signature }): RawObject {
  const who = `${spec.author.name} <${spec.author.email}> ${spec.author.timestamp} +0000`;
  const message = normalizeNewlines(spec.message);
  const parents = spec.parents.map((p) => `parent ${p}\n`).join('');
  const body = `tree ${spec.tree}\n${parents}author ${who}\ncommitter ${who}\n\n${message}`;
  return { type: 'commit', body, oid: objectOid('commit', body) };
}

/**
 * A tree object in git's format: "<mode> <name>\0<20-byte oid>" per entry, sorted by name as git
 * does (a folder's name compared as if it ended in "/"), modes without a leading zero.
 */
function treeObject(entries: ReadonlyMap<string, TreeEntry>): RawObject {
  const key = (name: string, e: TreeEntry) => Buffer.from(e.type === 'tree' ? `${name}/` : name, 'utf8');
  const sorted = [...entries].map(([name, e]) => ({ name, e, key: key(name, e) })).sort((a, b) => Buffer.compare(a.key, b.key));
  const body = Buffer.concat(
    sorted.flatMap(({ name, e }) => [Buffer.from(`${e.mode.replace(/^0+/, '')} ${name}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]),
  );
  return { type: 'tree', body, oid: objectOid('tree', body) };
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** A commit message as isomorphic-git writes and reads it: no carriage returns, no blank lines before, one newline at the end. */
function normalizeNewlines(text: string): string {
  return `${text.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
}

/**
 * A commit object's tree, parents, committer time and message, read as isomorphic-git's
 * GitCommit reads them: `tree` the first header, the `parent` lines right after it, the message
 * after the first blank line.
 */
export function parseCommit(oid: string, text: string): { message: string; parents: string[]; tree: string; timestamp: number } {
  const split = text.indexOf('\n\n');
  // A header continued on lines that start with a space (a signature) has no key on those lines.
  const headers = (split < 0 ? text : text.slice(0, split)).split('\n');
  const keyOf = (h: string) => h.slice(0, h.indexOf(' '));
  const valueOf = (h: string) => h.slice(h.indexOf(' ') + 1);
  // Plain errors: what the repository holds, not a flaw of flotilla.
  if (headers.length === 0 || keyOf(headers[0]!) !== 'tree') throw new Error(`commit ${oid} is damaged: its first header is not its tree`);
  const parents: string[] = [];
  let at = 1;
  while (at < headers.length && keyOf(headers[at]!) === 'parent') parents.push(valueOf(headers[at++]!));
  const committer = headers.find((h) => keyOf(h) === 'committer');
  const time = committer === undefined ? null : /^(.*) <(.*)> (.*) (.*)$/.exec(valueOf(committer));
  if (time === null) throw new Error(`commit ${oid} is damaged: it names no committer`);
  return { message: normalizeNewlines(text.slice(split + 2)), parents, tree: valueOf(headers[0]!), timestamp: Number(time[3]) };
}

/**
 * A revision's files as readRevisionFiles gives them, read by an object store of the repository at
 * `dir` (pack reader, node's zlib) instead of isomorphic-git's walk, which loads a whole packfile
 * into memory at its first packed object and inflates every object in JavaScript: what the
 * commands that read a revision (`render --ref`, `plan`, `diff`) use, as the reconciler does.
 */
export async function readRevisionFilesByStore(opts: Omit<Parameters<typeof readRevisionFiles>[0], 'objects'>): Promise<RevisionFile[]> {
  const store = new ObjectStore(await locateGitDirectory(opts.dir));
  return store.withPackReader(() => readRevisionFiles({ ...opts, objects: store }));
}
