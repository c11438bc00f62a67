// The JSON document of docs/reference/contract.md (`flotilla render --format json`), built from a RenderResult.
import type { PlacementResult, PolicyRef, PreviousPlacement } from '../model/types.js';
import { isMap } from '../objects/json.js';
import { FlotillaError } from '../model/diagnostics.js';
import type { ClusterSummary, RenderResult } from './render-fleet.js';
import { versionedKey } from '../objects/identity.js';
import { sortKeysDeep, sortedJsonWriter, sortedKeys } from '../objects/serialize.js';

/** The contract's placement entry (plus `affinityName`, which `--previous` needs for clusterAffinities). */
export function placementJson(p: PlacementResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: p.resource,
    policy: p.policy,
    replicas: p.replicas,
    clusters: p.clusters,
    error: p.error,
  };
  if (p.affinityName) out.affinityName = p.affinityName;
  // Sticky claims (docs/reference/semantics.md §2.2) and Lazy activation (§2.3) read these back as the next previous result.
  if (p.claim?.since) out.claimedSince = p.claim.since;
  if (p.templateHash) out.templateHash = p.templateHash;
  if (p.suspendedClusters && p.suspendedClusters.length > 0) out.suspendedClusters = p.suspendedClusters;
  return out;
}

/**
 * A placement of a render at `revision` as the next render's previous result: its clusters,
 * affinity, claim and template hash. A claim without a record (a render with no previous result)
 * holds at least since that revision.
 */
export function previousOfPlacement(p: PlacementResult, revision: string): PreviousPlacement {
  const out: PreviousPlacement = {
    clusters: p.clusters.map((c) => ({ name: c.name, replicas: c.replicas })),
    affinityName: p.affinityName ?? null,
  };
  out.policy = p.policy;
  const since = p.claim ? p.claim.since : p.policy ? revision : null;
  if (since) out.claimedSince = since;
  if (p.templateHash) out.templateHash = p.templateHash;
  return out;
}

function policyRefOf(value: unknown): PolicyRef | null {
  if (!isMap(value) || typeof value.name !== 'string') return null;
  const kind = value.kind;
  if (kind !== 'PropagationPolicy' && kind !== 'ClusterPropagationPolicy' && kind !== 'Fleet') return null;
  return { kind, namespace: typeof value.namespace === 'string' ? value.namespace : '', name: value.name };
}

/** A cluster of the render document, its labels in sorted order from the start. */
function clusterJson(c: ClusterSummary): Record<string, unknown> {
  const labels: Record<string, string> = {};
  for (const key of sortedKeys(c.labels)) labels[key] = c.labels[key]!;
  return { name: c.name, labels, ready: c.ready, provider: c.provider, region: c.region, zones: c.zones, fleets: c.fleets };
}

/** The whole render document as a value; manifests with their keys sorted at every level. */
export function renderJson(r: RenderResult): Record<string, unknown> {
  return {
    revision: r.revision,
    clusters: r.clusters.map(clusterJson),
    placements: r.placements.map(placementJson),
    manifests: sortKeysDeep(r.manifests),
    diagnostics: r.diagnostics,
  };
}

const GAP = '  ';

/** JSON.stringify(value, null, 2) for a value written `depth` levels deep ("null" where JSON has no text for it). */
function nestedJson(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  // JSON escapes every line break inside strings, so each newline of the text starts a line to indent.
  return text === undefined ? 'null' : depth === 0 ? text : text.replaceAll('\n', `\n${GAP.repeat(depth)}`);
}

/** An array at `depth`, one chunk per item, laid out as JSON.stringify(…, null, 2) lays it out. */
function* arrayChunks<T>(items: readonly T[], depth: number, itemJson: (item: T, depth: number) => string): Generator<string> {
  if (items.length === 0) {
    yield '[]';
    return;
  }
  const inner = `\n${GAP.repeat(depth + 1)}`;
  for (let i = 0; i < items.length; i++) yield `${i === 0 ? '[' : ','}${inner}${itemJson(items[i]!, depth + 1)}`;
  yield `\n${GAP.repeat(depth)}]`;
}

/**
 * The render document's text (docs/reference/contract.md), piece by piece — a cluster, a placement, a
 * manifest at a time — so that a large fleet's document is written as it is made, never held whole.
 * The pieces join to JSON.stringify(renderJson(r), null, 2) + "\n", byte for byte, without the
 * sorted copy of every manifest: each object's keys are put in order as it is written.
 */
export function renderJsonChunks(r: RenderResult): Generator<string> {
  const clusters = sortedKeys(r.manifests);
  return renderDocumentChunks({
    ...r,
    manifests: clusters.map((c) => [c, r.manifests[c]!] as const),
    diagnostics: () => r.diagnostics,
  });
}

