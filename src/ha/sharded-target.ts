// A target split over replicas: each cluster has its own inner target (its own connection,
// inventory and prune guard), and a replica applies only the clusters of the shards it holds,
// asking the gate right before each batch. One inner target per cluster — not one for the whole
// fleet with a filter — because a fleet-wide target prunes every cluster of its inventory that is
// missing from the plan: after a shard moved away, it would empty clusters another replica now
// applies. Clusters of other replicas are neither applied nor counted here.
//
// Every replica must compute the same cluster → shard assignment, so it is computed from the plan
// alone (the desired state's clusters and those with deletions in it), never from what this
// process happens to have applied before. Ownership is checked again before every write of a
// cluster's pass (shouldContinue), and every request is bounded so that a write started while the
// lease is held ends before another replica may take the lease (request-bound.ts).
//
// Fleet-wide targets (a git branch, a directory) cannot be split by cluster: LeaderOnlyTarget
// writes them from the leader (the holder of shard 0) only.
//
// Cluster isolation (applyInBackground, src/kube/cluster-pipelines.ts): a cluster still applying
// at the pass deadline goes on in the background. Its writes still ask the lease first (the
// shouldContinue of the batch that started it), and the batch's shards stay busy — never released
// to another replica by rebalancing — until every run it started or queued has ended.
import type { Logger } from 'pino';
import { ClusterPipelines, type BackgroundOutcome, type RoundResult } from '../kube/cluster-pipelines.js';
import { clusterReport, type FleetSyncResult } from '../kube/fleet.js';
import { rollUpHealth } from '../kube/health.js';
import { emptyCounts } from '../kube/sync-types.js';
import type { ClusterSyncResult, ObjectAction } from '../kube/sync.js';
import type { ObjectChange } from '../state/change-set.js';
import { visitFiles, type Target, type TargetPlan, type TargetReport } from '../targets/target.js';
import { fitRequestPolicy, type RequestPolicy } from './request-bound.js';
import type { ClusterBatch, ClusterGate } from './shards.js';

/** What a per-cluster target may offer beyond Target (the kubernetes target does). */
interface StoppableTarget extends Target {
  apply(plan: TargetPlan, control?: { shouldContinue?(): boolean }): Promise<TargetReport>;
  requestPolicy?(): RequestPolicy;
  limitRequests?(p: RequestPolicy): void;
}

/** What one cluster's apply did, for metrics. */
export interface ClusterApplyReport {
  cluster: string;
  report: TargetReport;
  /** Objects whose live state had drifted (when the inner target tells; 0 otherwise). */
  drifted: number;
}

export interface ShardedTargetOptions {
  name: string;
  type: Target['type'];
  gate: ClusterGate;
  /** Makes the inner target of one cluster (called once per cluster, on first use). */
  clusterTarget(cluster: string): Target;
  /** Clusters applied at once. */
  parallelism: number;
  log: Logger;
  onCluster?(r: ClusterApplyReport): void;
}

/** A kubernetes target's last sync result, when the target has one. */
function syncOf(target: Target): FleetSyncResult | null {
  return (target as { lastResult?: FleetSyncResult | null }).lastResult ?? null;
}

/** The drift count of a kubernetes target's last result, when the target has one. */
function driftOf(target: Target): number {
  const result = syncOf(target);
  let n = 0;
  for (const c of result?.clusters ?? []) for (const o of c.objects ?? []) if ((o.drift?.length ?? 0) > 0) n++;
  return n;
}

/** The part of `plan` that concerns `cluster` (`changes`: the cluster's, when they are known already). */
export function clusterPlan(
  plan: TargetPlan,
  cluster: string,
  files: ReadonlyMap<string, string>,
  full: boolean,
  changes: readonly ObjectChange[] = plan.changes.filter((c) => c.cluster === cluster),
): TargetPlan {
  return { ...plan, changes, files: () => files, forEachFile: visitFiles(files), total: files.size, full: plan.full || full };
}

