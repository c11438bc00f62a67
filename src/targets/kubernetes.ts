// The kubernetes target (docs/reference/contract.md `targets: - kubernetes`): the desired state of each member
// cluster applied to the live cluster with server-side apply, pruned from the inventory, its
// health read back — one cluster at a time up to the parallelism limit, each isolated
// (src/kube/fleet.ts). It also observes the clusters for scheduling: readiness for failover and
// capacity for the estimator (observe()).
import { parse } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { identityKey } from '../objects/normalize.js';
import type { PreviousPlacement, ResourceRef } from '../model/types.js';
import { displacedBy, markFresh } from '../live/live-status.js';
import { DEFAULT_KUBE_API_OPTIONS, type KubeApiOptions } from '../kube/api.js';
import { openClusterClients } from '../kube/clients.js';
import type { ConnectionSettings, ReadTextFile } from '../kube/connections.js';
import {
  DEFAULT_FAILOVER,
  evictFromPrevious,
  failoverTaints,
  nextCondition,
  evictedClusters,
  type ClusterCondition,
  type FailoverEvent,
  type FailoverSettings,
} from '../live/failover.js';
import { observeFleet, syncFleet, type ClusterClient, type ClusterWork, type FleetSyncResult } from '../kube/fleet.js';
import { memoryInventoryStore, type FleetInventory, type InventoryStore } from '../kube/inventory.js';
import { observedClustersFile, type ObservedCluster } from '../live/observed.js';
import { DEFAULT_KUBE_RETRY, type KubeRetryPolicy } from '../kube/retry.js';
import { refOf, type DesiredObject, type InventoryEntry, type SyncOptions } from '../kube/sync.js';
import type { KubeTransport } from '../kube/transport.js';
import { MANAGED_VALUE } from '../objects/tracking.js';
import type { Target, TargetPlan, TargetReport } from './target.js';

export interface KubernetesTargetSettings extends ConnectionSettings {
  /** For the target's name in status and logs (the kubeconfig path, never its content). */
  label: string;
  /** Server-side dry run: every request carries dryRun=All; nothing changes, the inventory neither. */
  dryRun: boolean;
  /** Take over objects other field managers own (409 conflicts) even when flotilla never applied them. */
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

/** What the target needs to know about the fleet beyond the plan: AttachedCluster secretRefs and tuning. */
export interface FleetInfo {
  clusters: ReadonlyArray<{ name: string; secretRef?: { namespace: string; name: string } }>;
  parallelism: number;
  /** The revision being applied has error diagnostics (pruning is then never allowed). */
  revisionHasErrors?: boolean;
}

export interface KubernetesTargetDeps {
  readFile: ReadTextFile;
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  /** The fleet as last rendered; without it, clusters come from the plan and parallelism from settings. */
  fleet?(): FleetInfo | null;
  inventory?: InventoryStore;
  /** Defaults to kubeconfigTransport. */
  transport?(kc: KubeConfig, cluster: string): KubeTransport;
  onRetry?: KubeApiOptions['onRetry'];
}

/** What observe() found: per cluster, plus failover's state and what changed. */
export interface FleetObservation {
  at: number;
  clusters: ObservedCluster[];
  conditions: ClusterCondition[];
  events: FailoverEvent[];
  /** Clusters whose workloads failover evicts now (remove them from the previous placements). */
  evicted: string[];
  /** The observed-clusters file to add to the render's files (observed.ts). */
  file: { path: string; text: string };
}

const DEFAULT_PARALLELISM = 10;

export class KubernetesTarget implements Target {
  readonly type = 'kubernetes' as const;
  readonly name: string;
  private readonly clients = new Map<string, ClusterClient>();
  private readonly connectionErrors = new Map<string, string>();
  private readonly parsed = new Map<string, { id: string; ref: ResourceRef; object: Record<string, unknown> }>();
  private inventory: FleetInventory | null = null;
  /** Clusters the kept inventory had an entry for, or synced by this process: no adoption for them. */
  private readonly inventoried = new Set<string>();
  private readonly store: InventoryStore;
  private conditions = new Map<string, ClusterCondition>();
  private summaries = new Map<string, ObservedCluster['resourceSummary']>();
  /** Per evicted cluster, the resources failover moved off it (forgotten when it recovers). */
  private readonly displaced = new Map<string, Set<string>>();
  /** Resources to schedule afresh in the next render (rebalanceOnRecovery), until a render carrying them is applied. */
  private readonly rebalancing = new Set<string>();
  /** The base (last good placements) the last fresh marks were rendered on, and the marks. */
  private rebalanceRendered: { base: ReadonlyMap<string, PreviousPlacement>; keys: Set<string> } | null = null;
  /** The last apply's full result (per object actions, drift, health), for status and tests. */
  lastResult: FleetSyncResult | null = null;
  /** Timeout and retries replacing the settings' for connections opened from now on (limitRequests). */
  private requestLimits: { timeoutMs: number; retry: KubeRetryPolicy } | null = null;

