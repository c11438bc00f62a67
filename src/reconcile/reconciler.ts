// The reconciler: one pass orders its stages (docs/design/pass-stages.md, after Flux) — fetch the
// source branch, load the changed files, render, observe the live clusters, diff against the
// applied state, write the targets, record the status — and a stage that cannot go on ends the
// pass with that stage and its own typed reason in the status. Each stage is a function of
// src/reconcile/stages/ over (context, state); this class only orders them, keeps the state
// between passes and never lets a pass throw.
//
// State that makes the next pass incremental: the renderer's file set (in memory), the applied
// state (objects with their layout path and blob oid; restored from the status branch's
// manifests/ after a restart) and the revision record (revisions.ts: rendered, settled, last good
// with its placements, status tip, last head).
//
// Live clusters come in through an optional port, the LiveFleet (src/live/live-fleet.ts). With
// one, every poll runs, not only new commits: the clusters are observed and failover re-places
// replicas, and drift is corrected without a commit. Without one, the observe stage does nothing.
import type { Logger } from 'pino';
import type { ReconcileConfig } from '../config/schema.js';
import type { LiveFleet } from '../live/live-fleet.js';
import { summarize, type SourceRepository } from '../source/remote.js';
import type { ObjectStore } from '../source/objects.js';
import type { ParsedFileRecord } from '../render/incremental/sources.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { ReconcileStatus } from '../state/document.js';
import type { FleetInfo, Target } from '../targets/target.js';
import {
  PassMeter,
  type Clock,
  type PassContext,
  type PassOutcome,
  type ReconcileOutcome,
  type ReconcilerContext,
  type ReconcilerState,
  type StageFailure,
  type StageStop,
} from './context.js';
import { firstIndexWriteDue, hashWhile, indexLagOf, saveRenderIndex, type RenderIndexStore } from './render-index.js';
import { stateObjects } from '../state/change-set.js';
import { createFleetRenderer, type FleetRenderer } from './renderer.js';
import { EMPTY_RECORD, fetched, knownStatus } from './revisions.js';
import { checkRevision, diffStage } from './stages/diff.js';
import { fetchStage, pollDecision } from './stages/fetch.js';
import { loadStage } from './stages/load.js';
import { observeStage } from './stages/observe.js';
import { recordFailure, recordStage, recordStatus, recordStop } from './stages/record.js';
import { newRenderState, renderStage, resetRender } from './stages/render.js';
import { adoptDesired, writeStage } from './stages/write.js';
import { trafficStage } from './stages/traffic.js';

export { systemClock, type Clock, type ReconcileOutcome } from './context.js';

export interface ReconcilerAdapters {
  git: SourceRepository;
  clock: Clock;
  log: Logger;
  /** Defaults to createFleetRenderer(); a fresh one is made whenever its state may be stale. */
  renderer?: (seeds?: Iterable<ParsedFileRecord>) => FleetRenderer;
  /** The targets every pass writes, in order (src/targets/create.ts createTargetSet). */
  targets: readonly Target[];
  /** The live clusters: observation, failover, kept placements (absent: none). */
  live?: LiveFleet | null;
  /** Tells the targets the fleet of each render (AttachedCluster secretRefs, parallelism). */
  publishFleet?(fleet: FleetInfo): void;
  /** A dry run: the targets given write nothing (start.ts makes them so), and no status is committed. */
  dryRun?: boolean;
  /** Where the render index is kept (src/reconcile/render-index.ts; absent: none). */
  index?: RenderIndexStore | null;
}

export class Reconciler {
  private readonly ctx: ReconcilerContext;
  private readonly state: ReconcilerState;
  private running: Promise<ReconcileOutcome> | null = null;

