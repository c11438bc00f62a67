// The reconciler: one pass reads top to bottom as its stages (docs/design/conventions.md, after Flux) — fetch the
// source branch, load the changed files, place and render, diff against the applied state, write
// the targets, commit status — and a failure in any stage ends the pass with that stage and its
// own reason in the status. The core steps (render, diff, safety, status composition) are pure;
// everything outside comes in through the adapters { git, fs, clock, log }.
//
// State that makes the next pass incremental: the renderer's file set (in memory), the applied
// state (objects with their layout path and blob oid; restored from the status branch's
// manifests/ after a restart) and the last good placements (Karmada's scale up/down base,
// restored from status.yaml).
//
// With a kubernetes target (live clusters) every poll runs, not only new commits: the clusters
// are observed (readiness for failover, capacity for the estimator) and their observed-clusters
// file joins the render's files, so failover re-places replicas as Karmada would; the live state
// is compared with the desired one, so drift is corrected without a commit. The status branch
// still gets a commit only when the status says something new.
import path from 'node:path';
import type { Logger } from 'pino';
import type { KubernetesTargetConfig, ReconcileConfig } from '../config/schema.js';
import { FlotillaError, type Diagnostic } from '../model/diagnostics.js';
import type { PlacementResult, PreviousPlacement } from '../model/types.js';
import { placementJson, previousFromJson } from '../render/contract.js';
import { resourceKey, type RenderResult } from '../render/render-fleet.js';
import { EMPTY_TREE, type Signature } from '../source/objects.js';
import { summarize, type SourceRepository } from '../source/remote.js';
import { commitStatus, readAppliedState, readStatusAt } from '../state/branch.js';
import {
  sameStatus,
  STATUS_API_VERSION,
  STATUS_KIND,
  type ClusterStatus,
  type Phase,
  type ReconcileStatus,
  type Stage,
  type TargetStatus,
} from '../state/document.js';
import { createTargets, type TargetDeps } from '../targets/create.js';
import type { TargetFs } from '../targets/fs.js';
import type { Target, TargetReport } from '../targets/target.js';
import {
  diffDesired,
  stateFiles,
  stateFromObjects,
  stateSize,
  type AppliedState,
  type ClusterCounts,
  type DesiredDiff,
  type IdentityCache,
} from '../state/change-set.js';
import { createFleetRenderer, type FileChange, type FleetRenderer, type RenderStats } from './renderer.js';
import { checkDeletions, type DeletionCheck } from '../state/deletion-guard.js';
import { isFleetFilePath } from '../source/git-revision.js';
import { safeSegment } from '../render/layout.js';
import { evictFromPrevious, type ClusterCondition, type FailoverEvent } from '../live/failover.js';
import type { FleetSyncResult } from '../kube/fleet.js';
import { KubernetesTarget, type FleetInfo, type FleetObservation } from '../targets/kubernetes.js';
import { OBSERVED_CLUSTERS_FILE, overlayObserved } from '../live/observed.js';
import {
  failoverUnschedulable,
  keptDiagnostics,
  livePhase,
  liveClusterStatus,
  recentEvents,
  withKeptObjects,
  type KeptPlacement,
} from '../live/live-status.js';

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

export interface ReconcilerAdapters {
  git: SourceRepository;
  fs: TargetFs;
  clock: Clock;
  log: Logger;
  /** Defaults to createFleetRenderer(); a fresh one is made whenever its state may be stale. */
  renderer?: () => FleetRenderer;
  /**
   * Replaces the configured targets by the ones the passes write (e.g. sharding over replicas:
   * src/server/start-service.ts shardTargets). `makeClusterTarget` makes a kubernetes target for
   * one cluster alone: its own connection and inventory (cache/clusters/<cluster>/), no prune
   * guard of its own (the pass's fleet-wide safety.maxDeletePercent still holds). The configured
   * kubernetes target keeps observing the whole fleet either way.
   */
  wrapTargets?(targets: Target[], makeClusterTarget: (cluster: string) => Target): Target[];
}

/** Folder of a cluster's own inventory, for per-cluster kubernetes targets (sharding). */
export const CLUSTER_CACHE_FOLDER = 'clusters';

/** A target that can tell what its last apply did on the live clusters (kubernetes, sharded or not). */
type LiveTarget = Target & { readonly lastResult?: FleetSyncResult | null; close?(): void };

/** What one pass did. */
export interface ReconcileOutcome {
  /** The source commit looked at (null when even the fetch failed before any was known). */
  revision: string | null;
  phase: Phase;
  stage: Stage | null;
  reason: string | null;
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
  durationMs: number;
}

const NO_COUNTS: ClusterCounts = { created: 0, configured: 0, unchanged: 0, deleted: 0 };

