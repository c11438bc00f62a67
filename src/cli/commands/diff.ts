// flotilla diff: desired state (working tree or --ref) against observed state — the last state
// recorded on the status branch (the CI dry run), or with --kubeconfig the live clusters through a
// server-side dry run (diff/live-clusters.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FlotillaError } from '../../model/diagnostics.js';
import { readRevisionFiles } from '../../source/git-revision.js';
import { renderFleet } from '../../render/render-fleet.js';
import { streamFleet } from '../../render/stream.js';
import { computeDiff, diffExitCode, type DiffReport, type LiveSource } from '../../diff/compute.js';
import { dryRunLiveClusters, liveDiffReport, liveDiffWork } from '../../diff/live-clusters.js';
import { liveStateFromFiles, type LiveState } from '../../state/applied-files.js';
import { statusBranchTip } from '../../state/branch.js';
import { formatDiffGithub, formatDiffJson, formatDiffText } from '../../diff/format.js';
import { DEFAULT_KUBE_API_OPTIONS } from '../../kube/api.js';
import { closeClusterClients, openClusterClients, readTextFileOrNull } from '../../kube/clients.js';
import type { RenderResult } from '../../render/render-fleet.js';
import { formatDiagnosticsText } from '../../model/diagnostics-format.js';
import { defaultScope, type Impersonation, type ScopeConfig } from '../../config/scope.js';
import { clusterScopedRefusal, withScope } from '../../validate/scope.js';
import { DEFAULT_STATUS_BRANCH, readConfigFlag, readFleetSource, readPrevious } from '../input.js';
import { checkFormat, parseFlags, useColor, type Command } from '../io.js';

const USAGE =
  'flotilla diff [--repo DIR] [--ref REF] [--path SUBDIR] [--status-branch NAME] [--format text|json|github]\n' +
  '              [--observed FILE|auto] [--previous FILE|auto] [--config FILE]\n' +
  '              [--kubeconfig FILE [--context-map CLUSTER=CONTEXT,…] [--secrets-dir DIR] [--timeout SECONDS]]';

export { DEFAULT_STATUS_BRANCH };

/** The status branch's recorded state (its tip, local branch first, then `origin/<name>`); null when there is none. */
export async function readStatusBranch(dir: string, branch: string): Promise<{ source: LiveSource; state: LiveState } | null> {
  const tip = await statusBranchTip(dir, branch);
  if (!tip) return null;
  const files = await tip.objects.withPackReader(() => readRevisionFiles({ dir, commit: tip.commit, objects: tip.objects }));
  return { source: { ref: tip.ref, commit: tip.commit }, state: liveStateFromFiles(files) };
}

