// The live clusters as the reconciler sees them: a port (LiveFleet) it receives when a kubernetes
// target is configured, and nothing otherwise. The port owns what applying does not: observation
// (readiness for failover, capacity for the estimator), failover's state machine and its events,
// the previous placements a render starts from (eviction, rebalanceOnRecovery), the placements
// failover keeps where they were, and what the live clusters add to the status. Applying stays
// with the kubernetes target; both reach the clusters through one ClusterPool.
import type { ClusterPool } from '../kube/cluster-pool.js';
import type { ClusterClient, FleetSyncResult } from '../kube/fleet.js';
import { mapLimit } from '../kube/limit.js';
import { observeCluster, type ClusterObservation } from '../kube/observe.js';
import type { ClusterSyncResult } from '../kube/sync.js';
import type { PreviousPlacement } from '../model/types.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { ClusterStatus, FailoverStatus, ReconcileStatus } from '../state/document.js';
import {
  evictFromPrevious,
  evictedClusters,
  failoverTaints,
  nextCondition,
  type ClusterCondition,
  type FailoverEvent,
  type FailoverSettings,
} from './failover.js';
import {
  displacedBy,
  failoverUnschedulable,
  liveClusterStatus,
  livePhase,
  markFresh,
  recentEvents,
  type KeptPlacement,
  type LivePhase,
} from './live-status.js';
import { observedClustersFile, type ObservedCluster } from './observed.js';

/** What one observation found: per cluster, plus failover's state and what changed. */
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

/** The live clusters, as the reconciler's optional port. */
export interface LiveFleet {
  /** Failover's clocks and events as the status branch kept them: a cluster down before a restart stays down. */
  restore(failover: FailoverStatus | null | undefined): void;
  /** Probes the clusters, advances failover at the clock's now, and returns what the next render needs. */
  observe(clusters: readonly string[], opts?: { capacity: boolean; probeTimeoutMs?: number }): Promise<FleetObservation>;
  /** Karmada's previous result for the next render, from the last good placements and the evicted clusters. */
  previousForRender(
    base: ReadonlyMap<string, PreviousPlacement> | undefined,
    evicted: readonly string[],
  ): ReadonlyMap<string, PreviousPlacement> | undefined;
  /** The placements failover alone made unschedulable, kept where they were (none: the revision is judged as it is). */
  keptPlacements(
    result: Pick<RenderResult, 'diagnostics' | 'placements'>,
    previous: ReadonlyMap<string, PreviousPlacement> | undefined,
  ): KeptPlacement[];
  /** A cluster's status with what the live sync and failover say about it. */
  clusterStatus(cluster: string, base: ClusterStatus, sync: ClusterSyncResult | undefined): ClusterStatus;
  /** The phase a live sync gives a pass that applied its revision without a failed target. */
  passPhase(kept: number, sync: FleetSyncResult): LivePhase;
  /** status.yaml's health and failover. */
  statusFields(sync: FleetSyncResult | null, last: ReconcileStatus | null): Pick<ReconcileStatus, 'health' | 'failover'>;
  /** The last observation's file, recorded on the status branch (null: none yet). */
  readonly observedRecord: string | null;
  /** The failover state of every observed cluster. */
  readonly clusterConditions: ClusterCondition[];
  /** Closes the clusters' connections. */
  close(): void;
}

/** Probes (and reads the capacity of) every connected cluster, `parallelism` at a time. */
export async function observeFleet(
  clients: ReadonlyMap<string, ClusterClient>,
  opts: { parallelism: number; probeTimeoutMs: number; capacity: boolean },
): Promise<ClusterObservation[]> {
  const names = [...clients.keys()].sort();
  return mapLimit(names, opts.parallelism, (name) => observeCluster(clients.get(name)!.api, opts));
}

export interface LiveClustersOptions {
  failover: FailoverSettings;
  now(): number;
  /** A probe's timeout unless observe() is given one (the target's request timeout). */
  probeTimeoutMs: number;
}

/** The LiveFleet over a pool of cluster connections. */
export class LiveClusters implements LiveFleet {
  private conditions = new Map<string, ClusterCondition>();
  private readonly summaries = new Map<string, ObservedCluster['resourceSummary']>();
  /** Per evicted cluster, the resources failover moved off it (forgotten when it recovers). */
  private readonly displaced = new Map<string, Set<string>>();
  /** Resources to schedule afresh in the next render (rebalanceOnRecovery), until a render carrying them is applied. */
  private readonly rebalancing = new Set<string>();
  /** The base (last good placements) the last fresh marks were rendered on, and the marks. */
  private rebalanceRendered: { base: ReadonlyMap<string, PreviousPlacement>; keys: Set<string> } | null = null;
  /** Failover events kept on the status branch (the newest, oldest first). */
  private events: FailoverEvent[] = [];
  private last: FleetObservation | null = null;
  private lastConditions = new Map<string, ClusterCondition>();

