// The record stage: commit the pass's status to the status branch when it says something new
// (with the desired state's tree as manifests/ and the live fleet's last observation). A failed
// commit does not lose the status: it is kept as pending, retried next pass, and the pass is
// Failed at stage `status`. recordStage records a pass that wrote its revision (its phase by the
// targets and the live fleet); recordFailure and recordStop end a pass early through the same door.
import { serializeTraffic } from '../../state/traffic.js';
import type { Logger } from 'pino';
import { FlotillaError } from '../../model/diagnostics.js';
import { summarize } from '../../source/remote.js';
import { commitStatus } from '../../state/branch.js';
import type { FleetSyncResult } from '../../kube/fleet.js';
import { describeRef } from '../../objects/identity.js';
import type { ReconcileStatus } from '../../state/document.js';
import type { Target, TargetReport } from '../../targets/target.js';
import {
  authorAt,
  type PassContext,
  type PassMeter,
  type PassOutcome,
  type ReconcilerContext,
  type ReconcilerState,
  type StageFailure,
  type StageStop,
  type UnhealthyObject,
} from '../context.js';
import { appliedEverywhere, commitFailed, committed, recordedTree, settledAt, statusIsNew, statusUnchanged } from '../revisions.js';
import { appliedPhase, composeStatus, liveSync } from '../status.js';
import type { CheckedRevision, Diffed } from './diff.js';
import type { Written } from './write.js';

/** Commits a status when it says something new; a failed commit is retried next pass. */
export async function recordStatus(
  ctx: ReconcilerContext,
  state: ReconcilerState,
  meter: PassMeter,
  record: { status: ReconcileStatus; log: Logger; outcome: PassOutcome; quiet?: boolean },
): Promise<PassOutcome> {
  const { status, log } = record;
  const outcome = { ...record.outcome, status };
  const branch = ctx.config.status.branch;
  // A dry run reports the status it would record and commits nothing.
  if (ctx.dryRun) return outcome;
  if (!statusIsNew(state.revisions, status)) {
    state.revisions = statusUnchanged(state.revisions);
    meter.quiet = record.quiet ?? false;
    return outcome;
  }
  const observed = ctx.live?.observedRecord ?? null;
  const traffic = status.traffic && state.traffic.record ? serializeTraffic(state.traffic.record) : null;
  try {
    const commit = await commitStatus({
      repo: ctx.git,
      branch,
      tip: state.revisions.statusTip,
      status,
      manifestsTree: recordedTree(state.revisions),
      author: authorAt(ctx.config, ctx.clock),
      ...(observed !== null ? { observed } : {}),
      ...(traffic !== null ? { traffic } : {}),
      onRetry: (attempt, tip) => log.warn({ attempt, tip }, `status branch ${branch} moved; rebuilding the status commit on the new tip`),
      sleep: (ms) => ctx.clock.sleep(ms),
    });
    state.revisions = committed(state.revisions, commit, status);
    log.info({ statusCommit: commit, phase: status.phase }, `status committed to ${branch}`);
    return { ...outcome, statusCommit: commit };
  } catch (e) {
    state.revisions = commitFailed(state.revisions, status);
    log.error({ err: summarize(e) }, `could not commit status to ${branch}`);
    if (outcome.phase === 'Failed') return outcome;
    const message = `${outcome.message}; status commit failed: ${summarize(e).message}`;
    return { ...outcome, phase: 'Failed', stage: 'status', reason: 'StatusWriteFailed', message };
  }
}

