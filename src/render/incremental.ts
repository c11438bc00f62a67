// Incremental rendering for the reconciler (issue 3, "incremental sync"): a new revision's changed
// files in, the same RenderResult renderFleet gives for the whole file set out — recomputing only
// what the change can reach. It shares every step with renderFleet (render-fleet.ts) and only
// decides what to reuse:
//   - files: each changed file is parsed on its own (SourceCache); unchanged files keep their
//     manifests, and with them their identity, which is how later stages see "unchanged";
//   - the model (clusters, fleets, policies) is small and rebuilt every time, with its diagnostics;
//   - a resource is rescheduled when its manifest, its claim (the claiming policy before or after,
//     by content), its previous placement, or any cluster / fleet / KarmadaConfig changed;
//   - it is re-rendered when its manifest, its placement's clusters and policy, its HPA bounds, the
//     override policies that select it (before or after, by content and file) or any cluster changed;
//   - the revision annotation, which changes every commit, is set in place on reused objects;
//   - HPA followers, VirtualService checks, Namespaces and the per-cluster order are recomputed.
// When unsure it recomputes: whatever is not provably unchanged is redone.
import { boundDiagnostics, DiagnosticSink, type Diagnostic } from '../model/diagnostics.js';
import { buildFleetModel } from '../fleet/build.js';
import type {
  ClaimRecord,
  FleetModel,
  Manifest,
  OverridePolicy,
  PlacementResult,
  PreviousPlacement,
  PropagationPolicy,
} from '../model/types.js';
import type { SourceFile } from '../load/parse.js';
import type { Claim } from '../placement/claim.js';
import { refOf } from '../placement/schedule.js';
import { REVISION_ANNOTATION } from '../objects/tracking.js';
import { versionedKey } from '../objects/identity.js';
import {
  assembleCluster,
  claimFor,
  clusterSummaries,
  completePlacements,
  isHpaFollower,
  isNamespaceObject,
  overridesFor,
  placementOwnership,
  placeResource,
  placementContext,
  renderContext,
  renderPlacement,
  revisesReplicas,
  type HpaBounds,
  type RenderContext,
  type RenderedObject,
  type RenderResult,
} from './render-fleet.js';
import { jsonExact, SourceCache, type FileChange, type ParsedFileRecord } from './incremental/sources.js';
import {
  fingerprint,
  manifestLocations,
  resolveSeeds,
  type RenderSeed,
  type RendererSeeds,
  type ResolvedSeeds,
  type ScheduleSeed,
} from './incremental/seeds.js';

export type { FileChange, ParsedFileRecord } from './incremental/sources.js';
export type { RendererSeeds } from './incremental/seeds.js';

/** How a renderer is made. */
export interface IncrementalOptions {
  /**
   * false: placements keep no per-cluster verdicts and explanation steps (as placeFleet's
   * `details: false`); only then are schedule seeds kept and used, since a seed carries none.
   */
  details?: boolean;
  /** What an earlier process's renderer kept (keep()), for the parses given with them. */
  seeds?: RendererSeeds | null;
}

/** What a renderer keeps for a later process: its parses and the seeds that name their manifests. */
export interface KeptRender {
  parsed: ParsedFileRecord[];
  seeds: RendererSeeds | null;
}

/** What one update recomputed. */
export interface IncrementalStats {
  /** Files parsed (all of them when the revision had to be parsed whole). */
  reparsedFiles: number;
  /** Resources scheduled again (HPA followers, recomputed every time, are not counted). */
  rescheduled: number;
  /** Per-cluster objects rendered again (reused ones only get the new revision annotation). */
  rerenderedObjects: number;
  /** Nothing was reused: the first update, after reset(), or a revision parsed whole. */
  full: boolean;
  /** Rendered objects whose content hash an earlier process's seed gave (takeKnownHashes). */
  knownHashes: number;
}

/** Input of one update. */
export interface IncrementalUpdate {
  revision: string;
  /** Files that differ from the previous update's file set (every file on the first update). */
  changes: readonly FileChange[];
  /** Previous placements by versionedKey(); treated as immutable values, compared by reference then content. */
  previous?: ReadonlyMap<string, PreviousPlacement>;
}

