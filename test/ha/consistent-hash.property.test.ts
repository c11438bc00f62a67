import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignShards, shardCapacity } from '../../src/ha/consistent-hash.js';

const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { minLength: 1, maxLength: 300 });

describe('assignShards (consistent hashing with bounded loads)', () => {
  it('every cluster gets exactly one shard in 0…N−1', () => {
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 16 }), (clusters, n) => {
        const a = assignShards(clusters, n);
        expect(a.size).toBe(clusters.length);
        for (const s of a.values()) expect(s >= 0 && s < n).toBe(true);
      }),
    );
  });

  it('balance: no shard holds more than ceil(1.25 × clusters / shards)', () => {
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 16 }), (clusters, n) => {
        const load = new Array(n).fill(0);
        for (const s of assignShards(clusters, n).values()) load[s]++;
        expect(Math.max(...load)).toBeLessThanOrEqual(shardCapacity(clusters.length, n));
      }),
    );
  });

  it('deterministic: the order the names come in does not matter', () => {
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 8 }), (clusters, n) => {
        const a = assignShards(clusters, n);
        const b = assignShards([...clusters].reverse(), n);
        expect([...b].sort()).toEqual([...a].sort());
      }),
    );
  });

  it('minimal movement: N → N+1 shards moves at most 2 × clusters/(N+1) + 2 clusters (ideal: clusters/(N+1))', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^c-[a-z0-9]{1,12}$/), { minLength: 50, maxLength: 400 }),
        fc.integer({ min: 2, max: 10 }),
        (clusters, n) => {
          const before = assignShards(clusters, n);
          const after = assignShards(clusters, n + 1);
          const moved = clusters.filter((c) => before.get(c) !== after.get(c)).length;
          expect(moved).toBeLessThanOrEqual(Math.ceil((2 * clusters.length) / (n + 1)) + 2);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('minimal movement: adding one cluster moves few of the others (≤ 5% + 3)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^c-[a-z0-9]{1,12}$/), { minLength: 50, maxLength: 400 }),
        fc.integer({ min: 2, max: 10 }),
        (clusters, n) => {
          const [extra, ...rest] = clusters;
          const before = assignShards(rest, n);
          const after = assignShards([...rest, extra!], n);
          const moved = rest.filter((c) => before.get(c) !== after.get(c)).length;
          expect(moved).toBeLessThanOrEqual(Math.ceil(rest.length * 0.05) + 3);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('500 clusters over 12 shards → every shard between 30 and ceil(1.25 × 500/12) = 53', () => {
    const clusters = Array.from({ length: 500 }, (_, i) => `cluster-${String(i).padStart(3, '0')}`);
    const load = new Array(12).fill(0);
    for (const s of assignShards(clusters, 12).values()) load[s]++;
    expect(Math.max(...load)).toBeLessThanOrEqual(53);
    expect(Math.min(...load)).toBeGreaterThanOrEqual(30);
  });

  it('refuses 0 shards and a load factor ≤ 1', () => {
    expect(() => assignShards(['a'], 0)).toThrow(/positive integer/);
    expect(() => assignShards(['a'], 2, { loadFactor: 1 })).toThrow(/greater than 1/);
  });
});
