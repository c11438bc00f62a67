// A reconciler running as a service over a real Git server (git http-backend), with its dashboard
// on a free loopback port: what the dashboard tests, HTTP and browser, drive. Passes run when the
// test triggers them, as a push webhook would, so nothing waits on a schedule.
import path from 'node:path';
import type { ReconcileLoop } from '../../src/reconcile/loop.js';
import type { RunningDashboard } from '../../src/server/dashboard.js';
import { createMetrics } from '../../src/server/metrics.js';
import { serveReconciler } from '../../src/server/start-service.js';
import { makeTempDir } from '../helpers/git.js';
import { captureLogger, configFrom, reconcilerFor, seedFiles } from '../reconcile/harness.js';
import { ENV, PASSWORD, remoteConfig, serveFleet, type ServedFleet } from '../reconcile/remote-harness.js';

export const TOKEN = 'dashboard-token-0123456789';

export interface ServedDashboard {
  fleet: ServedFleet;
  url: string;
  /** One pass now (what a push webhook triggers); resolves with it. */
  pass(): Promise<unknown>;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts the served fleet (default: the seed), the reconciler service and its dashboard; `token`
 * false: no token; `targets`: the config's targets (default: a directory).
 */
export async function startServedDashboard(
  opts: { token?: boolean; files?: Record<string, string>; targets?: string } = {},
): Promise<ServedDashboard> {
  const fleet = await serveFleet(opts.files ?? (await seedFiles()));
  const base = await makeTempDir('flotilla-dashboard-');
  const token = opts.token ?? true;
  const server = [
    'server:',
    '  listen: 127.0.0.1:0',
    '  dashboard:',
    '    listen: 127.0.0.1:0',
    '    path: /flotilla/',
    token ? '    tokenEnv: DASHBOARD_TOKEN' : '',
  ]
    .filter(Boolean)
    .join('\n');
  const env = { ...ENV, DASHBOARD_TOKEN: TOKEN };
  const loaded = configFrom(`${remoteConfig(fleet.url, opts.targets ? { targets: opts.targets } : {})}\n${server}\n`, base, env);
  const logs = captureLogger([PASSWORD, TOKEN]);
  const { reconciler } = await reconcilerFor(loaded, { log: logs.log });
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  let loop!: ReconcileLoop;
  let dashboard!: RunningDashboard;
  const service = serveReconciler({
    reconciler,
    schedule: '0 0 1 1 *', // never during a test: passes run when triggered
    branch: 'main',
    sections: { server: loaded.config.server, ha: null, webhookSecret: null, dashboardToken: loaded.dashboardToken },
    shards: null,
    metrics: createMetrics({ defaultMetrics: false }),
    stopSignal,
    log: logs.log,
    onLoop: (l) => (loop = l),
    onDashboard: (d) => (dashboard = d),
  });
  // serveReconciler starts the dashboard before the loop: both are there once the loop is.
  while (!loop) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    fleet,
    url: dashboard.url,
    pass: () => loop.trigger(),
    logs: logs.lines,
    async stop() {
      stop();
      await service;
      reconciler.close();
      await fleet.server.close();
    },
  };
}

/** The seed's nginx with the static weights of fixtures/plan/weight-change (60/40 → 50/50: 6/4 → 5/5 replicas). */
export async function nginxFiftyFifty(): Promise<Record<string, string>> {
  const { readFile } = await import('node:fs/promises');
  const file = path.resolve(import.meta.dirname, '../../fixtures/plan/weight-change/head/05-nginx.yaml');
  return { '05-nginx.yaml': await readFile(file, 'utf8') };
}
