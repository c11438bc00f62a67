// What the stages of a pass share. The context is what a pass works with and never changes: the
// config, the adapters (git, clock, log), the targets and the optional live fleet. The state is
// what one pass leaves to the next: the revision record, the applied state, the renderer and the
// targets that must compare everything. A stage is a function (context, state, input) → result:
// its value, or a StageFailure / StageStop that ends the pass with the stage and a typed reason.
import type { TrafficRecord } from '../traffic/decide.js';
import type { Logger } from 'pino';
import type { ReconcileConfig } from '../config/schema.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { LiveFleet } from '../live/live-fleet.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import type { AppliedState, ClusterCounts, DesiredDiff, IdentityCache } from '../state/change-set.js';
import type { DeletionCheck } from '../state/deletion-guard.js';
import type { HealthStatus } from '../kube/health.js';
import type { Phase, ReconcileStatus, Stage, TargetStatus } from '../state/document.js';
import type { FleetInfo, Target, TargetReport } from '../targets/target.js';
import type { PassReason } from './reasons.js';
import type { RenderIndexStore } from './render-index.js';
import type { FleetRenderer, KeptParses, RenderStats } from './renderer.js';
import type { RevisionRecord } from './revisions.js';
import type { RenderState } from './stages/render.js';

/** Time and waiting, passed in so tests control both. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** What one pass did. */
export interface ReconcileOutcome {
  /** The source commit looked at (null when even the fetch failed before any was known). */
  revision: string | null;
  phase: Phase;
  stage: Stage | null;
  reason: PassReason | null;
  message: string;
  /** Nothing new since the last pass: no render, no write, no status commit. */
  skipped: boolean;
  /** The status commit written by this pass, if any. */
  statusCommit: string | null;
  counts: ClusterCounts;
  renderStats: RenderStats | null;
  /** Wall-clock milliseconds per stage of this pass (measurement only, never in the status). */
  timings: Partial<Record<Stage, number>>;
  targets: TargetStatus[];
  diagnostics: Diagnostic[];
  /**
   * The status this pass composed, committed or not (null: the pass composed none — skipped, or it
   * failed before the status branch was read). Summaries and metrics read it, never an older one.
   */
  status: ReconcileStatus | null;
  /** Live objects applied to the clusters this pass that are not Healthy (what `reconcile --wait` waits for). */
  unhealthy: UnhealthyObject[];
  durationMs: number;
}

/** An object applied to a live cluster whose health is not Healthy yet. */
export interface UnhealthyObject {
  cluster: string;
  /** `Kind namespace/name`. */
  object: string;
  health: HealthStatus;
  message: string;
}

/** A pass's outcome before its duration is known. */
export type PassOutcome = Omit<ReconcileOutcome, 'durationMs'>;

export const NO_COUNTS: ClusterCounts = { created: 0, configured: 0, unchanged: 0, deleted: 0 };

/** What a pass works with. */
export interface ReconcilerContext {
  config: ReconcileConfig;
  git: SourceRepository;
  clock: Clock;
  log: Logger;
  /** The targets every pass writes, in order. */
  targets: readonly Target[];
  /** The live clusters (null: none; the observe stage does nothing, and only news makes a pass). */
  live: LiveFleet | null;
  /** A fresh renderer; `seeds` are parses (and seeds) kept by an earlier process (the render index). */
  makeRenderer(seeds?: KeptParses): FleetRenderer;
  /** Tells the targets the fleet of the last render (secretRefs, parallelism, whether it has errors). */
  publishFleet(fleet: FleetInfo): void;
  /** A dry run (`reconcile --dry-run`): the targets write nothing and no status is committed. */
  dryRun: boolean;
  /** The render index in the cache folder (null: none; a restart reads the whole status branch). */
  index: RenderIndexStore | null;
}

/** The context of one pass once its head is known. */
export interface PassContext extends ReconcilerContext {
  head: string;
  /** The head of the pass before (a pass at the same head that changes nothing is quiet). */
  previousHead: string | null;
  /** The logger bound to the revision. */
  revisionLog: Logger;
  meter: PassMeter;
}