/** One cluster's run: its report, and the inner target's sync result of it (null: not applied, the lease ran out). */
interface ClusterRun {
  applied: ClusterApplyReport | null;
  sync: ClusterSyncResult | null;
}

export class ShardedTarget implements Target {
  readonly name: string;
  readonly type: Target['type'];
  private readonly inner = new Map<string, StoppableTarget>();
  /** Clusters applied by this replica in the last batch (a cluster new to it gets a full compare). */
  private mine = new Set<string>();
  /** Clusters the last batch left to other replicas. */
  others: string[] = [];
  /** The sync results of the clusters this replica applied in its last batch, as one (null before any). */
  lastResult: FleetSyncResult | null = null;
  /** Cluster isolation: the pass deadline (null: a pass waits for every cluster). */
  private deadlineMs: number | null = null;
  private readonly pipelines = new ClusterPipelines<ClusterRun>({
    now: () => Date.now(),
    failed: () => ({ applied: null, sync: null }),
  });
  /** Per cluster, the changes of the plans it has not taken yet (it was busy): its next run gets them all. */
  private readonly pending = new Map<string, ObjectChange[]>();

  constructor(private readonly opts: ShardedTargetOptions) {
    this.name = opts.name;
    this.type = opts.type;
  }

  applyInBackground(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
  }

  settle(opts: { dropQueued?: boolean } = {}): Promise<void> {
    return this.pipelines.settle(opts);
  }

  async apply(plan: TargetPlan): Promise<TargetReport> {
    const filesByCluster = new Map<string, Map<string, string>>();
    for (const [path, oid] of plan.files()) {
      const c = plan.clusterOf(path);
      let m = filesByCluster.get(c);
      if (!m) filesByCluster.set(c, (m = new Map()));
      m.set(path, oid);
    }
    const fleet = planClusters(plan, filesByCluster.keys());
    const batch = await this.opts.gate.acquireBatch([...fleet]);
    this.others = batch.others;
    for (const cluster of batch.clusters)
      this.pending.set(cluster, [...(this.pending.get(cluster) ?? []), ...plan.changes.filter((c) => c.cluster === cluster)]);
    const tasks = batch.clusters.map((cluster) => ({
      cluster,
      run: () => this.applyCluster(plan, cluster, filesByCluster.get(cluster) ?? new Map(), batch),
    }));
    let round: RoundResult<ClusterRun>;
    try {
      round = await this.pipelines.round(tasks, {
        revision: plan.revision,
        deadlineMs: this.deadlineMs,
        parallelism: this.opts.parallelism,
      });
    } catch (e) {
      batch.done();
      throw e;
    }
    // The shards stay busy (not released by rebalancing) until every run of the batch has ended.
    if (round.applying.size === 0) batch.done();
    else void round.ended.then(() => batch.done());
    const reports: ClusterApplyReport[] = [];
    const syncs: ClusterSyncResult[] = [];
    for (const cluster of [...new Set([...batch.clusters, ...round.background.keys()])].sort()) {
      const one = this.clusterOutcome(cluster, round);
      if (one.report) reports.push(one.report);
      if (one.sync) syncs.push(one.sync);
    }
    this.mine = new Set(
      [...round.finished]
        .filter(([, r]) => r.applied)
        .map(([c]) => c)
        .concat([...round.applying.keys()]),
    );
    this.lastResult = mergeSyncResults(syncs);
    this.forgetDeparted(new Set(filesByCluster.keys()));
    return combine(reports, batch.others.length);
  }

