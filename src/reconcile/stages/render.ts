// The render stage: place and render the changed files at the head with the desired placements as
// Karmada's previous result (through the live fleet, which takes evicted clusters out and marks
// rebalanced workloads). A poll that changes nothing reuses the last render. The renderer's state
// (its file set, the observation written into it, the last render) lives in RenderState; a failed
// stage resets it, so the next pass reads the whole revision again.
import type { SourceBuilder } from '../../generate/builder.js';
import type { PlacementResult, PreviousPlacement } from '../../model/types.js';
import { placementJson, previousOfPlacement } from '../../render/contract.js';
import type { RenderResult } from '../../render/render-fleet.js';
import { versionedKey } from '../../objects/identity.js';
import { rememberContentHashes } from '../../state/change-set.js';
import type { FleetInfo } from '../../targets/target.js';
import { withScope } from '../../validate/scope.js';
import type { PassContext, ReconcilerContext, ReconcilerState, StageResult } from '../context.js';
import { stageFailure } from '../context.js';
import type { RenderReason } from '../reasons.js';
import type { FileChange, FleetRenderer, RenderStats } from '../renderer.js';
import { renderedAt, type DesiredRecord } from '../revisions.js';

const NO_PLACEMENTS: ReadonlyMap<string, PreviousPlacement> = new Map();

/** The previous result each render was given (what the dashboard's workload page schedules its one resource with again). */
const renderedFrom = new WeakMap<RenderResult, ReadonlyMap<string, PreviousPlacement>>();

/** The previous placements `result` was rendered with (undefined: not a render of this stage). */
export function previousOfRender(result: RenderResult): ReadonlyMap<string, PreviousPlacement> | undefined {
  return renderedFrom.get(result);
}

export type Rendered = RenderResult & { stats: RenderStats };

/** Repository files the renderer holds with the observation written into them, and the observed-clusters file. */
export interface ObservedInput {
  /** The observed-clusters file in the renderer's file set (null: none yet). */
  text: string | null;
  overlaid: Map<string, { original: string; patched: string }>;
}

export interface RenderState {
  renderer: FleetRenderer;
  /** The repository's files and the builds of its Kustomize and generator folders, in step with the renderer (null: none yet). */
  builder: SourceBuilder | null;
  /** Clusters evicted in the `previous` the renderer's last update was given. */
  evicted: string[];
  /** The last render and what it was computed from (reused by polls that change nothing). */
  last: { result: Rendered; desired: DesiredRecord | null; evicted: string } | null;
  observed: ObservedInput;
  /** The last render's fleet, as the targets see it. */
  fleet: FleetInfo | null;
  /** Placements in the contract's shape and as previous results, per PlacementResult the renderer kept. */
  readonly records: WeakMap<PlacementResult, Record<string, unknown>>;
  readonly previous: WeakMap<PlacementResult, PreviousPlacement>;
}

export function newRenderState(renderer: FleetRenderer): RenderState {
  return {
    renderer,
    builder: null,
    evicted: [],
    last: null,
    observed: { text: null, overlaid: new Map() },
    fleet: null,
    records: new WeakMap(),
    previous: new WeakMap(),
  };
}

/** A fresh renderer: the next pass reads every file of its revision. */
export function resetRender(ctx: ReconcilerContext, state: ReconcilerState): void {
  const r = state.render;
  r.renderer = ctx.makeRenderer();
  r.builder = null;
  r.observed = { text: null, overlaid: new Map() };
  r.evicted = [];
  r.last = null;
  state.revisions = renderedAt(state.revisions, null);
}

/**
 * Renders `changes` at the head with the desired placements (less the evicted clusters) as
 * Karmada's previous result. A poll that changes nothing reuses the last render.
 */
export function render(ctx: PassContext, state: ReconcilerState, changes: readonly FileChange[], evicted: readonly string[]): Rendered {
  const { head } = ctx;
  const r = state.render;
  const desired = state.revisions.desired;
  // Cluster evictions and application failover's evictions both change the previous result.
  const key = `${evicted.join(',')}|${ctx.live?.evictionKey?.() ?? ''}`;
  const last = r.last;
  if (changes.length === 0 && last && state.revisions.rendered === head && last.desired === desired && last.evicted === key)
    return last.result;
  // Without a desired state yet the claims start here: an empty previous result makes them sticky from this revision on.
  const base = desired?.previous ?? NO_PLACEMENTS;
  // The live fleet evicts and rebalances (failover.rebalanceOnRecovery); without one, nothing is ever evicted.
  const previous = ctx.live?.previousForRender(base, evicted) ?? base;
  // The scope is judged before anything is written: a refused object makes the revision Invalid (checkRevision).
  const result = withScope(r.renderer.update({ revision: head, changes, previous }), ctx.config.scope, { kept: true });
  // Objects rendered from an earlier process's seeds come with their content hash: the diff compares it as is.
  rememberContentHashes(r.renderer.takeKnownHashes?.() ?? []);
  renderedFrom.set(result, previous);
  state.revisions = renderedAt(state.revisions, head);
  r.evicted = [...evicted];
  r.last = { result, desired, evicted: key };
  // The kubernetes target connects through the fleet's AttachedCluster secretRefs: known before it observes.
  publish(ctx, state, {
    clusters: result.model.clusters.map((c) => (c.secretRef ? { name: c.name, secretRef: c.secretRef } : { name: c.name })),
    parallelism: result.model.tuning.parallelism,
    revisionHasErrors: result.diagnostics.some((d) => d.severity === 'error'),
  });
  return result;
}

/** Records the fleet of the last render and tells the targets. */
export function publish(ctx: ReconcilerContext, state: ReconcilerState, fleet: FleetInfo): void {
  state.render.fleet = fleet;
  ctx.publishFleet(fleet);
}

/** The render stage: the head's changes through the renderer, with the clusters evicted last time. */
export function renderStage(
  ctx: PassContext,
  state: ReconcilerState,
  changes: readonly FileChange[],
): StageResult<{ result: Rendered }, RenderReason> {
  try {
    return { ok: true, result: render(ctx, state, changes, state.render.evicted) };
  } catch (e) {
    resetRender(ctx, state);
    return stageFailure('render', 'RenderFailed', e);
  }
}

/**
 * The placements of a render in the contract's shape. The incremental renderer keeps the
 * PlacementResult of every resource it did not reschedule, so their records are reused: status
 * composition and comparison then cost what the change costs.
 */
export function placementRecords(r: RenderState, result: RenderResult): Array<Record<string, unknown>> {
  return result.placements.map((p) => {
    let record = r.records.get(p);
    if (!record) r.records.set(p, (record = placementJson(p)));
    return record;
  });
}

/** The placements of a render as the `previous` input of the next one (previousFromJson's shape), reused per PlacementResult. */
export function previousPlacements(r: RenderState, result: RenderResult): Map<string, PreviousPlacement> {
  const out = new Map<string, PreviousPlacement>();
  for (const p of result.placements) {
    let prev = r.previous.get(p);
    if (!prev) r.previous.set(p, (prev = previousOfPlacement(p, result.revision)));
    out.set(versionedKey(p.resource), prev);
  }
  return out;
}
