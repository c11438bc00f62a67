import { describe, expect, it } from 'vitest';
import { ReconcileLoop } from '../../src/reconcile/loop.js';
import type { ReconcileOutcome } from '../../src/reconcile/reconciler.js';
import { silentLogger } from '../../src/log/logger.js';

/** A reconciler whose passes finish when the test says so. */
function controlled() {
  const waiting: Array<(o: ReconcileOutcome) => void> = [];
  let passes = 0;
  return {
    get passes() {
      return passes;
    },
    finish(revision: string) {
      waiting.shift()!({ revision, phase: 'Synced' } as ReconcileOutcome);
    },
    reconcileOnce: () => {
      passes++;
      return new Promise<ReconcileOutcome>((resolve) => waiting.push(resolve));
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ReconcileLoop', () => {
  it('10 triggers during a running pass coalesce into exactly one follow-up pass', async () => {
    const r = controlled();
    const loop = new ReconcileLoop(r, { schedule: '* * * * *', log: silentLogger() });
    const first = loop.trigger();
    const during = Array.from({ length: 10 }, () => loop.trigger());
    expect(r.passes).toBe(1);
    r.finish('rev-1');
    expect((await first).revision).toBe('rev-1');
    await tick();
    expect(r.passes).toBe(2);
    r.finish('rev-2');
    const results = await Promise.all(during);
    expect(results.every((o) => o.revision === 'rev-2')).toBe(true);
    expect(r.passes).toBe(2);
  });

  it('a trigger after the pass ended starts a new pass', async () => {
    const r = controlled();
    const loop = new ReconcileLoop(r, { schedule: '* * * * *', log: silentLogger() });
    const a = loop.trigger();
    r.finish('a');
    await a;
    await tick();
    const b = loop.trigger();
    r.finish('b');
    expect((await b).revision).toBe('b');
    expect(r.passes).toBe(2);
  });
});