/** One resource's claim and placement, kept while its inputs stay the same. */
interface ScheduleEntry {
  manifest: Manifest;
  /** The last update that saw the resource; older entries are dropped. */
  generation: number;
  claimEpoch: number;
  claimSig: string;
  /** The previous placement the claim was made with (sticky claims depend on it), and whether there was a previous result. */
  claimPrevious: PreviousPlacement | undefined;
  claimSticky: boolean;
  /** How the claim follows from the previous one (sticky claims only). */
  claimRecord: ClaimRecord | undefined;
  follower: boolean;
  clusterEpoch: number;
  previous: PreviousPlacement | undefined;
  /** null: to be scheduled (followers are placed after their targets at every update). */
  result: PlacementResult | null;
  diagnostics: Diagnostic[];
  /**
   * The seed this entry was made from (values read back from the render index, so exact) or last
   * kept as (checked exact): while the entry holds the very same values, they need no checking again.
   */
  kept?: ScheduleSeed;
}

/** One placed resource's rendered objects, kept while its inputs stay the same. */
interface RenderEntry {
  manifest: Manifest;
  generation: number;
  clusterEpoch: number;
  placement: PlacementResult | null;
  /**
   * fingerprint() of what the placement renders from: a digest, since the JSON it is made from is
   * about a kilobyte per resource and lives as long as the resource (10,000 of them: 7 MiB).
   */
  placementSig: string;
  boundsSig: string;
  overrideEpoch: number;
  overrideSig: string;
  /** Shared with the results: their revision annotation follows the latest update. */
  objects: RenderedObject[];
  /** The revision `objects` carry in their annotation (the update that rendered them, or last moved them). */
  revision: string;
  diagnostics: Diagnostic[];
  /** An input changed: render again. */
  stale: boolean;
  /** An earlier process's seed for this resource, checked once the entry is rendered. */
  seed?: RenderSeed;
}

const NO_PREVIOUS: ReadonlyMap<string, PreviousPlacement> = new Map();

/** A policy as scheduling sees it: everything but where it is declared (scheduling never reports at a policy). */
function propagationFingerprint(p: PropagationPolicy): string {
  const { source: _source, ...rest } = p;
  return JSON.stringify(rest);
}

/**
 * What a claim contributes to a placement: the policy (by content) or fleet, or why there is none;
 * as a digest, since every resource a policy claims keeps one (and so does the render index).
 */
function claimSignature(claim: Claim, fingerprints: ReadonlyMap<PropagationPolicy, string>): string {
  switch (claim.kind) {
    case 'policy':
      return fingerprint(
        `policy\u0000${claim.policy.kind}/${claim.policy.namespace}/${claim.policy.name}\u0000${fingerprints.get(claim.policy)}`,
      );
    case 'fleet':
      return fingerprint(`fleet\u0000${claim.fleet.namespace}/${claim.fleet.name}`);
    default:
      return fingerprint(`none\u0000${claim.reason}`);
  }
}

/**
 * Moves a rendered object to another revision in place. withTracking always sets the annotation,
 * so assigning keeps its key order and the object equals a fresh render at `revision`.
 */
function setRevision(object: Record<string, unknown>, revision: string): void {
  const annotations = (object.metadata as { annotations: Record<string, string> }).annotations;
  if (annotations[REVISION_ANNOTATION] !== revision) annotations[REVISION_ANNOTATION] = revision;
}

/** Whether two schedule seeds hold the very same values (members compared by reference). */
function sameSeedValues(a: ScheduleSeed, b: ScheduleSeed): boolean {
  return (
    a.key === b.key &&
    a.file === b.file &&
    a.index === b.index &&
    a.claimSig === b.claimSig &&
    a.claimSticky === b.claimSticky &&
    a.claimPrevious === b.claimPrevious &&
    a.claimRecord === b.claimRecord &&
    a.follower === b.follower &&
    a.previous === b.previous &&
    a.result === b.result &&
    a.diagnostics === b.diagnostics
  );
}

function samePrevious(a: PreviousPlacement | undefined, b: PreviousPlacement | undefined): boolean {
  return a === b || sameJsonValue(a, b);
}

