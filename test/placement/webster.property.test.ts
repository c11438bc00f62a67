// allocateWebsterSeats jumps ahead for large counts; these properties hold it to the one-seat-at-a-time
// process it replaced (Karmada's AllocateWebsterSeats), tie-breaks included (docs/reference/semantics.md §4.1).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocateWebsterSeats, defaultTieBreak, fnv1a32, tieBreakerByUid } from '../../src/placement/webster.js';
import type { Party, Seats, WebsterTieBreak } from '../../src/placement/webster.js';

interface Entry {
  name: string;
  votes: number;
  seats: number;
}

/** Exact sign of votes_a/(2·seats_a+1) − votes_b/(2·seats_b+1). */
function comparePriority(a: Entry, b: Entry): number {
  const l = BigInt(a.votes) * BigInt(2 * b.seats + 1);
  const r = BigInt(b.votes) * BigInt(2 * a.seats + 1);
  return l > r ? 1 : l < r ? -1 : 0;
}

/**
 * The reference: one seat at a time to the highest priority, ties to `tieBreak` then fewer seats then
 * name — the algorithm src/placement/webster.ts ran before it learnt to jump, as a linear scan.
 */
function oneSeatAtATime(seats: number, parties: readonly Party[], initial: Record<string, number>, tieBreak?: WebsterTieBreak): Seats[] {
  const byKey = new Map<string, Entry>();
  for (const [name, s] of Object.entries(initial)) byKey.set(name, { name, votes: 0, seats: s });
  for (const p of parties) {
    const e = byKey.get(p.name);
    if (e) e.votes = p.votes;
    else byKey.set(p.name, { name: p.name, votes: p.votes, seats: 0 });
  }
  const entries = [...byKey.values()];
  const wins = (a: Entry, b: Entry): boolean => {
    const p = comparePriority(a, b);
    if (p !== 0) return p > 0;
    const t = tieBreak ? tieBreak(a, b) : 0;
    return t !== 0 ? t < 0 : defaultTieBreak(a, b) < 0;
  };
  for (let k = 0; k < seats && entries.length > 0; k++) {
    let best = entries[0]!;
    for (const e of entries) if (wins(e, best)) best = e;
    best.seats++;
  }
  return entries.map((e) => ({ name: e.name, seats: e.seats })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function uidWithParity(odd: boolean): string {
  for (let i = 0; ; i++) if (((fnv1a32(`uid-${i}`) & 1) === 1) === odd) return `uid-${i}`;
}

/** Tie-breaks: Karmada's default, by UID both ways, and two that do not put fewer seats first. */
const TIE_BREAKS: Record<string, WebsterTieBreak | undefined> = {
  default: undefined,
  'uid even': tieBreakerByUid(uidWithParity(false)),
  'uid odd': tieBreakerByUid(uidWithParity(true)),
  'later name first': (a, b) => (a.name > b.name ? -1 : a.name < b.name ? 1 : 0),
  'more seats first': (a, b) => b.seats - a.seats,
};

const NAMES = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);

/** Parties with unique names; `votes` decides how often priorities tie (small values) or need BigInt (huge ones). */
const partiesArb = (votes: fc.Arbitrary<number>, maxLength: number) =>
  fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), votes }), { selector: (p) => p.name, minLength: 1, maxLength });

const initialArb = (maxSeats: number) =>
  fc.dictionary(fc.constantFrom(...NAMES.slice(0, 12)), fc.integer({ min: 0, max: maxSeats }), { maxKeys: 4 }).map((d) => ({ ...d }));

const tieArb = fc.constantFrom(...Object.keys(TIE_BREAKS));

function sameAsReference(seats: number, parties: Party[], initial: Record<string, number>, tie: string): void {
  const t = TIE_BREAKS[tie];
  expect(allocateWebsterSeats(seats, parties, initial, t)).toEqual(oneSeatAtATime(seats, parties, initial, t));
}

