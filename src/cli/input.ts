// Reads the fleet a command works on: the working tree of --repo, or a Git revision of it — and,
// to reproduce the reconciler's split in CI, what it observed on the live clusters (--observed)
// and the placements it recorded (--previous auto), both read from its status branch.
import { withTrafficApplied } from '../render/traffic.js';
import { trafficDeclarations } from '../traffic/declarations.js';
import { replayTraffic, type TrafficRecord } from '../traffic/decide.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readFleetDirectory } from '../load/files.js';
import type { SourceFile } from '../load/parse.js';
import { DiagnosticSink, FlotillaError } from '../model/diagnostics.js';
import { evictFromPrevious } from '../live/failover.js';
import {
  evictedByObservation,
  OBSERVED_CLUSTERS_FILE,
  overlayObserved,
  parseObservedClusters,
  type ObservedCluster,
} from '../live/observed.js';
import { parseEvictionDocuments, withApplicationEvictions, type EvictionTask } from '../live/application-failover.js';
import { DEFAULT_STATUS_BRANCH, defaultBuildConfig, type BuildConfig, type ReconcileConfig } from '../config/schema.js';
import { buildSourceFiles } from '../generate/builder.js';
import { defaultScope, type ScopeConfig } from '../config/scope.js';
import { withScope } from '../validate/scope.js';
// Git (--ref, the status branch) and the config file (--config) are imported where a flag asks for
// them: isomorphic-git and node-cron take a noticeable share of a plain `render`'s start-up.
import { previousFromJson } from '../render/contract.js';
import { renderFleet, type RenderResult } from '../render/render-fleet.js';
import { streamFleet, type StreamedRender } from '../render/stream.js';
import type { PreviousPlacement } from '../model/types.js';

/** The reconciler's status branch (docs/reference/contract.md). */
export { DEFAULT_STATUS_BRANCH };

/**
 * The flags every command that renders a revision takes, declared once so `render`, `validate`,
 * `explain` and `get` always read the fleet the same way (and reproduce the reconciler's split alike).
 */
export const FLEET_FLAGS = {
  repo: { type: 'string' },
  ref: { type: 'string' },
  path: { type: 'string' },
  previous: { type: 'string' },
  observed: { type: 'string' },
  'status-branch': { type: 'string' },
  format: { type: 'string' },
  config: { type: 'string' },
} as const;

/** The usage text of FLEET_FLAGS. */
export const FLEET_FLAGS_USAGE =
  '[--repo DIR] [--ref REF] [--path SUBDIR] [--previous FILE|auto] [--observed FILE|auto] [--status-branch NAME] [--config FILE]';

/** FleetSourceOptions (and --previous) from parsed FLEET_FLAGS values. */
export function fleetOptions(values: {
  repo?: string;
  ref?: string;
  path?: string;
  previous?: string;
  observed?: string;
  'status-branch'?: string;
  config?: string;
}): FleetSourceOptions & { previous?: string; config?: string } {
  return {
    repo: values.repo,
    ref: values.ref,
    path: values.path,
    previous: values.previous,
    observed: values.observed,
    statusBranch: values['status-branch'],
    config: values.config,
  };
}

/**
 * `--config FILE`: the reconciler's flotilla.yaml, read for what the rendering commands need (its
 * scope, the kubernetes target) without its secrets, so CI needs none of them. Null without the flag.
 */
export async function readConfigFlag(file: string | undefined): Promise<ReconcileConfig | null> {
  if (file === undefined) return null;
  const { readConfigFile } = await import('../config/load.js');
  return (await readConfigFile(file, null)).config;
}

export interface FleetSourceOptions {
  repo?: string;
  ref?: string;
  path?: string;
  /** `auto` (the status branch's observed-clusters.yaml, nothing when there is none) or a file of observed Karmada Clusters. */
  observed?: string;
  /** Status branch for `auto` (default flotilla-status, then origin/<name>). */
  statusBranch?: string;
  /** How Kustomize and generator folders are built: `--config`'s, or kustomize from PATH and no generators. */
  build?: BuildConfig;
}

