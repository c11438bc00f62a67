// flotilla diff: desired state (working tree or --ref) against the last state recorded on the status
// branch — the CI dry run. Live clusters (--kubeconfig) belong to the Kubernetes stage and are
// refused until it exists, never silently ignored.
import path from 'node:path';
import { FlotillaError } from '../../model/diagnostics.js';
import { readRevisionFiles, resolveRevision } from '../../source/git-revision.js';
import { renderFleet } from '../../render/render-fleet.js';
import { computeDiff, diffExitCode, type LiveSource } from '../../diff/compute.js';
import { liveStateFromFiles, type LiveState } from '../../diff/live-state.js';
import { formatDiffGithub, formatDiffJson, formatDiffText } from '../../diff/format.js';
import { formatDiagnosticsText } from '../diagnostics-format.js';
import { readFleetSource } from '../input.js';
import { checkFormat, parseFlags, type Command } from '../io.js';

const USAGE = 'flotilla diff [--repo DIR] [--ref REF] [--path SUBDIR] [--status-branch NAME] [--format text|json|github]';

/** Default name of the status branch (CONTRACT.md). */
export const DEFAULT_STATUS_BRANCH = 'flotilla-status';

/** The status branch's tip, local branch first, then `origin/<name>`; null when neither exists. */
export async function readStatusBranch(dir: string, branch: string): Promise<{ source: LiveSource; state: LiveState } | null> {
  const cache = {};
  for (const ref of [branch, `origin/${branch}`]) {
    let commit: string;
    try {
      commit = await resolveRevision({ dir, ref, cache });
    } catch (e) {
      if (e instanceof FlotillaError && e.code === 'UNKNOWN_REF') continue;
      throw e;
    }
    const files = await readRevisionFiles({ dir, commit, cache });
    return { source: { ref, commit }, state: liveStateFromFiles(files) };
  }
  return null;
}

/** Prints the diff; exit 0 no difference, 2 differences, 1 errors in the desired state. */
export const diffCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(
    argv,
    {
      repo: { type: 'string' },
      ref: { type: 'string' },
      path: { type: 'string' },
      'status-branch': { type: 'string' },
      format: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new FlotillaError('USAGE', `unexpected argument "${positionals[0]}"\nusage: ${USAGE}`);
  if (values.kubeconfig !== undefined) {
    throw new FlotillaError(
      'NOT_IMPLEMENTED',
      'diff against live clusters (--kubeconfig, server-side dry-run) is not implemented yet; without --kubeconfig, flotilla diff compares with the state recorded on the status branch',
    );
  }
  const format = checkFormat(values.format, ['text', 'json', 'github'] as const, 'text');
  const dir = path.resolve(values.repo ?? '.');
  const branch = values['status-branch'] ?? DEFAULT_STATUS_BRANCH;

  const source = await readFleetSource({ repo: dir, ref: values.ref, path: values.path });
  const desired = renderFleet(source);
  const live = await readStatusBranch(dir, branch);
  const report = computeDiff({ desiredRevision: desired.revision, desired: desired.manifests, diagnostics: desired.diagnostics, live, statusBranch: branch });
  const code = diffExitCode(report);

  if (format === 'json') io.stdout(formatDiffJson(report, code));
  else if (format === 'github') io.stdout(formatDiffGithub(report));
  else {
    // stdout stays a patch any diff viewer reads; diagnostics go beside it.
    io.stdout(formatDiffText(report, { color: io.isTTY }));
    if (report.diagnostics.length > 0) io.stderr(formatDiagnosticsText(report.diagnostics));
  }
  return code;
};
