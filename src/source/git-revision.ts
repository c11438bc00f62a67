// Reading a fleet repository at a Git revision, straight from the object database: no checkout,
// no work tree, so `render --ref` and `plan --base/--head` see exactly what is committed and
// never what happens to be on disk. I/O edge module: it reads the repository through node:fs
// with isomorphic-git; everything downstream is pure.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { mapLimit } from '../kube/limit.js';
import { FlotillaError } from '../model/diagnostics.js';
import { compareStrings } from '../model/order.js';

/**
 * One YAML file at a revision; `tooLarge` files carry no text, only their size. The shape is a
 * load/parse.ts SourceFile (`size` set ⇒ parseFleetFiles reports FILE_TOO_LARGE), so files read at
 * a revision and files read from a work tree go through the same parser.
 */
export interface RevisionFile {
  /** Posix path relative to the repository root, as the file is named in the repository. */
  path: string;
  text: string;
  tooLarge?: boolean;
  /** Size in bytes, set only when tooLarge; `size` is the same number under SourceFile's name. */
  bytes?: number;
  size?: number;
}

/** One path that differs between two revisions. A rename is a delete plus an add. */
export interface ChangedPath {
  path: string;
  op: 'add' | 'modify' | 'delete';
}

/** Where a repository's objects and refs live. */
interface RepositoryLocation {
  /** The directory the user named, for messages. */
  dir: string;
  /** The (common) git directory: objects, refs, packed-refs. */
  gitdir: string;
  /** Where this work tree's own HEAD lives; differs from gitdir only in a linked worktree. */
  headGitdir: string;
}

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Git's mode of a symbolic link's tree entry. */
export const SYMLINK_MODE = 0o120000;
const FULL_OID = /^[0-9a-f]{40}$/;
const SHORT_OID = /^[0-9a-f]{4,39}$/;
/** `base` followed by any number of `~N`, `^` or `^N` steps, as in git rev-parse. */
const ANCESTRY = /^(.*?)((?:~\d*|\^\d*)*)$/;

/** Resolves a branch, tag, HEAD, remote ref (`origin/main`), full or ≥4-hex short oid to a 40-hex commit. */
export async function resolveRevision(opts: { dir: string; ref: string; cache?: object }): Promise<string> {
  const location = await locateRepository(opts.dir);
  return resolveIn(location, opts.ref, opts.cache ?? {});
}

/**
 * Every `*.yaml`/`*.yml` blob of a commit under `subpath`, sorted by path. Paths stay relative to
 * the repository root so diagnostics name files as they are in the repository. Dot-directories
 * and node_modules below `subpath` are skipped (docs/reference/contract.md "Input"); symlinks and submodules are
 * skipped because they have no content of their own at the revision.
 */
export async function readRevisionFiles(opts: {
  dir: string;
  commit: string;
  subpath?: string;
  cache?: object;
  maxFileBytes?: number;
  /** Every file, not only YAML: what the folder builder needs (src/generate/builder.ts). */
  allFiles?: boolean;
  /** Texts the caller may already have: a file whose blob is one of them is not read (see KnownTexts). */
  known?: KnownTexts;
  /** Reads trees and blobs itself (the reconciler's object store); absent: isomorphic-git's walk. */
  objects?: TreeObjects;
}): Promise<RevisionFile[]> {
  const sub = normalizeSubpath(opts.subpath);
  const cache = opts.cache ?? {};
  const location = await locateRepository(opts.dir);
  const objects = opts.objects;
  // The store resolves a full oid itself: resolveIn's isomorphic-git reads load a whole packfile into memory when the commit is packed.
  const root = objects && FULL_OID.test(opts.commit) ? await rootTreeOf(objects, location, opts.commit) : null;
  const commit = root === null ? await resolveIn(location, opts.commit, cache) : opts.commit;
  const pick = filePicker(sub, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, opts.allFiles ?? false, opts.known);
  const files: RevisionFile[] = [];
  await walkOrExplain(location, commit, async () => {
    if (objects) return walkTrees(objects, root ?? (await objects.readCommit(commit)).tree, '', pick, files);
    return git.walk({
      fs,
      gitdir: location.gitdir,
      cache,
      trees: [git.TREE({ ref: commit })],
      // Returning null prunes: the walk then never reads the subtree's objects.
      map: async (filepath, [entry]) => {
        if (filepath === '.' || !entry) return filepath === '.' ? undefined : null;
        const content = async () => (await entry.content()) ?? undefined;
        const take = await pick(
          filepath,
          await entry.type(),
          () => entry.mode(),
          () => entry.oid(),
          content,
        );
        if (take === 'descend') return undefined;
        if (take !== null) files.push(take);
        return null;
      },
    });
  });
  return files.sort((a, b) => compareStrings(a.path, b.path));
}