/** What the render document is written from: the manifests as they come, in record order, then the diagnostics. */
export interface RenderDocumentSource {
  revision: string;
  clusters: readonly ClusterSummary[];
  placements: readonly PlacementResult[];
  manifests: Iterable<readonly [string, readonly Record<string, unknown>[]]>;
  /** Asked for once every manifest is written (a streamed render knows them only then). */
  diagnostics: () => readonly unknown[];
}

/**
 * The render document written in three parts — head, one cluster's manifests at a time, tail — for
 * a caller that gets the manifests a cluster at a time (render/stream.ts) and must not hold them.
 * One writer per document.
 */
export class RenderDocumentWriter {
  private readonly manifestJson = sortedJsonWriter();
  private clustersWritten = 0;

  /** Revision, clusters, placements, and the opening of the manifests. */
  *head(r: Pick<RenderDocumentSource, 'revision' | 'clusters' | 'placements'>): Generator<string> {
    yield `{\n${GAP}"revision": ${nestedJson(r.revision, 1)},\n${GAP}"clusters": `;
    yield* arrayChunks(r.clusters, 1, (c, depth) => nestedJson(clusterJson(c), depth));
    yield `,\n${GAP}"placements": `;
    yield* arrayChunks(r.placements, 1, (p, depth) => nestedJson(placementJson(p), depth));
    yield `,\n${GAP}"manifests": `;
  }

  /** One cluster's manifests, keys in order; clusters come in the manifests record's order. */
  *cluster(name: string, objects: readonly Record<string, unknown>[]): Generator<string> {
    yield `${this.clustersWritten++ === 0 ? '{' : ','}\n${GAP.repeat(2)}${JSON.stringify(name)}: `;
    yield* arrayChunks(objects, 2, (o, depth) => this.manifestJson(o, depth) ?? 'null');
  }

  /** The end of the manifests, the diagnostics and the end of the document. */
  *tail(diagnostics: readonly unknown[]): Generator<string> {
    yield this.clustersWritten === 0 ? '{}' : `\n${GAP}}`;
    yield `,\n${GAP}"diagnostics": `;
    yield* arrayChunks(diagnostics, 1, (d, depth) => nestedJson(d, depth));
    yield '\n}\n';
  }
}

/** renderJsonChunks over manifests that arrive a cluster at a time: the same bytes. */
export function* renderDocumentChunks(r: RenderDocumentSource): Generator<string> {
  const writer = new RenderDocumentWriter();
  yield* writer.head(r);
  for (const [cluster, objects] of r.manifests) yield* writer.cluster(cluster, objects);
  yield* writer.tail(r.diagnostics());
}

/** Reads the `placements` of a previous render document (`--previous FILE`). */
export function previousFromJson(text: string, file: string): Map<string, PreviousPlacement> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new FlotillaError('INVALID_PREVIOUS', `${file}: not JSON: ${(e as Error).message}`);
  }
  return previousOf((doc as { placements?: unknown })?.placements, file, (n) => n);
}

/**
 * previousFromJson(JSON.stringify({placements})) of `placements` that JSON.parse made (status.yaml's JSON
 * lines): the same result without writing and parsing them again, a tenth of a restart's status read.
 */
export function previousFromPlacements(placements: unknown, file: string): Map<string, PreviousPlacement> {
  // What that round trip does to a number JSON.parse can give: -0 and ±Infinity (1e999) are written 0 and null.
  return previousOf(placements, file, (n) => (Number.isFinite(n) ? n + 0 : null));
}

function previousOf(placements: unknown, file: string, replicasOf: (n: number) => number | null): Map<string, PreviousPlacement> {
  if (!Array.isArray(placements))
    throw new FlotillaError(
      'INVALID_PREVIOUS',
      `${file}: expected an object with a "placements" array (the output of flotilla render --format json)`,
    );
  const out = new Map<string, PreviousPlacement>();
  placements.forEach((entry: unknown, i: number) => {
    const p = isMap(entry) ? entry : {};
    const r = isMap(p.resource) ? p.resource : null;
    if (!r || typeof r.kind !== 'string' || typeof r.name !== 'string' || !Array.isArray(p.clusters)) {
      throw new FlotillaError(
        'INVALID_PREVIOUS',
        `${file}: placements[${i}] needs resource {apiVersion, kind, namespace, name} and clusters[]`,
      );
    }
    const clusters = (p.clusters as unknown[]).map((item) => {
      const c = isMap(item) ? item : {};
      return { name: String(c.name), replicas: typeof c.replicas === 'number' ? replicasOf(c.replicas) : null };
    });
    const previous: PreviousPlacement = { clusters, affinityName: typeof p.affinityName === 'string' ? p.affinityName : null };
    if ('policy' in p) previous.policy = policyRefOf(p.policy);
    if (typeof p.claimedSince === 'string') previous.claimedSince = p.claimedSince;
    if (typeof p.templateHash === 'string') previous.templateHash = p.templateHash;
    out.set(
      versionedKey({ apiVersion: String(r.apiVersion ?? ''), kind: r.kind, namespace: String(r.namespace ?? ''), name: r.name }),
      previous,
    );
  });
  return out;
}
