// The live clusters as the reconciler sees them: a port (LiveFleet) it receives when a kubernetes
// target is configured, and nothing otherwise. The port owns what applying does not: observation
// (readiness for failover, capacity for the estimator), failover's state machine and its events,
// the previous placements a render starts from (eviction, rebalanceOnRecovery), the placements
// failover keeps where they were, and what the live clusters add to the status. Applying stays
// with the kubernetes target; both reach the clusters through one ClusterPool.
import type { ClusterPool } from '../kube/cluster-pool.js';
import type { ClusterClient, FleetSyncResult } from '../kube/fleet.js';
import { mapLimit } from '../kube/limit.js';
import { ClusterPipelines } from '../kube/cluster-pipelines.js';
import { observeCluster, type ClusterObservation } from '../kube/observe.js';
import type { ClusterSyncResult } from '../kube/sync.js';
import type { FleetModel, ObjectRef, PreviousPlacement, PropagationPolicy } from '../model/types.js';
import { versionedKey } from '../objects/identity.js';
import { policyRefText } from '../placement/claim.js';
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
import {
  evictionDocuments,
  evictionTaskOf,
  failoverHealth,
  nextApplicationFailover,
  NO_APPLICATION_FAILOVER,
  retainedCopies,
  withApplicationEvictions,
  type ApplicationFailoverState,
  type WorkloadObservation,
} from './application-failover.js';
import { readWorkloads } from './workloads.js';
import type { WorkloadReading } from '../traffic/decide.js';

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
  /**
   * Application failover (application-failover.ts) after the pass that applied `rendered`: clocks,
   * evictions, their end: whether the evictions in force changed (the render must be redone), and the events.
   */
  applicationFailover?(
    rendered: Pick<RenderResult, 'placements' | 'model'>,
    sync: FleetSyncResult | null,
  ): { changed: boolean; events: FailoverEvent[] };
  /** The evictions in force, as a key: a render is reused only for the same evictions. */
  evictionKey?(): string;
  /** Old copies the apply engine keeps on the clusters their workload is being evicted from. */
  retainedCopies?(): Array<{ cluster: string; ref: ObjectRef; message: string }>;
  /** Cluster isolation: observe() stops waiting for slow clusters (LiveClusters.applyInBackground). */
  applyInBackground?(deadlineMs: number): void;
  /** Ready replicas of workloads on clusters, for adaptive weights and canary checks (live/workloads.ts). */
  readWorkloads?(requests: ReadonlyArray<{ cluster: string; ref: ObjectRef }>): Promise<Map<string, WorkloadReading>>;
}

/**
 * With cluster isolation, how long observe() waits for clusters it has observed before: a reading
 * is three small requests, and one a pass late is harmless (capacity changes slowly, failover counts
 * in tens of seconds), while waiting would hold every other cluster back.
 */
