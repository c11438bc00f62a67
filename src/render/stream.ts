// The render a cluster at a time (issue 13): the same manifests and diagnostics as renderFleet
// followed by withScope, but only one cluster's objects are alive at once, so `validate`,
// `render`, `plan` and `diff` hold the placements and one cluster, never every rendered object.
// Clusters come in name order, each in apply order, exactly as renderFleet's `manifests`.
import { sortDiagnostics, type Diagnostic } from '../model/diagnostics.js';
import type { FleetModel, OverridePolicy, PlacementResult } from '../model/types.js';
import { versionedKey } from '../objects/identity.js';
import { compareRecordKeys } from '../objects/serialize.js';
import type { ScopeConfig } from '../config/scope.js';
import { keepInScope, ScopeJudge } from '../validate/scope.js';
import {
  assembleCluster,
  clusterSummaries,
  overridesFor,
  placeFleet,
  placementJob,
  renderOnCluster,
  type ClusterSummary,
  type PlacedFleet,
  type PlacementJob,
  type RenderedObject,
  type RenderInput,
  type RenderResult,
  type RenderSummary,
} from './render-fleet.js';

/** One cluster's rendered objects, in apply order. */
export type ClusterManifests = readonly [cluster: string, objects: Record<string, unknown>[]];

/** A render whose manifests are produced on demand, a cluster at a time. */
export interface StreamedRender {
  revision: string;
  clusters: ClusterSummary[];
  placements: PlacementResult[];
  model: FleetModel;
  /**
   * Every cluster with objects, in the order of renderFleet's `manifests` record (after the scope when one was
   * given). Can be iterated once; an object is dropped by the stream as soon as the next cluster starts.
   */
  manifests(): Generator<ClusterManifests>;
  /** Whether an error was found so far (before the first cluster: while loading and placing). */
  hasErrors(): boolean;
  /** Every diagnostic, sorted as renderFleet's (with the scope's); only once manifests() has run to its end. */
  diagnostics(): Diagnostic[];
}

/** Per cluster, the placements that send something there: pairs (placement index, target index), flattened. */
function targetsByCluster(placed: PlacedFleet): Map<string, number[]> {
  const byCluster = new Map<string, number[]>();
  placed.placements.forEach((p, i) => {
    p.clusters.forEach((t, j) => {
      if (!placed.rctx.clusters.has(t.name)) return;
      const list = byCluster.get(t.name);
      if (list) list.push(i, j);
      else byCluster.set(t.name, [i, j]);
    });
  });
  return byCluster;
}

/**
 * Names in the order renderFleet's `manifests` record lists them (Object.keys): sorted, except that
 * names that are array indices ("7", "12") come first in numeric order, as in every JavaScript object.
 */
function recordOrder(names: Iterable<string>): string[] {
  return [...names].sort(compareRecordKeys);
}

/**
 * Places the revision now and renders its clusters as they are asked for. With `scope`, each
 * cluster is judged as withScope judges the whole render: refused objects (and the bare Namespaces
 * made only for them) left out, SCOPE_DENIED added to the diagnostics. Placements come without
 * their per-cluster verdicts and explanation steps unless `options.details`.
 */
export function streamFleet(input: RenderInput, scope?: ScopeConfig, options: { details?: boolean } = {}): StreamedRender {
  // Verdicts and explanation steps only when asked for (plan): validate, render and diff never show them.
  const placed = placeFleet(input, { details: options.details ?? false });
  const { model, sink, placements, rctx } = placed;
  const judge = scope ? new ScopeJudge(scope, model.resources, model.controlPlane) : null;
  let state: 'ready' | 'running' | 'done' = 'ready';

  // The per-resource part of a render (sanitized template, its override policies) is made once, on first use.
  const jobs: Array<PlacementJob | undefined> = [];
  const jobOf = (i: number): PlacementJob => {
    let job = jobs[i];
    if (job) return job;
    const p = placements[i]!;
    const key = versionedKey(p.resource);
    const resource = rctx.byKey.get(key)!;
    const policies: readonly OverridePolicy[] = overridesFor(rctx, resource);
    job = placementJob(rctx, resource, p, policies, placed.hpaBounds.get(key), input.revision);
    return (jobs[i] = job);
  };

  function* manifests(): Generator<ClusterManifests> {
    if (state !== 'ready') throw new Error('a streamed render can be iterated only once');
    state = 'running';
    const byCluster = targetsByCluster(placed);
    const reported = new Set<string>();
    for (const name of recordOrder(byCluster.keys())) {
      const pairs = byCluster.get(name)!;
      byCluster.delete(name);
      const rendered: RenderedObject[] = [];
      for (let k = 0; k < pairs.length; k += 2) {
        const job = jobOf(pairs[k]!);
        const r = renderOnCluster(rctx, job, job.p.clusters[pairs[k + 1]!]!, sink, reported);
        if (r) rendered.push(r);
      }
      if (rendered.length === 0) continue;
      const list = assembleCluster(rctx, name, rendered, input.revision);
      const twice = judge?.collisions(list);
      const kept = judge ? keepInScope(list, (o) => twice!.has(o) || judge.refuses(o)) : list;
      if (kept.length > 0) yield [name, kept];
    }
    state = 'done';
  }

  return {
    revision: input.revision,
    clusters: clusterSummaries(model),
    placements,
    model,
    manifests,
    hasErrors: () => sink.hasErrors() || (judge?.hasRefused() ?? false),
    diagnostics() {
      if (state !== 'done') throw new Error('diagnostics of a streamed render are complete only after its manifests');
      const denied = judge?.diagnostics() ?? [];
      return denied.length === 0 ? sink.sorted() : sortDiagnostics([...sink.sorted(), ...denied]);
    },
  };
}

/** The whole render from a stream, as renderFleet (then withScope) returns it: for callers that need every object at once. */
export function collectStream(s: StreamedRender): RenderResult {
  const manifests: Record<string, Record<string, unknown>[]> = {};
  for (const [cluster, objects] of s.manifests()) manifests[cluster] = objects;
  return { ...streamSummary(s), manifests };
}

/** The render without its manifests, once they were streamed: what plan compares beside the objects. */
export function streamSummary(s: StreamedRender): RenderSummary {
  return { revision: s.revision, clusters: s.clusters, placements: s.placements, diagnostics: s.diagnostics(), model: s.model };
}
