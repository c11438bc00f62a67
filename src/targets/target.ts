// What every target (directory, git branch, later Kubernetes) receives and reports. A target
// gets the change set of the diff stage and the full desired state; it keeps its own record of
// what it wrote, so it can catch up after a failure or a restart and never deletes what it did
// not write. A target over live clusters also reports what its last apply did there (lastResult):
// the reconciler writes such a target on every pass, since it compares with the live state.
import type { FleetSyncResult } from '../kube/fleet.js';
import type { ObjectChange } from '../state/change-set.js';
import type { KubeconfigSecretRef } from '../kube/connections.js';
import type { ObjectRef } from '../objects/identity.js';

export interface TargetPlan {
  /** The source revision being applied. */
  revision: string;
  /** What changed since the last applied state. */
  changes: readonly ObjectChange[];
  /** The whole desired state: layout path → blob oid. */
  files(): ReadonlyMap<string, string>;
  /**
   * files()' entries one at a time, without building its map (a restart's full compare walks every
   * file of the fleet once). A plan made from another by changing files() must change this too.
   */
  forEachFile(visit: (path: string, oid: string) => void): void;
  /** Number of objects in the desired state (files().size without building it). */
  total: number;
  /** The desired state's root tree in the repository's object database (null = no objects). */
  manifestsTree: string | null;
  /** The previous applied state's tree, which `changes` lead from. */
  previousManifestsTree: string | null;
  /** Text of a blob of the desired state. */
  readText(oid: string): Promise<string>;
  /** Compare everything with the target's own record instead of trusting `changes`. */
  full: boolean;
  /** Cluster of a layout path (its first segment maps back to the cluster name). */
  clusterOf(path: string): string;
  /**
   * The commit trailer Flotilla-Allow-Deletions let this revision's deletions past the reconciler's
   * guard: up to this many may go, and a target's own mass-deletion guard lets them (absent: none).
   */
  deletionsAllowed?: number;
}

export interface TargetReport {
  created: number;
  configured: number;
  unchanged: number;
  deleted: number;
  /** Clusters whose objects could not (all) be written. */
  failedClusters: string[];
  /** Objects not written. */
  failed: number;
  /**
   * Clusters the target worked on, when it works per cluster (kubernetes): a target whose failed
   * clusters are fewer than this applied the others, and the pass is Degraded, not Failed.
   */
  clusters?: number;
  /**
   * Clusters still applying in the background when the pass ended (cluster isolation,
   * src/kube/cluster-pipelines.ts): neither applied nor failed in this report.
   */
  applying?: string[];
  message: string | null;
  /** False when the target failed; `message` says why. */
  ok: boolean;
}

/** What targets that connect to the clusters need to know about the fleet beyond the plan: AttachedCluster secretRefs and tuning. */
export interface FleetInfo {
  clusters: ReadonlyArray<{ name: string; secretRef?: KubeconfigSecretRef }>;
  parallelism: number;
  /** The revision being applied has error diagnostics (pruning is then never allowed). */
  revisionHasErrors?: boolean;
  /** Old copies application failover keeps on the clusters it evicts their workload from (graceful eviction): never pruned. */
  retained?: ReadonlyArray<{ cluster: string; ref: ObjectRef; message: string }>;
}

export interface Target {
  /** For status and logs, e.g. `directory:./rendered` or `git:flotilla-rendered`. */
  readonly name: string;
  readonly type: 'directory' | 'git' | 'kubernetes';
  apply(plan: TargetPlan): Promise<TargetReport>;
  /**
   * Targets over live clusters only (kubernetes, sharded or not): what the last apply did there
   * (null before the first). Other targets leave it undefined.
   */
  readonly lastResult?: FleetSyncResult | null;
  /** Closes what the target holds open (cluster connections). */
  close?(): void;
  /**
   * Called when a pass begins that will apply this target in full (a restart, a failed target): the
   * target may start reading what that compare needs, so the reads overlap the pass's fetch and
   * render. What it read serves the next apply only; a later call starts over.
   */
  prepareFullCompare?(): void;
  /**
   * Targets over live clusters: passes wait for clusters at most `deadlineMs`, a slower cluster
   * goes on applying in the background and is reported by a later pass (the service turns it on).
   */
  applyInBackground?(deadlineMs: number): void;
  /**
   * Resolves once nothing applies in the background any more; `dropQueued` (shutting down): work
   * waiting behind a busy cluster never starts, only runs in progress are waited for.
   */
  settle?(opts?: { dropQueued?: boolean }): Promise<void>;
}

/**
 * Whether a target writes live clusters: it is written on every pass, changes or not, because it
 * compares with the live state (drift is corrected without a commit).
 */
export function writesLiveClusters(target: Target): boolean {
  return target.lastResult !== undefined;
}

/** Counts per action of a change set, as a target that applied it exactly would report them. */
export function countChanges(
  changes: readonly ObjectChange[],
  total: number,
): Pick<TargetReport, 'created' | 'configured' | 'deleted' | 'unchanged'> {
  let created = 0;
  let configured = 0;
  let deleted = 0;
  for (const c of changes) {
    if (c.action === 'created') created++;
    else if (c.action === 'deleted') deleted++;
    else configured++;
  }
  return { created, configured, deleted, unchanged: Math.max(0, total - created - configured) };
}

/** forEachFile for a plan whose files() is `files`. */
export function visitFiles(files: ReadonlyMap<string, string>): TargetPlan['forEachFile'] {
  return (visit) => {
    for (const [p, oid] of files) visit(p, oid);
  };
}
