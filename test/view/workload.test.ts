// The dashboard's workload page over the reconciler's placements, which keep no verdicts and steps
// (src/reconcile/renderer.ts): the page computes them for its one resource, and they are what a
// render that keeps them (renderFleet, `flotilla explain`) shows — for claimed workloads, their
// ConfigMaps placed as dependencies, HPAs following their targets, and with a previous result.
import { describe, expect, it } from 'vitest';
import type { PreviousPlacement } from '../../src/model/types.js';
import { versionedKey } from '../../src/objects/identity.js';
import { previousOfPlacement } from '../../src/render/contract.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { renderFleetLean } from '../../src/reconcile/renderer.js';
import { workloadView } from '../../src/view/workload.js';
import { applyEdit, fleetFiles, initialFleet, sourceFiles } from '../render/incremental-fleet.js';

function previousOf(r: RenderResult): Map<string, PreviousPlacement> {
  return new Map(r.placements.map((p) => [versionedKey(p.resource), previousOfPlacement(p, r.revision)]));
}

describe('workload page details', () => {
  it('equal those of a render that keeps them, for every placement, with and without a previous result', () => {
    let state = initialFleet();
    const first = sourceFiles(fleetFiles(state));
    state = applyEdit(state, { op: 'replicas', app: 0, replicas: 11 });
    state = applyEdit(state, { op: 'weights', policy: 1, weights: [3, 1, 2, 1] });
    const second = sourceFiles(fleetFiles(state));
    const before = renderFleet({ files: first, revision: 'rev-1' });
    for (const [files, previous] of [
      [first, undefined],
      [second, previousOf(before)],
    ] as const) {
      const lean = renderFleetLean({ files, revision: 'rev-2', previous });
      const full = renderFleet({ files, revision: 'rev-2', previous });
      const kinds = new Set<string>();
      for (const [i, p] of lean.placements.entries()) {
        const expected = full.placements[i]!;
        expect(versionedKey(p.resource)).toBe(versionedKey(expected.resource));
        if (!p.dependency && expected.verdicts.length > 0) expect(p.verdicts).toEqual([]);
        const view = workloadView(lean, p, [], previous);
        expect({ steps: view.steps, verdicts: view.verdicts }).toEqual({ steps: expected.explanation, verdicts: expected.verdicts });
        kinds.add(p.dependency ? 'dependency' : p.resource.kind);
      }
      expect([...kinds].sort()).toEqual(expect.arrayContaining(['Deployment', 'HorizontalPodAutoscaler', 'dependency']));
    }
  });
});