/**
 * Whether two JSON values are written alike: same keys in the same order, same values. Never true
 * where JSON.stringify would differ; false for some it writes alike (an undefined member), which
 * only schedules again. A restart compares every previous placement its seeds name with the status
 * branch's, and writing both out cost more than the rest of scheduling.
 */
function sameJsonValue(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJsonValue(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = ownKeys(2 * depth, a);
  const kb = ownKeys(2 * depth + 1, b);
  if (ka.count !== kb.count) return false;
  for (let i = 0; i < ka.count; i++) {
    const k = ka.keys[i]!;
    if (k !== kb.keys[i] || !sameJsonValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Key lists sameJsonValue compares, two per depth (the keys of a nested pair go to deeper slots,
 * so a pair's own stay put), reused: Object.keys made two arrays per object compared, about 50 MB
 * at a restart comparing 10,000 previous placements of thirty clusters each.
 */
const keySlots: Array<{ keys: string[]; count: number }> = [];

/** Object.keys(o) (own enumerable keys, in their order) into slot `slot`: its first `count` keys. */
function ownKeys(slot: number, o: object): { keys: string[]; count: number } {
  const list = (keySlots[slot] ??= { keys: [], count: 0 });
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) list.keys[n++] = k;
  list.count = n;
  return list;
}

/** Bumps an epoch counter when a signature changes; entries remember the epoch they were computed in. */
class Epoch {
  private sig: string | null = null;
  value = 0;
  get signature(): string | null {
    return this.sig;
  }
  observe(sig: string): void {
    if (sig !== this.sig) {
      this.sig = sig;
      this.value++;
    }
  }
}

/**
 * Renders successive revisions of a fleet repository from their changed files. Results equal
 * renderFleet over files() byte for byte (JSON.stringify), `stats` aside. Results share their
 * objects with the renderer's cache and with earlier results: treat them as read-only, and know
 * that the next update sets the flotilla.dev/source-revision annotation of the rendered objects
 * it keeps to its own revision, in place (the one annotation comparisons ignore, VOLATILE_ANNOTATIONS);
 * deep-copy a result to keep it exactly as it was.
 */
export class IncrementalRenderer {
  private sources: SourceCache;
  private schedules = new Map<string, ScheduleEntry>();
  private renders = new Map<string, RenderEntry>();
  private clusters = new Epoch();
  private claims = new Epoch();
  private overrides = new Epoch();
  private started = false;
  private generation = 0;
  /** The last result's manifests per cluster, and the Namespace manifests they were assembled with. */
  private outputs = new Map<string, Record<string, unknown>[]>();
  private namespaces: Manifest[] = [];
  private readonly details: boolean;
  /** An earlier process's seeds, used by the first update only; whether its fingerprints match this revision's. */
  private pending: ResolvedSeeds | null = null;
  private seedMatch = { clusters: false, claims: false };
  /** Objects rendered under the very inputs of a render seed, with the content hash it gives. */
  private known: Array<[Record<string, unknown>, string]> = [];
  private seedDigests = new Map<string, string>();
  /** Per override policy file: its version and a digest of its content (what override signatures name it by). */
  private fileIds = new Map<string, { version: number; id: string }>();

  /**
   * `parsed`: an earlier process's parses (parsedFiles()); the first update parses only the files
   * whose text differs from theirs. The result is the same, since a seed is a parse of that very text.
   */
  constructor(parsed: Iterable<ParsedFileRecord> = [], options: IncrementalOptions = {}) {
    const records = [...parsed];
    this.sources = new SourceCache(records);
    this.details = options.details ?? true;
    if (options.seeds && !this.details) this.pending = resolveSeeds(options.seeds, records);
  }

  /** Every current file's parse that can be kept for a later process (see SourceCache.records). */
  parsedFiles(): ParsedFileRecord[] {
    return this.sources.records();
  }

  /**
   * The parses and the seeds a later process may start from. Seeds are kept only without details,
   * only for resources whose manifest is one of these parses' (a revision parsed whole has none),
   * and only when JSON carries them exactly. `hashOf` is the diff's content hash.
   */
  keep(hashOf: (object: Record<string, unknown>) => string): KeptRender {
    const parsed = this.sources.records();
    if (this.details || !this.started || this.clusters.signature === null || this.claims.signature === null) return { parsed, seeds: null };
    const at = manifestLocations(parsed);
    const schedules: ScheduleSeed[] = [];
    for (const [key, e] of this.schedules) {
      const where = at.get(e.manifest);
      if (!where || (e.result === null && !e.follower) || e.claimEpoch !== this.claims.value) continue;
      if (!e.follower && e.clusterEpoch !== this.clusters.value) continue;
      const seed: ScheduleSeed = {
        key,
        ...where,
        claimSig: e.claimSig,
        claimSticky: e.claimSticky,
        claimPrevious: e.claimPrevious ?? null,
        claimRecord: e.claimRecord ?? null,
        follower: e.follower,
        previous: e.previous ?? null,
        result: e.follower ? null : e.result,
        diagnostics: e.diagnostics,
      };
      // The very values of a seed kept before (or read back from JSON) are exact: checking them again cost as much as scheduling.
      if ((e.kept && sameSeedValues(e.kept, seed)) || jsonExact(seed)) {
        schedules.push(seed);
        e.kept = seed;
      }
    }
    const renders: RenderSeed[] = [];
    const digests = new Map<string, string>();
    const digest = (sig: string) => {
      // Resources placed alike share their signatures: each is hashed once.
      let d = digests.get(sig);
      if (d === undefined) digests.set(sig, (d = fingerprint(sig)));
      return d;
    };
    for (const [key, e] of this.renders) {
      const where = at.get(e.manifest);
      if (!where || e.stale || e.clusterEpoch !== this.clusters.value || e.overrideEpoch !== this.overrides.value) continue;
      // Signatures as digests: an override policy's content would otherwise be kept once per resource it selects.
      const [overrideSig, boundsSig] = [e.overrideSig, e.boundsSig].map(digest) as [string, string];
      const placementSig = e.placementSig; // a digest already
      renders.push({ key, ...where, placementSig, overrideSig, boundsSig, objects: e.objects.map((r) => [r.cluster, hashOf(r.object)]) });
    }
    return {
      parsed,
      seeds: { clusters: fingerprint(this.clusters.signature), claims: fingerprint(this.claims.signature), schedules, renders },
    };
  }

  /**
   * The objects the last updates rendered under the very inputs of an earlier process's render seed,
   * with the content hash that seed recorded for each (then forgotten: the caller memoizes them).
   */
  takeKnownHashes(): Array<[Record<string, unknown>, string]> {
    const out = this.known;
    this.known = [];
    return out;
  }

  /** Forgets everything: the next update must carry every file. */
  reset(): void {
    this.sources = new SourceCache();
    // File versions start again with the new cache: ids cached by version would name other texts.
    this.fileIds = new Map();
    this.pending = null;
    this.forgetDerived();
  }

  /** Drops everything computed from the files (not the files): the next update recomputes it all. */
  private forgetDerived(): void {
    this.schedules = new Map();
    this.renders = new Map();
    this.clusters = new Epoch();
    this.claims = new Epoch();
    this.overrides = new Epoch();
    this.started = false;
    this.outputs = new Map();
    this.namespaces = [];
    this.known = [];
  }

  /** The current full file set (for fallbacks and tests), sorted by path. */
  files(): SourceFile[] {
    return this.sources.files();
  }

  /**
   * Applies the changed files of a new revision and returns the same RenderResult renderFleet would
   * give for the whole new file set, plus what was recomputed. The first call (or after reset) gets every file.
   */
  update(input: IncrementalUpdate): RenderResult & { stats: IncrementalStats } {
    try {
      return this.apply(input);
    } catch (e) {
      // A half-applied update leaves caches that disagree with each other; the files stay applied.
      this.forgetDerived();
      throw e;
    } finally {
      this.pending = null;
      this.seedDigests = new Map();
    }
  }

  private apply(input: IncrementalUpdate): RenderResult & { stats: IncrementalStats } {
    const first = !this.started;
    this.started = true;
    let reparsedFiles = this.sources.apply(input.changes);
    const loaded = this.sources.load();
    if (loaded.whole) reparsedFiles = this.sources.files().length;
    const sink = new DiagnosticSink(this.sources.locate);
    const model = buildFleetModel(loaded.manifests, sink);
    const { policyPrints, overridePrints } = this.observeRevisionInputs(model);
    const generation = ++this.generation;
    if (this.pending) {
      this.seedMatch = {
        clusters: fingerprint(this.clusters.signature!) === this.pending.clusters,
        claims: fingerprint(this.claims.signature!) === this.pending.claims,
      };
    }
    const knownBefore = this.known.length;

    const scheduled = this.scheduleResources(model, policyPrints, input.previous, input.revision, generation);
    const { sortedPlacements, hpaBounds } = completePlacements(model, scheduled.placements, scheduled.followers, sink);
    const rctx = renderContext(model);
    const rendered = this.renderPlacements(rctx, sortedPlacements, hpaBounds, overridePrints, input.revision, generation);

    // Declared Namespaces stand in for the namespaces every cluster needs: a change there touches them all.
    const namespaces = model.resources.filter((m) => m.kind === 'Namespace' && m.apiVersion === 'v1');
    const sameNamespaces = namespaces.length === this.namespaces.length && namespaces.every((m, i) => m === this.namespaces[i]);
    this.namespaces = namespaces;
    const manifests = this.assemble(rctx, sortedPlacements, sameNamespaces ? rendered.dirty : null, input.revision);

    const diagnostics = [...loaded.diagnostics, ...sink.items];
    for (const list of [...scheduled.diagnostics, ...rendered.diagnostics]) for (const d of list) diagnostics.push(d);
    return {
      revision: input.revision,
      clusters: clusterSummaries(model),
      placements: sortedPlacements,
      manifests,
      diagnostics: boundDiagnostics(diagnostics),
      model,
      stats: {
        reparsedFiles,
        rescheduled: scheduled.rescheduled,
        rerenderedObjects: rendered.rerenderedObjects,
        full: first || loaded.whole,
        knownHashes: this.known.length - knownBefore,
      },
    };
  }

  /**
   * Fingerprints the whole-revision inputs, compared by content, and bumps the epochs whose
   * fingerprint changed. Clusters and fleets are every resource's candidates; tuning is included
   * because a KarmadaConfig change reschedules everything.
   */
  private observeRevisionInputs(model: FleetModel): {
    policyPrints: Map<PropagationPolicy, string>;
    overridePrints: Map<OverridePolicy, string>;
  } {
    this.clusters.observe(JSON.stringify([model.clusters, model.fleets, model.tuning]));
    const policyPrints = new Map<PropagationPolicy, string>();
    for (const p of [...model.propagationPolicies, ...model.clusterPropagationPolicies]) policyPrints.set(p, propagationFingerprint(p));
    this.claims.observe(JSON.stringify([[...policyPrints.values()], model.fleets]));
    // Override problems are located in the policy's file, so its version is part of its content.
    const overridePrints = new Map<OverridePolicy, string>();
    for (const op of [...model.clusterOverridePolicies, ...model.overridePolicies])
      overridePrints.set(op, `${JSON.stringify(op)}@${this.fileId(op.source.file)}`);
    this.overrides.observe([...overridePrints.values()].join('\n'));
    return { policyPrints, overridePrints };
  }

  /**
   * Claims and schedules every resource whose inputs changed, reusing the others' placements; HPA
   * followers are only collected (they are placed after their targets). Drops entries of resources
   * this generation did not see.
   */
  private scheduleResources(
    model: FleetModel,
    policyPrints: ReadonlyMap<PropagationPolicy, string>,
    previousMap: ReadonlyMap<string, PreviousPlacement> | undefined,
    revision: string,
    generation: number,
  ): { placements: Map<string, PlacementResult>; followers: Manifest[]; diagnostics: Diagnostic[][]; rescheduled: number } {
    const ctx = placementContext(model, { details: this.details });
    const placements = new Map<string, PlacementResult>();
    const followers: Manifest[] = [];
    const diagnostics: Diagnostic[][] = [];
    let rescheduled = 0;
    const previous = previousMap ?? NO_PREVIOUS;
    for (const resource of model.resources) {
      const key = versionedKey(refOf(resource));
      const prev = previous.get(key);
      const entry = this.scheduleEntry(key, resource, prev, generation);
      let claim: Claim | null = null;
      // A sticky claim depends on the previous claim (docs/reference/semantics.md §2.2).
      const sticky = previousMap !== undefined;
      const claimStale = entry.claimSticky !== sticky || (sticky && !samePrevious(entry.claimPrevious, prev));
      if (entry.claimEpoch !== this.claims.value || claimStale) {
        claim = claimFor(ctx, resource, previousMap, revision);
        const claimSig = claimSignature(claim, policyPrints);
        if (claimSig !== entry.claimSig) entry.result = null;
        entry.claimEpoch = this.claims.value;
        entry.claimSig = claimSig;
        entry.claimPrevious = prev;
        entry.claimSticky = sticky;
        entry.claimRecord = claim.kind === 'policy' ? claim.record : undefined;
        entry.follower = isHpaFollower(resource, claim);
      }
      if (entry.follower) {
        entry.result = null;
        followers.push(resource);
        continue;
      }
      if (entry.clusterEpoch !== this.clusters.value || !samePrevious(entry.previous, prev)) entry.result = null;
      if (entry.result === null) {
        const rs = new DiagnosticSink(this.sources.locate);
        entry.result = placeResource(ctx, resource, claim ?? claimFor(ctx, resource, previousMap, revision), prev, rs);
        entry.diagnostics = rs.items;
        entry.clusterEpoch = this.clusters.value;
        entry.previous = prev;
        rescheduled++;
      }
      placements.set(key, this.withClaimRecord(entry, revision));
      diagnostics.push(entry.diagnostics);
    }
    for (const [key, entry] of this.schedules) if (entry.generation !== generation) this.schedules.delete(key);
    return { placements, followers, diagnostics, rescheduled };
  }

  /**
   * The entry's placement with the claim record of this revision: a claim made afresh (no previous
   * policy) names the revision it is made at, which changes nothing the scheduler computed.
   */
  private withClaimRecord(entry: ScheduleEntry, revision: string): PlacementResult {
    const result = entry.result!;
    const record = entry.claimRecord;
    // Only a kept claim dates from the previous result; any other is made at the revision rendered,
    // also when the entry was cached from an earlier revision that was never applied (an invalid one).
    const current = record && record.change !== 'kept' ? { ...record, since: revision } : record;
    if (sameJsonValue(result.claim, current)) return result;
    // placeResource sets `claim` last, so dropping and appending it keeps a fresh result's key order.
    const { claim: _old, ...rest } = result;
    entry.result = current ? { ...rest, claim: current } : rest;
    return entry.result;
  }

  /**
   * A schedule entry from an earlier process's seed for this very manifest object: its epochs are
   * current when the revision's fingerprints are the seed's, so the usual checks decide the rest.
   */
  private seededSchedule(seed: ScheduleSeed, resource: Manifest): ScheduleEntry {
    return {
      manifest: resource,
      generation: 0,
      claimEpoch: this.seedMatch.claims ? this.claims.value : -1,
      claimSig: seed.claimSig,
      claimPrevious: seed.claimPrevious ?? undefined,
      claimSticky: seed.claimSticky,
      claimRecord: seed.claimRecord ?? undefined,
      follower: seed.follower,
      clusterEpoch: this.seedMatch.clusters ? this.clusters.value : -1,
      previous: seed.previous ?? undefined,
      result: seed.result,
      diagnostics: seed.diagnostics,
      kept: seed,
    };
  }

  /**
   * An entry rendered from its seed's very inputs (manifest, signatures, clusters) rendered the
   * objects the seed hashed: each object gets the seed's content hash, so the diff need not compute it.
   */
  private checkRenderSeed(entry: RenderEntry, boundsSig: string): void {
    const seed = entry.seed!;
    delete entry.seed;
    if (!this.seedMatch.clusters || seed.objects.length !== entry.objects.length) return;
    const digest = (sig: string) => {
      // Resources placed alike share their signatures: each is hashed once per update.
      let d = this.seedDigests.get(sig);
      if (d === undefined) this.seedDigests.set(sig, (d = fingerprint(sig)));
      return d;
    };
    if (seed.placementSig !== entry.placementSig || seed.overrideSig !== digest(entry.overrideSig)) return;
    if (seed.boundsSig !== digest(boundsSig)) return;
    if (!entry.objects.every((r, i) => r.cluster === seed.objects[i]![0])) return;
    entry.objects.forEach((r, i) => this.known.push([r.object, seed.objects[i]![1]]));
  }

  /** A file's content as override signatures name it: the same in every process, changed whenever the file is. */
  private fileId(path: string): string {
    const version = this.sources.version(path);
    let id = this.fileIds.get(path);
    if (id?.version !== version) {
      const f = this.sources.file(path);
      id = { version, id: fingerprint(JSON.stringify([path, f?.text ?? null, f?.size ?? null, f?.problem ?? null])) };
      this.fileIds.set(path, id);
    }
    return id.id;
  }

  /** The resource's schedule entry, new when the resource is new or its manifest changed; marked as seen in `generation`. */
  private scheduleEntry(key: string, resource: Manifest, prev: PreviousPlacement | undefined, generation: number): ScheduleEntry {
    let entry = this.schedules.get(key);
    const seed = entry === undefined ? this.pending?.schedules.get(resource) : undefined;
    if (seed && seed.key === key) {
      entry = this.seededSchedule(seed, resource);
      this.schedules.set(key, entry);
    } else if (entry === undefined || entry.manifest !== resource) {
      entry = {
        manifest: resource,
        generation,
        claimEpoch: -1,
        claimSig: '',
        claimPrevious: undefined,
        claimSticky: false,
        claimRecord: undefined,
        follower: false,
        clusterEpoch: -1,
        previous: prev,
        result: null,
        diagnostics: [],
      };
      this.schedules.set(key, entry);
    }
    entry.generation = generation;
    return entry;
  }

  /**
   * Renders every placement whose inputs changed, reusing the others' objects, and drops entries of
   * resources no longer placed. `dirty` holds the clusters whose list of objects changed (beyond the
   * revision annotation).
   */
  private renderPlacements(
    rctx: RenderContext,
    placements: readonly PlacementResult[],
    hpaBounds: ReadonlyMap<string, HpaBounds>,
    overridePrints: ReadonlyMap<OverridePolicy, string>,
    revision: string,
    generation: number,
  ): { dirty: Set<string>; diagnostics: Diagnostic[][]; rerenderedObjects: number } {
    const dirty = new Set<string>();
    const diagnostics: Diagnostic[][] = [];
    let rerenderedObjects = 0;
    for (const p of placements) {
      if (p.clusters.length === 0) continue;
      const key = versionedKey(p.resource);
      const resource = rctx.byKey.get(key)!;
      const entry = this.renderEntry(key, resource, generation, dirty);
      const bounds = hpaBounds.get(key);
      const boundsSig = this.markStaleRender(entry, rctx, p, bounds, overridePrints);
      if (entry.stale) {
        for (const r of entry.objects) dirty.add(r.cluster);
        const rs = new DiagnosticSink(this.sources.locate);
        entry.objects = renderPlacement(rctx, resource, p, overridesFor(rctx, resource), bounds, revision, rs);
        entry.revision = revision;
        entry.diagnostics = rs.items;
        entry.boundsSig = boundsSig;
        entry.clusterEpoch = this.clusters.value;
        entry.stale = false;
        if (entry.seed) this.checkRenderSeed(entry, boundsSig);
        rerenderedObjects += entry.objects.length;
        for (const r of entry.objects) dirty.add(r.cluster);
      }
      diagnostics.push(entry.diagnostics);
    }
    for (const [key, entry] of this.renders) {
      if (entry.generation === generation) continue;
      for (const r of entry.objects) dirty.add(r.cluster);
      this.renders.delete(key);
    }
    return { dirty, diagnostics, rerenderedObjects };
  }

  /**
   * The resource's render entry, new (and stale) when the resource is new or its manifest changed,
   * in which case the clusters of the old entry's objects are dirty; marked as seen in `generation`.
   */
  private renderEntry(key: string, resource: Manifest, generation: number, dirty: Set<string>): RenderEntry {
    let entry = this.renders.get(key);
    if (entry === undefined || entry.manifest !== resource) {
      for (const r of entry?.objects ?? []) dirty.add(r.cluster);
      const seed = entry === undefined ? this.pending?.renders.get(resource) : undefined;
      entry = {
        manifest: resource,
        generation,
        clusterEpoch: -1,
        placement: null,
        placementSig: '',
        boundsSig: '',
        overrideEpoch: -1,
        overrideSig: '',
        objects: [],
        revision: '',
        diagnostics: [],
        stale: true,
        ...(seed && seed.key === key ? { seed } : {}),
      };
      this.renders.set(key, entry);
    }
    entry.generation = generation;
    return entry;
  }

  /**
   * Marks the entry stale when the overrides selecting its resource, its placement, its HPA bounds or
   * the clusters changed; records the new override and placement signatures. Returns the bounds'
   * signature, recorded only once the entry is rendered again.
   */
  private markStaleRender(
    entry: RenderEntry,
    rctx: RenderContext,
    p: PlacementResult,
    bounds: HpaBounds | undefined,
    overridePrints: ReadonlyMap<OverridePolicy, string>,
  ): string {
    if (entry.overrideEpoch !== this.overrides.value) {
      const overrideSig = overridesFor(rctx, entry.manifest)
        .map((op) => overridePrints.get(op))
        .join('\n');
      if (overrideSig !== entry.overrideSig) entry.stale = true;
      entry.overrideEpoch = this.overrides.value;
      entry.overrideSig = overrideSig;
    }
    if (entry.placement !== p) {
      // The policy's ownership settings are rendered as annotations: a change there renders again.
      const placementSig = fingerprint(
        JSON.stringify([p.policy, p.clusters, placementOwnership(rctx, p), revisesReplicas(rctx, p), p.suspendedClusters ?? []]),
      );
      if (placementSig !== entry.placementSig) entry.stale = true;
      entry.placement = p;
      entry.placementSig = placementSig;
    }
    const boundsSig = bounds ? JSON.stringify([...bounds]) : '';
    if (boundsSig !== entry.boundsSig || entry.clusterEpoch !== this.clusters.value) entry.stale = true;
    return boundsSig;
  }

  /**
   * The per-cluster manifests: clusters in `dirty` (all of them when null) are assembled again from
   * the render entries in placement order; the others are the last result's lists. Every object
   * then gets the new revision annotation, in place.
   */
  private assemble(
    rctx: RenderContext,
    placements: readonly PlacementResult[],
    dirty: ReadonlySet<string> | null,
    revision: string,
  ): Record<string, Record<string, unknown>[]> {
    // Objects move to this revision with their entry, each once, in whichever lists hold them;
    // those an entry rendered in this update carry it already (a restart renders all 174,721).
    for (const entry of this.renders.values()) {
      if (entry.revision === revision) continue;
      for (const r of entry.objects) setRevision(r.object, revision);
      entry.revision = revision;
    }
    const gathered = new Map<string, RenderedObject[]>();
    if (dirty === null || dirty.size > 0) {
      for (const p of placements) {
        const entry = this.renders.get(versionedKey(p.resource));
        if (!entry) continue;
        for (const r of entry.objects) {
          if (dirty !== null && !dirty.has(r.cluster)) continue;
          const list = gathered.get(r.cluster);
          if (list) list.push(r);
          else gathered.set(r.cluster, [r]);
        }
      }
    }
    const names = new Set(gathered.keys());
    if (dirty !== null) for (const name of this.outputs.keys()) if (!dirty.has(name)) names.add(name);
    const result: Record<string, Record<string, unknown>[]> = {};
    const outputs = new Map<string, Record<string, unknown>[]>();
    for (const name of [...names].sort()) {
      const gatheredList = gathered.get(name);
      const list = gatheredList ? assembleCluster(rctx, name, gatheredList, revision) : this.outputs.get(name)!;
      // What an entry holds moved above; a list kept from the last update also starts with the
      // Namespaces assembleCluster made for it (a list assembled now made them at this revision).
      if (!gatheredList) for (let i = 0; i < list.length && isNamespaceObject(list[i]!); i++) setRevision(list[i]!, revision);
      outputs.set(name, list);
      result[name] = list.slice();
    }
    this.outputs = outputs;
    return result;
  }
}
