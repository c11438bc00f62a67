// The observe stage: with a live fleet, probe the rendered fleet's clusters (readiness for
// failover, capacity for the estimator), write the observation into the render's input (the
// observed-clusters file, and the repository's Karmada Cluster documents) and render again if it
// changed anything, so failover re-places replicas as Karmada would. Without a live fleet it
// returns the render as it is.
import { OBSERVED_CLUSTERS_FILE, overlayObserved } from '../../live/observed.js';
import type { FleetObservation } from '../../live/live-fleet.js';
import type { PassContext, ReconcilerState, StageResult } from '../context.js';
import { stageFailure } from '../context.js';
import type { ObserveReason, RenderReason } from '../reasons.js';
import type { FileChange } from '../renderer.js';
import { writesLiveClusters } from '../../targets/target.js';
import { render, resetRender, type Rendered, type RenderState } from './render.js';

/**
 * The render input changes an observation makes: the observed-clusters file, and repository files
 * whose Karmada Cluster documents carry the observation (overlayObserved). Remembers what it gave
 * the renderer, so a file the source changed gets the observation again.
 */
function observedChanges(r: RenderState, obs: FleetObservation): FileChange[] {
  const current = new Map(r.renderer.files().map((f) => [f.path, f.text]));
  current.delete(OBSERVED_CLUSTERS_FILE);
  const repoFiles = [...current].map(([path, text]) => {
    const o = r.observed.overlaid.get(path);
    return { path, text: o && o.patched === text ? o.original : text };
  });
  const overlay = overlayObserved(repoFiles, obs.clusters);
  const changes: FileChange[] = [];
  if (overlay.file.text !== r.observed.text) changes.push({ path: overlay.file.path, text: overlay.file.text });
  const next = new Map<string, { original: string; patched: string }>();
  for (const f of repoFiles) {
    const patched = overlay.patched.get(f.path);
    if (patched !== undefined) next.set(f.path, { original: f.text, patched });
    const want = patched ?? f.text;
    if ((patched !== undefined || r.observed.overlaid.has(f.path)) && current.get(f.path) !== want)
      changes.push({ path: f.path, text: want });
  }
  r.observed = { text: overlay.file.text, overlaid: next };
  return changes;
}

export async function observeStage(
  ctx: PassContext,
  state: ReconcilerState,
  rendered: Rendered,
): Promise<StageResult<{ result: Rendered }, ObserveReason | RenderReason>> {
  if (!ctx.live) return { ok: true, result: rendered };
  let obs: FleetObservation;
  try {
    obs = await ctx.live.observe(rendered.model.clusters.map((c) => c.name));
  } catch (e) {
    return stageFailure('observe', 'ObserveFailed', e);
  }
  for (const e of obs.events) ctx.revisionLog.warn({ cluster: e.cluster, event: e.type }, e.message);
  // Application failover reads the health the last apply found, for the placements it applied.
  const application = ctx.live.applicationFailover?.(rendered, ctx.targets.find(writesLiveClusters)?.lastResult ?? null);
  for (const e of application?.events ?? []) ctx.revisionLog.warn({ cluster: e.cluster, event: e.type }, e.message);
  const evictionsChanged = application?.changed ?? false;
  const changes = observedChanges(state.render, obs);
  if (changes.length === 0 && !evictionsChanged && obs.evicted.join(',') === state.render.evicted.join(','))
    return { ok: true, result: rendered };
  try {
    return { ok: true, result: render(ctx, state, changes, obs.evicted) };
  } catch (e) {
    resetRender(ctx, state);
    return stageFailure('render', 'RenderFailed', e);
  }
}