const OBSERVE_WAIT_MS = 1000;
/** ... and once half the clusters answered after T ms, at most max(250 ms, 3 × T) in all (cluster-pipelines.ts quorum). */
const OBSERVE_QUORUM = { factor: 3, minMs: 250 };

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
  /** Application failover: unhealthy clocks (memory only, as Karmada's) and eviction tasks (status branch). */
  private application: ApplicationFailoverState = NO_APPLICATION_FAILOVER;
  /** Failover events kept on the status branch (the newest, oldest first). */
  private events: FailoverEvent[] = [];
  private last: FleetObservation | null = null;
  private lastConditions = new Map<string, ClusterCondition>();
  /** Cluster isolation (applyInBackground): one observation per cluster at a time, a slow one finishing in the background. */
  private isolation: { firstMs: number; knownMs: number } | null = null;
  private readonly observing = new ClusterPipelines<ClusterObservation>({
    now: () => this.opts.now(),
    failed: (cluster, e) => ({ cluster, probe: { ok: false, error: String(e) }, resourceSummary: null, capacityError: String(e) }),
  });
  /** Clusters observed at least once by this process. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly pool: ClusterPool,
    private readonly opts: LiveClustersOptions,
  ) {}

  readWorkloads(requests: ReadonlyArray<{ cluster: string; ref: ObjectRef }>): Promise<Map<string, WorkloadReading>> {
    return readWorkloads((cluster) => this.pool.client(cluster), requests, this.pool.parallelism());
  }

  get clusterConditions(): ClusterCondition[] {
    return [...this.conditions.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  /** The last observation's file, with the eviction tasks in force (--observed reproduces them). */
  get observedRecord(): string | null {
    if (!this.last) return null;
    const docs = evictionDocuments(this.application.tasks);
    return docs.length === 0 ? this.last.file.text : [this.last.file.text, ...docs].join('---\n');
  }

  restore(failover: FailoverStatus | null | undefined): void {
    if (!failover) return;
    this.conditions = new Map((failover.conditions as ClusterCondition[]).map((c) => [c.cluster, { ...c }]));
    this.events = failover.events.filter((e): e is FailoverEvent => EVENT_TYPES.has(e.type));
    const tasks = (failover.evictions ?? []).flatMap((t) => evictionTaskOf(t as unknown as Record<string, unknown>) ?? []);
    this.application = { unhealthy: [], tasks };
  }

  applicationFailover(
    rendered: Pick<RenderResult, 'placements' | 'model'>,
    sync: FleetSyncResult | null,
  ): { changed: boolean; events: FailoverEvent[] } {
    const before = this.evictionKey();
    const evicting = new Set(this.application.tasks.map((t) => versionedKey(t.resource)));
    const workloads = workloadObservations(rendered, sync, evicting);
    const { state, events } = nextApplicationFailover(this.application, workloads, this.opts.now());
    this.application = state;
    this.events = recentEvents(this.events, events);
    return { changed: this.evictionKey() !== before, events };
  }

  evictionKey(): string {
    return this.application.tasks.map((t) => `${t.cluster}:${versionedKey(t.resource)}`).join(',');
  }

  retainedCopies(): Array<{ cluster: string; ref: ObjectRef; message: string }> {
    return retainedCopies(this.application.tasks);
  }

  async observe(
    clusterNames: readonly string[],
    opts: { capacity: boolean; probeTimeoutMs?: number } = { capacity: true },
  ): Promise<FleetObservation> {
    this.pool.connect(clusterNames);
    const clients = this.pool.connected(clusterNames);
    const observeOpts = {
      parallelism: this.pool.parallelism(),
      probeTimeoutMs: opts.probeTimeoutMs ?? this.opts.probeTimeoutMs,
      capacity: opts.capacity,
    };
    const observations = this.isolation ? await this.observeIsolated(clients, observeOpts) : await observeFleet(clients, observeOpts);
    const now = this.opts.now();
    const events = observations.flatMap((o) => this.advance(o, now));
    // Every connected cluster with a condition: one whose reading is still on its way keeps the last.
    const observed = [...clients.keys()].filter((n) => this.conditions.has(n)).sort();
    const clusters: ObservedCluster[] = observed.map((name) => {
      const c = this.conditions.get(name)!;
      return {
        name,
        ready: c.ready,
        message: c.ready ? null : c.lastError,
        taints: failoverTaints(c, now, this.opts.failover),
        resourceSummary: this.summaries.get(name) ?? null,
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

  /** Observes with cluster isolation (applyInBackground): the readings that came in, this round's or a late one's. */
  private async observeIsolated(
    clients: ReadonlyMap<string, ClusterClient>,
    opts: { parallelism: number; probeTimeoutMs: number; capacity: boolean },
  ): Promise<ClusterObservation[]> {
    const names = [...clients.keys()].sort();
    // A cluster never observed yet is waited for (the render needs its first reading); afterwards a
    // reading far slower than the others' comes in a pass late.
    const known = names.every((n) => this.seen.has(n));
    const round = await this.observing.round(
      names.map((n) => ({ cluster: n, run: () => observeCluster(clients.get(n)!.api, opts) })),
      {
        revision: null,
        deadlineMs: known ? this.isolation!.knownMs : this.isolation!.firstMs,
        parallelism: opts.parallelism,
        ...(known ? { quorum: OBSERVE_QUORUM } : {}),
      },
    );
    const readings = new Map<string, ClusterObservation>();
    for (const [cluster, late] of round.background) if (clients.has(cluster)) readings.set(cluster, late.at(-1)!.result);
    for (const [cluster, o] of round.finished) readings.set(cluster, o);
    for (const cluster of readings.keys()) this.seen.add(cluster);
    return [...readings.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  }

  applyInBackground(deadlineMs: number): void {
    this.isolation = { firstMs: deadlineMs, knownMs: Math.min(deadlineMs, OBSERVE_WAIT_MS) };
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
    previous = withApplicationEvictions(previous, this.application.tasks);
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
    const applying = sync.clusters.filter((c) => c.background?.applying).map((c) => c.cluster);
    return livePhase({ kept, drifted, health, applying });
  }

  statusFields(sync: FleetSyncResult | null, last: ReconcileStatus | null): Pick<ReconcileStatus, 'health' | 'failover'> {
    const health = sync && sync.clusters.some((c) => c.objects.some((o) => o.health)) ? sync.health.status : (last?.health ?? null);
    const evictions = this.application.tasks.map((t) => ({ ...t, resource: { ...t.resource } }));
    return {
      health,
      failover: {
        conditions: this.clusterConditions,
        events: this.events.map((e) => ({ ...e })),
        ...(evictions.length > 0 ? { evictions } : {}),
      },
    };
  }

  close(): void {
    this.pool.close();
  }
}

const EVENT_TYPES: ReadonlySet<string> = new Set<FailoverEvent['type']>([
  'NotReady',
  'Evicting',
  'Ready',
  'ApplicationEvicted',
  'EvictionEnded',
]);

/** Every propagation policy by `kind/namespace/name`. */
function policiesByRef(model: FleetModel): Map<string, PropagationPolicy> {
  return new Map([...model.propagationPolicies, ...model.clusterPropagationPolicies].map((p) => [policyRefText(p), p]));
}

/**
 * The workloads application failover watches: the placements whose policy asks for it, with the
 * health the last live sync read of each copy (a cluster that did not answer says nothing), and,
 * so their evictions end, those of the evicted workloads whose policy no longer asks for it.
 */
export function workloadObservations(
  rendered: Pick<RenderResult, 'placements' | 'model'>,
  sync: FleetSyncResult | null,
  evicting: ReadonlySet<string> = new Set(),
): WorkloadObservation[] {
  const policies = policiesByRef(rendered.model);
  // Nothing asks for application failover and nothing is evicted: no need to read any health.
  if (evicting.size === 0 && ![...policies.values()].some((p) => p.applicationFailover)) return [];
  const health = new Map<string, { health: ReturnType<typeof failoverHealth>; message: string }>();
  for (const c of sync?.clusters ?? []) {
    if (!c.reachable) continue;
    for (const o of c.objects) {
      if (o.health)
        health.set(`${c.cluster}\u0000${versionedKey(o.ref)}`, { health: failoverHealth(o.health.status), message: o.health.message });
    }
  }
  const out: WorkloadObservation[] = [];
  for (const p of rendered.placements) {
    const key = versionedKey(p.resource);
    const policy = p.policy ? policies.get(policyRefText(p.policy)) : undefined;
    const failover = policy?.applicationFailover ?? null;
    if (!failover && !evicting.has(key)) continue;
    // Karmada reschedules a Divided workload only when its placement or replicas change (§4.4).
    const divided = policy?.placement.replicaScheduling?.replicaSchedulingType === 'Divided' && p.replicas !== null;
    const rescheduleKey = divided ? JSON.stringify([policy!.placement, p.replicas]) : null;
    const clusters = p.clusters.map((c) => c.name);
    const seen = new Map(
      clusters.flatMap((c) => {
        const h = health.get(`${c}\u0000${key}`);
        return h ? [[c, h] as const] : [];
      }),
    );
    out.push({ resource: p.resource, failover, clusters, health: seen, rescheduleKey });
  }
  return out;
}
