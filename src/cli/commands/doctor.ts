// flotilla doctor --config FILE: is the reconciler set up to work? The config parses, the
// schedule is valid, kustomize and the generators' programs are there, every target is usable (a
// kubernetes target's kubeconfig is readable), the source answers, the credentials work, the
// branch exists, and what the last reconcile recorded. With a kubernetes target, every member
// cluster of the fleet: credentials resolvable, and /readyz answering within a short timeout
// (each cluster on its own). One line per check; exit 1 on any failure.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { readConfigFile, type LoadedConfig } from '../../config/load.js';
import type { BuildConfig, ReconcileConfig } from '../../config/schema.js';
import { findOnPath, kustomizeVersion } from '../../generate/tools.js';
import { silentLogger } from '../../log/logger.js';
import { FlotillaError } from '../../model/diagnostics.js';
import { systemClock, type Clock } from '../../reconcile/reconciler.js';
import { openSourceRepository } from '../../source/remote.js';
import { readStatusAt } from '../../state/branch.js';
import { kubernetesSettings } from '../../targets/create.js';
import type { KubernetesTargetSettings } from '../../targets/kubernetes.js';
import { checkClusters, describeClusterCheck } from '../../kube/check.js';
import { renderFleet } from '../../render/render-fleet.js';
import type { SourceRepository } from '../../source/remote.js';
import { Exit, parseFlags, type Command, type CommandIO } from '../io.js';
import type { KubeconfigSecretRef } from '../../kube/connections.js';

const USAGE = 'flotilla doctor --config FILE';

type Mark = 'ok' | 'warn' | 'fail' | 'skip';
const MARKS: Record<Mark, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

/** Prints one check's line; a failure makes doctor exit 1. */
type Report = (mark: Mark, check: string, detail: string) => void;

/** The doctor command with its environment and clock passed in. */
export function makeDoctorCommand(deps: { env: NodeJS.ProcessEnv; clock?: Clock }): Command {
  return async (argv: string[], io: CommandIO) => {
    const { values } = parseFlags(argv, { config: { type: 'string' } }, USAGE);
    if (!values.config) throw new FlotillaError('USAGE', `doctor needs --config FILE\nusage: ${USAGE}`);
    const clock = deps.clock ?? systemClock;
    let failed = false;
    const report: Report = (mark, check, detail) => {
      if (mark === 'fail') failed = true;
      io.stdout(`${MARKS[mark]} ${check}: ${detail}\n`);
    };

    let loaded;
    try {
      loaded = await readConfigFile(values.config, deps.env);
    } catch (e) {
      if (!(e instanceof FlotillaError)) throw e;
      report('fail', 'config', e.message);
      return Exit.ERRORS;
    }
    const { config } = loaded;
    report('ok', 'config', `${values.config} is valid`);
    report('ok', 'schedule', `"${config.source.schedule}" is a valid cron expression`);
    await checkBuildTools(config.build, report);
    const kube = checkTargets(config, report);

    const repo = await openSourceRepository({
      source: config.source,
      credentials: loaded.credentials,
      log: silentLogger(),
      sleep: clock.sleep,
    }).catch((e: unknown) => e as Error);
    if (repo instanceof Error) {
      report('fail', 'git reachable', repo.message);
      return Exit.ERRORS;
    }
    const branches = await checkGitAccess(repo, loaded, report);
    if (branches) {
      const tip = branches.get(config.source.branch);
      report(
        tip ? 'ok' : 'fail',
        'source branch',
        tip ? `${config.source.branch} at ${tip}` : `branch ${config.source.branch} does not exist`,
      );
      await checkLastReconcile(repo, config, branches, clock, report);
    }
    if (kube) {
      if (!branches?.get(config.source.branch))
        report('skip', 'clusters', 'not checked: the fleet (its member clusters) could not be read');
      else await checkLiveClusters(repo, config.source.path, kube, report);
    }
    if (config.source.transport === 'http') await checkGitCli(report);
    return failed ? Exit.ERRORS : Exit.OK;
  };
}

/** Lists the targets; returns the kubernetes target's settings (null: none), which the cluster checks need. */
function checkTargets(config: ReconcileConfig, report: Report): KubernetesTargetSettings | null {
  let kube: KubernetesTargetSettings | null = null;
  try {
    for (const t of config.targets) if (t.type === 'kubernetes') kube = kubernetesSettings(t, config.safety.maxDeletePercent);
    report(
      'ok',
      'targets',
      config.targets.length === 0
        ? 'none (status only)'
        : config.targets
            .map((t) =>
              t.type === 'directory'
                ? `directory ${t.path}`
                : t.type === 'git'
                  ? `git branch ${t.branch}`
                  : `kubernetes ${t.kubeconfig ?? t.secretsDir}`,
            )
            .join(', '),
    );
  } catch (e) {
    report('fail', 'targets', (e as Error).message);
  }
  return kube;
}

/** Whether the source answers and accepts the credentials; returns its branches and their tips (null: not reachable). */
async function checkGitAccess(repo: SourceRepository, loaded: LoadedConfig, report: Report): Promise<Map<string, string> | null> {
  const { config } = loaded;
  try {
    const branches = await repo.probe();
    report('ok', 'git reachable', `${repo.displayUrl} answers (${branches.size} branch${branches.size === 1 ? '' : 'es'})`);
    report(
      config.source.transport === 'local' ? 'skip' : 'ok',
      'auth',
      config.source.transport === 'local'
        ? 'local repository, no credentials needed'
        : loaded.credentials
          ? 'the credentials are accepted'
          : 'anonymous access works',
    );
    return branches;
  } catch (e) {
    const err = e as FlotillaError;
    if (err.code === 'AUTH_FAILED') {
      report('ok', 'git reachable', `${repo.displayUrl} answers`);
      report('fail', 'auth', err.message);
    } else {
      report('fail', 'git reachable', err.message);
      report('skip', 'auth', 'not checked');
    }
    return null;
  }
}

