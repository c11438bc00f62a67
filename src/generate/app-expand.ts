// Each sync policy of each Kurator Application becomes one file of the renderer's: its build
// output and the generated policy placing it on the destination fleet, or the problem that kept
// it from being built (docs/guide/fleet-repository.md "Kurator Applications").
import { stringify } from 'yaml';
import { scopeEntryFor } from '../config/scope.js';
import type { BuildConfig } from '../config/schema.js';
import type { BuildProblem, SourceFile } from '../load/parse.js';
import type { ApplicationFetchOptions, ApplicationRevision, FetchedSource, fetchApplicationSource } from './app-source.js';
import {
  fleetMembers,
  kustomizationInput,
  normalizePath,
  placementPolicy,
  policySourceName,
  problemAt,
  WRAPPER_FOLDER,
  type Application,
  type SyncPolicy,
} from './application.js';
import { attachRollout } from './app-rollout.js';
import type { Built } from './builder.js';
import { foreignFileIn, kustomizeClosure, type BuildFile, type BuildUnit } from './units.js';

export interface ExpandContext {
  build(unit: BuildUnit, files: readonly BuildFile[], env?: Record<string, string>): Promise<Built>;
  /** The fleet repository's files (for the plain files' Fleets). */
  fleetFiles: ReadonlyMap<string, BuildFile>;
  config: BuildConfig;
  fetch: ApplicationFetchOptions;
}

type Outcome = { text: string } | { problem: BuildProblem };

/** Adds every Application sync policy's file to `out`; returns the pinned revision of each fetched source. */
export async function expandApplications(
  apps: readonly Application[],
  out: Map<string, SourceFile>,
  ctx: ExpandContext,
): Promise<ApplicationRevision[]> {
  if (apps.length === 0) return [];
  // Loaded only for Applications: fetching brings Git and the logger in, which a fleet without any never needs.
  const { fetchApplicationSource, revisionRecord } = await import('./app-source.js');
  const members = fleetMembers([...out.values()]);
  const fetches = new Map<string, ReturnType<typeof fetchApplicationSource>>();
  const revisions: ApplicationRevision[] = [];
  for (const app of apps) {
    let fetched: FetchedSource | null = null;
    for (const policy of app.policies) {
      const name = policySourceName(app, policy);
      const outcome = await expandPolicy(app, policy, members, ctx, async (source) => {
        const key = JSON.stringify(source);
        if (!fetches.has(key)) fetches.set(key, fetchApplicationSource(source, ctx.fetch));
        const result = await fetches.get(key)!;
        if ('commit' in result) fetched = result;
        return result;
      });
      out.set(name, 'problem' in outcome ? { path: name, text: '', problem: outcome.problem } : { path: name, text: outcome.text });
    }
    if (fetched) revisions.push(revisionRecord(app, fetched));
  }
  return revisions;
}

