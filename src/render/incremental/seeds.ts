// What an incremental renderer leaves to one in a later process (the render index, issue 13), beside
// the kept parses: per resource the claim and placement it scheduled and what they were computed
// from, and per placed resource the signatures it rendered with and each object's content hash.
// A new renderer reuses a seed under exactly the conditions it reuses its own entries: the
// resource is the very manifest object of the kept parse of the same file and text (a seed names
// it by file and position, resolved against the parses it is given), and the claim, the previous
// placement and the whole-revision fingerprints (clusters, fleets, tuning; claims) are those the
// seed was computed with. Anything else is computed afresh. A seed is a memo of pure functions of
// those inputs, so it holds whatever the applied state did with it.
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../../model/diagnostics.js';
import type { ClaimRecord, Manifest, PlacementResult, PreviousPlacement } from '../../model/types.js';
import type { ParsedFileRecord } from './sources.js';

/** One resource's schedule entry as kept: everything IncrementalRenderer checks before reusing it. */
export interface ScheduleSeed {
  /** versionedKey of the resource. */
  key: string;
  /** The manifest: position `index` in the kept parse of `file`. */
  file: string;
  index: number;
  claimSig: string;
  claimSticky: boolean;
  /** The previous placement the claim was made with (null: none). */
  claimPrevious: PreviousPlacement | null;
  claimRecord: ClaimRecord | null;
  follower: boolean;
  /** The previous placement it was scheduled from (null: none). */
  previous: PreviousPlacement | null;
  /** The placement without verdicts and explanation (null: a follower, placed after its target every time). */
  result: PlacementResult | null;
  diagnostics: Diagnostic[];
}

/** One placed resource's render signatures (digests: fingerprint()) and the content hash of each object it rendered, in order. */
export interface RenderSeed {
  key: string;
  file: string;
  index: number;
  placementSig: string;
  overrideSig: string;
  boundsSig: string;
  /** [cluster, content hash] per rendered object. */
  objects: Array<[string, string]>;
}

export interface RendererSeeds {
  /** SHA-256 of the clusters / fleets / tuning fingerprint the entries were computed with. */
  clusters: string;
  /** SHA-256 of the claims fingerprint (propagation policies by content, fleets). */
  claims: string;
  schedules: ScheduleSeed[];
  renders: RenderSeed[];
}

/** Seeds resolved against the parses a new renderer starts from: by manifest object. */
export interface ResolvedSeeds {
  clusters: string;
  claims: string;
  schedules: Map<Manifest, ScheduleSeed>;
  renders: Map<Manifest, RenderSeed>;
}

export function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Each seed keyed by the manifest object it names in `parsed`; seeds naming no manifest are dropped. */
export function resolveSeeds(seeds: RendererSeeds, parsed: readonly ParsedFileRecord[]): ResolvedSeeds {
  const byPath = new Map(parsed.map((r) => [r.path, r]));
  const resolve = <S extends { file: string; index: number }>(list: readonly S[]): Map<Manifest, S> => {
    const out = new Map<Manifest, S>();
    for (const s of list) {
      const m = byPath.get(s.file)?.manifests[s.index];
      if (m) out.set(m, s);
    }
    return out;
  };
  return { clusters: seeds.clusters, claims: seeds.claims, schedules: resolve(seeds.schedules), renders: resolve(seeds.renders) };
}

/** Where each manifest of `parsed` is: file and position (what a seed names it by). */
export function manifestLocations(parsed: readonly ParsedFileRecord[]): Map<Manifest, { file: string; index: number }> {
  const out = new Map<Manifest, { file: string; index: number }>();
  for (const r of parsed) r.manifests.forEach((m, index) => out.set(m, { file: r.path, index }));
  return out;
}
