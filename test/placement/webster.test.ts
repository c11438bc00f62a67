import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { allocateWebsterSeats, fnv1a32, tieBreakerByUid } from '../../src/placement/webster.js';
import type { Party, Seats, WebsterTieBreak } from '../../src/placement/webster.js';

const votes = (v: Record<string, number>): Party[] => Object.entries(v).map(([name, n]) => ({ name, votes: n }));
const seatsOf = (result: Seats[]): Record<string, number> => Object.fromEntries(result.map((s) => [s.name, s.seats]));

/** A uid whose FNV-1a-32 hash has the wanted parity (found by search, not hard-coded). */
function uidWithParity(odd: boolean): string {
  for (let i = 0; ; i++) {
    const uid = `workload-uid-${i}`;
    if (((fnv1a32(uid) & 1) === 1) === odd) return uid;
  }
}

/** The textbook algorithm, one seat at a time by linear scan, with float-free comparison. */
function naiveWebster(seats: number, parties: Party[], tie: WebsterTieBreak): Record<string, number> {
  const s: Record<string, number> = Object.fromEntries(parties.map((p) => [p.name, 0]));
  for (let k = 0; k < seats; k++) {
    let best: Party | undefined;
    for (const p of parties) {
      if (!best) {
        best = p;
        continue;
      }
      const l = BigInt(p.votes) * BigInt(2 * s[best.name]! + 1);
      const r = BigInt(best.votes) * BigInt(2 * s[p.name]! + 1);
      if (l > r || (l === r && tie({ name: p.name, seats: s[p.name]! }, { name: best.name, seats: s[best.name]! }) < 0)) best = p;
    }
    s[best!.name]!++;
  }
  return s;
}

