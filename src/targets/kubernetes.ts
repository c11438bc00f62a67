// The kubernetes target (docs/reference/contract.md `targets: - kubernetes`): the desired state of each member
// cluster applied to the live cluster with server-side apply, pruned from the inventory, its
// health read back — one cluster at a time up to the parallelism limit, each isolated
// (src/kube/fleet.ts). It only applies and reports what it did (lastResult): observing the
// clusters and failover are the live fleet's (src/live/live-fleet.ts), which shares the target's
// ClusterPool so a cluster has one connection.
import { parse } from 'yaml';
import { identityKey } from '../objects/identity.js';
import type { ObjectRef } from '../objects/identity.js';
import type { KubeApiOptions } from '../kube/api.js';
import { ClusterPool, type ClusterPoolDeps, type RequestPolicy } from '../kube/cluster-pool.js';
import type { ConnectionSettings } from '../kube/connections.js';
import { DEFAULT_FAILOVER, type FailoverSettings } from '../live/failover.js';
import { ClusterPipelines } from '../kube/cluster-pipelines.js';
import { syncFleet, unavailableCluster, type ClusterWork, type FleetSyncResult } from '../kube/fleet.js';
import { memoryInventoryStore, type FleetInventory, type InventoryStore } from '../kube/inventory.js';
import { DEFAULT_KUBE_RETRY, type KubeRetryPolicy } from '../kube/retry.js';
import { refOf, type ClusterSyncResult, type DesiredObject, type InventoryEntry, type SyncOptions } from '../kube/sync.js';
import { MANAGED_VALUE } from '../objects/tracking.js';
import type { FleetInfo, Target, TargetPlan, TargetReport } from './target.js';

export type { FleetInfo } from './target.js';

export interface KubernetesTargetSettings extends ConnectionSettings {
  /** For the target's name in status and logs (the kubeconfig path, never its content). */
  label: string;
  /** Server-side dry run: every request carries dryRun=All; nothing changes, the inventory neither. */
  dryRun: boolean;
  /** Adopt objects already on a cluster that flotilla did not create, whatever the policy's conflictResolution says. */
  force: boolean;
  /** Clusters applied at once; null = the fleet's KarmadaConfig parallelism (default 10). */
  parallelism: number | null;
  /** Per-request timeout. */
  timeoutSeconds: number;
  retry: KubeRetryPolicy;
  /** The mass-deletion guard, as safety.maxDeletePercent. */
  maxDeletePercent: number;
  failover: FailoverSettings;
  fieldManager: string;
}

export const DEFAULT_KUBERNETES_SETTINGS: Omit<KubernetesTargetSettings, keyof ConnectionSettings | 'label'> = {
  dryRun: false,
  force: false,
  parallelism: null,
  timeoutSeconds: 10,
  retry: DEFAULT_KUBE_RETRY,
  maxDeletePercent: 50,
  failover: DEFAULT_FAILOVER,
  fieldManager: MANAGED_VALUE,
};

export interface KubernetesTargetDeps extends Omit<ClusterPoolDeps, 'fleet' | 'onRetry'> {
  /** The fleet as last rendered; without it, clusters come from the plan and parallelism from settings. */
  fleet?(): FleetInfo | null;
  inventory?: InventoryStore;
  onRetry?: KubeApiOptions['onRetry'];
  /** The connections to share with the live fleet (default: a pool of the target's own). */
  pool?: ClusterPool;
  /** The repository's scope, for objects a cluster serves cluster-wide that the render judged namespaced (SyncOptions). */
  clusterScopedRefusal?: SyncOptions['clusterScopedRefusal'];
}

