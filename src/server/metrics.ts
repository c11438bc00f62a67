// The service's Prometheus metrics (prom-client: its own registry, so tests and several
// instances in one process never share counters). Names follow Prometheus' conventions: base
// units (seconds), `_total` for counters, one label set per series, no unbounded labels except
// the cluster name (bounded by the fleet).
import client from 'prom-client';
import type { ReconcileOutcome } from '../reconcile/reconciler.js';

export type ObjectResult = 'applied' | 'failed' | 'drifted' | 'pruned';

export interface FlotillaMetrics {
  readonly registry: client.Registry;
  /**
   * Records one reconcile pass: its stage timings, success time and the per-cluster counts of the
   * status it composed (the same numbers as its status.yaml; never an earlier pass's status).
   */
  recordOutcome(outcome: ReconcileOutcome): void;
  /** Per-cluster object counts from an apply that knows them (the sharded kubernetes target). */
  recordCluster(cluster: string, counts: Partial<Record<ObjectResult, number>>): void;
  recordWebhook(provider: string, result: string): void;
  /** Shards this replica holds (1/0 per shard) and the live replicas it counts. */
  recordShards(owned: readonly number[], shards: number, replicas: number): void;
  /** The Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

/** Stage buckets: from a no-op poll (milliseconds) to a fleet-wide apply (minutes). */
const STAGE_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Creates the metrics. `perClusterFromStatus`: take per-cluster applied/failed/pruned counts from
 * the status of each pass (off when a sharded target reports them itself, to count once).
 */
export function createMetrics(opts: { perClusterFromStatus?: boolean; defaultMetrics?: boolean } = {}): FlotillaMetrics {
  const registry = new client.Registry();
  if (opts.defaultMetrics ?? true) client.collectDefaultMetrics({ register: registry, prefix: 'flotilla_' });
  const duration = new client.Histogram({
    name: 'flotilla_reconcile_duration_seconds',
    help: 'Time spent per reconcile stage (fetch, load, render, diff, write, status) and for the whole pass (stage="total").',
    labelNames: ['stage'],
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  const passes = new client.Counter({
    name: 'flotilla_reconcile_total',
    help: 'Reconcile passes by resulting phase (skipped: nothing new).',
    labelNames: ['phase'],
    registers: [registry],
  });
  const lastSuccess = new client.Gauge({
    name: 'flotilla_last_successful_reconcile_timestamp_seconds',
    help: 'Unix time of the last pass that ended Synced.',
    registers: [registry],
  });
  const lastFetch = new client.Gauge({
    name: 'flotilla_last_successful_fetch_timestamp_seconds',
    help: 'Unix time of the last pass whose fetch succeeded.',
    registers: [registry],
  });
  const fetch = new client.Histogram({
    name: 'flotilla_git_fetch_duration_seconds',
    help: 'Duration of the fetch stage (clone or incremental fetch of the source branch).',
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  const objects = new client.Counter({
    name: 'flotilla_objects_total',
    help: 'Objects per cluster by result: applied (created or configured), failed, drifted (live change corrected), pruned (deleted).',
    labelNames: ['cluster', 'result'],
    registers: [registry],
  });
  const webhooks = new client.Counter({
    name: 'flotilla_webhook_events_total',
    help:
      'Webhook requests by provider (github, gitlab, generic, unknown) and result ' +
      '(accepted, ignored, duplicate, unauthorized, too_large, rate_limited, bad_request).',
    labelNames: ['provider', 'result'],
    registers: [registry],
  });
  const shardOwned = new client.Gauge({
    name: 'flotilla_shard_owned',
    help: '1 when this replica holds the shard lease, 0 otherwise.',
    labelNames: ['shard'],
    registers: [registry],
  });
  const replicas = new client.Gauge({
    name: 'flotilla_replicas_live',
    help: 'Live replicas this replica counts (member leases not expired).',
    registers: [registry],
  });
  const perClusterFromStatus = opts.perClusterFromStatus ?? true;

  const recordCluster = (cluster: string, counts: Partial<Record<ObjectResult, number>>) => {
    for (const [result, n] of Object.entries(counts)) if (n && n > 0) objects.inc({ cluster, result }, n);
  };

  return {
    registry,
    contentType: registry.contentType,
    recordOutcome(outcome) {
      const status = outcome.status;
      passes.inc({ phase: outcome.skipped ? 'skipped' : outcome.phase });
      const now = Date.now() / 1000;
      if (outcome.stage !== 'fetch' && outcome.revision !== null) lastFetch.set(now);
      if (outcome.timings.fetch !== undefined) fetch.observe(outcome.timings.fetch / 1000);
      for (const [stage, ms] of Object.entries(outcome.timings)) if (typeof ms === 'number') duration.observe({ stage }, ms / 1000);
      duration.observe({ stage: 'total' }, outcome.durationMs / 1000);
      if (outcome.phase === 'Synced') lastSuccess.set(now);
      if (perClusterFromStatus && status && !outcome.skipped) {
        for (const [cluster, c] of Object.entries(status.clusters))
          recordCluster(cluster, { applied: c.applied, failed: c.failed, drifted: c.drifted ?? 0, pruned: c.deleted });
      }
    },
    recordCluster,
    recordWebhook(provider, result) {
      webhooks.inc({ provider, result });
    },
    recordShards(owned, shards, live) {
      for (let i = 0; i < shards; i++) shardOwned.set({ shard: String(i) }, owned.includes(i) ? 1 : 0);
      replicas.set(live);
    },
    text: () => registry.metrics(),
  };
}
