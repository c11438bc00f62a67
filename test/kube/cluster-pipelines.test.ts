// Cluster pipelines (src/kube/cluster-pipelines.ts): each cluster runs one thing at a time, a round
// waits until its clusters are done or its deadline, slower clusters go on in the background and
// are reported by a later round, and work for a busy cluster waits behind it (newest wins).
import { describe, expect, it } from 'vitest';
import { ClusterPipelines } from '../../src/kube/cluster-pipelines.js';

/** A run the test finishes by hand: `done(value)` ends it. */
function gate<T>() {
  let done!: (v: T) => void;
  const promise = new Promise<T>((resolve) => (done = resolve));
  return { promise, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pipelines() {
  const ended: string[] = [];
  const p = new ClusterPipelines<string>({
    now: () => 0,
    failed: (cluster, e) => `${cluster} failed: ${String(e)}`,
    onEnd: (cluster, result, late) => ended.push(`${cluster}=${result}${late ? ' (late)' : ''}`),
  });
  return { p, ended };
}

describe('ClusterPipelines', () => {
  it('without a deadline a round waits for every cluster', async () => {
    const { p } = pipelines();
    const r = await p.round(
      ['a', 'b'].map((c) => ({ cluster: c, run: async () => (await sleep(c === 'b' ? 60 : 1), `${c}1`) })),
      { revision: 'r1', deadlineMs: null, parallelism: 10 },
    );
    expect([...r.finished]).toEqual([
      ['a', 'a1'],
      ['b', 'b1'],
    ]);
    expect(r.applying.size).toBe(0);
  });

  it('past the deadline: reported applying, never started twice, newest work queued behind it, its outcome reported later', async () => {
    const { p, ended } = pipelines();
    const slow = gate<string>();
    const starts: string[] = [];
    const task = (cluster: string, rev: string, run?: Promise<string>) => ({
      cluster,
      run: () => (starts.push(`${cluster}@${rev}`), run ?? Promise.resolve(`${cluster}@${rev}`)),
    });
    const r1 = await p.round([task('fast', 'r1'), task('slow', 'r1', slow.promise)], { revision: 'r1', deadlineMs: 50, parallelism: 10 });
    expect([...r1.finished.keys()]).toEqual(['fast']);
    expect(r1.applying.get('slow')).toMatchObject({ revision: 'r1', queued: null });
    expect(p.busy('slow')).toBe(true);

    // Two more rounds while it is busy: fast applies each, slow is not started again; only the newest work waits.
    const r2 = await p.round([task('fast', 'r2'), task('slow', 'r2')], { revision: 'r2', deadlineMs: 50, parallelism: 10 });
    const r3 = await p.round([task('fast', 'r3'), task('slow', 'r3')], { revision: 'r3', deadlineMs: 50, parallelism: 10 });
    expect([r2.finished.get('fast'), r3.finished.get('fast')]).toEqual(['fast@r2', 'fast@r3']);
    expect(r3.applying.get('slow')).toMatchObject({ revision: 'r1', queued: 'r3' });
    expect(starts).toEqual(['fast@r1', 'slow@r1', 'fast@r2', 'fast@r3']);

    slow.done('slow@r1');
    await p.settle();
    expect(starts).toEqual(['fast@r1', 'slow@r1', 'fast@r2', 'fast@r3', 'slow@r3']);
    expect(ended.filter((e) => e.startsWith('slow'))).toEqual(['slow=slow@r1 (late)', 'slow=slow@r3 (late)']);
    const r4 = await p.round([task('fast', 'r4')], { revision: 'r4', deadlineMs: 50, parallelism: 10 });
    expect(r4.background.get('slow')!.map((o) => [o.revision, o.result])).toEqual([
      ['r1', 'slow@r1'],
      ['r3', 'slow@r3'],
    ]);
    // Reported once.
    expect((await p.round([], { revision: 'r5', deadlineMs: 50, parallelism: 10 })).background.size).toBe(0);
  });

  it('a cluster slower than the deadline last time is not waited for once the others are done; fast again, it is', async () => {
    const { p } = pipelines();
    const first = gate<string>();
    await p.round(
      [
        { cluster: 'fast', run: async () => 'ok' },
        { cluster: 'slow', run: () => first.promise },
      ],
      { revision: 'r1', deadlineMs: 30, parallelism: 10 },
    );
    await sleep(40);
    first.done('late');
    await p.settle();
    const started = Date.now();
    const second = gate<string>();
    const r = await p.round(
      [
        { cluster: 'fast', run: async () => (await sleep(20), 'ok') },
        { cluster: 'slow', run: () => second.promise },
      ],
      { revision: 'r2', deadlineMs: 5000, parallelism: 10 },
    );
    expect(Date.now() - started).toBeLessThan(3000); // the deadline is 5000
    expect(r.applying.has('slow')).toBe(true);
    second.done('quick now');
    await p.settle();
    // Its last run took less than the deadline: waited for again.
    const r3 = await p.round(
      [
        { cluster: 'fast', run: async () => 'ok' },
        { cluster: 'slow', run: async () => (await sleep(30), 'waited') },
      ],
      { revision: 'r3', deadlineMs: 5000, parallelism: 10 },
    );
    expect(r3.finished.get('slow')).toBe('waited');
  });

  it('quorum: once half the clusters answered after T, the round waits at most max(minMs, factor × T)', async () => {
    const { p } = pipelines();
    const hang = gate<string>();
    const started = Date.now();
    const r = await p.round(
      [
        { cluster: 'a', run: async () => (await sleep(10), 'a') },
        { cluster: 'b', run: async () => (await sleep(10), 'b') },
        { cluster: 'c', run: () => hang.promise },
      ],
      { revision: null, deadlineMs: 5000, parallelism: 10, quorum: { factor: 3, minMs: 100 } },
    );
    expect(Date.now() - started).toBeLessThan(3000); // the deadline is 5000
    expect([...r.finished.keys()].sort()).toEqual(['a', 'b']);
    expect(r.applying.has('c')).toBe(true);
    hang.done('c');
    await p.settle();
  });

  it('parallelism bounds the runs a round starts; a run that throws is reported through `failed`', async () => {
    const { p } = pipelines();
    let inFlight = 0;
    let most = 0;
    const r = await p.round(
      ['a', 'b', 'c', 'd'].map((c) => ({
        cluster: c,
        run: async () => {
          most = Math.max(most, ++inFlight);
          await sleep(10);
          inFlight--;
          if (c === 'd') throw new Error('bug');
          return c;
        },
      })),
      { revision: null, deadlineMs: null, parallelism: 2 },
    );
    expect(most).toBe(2);
    expect(r.finished.get('d')).toBe('d failed: Error: bug');
  });

  it('settle({dropQueued}) (shutting down): the run in progress finishes, the work queued behind it never starts', async () => {
    const { p } = pipelines();
    const slow = gate<string>();
    const starts: string[] = [];
    await p.round([{ cluster: 's', run: () => (starts.push('r1'), slow.promise) }], { revision: 'r1', deadlineMs: 20, parallelism: 1 });
    await p.round([{ cluster: 's', run: async () => (starts.push('r2'), 'r2') }], { revision: 'r2', deadlineMs: 20, parallelism: 1 });
    const settled = p.settle({ dropQueued: true });
    slow.done('r1');
    await settled;
    expect(starts).toEqual(['r1']);
    expect(p.busy('s')).toBe(false);
  });
});