export class KubernetesTarget implements Target {
  readonly type = 'kubernetes' as const;
  readonly name: string;
  /** The clusters' connections (the live fleet observes through the same ones). */
  readonly pool: ClusterPool;
  private readonly parsed = new Map<string, { id: string; ref: ObjectRef; object: Record<string, unknown> }>();
  private inventory: FleetInventory | null = null;
  /** Clusters the kept inventory had an entry for, or synced by this process: no adoption for them. */
  private readonly inventoried = new Set<string>();
  private readonly store: InventoryStore;
  /** The last apply's full result (per object actions, drift, health), for status and tests. */
  lastResult: FleetSyncResult | null = null;
  /**
   * The deletions the commit trailer allowed, for the revision it allowed them in: kept while that
   * revision is in force, so a cluster that could not be pruned on the first pass is on the next.
   */
  private allowance: { revision: string; deletions: number } | null = null;
  /** Cluster isolation (applyInBackground): the pass deadline; null: a pass waits for every cluster. */
  private deadlineMs: number | null = null;
  /** One pipeline per cluster: a cluster applies one run at a time, the next waits behind it. */
  private readonly pipelines: ClusterPipelines<ClusterSyncResult>;
  /**
   * Per cluster, what changed since its last run started: objects the repository changed (not
   * drift) and objects recorded as deleted (to prune), kept until a run takes them, so a revision
   * a busy cluster skipped is not lost.
   */
  private readonly pending = new Map<string, { changed: Set<string>; deleted: Map<string, InventoryEntry> }>();
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly settings: KubernetesTargetSettings,
    private readonly deps: KubernetesTargetDeps,
  ) {
    this.name = `kubernetes:${settings.label}`;
    this.store = deps.inventory ?? memoryInventoryStore();
    this.pool = deps.pool ?? new ClusterPool(settings, deps);
    this.pipelines = new ClusterPipelines<ClusterSyncResult>({
      now: () => deps.now(),
      failed: (cluster, e) =>
        unavailableCluster(
          { cluster, desired: [], inventory: this.inventory?.[cluster] ?? [] },
          `internal error: ${String(e)}`,
          'INTERNAL',
        ),
      onEnd: (cluster, result, inBackground) => {
        this.recordRun(cluster, result);
        // A failed save here is not lost: the next pass saves the whole inventory again, and fails loudly.
        if (inBackground) this.saveInventory().catch(() => undefined);
      },
    });
  }

  /**
   * Passes wait for clusters at most `deadlineMs`; a cluster still applying then goes on in the
   * background (docs/design/pass-stages.md "Slow clusters"). The service turns this on; a single
   * `--once` pass waits for every cluster.
   */
  applyInBackground(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
  }

  /** Resolves once no cluster applies in the background (`dropQueued`: work waiting behind a busy cluster is dropped). */
  settle(opts: { dropQueued?: boolean } = {}): Promise<void> {
    return this.pipelines.settle(opts).then(() => this.saving);
  }

  /** Timeout and retries of this target's requests (what limitRequests may cut down). */
  requestPolicy(): RequestPolicy {
    return this.pool.requestPolicy();
  }

  /** Bounds every request of connections opened later (sharding: one write must end before the shard lease can move). */
  limitRequests(p: RequestPolicy): void {
    this.pool.limitRequests(p);
  }

  /** Reads the plan's desired objects per cluster (parsed once per blob). */
  private async desiredByCluster(plan: TargetPlan): Promise<Map<string, DesiredObject[]>> {
    const changed = new Set<string>();
    for (const c of plan.changes) if (c.action !== 'deleted') changed.add(`${c.cluster}\u0000${refIdentity(c.ref)}`);
    const out = new Map<string, DesiredObject[]>();
    const seen = new Set<string>();
    for (const [path, oid] of [...plan.files()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const cluster = plan.clusterOf(path);
      let p = this.parsed.get(oid);
      if (!p) {
        const object = parse(await plan.readText(oid), { version: '1.1', maxAliasCount: 100 }) as Record<string, unknown>;
        const { id, ref } = refOf(object);
        p = { id, ref, object };
        this.parsed.set(oid, p);
      }
      seen.add(oid);
      const list = out.get(cluster) ?? [];
      list.push({ id: p.id, ref: p.ref, object: p.object, changed: changed.has(`${cluster}\u0000${p.id}`) });
      out.set(cluster, list);
    }
    for (const oid of [...this.parsed.keys()]) if (!seen.has(oid)) this.parsed.delete(oid);
    return out;
  }

  /** Each cluster's work: its desired objects and inventory (kept, plus what the plan says was applied before). */
  private async clusterWork(plan: TargetPlan): Promise<ClusterWork[]> {
    if (this.inventory === null) {
      this.inventory = (await this.store.load()) ?? {};
      for (const c of Object.keys(this.inventory)) this.inventoried.add(c);
    }
    const inventory = this.inventory;
    const desired = await this.desiredByCluster(plan);
    for (const c of plan.changes) {
      const p = this.pendingOf(c.cluster);
      p.changed.add(refIdentity(c.ref));
      // Objects the reconciler's record says were applied and are now gone from the desired state
      // (the status branch's manifests/): inventory entries even after a restart.
      if (c.action === 'deleted') {
        const id = refIdentity(c.ref);
        p.deleted.set(id, { id, apiVersion: c.ref.apiVersion, kind: c.ref.kind, namespace: c.ref.namespace, name: c.ref.name });
      }
    }
    const clusters = new Set([
      ...desired.keys(),
      ...Object.keys(inventory).filter((c) => (inventory[c]?.length ?? 0) > 0),
      ...[...this.pending].filter(([, p]) => p.deleted.size > 0).map(([c]) => c),
    ]);
    this.pool.connect(clusters);
    const retained = new Map<string, Map<string, string>>();
    for (const r of this.deps.fleet?.()?.retained ?? []) {
      const m = retained.get(r.cluster) ?? new Map<string, string>();
      m.set(refIdentity(r.ref), r.message);
      retained.set(r.cluster, m);
    }
    return [...clusters].sort().map((cluster) => {
      const changed = this.pending.get(cluster)?.changed ?? new Set<string>();
      const objects = (desired.get(cluster) ?? []).map((d) => ({ ...d, changed: d.changed || changed.has(d.id) }));
      const kept = retained.get(cluster);
      return this.startingWork({ cluster, desired: objects, inventory: [], ...(kept ? { retained: kept } : {}) });
    });
  }

  private pendingOf(cluster: string): { changed: Set<string>; deleted: Map<string, InventoryEntry> } {
    let p = this.pending.get(cluster);
    if (!p) this.pending.set(cluster, (p = { changed: new Set(), deleted: new Map() }));
    return p;
  }

  /**
   * A cluster's work as its run starts: the inventory of now (a run queued behind a busy one must
   * see what that one applied) plus the deletions recorded since its last run. No inventory kept
   * for it (first pass, cache lost): what an earlier pass applied but never recorded (crash, status
   * commit that did not land) is adopted, so it can still be pruned.
   */
  private startingWork(w: ClusterWork): ClusterWork {
    const entries = new Map((this.inventory?.[w.cluster] ?? []).map((e) => [e.id, e]));
    for (const [id, e] of this.pending.get(w.cluster)?.deleted ?? []) if (!entries.has(id)) entries.set(id, e);
    return { ...w, inventory: [...entries.values()], ...(this.inventoried.has(w.cluster) ? {} : { adoptLive: true }) };
  }

  /** What a cluster's run leaves behind: its inventory (unless a dry run), and that it is known now. */
  private recordRun(cluster: string, result: ClusterSyncResult): void {
    if (this.settings.dryRun) return;
    if (result.reachable && result.error === null) this.inventoried.add(cluster);
    const inventory = (this.inventory ??= {});
    if (result.inventory.length > 0) inventory[cluster] = result.inventory;
    else delete inventory[cluster];
  }

  /** Saves the inventory after the saves before it (runs ending in the background save too). */
  private saveInventory(): Promise<void> {
    if (this.settings.dryRun || this.inventory === null) return this.saving;
    const snapshot = { ...this.inventory };
    const save = this.saving.then(() => this.store.save(snapshot));
    this.saving = save.catch(() => undefined);
    return save;
  }

  /** Applies `plan`; `control.shouldContinue` is asked before every write (false: that cluster's pass stops). */
  async apply(plan: TargetPlan, control: { shouldContinue?(): boolean } = {}): Promise<TargetReport> {
    const work = await this.clusterWork(plan);
    if (plan.deletionsAllowed !== undefined) this.allowance = { revision: plan.revision, deletions: plan.deletionsAllowed };
    const allowedLeaving = this.allowance?.revision === plan.revision ? this.allowance.deletions : undefined;
    const options: SyncOptions = {
      fieldManager: this.settings.fieldManager,
      force: this.settings.force,
      dryRun: this.settings.dryRun,
      objectConcurrency: 8,
      ...(control.shouldContinue ? { shouldContinue: () => control.shouldContinue!() } : {}),
      ...(this.deps.clusterScopedRefusal ? { clusterScopedRefusal: this.deps.clusterScopedRefusal } : {}),
    };
    const result = await syncFleet({
      work,
      client: (c) => this.pool.client(c),
      parallelism: this.pool.parallelism(),
      options,
      maxDeletePercent: this.settings.maxDeletePercent,
      revisionHasErrors: this.deps.fleet?.()?.revisionHasErrors ?? false,
      ...(allowedLeaving !== undefined ? { allowedLeaving } : {}),
      // The run takes what is pending for its cluster: its result accounts for it from now on.
      atStart: (w) => {
        const starting = this.startingWork(w);
        this.pending.delete(w.cluster);
        return starting;
      },
      ...(this.deadlineMs !== null
        ? { background: { pipelines: this.pipelines, deadlineMs: this.deadlineMs, revision: plan.revision } }
        : {}),
    });
    this.lastResult = result;
    if (this.deadlineMs === null) for (const c of result.clusters) this.recordRun(c.cluster, c);
    await this.saveInventory();
    return reportOf(result, this.settings.dryRun);
  }

  /** Closes every cluster connection. */
  close(): void {
    this.pool.close();
  }
}