/** Stage and reason of a revision's error diagnostics: which step of the pipeline found them. */
function invalidStage(diagnostics: readonly Diagnostic[]): Stage {
  const codes = diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  if (codes.some((c) => c.startsWith('YAML') || c.startsWith('FILE_') || c === 'DUPLICATE_RESOURCE')) return 'load';
  if (codes.every((c) => c === 'SCHEDULE_FAILED')) return 'place';
  return 'render';
}

export class Reconciler {
  private readonly targets: Target[];
  /** The target that writes the live clusters (the kubernetes target, or what wrapTargets made of it). */
  private readonly liveTarget: LiveTarget | null;
  private readonly makeRenderer: () => FleetRenderer;
  private renderer: FleetRenderer;
  /** The revision the renderer's file set is at (null: empty renderer, next pass reads everything). */
  private renderedRevision: string | null = null;
  private applied: AppliedState = new Map();
  /** The rendered per-cluster lists `applied` was diffed from (the diff's fast path). */
  private appliedLists = new Map<string, ReadonlyArray<Record<string, unknown>>>();
  private readonly identity: IdentityCache = new WeakMap();
  private manifestsTree: string | null = null;
  private lastGood: { revision: string; placements: Array<Record<string, unknown>>; previous: Map<string, PreviousPlacement> } | null =
    null;
  private lastStatus: ReconcileStatus | null = null;
  private statusTip: string | null = null;
  private loaded = false;
  /** The last revision fully handled (status recorded, all targets written): polls skip it. */
  private settledRevision: string | null = null;
  /** The status of a pass whose status commit failed, retried on the next pass. */
  private pendingStatus: ReconcileStatus | null = null;
  /** Targets that must compare everything with their own records (first pass, or after a failure). */
  private readonly needFull = new Set<Target>();
  private running: Promise<ReconcileOutcome> | null = null;
  /** The kubernetes target, when configured (the config allows one). */
  private readonly kube: KubernetesTarget | null;
  /** The observed-clusters file in the renderer's file set (null: none yet). */
  private observedText: string | null = null;
  /** Repository files the renderer holds with the observation written into them. */
  private overlaid = new Map<string, { original: string; patched: string }>();
  /** Every observed cluster as one file, recorded on the status branch. */
  private observedRecord: string | null = null;
  /** Clusters evicted in the `previous` the renderer's last update was given. */
  private renderedEvicted: string[] = [];
  /** The last render and what it was computed from (reused by polls that change nothing). */
  private lastRender: { result: RenderResult & { stats: RenderStats }; lastGood: Reconciler['lastGood']; evicted: string } | null = null;
  /** The last render's fleet, for the kubernetes target (secretRefs, parallelism). */
  private fleetInfo: FleetInfo | null = null;
  /** Failover events recorded on the status branch (the newest, oldest first). */
  private failoverEvents: FailoverEvent[] = [];
  /** The source revision of the last pass that fetched one. */
  private lastHead: string | null = null;
  /** The last observation of the live clusters. */
  private observation: FleetObservation | null = null;

  constructor(
    private readonly config: ReconcileConfig,
    private readonly adapters: ReconcilerAdapters,
  ) {
    const deps: TargetDeps = {
      git: adapters.git,
      fs: adapters.fs,
      author: () => this.author(),
      clock: adapters.clock,
      cacheDir: config.source.cacheDir,
      fleet: () => this.fleetInfo,
      maxDeletePercent: config.safety.maxDeletePercent,
    };
    const created = createTargets(config.targets, deps);
    this.kube = (created.find((t) => t instanceof KubernetesTarget) as KubernetesTarget | undefined) ?? null;
    const kubeConfig = config.targets.find((t): t is KubernetesTargetConfig => t.type === 'kubernetes') ?? null;
    this.targets = adapters.wrapTargets
      ? adapters.wrapTargets(created, (cluster) => this.clusterTarget(kubeConfig, deps, cluster))
      : created;
    this.liveTarget = (this.targets.find((t) => t.type === 'kubernetes') as LiveTarget | undefined) ?? null;
    for (const t of this.targets) this.needFull.add(t);
    this.makeRenderer = adapters.renderer ?? createFleetRenderer;
    this.renderer = this.makeRenderer();
  }

  private get log(): Logger {
    return this.adapters.log;
  }

  private author(): Signature {
    return { ...this.config.status.author, timestamp: Math.floor(this.adapters.clock.now() / 1000) };
  }

  /** The last status this reconciler knows (read from the branch or written by it). */
  get status(): ReconcileStatus | null {
    return this.pendingStatus ?? this.lastStatus;
  }

  /** Closes the live clusters' connections (after the last pass). */
  close(): void {
    this.kube?.close();
    if (this.liveTarget !== this.kube) this.liveTarget?.close?.();
  }

