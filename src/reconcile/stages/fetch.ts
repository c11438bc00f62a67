// The fetch stage: the source branch's head, and on the first pass the state the status branch
// kept (last status, applied state from manifests/, last good placements, failover's clocks).
// Then whether the head needs a pass at all: without live clusters, a head already settled with
// nothing pending is skipped; with a live fleet every poll runs (drift, failover).
import { FlotillaError } from '../../model/diagnostics.js';
import { readAppliedState, readStatusAt } from '../../state/branch.js';
import { previousOfStatus } from '../../state/document.js';
import { stateFromObjects, stateSize } from '../../state/change-set.js';
import type { ReconcilerContext, ReconcilerState, StageResult } from '../context.js';
import { stageFailure } from '../context.js';
import type { FetchReason } from '../reasons.js';
import { loadRenderIndex, readRenderIndex } from '../render-index.js';
import { restored, statusRead, tipFetched, type DesiredRecord } from '../revisions.js';

/**
 * Reads the status branch: last status, the last good revision and its desired state (manifests/,
 * which the next diff starts from), the desired placements (the next schedule's previous result,
 * even when no revision was applied in full yet), failover's clocks.
 */
async function restoreState(ctx: ReconcilerContext, state: ReconcilerState): Promise<void> {
  const { git } = ctx;
  const tip = await git.fetchBranch(ctx.config.status.branch);
  state.revisions = tipFetched(state.revisions, tip);
  let desired: DesiredRecord | null = null;
  let lastGoodRevision: string | null = null;
  if (tip) {
    // The index file is read and gunzipped while the status is.
    const indexRead = readRenderIndex(ctx);
    const snapshot = await readStatusAt(git.objects, tip);
    const s = snapshot.status;
    state.revisions = statusRead(state.revisions, s, snapshot.manifestsTree);
    // The render index, when it holds for this very commit, spares reading and parsing every file of manifests/.
    const indexed = await loadRenderIndex(ctx, { statusCommit: tip, manifestsTree: snapshot.manifestsTree }, indexRead);
    // The renderer has not run in this process yet: it starts from the parses the index keeps.
    if (indexed && indexed.parsed.length > 0 && state.revisions.rendered === null) {
      state.render.renderer = ctx.makeRenderer(indexed.parsed);
      // The load stage then reads only the files whose blob is not one of these texts.
      state.keptSources = new Map(indexed.parsed.map((r) => [r.path, r.text]));
    }
    const applied = indexed?.objects ?? (await readAppliedState(git.objects, snapshot.manifestsTree, (m) => ctx.log.warn(m))).values();
    state.applied = { ...state.applied, state: stateFromObjects(applied), lists: new Map() };
    state.indexedTip = indexed && indexed.lag === 0 ? tip : null;
    // An index this process could use is as good as one it wrote: the next write waits for the
    // interval or the lag limit (a restart then leaves it behind by one commit; the next rolls it forward).
    if (indexed) {
      state.indexWrittenAt = 'found';
      state.indexLag = indexed.lag;
    }
    // Failover's clocks survive a restart: a cluster down before it stays down, its toleration running.
    ctx.live?.restore(s?.failover);
    lastGoodRevision = s?.lastGoodRevision ?? null;
    if (s && (s.lastGoodRevision || s.placements.length > 0)) {
      const previous = previousOfStatus(s, 'status.yaml');
      // The placements are the last good revision's only when its pass applied everywhere; otherwise of one applied in part.
      const revision = s.phase === 'Synced' || s.phase === 'Progressing' ? s.lastGoodRevision : null;
      desired = { revision, placements: s.placements, previous };
    }
    ctx.log.info(
      {
        statusCommit: tip,
        lastGoodRevision: s?.lastGoodRevision ?? null,
        objects: stateSize(state.applied.state),
        fromIndex: indexed !== null,
      },
      'restored state from the status branch',
    );
  }
  state.revisions = restored(state.revisions, desired, lastGoodRevision);
}

/** Fetches the source head (and restores from the status branch on the first pass). */
export async function fetchStage(ctx: ReconcilerContext, state: ReconcilerState): Promise<StageResult<{ head: string }, FetchReason>> {
  try {
    const head = await ctx.git.fetchSource();
    if (!state.revisions.restored) await restoreState(ctx, state);
    return { ok: true, head };
  } catch (e) {
    return stageFailure('fetch', e instanceof FlotillaError && e.code === 'AUTH_FAILED' ? 'AuthenticationFailed' : 'FetchFailed', e);
  }
}

/** What a fetched head calls for: nothing, only the status commit the last pass could not make, or a pass. */
export type PollDecision = 'skip' | 'recordPending' | 'run';

/** Without live clusters only news makes a pass; live clusters are compared on every poll (drift, failover). */
export function pollDecision(ctx: ReconcilerContext, state: ReconcilerState, head: string): PollDecision {
  if (ctx.live) return 'run';
  const { settled, pendingStatus } = state.revisions;
  if (state.needFull.size > 0) return 'run';
  if (head === settled && pendingStatus === null) return 'skip';
  if (pendingStatus && head === pendingStatus.sourceRevision) return 'recordPending';
  return 'run';
}
