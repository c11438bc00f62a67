// flotilla reconcile --config FILE [--once [--wait[=DURATION]] | --dry-run]: the reconciler. With
// --once, one pass and a summary (exit 0 when the revision was applied — Synced, or Progressing
// while workloads roll out — 1 when it failed or is invalid, 3 when it was applied with a problem
// (Degraded); --wait keeps reconciling until every applied workload is Healthy, 4 when the time ran
// out first). --dry-run renders, diffs and reports what each target would do, writing nothing and
// committing no status (same exit statuses). Without either, it runs as a service until SIGINT or
// SIGTERM: polls on the config's schedule, serves /healthz, /readyz, /metrics and /hooks/git when
// `server:` is configured, and with `ha:` shares the clusters with the other replicas over shard
// Leases. Its exit status says whether the shutdown finished within its bound (0) or cut a pass
// short (1).
// Logs go to stderr: JSON lines unless stderr is a terminal.
import type { Logger } from 'pino';
import { readConfigFile, type LoadedConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import type { ReconcileLoop } from '../../reconcile/loop.js';
import { startReconciler } from '../../reconcile/start.js';
import { systemClock, type Clock, type ReconcileOutcome } from '../../reconcile/reconciler.js';
import { DRY_RUN_HEADER, formatDryRun } from '../../reconcile/dry-run.js';
import {
  DEFAULT_WAIT_MS,
  formatDuration,
  parseWaitDuration,
  unhealthyLines,
  waitForHealth,
  type WaitResult,
} from '../../reconcile/wait.js';
import { serveReconciler, serviceMetrics, shardManagerFromConfig, shardTargets } from '../../server/start-service.js';
import type { WrapTargets } from '../../targets/create.js';
import type { TargetFs } from '../../targets/fs.js';
import { formatStatusText } from '../../state/summary.js';
import { FlotillaError } from '../../model/diagnostics.js';
import { Exit, parseFlags, type Command, type CommandIO } from '../io.js';

const USAGE = 'flotilla reconcile --config FILE [--once [--wait[=DURATION]] | --dry-run] [--log-level trace|debug|info|warn|error]';

/** Exit statuses of one pass (docs/reference/contract.md): beyond Exit.OK and Exit.ERRORS. */
export const ONCE_EXIT = { DEGRADED: 3, NOT_HEALTHY: 4 } as const;

/** Clusters a sharded replica applies at once when the kubernetes target does not say (its own default). */
const DEFAULT_SHARD_PARALLELISM = 10;

export interface ReconcileCommandDeps {
  env: NodeJS.ProcessEnv;
  /** Resolves when the daemon should stop (default: SIGINT or SIGTERM). */
  stopSignal?: () => Promise<void>;
  clock?: Clock;
  fs?: TargetFs;
  /** Log lines to stderr as JSON (default: unless io.isTTY). */
  json?: boolean;
  /**
   * Called when the shutdown bound ran out with a pass unfinished: the process must not linger
   * past the bound finishing it (the real command exits; tests observe the call).
   */
  abandon?: (code: number) => void;
}

/** Waits for SIGINT or SIGTERM. */
function processStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** The reconcile command with its outside world passed in (tests pass env and a stop signal). */
export function makeReconcileCommand(deps: ReconcileCommandDeps): Command {
  return async (argv: string[], io: CommandIO) => {
    const { values } = parseFlags(
      // A bare --wait takes the default duration (parseArgs wants a value for a string option).
      argv.map((a) => (a === '--wait' ? `--wait=${formatDuration(DEFAULT_WAIT_MS)}` : a)),
      {
        config: { type: 'string' },
        once: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        wait: { type: 'string' },
        'log-level': { type: 'string' },
      },
      USAGE,
    );
    if (!values.config) throw new FlotillaError('USAGE', `reconcile needs --config FILE\nusage: ${USAGE}`);
    const waitMs = waitFlag(values.wait, { once: values.once ?? false, dryRun: values['dry-run'] ?? false });
    const loaded = await readConfigFile(values.config, deps.env);
    const secrets = [
      ...(loaded.credentials ? [loaded.credentials.password] : []),
      ...(loaded.webhookSecret ? [loaded.webhookSecret] : []),
      ...(loaded.dashboardToken ? [loaded.dashboardToken] : []),
    ];
    const log = createLogger({
      json: deps.json ?? !io.isTTY,
      write: io.stderr,
      secrets,
      level: values['log-level'] ?? loaded.config.log.level,
    });

    if (values.once || values['dry-run']) {
      // One pass applies everything it is given: no leases, no server (a one-off run or CI job).
      return runOnce(loaded, io, { deps, log, dryRun: values['dry-run'] ?? false, waitMs });
    }

    const { config } = loaded;
    // Listen for the stop signal before anything starts, so an early SIGTERM is not the default kill.
    const stopSignal = (deps.stopSignal ?? processStopSignal)();
    const metrics = serviceMetrics(config.ha !== null);
    let loop: ReconcileLoop | null = null;
    const shards = config.ha
      ? shardManagerFromConfig(config.ha, {
          env: deps.env,
          log,
          metrics,
          // Shards taken over (a replica died or left): apply their clusters now, not at the next poll.
          onGained: () => void loop?.trigger().catch((e: unknown) => log.error({ err: e }, 'reconcile after a shard takeover threw')),
        })
      : null;
    const kube = config.targets.find((t) => t.type === 'kubernetes');
    const parallelism = (kube?.type === 'kubernetes' ? kube.parallelism : null) ?? DEFAULT_SHARD_PARALLELISM;
    const wrapTargets: WrapTargets | undefined = shards
      ? (targets, makeClusterTarget) =>
          shardTargets(targets, { manager: shards, makeClusterTarget, parallelism, metrics, log: log.child({ component: 'shards' }) })
      : undefined;
    const { reconciler } = await startReconciler(loaded, { log, clock: deps.clock, fs: deps.fs, wrapTargets });
    log.info(
      {
        schedule: config.source.schedule,
        source: config.source.url,
        branch: config.source.branch,
        server: config.server ? `${config.server.host}:${config.server.port}` : null,
        shards: config.ha?.shards ?? null,
        identity: shards?.identity ?? null,
      },
      'reconciler started',
    );
    let result;
    try {
      result = await serveReconciler({
        reconciler,
        schedule: config.source.schedule,
        branch: config.source.branch,
        sections: { server: config.server, ha: config.ha, webhookSecret: loaded.webhookSecret, dashboardToken: loaded.dashboardToken },
        shards,
        metrics,
        stopSignal,
        log,
        onLoop: (l) => (loop = l),
      });
    } finally {
      reconciler.close();
    }
    if (result.clean) return Exit.OK;
    deps.abandon?.(Exit.ERRORS);
    return Exit.ERRORS;
  };
}

/** --wait's duration in ms (null: no --wait); it goes with --once only. */
function waitFlag(value: string | undefined, mode: { once: boolean; dryRun: boolean }): number | null {
  if (value === undefined) return null;
  if (mode.dryRun) throw new FlotillaError('USAGE', `--wait goes with --once, not --dry-run (a dry run applies nothing)\nusage: ${USAGE}`);
  if (!mode.once) throw new FlotillaError('USAGE', `--wait goes with --once\nusage: ${USAGE}`);
  const ms = parseWaitDuration(value);
  if (ms === null) throw new FlotillaError('USAGE', `--wait wants a duration between 1s and 24h, e.g. 90s, 5m, 1h30m (got "${value}")`);
  return ms;
}

/** The exit status of one pass: 0 applied (Synced or Progressing), 1 Failed or Invalid, 3 Degraded, 4 --wait ran out. */
export function onceExitStatus(outcome: ReconcileOutcome, waited: WaitResult | null): number {
  if (waited?.timedOut) return ONCE_EXIT.NOT_HEALTHY;
  if (outcome.phase === 'Synced' || outcome.phase === 'Progressing') return Exit.OK;
  return outcome.phase === 'Degraded' ? ONCE_EXIT.DEGRADED : Exit.ERRORS;
}

/** --once and --dry-run: one pass (and with --wait, the passes until the workloads are Healthy), then its summary. */
async function runOnce(
  loaded: LoadedConfig,
  io: CommandIO,
  opts: { deps: ReconcileCommandDeps; log: Logger; dryRun: boolean; waitMs: number | null },
): Promise<number> {
  const { deps, log, dryRun, waitMs } = opts;
  const clock = deps.clock ?? systemClock;
  const { reconciler, targets } = await startReconciler(loaded, { log, clock, fs: deps.fs, dryRun });
  let outcome: ReconcileOutcome;
  let waited: WaitResult | null = null;
  try {
    outcome = await reconciler.reconcileOnce();
    if (waitMs !== null) {
      waited = await waitForHealth(reconciler, outcome, { clock, timeoutMs: waitMs });
      outcome = waited.outcome;
    }
  } finally {
    reconciler.close();
  }
  const status = outcome.status ?? reconciler.status;
  if (dryRun) io.stdout(DRY_RUN_HEADER + '\n\n');
  if (status) io.stdout(formatStatusText(status, { commit: outcome.statusCommit }));
  else
    io.stdout(
      `phase: ${outcome.phase}${outcome.stage ? ` (stage ${outcome.stage}: ${outcome.reason})` : ''}\nmessage: ${outcome.message}\n`,
    );
  if (dryRun) io.stdout('\n' + formatDryRun(targets));
  if (waited) io.stdout('\n' + waitSummary(waited, waitMs!));
  return onceExitStatus(outcome, waited);
}

/** What --wait found: every applied workload Healthy, or what was not when the time ran out. */
function waitSummary(w: WaitResult, waitMs: number): string {
  const after = `${formatDuration(w.waitedMs)}, ${w.passes} more pass${w.passes === 1 ? '' : 'es'}`;
  if (w.timedOut)
    return [`wait: not healthy after ${formatDuration(waitMs)} (${after}):`, ...unhealthyLines(w.outcome.unhealthy), ''].join('\n');
  if (w.outcome.unhealthy.length === 0) return `wait: every applied workload is Healthy (${after})\n`;
  return `wait: stopped at phase ${w.outcome.phase} (${after})\n`;
}

/**
 * Ends the process shortly after an unclean shutdown: the abandoned pass's requests would otherwise
 * keep it alive past the bound. The short delay lets the last log lines reach stderr; the status
 * branch is safe either way (a status commit is one ref update).
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 200).unref();
}

/** `flotilla reconcile`, reading credentials from the process environment. */
export const reconcileCommand: Command = (argv, io) => makeReconcileCommand({ env: process.env, abandon: exitSoon })(argv, io);
