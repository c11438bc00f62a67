// The fleet repository as the reconciler reaches it: an http(s) remote cloned into a cache
// directory (no work tree) and fetched incrementally, or a local repository read in place. Both
// offer the same operations — fetch the source branch, read and fetch other branches, publish a
// commit to a branch without ever forcing — so the reconciler does not care which it has.
//
// docs/design/libraries.md §1: fetch and clone take no signal, so every request gets a timeout through a
// wrapped http client; a later fetch never passes `depth` (that re-sends the whole snapshot);
// packs pile up (isomorphic-git has no gc), so the cache is repacked with the git CLI.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { Logger } from 'pino';
import type { SourceConfig, SourceCredentials } from '../config/schema.js';
import { FlotillaError } from '../model/diagnostics.js';
import { locateGitDirectory, readRevisionFiles, type ChangedPath, type KnownTexts } from './git-revision.js';
import { ObjectStore } from './objects.js';
import { discoverReceivePack, sendReceivePack, ZERO_OID } from './receive-pack.js';
import { httpStatusOf, isTransient, withRetry } from './retry.js';
import type { SourceFile } from '../load/parse.js';

/** What the reconciler needs from the fleet repository. */
export interface SourceRepository {
  /** The URL or path for messages; never carries a secret. */
  readonly displayUrl: string;
  readonly objects: ObjectStore;
  /** Clones when needed, fetches the source branch; returns its tip commit. */
  fetchSource(): Promise<string>;
  /** Fetches `branch` of the repository; its tip, or null when it does not exist. */
  fetchBranch(branch: string): Promise<string | null>;
  /** The last fetched tip of `branch` without any network call (null when unknown). */
  knownTip(branch: string): Promise<string | null>;
  /**
   * Moves `branch` to `commit`, which must descend from `expected` (its tip as last seen; null
   * for a new branch). Never forces: throws FlotillaError NON_FAST_FORWARD when the branch moved.
   */
  publish(branch: string, commit: string, expected: string | null): Promise<void>;
  changedPaths(from: string, to: string): Promise<ChangedPath[]>;
  /**
   * The fleet's YAML files at `commit`, or every file with `allFiles` (what the folder builder
   * reads); a file whose blob is one of the `known` texts is not read (readRevisionFiles).
   */
  readFleetFiles(commit: string, subpath: string, allFiles?: boolean, known?: KnownTexts): Promise<SourceFile[]>;
  /** Housekeeping after a reconcile (repack the cache). */
  maintain(): Promise<void>;
  /** Branch tips on the server: one cheap request, for `doctor` (reachability and auth). */
  probe(): Promise<Map<string, string>>;
}

export interface OpenOptions {
  source: SourceConfig;
  credentials: SourceCredentials | null;
  log: Logger;
  sleep(ms: number): Promise<void>;
  /** Repack once the cache holds more packs than this (default 8). */
  maxPacks?: number;
  /** Clone the branch's whole history, not its tip only (a Kurator Application pinned to an older commit). */
  fullHistory?: boolean;
}

/** Opens the configured source: a cached clone for http(s), the repository itself for a path. */
export async function openSourceRepository(opts: OpenOptions): Promise<SourceRepository> {
  if (opts.source.transport === 'local') return LocalRepository.open(opts);
  return new HttpRepository(opts);
}

/** The cache folder of one source: the same URL and branch always map to the same folder. */
export function cacheFolder(source: SourceConfig): string {
  const id = createHash('sha256').update(`${source.url}\n${source.branch}`).digest('hex').slice(0, 16);
  // The readable part names host and path only: a query string, a fragment or a `user@` would
  // put whatever they carry into a folder name that `ls` and logs show (the hash tells apart
  // URLs that differ only there).
  const bare = source.url
    .replace(/[?#][\s\S]*$/, '')
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/^[^/]*@/, '');
  const name = bare.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-40);
  return path.join(source.cacheDir, `${name}-${id}`);
}