  constructor(
    private readonly pool: ClusterPool,
    private readonly opts: LiveClustersOptions,
  ) {}

  get clusterConditions(): ClusterCondition[] {
    return [...this.conditions.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  get observedRecord(): string | null {
    return this.last?.file.text ?? null;
  }

  restore(failover: FailoverStatus | null | undefined): void {
    if (!failover) return;
    this.conditions = new Map((failover.conditions as ClusterCondition[]).map((c) => [c.cluster, { ...c }]));
    this.events = failover.events.filter((e): e is FailoverEvent => e.type === 'NotReady' || e.type === 'Evicting' || e.type === 'Ready');
  }

  async observe(
    clusterNames: readonly string[],
    opts: { capacity: boolean; probeTimeoutMs?: number } = { capacity: true },
  ): Promise<FleetObservation> {
    this.pool.connect(clusterNames);
    const observations = await observeFleet(this.pool.connected(clusterNames), {
      parallelism: this.pool.parallelism(),
      probeTimeoutMs: opts.probeTimeoutMs ?? this.opts.probeTimeoutMs,
      capacity: opts.capacity,
    });
    const now = this.opts.now();
    const events = observations.flatMap((o) => this.advance(o, now));
    const clusters: ObservedCluster[] = observations.map((o) => {
      const c = this.conditions.get(o.cluster)!;
      return {
        name: o.cluster,
        ready: c.ready,
        message: c.ready ? null : c.lastError,
        taints: failoverTaints(c, now, this.opts.failover),
        resourceSummary: this.summaries.get(o.cluster) ?? null,
      };
    });
    const conditions = clusterNames.flatMap((n) => (this.conditions.has(n) ? [this.conditions.get(n)!] : []));
    const observation: FleetObservation = {
      at: now,
      clusters,
      conditions,
      events,
      evicted: evictedClusters(conditions, now, this.opts.failover),
      file: observedClustersFile(clusters),
    };
    this.last = observation;
    this.lastConditions = new Map(conditions.map((c) => [c.cluster, c]));
    this.events = recentEvents(this.events, events);
    return observation;
  }

  /** One cluster's probe through failover's state machine; a recovery may mark what moved off it for a fresh schedule. */
  private advance(o: ClusterObservation, now: number): FailoverEvent[] {
    const { condition, events } = nextCondition(this.conditions.get(o.cluster), o.cluster, o.probe, now, this.opts.failover);
    this.conditions.set(o.cluster, condition);
    if (o.resourceSummary) this.summaries.set(o.cluster, o.resourceSummary);
    for (const ev of events) {
      if (ev.type !== 'Ready') continue;
      // Recovered: what failover moved off it moves back only when the config asks (issue 4).
      const moved = this.displaced.get(ev.cluster);
      this.displaced.delete(ev.cluster);
      if (moved && this.opts.failover.rebalanceOnRecovery) {
        for (const key of moved) this.rebalancing.add(key);
        ev.message += `; rebalanceOnRecovery: ${moved.size} workload${moved.size === 1 ? '' : 's'} moved off it scheduled afresh`;
      }
    }
    return events;
  }

  /**
   * The last good placements less the evicted clusters (the taint manager's eviction), remembering
   * which workloads each eviction displaces; after a recovery with `failover.rebalanceOnRecovery`,
   * those workloads are marked for a fresh schedule (Karmada's Fresh mode) until a render carrying
   * them becomes the last good state. Without it they keep their current placement: dynamic weights
   * and Aggregated keep their split (steady mode with unchanged replicas), while static weights,
   * which never read the previous result, move back — as in Karmada.
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

  keptPlacements(
    result: Pick<RenderResult, 'diagnostics' | 'placements'>,
    previous: ReadonlyMap<string, PreviousPlacement> | undefined,
  ): KeptPlacement[] {
    return failoverUnschedulable(result, previous) ?? [];
  }

  clusterStatus(cluster: string, base: ClusterStatus, sync: ClusterSyncResult | undefined): ClusterStatus {
    return liveClusterStatus(base, sync, {
      condition: this.lastConditions.get(cluster) ?? null,
      connectionError: this.pool.connectionError(cluster),
    });
  }

  passPhase(kept: number, sync: FleetSyncResult): LivePhase {
    const drifted = sync.clusters.reduce((n, c) => n + c.objects.filter((o) => o.drift.length > 0).length, 0);
    const health = sync.clusters.some((c) => c.objects.some((o) => o.health)) ? sync.health.status : null;
    return livePhase({ kept, drifted, health });
  }

  statusFields(sync: FleetSyncResult | null, last: ReconcileStatus | null): Pick<ReconcileStatus, 'health' | 'failover'> {
    const health = sync && sync.clusters.some((c) => c.objects.some((o) => o.health)) ? sync.health.status : (last?.health ?? null);
    return { health, failover: { conditions: this.clusterConditions, events: this.events.map((e) => ({ ...e })) } };
  }

  close(): void {
    this.pool.close();
  }
}