  constructor(config: ReconcileConfig, adapters: ReconcilerAdapters) {
    const makeRenderer = adapters.renderer ?? createFleetRenderer;
    this.ctx = {
      config,
      git: adapters.git,
      clock: adapters.clock,
      log: adapters.log,
      targets: adapters.targets,
      live: adapters.live ?? null,
      makeRenderer,
      publishFleet: adapters.publishFleet ?? (() => undefined),
      dryRun: adapters.dryRun ?? false,
      index: adapters.index ?? null,
    };
    this.state = {
      revisions: EMPTY_RECORD,
      applied: { state: new Map(), lists: new Map(), identity: new WeakMap() },
      render: newRenderState(makeRenderer()),
      needFull: new Set(adapters.targets),
      traffic: { record: null, restored: false, problems: [] },
      indexedTip: null,
      indexWrittenAt: null,
      indexLag: 0,
      keptSources: null,
    };
  }

  /** The last status this reconciler knows (read from the branch or written by it). */
  get status(): ReconcileStatus | null {
    return knownStatus(this.state.revisions);
  }

  /** The last render (null before the first pass rendered): what the dashboard draws. */
  get lastRender(): RenderResult | null {
    return this.state.render.last?.result ?? null;
  }

  /** The status branch's tip as this process knows it, and the object store to read its history from. */
  get statusBranch(): { tip: string | null; objects: ObjectStore } {
    return { tip: this.state.revisions.statusTip, objects: this.ctx.git.objects };
  }

  // Cluster isolation (docs/design/pass-stages.md "Slow clusters"): the service lets slow clusters
  // go on applying in the background; these two calls only reach the targets that support it.

  /** Passes wait for each live cluster at most `deadlineMs`; slower ones go on in the background. */
  applyInBackground(deadlineMs: number): void {
    for (const t of this.ctx.targets) t.applyInBackground?.(deadlineMs);
    this.ctx.live?.applyInBackground?.(deadlineMs);
  }

  /** Resolves once no cluster applies in the background (`dropQueued` when shutting down: see Target.settle). */
  async settle(opts: { dropQueued?: boolean } = {}): Promise<void> {
    await Promise.all(this.ctx.targets.map((t) => t.settle?.(opts)));
  }

  /** Writes the render index for the last pass if the pass left it to a later write (on shutdown: the next start uses it). */
  async flushRenderIndex(): Promise<void> {
    await this.running?.catch(() => undefined);
    await saveRenderIndex(this.ctx, this.state, { force: true }).catch((e: unknown) =>
      this.ctx.log.warn({ err: summarize(e) }, 'cannot write the render index'),
    );
  }

  /** Closes the live clusters' connections (after the last pass). */
  close(): void {
    this.ctx.live?.close();
    for (const t of this.ctx.targets) t.close?.();
  }

  /** One pass. Never throws for anything the outside world does: failures come back as the outcome. */
  reconcileOnce(): Promise<ReconcileOutcome> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(): Promise<ReconcileOutcome> {
    const started = this.ctx.clock.now();
    const meter = new PassMeter();
    const done = (o: PassOutcome): ReconcileOutcome => {
      const outcome = { ...o, durationMs: this.ctx.clock.now() - started };
      const level = meter.quiet
        ? 'debug'
        : o.phase === 'Synced'
          ? 'info'
          : o.phase === 'Invalid' || o.phase === 'Degraded' || o.phase === 'Progressing'
            ? 'warn'
            : 'error';
      const { revision, phase, stage, reason, counts } = o;
      if (!o.skipped) this.ctx.log[level]({ revision, phase, stage, reason, counts, durationMs: outcome.durationMs }, o.message);
      return outcome;
    };
    try {
      const outcome = await this.stages(meter);
      if (!outcome.skipped) this.state.indexLag += indexLagOf(outcome, this.state.render.last?.result.placements.length ?? 0);
      // A cache: failing to write it costs the next restart time, never this pass.
      await saveRenderIndex(this.ctx, this.state).catch((e: unknown) =>
        this.ctx.log.warn({ err: summarize(e) }, 'cannot write the render index'),
      );
      return done(outcome);
    } catch (e) {
      // A bug, not the outside world: still never crash the loop; report it as a failed pass.
      this.ctx.log.error({ err: e }, 'internal error in reconcile (please report it)');
      resetRender(this.ctx, this.state);
      const message = `internal error: ${(e as Error)?.message ?? String(e)}`;
      return done(meter.outcome(this.state.revisions.rendered, 'Failed', 'status', 'InternalError', message));
    }
  }