  /** One cluster's run: its plan (and what it missed while busy) through its inner target, the lease asked before every write. */
  private async applyCluster(
    plan: TargetPlan,
    cluster: string,
    files: ReadonlyMap<string, string>,
    batch: ClusterBatch,
  ): Promise<ClusterRun> {
    if (!batch.stillOwns(cluster)) {
      this.opts.log.warn({ cluster }, `shard lease of ${cluster} ran out before its apply started; left to the replica that takes it over`);
      return { applied: null, sync: null };
    }
    const target = this.innerTarget(cluster);
    const sub = clusterPlan(plan, cluster, files, !this.mine.has(cluster), this.pending.get(cluster) ?? []);
    this.pending.delete(cluster);
    // Asked before every write: a long pass stops once the lease is past its renew deadline.
    const report = await target
      .apply(sub, { shouldContinue: () => (batch.stillHolds ?? batch.stillOwns)(cluster) })
      .catch((e: unknown): TargetReport => ({
        created: 0,
        configured: 0,
        unchanged: 0,
        deleted: 0,
        failed: sub.total,
        failedClusters: [cluster],
        ok: false,
        message: `${cluster}: ${(e as Error)?.message ?? String(e)}`,
      }));
    const applied = { cluster, report, drifted: driftOf(target) };
    this.opts.onCluster?.(applied);
    return { applied, sync: syncOf(target)?.clusters.find((c) => c.cluster === cluster) ?? null };
  }

  /** What a pass reports for one cluster: its run of this round, or that it is still applying, with background runs added. */
  private clusterOutcome(
    cluster: string,
    round: RoundResult<ClusterRun>,
  ): { report: ClusterApplyReport | null; sync: ClusterSyncResult | null } {
    const finished = round.finished.get(cluster) ?? null;
    const applying = round.applying.get(cluster) ?? null;
    const late = (round.background.get(cluster) ?? []).filter((o) => o.result.applied);
    const lateSyncs = late.flatMap((o): BackgroundOutcome<ClusterSyncResult>[] => (o.result.sync ? [{ ...o, result: o.result.sync }] : []));
    const sync = clusterReport(finished?.sync ?? null, applying, lateSyncs, []);
    const reports = [...late.map((o) => o.result.applied!.report), ...(finished?.applied ? [finished.applied.report] : [])];
    if (reports.length === 0 && !applying) return { report: null, sync };
    const report = sumReports(reports, cluster);
    if (applying) report.applying = [cluster];
    const drifted = (finished?.applied?.drifted ?? 0) + late.reduce((n, o) => n + o.result.applied!.drifted, 0);
    return { report: { cluster, report, drifted }, sync };
  }

  /** Clusters with an inner target (made on first use), for tests and metrics. */
  get innerClusters(): string[] {
    return [...this.inner.keys()].sort();
  }

  /** The inner target of `cluster`, made on first use with its requests bounded by the gate's budget. */
  private innerTarget(cluster: string): StoppableTarget {
    let target = this.inner.get(cluster);
    if (target) return target;
    target = this.opts.clusterTarget(cluster) as StoppableTarget;
    const budget = this.opts.gate.requestBudgetMs;
    if (budget !== undefined && target.requestPolicy && target.limitRequests)
      target.limitRequests(fitRequestPolicy(target.requestPolicy(), budget));
    this.inner.set(cluster, target);
    return target;
  }

  /**
   * Drops the inner targets of clusters that left the desired state once their prune is done: by
   * this replica in this batch (its inventory came out empty, no error), or by whichever replica
   * owns them now. A target whose prune here was held back or failed is kept (with its inventory).
   */
  private forgetDeparted(desired: ReadonlySet<string>): void {
    for (const [cluster, target] of [...this.inner]) {
      if (desired.has(cluster) || this.pipelines.busy(cluster)) continue;
      const last = syncOf(target)?.clusters.find((c) => c.cluster === cluster);
      if (this.mine.has(cluster) && last && (last.error !== null || last.inventory.length > 0)) continue;
      (target as { close?(): void }).close?.();
      this.inner.delete(cluster);
      this.mine.delete(cluster);
    }
  }

  /** Closes the connections of every inner target (those that have any). */
  close(): void {
    for (const t of this.inner.values()) (t as { close?(): void }).close?.();
  }
}

/**
 * The clusters of a plan, the same on every replica given the same plan: those of the desired
 * state and those with deletions in its changes (a cluster that left the fleet still has its
 * objects pruned, by the replica that owns its shard in this assignment).
 */
