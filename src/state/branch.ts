// Reading and writing the status branch without a work tree (docs/design/libraries.md §1: writeBlob,
// writeTree, writeCommit, push): where its tip is, what it records, and the one writer of its
// commits. A status commit changes only status.yaml, README.md, manifests/ (and, with live
// clusters, observed-clusters.yaml) of the branch's current tree, with the current tip as its only
// parent: history stays linear and is never rewritten. When another writer moved the branch (or the
// server refused the push for any reason), the commit is rebuilt on the new tip and pushed again.
import { TRAFFIC_FILE } from './traffic.js';
import { mapLimit } from '../kube/limit.js';
import { FlotillaError } from '../model/diagnostics.js';
import { ownCopy } from '../objects/json.js';
import { appliedObjectOf } from './applied-files.js';
import { contentHash, type AppliedObject, type ObjectChange } from './change-set.js';
import { locateGitDirectory, resolveRevision } from '../source/git-revision.js';
import { EMPTY_TREE, ObjectStore, type Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import {
  MANIFESTS_DIR,
  OBSERVED_FILE,
  parseStatus,
  README_FILE,
  serializeStatus,
  STATUS_FILE,
  statusCommitMessage,
  type ReconcileStatus,
} from './document.js';
import { statusReadme } from './readme.js';

/** How often a status commit is pushed, rebuilt each time on the branch's new tip, before the attempt fails. */
export const MAX_PUBLISH_ATTEMPTS = 5;
/** Backoff between those attempts: 100 ms, doubling, at most 2 s (another writer gets to finish). */
const PUBLISH_BACKOFF = { initialMs: 100, maxMs: 2000 };

/** The status branch at one commit. */
export interface StatusSnapshot {
  commit: string;
  status: ReconcileStatus | null;
  /** Tree of manifests/, null when the branch has none. */
  manifestsTree: string | null;
}

/** The status recorded at `commit` (a tip of the status branch). */
export async function readStatusAt(objects: ObjectStore, commit: string): Promise<StatusSnapshot> {
  const text = await objects.readTextAt(commit, STATUS_FILE);
  return { commit, status: text === null ? null : parseStatus(text), manifestsTree: await objects.treeOf(commit, MANIFESTS_DIR) };
}

/** A status branch tip in a local repository, and the object store to read it with. */
export interface StatusBranchTip {
  /** The ref it was found at: `<branch>` or `origin/<branch>`. */
  ref: string;
  commit: string;
  objects: ObjectStore;
}

/**
 * The status branch's tip in a local repository for the read-only commands: `<branch>`, else
 * `origin/<branch>` (what the last fetch saw), each resolved as `git rev-parse` would. Null when
 * neither exists, and when `dir` is not a Git repository at all: a plain folder has no status
 * branch, like a repository never reconciled.
 */
export async function statusBranchTip(dir: string, branch: string): Promise<StatusBranchTip | null> {
  const cache = {};
  for (const ref of [branch, `origin/${branch}`]) {
    try {
      const commit = await resolveRevision({ dir, ref, cache });
      return { ref, commit, objects: new ObjectStore(await locateGitDirectory(dir)) };
    } catch (e) {
      if (e instanceof FlotillaError && e.code === 'UNKNOWN_REF') continue;
      if (e instanceof FlotillaError && e.code === 'NOT_A_REPOSITORY') return null;
      throw e;
    }
  }
  return null;
}

/** Blobs of manifests/ read at once by the restore: one at a time, file-system latency dominated it. */
const RESTORE_CONCURRENCY = 16;

/**
 * Files of manifests/ (path relative to it, blob oid) as applied-state entries kept as their content
 * hash, in the order given, or the warning saying why a file is not one object: what the full
 * restore and the render index's roll-forward (applied-roll-forward.ts) read.
 */
export function readHashedEntries(
  objects: ObjectStore,
  files: ReadonlyArray<readonly [string, string]>,
): Promise<Array<AppliedObject | { problem: string }>> {
  return objects.withPackReader(() =>
    mapLimit(files, RESTORE_CONCURRENCY, async ([path, oid]): Promise<AppliedObject | { problem: string }> => {
      const entry = appliedObjectOf(path, oid, await objects.readBlobText(oid));
      if ('problem' in entry) return entry;
      // Kept for the whole process: its strings must not be views into the file's text (ownCopy).
      const { id, cluster, ref, qualified } = entry;
      const kept = {
        apiVersion: ownCopy(ref.apiVersion),
        kind: ownCopy(ref.kind),
        namespace: ownCopy(ref.namespace),
        name: ownCopy(ref.name),
      };
      return { id, cluster: ownCopy(cluster), ref: kept, path, qualified, oid, object: null, hash: contentHash(entry.object!) };
    }),
  );
}

/**
 * The applied state recorded under manifests/, read back with applied-files.ts appliedObjectOf;
 * files that are not one object are skipped with a warning, and the next reconcile writes them again.
 * Each object is kept as its content hash only, like a render-index restore: holding every parsed
 * object of a large fleet next to the new render was most of a cold restart's peak memory, and the
 * diff reads back (hydrateApplied) only the few it finds changed.
 */
export async function readAppliedState(
  objects: ObjectStore,
  manifestsTree: string | null,
  warn: (message: string) => void = () => undefined,
): Promise<Map<string, AppliedObject>> {
  const state = new Map<string, AppliedObject>();
  if (!manifestsTree) return state;
  const read = await readHashedEntries(objects, [...(await objects.listTree(manifestsTree))]);
  // In the tree's order, as before: warnings and map order do not depend on which read finished first.
  for (const entry of read) {
    if ('problem' in entry) warn(entry.problem);
    else state.set(entry.id, entry);
  }
  return state;
}

/**
 * Reads the content of applied objects restored without it (the render index keeps only their
 * hashes), from their blobs, in place: an entry's object is filled once and never changes after.
 * Returns how many it read.
 */
export async function hydrateApplied(objects: ObjectStore, entries: readonly AppliedObject[]): Promise<number> {
  let count = 0;
  await objects.withPackReader(async () => {
    for (const entry of entries) {
      if (entry.object !== null) continue;
      count++;
      const read = appliedObjectOf(entry.path, entry.oid, await objects.readBlobText(entry.oid));
      if ('problem' in read) throw new FlotillaError('INTERNAL', `${read.problem} (the render index listed it as one object)`);
      entry.object = read.object;
    }
  });
  return count;
}

/**
 * The edits that take manifests/ from the applied state a change set started from to the one it
 * ends with: path → blob oid, or null to delete. A moved object's old path is deleted; a path
 * both deleted and written (an apiVersion bump keeps the file name) keeps the new blob.
 */
export function manifestsEdits(changes: readonly ObjectChange[]): Map<string, string | null> {
  const edits = new Map<string, string | null>();
  for (const c of changes) {
    if (c.previousPath !== undefined) edits.set(c.previousPath, null);
    if (c.action === 'deleted') {
      if (!edits.has(c.path)) edits.set(c.path, null);
      continue;
    }
    edits.set(c.path, c.oid!);
  }
  return edits;
}

/**
 * Stores the blob of every text a change set writes. Every blob's oid must be the one the change
 * set computed, or the recorded state would not be what was written: each text is hashed as it
 * is stored, and one whose oid is not the change set's throws.
 */
export async function storeManifestBlobs(objects: ObjectStore, changes: readonly ObjectChange[]): Promise<void> {
  const written = changes.filter((c) => c.action !== 'deleted');
  await objects.writeBlobs(
    written.map((c) => c.text!),
    written.map((c) => c.oid!),
  );
}

/**
 * manifests/'s tree after a change set (null when it is empty): `tree` edited in place, so a
 * one-object change rewrites a handful of trees. Only tree objects are written: the blobs they
 * name are storeManifestBlobs's, and may still be on their way.
 */
export async function editManifestsTree(
  objects: ObjectStore,
  tree: string | null,
  changes: readonly ObjectChange[],
): Promise<string | null> {
  const edits = manifestsEdits(changes);
  if (edits.size === 0 && tree !== null) return tree;
  const next = await objects.editTree(tree, edits);
  return next === EMPTY_TREE ? null : next;
}

/**
 * Commits `status` (and manifests/ = `manifestsTree`) on top of `tip` and publishes it without
 * force. A refused push, whatever the server said, is taken for "the branch moved": after a
 * backoff the branch is fetched again and the commit rebuilt on its new tip (other files there
 * are kept), up to MAX_PUBLISH_ATTEMPTS pushes. Returns the new tip.
 */
export async function commitStatus(opts: {
  repo: SourceRepository;
  branch: string;
  tip: string | null;
  status: ReconcileStatus;
  manifestsTree: string | null;
  author: Signature;
  /** The observed-clusters file the render used (kubernetes target); undefined leaves the branch's copy as it is. */
  observed?: string | null;
  /** traffic.yaml (state/traffic.ts); undefined leaves the branch's copy as it is. */
  traffic?: string | null;
  onRetry?: (attempt: number, newTip: string | null) => void;
  /** Waits between attempts (the reconciler's clock); real time by default. */
  sleep?: (ms: number) => Promise<void>;
}): Promise<string> {
  const { repo, branch } = opts;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const statusBlob = await repo.objects.writeBlob(serializeStatus(opts.status));
  const readmeBlob = await repo.objects.writeBlob(statusReadme(opts.status));
  const manifests = opts.manifestsTree && opts.manifestsTree !== EMPTY_TREE ? { tree: opts.manifestsTree } : null;
  const observedBlob = typeof opts.observed === 'string' ? await repo.objects.writeBlob(opts.observed) : opts.observed;
  const trafficBlob = typeof opts.traffic === 'string' ? await repo.objects.writeBlob(opts.traffic) : opts.traffic;
  let tip = opts.tip;
  for (let attempt = 1; ; attempt++) {
    const base = tip ? (await repo.objects.readCommit(tip)).tree : null;
    const tree = await repo.objects.editTree(
      base,
      new Map<string, string | { tree: string } | null>([
        [STATUS_FILE, statusBlob],
        [README_FILE, readmeBlob],
        [MANIFESTS_DIR, manifests],
        ...(observedBlob !== undefined ? [[OBSERVED_FILE, observedBlob] as [string, string | null]] : []),
        ...(trafficBlob !== undefined ? [[TRAFFIC_FILE, trafficBlob] as [string, string | null]] : []),
      ]),
    );
    const commit = await repo.objects.writeCommit({
      tree,
      parents: tip ? [tip] : [],
      message: statusCommitMessage(opts.status),
      author: opts.author,
    });
    try {
      await repo.publish(branch, commit, tip);
      return commit;
    } catch (e) {
      if (!(e instanceof FlotillaError && e.code === 'NON_FAST_FORWARD')) throw e;
      if (attempt >= MAX_PUBLISH_ATTEMPTS) {
        throw new FlotillaError('NON_FAST_FORWARD', `${e.message}; gave up after ${attempt} attempts, each rebuilt on the new tip`, {
          branch,
        });
      }
      await sleep(Math.min(PUBLISH_BACKOFF.maxMs, PUBLISH_BACKOFF.initialMs * 2 ** (attempt - 1)));
      tip = await repo.fetchBranch(branch);
      opts.onRetry?.(attempt, tip);
    }
  }
}
