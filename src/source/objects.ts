// Reading and writing a repository's object database without a work tree: blobs, nested trees
// edited in place, commits. The status branch, the rendered-manifests branch and incremental
// reads of a commit's changed files all go through here. Tree edits touch only the folders on
// the path of a change, so a one-object change rewrites a handful of trees, however large the
// tree is (isomorphic-git's writeTree writes one level at a time).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { DEFAULT_MAX_FILE_BYTES, type SourceFile } from '../load/parse.js';
import { isFleetFilePath } from './git-revision.js';

const SYMLINK_MODE = '120000';
/** Suffix of temporary object files: unique within this process. */
let tempCounter = 0;
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Git's loose-object bytes of a blob: the header "blob <bytes>\0" and the body. */
function blobParts(text: string | Uint8Array): { header: Buffer; body: Buffer } {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
  return { header: Buffer.from(`blob ${body.byteLength}\0`), body };
}

function hashBlob(header: Buffer, body: Buffer): string {
  return createHash('sha1').update(header).update(body).digest('hex');
}

/** Git's blob oid of a text: what writeBlob returns for it, computed without writing (the change set's file oids). */
export function blobOid(text: string | Uint8Array): string {
  const { header, body } = blobParts(text);
  return hashBlob(header, body);
}

/** Author/committer of commits flotilla writes. */
export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

/** Object-database operations over one git directory, sharing isomorphic-git's pack cache. */
export class ObjectStore {
  private cache: object = {};

  constructor(readonly gitdir: string) {}

  /** Drops the pack cache (after a repack replaced the packs it indexes). */
  resetCache(): void {
    this.cache = {};
  }

  /** The cache object to hand to isomorphic-git calls on this gitdir. */
  get packCache(): object {
    return this.cache;
  }

  /**
   * Writes a blob as a loose object; returns its oid (the same text always gives the same oid).
   * Written here rather than with isomorphic-git's writeBlob, which took ~0.85 ms per blob (a full
   * reconcile writes one per rendered object): the format is git's documented loose object —
   * zlib("blob <size>\0<bytes>") at objects/<2 hex>/<38 hex> — written to a temporary file and
   * renamed into place, so a crash never leaves a truncated object. An existing object is kept.
   */
  async writeBlob(text: string | Uint8Array): Promise<string> {
    const { header, body } = blobParts(text);
    const oid = hashBlob(header, body);
    const dir = path.join(this.gitdir, 'objects', oid.slice(0, 2));
    const file = path.join(dir, oid.slice(2));
    if (
      await fs.promises.access(file).then(
        () => true,
        () => false,
      )
    )
      return oid;
    const data = deflateSync(Buffer.concat([header, body]), { level: 1 });
    const temp = path.join(this.gitdir, 'objects', `tmp_obj_${process.pid}_${(tempCounter = (tempCounter + 1) % 1e9)}`);
    await fs.promises.writeFile(temp, data, { mode: 0o444 });
    try {
      await fs.promises.rename(temp, file);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      await fs.promises.mkdir(dir, { recursive: true });
      await fs.promises.rename(temp, file);
    }
    return oid;
  }