/** Removes credentials and query strings from a URL before it appears in a message. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * git.fetch of one branch into its remote-tracking ref, telling the server the commit that ref
 * already holds, and surviving a remote whose HEAD is unborn (`git init --bare`, then users push
 * main while HEAD still names master).
 *
 * isomorphic-git's single-branch fetch offers as "have" only the local ref its `ref` names, and a
 * bare branch name expands to refs/heads/<branch>, which the cache never has: with no have at all,
 * the server sent the whole snapshot of the tip on every fetch (a shallow clone's fetch is as deep
 * as the clone), ten times the time of `git fetch` at fleet scale. So `ref` is the remote-tracking
 * ref itself and `remoteRef` the branch on the server.
 *
 * isomorphic-git writes the fetched refs and objects first, then looks the remote's HEAD up for
 * clone's sake and throws NotFoundError when the server advertises none; for a single-branch fetch
 * that lookup is all that failed.
 */
async function fetchBranchRefs(args: Omit<Parameters<typeof git.fetch>[0], 'ref' | 'remoteRef'> & { branch: string }): Promise<void> {
  const { branch, ...rest } = args;
  const tracking = `refs/remotes/${args.remote ?? 'origin'}/${branch}`;
  try {
    await git.fetch({ ...rest, ref: tracking, remoteRef: branch });
  } catch (e) {
    const err = e as { code?: string; data?: { what?: string } };
    if (!(args.singleBranch && err.code === 'NotFoundError' && err.data?.what === 'HEAD')) throw e;
    // Still an error when the branch itself did not arrive.
    await git.resolveRef({ fs: args.fs, gitdir: args.gitdir, ref: tracking }).catch(() => {
      throw e;
    });
  }
}

class HttpRepository implements SourceRepository {
  readonly displayUrl: string;
  readonly objects: ObjectStore;
  private readonly gitdir: string;
  private readonly http: { request: typeof http.request };
  private cloned = false;

  constructor(private readonly opts: OpenOptions) {
    this.displayUrl = displayUrl(opts.source.url);
    this.gitdir = path.join(cacheFolder(opts.source), 'repo.git');
    this.objects = new ObjectStore(this.gitdir);
    const ms = opts.source.timeoutSeconds * 1000;
    this.http = { request: (r) => http.request({ ...r, signal: r.signal ?? AbortSignal.timeout(ms) }) };
  }

  /** Basic credentials for the requests flotilla makes itself (isomorphic-git's take onAuth). */
  private get authHeaders(): Record<string, string> {
    const c = this.opts.credentials;
    return c ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {};
  }

  private get onAuth() {
    const c = this.opts.credentials;
    return c ? () => ({ username: c.username, password: c.password }) : undefined;
  }