  /** The stages in order; the first that cannot go on ends the pass. */
  private async stages(meter: PassMeter): Promise<PassOutcome> {
    const { state } = this;
    // Targets that will compare in full (a restart) read what they can while the pass fetches and renders.
    for (const target of state.needFull) target.prepareFullCompare?.();
    const fetchedHead = await fetchStage(this.ctx, state);
    if (!fetchedHead.ok) return this.end(fetchedHead, meter);
    meter.mark('fetch');
    const head = fetchedHead.head;
    const ctx: PassContext = {
      ...this.ctx,
      head,
      previousHead: state.revisions.lastHead,
      revisionLog: this.ctx.log.child({ revision: head.slice(0, 12) }),
      meter,
    };
    state.revisions = fetched(state.revisions, head);
    const decision = pollDecision(ctx, state, head);
    if (decision !== 'run') return this.skip(ctx, decision);

    const loaded = await loadStage(ctx, state);
    if (!loaded.ok) return this.end(loaded, meter, ctx);
    meter.mark('load');
    const rendered = renderStage(ctx, state, loaded.changes);
    if (!rendered.ok) return this.end(rendered, meter, ctx);
    const observed = await observeStage(ctx, state, rendered.result);
    if (!observed.ok) return this.end(observed, meter, ctx);
    meter.mark('render');
    ctx.revisionLog.debug({ changedFiles: loaded.changes.length, stats: observed.result.stats }, 'rendered');
    const valid = checkRevision(ctx, state, observed.result);
    if (!valid.ok) return this.end(valid, meter, ctx);
    const checked = { ...valid, ...(await trafficStage(ctx, state, valid)) };
    const diffed = await diffStage(ctx, state, checked);
    meter.mark('diff');
    if (!diffed.ok) return this.end(diffed, meter, ctx);
    const writing = writeStage(ctx, state, diffed);
    // The index write that ends a process's first pass hashes every object: done while the targets write.
    const written = firstIndexWriteDue(ctx, state) ? await hashWhile(stateObjects(diffed.diff.next), writing) : await writing;
    if (!written.ok) return this.end(written, meter, ctx);
    meter.mark('write');
    adoptDesired(ctx, state, checked, diffed, written);

    const recorded = await recordStage(ctx, state, checked, diffed, written);
    meter.mark('status');
    recorded.timings = { ...meter.timings };
    await ctx.git.maintain().catch((e) => ctx.revisionLog.warn({ err: summarize(e) }, 'cache maintenance failed'));
    return recorded;
  }

  /** A poll with nothing new: skipped, or only the status commit the last pass could not make. */
  private skip(ctx: PassContext, decision: 'skip' | 'recordPending'): Promise<PassOutcome> | PassOutcome {
    const { head, meter } = ctx;
    const last = this.state.revisions;
    if (decision === 'skip')
      return { ...meter.outcome(head, last.lastStatus?.phase ?? 'Synced', null, null, `nothing new at ${head}`), skipped: true };
    const pending = last.pendingStatus!;
    // The pending status was composed by this process: its reason is one of ours.
    const outcome = meter.outcome(head, pending.phase, pending.stage, pending.reason as PassOutcome['reason'], pending.message);
    return recordStatus(ctx, this.state, meter, { status: pending, log: ctx.revisionLog, outcome });
  }

  /** Ends the pass at a stage that failed or stopped it (stops come only after the fetch, with a pass context). */
  private end(x: StageFailure | StageStop, meter: PassMeter, ctx?: PassContext): Promise<PassOutcome> {
    if (x.kind === 'stop') return recordStop(ctx!, this.state, x);
    return recordFailure(this.ctx, this.state, meter, x, ctx?.head);
  }
}