  /** Writes many blobs, a few at a time (file-system latency overlaps); oids in input order. */
  async writeBlobs(texts: readonly string[], concurrency = 4): Promise<string[]> {
    const out = new Array<string>(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const i = next++;
        out[i] = await this.writeBlob(texts[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, texts.length) }, worker));
    return out;
  }

  /** The text of a blob. */
  async readBlobText(oid: string): Promise<string> {
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return Buffer.from(blob).toString('utf8');
  }

  /** Text of the file at `filepath` in a commit, or null when it is not there. */
  async readTextAt(commit: string, filepath: string): Promise<string | null> {
    try {
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: commit, filepath, cache: this.cache });
      return Buffer.from(blob).toString('utf8');
    } catch (e) {
      if (isCode(e, 'NotFoundError')) return null;
      throw e;
    }
  }

  /** Tree oid of a commit, or of a folder inside it (null when absent). */
  async treeOf(commit: string, folder = ''): Promise<string | null> {
    try {
      const { oid } = await git.readTree({ fs, gitdir: this.gitdir, oid: commit, filepath: folder || undefined, cache: this.cache });
      return oid;
    } catch (e) {
      if (isCode(e, 'NotFoundError')) return null;
      throw e;
    }
  }

  /** First line of a commit's message and its parents. */
  async readCommit(commit: string): Promise<{ message: string; parents: string[]; tree: string; timestamp: number }> {
    const { commit: c } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
    return { message: c.message, parents: c.parent, tree: c.tree, timestamp: c.committer.timestamp };
  }

  /** Every blob below a tree as path → oid (paths relative to that tree). */
  async listTree(tree: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const visit = async (oid: string, prefix: string): Promise<void> => {
      const { tree: entries } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      for (const e of entries) {
        const p = prefix ? `${prefix}/${e.path}` : e.path;
        if (e.type === 'tree') await visit(e.oid, p);
        else if (e.type === 'blob') out.set(p, e.oid);
      }
    };
    await visit(tree, '');
    return out;
  }

  /**
   * Applies `edits` (path → blob oid to set, or null to delete; a path may also name a folder to
   * put a whole subtree with `{ tree: oid }`) to `base` and returns the new root tree oid. Folders
   * that end up empty disappear, as in git.
   */
  async editTree(base: string | null, edits: ReadonlyMap<string, string | { tree: string } | null>): Promise<string> {
    const root = await this.editLevel(
      base,
      [...edits.entries()].map(([p, v]) => ({ parts: p.split('/'), value: v })),
    );
    return root ?? (await git.writeTree({ fs, gitdir: this.gitdir, tree: [] }));
  }

  private async editLevel(
    base: string | null,
    edits: Array<{ parts: string[]; value: string | { tree: string } | null }>,
  ): Promise<string | null> {
    const entries = new Map<string, { mode: string; oid: string; type: 'blob' | 'tree' | 'commit' }>();
    if (base) {
      const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: base, cache: this.cache });
      for (const e of tree) entries.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
    }
    const nested = new Map<string, Array<{ parts: string[]; value: string | { tree: string } | null }>>();
    let changed = false;
    for (const edit of edits) {
      const [head, ...rest] = edit.parts;
      if (rest.length === 0) {
        const before = entries.get(head!);
        if (edit.value === null) {
          if (before) {
            entries.delete(head!);
            changed = true;
          }
        } else if (typeof edit.value === 'string') {
          if (!before || before.oid !== edit.value || before.type !== 'blob') changed = true;
          entries.set(head!, { mode: '100644', oid: edit.value, type: 'blob' });
        } else {
          if (!before || before.oid !== edit.value.tree) changed = true;
          entries.set(head!, { mode: '040000', oid: edit.value.tree, type: 'tree' });
        }
      } else {
        const list = nested.get(head!) ?? [];
        list.push({ parts: rest, value: edit.value });
        nested.set(head!, list);
      }
    }
    for (const [name, sub] of nested) {
      const before = entries.get(name);
      const subBase = before?.type === 'tree' ? before.oid : null;
      const next = await this.editLevel(subBase, sub);
      if (next === subBase) continue;
      changed = true;
      if (next === null) entries.delete(name);
      else entries.set(name, { mode: '040000', oid: next, type: 'tree' });
    }
    if (!changed) return base;
    if (entries.size === 0) return null;
    const tree = [...entries].map(([p, e]) => ({ path: p, mode: e.mode, oid: e.oid, type: e.type }));
    return git.writeTree({ fs, gitdir: this.gitdir, tree });
  }

  /** Writes a commit object (no ref is moved). */
  async writeCommit(spec: { tree: string; parents: string[]; message: string; author: Signature }): Promise<string> {
    const who = { name: spec.author.name, email: spec.author.email, timestamp: spec.author.timestamp, timezoneOffset: 0 };
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: {
        message: spec.message.endsWith('\n') ? spec.message : spec.message + '\n',
        tree: spec.tree,
        parent: spec.parents,
        author: who,
        committer: who,
      },
    });
  }

  /** Whether `ancestor` is `commit` or one of its ancestors (both must be present locally). */
  async isAncestor(ancestor: string, commit: string): Promise<boolean> {
    if (ancestor === commit) return true;
    try {
      return await git.isDescendent({ fs, gitdir: this.gitdir, oid: commit, ancestor, depth: -1, cache: this.cache });
    } catch (e) {
      if (isCode(e, 'NotFoundError') || isCode(e, 'MaxDepthError')) return false;
      throw e;
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
    const folders = new Map<string, Map<string, { mode: string; oid: string; type: string }> | null>();
    const folder = async (dir: string) => {
      if (!folders.has(dir)) {
        try {
          const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: commit, filepath: dir || undefined, cache: this.cache });
          folders.set(dir, new Map(tree.map((e) => [e.path, e])));
        } catch (e) {
          if (!isCode(e, 'NotFoundError') && !isCode(e, 'ObjectTypeError')) throw e;
          folders.set(dir, null);
        }
      }
      return folders.get(dir)!;
    };
    const out: Array<SourceFile | null> = [];
    for (const p of paths) {
      if (!isFleetFilePath(p, subpath, allFiles)) {
        out.push(null);
        continue;
      }
      const dir = path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p);
      const entry = (await folder(dir))?.get(path.posix.basename(p));
      if (!entry || entry.type !== 'blob' || entry.mode === SYMLINK_MODE) {
        out.push(null);
        continue;
      }
      const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: entry.oid, cache: this.cache });
      if (blob.byteLength > maxFileBytes) out.push({ path: p, text: '', size: blob.byteLength });
      else out.push({ path: p, text: Buffer.from(blob).toString('utf8') });
    }
    return out;
  }
}

function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
