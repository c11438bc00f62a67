// flotilla plan --base REF [--head REF]: the pull-request view. Renders both revisions (head on top
// of base's placements, as the reconciler would schedule it) and prints what merging changes.
import path from 'node:path';
import { FlotillaError } from '../../model/diagnostics.js';
import { readFleetDirectory } from '../../load/files.js';
import type { SourceFile } from '../../load/parse.js';
import { readRevisionFiles, resolveRevision } from '../../source/git-revision.js';
import { streamFleet, streamSummary } from '../../render/stream.js';
import { computePlan, DEFAULT_MAX_MOVE, planExitCode, previousFromRender } from '../../plan/compute.js';
import { formatPlanJson } from '../../plan/format-json.js';
import { formatPlanMarkdown } from '../../plan/format-markdown.js';
import { formatPlanText } from '../../plan/format-text.js';
import { streamedObjectChanges } from '../../plan/objects.js';
import { readObserved, readPrevious, readScopeFlag, withObservation } from '../input.js';
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
): Promise<{ files: SourceFile[]; revision: string }> {
  if (ref === undefined) return { files: await readFleetDirectory(dir, subpath), revision: 'worktree' };
  try {
    const commit = await resolveRevision({ dir, ref, cache });
    return { files: await readRevisionFiles({ dir, commit, subpath, cache }), revision: commit };
  } catch (e) {
    if (e instanceof FlotillaError) throw new FlotillaError(e.code, `${flag} ${ref}: ${e.message}`, e.data);
    throw e;
  }
}

/** Prints the plan; exit 0 no change, 2 changes, 1 head has errors (or a revision cannot be read). */
export const planCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(
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
  if (positionals.length > 0) throw new FlotillaError('USAGE', `unexpected argument "${positionals[0]}"\nusage: ${USAGE}`);
  if (!values.base) throw new FlotillaError('USAGE', `--base is required (the revision the pull request merges into)\nusage: ${USAGE}`);
  const format = checkFormat(values.format, ['markdown', 'text', 'json'] as const, 'text');
  const maxMove = parseMaxMove(values['max-move']);
  const dir = path.resolve(values.repo ?? '.');
  const cache = {};
  // Both sides under the operator's scope: a pull request that steps out of its lane shows SCOPE_DENIED at file:line.
  const scope = await readScopeFlag(values.config);

  let baseSource = await readSide(dir, values.base, values.path, '--base', cache);
  let headSource = await readSide(dir, values.head, values.path, '--head', cache);
  // The reconciler's view of the live clusters (capacity, failover) and its placements, for both sides.
  const observed = values.observed ? await readObserved(values.observed, dir) : null;
  if (observed) {
    baseSource = { ...baseSource, files: withObservation(baseSource.files, observed.clusters) };
    headSource = { ...headSource, files: withObservation(headSource.files, observed.clusters) };
  }
  // Both sides a cluster at a time: placements whole, objects compared and dropped cluster by cluster.
  const base = streamFleet({ ...baseSource, previous: await readPrevious(values.previous, { repo: dir, observed }) }, scope, {
    details: true,
  });
  const onBase = !values.fresh;
  const head = streamFleet({ ...headSource, previous: onBase ? previousFromRender(base) : undefined }, scope, { details: true });
  const objects = streamedObjectChanges(base.manifests(), head.manifests());
  const report = computePlan(streamSummary(base), streamSummary(head), { maxMove, headScheduledOnBase: onBase, objects });

  if (format === 'json') io.stdout(formatPlanJson(report));
  else if (format === 'markdown') io.stdout(formatPlanMarkdown(report));
  else io.stdout(formatPlanText(report, { color: useColor(io) }));
  return planExitCode(report);
};
