// Running the reconciler on the config's cron schedule. Passes never overlap (node-cron's
// noOverlap, plus our own guard for manual triggers), and triggers that arrive while a pass runs
// coalesce into one follow-up pass: a burst of pushes costs at most one extra reconcile, and that
// one reconciles the newest commit, because every pass fetches the branch tip.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { ReconcileOutcome } from './reconciler.js';

/** The part of Reconciler the loop drives. */
export interface Reconcilable {
  reconcileOnce(): Promise<ReconcileOutcome>;
}

export class ReconcileLoop {
  private running: Promise<ReconcileOutcome> | null = null;
  private pending: Promise<ReconcileOutcome> | null = null;
  private task: ScheduledTask | null = null;
  private stopped = false;

  constructor(
    private readonly reconciler: Reconcilable,
    private readonly opts: { schedule: string; log: Logger; onOutcome?: (o: ReconcileOutcome) => void },
  ) {}

  /**
   * Requests a pass. With none running, starts one; while one runs, all further requests share
   * a single follow-up pass that starts when the current one ends.
   */
  trigger(): Promise<ReconcileOutcome> {
    if (!this.running) return this.start();
    if (!this.pending) {
      this.pending = this.running.then(
        () => this.startPending(),
        () => this.startPending(),
      );
    }
    return this.pending;
  }

  private startPending(): Promise<ReconcileOutcome> {
    this.pending = null;
    return this.start();
  }

  private start(): Promise<ReconcileOutcome> {
    const run = this.reconciler.reconcileOnce().then((o) => {
      this.opts.onOutcome?.(o);
      return o;
    });
    this.running = run.finally(() => {
      if (this.running === tracked) this.running = null;
    });
    const tracked = this.running;
    return run;
  }

  /** Starts polling on the schedule (plus one pass right away). */
  startSchedule(): void {
    if (this.task || this.stopped) return;
    const log = this.opts.log;
    this.task = cron.schedule(
      this.opts.schedule,
      async () => {
        await this.trigger().catch((e: unknown) => log.error({ err: e }, 'reconcile pass threw'));
      },
      {
        name: 'flotilla-reconcile',
        noOverlap: true,
        // node-cron would print coloured console lines; route its messages into our logger.
        logger: {
          info: (m: string) => log.debug({ source: 'node-cron' }, m),
          warn: (m: string) => log.debug({ source: 'node-cron' }, m),
          error: (m: string | Error) => log.error({ source: 'node-cron' }, String(m)),
          debug: (m: string) => log.trace({ source: 'node-cron' }, m),
        },
      },
    );
    void this.trigger();
  }

  /** Stops polling and waits for a running pass to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.task) {
      await this.task.stop();
      await this.task.destroy();
      this.task = null;
    }
    await this.pending?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }
}
