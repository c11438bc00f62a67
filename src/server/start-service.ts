// Everything `flotilla reconcile` needs to run as a service, built from the validated `server:`
// and `ha:` sections: the shard manager on the management cluster's Leases, the target wrapping
// that shards the kubernetes target (leader-only for fleet-wide targets), and the service itself
// (loop with metrics and readiness, HTTP server, graceful shutdown). The CLI calls these; they
// take the reconciler and its targets as parameters and change nothing in them.
import os from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LeaseClient } from '../ha/lease.js';
import { LeaderOnlyTarget, ShardedTarget } from '../ha/sharded-target.js';
import { ShardManager } from '../ha/shards.js';
import { kubeconfigTransport } from '../kube/transport.js';
import { kubeconfigErrorText } from '../kube/connections.js';
import { FlotillaError } from '../model/diagnostics.js';
import { ReconcileLoop, type Reconcilable } from '../reconcile/loop.js';
import type { ReconcileStatus } from '../state/document.js';
import type { Target } from '../targets/target.js';
import type { HaConfig, ServiceSections } from '../config/service.js';
import type { UnhealthyObject } from '../reconcile/context.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { ObjectStore } from '../source/objects.js';
import { readHistory, type HistoryEntry } from '../state/history.js';
import { startDashboard, type DashboardSource, type RunningDashboard } from './dashboard.js';
import { Readiness } from './http.js';
import { createMetrics, type FlotillaMetrics } from './metrics.js';
import { runService, type ServiceResult } from './service.js';

/** This replica's name: $identityEnv, else $HOSTNAME, else the host name. */
export function replicaIdentity(ha: HaConfig, env: NodeJS.ProcessEnv): string {
  return env[ha.identityEnv] || env.HOSTNAME || os.hostname();
}

/** The shard manager of `ha`, over the management cluster (ha.kubeconfig, else the pod's ServiceAccount). */
export function shardManagerFromConfig(
  ha: HaConfig,
  opts: { env: NodeJS.ProcessEnv; log: Logger; metrics: FlotillaMetrics; onGained(): void },
): ShardManager {
  const kc = new KubeConfig();
  if (ha.kubeconfig) {
    try {
      kc.loadFromFile(ha.kubeconfig);
    } catch (e) {
      // The YAML parser's message quotes the file, tokens included: report only where it broke.
      throw new FlotillaError('KUBECONFIG_UNREADABLE', `ha.kubeconfig ${ha.kubeconfig}: ${kubeconfigErrorText(e)}`);
    }
  } else kc.loadFromCluster();
  const client = new LeaseClient(kubeconfigTransport(kc), ha.leaseNamespace, Math.max(1000, ha.retryPeriodSeconds * 1000));
  const manager: ShardManager = new ShardManager({
    client,
    group: ha.leaseName,
    identity: replicaIdentity(ha, opts.env),
    shards: ha.shards,
    timing: {
      leaseDurationMs: ha.leaseDurationSeconds * 1000,
      renewDeadlineMs: ha.renewDeadlineSeconds * 1000,
      retryPeriodMs: ha.retryPeriodSeconds * 1000,
    },
    log: opts.log.child({ component: 'shards' }),
    onChange: (owned, gained) => {
      opts.metrics.recordShards(owned, ha.shards, manager.liveReplicas);
      // Shards taken over: apply their clusters now rather than at the next poll.
      if (gained.length > 0) opts.onGained();
    },
  });
  return manager;
}

/**
 * The reconciler's targets for a sharded replica: the kubernetes target becomes a ShardedTarget
 * with one inner target per cluster (`makeClusterTarget`, each with its own inventory), every other
 * target is written by the leader only.
 */
export function shardTargets(
  targets: readonly Target[],
  opts: { manager: ShardManager; makeClusterTarget(cluster: string): Target; parallelism: number; metrics: FlotillaMetrics; log: Logger },
): Target[] {
  return targets.map((t) =>
    t.type === 'kubernetes'
      ? new ShardedTarget({
          name: t.name,
          type: t.type,
          gate: opts.manager,
          clusterTarget: opts.makeClusterTarget,
          parallelism: opts.parallelism,
          log: opts.log,
          onCluster: (r) =>
            opts.metrics.recordCluster(r.cluster, {
              applied: r.report.created + r.report.configured,
              failed: r.report.failed,
              drifted: r.drifted,
              pruned: r.report.deleted,
            }),
        })
      : new LeaderOnlyTarget(t, () => opts.manager.isLeader()),
  );
}

/**
 * How long a pass of the service waits for its live clusters: a cluster still applying then goes
 * on in the background and the pass reports it as applying (docs/design/pass-stages.md "Slow
 * clusters"). A one-off `reconcile --once` waits for every cluster instead.
 */
export const PASS_DEADLINE_MS = 30_000;