describe('allocateWebsterSeats equals the one-seat-at-a-time reference', () => {
  it('small counts, small votes (many ties), zero votes, initial seats, every tie-break', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        partiesArb(fc.integer({ min: 0, max: 6 }), 8),
        initialArb(5),
        tieArb,
        (seats, parties, initial, tie) => sameAsReference(seats, parties, initial, tie),
      ),
      { numRuns: 500 },
    );
  });

  it('all votes zero: the tie-break alone decides', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), partiesArb(fc.constant(0), 8), initialArb(20), tieArb, (seats, parties, initial, tie) =>
        sameAsReference(seats, parties, initial, tie),
      ),
      { numRuns: 200 },
    );
  });

  it('many parties (up to 40) and up to 3,000 seats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        partiesArb(fc.integer({ min: 0, max: 1000 }), 40),
        initialArb(50),
        tieArb,
        (seats, parties, initial, tie) => sameAsReference(seats, parties, initial, tie),
      ),
      { numRuns: 100 },
    );
  });

  it('large seat counts (up to 200,000) with proportional votes, where exact ties recur', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 200_000 }),
        partiesArb(fc.integer({ min: 0, max: 12 }), 5),
        initialArb(1000),
        tieArb,
        (seats, parties, initial, tie) => sameAsReference(seats, parties, initial, tie),
      ),
      { numRuns: 40 },
    );
  });

  it('huge votes, up to 2^53 − 1, compared exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        partiesArb(fc.oneof(fc.maxSafeNat(), fc.integer({ min: 2 ** 50, max: 2 ** 50 + 8 }), fc.integer({ min: 0, max: 3 })), 6),
        initialArb(10),
        tieArb,
        (seats, parties, initial, tie) => sameAsReference(seats, parties, initial, tie),
      ),
      { numRuns: 300 },
    );
  });
});

describe('allocateWebsterSeats at counts the reference cannot reach', () => {
  /** Every seat handed out went to a slot worth at least any slot left (the one-seat process's invariant). */
  function lastTakenBeatsFirstLeft(result: Seats[], parties: Party[], initial: Record<string, number>): void {
    const votes = new Map(parties.map((p) => [p.name, p.votes]));
    const v = (name: string) => BigInt(votes.get(name) ?? 0);
    for (const won of result) {
      if (won.seats <= (initial[won.name] ?? 0)) continue;
      for (const other of result) {
        // votes_won/(2·(seats_won−1)+1) ≥ votes_other/(2·seats_other+1)
        expect(v(won.name) * BigInt(2 * other.seats + 1) >= v(other.name) * BigInt(2 * won.seats - 1)).toBe(true);
      }
    }
  }

  it('up to 2^40 seats: every seat handed out, the Webster invariant holds, and k more seats continue as the reference would', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 30 }),
        partiesArb(fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 ** 31 })), 12),
        initialArb(1000),
        tieArb,
        (seats, more, parties, initial, tie) => {
          // With every vote zero only a fewer-seats-first tie-break can jump; the others go seat by seat, too slow here.
          fc.pre(parties.some((p) => p.votes > 0) || tie === 'default' || tie.startsWith('uid'));
          const t = TIE_BREAKS[tie];
          const result = allocateWebsterSeats(seats, parties, initial, t);
          const held = Object.values(initial).reduce((s, n) => s + n, 0);
          expect(result.reduce((s, r) => s + r.seats, 0)).toBe(seats + held);
          if (parties.some((p) => p.votes > 0)) lastTakenBeatsFirstLeft(result, parties, initial);
          const from = Object.fromEntries(result.map((r) => [r.name, r.seats]));
          expect(allocateWebsterSeats(seats + more, parties, initial, t)).toEqual(oneSeatAtATime(more, parties, from, t));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('int32-max replicas over 3 clusters weighted 1:2:3 → 357913941, 715827882, 1073741824 (the one-seat result)', () => {
    const parties = [
      { name: 'a', votes: 1 },
      { name: 'b', votes: 2 },
      { name: 'c', votes: 3 },
    ];
    expect(allocateWebsterSeats(2147483647, parties, undefined, tieBreakerByUid(''))).toEqual([
      { name: 'a', seats: 357913941 },
      { name: 'b', seats: 715827882 },
      { name: 'c', seats: 1073741824 },
    ]);
  });

  it('int32-max over 3 equal clusters: the last seat goes by the UID coin flip (name ascending when even, descending when odd)', () => {
    const parties = ['a', 'b', 'c'].map((name) => ({ name, votes: 1 }));
    const even = allocateWebsterSeats(2147483647, parties, undefined, tieBreakerByUid(uidWithParity(false)));
    const odd = allocateWebsterSeats(2147483647, parties, undefined, tieBreakerByUid(uidWithParity(true)));
    expect(even.map((s) => s.seats)).toEqual([715827883, 715827882, 715827882]);
    expect(odd.map((s) => s.seats)).toEqual([715827882, 715827882, 715827883]);
  });
});
