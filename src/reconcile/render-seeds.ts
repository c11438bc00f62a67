// The render index's `seeds` field (src/reconcile/render-index.ts): the flotilla version that wrote
// the index, and what the renderer kept for a later process (src/render/incremental/seeds.ts). A new
// build may parse, schedule or render differently, so an index another version wrote is not used
// at all. The checksum guards the bytes; the shape is checked here so a seed is always what
// IncrementalRenderer expects, and a seed that is wrong in content only costs its reuse.
import { readFileSync } from 'node:fs';
import { isMap } from '../objects/json.js';
import type { RendererSeeds } from '../render/incremental.js';
import type { RenderSeed, ScheduleSeed } from '../render/incremental/seeds.js';

/** The package's version: package.json sits two folders above this module in src/ and in dist/. */
export const FLOTILLA_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** The field as written. */
export interface SeedsField {
  flotilla: string;
  renderer: RendererSeeds | null;
}

export function seedsField(renderer: RendererSeeds | null, version = FLOTILLA_VERSION): SeedsField {
  return { flotilla: version, renderer };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): boolean => Number.isSafeInteger(v);
const isList = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);
const isRef = (v: unknown): boolean => isMap(v) && [v.apiVersion, v.kind, v.namespace, v.name].every(isString);
const isTarget = (v: unknown): boolean => isMap(v) && isString(v.name) && (v.replicas === null || isInt(v.replicas));
const isPrevious = (v: unknown): boolean => v === null || (isMap(v) && isList(v.clusters, isTarget));
const isDiagnostic = (d: unknown): boolean =>
  isMap(d) && isString(d.severity) && isString(d.code) && isString(d.message) && (d.file === null || isString(d.file));

function isPlacement(p: unknown): boolean {
  return (
    isMap(p) &&
    isRef(p.resource) &&
    (p.replicas === null || isInt(p.replicas)) &&
    isList(p.clusters, isTarget) &&
    (p.error === null || isString(p.error)) &&
    Array.isArray(p.explanation) &&
    Array.isArray(p.verdicts)
  );
}

const located = (s: Record<string, unknown>): boolean => isString(s.key) && isString(s.file) && isInt(s.index);

function isScheduleSeed(s: unknown): s is ScheduleSeed {
  return (
    isMap(s) &&
    located(s) &&
    isString(s.claimSig) &&
    typeof s.claimSticky === 'boolean' &&
    typeof s.follower === 'boolean' &&
    isPrevious(s.claimPrevious) &&
    isPrevious(s.previous) &&
    (s.claimRecord === null || isMap(s.claimRecord)) &&
    (s.follower ? s.result === null : isPlacement(s.result)) &&
    isList(s.diagnostics, isDiagnostic)
  );
}

function isRenderSeed(s: unknown): s is RenderSeed {
  const pair = (o: unknown) => Array.isArray(o) && o.length === 2 && isString(o[0]) && isString(o[1]);
  return isMap(s) && located(s) && [s.placementSig, s.overrideSig, s.boundsSig].every(isString) && isList(s.objects, pair);
}

/** The renderer's seeds in a decoded `seeds` field, or why the index may not be used. */
export function readSeedsField(field: unknown, version = FLOTILLA_VERSION): { renderer: RendererSeeds | null } | { problem: string } {
  if (!isMap(field) || !isString(field.flotilla)) return { problem: 'no flotilla version' };
  if (field.flotilla !== version) return { problem: `written by flotilla ${field.flotilla}, this is ${version}` };
  const r = field.renderer;
  if (r === null) return { renderer: null };
  if (!isMap(r) || !isString(r.clusters) || !isString(r.claims) || !isList(r.schedules, isScheduleSeed) || !isList(r.renders, isRenderSeed))
    return { problem: 'malformed seeds' };
  return { renderer: r as unknown as RendererSeeds };
}
