// Cluster isolation (docs/design/pass-stages.md "Slow clusters"): every cluster of a fleet applies in
// a pipeline of its own, so one slow or hanging cluster never holds the others' passes back. A
// reconcile pass hands the pipelines a round of work and waits for it until every cluster is done or
// until the pass deadline; a cluster still applying then goes on in the background: the pass reports
// it as applying (never as applied), its outcome is reported by the next pass, and the cluster is not
// started again while busy — the newest work waits behind it (one at most: newer work replaces
// older) and starts the moment it is done. A cluster that took longer than the deadline last time is
// "slow": a pass does not wait for it once the other clusters are done.
//
// Generic over what one cluster's run returns (a ClusterSyncResult for the kubernetes target, a
// target report for the sharded one). A run must not throw; `failed` turns a bug into a result.

/** One cluster's work in a round: `run` is called when the cluster's pipeline starts it (not before). */
export interface PipelineTask<R> {
  cluster: string;
  run(): Promise<R>;
}

/** A run that ended after the pass that started it had ended: reported by a later pass. */
export interface BackgroundOutcome<R> {
  revision: string | null;
  startedAt: number;
  finishedAt: number;
  result: R;
}

/** A cluster still applying when its pass ended. */
export interface StillApplying {
  cluster: string;
  /** The revision of the run in progress. */
  revision: string | null;
  /** When that run started (the pipelines' clock). */
  since: number;
  /** The revision of the work waiting behind it, if any. */
  queued: string | null;
}

export interface RoundResult<R> {
  /** Runs this round started that ended within it. */
  finished: Map<string, R>;
  /** Runs that ended in the background since the last round (any cluster), oldest first. */
  background: Map<string, BackgroundOutcome<R>[]>;
  /** Clusters of this round still applying when it ended. */
  applying: Map<string, StillApplying>;
  /** Resolves when every run of this round (started or queued) has ended or was replaced. */
  ended: Promise<void>;
}

export interface RoundOptions {
  revision: string | null;
  /** How long the round waits for clusters; null: until every cluster is done. */
  deadlineMs: number | null;
  /** Runs the round starts at once (runs still going after their round ended do not count). */
  parallelism: number;
  /**
   * For uniform work (a probe per cluster): once half the clusters the round waits for are done,
   * after T ms, it waits at most max(minMs, factor × T) in all. A cluster far slower than its peers
   * then goes on in the background at once, instead of after the whole deadline.
   */
  quorum?: { factor: number; minMs: number };
}

interface Round<R> {
  open: boolean;
  /** How long it waits in all (the quorum may shorten it); also what makes a cluster slow. */
  deadlineMs: number | null;
  startedReal: number;
  quorum: RoundOptions['quorum'];
  /** How many of `waited` must end for the quorum. */
  quorumSize: number;
  /** Reschedules the round's end (the quorum shortened the deadline). */
  endAt(ms: number): void;
  finished: Map<string, R>;
  /** Fresh runs of non-slow clusters: the round waits for these. */
  waited: Set<Run<R>>;
  onSettled: () => void;
}

interface Run<R> {
  cluster: string;
  revision: string | null;
  task: PipelineTask<R>;
  round: Round<R>;
  startedAt: number;
  startedReal: number;
  /** Resolves when the run has ended (or was replaced before it started). */
  ended: Promise<void>;
  end: () => void;
}

export class ClusterPipelines<R> {
  private readonly running = new Map<string, Run<R>>();
  private readonly queued = new Map<string, Run<R>>();
  private readonly unreported = new Map<string, BackgroundOutcome<R>[]>();
  private readonly slow = new Set<string>();

  constructor(
    private readonly opts: {
      /** Timestamps for reports (the reconciler's clock); deadlines use real time. */
      now(): number;
      /** What a run that threw reports. */
      failed(cluster: string, error: unknown): R;
      /** Every run's result when it ends, in the round or in the background (e.g. to keep the inventory). */
      onEnd?(cluster: string, result: R, inBackground: boolean): void;
    },
  ) {}

  /** Whether a run of `cluster` is in progress. */
  busy(cluster: string): boolean {
    return this.running.has(cluster);
  }

