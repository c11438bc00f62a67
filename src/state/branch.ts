// Reading and writing the status branch without a work tree (docs/design/libraries.md §1: writeBlob,
// writeTree, writeCommit, push). A status commit changes only status.yaml, README.md,
// manifests/ (and, with live clusters, observed-clusters.yaml) of the branch's current tree, with the current tip as its only parent: history stays
// linear and is never rewritten. When another writer moved the branch, the commit is rebuilt on
// the new tip and pushed again.
import { parse } from 'yaml';
import { FlotillaError } from '../model/diagnostics.js';
import { manifestPath } from '../render/layout.js';
import { CLUSTER_ANNOTATION } from '../objects/tracking.js';
import { clusterObjectId, refOfObject } from '../objects/identity.js';
import type { AppliedObject } from './change-set.js';
import { EMPTY_TREE, type ObjectStore, type Signature } from '../source/objects.js';
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

/** How often a status commit is rebuilt on a moving branch before the attempt fails. */
const MAX_PUBLISH_ATTEMPTS = 6;

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

/**
 * The applied state recorded under manifests/: every object file parsed back. Its cluster is the
 * one its tracking annotation names (the folder name may be %-encoded); files that do not parse
 * are skipped with a warning, and the next reconcile writes them again.
 */
export async function readAppliedState(
  objects: ObjectStore,
  manifestsTree: string | null,
  warn: (message: string) => void = () => undefined,
): Promise<Map<string, AppliedObject>> {
  const state = new Map<string, AppliedObject>();
  if (!manifestsTree) return state;
  for (const [path, oid] of await objects.listTree(manifestsTree)) {
    const text = await objects.readBlobText(oid);
    let object: Record<string, unknown>;
    try {
      object = parse(text, { version: '1.1', maxAliasCount: 100 }) as Record<string, unknown>;
    } catch (e) {
      warn(`${MANIFESTS_DIR}/${path}: not YAML (${(e as Error).message.split('\n')[0]}); it will be rewritten`);
      continue;
    }
    if (!object || typeof object !== 'object' || typeof object.kind !== 'string') {
      warn(`${MANIFESTS_DIR}/${path}: not a Kubernetes object; it will be rewritten`);
      continue;
    }
    const annotations = ((object.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<
      string,
      string
    >;
    const cluster = annotations[CLUSTER_ANNOTATION] ?? path.split('/')[0]!;
    const ref = refOfObject(object);
    const id = clusterObjectId(cluster, ref);
    state.set(id, { id, cluster, ref, path, qualified: path !== manifestPath(cluster, ref), oid, object });
  }
  return state;
}

/**
 * Commits `status` (and manifests/ = `manifestsTree`) on top of `tip` and publishes it; on a
 * non-fast-forward, fetches the new tip and rebuilds. Returns the new tip.
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
  onRetry?: (attempt: number, newTip: string | null) => void;
}): Promise<string> {
  const { repo, branch } = opts;
  const statusBlob = await repo.objects.writeBlob(serializeStatus(opts.status));
  const readmeBlob = await repo.objects.writeBlob(statusReadme(opts.status));
  const manifests = opts.manifestsTree && opts.manifestsTree !== EMPTY_TREE ? { tree: opts.manifestsTree } : null;
  const observedBlob = typeof opts.observed === 'string' ? await repo.objects.writeBlob(opts.observed) : opts.observed;
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
      if (!(e instanceof FlotillaError && e.code === 'NON_FAST_FORWARD') || attempt >= MAX_PUBLISH_ATTEMPTS) throw e;
      tip = await repo.fetchBranch(branch);
      opts.onRetry?.(attempt, tip);
    }
  }
}