/** A tree entry as a TreeObjects reads it: its name, git's mode as a number, what it is and its oid. */
export interface TreeObjectEntry {
  name: string;
  mode: number;
  type: 'tree' | 'blob' | 'commit';
  oid: string;
}

/** Reads a revision's trees and blobs by oid (the object store's own reads, src/source/objects.ts). */
export interface TreeObjects {
  /** A commit's root tree (an annotated tag followed to it); rejects with isomorphic-git's NotFoundError when it is not there. */
  readCommit(commit: string): Promise<{ tree: string }>;
  treeEntries(tree: string): Promise<TreeObjectEntry[]>;
  blobBytes(blob: string): Promise<Uint8Array>;
}

/** Entries of one folder read at once by walkTrees: each read of a loose object is a file read of its own. */
const WALK_CONCURRENCY = 16;

/** Every file of `tree` (at `prefix`) that `pick` takes, into `files` (in no order); the folders it descends into the same way. */
async function walkTrees(objects: TreeObjects, tree: string, prefix: string, pick: FilePicker, files: RevisionFile[]): Promise<void> {
  const entries = await objects.treeEntries(tree);
  await mapLimit(entries, WALK_CONCURRENCY, async (e) => {
    const filepath = prefix ? `${prefix}/${e.name}` : e.name;
    const take = await pick(
      filepath,
      e.type,
      async () => e.mode,
      async () => e.oid,
      () => objects.blobBytes(e.oid),
    );
    if (take === 'descend') await walkTrees(objects, e.oid, filepath, pick, files);
    else if (take !== null) files.push(take);
  });
}

/** The root tree of the commit a full oid names, read by the store; a missing commit is UNKNOWN_REF, as resolveIn says it. */
async function rootTreeOf(objects: TreeObjects, location: RepositoryLocation, commit: string): Promise<string> {
  try {
    return (await objects.readCommit(commit)).tree;
  } catch (err) {
    if (isGitError(err, 'NotFoundError')) throw unknownRef(location, commit);
    throw err;
  }
}

/** What readRevisionFiles does with one entry: descend into a folder, skip it (null), or take the file. */
type FilePicker = (
  filepath: string,
  type: string,
  mode: () => Promise<number>,
  oid: () => Promise<string>,
  content: () => Promise<Uint8Array | undefined>,
) => Promise<RevisionFile | 'descend' | null>;

function filePicker(sub: string, maxFileBytes: number, allFiles: boolean, known: KnownTexts | undefined): FilePicker {
  return async (filepath, type, mode, oid, content) => {
    if (type === 'tree') return wantsDirectory(filepath, sub) ? 'descend' : null;
    if (type !== 'blob' || !isInside(filepath, sub) || !(allFiles || isYamlName(filepath))) return null;
    if ((await mode()) === SYMLINK_MODE) return null;
    const text = known && knownText(known, filepath, await oid(), maxFileBytes);
    if (text !== undefined) return { path: filepath, text };
    // There is no size-only read, so the blob is inflated, but never decoded or parsed.
    const bytes = await content();
    const size = bytes?.byteLength ?? 0;
    if (size > maxFileBytes) return { path: filepath, text: '', tooLarge: true, bytes: size, size };
    return { path: filepath, text: bytes ? Buffer.from(bytes).toString('utf8') : '' };
  };
}