  /** Runs one network operation with retries, mapping its final failure to a FlotillaError. */
  private async network<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(op, this.opts.source.retry, {
        sleep: this.opts.sleep,
        onRetry: (attempt, error, delayMs) =>
          this.opts.log.warn({ op: what, attempt, delayMs, err: summarize(error) }, `${what} failed, retrying in ${delayMs} ms`),
      });
    } catch (e) {
      throw explainGitError(e, what, this.displayUrl, this.opts.source, this.opts.credentials !== null);
    }
  }

  async fetchSource(): Promise<string> {
    const { branch } = this.opts.source;
    if (!this.cloned) this.cloned = await this.hasClone();
    if (!this.cloned) {
      await this.network(`clone ${this.displayUrl}`, () => this.cloneFresh());
      this.cloned = true;
    } else {
      await this.fetchOne(branch);
    }
    const tip = await this.knownTip(branch);
    if (!tip)
      throw new FlotillaError('BRANCH_NOT_FOUND', `branch "${branch}" not found in ${this.displayUrl}`, { url: this.displayUrl, branch });
    return tip;
  }

  /** A clone is usable when its remote-tracking ref of the source branch resolves. */
  private async hasClone(): Promise<boolean> {
    return (await this.knownTip(this.opts.source.branch)) !== null;
  }

  /**
   * Clones into a fresh folder, then renames it into place, so an interrupted clone never counts.
   * init + fetch of the one branch rather than git.clone: clone follows the remote's HEAD, which
   * may name a branch nobody pushed (`git init --bare`, then users push main; HEAD says master).
   */
  private async cloneFresh(): Promise<void> {
    const folder = path.dirname(this.gitdir);
    await fs.promises.mkdir(folder, { recursive: true });
    const temp = await fs.promises.mkdtemp(path.join(folder, 'clone-'));
    const { url, branch } = this.opts.source;
    try {
      await git.init({ fs, gitdir: temp, bare: true, defaultBranch: branch });
      await git.addRemote({ fs, gitdir: temp, remote: 'origin', url });
      await fetchBranchRefs({
        fs,
        http: this.http,
        gitdir: temp,
        remote: 'origin',
        branch,
        singleBranch: true,
        tags: false,
        // A clone for a pinned commit needs the branch's history; the fleet's own clone needs its tip only.
        ...(this.opts.fullHistory ? {} : { depth: 1 }),
        onAuth: this.onAuth,
        cache: {},
      });
      await fs.promises.rm(this.gitdir, { recursive: true, force: true });
      await fs.promises.rename(temp, this.gitdir);
      this.objects.resetCache();
    } catch (e) {
      await fs.promises.rm(temp, { recursive: true, force: true });
      if ((e as { code?: string }).code === 'NotFoundError') {
        throw new FlotillaError('BRANCH_NOT_FOUND', `branch "${branch}" not found in ${this.displayUrl}`, { url: this.displayUrl, branch });
      }
      throw e;
    }
  }

  async fetchBranch(branch: string): Promise<string | null> {
    if (!this.cloned) await this.fetchSource();
    const exists = await this.network(`look up ${branch} on ${this.displayUrl}`, async () => {
      const refs = await git.listServerRefs({
        http: this.http,
        url: this.opts.source.url,
        prefix: `refs/heads/${branch}`,
        onAuth: this.onAuth,
      });
      return refs.some((r) => r.ref === `refs/heads/${branch}`);
    });
    if (!exists) {
      await git.deleteRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}` }).catch(() => undefined);
      return null;
    }
    await this.fetchOne(branch);
    return this.knownTip(branch);
  }

  /** Fetches one branch into the cache (its remote-tracking ref), surviving an unborn remote HEAD. */
  private fetchOne(branch: string): Promise<void> {
    return this.network(`fetch ${branch} from ${this.displayUrl}`, () =>
      fetchBranchRefs({
        fs,
        http: this.http,
        gitdir: this.gitdir,
        url: this.opts.source.url,
        remote: 'origin',
        branch,
        singleBranch: true,
        tags: false,
        onAuth: this.onAuth,
        cache: this.objects.packCache,
      }),
    );
  }

  async knownTip(branch: string): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}` });
    } catch {
      return null;
    }
  }

  async publish(branch: string, commit: string, expected: string | null): Promise<void> {
    if (expected !== null && !(await this.objects.isAncestor(expected, commit))) {
      throw nonFastForward(branch, this.displayUrl);
    }
    const ref = `refs/heads/${branch}`;
    await git.writeRef({ fs, gitdir: this.gitdir, ref, value: commit, force: true });
    await this.network(`push ${branch} to ${this.displayUrl}`, async () => {
      const { refs, capabilities } = await discoverReceivePack(this.http, this.opts.source.url, this.authHeaders);
      const old = refs.get(ref) ?? ZERO_OID;
      if (old === commit) return;
      // The branch moved (or was created, rewound, deleted) since the caller saw it: not retried
      // here, the caller must rebuild its commit on the new tip first. `commit` descends from
      // `expected` (checked above), so an update from `expected` is a fast-forward.
      if (old !== (expected ?? ZERO_OID)) throw nonFastForward(branch, this.displayUrl);
      const { pack } = await this.objects.packSince(commit, old === ZERO_OID ? null : old);
      const report = await sendReceivePack(this.http, this.opts.source.url, this.authHeaders, {
        ref,
        old,
        next: commit,
        pack,
        capabilities,
      });
      if (report.unpack !== 'ok') {
        const message = `push ${branch} to ${this.displayUrl}: the server could not store the objects (${report.unpack})`;
        throw new FlotillaError('GIT_FAILED', message, { url: this.displayUrl, branch });
      }
      // Any refusal of the ref update counts, whatever the server's words ("failed to update ref"
      // when a push landed between our discovery and our update, "cannot lock ref", a hook's…).
      if (report.refused !== null) throw nonFastForward(branch, this.displayUrl, report.refused);
    });
    await git.writeRef({ fs, gitdir: this.gitdir, ref: `refs/remotes/origin/${branch}`, value: commit, force: true });
  }

  changedPaths(from: string, to: string): Promise<ChangedPath[]> {
    return this.objects.changedPaths(from, to);
  }

  readFleetFiles(commit: string, subpath: string, allFiles = false, known?: KnownTexts): Promise<SourceFile[]> {
    return readFleetFilesWith(this.objects, this.gitdir, commit, subpath, allFiles, known);
  }

  async maintain(): Promise<void> {
    const packDir = path.join(this.gitdir, 'objects', 'pack');
    const packs = (await fs.promises.readdir(packDir).catch(() => [] as string[])).filter((f) => f.endsWith('.pack'));
    if (packs.length <= (this.opts.maxPacks ?? 8)) return;
    try {
      await run('git', ['repack', '-a', '-d', '-q'], this.gitdir, this.opts.source.timeoutSeconds * 1000);
      this.objects.resetCache();
      this.opts.log.info({ packs: packs.length }, 'repacked the cache');
    } catch (e) {
      this.opts.log.warn({ err: summarize(e) }, 'could not repack the cache (is the git CLI installed?); packs keep piling up');
    }
  }

  async probe(): Promise<Map<string, string>> {
    const refs = await this.network(`list branches of ${this.displayUrl}`, () =>
      git.listServerRefs({ http: this.http, url: this.opts.source.url, prefix: 'refs/heads/', onAuth: this.onAuth }),
    );
    return new Map(refs.map((r) => [r.ref.replace(/^refs\/heads\//, ''), r.oid]));
  }
}

/** A repository on this machine, read in place; branches are updated with git's own ref lock. */
class LocalRepository implements SourceRepository {
  readonly displayUrl: string;
  readonly objects: ObjectStore;

  private constructor(
    private readonly opts: OpenOptions,
    private readonly gitdir: string,
  ) {
    this.displayUrl = opts.source.localPath ?? opts.source.url;
    this.objects = new ObjectStore(gitdir);
  }

  static async open(opts: OpenOptions): Promise<LocalRepository> {
    const dir = opts.source.localPath ?? opts.source.url;
    let gitdir: string;
    try {
      gitdir = await locateGitDirectory(dir);
    } catch (e) {
      if (e instanceof FlotillaError)
        throw new FlotillaError('SOURCE_UNREACHABLE', `source ${dir} is not a git repository: ${e.message}`, { url: dir });
      throw e;
    }
    return new LocalRepository(opts, gitdir);
  }

  async fetchSource(): Promise<string> {
    const tip = await this.knownTip(this.opts.source.branch);
    if (!tip)
      throw new FlotillaError('BRANCH_NOT_FOUND', `branch "${this.opts.source.branch}" not found in ${this.displayUrl}`, {
        url: this.displayUrl,
        branch: this.opts.source.branch,
      });
    return tip;
  }

  fetchBranch(branch: string): Promise<string | null> {
    return this.knownTip(branch);
  }

  async knownTip(branch: string): Promise<string | null> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: `refs/heads/${branch}` });
    } catch {
      return null;
    }
  }

  async publish(branch: string, commit: string, expected: string | null): Promise<void> {
    // git's protocol (refs.c): create `<ref>.lock` exclusively, compare, write, rename into place.
    // Another flotilla or a `git` command holding the lock makes this attempt a non-fast-forward.
    const refFile = path.join(this.gitdir, 'refs', 'heads', ...branch.split('/'));
    await fs.promises.mkdir(path.dirname(refFile), { recursive: true });
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(`${refFile}.lock`, 'wx');
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') throw nonFastForward(branch, this.displayUrl);
      throw e;
    }
    try {
      const current = await this.knownTip(branch);
      if (current !== expected || (expected !== null && !(await this.objects.isAncestor(expected, commit)))) {
        throw nonFastForward(branch, this.displayUrl);
      }
      await handle.writeFile(`${commit}\n`);
      await handle.close();
      await fs.promises.rename(`${refFile}.lock`, refFile);
    } catch (e) {
      await handle.close().catch(() => undefined);
      await fs.promises.rm(`${refFile}.lock`, { force: true });
      throw e;
    }
  }

  changedPaths(from: string, to: string): Promise<ChangedPath[]> {
    return this.objects.changedPaths(from, to);
  }

  readFleetFiles(commit: string, subpath: string, allFiles = false, known?: KnownTexts): Promise<SourceFile[]> {
    return readFleetFilesWith(this.objects, this.gitdir, commit, subpath, allFiles, known);
  }

  async maintain(): Promise<void> {
    // The user's own repository: its housekeeping is theirs (git gc), not ours.
  }

  async probe(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const b of await git.listBranches({ fs, gitdir: this.gitdir })) {
      const tip = await this.knownTip(b);
      if (tip) out.set(b, tip);
    }
    return out;
  }
}