/** `--context-map a=ctx-a,b=ctx-b` (repeatable) → {a: 'ctx-a', b: 'ctx-b'}. */
export function parseContextMap(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (values ?? []).flatMap((v) => v.split(','))) {
    if (item.trim() === '') continue;
    const m = /^\s*([^=\s]+)\s*=\s*([^=\s]+)\s*$/.exec(item);
    if (!m) throw new FlotillaError('USAGE', `--context-map wants CLUSTER=CONTEXT pairs (got "${item}")\nusage: ${USAGE}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The desired state against the live clusters: server-side dry runs, per cluster, each on its own. */
async function diffLive(input: {
  desired: RenderResult;
  recorded: { source: LiveSource; state: LiveState } | null;
  kubeconfig: string;
  contexts: Record<string, string>;
  secretsDir: string | null;
  timeoutSeconds: number;
  /** The identities of --config's kubernetes target (null: the kubeconfig's user). */
  impersonation: Impersonation | null;
  /** The scope the render was judged by: what a cluster serves cluster-wide is judged again so. */
  scope: ScopeConfig;
}): Promise<DiffReport> {
  let kubeconfigText: string;
  try {
    kubeconfigText = await readFile(input.kubeconfig, 'utf8');
  } catch (e) {
    throw new FlotillaError('KUBECONFIG_UNREADABLE', `cannot read the kubeconfig ${input.kubeconfig}: ${(e as Error).message}`);
  }
  const { desired } = input;
  const { work, paths } = liveDiffWork(desired.manifests, input.recorded?.state ?? null);
  const secretRefs = new Map(desired.model.clusters.map((c) => [c.name, c.secretRef]));
  const clients = openClusterClients(
    work.map((w) => {
      const ref = secretRefs.get(w.cluster);
      return ref ? { name: w.cluster, secretRef: ref } : { name: w.cluster };
    }),
    {
      kubeconfigText,
      kubeconfigDir: path.dirname(path.resolve(input.kubeconfig)),
      contexts: input.contexts,
      secretsDir: input.secretsDir,
      ...(input.impersonation ? { impersonation: input.impersonation } : {}),
    },
    { readFile: readTextFileOrNull, apiOptions: { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: input.timeoutSeconds * 1000 } },
  );
  try {
    const sync = await dryRunLiveClusters({
      work,
      clients,
      parallelism: desired.model.tuning.parallelism,
      revisionHasErrors: desired.diagnostics.some((d) => d.severity === 'error'),
      clusterScopedRefusal: (object) => clusterScopedRefusal(input.scope, object),
    });
    return liveDiffReport({
      desiredRevision: desired.revision,
      diagnostics: desired.diagnostics,
      sync,
      work,
      paths,
      via: clients.via,
      liveProblems: input.recorded?.state.problems ?? [],
    });
  } finally {
    closeClusterClients(clients);
  }
}

/** Prints the diff; exit 0 no difference, 2 differences, 1 errors (in the desired state, or a cluster that could not be diffed). */
export const diffCommand: Command = async (argv, io) => {
  const { values } = parseFlags(
    argv,
    {
      repo: { type: 'string' },
      ref: { type: 'string' },
      path: { type: 'string' },
      'status-branch': { type: 'string' },
      format: { type: 'string' },
      observed: { type: 'string' },
      previous: { type: 'string' },
      kubeconfig: { type: 'string' },
      'context-map': { type: 'string', multiple: true },
      'secrets-dir': { type: 'string' },
      timeout: { type: 'string' },
      config: { type: 'string' },
    },
    USAGE,
  );
  const format = checkFormat(values.format, ['text', 'json', 'github'] as const, 'text');
  if (values.kubeconfig === undefined && (values['context-map'] || values['secrets-dir'] || values.timeout)) {
    throw new FlotillaError('USAGE', `--context-map, --secrets-dir and --timeout go with --kubeconfig\nusage: ${USAGE}`);
  }
  const timeoutSeconds = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!(timeoutSeconds > 0 && timeoutSeconds <= 600))
    throw new FlotillaError('USAGE', `--timeout must be a number of seconds between 0 and 600 (got "${values.timeout}")`);
  const contexts = parseContextMap(values['context-map']);
  const dir = path.resolve(values.repo ?? '.');
  const branch = values['status-branch'] ?? DEFAULT_STATUS_BRANCH;
  const config = await readConfigFlag(values.config);

  const source = await readFleetSource({
    repo: dir,
    ref: values.ref,
    path: values.path,
    observed: values.observed,
    statusBranch: branch,
    build: config?.build,
  });
  const render = {
    files: source.files,
    revision: source.revision,
    previous: await readPrevious(values.previous, { repo: dir, statusBranch: branch, observed: source.observed }),
  };
  // Refused objects are reported and never sent, not even as a dry run.
  const scope = config?.scope ?? defaultScope();
  const kubeTarget = config?.targets.find((t) => t.type === 'kubernetes');
  const recorded = await readStatusBranch(dir, branch);
  let report: DiffReport;
  if (values.kubeconfig !== undefined) {
    // The dry run plans its work over every cluster at once, so this render is held whole.
    report = await diffLive({
      desired: withScope(renderFleet(render), scope),
      recorded,
      kubeconfig: values.kubeconfig,
      contexts,
      secretsDir: values['secrets-dir'] ? path.resolve(values['secrets-dir']) : null,
      timeoutSeconds,
      impersonation: kubeTarget?.type === 'kubernetes' ? kubeTarget.impersonation : null,
      scope,
    });
  } else {
    // Against the status branch a cluster at a time: one cluster's desired objects are alive at once.
    const desired = streamFleet(render, scope);
    report = computeDiff({
      desiredRevision: desired.revision,
      desired: desired.manifests(),
      diagnostics: () => desired.diagnostics(),
      live: recorded,
      statusBranch: branch,
    });
  }
  const code = diffExitCode(report);

  if (format === 'json') io.stdout(formatDiffJson(report, code));
  else if (format === 'github') io.stdout(formatDiffGithub(report));
  else {
    // stdout stays a patch any diff viewer reads; diagnostics go beside it.
    io.stdout(formatDiffText(report, { color: useColor(io) }));
    if (report.diagnostics.length > 0) io.stderr(formatDiagnosticsText(report.diagnostics));
  }
  return code;
};