  constructor(
    private readonly settings: KubernetesTargetSettings,
    private readonly deps: KubernetesTargetDeps,
  ) {
    this.name = `kubernetes:${settings.label}`;
    this.store = deps.inventory ?? memoryInventoryStore();
  }

  /** The failover state of every observed cluster (to keep on the status branch). */
  get clusterConditions(): ClusterCondition[] {
    return [...this.conditions.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  /** Restores failover state kept from an earlier process. */
  restoreConditions(conditions: readonly ClusterCondition[]): void {
    this.conditions = new Map(conditions.map((c) => [c.cluster, { ...c }]));
  }

  private fleetClusters(extra: Iterable<string>): Array<{ name: string; secretRef?: { namespace: string; name: string } }> {
    const byName = new Map<string, { name: string; secretRef?: { namespace: string; name: string } }>();
    for (const c of this.deps.fleet?.()?.clusters ?? []) byName.set(c.name, c);
    for (const n of extra) if (!byName.has(n)) byName.set(n, { name: n });
    return [...byName.values()];
  }

  /** The client of a cluster, connecting on first use (a failed connection is retried next pass). */
  private client(cluster: string): ClusterClient | { error: string } {
    const c = this.clients.get(cluster);
    if (c) return c;
    return { error: this.connectionErrors.get(cluster) ?? `no connection for cluster ${cluster}` };
  }

  /** Timeout and retries of this target's requests (what limitRequests may cut down). */
  requestPolicy(): { timeoutMs: number; retry: KubeRetryPolicy } {
    return this.requestLimits ?? { timeoutMs: this.settings.timeoutSeconds * 1000, retry: this.settings.retry };
  }

  /** Bounds every request of connections opened later (sharding: one write must end before the shard lease can move). */
  limitRequests(p: { timeoutMs: number; retry: KubeRetryPolicy }): void {
    this.requestLimits = p;
  }

  /** Resolves connections of clusters not connected yet. */
  private connect(names: Iterable<string>): void {
    const missing = this.fleetClusters(names).filter((c) => !this.clients.has(c.name));
    if (missing.length === 0) return;
    this.connectionErrors.clear();
    const apiOptions: KubeApiOptions = {
      ...DEFAULT_KUBE_API_OPTIONS,
      ...this.requestPolicy(),
      sleep: this.deps.sleep,
      random: this.deps.random,
      now: this.deps.now,
      ...(this.deps.onRetry ? { onRetry: this.deps.onRetry } : {}),
    };
    const opened = openClusterClients(missing, this.settings, {
      readFile: this.deps.readFile,
      apiOptions,
      now: this.deps.now,
      ...(this.deps.transport ? { transport: this.deps.transport } : {}),
    });
    for (const [name, client] of opened.clients) this.clients.set(name, client);
    for (const [name, error] of opened.errors) this.connectionErrors.set(name, error);
  }

  private parallelism(): number {
    return this.settings.parallelism ?? this.deps.fleet?.()?.parallelism ?? DEFAULT_PARALLELISM;
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

  /** Applies `plan`; `control.shouldContinue` is asked before every write (false: that cluster's pass stops). */
  async apply(plan: TargetPlan, control: { shouldContinue?(): boolean } = {}): Promise<TargetReport> {
    if (this.inventory === null) {
      this.inventory = (await this.store.load()) ?? {};
      for (const c of Object.keys(this.inventory)) this.inventoried.add(c);
    }
    const inventory = this.inventory;
    const desired = await this.desiredByCluster(plan);
    // Objects the reconciler's record says were applied and are now gone from the desired state
    // (the status branch's manifests/): inventory entries even after a restart.
    const recorded = new Map<string, InventoryEntry[]>();
    for (const c of plan.changes) {
      if (c.action !== 'deleted') continue;
      const list = recorded.get(c.cluster) ?? [];
      list.push({ id: refIdentity(c.ref), apiVersion: c.ref.apiVersion, kind: c.ref.kind, namespace: c.ref.namespace, name: c.ref.name });
      recorded.set(c.cluster, list);
    }
    const clusters = new Set([
      ...desired.keys(),
      ...Object.keys(inventory).filter((c) => (inventory[c]?.length ?? 0) > 0),
      ...recorded.keys(),
    ]);
    this.connect(clusters);
    const work: ClusterWork[] = [...clusters].sort().map((cluster) => {
      const entries = new Map((inventory[cluster] ?? []).map((e) => [e.id, e]));
      for (const e of recorded.get(cluster) ?? []) if (!entries.has(e.id)) entries.set(e.id, e);
      // No inventory kept for it (first pass, cache lost): what an earlier pass applied but never
      // recorded (crash, status commit that did not land) is adopted, so it can still be pruned.
      return {
        cluster,
        desired: desired.get(cluster) ?? [],
        inventory: [...entries.values()],
        ...(this.inventoried.has(cluster) ? {} : { adoptLive: true }),
      };
    });
    const options: SyncOptions = {
      fieldManager: this.settings.fieldManager,
      force: this.settings.force,
      dryRun: this.settings.dryRun,
      objectConcurrency: 8,
      ...(control.shouldContinue ? { shouldContinue: () => control.shouldContinue!() } : {}),
    };
    const result = await syncFleet({
      work,
      client: (c) => this.client(c),
      parallelism: this.parallelism(),
      options,
      maxDeletePercent: this.settings.maxDeletePercent,
      revisionHasErrors: this.deps.fleet?.()?.revisionHasErrors ?? false,
    });
    this.lastResult = result;
    if (!this.settings.dryRun) {
      for (const c of result.clusters) if (c.reachable && c.error === null) this.inventoried.add(c.cluster);
      const next: FleetInventory = {};
      for (const c of result.clusters) if (c.inventory.length > 0) next[c.cluster] = c.inventory;
      this.inventory = next;
      await this.store.save(next);
    }
    return reportOf(result, this.settings.dryRun);
  }

  /**
   * Probes every connected cluster (and reads capacity), advances failover's state machine at
   * `now`, and returns what the next render needs: the observed-clusters file (taints, readiness,
   * capacity) and the clusters to evict from the previous placements.
   */
  async observe(
    clusterNames: readonly string[],
    opts: { capacity: boolean; probeTimeoutMs?: number } = { capacity: true },
  ): Promise<FleetObservation> {
    this.connect(clusterNames);
    const connected = new Map([...this.clients].filter(([name]) => clusterNames.includes(name)));
    const observations = await observeFleet(connected, {
      parallelism: this.parallelism(),
      probeTimeoutMs: opts.probeTimeoutMs ?? this.settings.timeoutSeconds * 1000,
      capacity: opts.capacity,
    });
    const now = this.deps.now();
    const events: FailoverEvent[] = [];
    for (const o of observations) {
      const { condition, events: e } = nextCondition(this.conditions.get(o.cluster), o.cluster, o.probe, now, this.settings.failover);
      this.conditions.set(o.cluster, condition);
      events.push(...e);
      if (o.resourceSummary) this.summaries.set(o.cluster, o.resourceSummary);
      for (const ev of e) {
        if (ev.type !== 'Ready') continue;
        // Recovered: what failover moved off it moves back only when the config asks (issue 4).
        const moved = this.displaced.get(ev.cluster);
        this.displaced.delete(ev.cluster);
        if (moved && this.settings.failover.rebalanceOnRecovery) {
          for (const key of moved) this.rebalancing.add(key);
          ev.message += `; rebalanceOnRecovery: ${moved.size} workload${moved.size === 1 ? '' : 's'} moved off it scheduled afresh`;
        }
      }
    }
    const clusters: ObservedCluster[] = observations.map((o) => {
      const c = this.conditions.get(o.cluster)!;
      return {
        name: o.cluster,
        ready: c.ready,
        message: c.ready ? null : c.lastError,
        taints: failoverTaints(c, now, this.settings.failover),
        resourceSummary: this.summaries.get(o.cluster) ?? null,
      };
    });
    const conditions = clusterNames.flatMap((n) => (this.conditions.has(n) ? [this.conditions.get(n)!] : []));
    return {
      at: now,
      clusters,
      conditions,
      events,
      evicted: evictedClusters(conditions, now, this.settings.failover),
      file: observedClustersFile(clusters),
    };
  }

  /**
   * Karmada's previous result for the next render: the last good placements less the evicted
   * clusters (the taint manager's eviction), remembering which workloads each eviction displaces;
   * after a recovery with `failover.rebalanceOnRecovery`, those workloads are marked for a fresh
   * schedule (Karmada's Fresh mode) until a render carrying them becomes the last good state. Without it they
   * keep their current placement: dynamic weights and Aggregated keep their split (steady mode
   * with unchanged replicas), while static weights, which never read the previous result, move
   * back — as in Karmada.
   */
  previousForRender(
    base: ReadonlyMap<string, PreviousPlacement> | undefined,
    evicted: readonly string[],
  ): ReadonlyMap<string, PreviousPlacement> | undefined {
    if (!base) return base;
    // A new base means the render carrying the marks became the last good state (whichever target
    // applied it): the rebalance is done, its result is the previous from now on. An Invalid
    // revision leaves the base as it was, so the marks wait for a good one.
    if (this.rebalanceRendered && this.rebalanceRendered.base !== base) {
      for (const key of this.rebalanceRendered.keys) this.rebalancing.delete(key);
      this.rebalanceRendered = null;
    }
    for (const [cluster, keys] of displacedBy(base, evicted)) {
      const set = this.displaced.get(cluster) ?? new Set<string>();
      for (const k of keys) set.add(k);
      this.displaced.set(cluster, set);
    }
    let previous: ReadonlyMap<string, PreviousPlacement> = evicted.length > 0 ? evictFromPrevious(base, evicted) : base;
    const marks = new Set([...this.rebalancing].filter((k) => previous.has(k)));
    if (marks.size > 0) {
      previous = markFresh(previous, marks);
      this.rebalanceRendered = { base, keys: marks };
    }
    return previous;
  }

  /** Why the cluster has no connection (null: connected, or never asked for). */
  connectionError(cluster: string): string | null {
    return this.clients.has(cluster) ? null : (this.connectionErrors.get(cluster) ?? null);
  }

  /** Closes every cluster connection. */
  close(): void {
    for (const c of this.clients.values()) c.api.close();
    this.clients.clear();
  }
}

/** group|kind|namespace|name of a ref (identityKey of the object it names). */
function refIdentity(ref: ResourceRef): string {
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
        `${c.cluster}: ${c.counts.failed} object${c.counts.failed === 1 ? '' : 's'} failed (first: ${first.ref.kind} ${first.ref.namespace ? `${first.ref.namespace}/` : ''}${first.ref.name}: ${first.message})`,
      );
    }
  }
  const drifted = result.clusters.reduce((n, c) => n + c.objects.filter((o) => o.drift.length > 0).length, 0);
  const notes: string[] = [];
  if (dryRun) notes.push('dry run (dryRun=All): nothing was changed');
  if (drifted > 0) notes.push(`drift corrected on ${drifted} object${drifted === 1 ? '' : 's'}`);
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
    message,
  };
}
