// What every target (directory, git branch, later Kubernetes) receives and reports. A target
// gets the change set of the diff stage and the full desired state; it keeps its own record of
// what it wrote, so it can catch up after a failure or a restart and never deletes what it did
// not write.
import type { ObjectChange } from '../state/change-set.js';

export interface TargetPlan {
  /** The source revision being applied. */
  revision: string;
  /** What changed since the last applied state. */
  changes: readonly ObjectChange[];
  /** The whole desired state: layout path → blob oid. */
  files(): ReadonlyMap<string, string>;
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
  message: string | null;
  /** False when the target failed; `message` says why. */
  ok: boolean;
}

export interface Target {
  /** For status and logs, e.g. `directory:./rendered` or `git:flotilla-rendered`. */
  readonly name: string;
  readonly type: 'directory' | 'git' | 'kubernetes';
  apply(plan: TargetPlan): Promise<TargetReport>;
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
