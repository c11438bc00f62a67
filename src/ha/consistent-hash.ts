// Clusters → shards by consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam,
// "Consistent Hashing with Bounded Loads", 2016; the scheme Vimeo and HAProxy use): each shard
// has `virtualNodes` points on a ring; a cluster walks clockwise from its own point to the first
// shard that still has room, where room is ceil(loadFactor × clusters / shards). Plain consistent
// hashing moves few clusters when shards come and go but can be badly unbalanced; the bound caps
// every shard's load while keeping movement small. Pure and deterministic: every replica that
// sees the same cluster names computes the same assignment.
import { createHash } from 'node:crypto';

export interface ShardAssignmentOptions {
  /** Capacity of a shard as a multiple of the average load (> 1; default 1.25). */
  loadFactor?: number;
  /** Ring points per shard (default 64). */
  virtualNodes?: number;
}

export const DEFAULT_LOAD_FACTOR = 1.25;
export const DEFAULT_VIRTUAL_NODES = 64;

/** A 48-bit position on the ring (exact in a double). */
export function ringPosition(key: string): number {
  const digest = createHash('sha256').update(key).digest();
  return digest.readUIntBE(0, 6);
}

/** The most clusters one shard may hold: ceil(loadFactor × clusters / shards), at least 1. */
export function shardCapacity(clusters: number, shards: number, loadFactor = DEFAULT_LOAD_FACTOR): number {
  return Math.max(1, Math.ceil((loadFactor * clusters) / shards));
}

/**
 * The shard (0 … shards−1) of every cluster. Clusters are placed in ring order of their own
 * positions (name breaks ties), so the result depends only on the set of names, never on the
 * order they are given in.
 */
export function assignShards(clusters: readonly string[], shards: number, opts: ShardAssignmentOptions = {}): Map<string, number> {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`shards must be a positive integer, got ${shards}`);
  const loadFactor = opts.loadFactor ?? DEFAULT_LOAD_FACTOR;
  if (!(loadFactor > 1)) throw new RangeError(`loadFactor must be greater than 1, got ${loadFactor}`);
  const virtualNodes = opts.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  const names = [...new Set(clusters)];
  const ring: Array<{ at: number; shard: number }> = [];
  for (let s = 0; s < shards; s++) for (let v = 0; v < virtualNodes; v++) ring.push({ at: ringPosition(`shard-${s}#${v}`), shard: s });
  ring.sort((a, b) => a.at - b.at || a.shard - b.shard);
  const capacity = shardCapacity(names.length, shards, loadFactor);
  const load = new Array<number>(shards).fill(0);
  const placed = names.map((name) => ({ name, at: ringPosition(`cluster:${name}`) }));
  placed.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new Map<string, number>();
  for (const c of placed) {
    let i = firstAtOrAfter(ring, c.at);
    // Total capacity ≥ clusters, so some shard always has room within one turn of the ring.
    for (let steps = 0; steps < ring.length; steps++, i = (i + 1) % ring.length) {
      const shard = ring[i]!.shard;
      if (load[shard]! < capacity) {
        load[shard]!++;
        out.set(c.name, shard);
        break;
      }
    }
  }
  return out;
}

/** Index of the first ring point at or after `at`, wrapping to 0. */
function firstAtOrAfter(ring: ReadonlyArray<{ at: number }>, at: number): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring[mid]!.at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo === ring.length ? 0 : lo;
}

/**
 * Rendezvous (highest-random-weight) score of `shard` for `replica`: replicas prefer different
 * shards, so simultaneous starts rarely race for the same lease.
 */
export function preference(replica: string, shard: number): number {
  return ringPosition(`${replica}/${shard}`);
}
