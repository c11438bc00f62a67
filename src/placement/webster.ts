// Webster (Sainte-Laguë) apportionment, the arithmetic behind every Karmada replica division
// (pkg/util/helper/webstermethod.go: AllocateWebsterSeats; docs/reference/semantics.md §4.1).
import { FlotillaError } from '../model/diagnostics.js';
import { compareStrings } from '../model/order.js';

/** A party (cluster) and its votes (weight or available replicas). */
export interface Party {
  name: string;
  votes: number;
}

/** A party and the seats (replicas) it holds. */
export interface Seats {
  name: string;
  seats: number;
}

/** Orders two parties whose Webster priorities are equal; negative ⇒ `a` wins the seat. */
export type WebsterTieBreak = (a: Seats, b: Seats) => number;

interface Entry {
  name: string;
  votes: number;
  seats: number;
}

/** Karmada's default tie-break: fewer seats first (the "HA first" rule), then name ascending. */
export const defaultTieBreak: WebsterTieBreak = (a, b) => a.seats - b.seats || compareStrings(a.name, b.name);

/**
 * Sign of priority(a) − priority(b) where priority = votes/(2·seats+1), compared as exact rationals
 * by cross-multiplication (Go compares float64 quotients; exact comparison only differs where two
 * different fractions round to the same float, which docs/reference/semantics.md §4.1 asks us to treat exactly).
 */
function comparePriority(a: Entry, b: Entry): number {
  const left = a.votes * (2 * b.seats + 1);
  const right = b.votes * (2 * a.seats + 1);
  // A float product at most MAX_SAFE_INTEGER means the true product is that exact integer.
  if (left <= Number.MAX_SAFE_INTEGER && right <= Number.MAX_SAFE_INTEGER) return left - right;
  const l = BigInt(a.votes) * BigInt(2 * b.seats + 1);
  const r = BigInt(b.votes) * BigInt(2 * a.seats + 1);
  return l > r ? 1 : l < r ? -1 : 0;
}

function checkCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FlotillaError('INVALID_WEBSTER_INPUT', `${what} must be a non-negative integer, got ${value}`, { value });
  }
  return value;
}

/** Tie-breaks that put the party with fewer seats first, which the all-zero-votes jump relies on. */
const FEWER_SEATS_FIRST = new WeakSet<WebsterTieBreak>([defaultTieBreak]);

/**
 * Karmada's AllocateWebsterSeats: hands out `seats` one at a time to the party with the highest
 * votes/(2·seats+1); parties are the union of voters and initial-seat holders (the latter vote 0).
 * Ties go to `tieBreak`, else fewer seats then name ascending. Returns every party sorted by name.
 * Large counts first jump to within a seat per party of the end (jumpAhead), then go seat by seat:
 * the result is the one-seat-at-a-time result exactly, ties included.
 */
export function allocateWebsterSeats(
  seats: number,
  parties: readonly Party[],
  initial?: Readonly<Record<string, number>>,
  tieBreak?: WebsterTieBreak,
): Seats[] {
  checkCount(seats, 'seats');
  const byKey = new Map<string, Entry>();
  for (const [name, s] of Object.entries(initial ?? {})) {
    byKey.set(name, { name, votes: 0, seats: checkCount(s, `initial seats of ${name}`) });
  }
  for (const p of parties) {
    const votes = checkCount(p.votes, `votes of ${p.name}`);
    const existing = byKey.get(p.name);
    if (existing) existing.votes = votes;
    else byKey.set(p.name, { name: p.name, votes, seats: 0 });
  }
  if (byKey.size === 0) return [];
  const entries = [...byKey.values()];
  // With no more seats than parties a jump cannot save anything: what is left after it is below one seat per party.
  const jumped = seats > entries.length ? jumpAhead(entries, seats, tieBreak ?? defaultTieBreak) : 0;
  seatBySeat(entries, seats - jumped, tieBreak);
  return entries.map((e) => ({ name: e.name, seats: e.seats })).sort((a, b) => compareStrings(a.name, b.name));
}

/** Hands out `seats` one at a time from the entries' current seats, by priority then tie-break (a heap). */
function seatBySeat(heap: Entry[], seats: number, tieBreak: WebsterTieBreak | undefined): void {
  // Strict total order (names are unique), so the heap always yields the same winner as a linear scan.
  const wins = (a: Entry, b: Entry): boolean => {
    const p = comparePriority(a, b);
    if (p !== 0) return p > 0;
    const t = tieBreak ? tieBreak(a, b) : 0;
    if (t !== 0) return t < 0;
    return defaultTieBreak(a, b) < 0;
  };
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && wins(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && wins(heap[r]!, heap[best]!)) best = r;
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  for (let remaining = seats; remaining > 0; remaining--) {
    heap[0]!.seats++;
    siftDown(0);
  }
}

