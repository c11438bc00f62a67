// Property: after every commit of a random sequence, the incremental renderer's result equals
// renderFleet over the whole file set, byte for byte (issue 3: "incremental output == full output
// after every commit").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PreviousPlacement } from '../../src/model/types.js';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { versionedKey as resourceKey } from '../../src/objects/identity.js';
import { applyEdit, changesBetween, CLUSTERS, fleetFiles, initialFleet, sourceFiles, type FleetEdit } from './incremental-fleet.js';

const edit: fc.Arbitrary<FleetEdit> = fc.oneof(
  fc.record({ op: fc.constant('replicas' as const), app: fc.nat(40), replicas: fc.integer({ min: 0, max: 12 }) }),
  fc.record({
    op: fc.constant('add' as const),
    namespace: fc.nat(1),
    group: fc.nat(2),
    replicas: fc.integer({ min: 1, max: 9 }),
    hpa: fc.boolean(),
  }),
  fc.record({ op: fc.constant('delete' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('rename' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('relabel' as const), app: fc.nat(40), group: fc.nat(2) }),
  fc.record({
    op: fc.constant('weights' as const),
    policy: fc.nat(2),
    weights: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('clusterNames' as const), policy: fc.nat(2), mask: fc.integer({ min: 1, max: 15 }) }),
  fc.record({
    op: fc.constant('mode' as const),
    policy: fc.nat(2),
    mode: fc.constantFrom('duplicated' as const, 'static' as const, 'dynamic' as const),
  }),
  fc.record({ op: fc.constant('taint' as const), cluster: fc.nat(CLUSTERS.length - 1) }),
  fc.record({
    op: fc.constant('override' as const),
    registry: fc.constantFrom('registry.example.com', 'mirror.example.org', 'eu.example.net'),
    cluster: fc.nat(3),
  }),
  fc.record({ op: fc.constant('break' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('fix' as const) }),
);

/** A commit: one to three edits, and whether the reconciler passes the last placements as `previous`. */
const commit = fc.record({ edits: fc.array(edit, { minLength: 1, maxLength: 3 }), withPrevious: fc.boolean() });

function previousOf(r: RenderResult): Map<string, PreviousPlacement> {
  return new Map(r.placements.map((p) => [resourceKey(p.resource), { clusters: p.clusters, affinityName: p.affinityName ?? null }]));
}

function withoutStats(r: RenderResult & { stats: unknown }): RenderResult {
  const { stats: _stats, ...rest } = r;
  return rest;
}

/** Where two JSON values first differ (a short path), or null when their JSON is identical. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.join('\u0000') !== keysB.join('\u0000'))
      return `${path}: keys ${JSON.stringify(keysA).slice(0, 300)} vs ${JSON.stringify(keysB).slice(0, 300)}`;
    for (const k of keysA) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 300)} vs ${JSON.stringify(b)?.slice(0, 300)}`;
}

/** Asserts incremental == full by JSON, failing with the first difference instead of two huge strings. */
function expectSameRender(incremental: RenderResult & { stats: unknown }, full: RenderResult): void {
  const got = withoutStats(incremental);
  if (JSON.stringify(got) !== JSON.stringify(full)) throw new Error(`incremental differs from full: ${firstDifference(got, full)}`);
}

describe('incremental renderer equals the full render', () => {
  it(
    'after every commit of 50 random 10-commit sequences (edits, adds, deletes, renames, ' +
      'relabels, weights, clusterNames, taints, overrides, broken YAML)',
    () => {
      fc.assert(
        fc.property(fc.array(commit, { minLength: 10, maxLength: 10 }), (commits) => {
          const engine = new IncrementalRenderer();
          let state = initialFleet();
          let files = fleetFiles(state);
          let last = renderFleet({ files: sourceFiles(files), revision: 'rev-0' });
          const first = engine.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
          expectSameRender(first, last);
          commits.forEach((c, i) => {
            for (const e of c.edits) state = applyEdit(state, e);
            const next = fleetFiles(state);
            const revision = `rev-${i + 1}`;
            const previous = c.withPrevious ? previousOf(last) : undefined;
            const got = engine.update({ revision, changes: changesBetween(files, next), previous });
            files = next;
            expect(engine.files()).toEqual(sourceFiles(files));
            last = renderFleet({ files: sourceFiles(files), revision, previous });
            expectSameRender(got, last);
          });
        }),
        { numRuns: 50 },
      );
    },
    90_000,
  ); // 50 sequences of 10 full-vs-incremental renders: about 15 s alone, more on a loaded 2-core machine
});