describe('allocateWebsterSeats', () => {
  it('Sainte-Laguë textbook 100000:80000:30000:20000 with 8 seats → 3,3,1,1, seat by seat', () => {
    const parties = votes({ north: 100000, east: 80000, south: 30000, west: 20000 });
    const expected = [
      [1, 0, 0, 0],
      [1, 1, 0, 0],
      [2, 1, 0, 0],
      [2, 1, 1, 0],
      [2, 2, 1, 0],
      [2, 2, 1, 1],
      [3, 2, 1, 1],
      [3, 3, 1, 1],
    ];
    expected.forEach(([n, e, s, w], i) => {
      expect(seatsOf(allocateWebsterSeats(i + 1, parties))).toEqual({ east: e, north: n, south: s, west: w });
    });
  });

  it('1200:900:400 with 4 seats → 2,1,1', () => {
    expect(seatsOf(allocateWebsterSeats(4, votes({ alpha: 1200, beta: 900, gamma: 400 })))).toEqual({ alpha: 2, beta: 1, gamma: 1 });
  });

  it('HA first: weights 2:1 with 1 seat → the heavier A gets it (2/1 > 1/1)', () => {
    expect(seatsOf(allocateWebsterSeats(1, votes({ A: 2, B: 1 })))).toEqual({ A: 1, B: 0 });
  });

  it('HA first: weights 2:1 with 2 seats → 1:1 (A 2/3 < B 1/1)', () => {
    expect(seatsOf(allocateWebsterSeats(2, votes({ A: 2, B: 1 })))).toEqual({ A: 1, B: 1 });
  });

  it('weights 2:1 with 3 seats → 2:1', () => {
    expect(seatsOf(allocateWebsterSeats(3, votes({ A: 2, B: 1 })))).toEqual({ A: 2, B: 1 });
  });

  it('equal priority 3/3 vs 1/1 → the party with fewer seats wins (A 1 seat, B 0 → B)', () => {
    expect(seatsOf(allocateWebsterSeats(1, votes({ A: 3, B: 1 }), { A: 1, B: 0 }))).toEqual({ A: 1, B: 1 });
  });

  it('equal votes and seats → name ascending by default (1:1 with 1 seat → A)', () => {
    expect(seatsOf(allocateWebsterSeats(1, votes({ B: 1, A: 1 })))).toEqual({ A: 1, B: 0 });
  });

  it('a custom tie-break decides equal priorities (prefer later names)', () => {
    const preferLater: WebsterTieBreak = (a, b) => (a.name > b.name ? -1 : 1);
    expect(seatsOf(allocateWebsterSeats(1, votes({ A: 1, B: 1 }), undefined, preferLater))).toEqual({ A: 0, B: 1 });
  });

  it('no parties → empty result, whatever the seats', () => {
    expect(allocateWebsterSeats(5, [])).toEqual([]);
    expect(allocateWebsterSeats(0, [])).toEqual([]);
  });

  it('0 seats → every party listed with 0, sorted by name', () => {
    expect(allocateWebsterSeats(0, votes({ b: 200, a: 100 }))).toEqual([
      { name: 'a', seats: 0 },
      { name: 'b', seats: 0 },
    ]);
  });

  it('initial seat holders without votes join with 0 votes and keep their seats (3 new seats all to the voter)', () => {
    expect(allocateWebsterSeats(3, votes({ a: 5 }), { z: 2 })).toEqual([
      { name: 'a', seats: 3 },
      { name: 'z', seats: 2 },
    ]);
  });

  it('initial seats count: votes 1:1 with a:2 initially, 2 new seats → b gets both (1/1, 1/3 vs a 1/5)', () => {
    expect(seatsOf(allocateWebsterSeats(2, votes({ a: 1, b: 1 }), { a: 2 }))).toEqual({ a: 2, b: 2 });
  });

  it('all votes 0 → seats go round by the tie-break (fewer seats first)', () => {
    expect(seatsOf(allocateWebsterSeats(3, votes({ a: 0, b: 0 })))).toEqual({ a: 2, b: 1 });
  });

  it('compares exact rationals: (3·2^51+2)/3 beats (3·2^51+1)/3 although the float quotients are equal', () => {
    const q = 2 ** 51;
    expect((3 * q + 1) / 3).toBe((3 * q + 2) / 3); // float64 (Go) would call this a tie and pick name "a"
    const result = seatsOf(
      allocateWebsterSeats(
        1,
        [
          { name: 'a', votes: 3 * q + 1 },
          { name: 'b', votes: 3 * q + 2 },
        ],
        { a: 1, b: 1 },
      ),
    );
    expect(result).toEqual({ a: 1, b: 2 });
  });

  it('compares exactly beyond 2^53 products: 6e15+1 over 3 beats 6e15 over 3', () => {
    const result = seatsOf(
      allocateWebsterSeats(
        1,
        [
          { name: 'a', votes: 6e15 },
          { name: 'b', votes: 6e15 + 1 },
        ],
        { a: 1, b: 1 },
      ),
    );
    expect(result).toEqual({ a: 1, b: 2 });
    const tie = seatsOf(
      allocateWebsterSeats(
        1,
        [
          { name: 'a', votes: 6e15 },
          { name: 'b', votes: 6e15 },
        ],
        { a: 1, b: 1 },
      ),
    );
    expect(tie).toEqual({ a: 2, b: 1 });
  });

  it('rejects negative or fractional votes and seats', () => {
    expect(() => allocateWebsterSeats(1, [{ name: 'a', votes: -1 }])).toThrow(/non-negative integer/);
    expect(() => allocateWebsterSeats(1, [{ name: 'a', votes: 1.5 }])).toThrow(/non-negative integer/);
    expect(() => allocateWebsterSeats(-1, votes({ a: 1 }))).toThrow(/non-negative integer/);
    expect(() => allocateWebsterSeats(1, votes({ a: 1 }), { a: -2 })).toThrow(/non-negative integer/);
  });

  // Its speed is measured by bench/webster-bench.mjs (npm run bench), not here: a timed unit test fails on a loaded machine.
  it('100 parties × 10,000 seats: every seat handed out, each party within one seat of its quota', () => {
    const parties = Array.from({ length: 100 }, (_, i) => ({ name: `c${String(i).padStart(3, '0')}`, votes: ((i * 7919) % 1000) + 1 }));
    const result = allocateWebsterSeats(10_000, parties);
    expect(result.reduce((s, r) => s + r.seats, 0)).toBe(10_000);
    const total = parties.reduce((s, p) => s + p.votes, 0);
    for (const r of result) {
      const quota = (10_000 * parties.find((p) => p.name === r.name)!.votes) / total;
      expect(Math.abs(r.seats - quota)).toBeLessThan(1);
    }
  });

  it('matches seat-by-seat linear allocation for any votes (property)', () => {
    const arb = fc.record({
      seats: fc.integer({ min: 0, max: 60 }),
      parties: fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), votes: fc.integer({ min: 0, max: 50 }) }), {
        selector: (p) => p.name,
        minLength: 1,
      }),
      uid: fc.constantFrom('', uidWithParity(true), uidWithParity(false)),
    });
    fc.assert(
      fc.property(arb, ({ seats, parties, uid }) => {
        const tie = tieBreakerByUid(uid);
        expect(seatsOf(allocateWebsterSeats(seats, parties, undefined, tie))).toEqual(naiveWebster(seats, parties, tie));
      }),
    );
  });
});

