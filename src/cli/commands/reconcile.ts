// flotilla reconcile --config FILE [--once]: the reconciler. With --once, one pass and a summary
// (exit 0 when Synced, 1 otherwise); without, it runs as a service until SIGINT or SIGTERM: polls
// on the config's schedule, serves /healthz, /readyz, /metrics and /hooks/git when `server:` is
// configured, and with `ha:` shares the clusters with the other replicas over shard Leases. Its
// exit status says whether the shutdown finished within its bound (0) or cut a pass short (1).
// Logs go to stderr: JSON lines unless stderr is a terminal.
import { readConfigFile } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import type { ReconcileLoop } from '../../reconcile/loop.js';
import { startReconciler } from '../../reconcile/start.js';
import type { Clock } from '../../reconcile/reconciler.js';
import { serveReconciler, serviceMetrics, shardManagerFromConfig, shardTargets } from '../../server/start-service.js';
import type { WrapTargets } from '../../targets/create.js';
import type { TargetFs } from '../../targets/fs.js';
import { formatStatusText } from '../../state/summary.js';
import { FlotillaError } from '../../model/diagnostics.js';
import { Exit, parseFlags, type Command, type CommandIO } from '../io.js';

const USAGE = 'flotilla reconcile --config FILE [--once] [--log-level trace|debug|info|warn|error]';

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
    const { values, positionals } = parseFlags(
      argv,
      { config: { type: 'string' }, once: { type: 'boolean' }, 'log-level': { type: 'string' } },
      USAGE,
    );
    if (!values.config || positionals.length > 0) throw new FlotillaError('USAGE', `reconcile needs --config FILE\nusage: ${USAGE}`);
    const loaded = await readConfigFile(values.config, deps.env);
    const secrets = [...(loaded.credentials ? [loaded.credentials.password] : []), ...(loaded.webhookSecret ? [loaded.webhookSecret] : [])];
    const log = createLogger({
      json: deps.json ?? !io.isTTY,
      write: io.stderr,
      secrets,
      level: values['log-level'] ?? loaded.config.log.level,
    });

    if (values.once) {
      // One pass applies everything it is given: no leases, no server (a one-off run or CI job).
      const { reconciler } = await startReconciler(loaded, { log, clock: deps.clock, fs: deps.fs });
      const outcome = await reconciler.reconcileOnce();
      reconciler.close();
      const status = reconciler.status;
      if (status) io.stdout(formatStatusText(status, { commit: outcome.statusCommit }));
      else
        io.stdout(
          `phase: ${outcome.phase}${outcome.stage ? ` (stage ${outcome.stage}: ${outcome.reason})` : ''}\nmessage: ${outcome.message}\n`,
        );
      return outcome.phase === 'Synced' ? Exit.OK : Exit.ERRORS;
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
        sections: { server: config.server, ha: config.ha, webhookSecret: loaded.webhookSecret },
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
