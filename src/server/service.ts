// flotilla as a long-running service: the HTTP server, the shard leases and the reconcile loop
// started together, and stopped in the order that leaves nothing half done (SIGTERM from the
// kubelet): not ready (the Service stops sending webhooks) → no new cluster applies start →
// the running pass finishes its in-flight applies and writes its status, cluster runs going on in
// the background finish (cluster isolation: start-service.ts) → leases released (the
// other replicas take the shards at once instead of after the lease duration) → server closed.
// The whole shutdown is bounded, below the pod's terminationGracePeriodSeconds.
import type { Logger } from 'pino';
import { startServer, type Readiness, type RunningServer, type ServerOptions } from './http.js';
import type { FlotillaMetrics } from './metrics.js';

/** The parts of the loop and the shard manager the service drives. */
export interface ServiceLoop {
  startSchedule(): void;
  trigger(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface ServiceShards {
  start(): void;
  drain(): void;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  loop: ServiceLoop;
  readiness: Readiness;
  metrics: FlotillaMetrics;
  /** null: no HTTP server (e.g. `--once`). */
  server: Omit<ServerOptions, 'trigger' | 'readiness' | 'metrics' | 'log'> | null;
  shards: ServiceShards | null;
  /** Resolves when the service must stop (SIGTERM, SIGINT). */
  stopSignal: Promise<void>;
  /** Upper bound of the shutdown (default 25 s: under Kubernetes' default 30 s grace period). */
  shutdownTimeoutMs?: number;
  log: Logger;
}

export interface ServiceResult {
  /** False when the shutdown bound ran out before the pass finished. */
  clean: boolean;
  shutdownMs: number;
}

/** Runs until the stop signal, then shuts down gracefully within the bound. */
export async function runService(opts: ServiceOptions): Promise<ServiceResult> {
  const { log } = opts;
  let server: RunningServer | null = null;
  if (opts.server)
    server = await startServer({
      ...opts.server,
      trigger: () => opts.loop.trigger(),
      readiness: opts.readiness,
      metrics: opts.metrics,
      log,
    });
  opts.shards?.start();
  opts.loop.startSchedule();
  await opts.stopSignal;
  const started = Date.now();
  const bound = opts.shutdownTimeoutMs ?? 25_000;
  log.info({ boundMs: bound }, 'stopping: finishing in-flight cluster applies and the status commit, then releasing leases');
  opts.readiness.shutdown();
  opts.shards?.drain();
  let timer: NodeJS.Timeout | undefined;
  const graceful = (async () => {
    await opts.loop.stop();
    await opts.shards?.stop();
    return true;
  })();
  const clean = await Promise.race([graceful, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), bound)))]);
  clearTimeout(timer);
  if (!clean)
    log.error(
      { boundMs: bound },
      'shutdown bound ran out; exiting with the pass unfinished (the next start catches up from the status branch)',
    );
  await server?.close();
  const shutdownMs = Date.now() - started;
  log.info({ shutdownMs, clean }, 'stopped');
  return { clean, shutdownMs };
}
