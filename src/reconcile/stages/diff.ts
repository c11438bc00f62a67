// The diff stage, in two steps. checkRevision judges the render: a revision with error diagnostics
// is Invalid and the last good desired state stays in force — unless the live fleet says failover
// alone left some resources nowhere to go, which keeps them where they were (kept placements).
// diffStage compares the desired state with the applied one and holds back a revision whose
// deletions (workloads scaled to 0 everywhere included) would take those of the rolling window past
// safety.maxDeletePercent of the fleet or safety.maxDeletions (state/deletion-guard.ts), unless a
// commit not yet applied carries the trailer Flotilla-Allow-Deletions: N covering them.
import type { Diagnostic } from '../../model/diagnostics.js';
import { countDiagnostics } from '../../model/diagnostics-format.js';
import type { KeptPlacement } from '../../live/live-status.js';
import { keptDiagnostics, withKeptObjects } from '../../live/live-status.js';
import { hydrateApplied } from '../../state/branch.js';
import { diffDesired, objectsToRead, stateObjects, stateSize, type DesiredDiff } from '../../state/change-set.js';
import type { SafetyConfig } from '../../config/schema.js';
import { scopeEntryFor } from '../../config/scope.js';
import {
  ALLOW_DELETIONS_TRAILER,
  allowDeletionsTrailer,
  checkDeletions,
  countDeletions,
  describeHeld,
  releaseHint,
  withinWindow,
  type DeletionLimits,
  type DeletionRecord,
} from '../../state/deletion-guard.js';
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
  const retained = ctx.live?.retainedCopies?.() ?? [];
  // Always set: the fleet published last pass may carry copies whose eviction has ended since.
  publish(ctx, state, { ...state.render.fleet!, revisionHasErrors: errors.length > 0, retained });
  if (errors.length === 0) return { ok: true, result, kept, diagnostics };
  const first = errors[0]!;
  const where = `${first.file ?? ''}${first.line ? `:${first.line}` : ''}`;
  const n = countDiagnostics(errors).error; // a truncation summary counts as the errors it left out
  const count = `${n} error${n === 1 ? '' : 's'}`;
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
  /** The guard's window once this revision is applied (recorded in the status: it outlives a restart). */
  deletions: DeletionRecord[];
  /** The trailer's allowance when it is what let this revision's deletions through (the targets' own guards honour it). */
  deletionsAllowed: number | null;
}

function limitsOf(safety: SafetyConfig): DeletionLimits {
  return { limitPercent: safety.maxDeletePercent, maxDeletions: safety.maxDeletions, windowMinutes: safety.deletionWindowMinutes };
}

/** The window as the newest status says it (a status whose commit failed is newer than the last committed one). */
export function recordedDeletions(state: ReconcilerState): DeletionRecord[] {
  return (state.revisions.pendingStatus ?? state.revisions.lastStatus)?.deletions ?? [];
}

/** How many commits back from the head the trailer is looked for (commits not yet applied). */
const TRAILER_SEARCH_LIMIT = 100;

/**
 * The Flotilla-Allow-Deletions trailer of the newest commit that has one, among those from the head
 * back to the revision in force (first parents; null: none). A commit that cannot be read ends the
 * search (a shallow history).
 */
async function allowedDeletions(ctx: PassContext, state: ReconcilerState): Promise<number | null> {
  const stop = state.revisions.lastGood?.revision ?? null;
  // The first parents from the head, back to the revision in force (or the limit).
  const chain: Array<{ commit: string; message: string; parents: string[] }> = [];
  let commit: string | null = ctx.head;
  for (let i = 0; i < TRAILER_SEARCH_LIMIT && commit !== null && commit !== stop; i++) {
    const read: { message: string; parents: string[] } | null = await ctx.git.objects.readCommit(commit).catch(() => null);
    if (!read) break;
    chain.push({ commit, ...read });
    commit = read.parents[0] ?? null;
  }
  // A chain that did not reach the revision in force (a branch merged with main as its second parent)
  // runs on into history already applied: a trailer there was used once and does not count again.
  const reachedStop = stop === null || commit === stop;
  for (const c of chain) {
    const allowed = allowDeletionsTrailer(c.message);
    if (allowed === null) continue;
    if (!reachedStop && (await ctx.git.objects.isAncestor(c.commit, stop!).catch(() => true))) continue;
    const notThePlatforms = await trailerRefusal(ctx, c.parents, c.commit);
    if (notThePlatforms === null) return allowed;
    ctx.revisionLog.warn(
      { commit: c.commit },
      `${ALLOW_DELETIONS_TRAILER} ignored: the commit ${notThePlatforms}; with scope paths only a commit that ` +
        "changes scope.default's files, and no scope path's, releases deletions",
    );
  }
  return null;
}