async function expandPolicy(
  app: Application,
  policy: SyncPolicy,
  members: ReadonlyMap<string, string[]>,
  ctx: ExpandContext,
  fetch: (source: Extract<Application['source'], { kind: 'git' }>) => ReturnType<typeof fetchApplicationSource>,
): Promise<Outcome> {
  const fail = (code: BuildProblem['code'], message: string): Outcome => ({
    problem: problemAt(app, code, `syncPolicies[${policy.index}]: ${message}`),
  });
  if (!policy.destination) return fail('INVALID_POLICY', 'no destination fleet (syncPolicies[].destination or spec.destination)');
  const fleet = members.get(`${app.namespace}/${policy.destination.fleet}`);
  if (!fleet)
    return fail('INVALID_POLICY', `destination fleet "${policy.destination.fleet}" is not declared in namespace ${app.namespace}`);
  let built: Built;
  if (policy.kind === 'none') return fail('UNSUPPORTED_SOURCE', 'neither kustomization nor helm');
  if (app.source.kind === 'unsupported') return fail('UNSUPPORTED_SOURCE', `${app.source.what} is not supported`);
  if (policy.kind === 'helm') {
    const helm = ctx.config.generators.find((g) => g.name === 'helm');
    if (!helm) return fail('UNSUPPORTED_SOURCE', 'a helm sync policy needs a generator named "helm" in the config (none is configured)');
    if (app.source.kind !== 'helm') return fail('UNSUPPORTED_SOURCE', 'a helm sync policy over a gitRepository source is not supported');
    built = await buildHelm(app, policy, helm, ctx);
  } else {
    if (app.source.kind !== 'git') return fail('UNSUPPORTED_SOURCE', 'a kustomization sync policy needs a gitRepository source');
    const source = await fetch(app.source);
    if ('unsupported' in source) return fail('UNSUPPORTED_SOURCE', source.unsupported);
    if ('failed' in source) return fail('SOURCE_FETCH_FAILED', source.failed);
    const folder = normalizePath(policy.path);
    if (folder === null || (folder !== '' && ![...source.files.keys()].some((p) => p.startsWith(`${folder}/`)))) {
      return fail('SOURCE_FETCH_FAILED', `path "${policy.path}" is not a folder of ${source.url} at ${source.commit}`);
    }
    const files = kustomizationInput(source.files, policy, folder);
    const { remote, outside } = kustomizeClosure(WRAPPER_FOLDER, new Map(files.map((f) => [f.path, f])));
    // Over the fleet repository itself it reads that repository's folders: only its own scope path's (or scope.default's).
    const { scopePaths } = ctx.config;
    const foreign =
      ctx.fetch.fleetUrl !== undefined && app.source.url === ctx.fetch.fleetUrl
        ? foreignFileIn(kustomizeClosure(folder, source.files).folders, source.files, scopePaths, scopeEntryFor(scopePaths, app.file))
        : null;
    const unit: BuildUnit = {
      folder: WRAPPER_FOLDER,
      marker: app.file,
      tool: { kind: 'kustomize' },
      folders: [],
      remote,
      outside,
      foreign,
    };
    built = await ctx.build(unit, files);
  }
  if (built.problem)
    return {
      problem: {
        ...built.problem,
        file: app.file,
        line: app.line,
        message: `Application ${app.namespace}/${app.name} syncPolicies[${policy.index}]: ${built.problem.message}`,
      },
    };
  const rollout = app.rollouts.find((r) => r.index === policy.index);
  const attached = rollout ? attachRollout(built.text, app, rollout) : { text: built.text };
  if ('problem' in attached) return attached;
  return { text: attached.text + placementPolicy(app, policy, attached.text, fleet) };
}

/** The operator's helm generator over a Helm repository chart: the chart, release and values reach it as files and variables. */
function buildHelm(
  app: Application,
  policy: Extract<SyncPolicy, { kind: 'helm' }>,
  helm: BuildConfig['generators'][number],
  ctx: ExpandContext,
): Promise<Built> {
  const release = policy.release;
  const chart = (release.chart as { spec?: { chart?: unknown; version?: unknown } } | undefined)?.spec ?? {};
  const env: Record<string, string> = {
    FLOTILLA_HELM_RELEASE: typeof release.releaseName === 'string' ? release.releaseName : app.name,
    FLOTILLA_HELM_NAMESPACE: typeof release.targetNamespace === 'string' ? release.targetNamespace : app.namespace,
    FLOTILLA_HELM_CHART: typeof chart.chart === 'string' ? chart.chart : '',
    FLOTILLA_HELM_VERSION: typeof chart.version === 'string' ? chart.version : '',
    FLOTILLA_HELM_REPO_URL: app.source.kind === 'helm' ? app.source.url : '',
    FLOTILLA_HELM_VALUES: 'values.yaml',
  };
  const folder = '.flotilla-helm-release';
  const files = [{ path: `${folder}/values.yaml`, text: stringify(release.values ?? {}) }];
  const unit: BuildUnit = {
    folder,
    marker: app.file,
    tool: { kind: 'generator', generator: helm },
    folders: [folder],
    remote: null,
    outside: null,
    foreign: null,
  };
  return ctx.build(unit, files, env);
}