/**
 * Texts of files as a caller already has them (the render index keeps the source files' texts), by
 * path; `reused` counts the files readRevisionFiles took from them instead of reading their blob.
 */
export interface KnownTexts {
  texts: ReadonlyMap<string, string>;
  reused: number;
}

/** A lone surrogate: UTF-8 cannot carry it, so a text holding one is no blob's decoded text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The known text of `filepath` when it is exactly the blob `oid` decoded (what reading it gives):
 * its UTF-8 bytes hash to that oid, and it is within the size limit. Equal oids are equal bytes.
 */
function knownText(known: KnownTexts, filepath: string, oid: string, maxFileBytes: number): string | undefined {
  const text = known.texts.get(filepath);
  if (text === undefined || LONE_SURROGATE.test(text)) return undefined;
  const body = Buffer.from(text, 'utf8');
  if (body.byteLength > maxFileBytes) return undefined;
  const blob = createHash('sha1').update(`blob ${body.byteLength}\0`).update(body).digest('hex');
  if (blob !== oid) return undefined;
  known.reused++;
  return text;
}

/**
 * Whether `filepath` (posix, relative to the root) is a file readRevisionFiles would return under
 * `subpath`, symlinks aside: a *.yaml/*.yml inside `subpath`, below no dot-directory or
 * node_modules. The reconciler filters a commit's changed paths with it, so an incremental sync
 * reads exactly the files a full read would.
 */
export function isFleetFilePath(filepath: string, subpath?: string, allFiles = false): boolean {
  const sub = normalizeSubpath(subpath);
  if (!isInside(filepath, sub) || !(allFiles || isYamlName(filepath))) return false;
  const parts = filepath.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (!wantsDirectory(parts.slice(0, i).join('/'), sub)) return false;
  }
  return true;
}

/** The git directory holding a repository's objects and refs: `.git` of a work tree, or a bare repository itself. */
export async function locateGitDirectory(dir: string): Promise<string> {
  return (await locateRepository(dir)).gitdir;
}

// ---------------------------------------------------------------- repository discovery

/** Finds the git directory of a work tree (`.git` dir or file) or accepts a bare git directory. */
async function locateRepository(dir: string): Promise<RepositoryLocation> {
  const root = path.resolve(dir);
  const dotgit = path.join(root, '.git');
  const stat = await fs.promises.stat(dotgit).catch(() => null);
  let gitdir: string;
  if (stat?.isDirectory()) {
    gitdir = dotgit;
  } else if (stat?.isFile()) {
    // Submodules and linked worktrees: `.git` is a file holding `gitdir: <path>`.
    const text = await fs.promises.readFile(dotgit, 'utf8');
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    if (!match) throw notARepository(dir, `${dotgit} does not name a git directory`);
    gitdir = path.resolve(root, match[1]!);
  } else if (await isGitDirectory(root)) {
    gitdir = root;
  } else {
    throw notARepository(dir, 'no .git directory and not a bare repository');
  }
  if (!(await isGitDirectory(gitdir, true))) throw notARepository(dir, `${gitdir} is not a git directory`);
  // A linked worktree keeps only HEAD (and the index) in its own gitdir; objects and refs live in
  // the common directory that `commondir` names. isomorphic-git does not follow it, so we do.
  const commondir = await fs.promises.readFile(path.join(gitdir, 'commondir'), 'utf8').catch(() => null);
  if (commondir !== null) {
    return { dir, gitdir: path.resolve(gitdir, commondir.trim()), headGitdir: gitdir };
  }
  return { dir, gitdir, headGitdir: gitdir };
}