/** What the service needs of the reconciler beyond its passes: cluster isolation and settling it before shutdown. */
export interface ServedReconciler extends Reconcilable {
  readonly status: ReconcileStatus | null;
  /** For the dashboard: the last render, and the status branch to read the history from. */
  readonly lastRender?: RenderResult | null;
  readonly statusBranch?: { tip: string | null; objects: ObjectStore };
  applyInBackground?(deadlineMs: number): void;
  settle?(opts?: { dropQueued?: boolean }): Promise<void>;
  /** Writes the render index the last passes left for later (Reconciler.flushRenderIndex). */
  flushRenderIndex?(): Promise<void>;
}

/** Runs the reconciler as a service until `stopSignal`; returns how the shutdown went. */
export async function serveReconciler(opts: {
  reconciler: ServedReconciler;
  schedule: string;
  branch: string;
  sections: ServiceSections;
  shards: ShardManager | null;
  metrics: FlotillaMetrics;
  stopSignal: Promise<void>;
  log: Logger;
  /** Receives the loop once made (e.g. so the shard manager's onGained can trigger it). */
  onLoop?(loop: ReconcileLoop): void;
  /** How long a pass waits for its clusters (default PASS_DEADLINE_MS). */
  passDeadlineMs?: number;
  /** Receives the dashboard once it listens (e.g. to learn its port). */
  onDashboard?(dashboard: RunningDashboard): void;
}): Promise<ServiceResult> {
  const { sections, metrics } = opts;
  const readiness = new Readiness();
  opts.reconciler.applyInBackground?.(opts.passDeadlineMs ?? PASS_DEADLINE_MS);
  let unhealthy: readonly UnhealthyObject[] = [];
  const dashboard = sections.server?.dashboard
    ? await startDashboard({
        listen: { host: sections.server.dashboard.host, port: sections.server.dashboard.port },
        path: sections.server.dashboard.path,
        token: sections.dashboardToken ?? null,
        source: dashboardSource(opts.reconciler, () => unhealthy),
        log: opts.log.child({ component: 'dashboard' }),
      })
    : null;
  if (dashboard) opts.onDashboard?.(dashboard);
  const loop = new ReconcileLoop(opts.reconciler, {
    schedule: opts.schedule,
    log: opts.log,
    onOutcome: (o) => {
      readiness.observe(o);
      metrics.recordOutcome(o);
      // A poll that found nothing new changes nothing a page shows.
      if (o.skipped) return;
      unhealthy = o.unhealthy;
      dashboard?.notify({ revision: o.revision, phase: o.phase, reason: o.reason });
    },
  });
  opts.onLoop?.(loop);
  const webhook = sections.server?.webhook
    ? {
        secret: sections.webhookSecret,
        branch: opts.branch,
        maxBodyBytes: sections.server.webhook.maxBodyBytes,
        rateLimit: sections.server.webhook.rateLimit,
      }
    : null;
  try {
    return await runService({
      // Stopping waits for the pass and then for cluster runs still going in the background: they
      // finish (within the shutdown bound) before the leases are released; work queued behind them
      // does not start (the next start, or the replica taking the shard, applies it).
      loop: {
        startSchedule: () => loop.startSchedule(),
        trigger: () => loop.trigger(),
        stop: async () => {
          await loop.stop();
          await opts.reconciler.settle?.({ dropQueued: true });
          // The render index may lag the last passes (written at most every few minutes): the next start uses it.
          await opts.reconciler.flushRenderIndex?.();
        },
      },
      readiness,
      metrics,
      server: sections.server ? { listen: { host: sections.server.host, port: sections.server.port }, webhook } : null,
      shards: opts.shards,
      stopSignal: opts.stopSignal,
      ...(sections.server ? { shutdownTimeoutMs: sections.server.shutdownTimeoutSeconds * 1000 } : {}),
      log: opts.log,
    });
  } finally {
    await dashboard?.close();
  }
}

/** The dashboard's view of a served reconciler: last render and status, the last pass's unhealthy objects, the status branch's history. */
function dashboardSource(reconciler: ServedReconciler, unhealthy: () => readonly UnhealthyObject[]): DashboardSource {
  // Commits never change: the history is read again only when the branch moved.
  let read: { tip: string; limit: number; entries: Promise<HistoryEntry[]> } | null = null;
  return {
    render: () => reconciler.lastRender ?? null,
    status: () => reconciler.status,
    unhealthy,
    history: (limit) => {
      const branch = reconciler.statusBranch;
      if (!branch?.tip) return Promise.resolve([]);
      if (read?.tip !== branch.tip || read.limit !== limit) {
        const entries = readHistory(branch.objects, branch.tip, limit);
        const mine = { tip: branch.tip, limit, entries };
        read = mine;
        // A failed read is not kept: the next request tries again. Only this read is dropped, not a
        // newer one made meanwhile for a branch that moved on.
        entries.catch(() => {
          if (read === mine) read = null;
        });
      }
      return read.entries;
    },
  };
}

/** Metrics for a service: per-cluster counts from the sharded target when sharding is on. */
export function serviceMetrics(sharded: boolean): FlotillaMetrics {
  return createMetrics({ perClusterFromStatus: !sharded });
}
