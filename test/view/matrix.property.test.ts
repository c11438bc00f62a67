// Invariant of the plan matrix: for any change of nginx's static weights, the cells marked as
// changed are exactly those whose replicas differ between base and head, every cell shows head's
// replicas, and no other resource's cell is marked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePlan, previousFromRender } from '../../src/plan/compute.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { planMatrix } from '../../src/view/matrix.js';
import { editFile, fixtureFiles, split } from '../helpers/fleet.js';

const weights = (files: Awaited<ReturnType<typeof fixtureFiles>>, a: number, b: number) =>
  editFile(editFile(files, '05-nginx.yaml', 'weight: 60', `weight: ${a}`), '05-nginx.yaml', 'weight: 40', `weight: ${b}`);

describe('planMatrix (property)', () => {
  it('marks exactly the cells whose replicas change, for any pair of static weights', { timeout: 60_000 }, async () => {
    const seed = await fixtureFiles('seed');
    const base = renderFleet({ files: seed, revision: 'base' });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), async (a, b) => {
        const head = renderFleet({ files: weights(seed, a, b), revision: 'head', previous: previousFromRender(base) });
        const m = planMatrix(base, head, computePlan(base, head, { headScheduledOnBase: true }));
        const before = split(base, 'Deployment', 'nginx');
        const after = split(head, 'Deployment', 'nginx');
        for (const row of m.rows) {
          if (row.ref !== 'Deployment/default/nginx') {
            expect(row.cells.filter((c) => c.was)).toEqual([]);
            continue;
          }
          for (const cell of row.cells) {
            const name = m.clusters[cell.c]!.name;
            expect(cell.placed ? cell.r : 0).toBe(after[name] ?? 0);
            expect(cell.was !== undefined).toBe((before[name] ?? 0) !== (after[name] ?? 0));
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