/** git's own test (setup.c is_git_directory): a HEAD file and an objects directory. */
async function isGitDirectory(candidate: string, linkedWorktree = false): Promise<boolean> {
  const head = await fs.promises.stat(path.join(candidate, 'HEAD')).catch(() => null);
  if (!head?.isFile()) return false;
  if (linkedWorktree && (await fs.promises.stat(path.join(candidate, 'commondir')).catch(() => null))) return true;
  const objects = await fs.promises.stat(path.join(candidate, 'objects')).catch(() => null);
  return objects?.isDirectory() ?? false;
}

function notARepository(dir: string, why: string): FlotillaError {
  return new FlotillaError('NOT_A_REPOSITORY', `not a git repository: ${dir} (${why})`, { dir });
}

// ---------------------------------------------------------------- revision resolution

/** Resolves `ref` in a located repository, following `~N`/`^N` steps to a commit. */
async function resolveIn(location: RepositoryLocation, ref: string, cache: object): Promise<string> {
  const [, base = '', steps = ''] = ANCESTRY.exec(ref.trim())!;
  if (!isPlausibleRefName(base)) throw unknownRef(location, ref);
  let commit = await peelToCommit(location, ref, await resolveBase(location, ref, base, cache), cache);
  for (const step of steps.match(/[~^]\d*/g) ?? []) {
    const n = step.length > 1 ? Number(step.slice(1)) : 1;
    // `~N` walks N first parents; `^N` takes the N-th parent (`^0` is the commit itself).
    const hops = step[0] === '~' ? Array.from({ length: n }, () => 1) : [n];
    for (const parentIndex of hops) {
      if (parentIndex === 0) continue;
      const parent = (await readCommitOrNull(location, commit, cache))?.parent[parentIndex - 1];
      if (!parent) throw unknownRef(location, ref);
      commit = parent;
    }
  }
  // A shallow clone lists parents whose objects it does not have: such a parent is unknown here.
  if (steps !== '' && !(await readCommitOrNull(location, commit, cache))) throw unknownRef(location, ref);
  return commit;
}

async function readCommitOrNull(location: RepositoryLocation, oid: string, cache: object) {
  try {
    return (await git.readCommit({ fs, gitdir: location.gitdir, oid, cache })).commit;
  } catch (err) {
    if (isGitError(err, 'NotFoundError')) return null;
    throw err;
  }
}

/**
 * The object a revision name points at, in git rev-parse's order (object-name.c get_oid_basic):
 * a full oid is taken as an oid; otherwise ref names win (`refs/<x>`, tags, heads, remotes),
 * and only then is a hex string tried as an abbreviated oid.
 */
async function resolveBase(location: RepositoryLocation, ref: string, base: string, cache: object): Promise<string> {
  const name = base === '@' ? 'HEAD' : base;
  if (FULL_OID.test(name)) {
    if (!(await objectExists(location, name, cache))) throw unknownRef(location, ref);
    return name;
  }
  try {
    if (name === 'HEAD' && location.headGitdir !== location.gitdir) return await resolveWorktreeHead(location);
    return await git.resolveRef({ fs, gitdir: location.gitdir, ref: name });
  } catch (err) {
    if (!isGitError(err, 'NotFoundError')) throw err;
  }
  if (SHORT_OID.test(name)) {
    try {
      return await git.expandOid({ fs, gitdir: location.gitdir, oid: name, cache });
    } catch (err) {
      if (isGitError(err, 'AmbiguousError')) {
        const matches = ((err as { data?: { matches?: string[] } }).data?.matches ?? []).slice().sort();
        throw new FlotillaError('AMBIGUOUS_REF', `ambiguous revision "${ref}" in ${location.dir}: matches ${matches.join(', ')}`, {
          dir: location.dir,
          ref,
          matches,
        });
      }
      if (!isGitError(err, 'NotFoundError')) throw err;
    }
  }
  throw unknownRef(location, ref);
}