/**
 * Why the trailer on `commit` is not the platform's to give (null: it is, or there are no scope
 * paths). It releases deletions fleet-wide, so with scope paths only a commit that changes
 * scope.default's files, and none a scope path governs, counts: a team's commit under its own path
 * could otherwise release the deletions held back from another team's, or a newer one cancel the
 * platform's approval; and an empty commit changes no one's files, so anyone may push it.
 */
async function trailerRefusal(ctx: PassContext, parents: readonly string[], commit: string): Promise<string | null> {
  const paths = ctx.config.scope.paths;
  if (paths.length === 0) return null;
  if (parents.length === 0) return 'has no parent (it changes the whole repository)';
  // Against every parent: a merge of a team's branch changes the team's files against main.
  for (const [i, parent] of parents.entries()) {
    const changes = await ctx.git.objects.changedPaths(parent, commit).catch(() => null);
    if (changes === null) return 'changes what cannot be read';
    if (i === 0 && changes.length === 0) return "changes no file (an empty commit is no path's, so anyone could push it)";
    const scoped = changes.find((c) => scopeEntryFor(paths, c.path) >= 0)?.path;
    const against = i > 0 ? ` against its parent ${parent.slice(0, 12)}` : '';
    if (scoped !== undefined) return `changes ${scoped}${against}, which a scope path governs`;
  }
  return null;
}

/** The change set from the applied state to the checked render (kept placements' objects included), through the deletion guard. */
export async function diffStage(
  ctx: PassContext,
  state: ReconcilerState,
  checked: CheckedRevision,
): Promise<StageResult<Diffed, DiffReason>> {
  const { result, kept } = checked;
  const applied = state.applied;
  // Objects restored from the render index carry only a hash: read those the diff compares field by
  // field (or keeps); those whose hash matches are recorded in the identity cache, for the diff to skip.
  // Clusters whose restored objects are the rendered lists' (a restart's untouched clusters) are kept whole.
  const prepared =
    kept.length > 0
      ? { toRead: [...stateObjects(applied.state)], lists: null }
      : objectsToRead(applied.state, result.manifests, applied.identity);
  const read = await hydrateApplied(ctx.git.objects, prepared.toRead);
  if (read > 0) ctx.revisionLog.debug({ objects: read }, 'read back applied objects for the diff');
  const manifests = kept.length > 0 ? withKeptObjects(result.manifests, applied.state, kept) : result.manifests;
  const previousLists = prepared.lists?.size ? new Map([...applied.lists, ...prepared.lists]) : applied.lists;
  const diff = diffDesired({ previous: applied.state, manifests, identity: applied.identity, previousLists });
  const total = stateSize(diff.next);
  const limits = limitsOf(ctx.config.safety);
  const now = ctx.clock.now();
  const window = withinWindow(recordedDeletions(state), now, limits.windowMinutes);
  const input = { counted: countDeletions(applied.state, diff), totalBefore: stateSize(applied.state), window, limits };
  let guard = checkDeletions({ ...input, allowed: null });
  // The trailer is looked for only when it matters: reading commits costs a pass nothing otherwise.
  if (guard.held) guard = checkDeletions({ ...input, allowed: await allowedDeletions(ctx, state) });
  if (!guard.held) {
    // Deletions the trailer approved were reviewed: they do not count against the next ones.
    const record =
      guard.deleted > 0 && !guard.approved ? [{ at: new Date(now).toISOString(), revision: ctx.head, deleted: guard.deleted }] : [];
    return { ok: true, diff, total, deletions: [...window, ...record], deletionsAllowed: guard.approved ? guard.allowed : null };
  }
  const message =
    `${describeHeld(guard, ctx.head)}: held back; ${staysInForce(state.revisions)}; ` +
    releaseHint(guard, ctx.config.scope.paths.length > 0);
  return { ok: false, kind: 'stop', phase: 'Degraded', stage: 'diff', reason: 'DeletionHeldBack', message, result, held: guard };
}