  /**
   * A kubernetes target for one cluster (wrapTargets): the fleet it sees is that cluster alone, its
   * inventory is its own file, and its prune guard is off (100%) because the pass's fleet-wide
   * guard (checkDeletions) already held back any mass deletion before the targets run.
   */
  private clusterTarget(config: KubernetesTargetConfig | null, deps: TargetDeps, cluster: string): Target {
    if (!config) throw new FlotillaError('INTERNAL', `no kubernetes target is configured to apply cluster ${cluster}`);
    const [target] = createTargets([config], {
      ...deps,
      cacheDir: deps.cacheDir ? path.join(deps.cacheDir, CLUSTER_CACHE_FOLDER, safeSegment(cluster)) : null,
      maxDeletePercent: 100,
      fleet: () => {
        const f = this.fleetInfo;
        return f && { ...f, clusters: f.clusters.filter((c) => c.name === cluster) };
      },
    });
    return target!;
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
    const started = this.adapters.clock.now();
    this.quiet = false;
    const done = (o: Omit<ReconcileOutcome, 'durationMs'>): ReconcileOutcome => {
      const outcome = { ...o, durationMs: this.adapters.clock.now() - started };
      const level = this.quiet
        ? 'debug'
        : o.phase === 'Synced'
          ? 'info'
          : o.phase === 'Invalid' || o.phase === 'Degraded' || o.phase === 'Progressing'
            ? 'warn'
            : 'error';
      if (!o.skipped)
        this.log[level](
          { revision: o.revision, phase: o.phase, stage: o.stage, reason: o.reason, counts: o.counts, durationMs: outcome.durationMs },
          o.message,
        );
      return outcome;
    };
    try {
      return done(await this.stages());
    } catch (e) {
      // A bug, not the outside world: still never crash the loop; report it as a failed pass.
      this.log.error({ err: e }, 'internal error in reconcile (please report it)');
      this.resetRenderer();
      return done(
        this.outcome(this.renderedRevision, 'Failed', 'status', 'InternalError', `internal error: ${(e as Error)?.message ?? String(e)}`),
      );
    }
  }