/** A failed stage: status records it (when a status can be written), the outcome reports it. */
export async function recordFailure(
  ctx: ReconcilerContext,
  state: ReconcilerState,
  meter: PassMeter,
  failure: StageFailure,
  revision?: string,
): Promise<PassOutcome> {
  const { stage, reason, error } = failure;
  const message = `${stage} failed: ${error instanceof FlotillaError ? error.message : summarize(error).message}`;
  const r = state.revisions;
  const head = revision ?? r.lastStatus?.sourceRevision ?? r.rendered ?? null;
  const outcome = meter.outcome(head, 'Failed', stage, reason, message);
  if (!head || !r.restored) return outcome; // nothing fetched yet: nowhere to record it
  const status = composeStatus(ctx, state, {
    head,
    phase: 'Failed',
    stage,
    reason,
    message,
    result: null,
    diff: failure.written?.diff ?? null,
    reports: failure.written?.reports ?? null,
    held: null,
  });
  state.revisions = settledAt(state.revisions, null);
  return recordStatus(ctx, state, meter, { status, log: ctx.log, outcome });
}

/** A stage that stopped the pass (Invalid revision, deletions held back): the last good state stays in force. */
export async function recordStop(ctx: PassContext, state: ReconcilerState, stop: StageStop): Promise<PassOutcome> {
  const { head, meter } = ctx;
  const { phase, stage, reason, message, result, held } = stop;
  const status = composeStatus(ctx, state, { head, phase, stage, reason, message, result, diff: null, reports: null, held });
  state.revisions = settledAt(state.revisions, head);
  const outcome = meter.outcome(head, phase, stage, reason, message, { renderStats: result.stats, diagnostics: result.diagnostics });
  return recordStatus(ctx, state, meter, { status, log: ctx.revisionLog, outcome, quiet: head === ctx.previousHead });
}

/**
 * Whether every target applied the revision in full — for a kubernetes target, on every cluster it
 * had objects to apply or prune on. Only then is it the last good revision. A dry run (the
 * command's, or a kubernetes target's dryRun setting) applies nothing.
 */
export function appliedInFull(ctx: PassContext, reports: ReadonlyMap<Target, TargetReport>): boolean {
  if (ctx.dryRun || ctx.config.targets.some((t) => t.type === 'kubernetes' && t.dryRun)) return false;
  return ctx.targets.every((t) => reports.get(t)?.ok === true);
}

/** The objects a live sync applied or kept that are not Healthy yet (a Suspended one is paused on purpose: not waited for). */
export function unhealthyObjects(sync: FleetSyncResult | null): UnhealthyObject[] {
  const out: UnhealthyObject[] = [];
  for (const c of sync?.clusters ?? [])
    for (const o of c.objects)
      if (o.health && o.health.status !== 'Healthy' && o.health.status !== 'Suspended')
        out.push({ cluster: c.cluster, object: describeRef(o.ref), health: o.health.status, message: o.health.message });
  return out;
}

/** The record stage of a pass that wrote its revision: its phase (by the targets and the live fleet), status and commit. */
export async function recordStage(
  ctx: PassContext,
  state: ReconcilerState,
  checked: CheckedRevision,
  diffed: Diffed,
  written: Written,
): Promise<PassOutcome> {
  const { head, meter } = ctx;
  const { diff, total } = diffed;
  const { diagnostics, result } = checked;
  const reports = written.reports;
  const sync = liveSync(ctx.targets, reports);
  const phase = appliedPhase(ctx, state.revisions, { total, clusters: diff.next.size, reports, kept: checked.kept.length, sync });
  if (appliedInFull(ctx, reports)) state.revisions = appliedEverywhere(state.revisions);
  const deletions = diffed.deletions;
  const status = composeStatus(ctx, state, { head, ...phase, result, diff, reports, held: null, deletions, sync, diagnostics });
  // Settled only when every target took it (a failed target is the write stage's failure).
  state.revisions = settledAt(state.revisions, phase.stage === 'write' ? null : head);
  const { created, configured, unchanged, deleted } = status.objects;
  const outcome = meter.outcome(head, phase.phase, phase.stage, phase.reason, phase.message, {
    counts: { created, configured, unchanged, deleted },
    renderStats: result.stats,
    diagnostics,
    targets: status.targets,
    unhealthy: unhealthyObjects(sync),
  });
  const quiet = head === ctx.previousHead && diff.changes.length === 0 && (sync?.writes ?? 0) === 0;
  return recordStatus(ctx, state, meter, { status, log: ctx.revisionLog, outcome, quiet });
}