/** What the status branch says about the last reconcile: Synced is ok, Degraded or Progressing a warning, else a failure. */
async function checkLastReconcile(
  repo: SourceRepository,
  config: ReconcileConfig,
  branches: ReadonlyMap<string, string>,
  clock: Clock,
  report: Report,
): Promise<void> {
  if (!branches.has(config.status.branch)) {
    report('warn', 'last reconcile', `no status branch ${config.status.branch} yet: the reconciler has not run against this repository`);
    return;
  }
  try {
    if (config.source.transport === 'http') await repo.fetchSource();
    const statusTip = await repo.fetchBranch(config.status.branch);
    const snapshot = await readStatusAt(repo.objects, statusTip!);
    const s = snapshot.status;
    if (!s) report('fail', 'last reconcile', `status branch ${config.status.branch} has no readable status.yaml`);
    else {
      const age = s.reconciledAt ? ` (${describeAge(clock.now() - Date.parse(s.reconciledAt))} ago)` : '';
      const mark: Mark = s.phase === 'Synced' ? 'ok' : s.phase === 'Degraded' || s.phase === 'Progressing' ? 'warn' : 'fail';
      report(
        mark,
        'last reconcile',
        `${s.reconciledAt}${age}: ${s.phase} at ` +
          `${s.sourceRevision}${s.stage ? `, stage ${s.stage} (${s.reason})` : ''}${s.phase === 'Synced' ? '' : `: ${s.message}`}`,
      );
    }
  } catch (e) {
    report('fail', 'last reconcile', `cannot read status branch ${config.status.branch}: ${(e as Error).message}`);
  }
}

/** The kustomize Kustomize folders are built with (and its version), and each generator's program. */
async function checkBuildTools(build: BuildConfig, report: Report): Promise<void> {
  const { command, version } = await kustomizeVersion(build.kustomize.command);
  if (!command) report('warn', 'kustomize', 'neither kustomize nor kubectl is on PATH: Kustomize folders fail to build (BUILD_FAILED)');
  else if (!version) report('warn', 'kustomize', `${command.join(' ')} does not run: Kustomize folders fail to build (BUILD_FAILED)`);
  else report('ok', 'kustomize', `${command.join(' ')} (kustomize ${version})`);
  for (const g of build.generators) {
    const program = g.command[0]!;
    const found = program.includes('/')
      ? await access(program, constants.X_OK).then(
          () => program,
          () => null,
        )
      : await findOnPath(program);
    report(
      found ? 'ok' : 'warn',
      `generator ${g.name}`,
      found ? `${found} for folders with ${g.match}` : `${program} not found: its folders fail to build`,
    );
  }
}

/** An http source's cache is repacked with the git CLI: without it packs pile up. */
async function checkGitCli(report: Report): Promise<void> {
  const gitCli = await new Promise<string | null>((resolve) =>
    execFile('git', ['--version'], (err, out) => resolve(err ? null : String(out).trim())),
  );
  report(
    gitCli ? 'ok' : 'warn',
    'git CLI',
    gitCli ? `${gitCli} (used to repack the cache)` : 'not found: the cache is never repacked, packs pile up',
  );
}

/** Short enough that a dead cluster does not stall doctor; never longer than the target's own timeout. */
const PROBE_TIMEOUT_SECONDS = 5;

/** One line per member cluster of the fleet at the source branch's tip: credentials, then /readyz. */
async function checkLiveClusters(repo: SourceRepository, subpath: string, kube: KubernetesTargetSettings, report: Report): Promise<void> {
  let clusters: Array<{ name: string; secretRef?: KubeconfigSecretRef }>;
  try {
    const head = await repo.fetchSource();
    const model = renderFleet({ files: await repo.readFleetFiles(head, subpath), revision: head }).model;
    clusters = model.clusters.map((c) => (c.secretRef ? { name: c.name, secretRef: c.secretRef } : { name: c.name }));
  } catch (e) {
    report('fail', 'clusters', `cannot read the fleet's clusters: ${(e as Error).message}`);
    return;
  }
  if (clusters.length === 0) {
    report('warn', 'clusters', 'the fleet declares no member clusters');
    return;
  }
  const checks = await checkClusters(clusters, kube, {
    probeTimeoutMs: Math.min(kube.timeoutSeconds, PROBE_TIMEOUT_SECONDS) * 1000,
    parallelism: kube.parallelism ?? 10,
  });
  for (const c of checks) {
    const { ok, text } = describeClusterCheck(c);
    report(ok ? 'ok' : 'fail', `cluster ${c.cluster}`, text);
  }
  const reachable = checks.filter((c) => c.reachable).length;
  report(reachable === checks.length ? 'ok' : reachable === 0 ? 'fail' : 'warn', 'clusters', `${reachable} of ${checks.length} reachable`);
}

function describeAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'in the future?';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** `flotilla doctor`. */
export const doctorCommand: Command = (argv, io) => makeDoctorCommand({ env: process.env })(argv, io);