export function planClusters(plan: TargetPlan, desired: Iterable<string>): string[] {
  const out = new Set(desired);
  for (const c of plan.changes) if (c.action === 'deleted') out.add(c.cluster);
  return [...out].sort();
}

/** One fleet sync result from the per-cluster ones (clusters sorted; counts, writes and health rolled up). */
export function mergeSyncResults(clusters: readonly ClusterSyncResult[]): FleetSyncResult {
  const sorted = [...clusters].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const counts: Record<ObjectAction, number> = emptyCounts();
  for (const c of sorted) for (const k of Object.keys(counts) as ObjectAction[]) counts[k] += c.counts[k];
  return {
    clusters: sorted,
    // Each cluster's guard is off (the reconciler's fleet-wide guard ran before the targets).
    prune: { allowed: true, leaving: 0, total: 0, reason: null },
    health: rollUpHealth(sorted.filter((c) => c.objects.some((o) => o.health)).map((c) => c.health.status)),
    counts,
    writes: sorted.reduce((n, c) => n + c.writes, 0),
  };
}

/** One cluster's reports (runs that ended in the background, then this pass's) as one. */
function sumReports(reports: readonly TargetReport[], cluster: string): TargetReport {
  const sum = (k: 'created' | 'configured' | 'deleted' | 'failed') => reports.reduce((n, r) => n + r[k], 0);
  const messages = reports.filter((r) => r.message).map((r) => r.message!);
  const failed = reports.length > 0 && !reports.at(-1)!.ok;
  return {
    created: sum('created'),
    configured: sum('configured'),
    // Objects the last run found as they should be (an earlier run's changes are counted above).
    unchanged: reports.at(-1)?.unchanged ?? 0,
    deleted: sum('deleted'),
    failed: sum('failed'),
    failedClusters: failed ? [cluster] : [],
    ok: !failed,
    message: messages.length > 0 ? messages.join('; ') : null,
  };
}

/** One report for the batch: counts summed, failed clusters listed, messages joined. */
export function combine(reports: readonly ClusterApplyReport[], elsewhere: number): TargetReport {
  const sorted = [...reports].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const sum = (k: 'created' | 'configured' | 'unchanged' | 'deleted' | 'failed') => sorted.reduce((n, r) => n + r.report[k], 0);
  const failedClusters = [...new Set(sorted.flatMap((r) => r.report.failedClusters))].sort();
  const applying = sorted.flatMap((r) => r.report.applying ?? []);
  const messages = sorted.filter((r) => r.report.message).map((r) => r.report.message!);
  if (applying.length > 0)
    messages.push(`${applying.length} cluster${applying.length === 1 ? '' : 's'} still applying in the background: ${applying.join(', ')}`);
  if (elsewhere > 0) messages.push(`${elsewhere} cluster${elsewhere === 1 ? '' : 's'} applied by other replicas`);
  return {
    created: sum('created'),
    configured: sum('configured'),
    unchanged: sum('unchanged'),
    deleted: sum('deleted'),
    failed: sum('failed'),
    failedClusters,
    // Per cluster: a batch where some clusters failed applied the others (Degraded, not Failed).
    clusters: sorted.length,
    ok: sorted.every((r) => r.report.ok),
    ...(applying.length > 0 ? { applying } : {}),
    message: messages.length > 0 ? messages.join('; ') : null,
  };
}

/** A fleet-wide target written by the leader only; the others report it untouched. */
export class LeaderOnlyTarget implements Target {
  readonly name: string;
  readonly type: Target['type'];

  constructor(
    private readonly inner: Target,
    private readonly isLeader: () => boolean,
  ) {
    this.name = inner.name;
    this.type = inner.type;
  }

  apply(plan: TargetPlan): Promise<TargetReport> {
    if (this.isLeader()) return this.inner.apply({ ...plan, full: true });
    return Promise.resolve({
      created: 0,
      configured: 0,
      unchanged: plan.total,
      deleted: 0,
      failed: 0,
      failedClusters: [],
      ok: true,
      message: 'written by the leader replica',
    });
  }
}