  /** Hands the pipelines a round of work and waits for it as the module comment says. */
  async round(tasks: readonly PipelineTask<R>[], opts: RoundOptions): Promise<RoundResult<R>> {
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    let timer: NodeJS.Timeout | undefined;
    const round: Round<R> = {
      open: true,
      deadlineMs: opts.deadlineMs,
      startedReal: Date.now(),
      quorum: opts.quorum,
      quorumSize: 0,
      endAt: (ms) => {
        clearTimeout(timer);
        round.deadlineMs = ms;
        timer = setTimeout(settle, Math.max(0, round.startedReal + ms - Date.now()));
      },
      finished: new Map(),
      waited: new Set(),
      onSettled: settle,
    };
    const slots = new Slots(opts.parallelism);
    const runs: Run<R>[] = [];
    for (const task of tasks) {
      const run = this.newRun(task, opts.revision, round);
      runs.push(run);
      if (this.running.has(task.cluster)) {
        this.queued.get(task.cluster)?.end(); // replaced by newer work before it started
        this.queued.set(task.cluster, run);
        continue;
      }
      this.running.set(task.cluster, run);
      if (!this.slow.has(task.cluster)) round.waited.add(run);
      void slots.take().then((release) => this.start(run, release));
    }
    // Every cluster known slow: nobody else to keep waiting, so wait for them (up to the deadline).
    if (round.waited.size === 0) for (const r of runs) if (this.running.get(r.cluster) === r) round.waited.add(r);
    if (round.waited.size === 0) settle();
    round.quorumSize = Math.ceil(round.waited.size / 2);
    if (opts.deadlineMs !== null) round.endAt(opts.deadlineMs);
    await settled;
    clearTimeout(timer);
    round.open = false;
    slots.openAll();
    return {
      finished: round.finished,
      background: this.takeUnreported(),
      applying: this.applying(runs, round),
      ended: Promise.all(runs.map((r) => r.ended)).then(() => undefined),
    };
  }

  /**
   * Resolves once no cluster has a run in progress or waiting. `dropQueued` (shutting down): work
   * waiting behind a busy cluster never starts; only the runs in progress are waited for.
   */
  async settle(opts: { dropQueued?: boolean } = {}): Promise<void> {
    while (this.running.size > 0 || this.queued.size > 0) {
      if (opts.dropQueued) {
        for (const q of this.queued.values()) q.end();
        this.queued.clear();
      }
      await Promise.all([...this.running.values(), ...this.queued.values()].map((r) => r.ended));
    }
  }

  private newRun(task: PipelineTask<R>, revision: string | null, round: Round<R>): Run<R> {
    let end: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (end = resolve));
    return { cluster: task.cluster, revision, task, round, startedAt: this.opts.now(), startedReal: Date.now(), ended, end };
  }

  private async start(run: Run<R>, release: () => void): Promise<void> {
    run.startedAt = this.opts.now();
    run.startedReal = Date.now();
    let result: R;
    try {
      result = await run.task.run();
    } catch (e) {
      result = this.opts.failed(run.cluster, e);
    }
    release();
    this.finish(run, result);
  }

  private finish(run: Run<R>, result: R): void {
    const { round, cluster } = run;
    this.running.delete(cluster);
    // Slow: it took longer than its round would wait; the next rounds do not wait for it.
    if (round.deadlineMs !== null && Date.now() - run.startedReal > round.deadlineMs) this.slow.add(cluster);
    else this.slow.delete(cluster);
    if (round.open) round.finished.set(cluster, result);
    else {
      const list = this.unreported.get(cluster) ?? [];
      list.push({ revision: run.revision, startedAt: run.startedAt, finishedAt: this.opts.now(), result });
      this.unreported.set(cluster, list);
    }
    this.opts.onEnd?.(cluster, result, !round.open);
    run.end();
    if (round.waited.delete(run)) {
      if (round.waited.size === 0) round.onSettled();
      else if (round.open && round.quorum && --round.quorumSize === 0) {
        const elapsed = Date.now() - round.startedReal;
        const wait = Math.max(round.quorum.minMs, round.quorum.factor * elapsed);
        if (round.deadlineMs === null || wait < round.deadlineMs) round.endAt(wait);
      }
    }
    const next = this.queued.get(cluster);
    if (next) {
      this.queued.delete(cluster);
      this.running.set(cluster, next);
      void this.start(next, () => undefined);
    }
  }

  private takeUnreported(): Map<string, BackgroundOutcome<R>[]> {
    const out = new Map(this.unreported);
    this.unreported.clear();
    return out;
  }

  /** The clusters of a round that ended without a result of it. */
  private applying(runs: readonly Run<R>[], round: Round<R>): Map<string, StillApplying> {
    const out = new Map<string, StillApplying>();
    for (const r of runs) {
      if (round.finished.has(r.cluster)) continue;
      const current = this.running.get(r.cluster);
      const queued = this.queued.get(r.cluster);
      if (!current) continue; // ended just now, between the deadline and here: reported by the next round
      out.set(r.cluster, { cluster: r.cluster, revision: current.revision, since: current.startedAt, queued: queued?.revision ?? null });
    }
    return out;
  }
}

/** Up to `limit` holders at once; `openAll` lets every waiter through (the round is over). */
class Slots {
  private used = 0;
  private open = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  take(): Promise<() => void> {
    if (this.open || this.used < Math.max(1, this.limit)) {
      this.used++;
      return Promise.resolve(() => this.release());
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(() => this.release())));
  }

  openAll(): void {
    this.open = true;
    for (const w of this.waiting.splice(0)) {
      this.used++;
      w();
    }
  }

  private release(): void {
    this.used--;
    const next = this.waiting.shift();
    if (next) {
      this.used++;
      next();
    }
  }
}