describe('fnv1a32', () => {
  it('matches the FNV-1a 32-bit reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is two UTF-8 bytes (c3 a9): fold them by hand.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    expect(fnv1a32('é')).toBe(h);
  });
});

describe('tieBreakerByUid', () => {
  const odd = uidWithParity(true);
  const even = uidWithParity(false);

  it('found uids really have the stated parity', () => {
    expect(fnv1a32(odd) & 1).toBe(1);
    expect(fnv1a32(even) & 1).toBe(0);
  });

  it('1:1 with 5 replicas, empty uid → A 3, B 2 (name ascending)', () => {
    expect(seatsOf(allocateWebsterSeats(5, votes({ A: 1, B: 1 }), undefined, tieBreakerByUid('')))).toEqual({ A: 3, B: 2 });
  });

  it('1:1 with 5 replicas, even-hash uid → A 3, B 2 (name ascending)', () => {
    expect(seatsOf(allocateWebsterSeats(5, votes({ A: 1, B: 1 }), undefined, tieBreakerByUid(even)))).toEqual({ A: 3, B: 2 });
  });

  it('1:1 with 5 replicas, odd-hash uid → A 2, B 3 (name descending)', () => {
    expect(seatsOf(allocateWebsterSeats(5, votes({ A: 1, B: 1 }), undefined, tieBreakerByUid(odd)))).toEqual({ A: 2, B: 3 });
  });

  it('fewer seats beats name order whatever the parity (3:1 with A holding 1 → B)', () => {
    for (const uid of ['', odd, even]) {
      expect(seatsOf(allocateWebsterSeats(1, votes({ A: 3, B: 1 }), { A: 1 }, tieBreakerByUid(uid)))).toEqual({ A: 1, B: 1 });
      expect(seatsOf(allocateWebsterSeats(1, votes({ A: 1, B: 3 }), { B: 1 }, tieBreakerByUid(uid)))).toEqual({ A: 1, B: 1 });
    }
  });

  it('weights 170:110:60 with 5 → 2,2,1 and with 6 → 3,2,1', () => {
    expect(seatsOf(allocateWebsterSeats(5, votes({ A: 170, B: 110, C: 60 }), undefined, tieBreakerByUid('')))).toEqual({
      A: 2,
      B: 2,
      C: 1,
    });
    expect(seatsOf(allocateWebsterSeats(6, votes({ A: 170, B: 110, C: 60 }), undefined, tieBreakerByUid('')))).toEqual({
      A: 3,
      B: 2,
      C: 1,
    });
  });

  it('scale up from 1:2:3 by weights 1:2:3: +6 → 2,4,6; +3 → 2,3,4; +2 → 1,3,4', () => {
    const w = votes({ A: 1, B: 2, C: 3 });
    const init = { A: 1, B: 2, C: 3 };
    const tie = tieBreakerByUid('');
    expect(seatsOf(allocateWebsterSeats(6, w, init, tie))).toEqual({ A: 2, B: 4, C: 6 });
    expect(seatsOf(allocateWebsterSeats(3, w, init, tie))).toEqual({ A: 2, B: 3, C: 4 });
    expect(seatsOf(allocateWebsterSeats(2, w, init, tie))).toEqual({ A: 1, B: 3, C: 4 });
  });
});