/** The desired state last written, and what makes the next diff cheap. */
export interface AppliedRecord {
  state: AppliedState;
  /** The rendered per-cluster lists `state` was diffed from (the diff's fast path). */
  lists: Map<string, ReadonlyArray<Record<string, unknown>>>;
  identity: IdentityCache;
}

/** What one pass leaves to the next. */
export interface ReconcilerState {
  revisions: RevisionRecord;
  applied: AppliedRecord;
  render: RenderState;
  /** Targets that must compare everything with their own records (first pass, or after a failure). */
  needFull: Set<Target>;
  /** Adaptive weights and canaries (stages/traffic.ts): the last record, whether traffic.yaml was read, this pass's problems. */
  traffic: { record: TrafficRecord | null; restored: boolean; problems: string[] };
  /** The status commit the render index on disk describes, as far as this process knows (null: none). */
  indexedTip: string | null;
  /**
   * When this process last wrote the render index (its clock); `found`: it started from one on disk
   * (dated at its first pass's end, as if written then); null: neither.
   */
  indexWrittenAt: number | 'found' | null;
  /**
   * How far the render index on disk is behind this process: files of manifests/ its restore rolled
   * forward, then objects and source files changed by each pass since (render-index.ts INDEX_LAG_LIMIT).
   */
  indexLag: number;
  /** The source files' texts the render index kept, by path, until the first load reads the revision (it reads only blobs that differ). */
  keptSources: ReadonlyMap<string, string> | null;
}

/** A stage could not do its work: the pass ends Failed with this stage and reason. */
export interface StageFailure<R extends PassReason = PassReason> {
  ok: false;
  kind: 'failure';
  stage: Stage;
  reason: R;
  error: unknown;
  /**
   * What targets wrote before the stage failed (the write stage's blob store failing beside them):
   * the status records their reports, not targets the pass never touched.
   */
  written?: { diff: DesiredDiff; reports: ReadonlyMap<Target, TargetReport> };
}

/** A stage ends the pass without failing: the revision is Invalid, or its deletions are held back. */
export interface StageStop<R extends PassReason = PassReason> {
  ok: false;
  kind: 'stop';
  phase: Phase;
  stage: Stage;
  reason: R;
  message: string;
  result: RenderResult & { stats: RenderStats };
  held: DeletionCheck | null;
}

/** A stage's value, or why the pass ends there. */
export type StageResult<T, R extends PassReason> = ({ ok: true } & T) | StageFailure<R> | StageStop<R>;

export function stageFailure<R extends PassReason>(stage: Stage, reason: R, error: unknown): StageFailure<R> {
  return { ok: false, kind: 'failure', stage, reason, error };
}

/** What a pass measures about itself: stage timings, and whether it changed and recorded nothing. */
export class PassMeter {
  readonly timings: Partial<Record<Stage, number>> = {};
  /** The pass found nothing new (its log line goes to debug, not every 30 s at info). */
  quiet = false;
  private start = performance.now();

  mark(stage: Stage): void {
    const now = performance.now();
    this.timings[stage] = Math.round((now - this.start) * 10) / 10;
    this.start = now;
  }

  /** An outcome with this pass's timings so far. */
  outcome(
    revision: string | null,
    phase: Phase,
    stage: Stage | null,
    reason: PassReason | null,
    message: string,
    extra: Partial<PassOutcome> = {},
  ): PassOutcome {
    return {
      revision,
      phase,
      stage,
      reason,
      message,
      skipped: false,
      statusCommit: null,
      counts: NO_COUNTS,
      renderStats: null,
      timings: { ...this.timings },
      targets: [],
      diagnostics: [],
      status: null,
      unhealthy: [],
      ...extra,
    };
  }
}

/** The status commits' author, stamped with the clock's now. */
export function authorAt(config: ReconcileConfig, clock: Clock): Signature {
  return { ...config.status.author, timestamp: Math.floor(clock.now() / 1000) };
}
