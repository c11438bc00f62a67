// The JSON document of docs/reference/contract.md (`flotilla render --format json`), built from a RenderResult.
import type { PlacementResult, PreviousPlacement } from '../model/types.js';
import { FlotillaError } from '../model/diagnostics.js';
import type { RenderResult } from './render-fleet.js';
import { versionedKey } from '../objects/identity.js';
import { sortKeysDeep } from '../objects/serialize.js';

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
  return out;
}

/** The whole render document; manifests keep their own (sorted) key order. */
export function renderJson(r: RenderResult): Record<string, unknown> {
  return {
    revision: r.revision,
    clusters: r.clusters.map((c) => ({
      name: c.name,
      labels: sortKeysDeep(c.labels),
      ready: c.ready,
      provider: c.provider,
      region: c.region,
      zones: c.zones,
      fleets: c.fleets,
    })),
    placements: r.placements.map(placementJson),
    manifests: sortKeysDeep(r.manifests),
    diagnostics: r.diagnostics,
  };
}

/** Reads the `placements` of a previous render document (`--previous FILE`). */
export function previousFromJson(text: string, file: string): Map<string, PreviousPlacement> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new FlotillaError('INVALID_PREVIOUS', `${file}: not JSON: ${(e as Error).message}`);
  }
  const placements = (doc as { placements?: unknown })?.placements;
  if (!Array.isArray(placements))
    throw new FlotillaError(
      'INVALID_PREVIOUS',
      `${file}: expected an object with a "placements" array (the output of flotilla render --format json)`,
    );
  const out = new Map<string, PreviousPlacement>();
  placements.forEach((p: any, i: number) => {
    const r = p?.resource;
    if (!r || typeof r.kind !== 'string' || typeof r.name !== 'string' || !Array.isArray(p.clusters)) {
      throw new FlotillaError(
        'INVALID_PREVIOUS',
        `${file}: placements[${i}] needs resource {apiVersion, kind, namespace, name} and clusters[]`,
      );
    }
    const clusters = p.clusters.map((c: any) => ({ name: String(c?.name), replicas: typeof c?.replicas === 'number' ? c.replicas : null }));
    out.set(versionedKey({ apiVersion: String(r.apiVersion ?? ''), kind: r.kind, namespace: String(r.namespace ?? ''), name: r.name }), {
      clusters,
      affinityName: typeof p.affinityName === 'string' ? p.affinityName : null,
    });
  });
  return out;
}
