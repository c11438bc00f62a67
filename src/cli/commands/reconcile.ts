// flotilla reconcile --config FILE [--once]: the reconciler. With --once, one pass and a summary
// (exit 0 when Synced, 1 otherwise); without, it polls on the config's schedule until SIGINT or
// SIGTERM. Logs go to stderr: JSON lines unless stderr is a terminal.
import { readConfigFile } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { ReconcileLoop } from '../../reconcile/loop.js';
import { startReconciler } from '../../reconcile/start.js';
import type { Clock } from '../../reconcile/reconciler.js';
import type { TargetFs } from '../../targets/fs.js';
import { formatStatusText } from '../../status/summary.js';
import { FlotillaError } from '../../model/diagnostics.js';
import { Exit, parseFlags, type Command, type CommandIO } from '../io.js';

const USAGE = 'flotilla reconcile --config FILE [--once] [--log-level trace|debug|info|warn|error]';

export interface ReconcileCommandDeps {
  env: NodeJS.ProcessEnv;
  /** Resolves when the daemon should stop (default: SIGINT or SIGTERM). */
  stopSignal?: () => Promise<void>;
  clock?: Clock;
  fs?: TargetFs;
  /** Log lines to stderr as JSON (default: unless io.isTTY). */
  json?: boolean;
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
    const { values, positionals } = parseFlags(argv, { config: { type: 'string' }, once: { type: 'boolean' }, 'log-level': { type: 'string' } }, USAGE);
    if (!values.config || positionals.length > 0) throw new FlotillaError('USAGE', `reconcile needs --config FILE\nusage: ${USAGE}`);
    const loaded = await readConfigFile(values.config, deps.env);
    const secrets = loaded.credentials ? [loaded.credentials.password] : [];
    const log = createLogger({ json: deps.json ?? !io.isTTY, write: io.stderr, secrets, level: values['log-level'] ?? loaded.config.log.level });
    const { reconciler } = await startReconciler(loaded, { log, clock: deps.clock, fs: deps.fs });

    if (values.once) {
      const outcome = await reconciler.reconcileOnce();
      reconciler.close();
      const status = reconciler.status;
      if (status) io.stdout(formatStatusText(status, { commit: outcome.statusCommit }));
      else io.stdout(`phase: ${outcome.phase}${outcome.stage ? ` (stage ${outcome.stage}: ${outcome.reason})` : ''}\nmessage: ${outcome.message}\n`);
      return outcome.phase === 'Synced' ? Exit.OK : Exit.ERRORS;
    }

    const loop = new ReconcileLoop(reconciler, { schedule: loaded.config.source.schedule, log });
    log.info({ schedule: loaded.config.source.schedule, source: loaded.config.source.url, branch: loaded.config.source.branch }, 'reconciler started');
    loop.startSchedule();
    await (deps.stopSignal ?? processStopSignal)();
    log.info('stopping: waiting for the running pass');
    await loop.stop();
    reconciler.close();
    return Exit.OK;
  };
}

/** `flotilla reconcile`, reading credentials from the process environment. */
export const reconcileCommand: Command = (argv, io) => makeReconcileCommand({ env: process.env })(argv, io);