/** The branch moved (or the server refused our update of it): the caller re-reads the tip and rebuilds. */
function nonFastForward(branch: string, url: string, serverReason?: string): FlotillaError {
  const why = serverReason === undefined ? 'moved while flotilla was writing to it' : `was not updated (${serverReason})`;
  return new FlotillaError('NON_FAST_FORWARD', `branch ${branch} of ${url} ${why}`, { branch, url });
}

/** Maps a failed git operation to an error that says what the user must do (docs/design/conventions.md 5). */
export function explainGitError(e: unknown, what: string, url: string, source: SourceConfig, hasCredentials: boolean): FlotillaError {
  if (e instanceof FlotillaError) return e;
  const status = httpStatusOf(e);
  if (status === 401 || status === 403) {
    const names = source.auth
      ? [source.auth.usernameEnv, source.auth.passwordEnv, source.auth.tokenEnv]
          .filter(Boolean)
          .map((n) => `$${n}`)
          .join(' and ')
      : '';
    const hint = hasCredentials ? `check the credentials in ${names}` : 'the server wants credentials: name them in source.auth';
    return new FlotillaError('AUTH_FAILED', `authentication failed for ${url} (HTTP ${status}): ${hint}`, {
      url,
      status,
      retryable: false,
    });
  }
  if (status === 404)
    return new FlotillaError('REPOSITORY_NOT_FOUND', `no git repository at ${url} (HTTP 404)`, { url, status, retryable: false });
  const message = summarize(e).message;
  if (isTransient(e)) {
    return new FlotillaError(
      'SOURCE_UNREACHABLE',
      `${what} failed after ${source.retry.attempts} attempt${source.retry.attempts === 1 ? '' : 's'}: ${message}`,
      { url, status, retryable: true },
    );
  }
  return new FlotillaError('GIT_FAILED', `${what} failed: ${message}`, { url, status, retryable: false });
}

/** A short, secret-free summary of an error for logs. */
export function summarize(e: unknown): { code: string | null; message: string } {
  const err = e as { code?: string; message?: string; name?: string } | null;
  const code = err?.code ?? err?.name ?? null;
  const message = (err?.message ?? String(e)).split('\n')[0]!;
  return { code, message };
}

function run(cmd: string, args: string[], cwd: string, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout, env: { ...process.env, GIT_DIR: cwd } }, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * A revision's fleet files with the object store's own reads (pack reader, node's zlib) instead of
 * isomorphic-git's walk, which inflates each object in JavaScript: what readRevisionFiles gives
 * either way (test/source/tree-walk.test.ts).
 */
function readFleetFilesWith(
  objects: ObjectStore,
  gitdir: string,
  commit: string,
  subpath: string,
  allFiles: boolean,
  known: KnownTexts | undefined,
): Promise<SourceFile[]> {
  return objects.withPackReader(() =>
    readRevisionFiles({ dir: gitdir, commit, subpath, cache: objects.packCache, allFiles, known, objects }),
  );
}
