// The status document of a pass, composed from what the stages found (pure: the context, the
// state and the stage results come in, the document goes out), and the phase of a pass that
// applied its revision: Failed or Degraded by its targets, then what the live fleet says (kept
// placements, drift, health) for a pass whose targets all succeeded.
import { trafficSummary } from '../state/traffic.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { FleetSyncResult } from '../kube/fleet.js';
import type { RenderResult } from '../render/render-fleet.js';
import { stateSize, type DesiredDiff } from '../state/change-set.js';
import type { DeletionCheck, DeletionRecord } from '../state/deletion-guard.js';
import {
  STATUS_API_VERSION,
  STATUS_KIND,
  type ClusterStatus,
  type ObjectCounts,
  type Phase,
  type ApplicationSourceRecord,
  type ReconcileStatus,
  type Stage,
  type TargetStatus,
} from '../state/document.js';
import { writesLiveClusters, type Target, type TargetReport } from '../targets/target.js';
import { NO_COUNTS, type PassContext, type ReconcilerContext, type ReconcilerState } from './context.js';
import type { PassReason } from './reasons.js';
import type { RevisionRecord } from './revisions.js';

/** What a pass found, for its status document. */
export interface StatusInput {
  head: string;
  phase: Phase;
  stage: Stage | null;
  reason: PassReason | null;
  message: string;
  result: RenderResult | null;
  diff: DesiredDiff | null;
  reports: ReadonlyMap<Target, TargetReport> | null;
  held: DeletionCheck | null;
  /** The deletion guard's window after this pass (absent: the newest status's, unchanged). */
  deletions?: DeletionRecord[];
  /** The live targets' sync of this pass (null: not applied this pass). */
  sync?: FleetSyncResult | null;
  /** The diagnostics to record (the render's, with failover-kept errors downgraded). */
  diagnostics?: Diagnostic[];
}

/**
 * Per cluster: counts from the change set (or what is in force), failures from the targets, and,
 * for live clusters, what their sync did (live-status.ts: those counts replace the change set's).
 * A cluster every target failed on applied nothing, whatever the change set planned for it.
 */
function clusterStatuses(ctx: ReconcilerContext, state: ReconcilerState, p: StatusInput): Record<string, ClusterStatus> {
  const inForce = new Map<string, number>();
  for (const [cluster, inner] of state.applied.state) inForce.set(cluster, inner.size);
  const clusterNames = new Set<string>([
    ...inForce.keys(),
    ...(p.result?.clusters.map((c) => c.name) ?? Object.keys(state.revisions.lastStatus?.clusters ?? {})),
  ]);
  const failedBy = new Map<string, number>();
  const unreachable = new Set<string>();
  const reports = [...(p.reports?.values() ?? [])];
  for (const r of reports) {
    for (const c of r.failedClusters) {
      failedBy.set(c, (failedBy.get(c) ?? 0) + (inForce.get(c) ?? 0));
      if (reports.every((x) => x.failedClusters.includes(c))) unreachable.add(c);
    }
  }
  const syncByCluster = new Map((p.sync?.clusters ?? []).map((c) => [c.cluster, c]));
  for (const c of syncByCluster.keys()) clusterNames.add(c);
  const clusters: Record<string, ClusterStatus> = {};
  for (const name of [...clusterNames].sort()) {
    const counts = unreachable.has(name) ? NO_COUNTS : p.diff?.perCluster.get(name);
    const base: ClusterStatus = {
      reachable: !unreachable.has(name),
      applied: counts ? counts.created + counts.configured : 0,
      unchanged: counts ? counts.unchanged : (inForce.get(name) ?? 0),
      deleted: counts ? counts.deleted : 0,
      failed: failedBy.get(name) ?? 0,
    };
    clusters[name] = ctx.live?.clusterStatus(name, base, syncByCluster.get(name)) ?? base;
  }
  return clusters;
}

/**
 * The pass's object counts, from one place — what the targets reported — so the summary, the
 * README, the commit message and the target rows never disagree. With one target they are its
 * counts; with several, each is the largest any target reported (targets apply the same desired
 * state). A pass that wrote nothing counts what is in force as unchanged; with no targets at all,
 * the change set is what was recorded (manifests/ on the status branch is then the only copy).
 */
export function objectCounts(total: number, diff: DesiredDiff | null, reports: ReadonlyMap<Target, TargetReport> | null): ObjectCounts {
  if (!reports || !diff) return { total, ...NO_COUNTS, unchanged: total, failed: 0 };
  if (reports.size === 0) return { total, ...diff.counts, failed: 0 };
  const max = (pick: (r: TargetReport) => number) => Math.max(...[...reports.values()].map(pick));
  return {
    total,
    created: max((r) => r.created),
    configured: max((r) => r.configured),
    unchanged: max((r) => r.unchanged),
    deleted: max((r) => r.deleted),
    failed: max((r) => r.failed),
  };
}