/** Where an observation came from and what it says. */
export interface ObservedInput {
  from: string;
  clusters: ObservedCluster[];
  /** Application failover's evictions recorded with the observation (absent: none). */
  evictions?: EvictionTask[];
  /** The traffic decisions the reconciler recorded (traffic.yaml; `--observed auto` only), null: none. */
  traffic?: TrafficRecord | null;
}

/**
 * Files and revision of the fleet: a commit (40-hex) when --ref is given, else "worktree". With
 * `observed`, the observation is laid over the files exactly as the reconciler does
 * (overlayObserved: the observed-clusters file added, repository Karmada Clusters carrying it).
 */
export async function readFleetSource(
  opts: FleetSourceOptions,
): Promise<{ files: SourceFile[]; revision: string; observed: ObservedInput | null }> {
  const dir = path.resolve(opts.repo ?? '.');
  let files: SourceFile[];
  let revision: string;
  if (opts.ref) {
    const { resolveRevision } = await import('../source/git-revision.js');
    const { readRevisionFilesByStore } = await import('../source/objects.js');
    const commit = await resolveRevision({ dir, ref: opts.ref });
    files = await readRevisionFilesByStore({ dir, commit, subpath: opts.path, allFiles: true });
    revision = commit;
  } else {
    files = await readFleetDirectory(dir, opts.path, { allFiles: true });
    revision = 'worktree';
  }
  // Kustomize and generator folders become their build output, as the reconciler renders them.
  files = await buildSourceFiles(files, opts.build ?? defaultBuildConfig());
  const observed = opts.observed ? await readObserved(opts.observed, dir, opts.statusBranch) : null;
  if (observed) files = withObservation(files, observed.clusters);
  return { files, revision, observed };
}

/** The files with the observation laid over them, as the reconciler renders them. */
export function withObservation(files: readonly SourceFile[], clusters: readonly ObservedCluster[]): SourceFile[] {
  const repo = files.filter((f) => f.path !== OBSERVED_CLUSTERS_FILE);
  const overlay = overlayObserved(
    repo.map((f) => ({ path: f.path, text: f.text })),
    clusters,
  );
  return [
    ...repo.map((f) => (overlay.patched.has(f.path) ? { ...f, text: overlay.patched.get(f.path)! } : f)),
    { path: overlay.file.path, text: overlay.file.text },
  ];
}

