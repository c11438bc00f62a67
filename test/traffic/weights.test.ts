// Adaptive weights: the seed's 90/10 route scaled by healthy share and latency, Webster to 100,
// floors and ceilings, zero for a destination with no healthy replicas, hysteresis.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adaptiveWeights, type DestinationInput } from '../../src/traffic/weights.js';

const SETTINGS = { floor: 0, ceiling: 100, hysteresis: 5 };

function dest(name: string, declared: number, ready: number, desired: number, latency: number | null = null): DestinationInput {
  return { name, declared, ready, desired, latency };
}

describe('adaptiveWeights', () => {
  it('keeps 90/10 while both subsets are healthy', () => {
    expect(adaptiveWeights([dest('v1', 90, 4, 4), dest('v2', 10, 2, 2)], SETTINGS, null).weights).toEqual([90, 10]);
  });

  it('scales by healthy share and renormalises: v1 with half its replicas ready → 45:10 → 82/18', () => {
    const r = adaptiveWeights([dest('v1', 90, 2, 4), dest('v2', 10, 2, 2)], SETTINGS, null);
    expect(r.weights).toEqual([82, 18]);
    expect(r.steps).toEqual([
      'declared 90/10; healthy share v1 2/4=0.5, v2 2/2=1',
      'declared × share × factor = 45/10',
      'Webster over 100 → 82/18',
    ]);
  });

  it('a destination with no healthy replicas gets 0; when none has any, the declared weights stand', () => {
    expect(adaptiveWeights([dest('v1', 90, 4, 4), dest('v2', 10, 0, 2)], SETTINGS, null).weights).toEqual([100, 0]);
    const none = adaptiveWeights([dest('v1', 90, 0, 4), dest('v2', 10, 0, 2)], SETTINGS, null);
    expect(none.weights).toEqual([90, 10]);
    expect(none.steps.at(-1)).toContain('declared weights stand');
  });

  it('latency scales by best/latency when every destination has one', () => {
    const r = adaptiveWeights([dest('a', 50, 1, 1, 100), dest('b', 50, 1, 1, 300)], SETTINGS, null);
    expect(r.weights).toEqual([75, 25]);
    expect(adaptiveWeights([dest('a', 50, 1, 1, 100), dest('b', 50, 1, 1, null)], SETTINGS, null).weights).toEqual([50, 50]);
  });

  it('floors and ceilings bound live destinations; the rest is apportioned again', () => {
    const r = adaptiveWeights([dest('v1', 90, 4, 4), dest('v2', 10, 1, 10)], { ...SETTINGS, floor: 5 }, null);
    expect(r.weights).toEqual([95, 5]);
    const c = adaptiveWeights([dest('a', 50, 1, 1), dest('b', 50, 1, 4)], { ...SETTINGS, ceiling: 70 }, null);
    expect(c.weights).toEqual([70, 30]);
  });

  it('hysteresis keeps the weights in force for small moves, never for a destination losing all its replicas', () => {
    expect(adaptiveWeights([dest('v1', 90, 35, 40), dest('v2', 10, 2, 2)], SETTINGS, [90, 10]).weights).toEqual([90, 10]);
    expect(adaptiveWeights([dest('v1', 50, 1, 1), dest('v2', 50, 0, 1)], { ...SETTINGS, hysteresis: 100 }, [50, 50]).weights).toEqual([
      100, 0,
    ]);
  });

  it('property: weights sum to 100, and 0 wherever nothing is healthy or 0 is declared (a tiny healthy share may round to 0 too)', () => {
    const input = fc.array(
      fc.record({
        declared: fc.integer({ min: 0, max: 100 }),
        ready: fc.integer({ min: 0, max: 10 }),
        desired: fc.integer({ min: 0, max: 10 }),
      }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(input, (ds) => {
        const dests = ds.map((d, i) => dest(`d${i}`, d.declared, d.ready, d.desired));
        const { weights } = adaptiveWeights(dests, SETTINGS, null);
        const live = dests.map((d) => d.declared > 0 && d.desired > 0 && d.ready > 0);
        if (!live.some(Boolean)) return weights.join() === dests.map((d) => d.declared).join();
        return weights.reduce((a, b) => a + b, 0) === 100 && weights.every((w, i) => live[i] || w === 0);
      }),
    );
  });
});