/** Per target: its report, or Skipped when the pass did not reach it. */
function targetStatuses(targets: readonly Target[], p: StatusInput): TargetStatus[] {
  return targets.map((t) => {
    const r = p.reports?.get(t);
    const counts = r ?? { created: 0, configured: 0, unchanged: 0, deleted: 0, failed: 0 };
    const phase = !r ? 'Skipped' : !r.ok ? 'Failed' : r.created + r.configured + r.deleted > 0 ? 'Applied' : 'Unchanged';
    const message = r ? r.message : p.phase === 'Synced' ? null : 'not touched: the revision was not applied';
    return {
      name: t.name,
      type: t.type,
      phase,
      created: counts.created,
      configured: counts.configured,
      unchanged: counts.unchanged,
      deleted: counts.deleted,
      failed: counts.failed,
      message,
    };
  });
}

/** The Applications' pinned sources of the revision rendered this pass (or the last status's when nothing was rendered). */
function applicationSources(
  state: ReconcilerState,
  p: StatusInput,
  lastStatus: ReconcileStatus | null,
): { applications?: ApplicationSourceRecord[] } {
  const records = p.result ? (state.render.builder?.applicationRevisions() ?? []) : (lastStatus?.applications ?? []);
  return records.length > 0 ? { applications: records } : {};
}

/** The status document of a pass. */
export function composeStatus(ctx: ReconcilerContext, state: ReconcilerState, p: StatusInput): ReconcileStatus {
  const { lastStatus, lastGood, desired, pendingStatus } = state.revisions;
  const deletions = p.deletions ?? (pendingStatus ?? lastStatus)?.deletions ?? [];
  const total = stateSize(state.applied.state);
  return {
    apiVersion: STATUS_API_VERSION,
    kind: STATUS_KIND,
    source: { url: ctx.git.displayUrl, branch: ctx.config.source.branch, path: ctx.config.source.path },
    sourceRevision: p.head,
    phase: p.phase,
    stage: p.stage,
    reason: p.reason,
    message: p.message,
    lastGoodRevision: lastGood?.revision ?? null,
    reconciledAt: new Date(ctx.clock.now()).toISOString(),
    objects: objectCounts(total, p.diff, p.reports),
    clusters: clusterStatuses(ctx, state, p),
    targets: targetStatuses(ctx.targets, p),
    heldBack: p.held,
    ...(deletions.length > 0 ? { deletions } : {}),
    placements: desired?.placements ?? [],
    diagnostics: p.diagnostics ?? (p.result ? p.result.diagnostics : (lastStatus?.diagnostics ?? [])),
    ...applicationSources(state, p, lastStatus),
    ...(ctx.live?.statusFields(p.sync ?? null, lastStatus) ?? {}),
    ...(state.traffic.record && (state.traffic.record.routes.length > 0 || state.traffic.record.canaries.length > 0)
      ? { traffic: trafficSummary(state.traffic.record, state.traffic.problems) }
      : {}),
  };
}

/** The live targets' sync of this pass: the first target over live clusters, if it was written. */
export function liveSync(targets: readonly Target[], reports: ReadonlyMap<Target, TargetReport>): FleetSyncResult | null {
  const live = targets.find(writesLiveClusters);
  return live?.lastResult && reports.has(live) ? live.lastResult : null;
}

export interface AppliedPhase {
  phase: Phase;
  stage: Stage | null;
  reason: PassReason | null;
  message: string;
}

/** The phase of a pass that wrote its revision: by its targets, then by what the live fleet says. */
export function appliedPhase(
  ctx: PassContext,
  record: RevisionRecord,
  written: { total: number; clusters: number; reports: ReadonlyMap<Target, TargetReport>; kept: number; sync: FleetSyncResult | null },
): AppliedPhase {
  const n = ctx.targets.length;
  const failed = [...written.reports.values()].filter((r) => !r.ok);
  // A failed target that applied (or found in place) some objects is degraded, not down: only a
  // pass whose every target applied nothing is Failed.
  const down = failed.filter((r) => r.created + r.configured + r.unchanged + r.deleted === 0);
  // No counts in the message: a pass that changes nothing must compose the same status (sameStatus).
  let out: AppliedPhase = {
    phase: 'Synced',
    stage: null,
    reason: null,
    message: `revision ${ctx.head} ${ctx.dryRun ? 'would be' : 'is'} in force: ${written.total} objects on ${written.clusters} clusters`,
  };
  if (failed.length > 0) {
    const none = down.length === n;
    const what = `${failed.length} of ${n} target${n === 1 ? '' : 's'} failed: ` + failed.map((r) => r.message).join('; ');
    const lastGood = record.lastGood?.revision ?? '(none)';
    const verb = ctx.dryRun ? 'would be' : 'was';
    // Which clusters and why are in the targets' messages; the last good revision does not move.
    out = {
      phase: none ? 'Failed' : 'Degraded',
      stage: 'write',
      reason: 'TargetWriteFailed',
      message: `revision ${ctx.head} ${verb} ${none ? 'not applied' : 'applied in part'} (${what}); last good revision ${lastGood}`,
    };
  }
  const lp = written.sync && ctx.live?.passPhase(written.kept, written.sync);
  if (!lp) return out;
  if (lp.note) out.message += `; ${lp.note}`;
  if (out.phase === 'Synced' && lp.phase !== 'Synced') out = { ...out, phase: lp.phase, reason: lp.reason };
  return out;
}