/** group|kind|namespace|name of a ref (identityKey of the object it names). */
function refIdentity(ref: ObjectRef): string {
  return identityKey({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { namespace: ref.namespace, name: ref.name } });
}

/** The reconciler's view of a fleet sync: counts, failed clusters, one message. */
export function reportOf(result: FleetSyncResult, dryRun = false): TargetReport {
  const failedClusters = result.clusters.filter((c) => c.error !== null || c.counts.failed > 0).map((c) => c.cluster);
  const problems: string[] = [];
  for (const c of result.clusters) {
    if (c.error) problems.push(`${c.cluster}: ${c.error}`);
    else if (c.counts.failed > 0) {
      const first = c.objects.find((o) => o.action === 'failed')!;
      problems.push(
        `${c.cluster}: ${c.counts.failed} object${c.counts.failed === 1 ? '' : 's'} failed ` +
          `(first: ${first.ref.kind} ${first.ref.namespace ? `${first.ref.namespace}/` : ''}${first.ref.name}: ${first.message})`,
      );
    }
  }
  const drifted = result.clusters.reduce((n, c) => n + c.objects.filter((o) => o.drift.length > 0).length, 0);
  const applying = result.clusters.filter((c) => c.background?.applying).map((c) => c.cluster);
  const notes: string[] = [];
  if (dryRun) notes.push('dry run (dryRun=All): nothing was changed');
  if (applying.length > 0)
    notes.push(`${applying.length} cluster${applying.length === 1 ? '' : 's'} still applying in the background: ${applying.join(', ')}`);
  if (drifted > 0) notes.push(`drift corrected on ${drifted} object${drifted === 1 ? '' : 's'}`);
  const released = result.counts.released;
  if (released > 0) notes.push(`${released} object${released === 1 ? '' : 's'} released (left on the clusters, no longer flotilla's)`);
  if (result.prune.reason && result.prune.leaving > 0) notes.push(`pruning held back: ${result.prune.reason}`);
  const message =
    [
      ...(problems.length > 0
        ? [`${failedClusters.length} cluster${failedClusters.length === 1 ? '' : 's'} failed: ${problems.join('; ')}`]
        : []),
      ...notes,
    ].join('; ') || null;
  return {
    created: result.counts.created,
    configured: result.counts.configured,
    unchanged: result.counts.unchanged,
    deleted: result.counts.deleted,
    failed: result.counts.failed + result.clusters.filter((c) => c.error).reduce((n, c) => n + c.counts.skipped, 0),
    failedClusters,
    clusters: result.clusters.length,
    ok: failedClusters.length === 0,
    ...(applying.length > 0 ? { applying } : {}),
    message,
  };
}
