// Webster (Sainte-Laguë) apportionment, the arithmetic behind every Karmada replica division
// (pkg/util/helper/webstermethod.go: AllocateWebsterSeats; docs/reference/semantics.md §4.1).
import { FlotillaError } from '../model/diagnostics.js';

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

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Karmada's default tie-break: fewer seats first (the "HA first" rule), then name ascending. */
export const defaultTieBreak: WebsterTieBreak = (a, b) => a.seats - b.seats || byName(a.name, b.name);

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

/**
 * Karmada's AllocateWebsterSeats: hands out `seats` one at a time to the party with the highest
 * votes/(2·seats+1); parties are the union of voters and initial-seat holders (the latter vote 0).
 * Ties go to `tieBreak`, else fewer seats then name ascending. Returns every party sorted by name.
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

  // Strict total order (names are unique), so the heap always yields the same winner as a linear scan.
  const wins = (a: Entry, b: Entry): boolean => {
    const p = comparePriority(a, b);
    if (p !== 0) return p > 0;
    const t = tieBreak ? tieBreak(a, b) : 0;
    if (t !== 0) return t < 0;
    return defaultTieBreak(a, b) < 0;
  };

  const heap = [...byKey.values()];
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

  return heap.map((e) => ({ name: e.name, seats: e.seats })).sort((a, b) => byName(a.name, b.name));
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
  return (a, b) => a.seats - b.seats || (descending ? byName(b.name, a.name) : byName(a.name, b.name));
}