/** HEAD of a linked worktree: its own HEAD file, pointing into the common refs. */
async function resolveWorktreeHead(location: RepositoryLocation): Promise<string> {
  const head = (await fs.promises.readFile(path.join(location.headGitdir, 'HEAD'), 'utf8')).trim();
  if (head.startsWith('ref: ')) return git.resolveRef({ fs, gitdir: location.gitdir, ref: head.slice(5).trim() });
  return head;
}

/** Annotated tags point at other objects; follow them to the commit a revision means. */
async function peelToCommit(location: RepositoryLocation, ref: string, oid: string, cache: object): Promise<string> {
  let current = oid;
  for (let depth = 0; depth < 16; depth++) {
    const { type, object } = await git.readObject({ fs, gitdir: location.gitdir, oid: current, cache, format: 'parsed' });
    if (type === 'commit') return current;
    if (type !== 'tag') {
      throw new FlotillaError('UNKNOWN_REF', `revision "${ref}" in ${location.dir} is a ${type}, not a commit`, {
        dir: location.dir,
        ref,
      });
    }
    current = (object as { object: string }).object;
  }
  throw unknownRef(location, ref);
}

async function objectExists(location: RepositoryLocation, oid: string, cache: object): Promise<boolean> {
  try {
    await git.readObject({ fs, gitdir: location.gitdir, oid, cache, format: 'deflated' });
    return true;
  } catch (err) {
    if (isGitError(err, 'NotFoundError')) return false;
    throw err;
  }
}

/**
 * Rejects names git's check-ref-format would refuse before they reach the file system: a ref
 * name is read as a file under the git directory, so `..` or an absolute path must never pass.
 */
function isPlausibleRefName(name: string): boolean {
  if (name === '' || name.startsWith('/') || name.endsWith('/') || name.endsWith('.lock')) return false;
  if (name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(name);
}

function unknownRef(location: RepositoryLocation, ref: string): FlotillaError {
  return new FlotillaError('UNKNOWN_REF', `unknown revision "${ref}" in ${location.dir}`, { dir: location.dir, ref });
}

// ---------------------------------------------------------------- tree walking

/** Runs a walk, turning isomorphic-git's missing-object errors into a message that names the revision. */
async function walkOrExplain(location: RepositoryLocation, revision: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof FlotillaError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new FlotillaError('GIT_READ_FAILED', `cannot read revision ${revision} in ${location.dir}: ${message}`, {
      dir: location.dir,
      revision,
      cause: (err as { code?: string }).code ?? null,
    });
  }
}

/** Normalizes `--path` to a posix path relative to the root ('' = whole repository). */
function normalizeSubpath(subpath: string | undefined): string {
  if (subpath === undefined || subpath === '' || subpath === '.') return '';
  const normalized = path.posix.normalize(subpath).replace(/\/+$/, '');
  if (path.posix.isAbsolute(subpath) || normalized === '..' || normalized.startsWith('../')) {
    throw new FlotillaError('PATH_OUTSIDE_REPO', `path "${subpath}" is outside the repository`, { path: subpath });
  }
  return normalized === '.' ? '' : normalized;
}

/** True when `filepath` is `sub` itself or below it. */
function isInside(filepath: string, sub: string): boolean {
  return sub === '' || filepath === sub || filepath.startsWith(sub + '/');
}

/**
 * Whether to descend into a directory: it must lead to `sub` or lie inside it, and below `sub` it
 * must not be a dot-directory or node_modules. Directories on the way to `sub` are the user's
 * explicit choice (`--path .fleet` is allowed), so they are never skipped.
 */
function wantsDirectory(dir: string, sub: string): boolean {
  if (dir === sub || sub.startsWith(dir + '/')) return true;
  if (!isInside(dir, sub)) return false;
  const name = dir.slice(dir.lastIndexOf('/') + 1);
  return !name.startsWith('.') && name !== 'node_modules';
}

function isYamlName(filepath: string): boolean {
  return filepath.endsWith('.yaml') || filepath.endsWith('.yml');
}

function isGitError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