  private outcome(
    revision: string | null,
    phase: Phase,
    stage: Stage | null,
    reason: string | null,
    message: string,
    extra: Partial<ReconcileOutcome> = {},
  ): Omit<ReconcileOutcome, 'durationMs'> {
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
      ...extra,
    };
  }

  /** Stage timings of the running pass. */
  private timings: Partial<Record<Stage, number>> = {};
  private stageStart = 0;
  private mark(stage: Stage): void {
    const now = performance.now();
    this.timings[stage] = Math.round((now - this.stageStart) * 10) / 10;
    this.stageStart = now;
  }

  private async stages(): Promise<Omit<ReconcileOutcome, 'durationMs'>> {
    const { git } = this.adapters;
    this.timings = {};
    this.stageStart = performance.now();

    // ---- fetch
    let head: string;
    try {
      head = await git.fetchSource();
      if (!this.loaded) await this.loadState();
    } catch (e) {
      return this.failed('fetch', e instanceof FlotillaError && e.code === 'AUTH_FAILED' ? 'AuthenticationFailed' : 'FetchFailed', e);
    }
    this.mark('fetch');
    const log = this.log.child({ revision: head.slice(0, 12) });
    // Live clusters are compared on every poll (drift, failover); other targets only on news.
    const live = this.kube !== null;
    const newRevision = head !== this.settledRevision;
    const previousHead = this.lastHead;
    this.lastHead = head;
    if (!live && !newRevision && this.pendingStatus === null && this.needFull.size === 0) {
      return { ...this.outcome(head, this.lastStatus?.phase ?? 'Synced', null, null, `nothing new at ${head}`), skipped: true };
    }
    if (!live && this.pendingStatus && head === this.pendingStatus.sourceRevision && this.needFull.size === 0) {
      // Only the status commit of the last pass is missing.
      return this.recordStatus(
        this.pendingStatus,
        log,
        this.outcome(head, this.pendingStatus.phase, this.pendingStatus.stage, this.pendingStatus.reason, this.pendingStatus.message),
      );
    }

    // ---- load
    let changes: FileChange[];
    try {
      changes = await this.readChanges(head);
    } catch (e) {
      this.resetRenderer();
      return this.failed('load', 'LoadFailed', e, head);
    }

    this.mark('load');

    // ---- place + render (and, with live clusters, observe them and render again if they changed)
    let result: RenderResult & { stats: RenderStats };
    try {
      result = this.render(head, changes, this.renderedEvicted);
    } catch (e) {
      this.resetRenderer();
      return this.failed('render', 'RenderFailed', e, head);
    }
    if (this.kube) {
      let obs: FleetObservation;
      try {
        obs = await this.kube.observe(result.model.clusters.map((c) => c.name));
      } catch (e) {
        return this.failed('observe', 'ObserveFailed', e, head);
      }
      this.observation = obs;
      this.failoverEvents = recentEvents(this.failoverEvents, obs.events);
      for (const e of obs.events) log.warn({ cluster: e.cluster, event: e.type }, e.message);
      const observedChanges = this.observedChanges(obs);
      if (observedChanges.length > 0 || obs.evicted.join(',') !== this.renderedEvicted.join(',')) {
        try {
          result = this.render(head, observedChanges, obs.evicted);
        } catch (e) {
          this.resetRenderer();
          return this.failed('render', 'RenderFailed', e, head);
        }
      }
    }
    this.mark('render');
    log.debug({ changedFiles: changes.length, stats: result.stats }, 'rendered');
    let errors = result.diagnostics.filter((d) => d.severity === 'error');
    // Failover may leave a resource nowhere to go; that alone does not make the revision Invalid (live.ts).
    const kept: KeptPlacement[] = (live && failoverUnschedulable(result, this.lastGood?.previous)) || [];
    const diagnostics = kept.length > 0 ? keptDiagnostics(result.diagnostics, kept) : result.diagnostics;
    if (kept.length > 0) errors = [];
    this.fleetInfo = { ...this.fleetInfo!, revisionHasErrors: errors.length > 0 };
    if (errors.length > 0) {
      // Safety: the last good desired state stays in force; no target is touched.
      const stage = invalidStage(result.diagnostics);
      const first = errors[0]!;
      const message = `revision ${head} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}; first: ${first.file ?? ''}${first.line ? `:${first.line}` : ''} ${first.code}: ${first.message}); revision ${this.lastGood?.revision ?? '(none)'} stays in force`;
      const status = this.composeStatus({
        head,
        phase: 'Invalid',
        stage,
        reason: 'InvalidRevision',
        message,
        result,
        diff: null,
        reports: null,
        held: null,
      });
      this.settledRevision = head;
      return this.recordStatus(
        status,
        log,
        this.outcome(head, 'Invalid', stage, 'InvalidRevision', message, { renderStats: result.stats, diagnostics: result.diagnostics }),
        head === previousHead,
      );
    }

    // ---- diff
    const manifests = kept.length > 0 ? withKeptObjects(result.manifests, this.applied, kept) : result.manifests;
    const diff = diffDesired({ previous: this.applied, manifests, identity: this.identity, previousLists: this.appliedLists });
    const total = stateSize(diff.next);
    const guard = checkDeletions(diff, stateSize(this.applied), this.config.safety.maxDeletePercent);
    this.mark('diff');
    if (guard.held) {
      const message = `revision ${head} would delete ${guard.deleted} of ${guard.total} objects (${guard.percent}%), over safety.maxDeletePercent ${guard.limitPercent}%: held back; revision ${this.lastGood?.revision ?? '(none)'} stays in force`;
      const status = this.composeStatus({
        head,
        phase: 'Degraded',
        stage: 'diff',
        reason: 'DeletionHeldBack',
        message,
        result,
        diff: null,
        reports: null,
        held: guard,
      });
      this.settledRevision = head;
      return this.recordStatus(
        status,
        log,
        this.outcome(head, 'Degraded', 'diff', 'DeletionHeldBack', message, { renderStats: result.stats, diagnostics: result.diagnostics }),
        head === previousHead,
      );
    }

    // ---- write: the desired state into the object database, then every target
    let manifestsTree: string | null;
    try {
      manifestsTree = await this.writeDesiredTree(diff);
    } catch (e) {
      return this.failed('write', 'ObjectWriteFailed', e, head);
    }
    const previousManifestsTree = this.manifestsTree;
    const files = lazy(() => stateFiles(diff.next));
    const clusterBySegment = new Map([...diff.next.keys(), ...this.applied.keys()].map((c) => [safeSegment(c), c]));
    const reports = new Map<Target, TargetReport>();
    for (const target of this.targets) {
      const full = this.needFull.has(target);
      if (target.type !== 'kubernetes' && !full && diff.changes.length === 0) {
        // Nothing new for a target that only writes what changed (a live poll without a commit).
        reports.set(target, {
          created: 0,
          configured: 0,
          unchanged: total,
          deleted: 0,
          failed: 0,
          failedClusters: [],
          ok: true,
          message: null,
        });
        continue;
      }
      const report = await target
        .apply({
          revision: head,
          changes: diff.changes,
          files,
          total,
          manifestsTree,
          previousManifestsTree,
          readText: (oid) => git.objects.readBlobText(oid),
          full,
          clusterOf: (p) => clusterBySegment.get(p.split('/')[0]!) ?? p.split('/')[0]!,
        })
        .catch((e: unknown): TargetReport => ({
          created: 0,
          configured: 0,
          unchanged: 0,
          deleted: 0,
          failed: total,
          failedClusters: [...diff.perCluster.keys()],
          ok: false,
          message: summarize(e).message,
        }));
      reports.set(target, report);
      if (report.ok) this.needFull.delete(target);
      else {
        this.needFull.add(target);
        log.error({ target: target.name, failedClusters: report.failedClusters }, report.message ?? 'target failed');
      }
    }
    this.mark('write');
    // The desired state is now the applied one (targets that failed catch up from it next pass).
    this.applied = diff.next;
    this.appliedLists = diff.lists;
    this.manifestsTree = manifestsTree;
    const previous = this.previousPlacements(result);
    // A kept placement stays the base of the next schedule, so it returns where it was.
    for (const k of kept) previous.set(resourceKey(k.placement.resource), k.previous);
    this.lastGood = { revision: head, placements: this.placementRecords(result), previous };
    if (this.lastRender) this.lastRender.lastGood = this.lastGood;

    const failedTargets = [...reports.values()].filter((r) => !r.ok);
    // A target that works per cluster and applied some of them is degraded, not down.
    const downTargets = failedTargets.filter((r) => r.clusters === undefined || r.failedClusters.length >= r.clusters);
    let phase: Phase = 'Synced';
    let reason: string | null = null;
    let stage: Stage | null = null;
    // No counts in the message: a pass that changes nothing must compose the same status (sameStatus).
    let message = `revision ${head} is in force: ${total} objects on ${diff.next.size} clusters`;
    if (failedTargets.length > 0) {
      phase = downTargets.length === this.targets.length ? 'Failed' : 'Degraded';
      stage = 'write';
      reason = 'TargetWriteFailed';
      message = `revision ${head}: ${failedTargets.length} of ${this.targets.length} target${this.targets.length === 1 ? '' : 's'} failed: ${failedTargets.map((r) => r.message).join('; ')}`;
    }
    const sync = this.liveTarget?.lastResult && reports.has(this.liveTarget) ? this.liveTarget.lastResult : null;
    if (this.kube && sync) {
      const drifted = sync.clusters.reduce((n, c) => n + c.objects.filter((o) => o.drift.length > 0).length, 0);
      const lp = livePhase({
        kept: kept.length,
        drifted,
        health: sync.clusters.some((c) => c.objects.some((o) => o.health)) ? sync.health.status : null,
      });
      if (lp.note) message += `; ${lp.note}`;
      if (phase === 'Synced' && lp.phase !== 'Synced') {
        phase = lp.phase;
        reason = lp.reason;
      }
    }
    const status = this.composeStatus({ head, phase, stage, reason, message, result, diff, reports, held: null, sync, diagnostics });
    if (failedTargets.length === 0) this.settledRevision = head;
    else this.settledRevision = null;
    const outcome = this.outcome(head, phase, stage, reason, message, {
      counts: diff.counts,
      renderStats: result.stats,
      diagnostics,
      targets: status.targets,
    });
    const quiet = head === previousHead && diff.changes.length === 0 && (sync?.writes ?? 0) === 0;
    const recorded = await this.recordStatus(status, log, outcome, quiet);
    this.mark('status');
    recorded.timings = { ...this.timings };
    await git.maintain().catch((e) => log.warn({ err: summarize(e) }, 'cache maintenance failed'));
    return recorded;
  }

  /**
   * The render input changes an observation makes: the observed-clusters file, and repository
   * files whose Karmada Cluster documents carry the observation (overlayObserved). Remembers what
   * it gave the renderer, so a file the source changed gets the observation again.
   */
  private observedChanges(obs: FleetObservation): FileChange[] {
    const current = new Map(this.renderer.files().map((f) => [f.path, f.text]));
    current.delete(OBSERVED_CLUSTERS_FILE);
    const repoFiles = [...current].map(([path, text]) => {
      const o = this.overlaid.get(path);
      return { path, text: o && o.patched === text ? o.original : text };
    });
    const overlay = overlayObserved(repoFiles, obs.clusters);
    const changes: FileChange[] = [];
    if (overlay.file.text !== this.observedText) changes.push({ path: overlay.file.path, text: overlay.file.text });
    const next = new Map<string, { original: string; patched: string }>();
    for (const f of repoFiles) {
      const patched = overlay.patched.get(f.path);
      if (patched !== undefined) next.set(f.path, { original: f.text, patched });
      const want = patched ?? f.text;
      if ((patched !== undefined || this.overlaid.has(f.path)) && current.get(f.path) !== want) changes.push({ path: f.path, text: want });
    }
    this.overlaid = next;
    this.observedText = overlay.file.text;
    this.observedRecord = obs.file.text;
    return changes;
  }

  /**
   * Renders `changes` at `head` with the last good placements (less the evicted clusters) as
   * Karmada's previous result. A poll that changes nothing reuses the last render.
   */
  private render(head: string, changes: readonly FileChange[], evicted: readonly string[]): RenderResult & { stats: RenderStats } {
    const key = evicted.join(',');
    const last = this.lastRender;
    if (changes.length === 0 && last && this.renderedRevision === head && last.lastGood === this.lastGood && last.evicted === key)
      return last.result;
    const base = this.lastGood?.previous;
    // With live clusters the kubernetes target also marks workloads to rebalance after a recovery (failover.rebalanceOnRecovery).
    const previous = this.kube
      ? this.kube.previousForRender(base, evicted)
      : base && evicted.length > 0
        ? evictFromPrevious(base, evicted)
        : base;
    const result = this.renderer.update({ revision: head, changes, previous });
    this.renderedRevision = head;
    this.renderedEvicted = [...evicted];
    this.lastRender = { result, lastGood: this.lastGood, evicted: key };
    // The kubernetes target connects through the fleet's AttachedCluster secretRefs: known before it observes.
    this.fleetInfo = {
      clusters: result.model.clusters.map((c) => (c.secretRef ? { name: c.name, secretRef: c.secretRef } : { name: c.name })),
      parallelism: result.model.tuning.parallelism,
      revisionHasErrors: result.diagnostics.some((d) => d.severity === 'error'),
    };
    return result;
  }

  private readonly recordOf = new WeakMap<PlacementResult, Record<string, unknown>>();
  private readonly previousOf = new WeakMap<PlacementResult, PreviousPlacement>();

  /**
   * The placements of a render in the contract's shape. The incremental renderer keeps the
   * PlacementResult of every resource it did not reschedule, so their records are reused: status
   * composition and comparison then cost what the change costs.
   */
  private placementRecords(result: RenderResult): Array<Record<string, unknown>> {
    return result.placements.map((p) => {
      let record = this.recordOf.get(p);
      if (!record) this.recordOf.set(p, (record = placementJson(p)));
      return record;
    });
  }

  /** The placements of a render as the `previous` input of the next one (previousFromJson's shape), reused per PlacementResult. */
  private previousPlacements(result: RenderResult): Map<string, PreviousPlacement> {
    const out = new Map<string, PreviousPlacement>();
    for (const p of result.placements) {
      let prev = this.previousOf.get(p);
      if (!prev)
        this.previousOf.set(
          p,
          (prev = { clusters: p.clusters.map((c) => ({ name: c.name, replicas: c.replicas })), affinityName: p.affinityName ?? null }),
        );
      out.set(resourceKey(p.resource), prev);
    }
    return out;
  }

  /** Reads the status branch: last status, applied state (manifests/), last good placements. */
  private async loadState(): Promise<void> {
    const { git } = this.adapters;
    const tip = await git.fetchBranch(this.config.status.branch);
    this.statusTip = tip;
    if (tip) {
      const snapshot = await readStatusAt(git.objects, tip);
      this.lastStatus = snapshot.status;
      this.manifestsTree = snapshot.manifestsTree;
      this.applied = stateFromObjects((await readAppliedState(git.objects, snapshot.manifestsTree, (m) => this.log.warn(m))).values());
      this.appliedLists = new Map();
      this.lastStatusTree = snapshot.manifestsTree;
      const s = snapshot.status;
      if (this.kube && s?.failover) {
        // Failover's clocks survive a restart: a cluster down before it stays down, its toleration running.
        this.kube.restoreConditions(s.failover.conditions as ClusterCondition[]);
        this.failoverEvents = s.failover.events.filter(
          (e): e is FailoverEvent => e.type === 'NotReady' || e.type === 'Evicting' || e.type === 'Ready',
        );
      }
      if (s?.lastGoodRevision) {
        this.lastGood = {
          revision: s.lastGoodRevision,
          placements: s.placements,
          previous: previousFromJson(JSON.stringify({ placements: s.placements }), 'status.yaml'),
        };
      }
      this.log.info(
        { statusCommit: tip, lastGoodRevision: s?.lastGoodRevision ?? null, objects: stateSize(this.applied) },
        'restored state from the status branch',
      );
    } else this.lastStatusTree = null;
    this.loaded = true;
  }

  /** The changed fleet files since the renderer's revision (all files for an empty renderer). */
  private async readChanges(head: string): Promise<FileChange[]> {
    const { git } = this.adapters;
    const sub = this.config.source.path;
    if (this.renderedRevision === head) return [];
    if (this.renderedRevision !== null) {
      try {
        const changed = (await git.changedPaths(this.renderedRevision, head)).map((c) => c.path).filter((p) => isFleetFilePath(p, sub));
        const files = await git.objects.readFleetFilesAt(head, changed, sub);
        return changed.map((p, i) => {
          const f = files[i];
          return f ? (f.size === undefined ? { path: p, text: f.text } : { path: p, text: f.text, size: f.size }) : { path: p, text: null };
        });
      } catch (e) {
        // The old revision may be gone (history rewritten, cache repacked): start over from all files.
        this.log.warn({ err: summarize(e), from: this.renderedRevision }, 'cannot list changed files; reading the whole revision');
        this.resetRenderer();
      }
    }
    const files = await git.readFleetFiles(head, sub);
    return files.map((f) => (f.size === undefined ? { path: f.path, text: f.text } : { path: f.path, text: f.text, size: f.size }));
  }

  private resetRenderer(): void {
    this.renderer = this.makeRenderer();
    this.renderedRevision = null;
    this.observedText = null;
    this.overlaid = new Map();
    this.renderedEvicted = [];
    this.lastRender = null;
  }

  /** Writes the blobs of changed objects and returns the desired state's tree. */
  private async writeDesiredTree(diff: DesiredDiff): Promise<string | null> {
    const { objects } = this.adapters.git;
    const edits = new Map<string, string | null>();
    const written = diff.changes.filter((c) => c.action !== 'deleted');
    const oids = await objects.writeBlobs(written.map((c) => c.text!));
    written.forEach((c, i) => {
      if (oids[i] !== c.oid) throw new FlotillaError('INTERNAL', `blob oid mismatch for ${c.path}: ${oids[i]} != ${c.oid}`);
    });
    for (const c of diff.changes) {
      if (c.previousPath !== undefined) edits.set(c.previousPath, null);
      if (c.action === 'deleted') {
        if (!edits.has(c.path)) edits.set(c.path, null);
        continue;
      }
      edits.set(c.path, c.oid!);
    }
    if (edits.size === 0 && this.manifestsTree !== null) return this.manifestsTree;
    const tree = await objects.editTree(this.manifestsTree, edits);
    return tree === EMPTY_TREE ? null : tree;
  }

  /** A failed stage: status records it (when a status can be written), the outcome reports it. */
  private async failed(stage: Stage, reason: string, error: unknown, revision?: string): Promise<Omit<ReconcileOutcome, 'durationMs'>> {
    const message = `${stage} failed: ${error instanceof FlotillaError ? error.message : summarize(error).message}`;
    const head = revision ?? this.lastStatus?.sourceRevision ?? this.renderedRevision ?? null;
    const outcome = this.outcome(head, 'Failed', stage, reason, message);
    if (!head || !this.loaded) return outcome; // nothing fetched yet: nowhere to record it
    const status = this.composeStatus({
      head,
      phase: 'Failed',
      stage,
      reason,
      message,
      result: null,
      diff: null,
      reports: null,
      held: null,
    });
    this.settledRevision = null;
    return this.recordStatus(status, this.log, outcome);
  }

  /** Commits a status when it says something new; a failed commit is retried next pass. */
  private async recordStatus(
    status: ReconcileStatus,
    log: Logger,
    outcome: Omit<ReconcileOutcome, 'durationMs'>,
    quiet = false,
  ): Promise<Omit<ReconcileOutcome, 'durationMs'>> {
    const committedTree = this.lastStatusTree;
    if (sameStatus(status, this.lastStatus) && committedTree === this.manifestsTree) {
      this.pendingStatus = null;
      // A live poll that found nothing new is logged at debug level, not every 30 s at info.
      this.quiet = quiet;
      return outcome;
    }
    try {
      const commit = await commitStatus({
        repo: this.adapters.git,
        branch: this.config.status.branch,
        tip: this.statusTip,
        status,
        manifestsTree: this.manifestsTree,
        author: this.author(),
        ...(this.kube && this.observedRecord !== null ? { observed: this.observedRecord } : {}),
        onRetry: (attempt, tip) =>
          log.warn({ attempt, tip }, `status branch ${this.config.status.branch} moved; rebuilding the status commit on the new tip`),
      });
      this.statusTip = commit;
      this.lastStatus = status;
      this.lastStatusTree = this.manifestsTree;
      this.pendingStatus = null;
      log.info({ statusCommit: commit, phase: status.phase }, `status committed to ${this.config.status.branch}`);
      return { ...outcome, statusCommit: commit };
    } catch (e) {
      this.pendingStatus = status;
      this.settledRevision = null;
      log.error({ err: summarize(e) }, `could not commit status to ${this.config.status.branch}`);
      if (outcome.phase === 'Failed') return outcome;
      return {
        ...outcome,
        phase: 'Failed',
        stage: 'status',
        reason: 'StatusWriteFailed',
        message: `${outcome.message}; status commit failed: ${summarize(e).message}`,
      };
    }
  }

  private lastStatusTree: string | null | undefined = undefined;
  /** The running pass changed nothing and recorded nothing (its log line goes to debug). */
  private quiet = false;

  /** The status document of a pass (pure composition of what the stages found). */
  private composeStatus(p: {
    head: string;
    phase: Phase;
    stage: Stage | null;
    reason: string | null;
    message: string;
    result: RenderResult | null;
    diff: DesiredDiff | null;
    reports: Map<Target, TargetReport> | null;
    held: DeletionCheck | null;
    /** The kubernetes target's sync of this pass (null: not applied this pass). */
    sync?: FleetSyncResult | null;
    /** The diagnostics to record (the render's, with failover-kept errors downgraded). */
    diagnostics?: Diagnostic[];
  }): ReconcileStatus {
    const inForce = new Map<string, number>();
    for (const [cluster, inner] of this.applied) inForce.set(cluster, inner.size);
    const clusterNames = new Set<string>([
      ...inForce.keys(),
      ...(p.result?.clusters.map((c) => c.name) ?? Object.keys(this.lastStatus?.clusters ?? {})),
    ]);
    const failedBy = new Map<string, number>();
    const unreachable = new Set<string>();
    for (const r of p.reports?.values() ?? []) {
      for (const c of r.failedClusters) {
        failedBy.set(c, (failedBy.get(c) ?? 0) + (inForce.get(c) ?? 0));
        if (p.reports!.size > 0 && [...p.reports!.values()].every((x) => x.failedClusters.includes(c))) unreachable.add(c);
      }
    }
    const syncByCluster = new Map((p.sync?.clusters ?? []).map((c) => [c.cluster, c]));
    for (const c of syncByCluster.keys()) clusterNames.add(c);
    const conditions = new Map<string, ClusterCondition>((this.observation?.conditions ?? []).map((c) => [c.cluster, c]));
    const clusters: Record<string, ClusterStatus> = {};
    for (const name of [...clusterNames].sort()) {
      const counts = p.diff?.perCluster.get(name);
      const base: ClusterStatus = {
        reachable: !unreachable.has(name),
        applied: counts ? counts.created + counts.configured : 0,
        unchanged: counts ? counts.unchanged : (inForce.get(name) ?? 0),
        deleted: counts ? counts.deleted : 0,
        failed: failedBy.get(name) ?? 0,
      };
      clusters[name] = this.kube
        ? liveClusterStatus(base, syncByCluster.get(name), {
            condition: conditions.get(name) ?? null,
            connectionError: this.kube.connectionError(name),
          })
        : base;
    }
    const targets: TargetStatus[] = this.targets.map((t) => {
      const r = p.reports?.get(t);
      if (!r)
        return {
          name: t.name,
          type: t.type,
          phase: 'Skipped',
          created: 0,
          configured: 0,
          unchanged: 0,
          deleted: 0,
          failed: 0,
          message: p.phase === 'Synced' ? null : 'not touched: the revision was not applied',
        };
      const phase = !r.ok ? 'Failed' : r.created + r.configured + r.deleted > 0 ? 'Applied' : 'Unchanged';
      return {
        name: t.name,
        type: t.type,
        phase,
        created: r.created,
        configured: r.configured,
        unchanged: r.unchanged,
        deleted: r.deleted,
        failed: r.failed,
        message: r.message,
      };
    });
    const total = stateSize(this.applied);
    const counts = p.diff?.counts ?? { ...NO_COUNTS, unchanged: total };
    return {
      apiVersion: STATUS_API_VERSION,
      kind: STATUS_KIND,
      source: { url: this.adapters.git.displayUrl, branch: this.config.source.branch, path: this.config.source.path },
      sourceRevision: p.head,
      phase: p.phase,
      stage: p.stage,
      reason: p.reason,
      message: p.message,
      lastGoodRevision: this.lastGood?.revision ?? null,
      reconciledAt: new Date(this.adapters.clock.now()).toISOString(),
      objects: { total, ...counts },
      clusters,
      targets,
      heldBack: p.held,
      placements: this.lastGood?.placements ?? [],
      diagnostics: p.diagnostics ?? (p.result ? p.result.diagnostics : (this.lastStatus?.diagnostics ?? [])),
      ...(this.kube ? this.liveStatusFields(p.sync ?? null) : {}),
    };
  }

  /** health and failover of status.yaml (kubernetes target only). */
  private liveStatusFields(sync: FleetSyncResult | null): Pick<ReconcileStatus, 'health' | 'failover'> {
    const health =
      sync && sync.clusters.some((c) => c.objects.some((o) => o.health)) ? sync.health.status : (this.lastStatus?.health ?? null);
    const conditions = [...(this.kube?.clusterConditions ?? [])];
    return { health, failover: { conditions, events: this.failoverEvents.map((e) => ({ ...e })) } };
  }
}

/** A value computed on first use. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
