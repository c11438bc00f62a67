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
  applyInBackground?(deadlineMs: number): void;
  settle?(opts?: { dropQueued?: boolean }): Promise<void>;
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
}): Promise<ServiceResult> {
  const { sections, metrics } = opts;
  const readiness = new Readiness();
  opts.reconciler.applyInBackground?.(opts.passDeadlineMs ?? PASS_DEADLINE_MS);
  const loop = new ReconcileLoop(opts.reconciler, {
    schedule: opts.schedule,
    log: opts.log,
    onOutcome: (o) => {
      readiness.observe(o);
      metrics.recordOutcome(o);
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
  return runService({
    // Stopping waits for the pass and then for cluster runs still going in the background: they
    // finish (within the shutdown bound) before the leases are released; work queued behind them
    // does not start (the next start, or the replica taking the shard, applies it).
    loop: {
      startSchedule: () => loop.startSchedule(),
      trigger: () => loop.trigger(),
      stop: async () => {
        await loop.stop();
        await opts.reconciler.settle?.({ dropQueued: true });
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
}

/** Metrics for a service: per-cluster counts from the sharded target when sharding is on. */
export function serviceMetrics(sharded: boolean): FlotillaMetrics {
  return createMetrics({ perClusterFromStatus: !sharded });
}
