// The diff stage, in two steps. checkRevision judges the render: a revision with error diagnostics
// is Invalid and the last good desired state stays in force — unless the live fleet says failover
// alone left some resources nowhere to go, which keeps them where they were (kept placements).
// diffStage compares the desired state with the applied one and holds back a revision that would
// delete more than safety.maxDeletePercent of it.
import type { Diagnostic } from '../../model/diagnostics.js';
import type { KeptPlacement } from '../../live/live-status.js';
import { keptDiagnostics, withKeptObjects } from '../../live/live-status.js';
import { diffDesired, stateSize, type DesiredDiff } from '../../state/change-set.js';
import { checkDeletions } from '../../state/deletion-guard.js';
import type { Stage } from '../../state/document.js';
import type { PassContext, ReconcilerState, StageResult } from '../context.js';
import type { DiffReason, RenderReason } from '../reasons.js';
import { staysInForce } from '../revisions.js';
import { publish, type Rendered } from './render.js';

/** Stage of a revision's error diagnostics: which step of the pipeline found them. */
export function invalidStage(diagnostics: readonly Diagnostic[]): Stage {
  const codes = diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  if (codes.some((c) => c.startsWith('YAML') || c.startsWith('FILE_') || c === 'DUPLICATE_RESOURCE')) return 'load';
  if (codes.every((c) => c === 'SCHEDULE_FAILED')) return 'place';
  return 'render';
}

export interface CheckedRevision {
  result: Rendered;
  /** Placements failover made unschedulable, kept where they were. */
  kept: KeptPlacement[];
  /** The render's diagnostics, with the kept placements' errors downgraded to warnings. */
  diagnostics: Diagnostic[];
}

/** Whether the render may be applied (Invalid stops the pass; no target is touched). */
export function checkRevision(ctx: PassContext, state: ReconcilerState, result: Rendered): StageResult<CheckedRevision, RenderReason> {
  let errors = result.diagnostics.filter((d) => d.severity === 'error');
  // Failover may leave a resource nowhere to go; that alone does not make the revision Invalid (live-status.ts).
  const kept = ctx.live?.keptPlacements(result, state.revisions.desired?.previous) ?? [];
  const diagnostics = kept.length > 0 ? keptDiagnostics(result.diagnostics, kept) : result.diagnostics;
  if (kept.length > 0) errors = [];
  publish(ctx, state, { ...state.render.fleet!, revisionHasErrors: errors.length > 0 });
  if (errors.length === 0) return { ok: true, result, kept, diagnostics };
  const first = errors[0]!;
  const where = `${first.file ?? ''}${first.line ? `:${first.line}` : ''}`;
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
  const firstError = `${where} ${first.code}: ${first.message}`;
  const message = `revision ${ctx.head} is invalid (${count}; first: ${firstError}); ${staysInForce(state.revisions)}`;
  return {
    ok: false,
    kind: 'stop',
    phase: 'Invalid',
    stage: invalidStage(result.diagnostics),
    reason: 'InvalidRevision',
    message,
    result,
    held: null,
  };
}

export interface Diffed {
  diff: DesiredDiff;
  /** Objects in the desired state. */
  total: number;
}

/** The change set from the applied state to the checked render (kept placements' objects included). */
export function diffStage(ctx: PassContext, state: ReconcilerState, checked: CheckedRevision): StageResult<Diffed, DiffReason> {
  const { result, kept } = checked;
  const applied = state.applied;
  const manifests = kept.length > 0 ? withKeptObjects(result.manifests, applied.state, kept) : result.manifests;
  const diff = diffDesired({ previous: applied.state, manifests, identity: applied.identity, previousLists: applied.lists });
  const total = stateSize(diff.next);
  const guard = checkDeletions(diff, stateSize(applied.state), ctx.config.safety.maxDeletePercent);
  if (!guard.held) return { ok: true, diff, total };
  const message =
    `revision ${ctx.head} would delete ${guard.deleted} of ${guard.total} objects (${guard.percent}%), ` +
    `over safety.maxDeletePercent ${guard.limitPercent}%: held back; ${staysInForce(state.revisions)}`;
  return { ok: false, kind: 'stop', phase: 'Degraded', stage: 'diff', reason: 'DeletionHeldBack', message, result, held: guard };
}
