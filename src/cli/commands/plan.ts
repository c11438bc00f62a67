// flotilla plan --base REF [--head REF]: the pull-request view. Renders both revisions (head on top
// of base's placements, as the reconciler would schedule it) and prints what merging changes.
import { trafficPlan } from '../../plan/traffic.js';
import path from 'node:path';
import { FlotillaError } from '../../model/diagnostics.js';
import { readFleetDirectory } from '../../load/files.js';
import type { SourceFile } from '../../load/parse.js';
import { resolveRevision } from '../../source/git-revision.js';
import { readRevisionFilesByStore } from '../../source/objects.js';
import type { RenderSummary } from '../../render/render-fleet.js';
import type { PlanReport } from '../../plan/types.js';
import { streamFleet, streamSummary } from '../../render/stream.js';
import { computePlan, DEFAULT_MAX_MOVE, planExitCode, previousFromRender } from '../../plan/compute.js';
import { formatPlanJson } from '../../plan/format-json.js';
import { formatPlanMarkdown } from '../../plan/format-markdown.js';
import { formatPlanText } from '../../plan/format-text.js';
import { readConfigFlag, readObserved, readPrevious, withObservation } from '../input.js';
import { defaultBuildConfig, type BuildConfig } from '../../config/schema.js';
import { defaultScope } from '../../config/scope.js';
import { buildSourceFiles } from '../../generate/builder.js';
import { streamedObjectChanges } from '../../plan/objects.js';
import { checkFormat, parseFlags, useColor, type Command } from '../io.js';

const USAGE =
  'flotilla plan --base REF [--head REF] [--repo DIR] [--path SUBDIR] [--format markdown|text|json] [--max-move PCT] [--fresh]\n' +
  '              [--observed FILE|auto] [--previous FILE|auto] [--config FILE]';

/** `--max-move 30` or `30%` → 0.3; anything else outside 0..100 is a usage error. */
export function parseMaxMove(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_MOVE;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  const pct = m ? Number(m[1]) : NaN;
  if (!(pct >= 0 && pct <= 100))
    throw new FlotillaError('USAGE', `--max-move must be a percentage between 0 and 100 (got "${value}")\nusage: ${USAGE}`);
  return pct / 100;
}

/** Reads one side: a Git revision (flag names the side in errors), or the working tree when ref is undefined. */
async function readSide(
  dir: string,
  ref: string | undefined,
  subpath: string | undefined,
  flag: string,
  cache: object,
  build: BuildConfig,
): Promise<{ files: SourceFile[]; revision: string }> {
  // Kustomize and generator folders are built on both sides, as the reconciler renders them.
  if (ref === undefined)
    return { files: await buildSourceFiles(await readFleetDirectory(dir, subpath, { allFiles: true }), build), revision: 'worktree' };
  try {
    const commit = await resolveRevision({ dir, ref, cache });
    const files = await readRevisionFilesByStore({ dir, commit, subpath, cache, allFiles: true });
    return { files: await buildSourceFiles(files, build), revision: commit };
  } catch (e) {
    if (e instanceof FlotillaError) throw new FlotillaError(e.code, `${flag} ${ref}: ${e.message}`, e.data);
    throw e;
  }
}

/** The flags both `plan` and `report --base` read to compute a plan. */
export interface PlanFlags {
  base: string;
  head?: string;
  repo?: string;
  path?: string;
  'max-move'?: string;
  fresh?: boolean;
  observed?: string;
  previous?: string;
  config?: string;
}

/** Both renders and the plan between them, as `flotilla plan` computes them from its flags. */
export async function planFromFlags(values: PlanFlags): Promise<{ base: RenderSummary; head: RenderSummary; report: PlanReport }> {
  const maxMove = parseMaxMove(values['max-move']);
  const dir = path.resolve(values.repo ?? '.');
  const cache = {};
  // Both sides under the operator's scope: a pull request that steps out of its lane shows SCOPE_DENIED at file:line.
  const config = await readConfigFlag(values.config);
  const scope = config?.scope ?? defaultScope();
  const build = config?.build ?? defaultBuildConfig();

  let baseSource = await readSide(dir, values.base, values.path, '--base', cache, build);
  let headSource = await readSide(dir, values.head, values.path, '--head', cache, build);
  // The reconciler's view of the live clusters (capacity, failover) and its placements, for both sides.
  const observed = values.observed ? await readObserved(values.observed, dir) : null;
  if (observed) {
    baseSource = { ...baseSource, files: withObservation(baseSource.files, observed.clusters) };
    headSource = { ...headSource, files: withObservation(headSource.files, observed.clusters) };
  }
  // Both sides a cluster at a time: placements whole, objects compared and dropped cluster by cluster.
  const previous = await readPrevious(values.previous, { repo: dir, observed });
  const baseStream = streamFleet({ ...baseSource, previous }, scope, { details: true });
  const onBase = !values.fresh;
  const headStream = streamFleet({ ...headSource, previous: onBase ? previousFromRender(baseStream) : undefined }, scope, {
    details: true,
  });
  const objects = streamedObjectChanges(baseStream.manifests(), headStream.manifests());
  const base = streamSummary(baseStream);
  const head = streamSummary(headStream);
  const report = computePlan(base, head, { maxMove, headScheduledOnBase: onBase, objects });
  const traffic = trafficPlan(base, head, observed?.traffic ?? null);
  if (traffic) report.traffic = traffic;

  return { base, head, report };
}

/** Prints the plan; exit 0 no change, 2 changes, 1 head has errors (or a revision cannot be read). */
export const planCommand: Command = async (argv, io) => {
  const { values } = parseFlags(
    argv,
    {
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      path: { type: 'string' },
      format: { type: 'string' },
      'max-move': { type: 'string' },
      fresh: { type: 'boolean' },
      observed: { type: 'string' },
      previous: { type: 'string' },
      config: { type: 'string' },
    },
    USAGE,
  );
  if (!values.base) throw new FlotillaError('USAGE', `--base is required (the revision the pull request merges into)\nusage: ${USAGE}`);
  const format = checkFormat(values.format, ['markdown', 'text', 'json'] as const, 'text');
  const { report } = await planFromFlags({ ...values, base: values.base });

  if (format === 'json') io.stdout(formatPlanJson(report));
  else if (format === 'markdown') io.stdout(formatPlanMarkdown(report));
  else io.stdout(formatPlanText(report, { color: useColor(io) }));
  return planExitCode(report);
};
