import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardManager } from '../../src/ha/shards.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TestFleet } from '../helpers/kube.js';
import { leaseClient, manualClock, startManagementCluster } from './harness.js';

let fleet: TestFleet;
let group = 0;
beforeAll(async () => {
  fleet = await startManagementCluster();
});
afterAll(() => fleet.close());

function replicas(count: number, shards: number, clock: { now: () => number }) {
  const g = `grp${group++}`;
  return Array.from(
    { length: count },
    (_, i) =>
      new ShardManager({ client: leaseClient(fleet), group: g, identity: `flotilla-${i}`, shards, now: clock.now, log: silentLogger() }),
  );
}

/** Every replica ticks once, in order, `rounds` times, the clock moving one retry period per round. */
async function rounds(ms: ShardManager[], n: number, clock: { advance(ms: number): void }) {
  for (let r = 0; r < n; r++) {
    for (const m of ms) await m.tick();
    clock.advance(2_000);
  }
}

const counts = (ms: ShardManager[]) => ms.map((m) => m.ownedShards().length);

function noShardTwice(ms: ShardManager[]) {
  const all = ms.flatMap((m) => m.ownedShards());
  expect(new Set(all).size).toBe(all.length);
}

describe('ShardManager', () => {
  it('3 replicas, 12 shards → 4 each, no shard held twice', async () => {
    const clock = manualClock();
    const ms = replicas(3, 12, clock);
    await rounds(ms, 3, clock);
    expect(counts(ms)).toEqual([4, 4, 4]);
    noShardTwice(ms);
  });

  it('3 replicas, 8 shards → 3, 3, 2', async () => {
    const clock = manualClock();
    const ms = replicas(3, 8, clock);
    await rounds(ms, 4, clock);
    expect(counts(ms).sort()).toEqual([2, 3, 3]);
    noShardTwice(ms);
  });

  it('a replica that dies (no release) loses its 4 shards to the other two after the 15 s lease duration, not before', async () => {
    const clock = manualClock();
    const ms = replicas(3, 12, clock);
    await rounds(ms, 3, clock);
    const dead = ms[2]!;
    const orphaned = dead.ownedShards();
    const alive = ms.slice(0, 2);
    // 12 s later (6 rounds): the dead replica's leases are not expired for the survivors yet
    await rounds(alive, 6, clock);
    expect(counts(alive)).toEqual([4, 4]);
    await rounds(alive, 3, clock); // 18 s after its last renewal
    expect(counts(alive)).toEqual([6, 6]);
    expect(
      alive
        .flatMap((m) => m.ownedShards())
        .filter((s) => orphaned.includes(s))
        .sort((a, b) => a - b),
    ).toEqual(orphaned);
    noShardTwice(alive);
  });

  it('a replica that stops gracefully releases: the others take its shards on their next round', async () => {
    const clock = manualClock();
    const ms = replicas(3, 6, clock);
    await rounds(ms, 3, clock);
    await ms[0]!.stop();
    expect(ms[0]!.ownedShards()).toEqual([]);
    await rounds(ms.slice(1), 1, clock);
    expect(counts(ms.slice(1))).toEqual([3, 3]);
  });

  it('a replica joining later gets its share: the others release their surplus (6,6 → 4,4,4)', async () => {
    const clock = manualClock();
    const ms = replicas(3, 12, clock);
    await rounds(ms.slice(0, 2), 3, clock);
    expect(counts(ms.slice(0, 2))).toEqual([6, 6]);
    await rounds(ms, 3, clock);
    expect(counts(ms)).toEqual([4, 4, 4]);
    noShardTwice(ms);
  });

  it('a shard in use by an apply batch is not released until the batch is done', async () => {
    const clock = manualClock();
    const ms = replicas(2, 2, clock);
    await rounds(ms.slice(0, 1), 2, clock);
    expect(counts(ms.slice(0, 1))).toEqual([2]);
    const clusters = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const batch = await ms[0]!.acquireBatch(clusters);
    expect(batch.clusters).toHaveLength(20);
    await rounds(ms, 2, clock);
    expect(counts(ms)).toEqual([2, 0]); // the newcomer waits
    batch.done();
    await rounds(ms, 2, clock);
    expect(counts(ms)).toEqual([1, 1]);
    const b0 = await ms[0]!.acquireBatch(clusters);
    const b1 = await ms[1]!.acquireBatch(clusters);
    expect([...b0.clusters, ...b1.clusters].sort()).toEqual([...clusters].sort());
    expect(b0.clusters.filter((c) => b1.clusters.includes(c))).toEqual([]);
  });

  it(
    'one replica, 2 shards, a batch of 4 clusters: drain → no new cluster starts but writes go ' +
      'on; 10 s renew deadline passes → writes stop',
    async () => {
      const clock = manualClock();
      const [m] = replicas(1, 2, clock);
      await rounds([m!], 2, clock);
      const batch = await m!.acquireBatch(['a', 'b', 'c', 'd']);
      const c = batch.clusters[0]!;
      expect(batch.stillOwns(c)).toBe(true);
      m!.drain();
      expect(batch.stillOwns(c)).toBe(false);
      expect(batch.stillHolds!(c)).toBe(true);
      clock.advance(10_000);
      expect(batch.stillHolds!(c)).toBe(false);
      batch.done();
      expect(m!.requestBudgetMs).toBe(4_000);
    },
  );
});