/**
 * Gives the entries, in one step, the seats the one-seat process would have handed out first, and
 * returns how many (at most `seats`, and fewer than one per party short of it).
 *
 * Think of party i's (k+1)-th seat as a slot worth votes/(2k+1). Seat by seat, the winner is always
 * the most valuable slot left, so while a slot worth more than a threshold T is left, no slot worth
 * T or less is taken, whatever the tie-break: after K steps, K = the number of slots worth more than
 * T, the state is exactly "every slot above T taken". Ties only ever happen at or below T, and they
 * are left to seatBySeat. T = V/(2M) (V the total votes) and the largest M whose K fits in `seats`
 * is found by bisection over exact integers.
 *
 * All votes zero: every slot is worth 0 and only the tie-break decides; when it puts fewer seats
 * first, the process levels the parties up, so every party below a level L reaches L first.
 */
function jumpAhead(entries: Entry[], seats: number, tieBreak: WebsterTieBreak): number {
  const total = entries.reduce((s, e) => s + BigInt(e.votes), 0n);
  if (total === 0n) return FEWER_SEATS_FIRST.has(tieBreak) ? levelUp(entries, seats) : 0;
  const target = BigInt(seats);
  const half = BigInt(Math.ceil(entries.length / 2));
  const held = entries.reduce((s, e) => s + BigInt(e.seats), 0n);
  // taken(M) lies within [M − n/2 − held, M + n/2], so the answer lies within these bounds: taken(from) ≤ seats < taken(to).
  const from = target - half - 1n > 0n ? target - half - 1n : 0n;
  const to = target + held + half + 1n;
  const added = (e: Entry, m: bigint): bigint => {
    // Slots of e worth more than V/(2M): the k ≥ 0 with 2V·k < 2M·votes − V; those beyond the seats e already holds.
    const numerator = 2n * m * BigInt(e.votes) - total;
    if (numerator <= 0n) return 0n;
    const slots = (numerator + 2n * total - 1n) / (2n * total);
    const extra = slots - BigInt(e.seats);
    return extra > 0n ? extra : 0n;
  };
  const taken = (m: bigint): bigint => entries.reduce((s, e) => s + added(e, m), 0n);
  const lo = highestWithin(from, to, (m) => taken(m) <= target);
  let given = 0;
  for (const e of entries) {
    const extra = Number(added(e, lo));
    e.seats += extra;
    given += extra;
  }
  return given;
}

/** All votes zero, fewer seats first: raises every party to the highest level L the seats pay for in full. */
function levelUp(entries: Entry[], seats: number): number {
  const target = BigInt(seats);
  const cost = (level: bigint): bigint => entries.reduce((s, e) => (level > BigInt(e.seats) ? s + level - BigInt(e.seats) : s), 0n);
  const lowest = BigInt(entries.reduce((m, e) => Math.min(m, e.seats), Infinity));
  const lo = highestWithin(lowest, lowest + target + 1n, (level) => cost(level) <= target);
  let given = 0;
  for (const e of entries) {
    const extra = lo > BigInt(e.seats) ? Number(lo - BigInt(e.seats)) : 0;
    e.seats += extra;
    given += extra;
  }
  return given;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `s` (Go's hash/fnv New32a). */
export function fnv1a32(s: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * Karmada's tieBreakerByUID (pkg/util/helper/binding.go): fewer seats first, then name ascending
 * when the UID is empty or hashes even, descending when it hashes odd — a stable per-resource coin
 * flip so that equal-weight ties do not always favour the same cluster across the fleet.
 */
export function tieBreakerByUid(uid: string): WebsterTieBreak {
  const descending = uid !== '' && (fnv1a32(uid) & 1) === 1;
  const tieBreak: WebsterTieBreak = (a, b) =>
    a.seats - b.seats || (descending ? compareStrings(b.name, a.name) : compareStrings(a.name, b.name));
  FEWER_SEATS_FIRST.add(tieBreak);
  return tieBreak;
}

/** The highest m in [lo, hi) with fits(m), given fits(lo), !fits(hi) and fits monotone (true, then false). */
function highestWithin(lo: bigint, hi: bigint, fits: (m: bigint) => boolean): bigint {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