/** `--observed auto|FILE`: auto reads the status branch and is silently nothing without one. */
export async function readObserved(value: string, repo: string, statusBranch?: string): Promise<ObservedInput | null> {
  if (value === 'auto') {
    const [{ statusBranchTip }, { OBSERVED_FILE }, { readTrafficAt }] = await Promise.all([
      import('../state/branch.js'),
      import('../state/document.js'),
      import('../state/traffic.js'),
    ]);
    const tip = await statusBranchTip(repo, statusBranch ?? DEFAULT_STATUS_BRANCH);
    if (!tip) return null;
    const text = await tip.objects.readTextAt(tip.commit, OBSERVED_FILE);
    if (text === null) return null;
    return { ...parseObservedText(text, `${tip.ref}:${OBSERVED_FILE}`), traffic: await readTrafficAt(tip.objects, tip.commit) };
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (e) {
    throw new FlotillaError('USAGE', `--observed ${value}: ${(e as Error).message}`);
  }
  return parseObservedText(text, value);
}

function parseObservedText(text: string, from: string): ObservedInput {
  try {
    const evictions = parseEvictionDocuments(text);
    return { from, clusters: parseObservedClusters(text), ...(evictions.length > 0 ? { evictions } : {}) };
  } catch (e) {
    throw new FlotillaError('INVALID_OBSERVED', `${from}: ${(e as Error).message}`);
  }
}

/**
 * `--previous FILE|auto`: auto reads the placements the reconciler recorded in the status branch's
 * status.yaml (nothing when there is none). With an observation, clusters it shows evicted
 * (NoExecute) are taken out, as the reconciler does before it schedules.
 */
export async function readPrevious(
  value: string | undefined,
  opts: { repo?: string; statusBranch?: string; observed?: ObservedInput | null } = {},
): Promise<Map<string, PreviousPlacement> | undefined> {
  if (!value) return undefined;
  let previous: Map<string, PreviousPlacement> | undefined;
  if (value === 'auto') {
    const [{ statusBranchTip }, { parseStatus, previousOfStatus, STATUS_FILE }] = await Promise.all([
      import('../state/branch.js'),
      import('../state/document.js'),
    ]);
    const tip = await statusBranchTip(path.resolve(opts.repo ?? '.'), opts.statusBranch ?? DEFAULT_STATUS_BRANCH);
    const text = tip ? await tip.objects.readTextAt(tip.commit, STATUS_FILE) : null;
    const status = text === null ? null : parseStatus(text);
    if (!status) return undefined;
    previous = previousOfStatus(status, `${tip!.ref}:${STATUS_FILE}`);
  } else {
    previous = previousFromJson(await readFile(value, 'utf8'), value);
  }
  const evicted = opts.observed ? evictedByObservation(opts.observed.clusters) : [];
  const afterClusters = evicted.length > 0 ? evictFromPrevious(previous, evicted) : previous;
  // Application failover's evictions, as the reconciler applies them before it schedules.
  return new Map(withApplicationEvictions(afterClusters, opts.observed?.evictions ?? []));
}

/** Reads and renders in one step, as most commands need, judged by the scope of `config` (the defaults without). */
export async function renderFromOptions(opts: FleetSourceOptions & { previous?: string; config?: string }): Promise<RenderResult> {
  return (await renderWithTraffic(opts)).result;
}

/**
 * renderFromOptions, and with `--observed auto` the traffic decisions the reconciler recorded
 * written into the render as it applied them (docs/guide/traffic.md "Where the numbers are").
 */
export async function renderWithTraffic(
  opts: FleetSourceOptions & { previous?: string; config?: string },
): Promise<{ result: RenderResult; traffic: TrafficRecord | null }> {
  const { scope, input, traffic } = await readRenderInput(opts);
  const result = renderFleet(input);
  return { result: withScope(traffic ? withRecordedTraffic(result, traffic) : result, scope), traffic };
}

/**
 * What renderWithTraffic and streamFromOptions both read: `--config`'s scope and build, the built
 * files, the previous placements and the recorded traffic decisions.
 */
async function readRenderInput(opts: FleetSourceOptions & { previous?: string; config?: string }): Promise<{
  scope: ScopeConfig;
  input: { files: SourceFile[]; revision: string; previous: Map<string, PreviousPlacement> | undefined };
  traffic: TrafficRecord | null;
}> {
  const config = await readConfigFlag(opts.config);
  const { files, revision, observed } = await readFleetSource({ ...opts, build: config?.build ?? opts.build });
  const previous = await readPrevious(opts.previous, { repo: opts.repo, statusBranch: opts.statusBranch, observed });
  return { scope: config?.scope ?? defaultScope(), input: { files, revision, previous }, traffic: observed?.traffic ?? null };
}

/** The render with the recorded traffic decisions written in (replayTraffic), as the reconciler applied them. */
export function withRecordedTraffic(result: RenderResult, record: TrafficRecord): RenderResult {
  const declarations = trafficDeclarations(result.model, new DiagnosticSink());
  const { routes, canaries } = replayTraffic({ model: result.model, placements: result.placements, declarations }, record);
  return routes.length === 0 && canaries.length === 0 ? result : withTrafficApplied(result, routes, canaries);
}

/**
 * Reads and places now, renders a cluster at a time as the manifests are iterated: what
 * renderFromOptions returns, without every rendered object in memory at once.
 */
export async function streamFromOptions(opts: FleetSourceOptions & { previous?: string; config?: string }): Promise<StreamedRender> {
  const { scope, input, traffic } = await readRenderInput(opts);
  // Recorded traffic decisions rewrite objects across clusters (a VirtualService on one, canaries on others): whole render.
  if (traffic) return streamOfResult(withScope(withRecordedTraffic(renderFleet(input), traffic), scope));
  return streamFleet(input, scope);
}

/** A whole render offered as a stream (its objects are all in memory already). */
function streamOfResult(result: RenderResult): StreamedRender {
  const errors = result.diagnostics.some((d) => d.severity === 'error');
  return {
    revision: result.revision,
    clusters: result.clusters,
    placements: result.placements,
    model: result.model,
    *manifests() {
      yield* Object.entries(result.manifests);
    },
    hasErrors: () => errors,
    diagnostics: () => result.diagnostics,
  };
}
