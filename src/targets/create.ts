// Targets from the config: directory, git branch and live Kubernetes clusters. Credentials of the
// clusters come only from the operator's side (the configured kubeconfig and secrets directory),
// never from the fleet repository.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesTargetConfig, TargetConfig } from '../config/schema.js';
import { fileInventoryStore } from '../kube/inventory.js';
import { FlotillaError } from '../model/diagnostics.js';
import type { Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import { DirectoryTarget } from './directory.js';
import type { TargetFs } from './fs.js';
import { GitBranchTarget } from './git.js';
import { DEFAULT_KUBERNETES_SETTINGS, KubernetesTarget, type FleetInfo, type KubernetesTargetSettings } from './kubernetes.js';
import type { Target } from './target.js';

/** File of the kubernetes target's inventory (what it applied per cluster) in the cache directory. */
export const KUBE_INVENTORY_FILE = 'kubernetes-inventory.json';

/** What building targets needs from the reconciler. */
export interface TargetDeps {
  git: SourceRepository;
  fs: TargetFs;
  author: () => Signature;
  /** Time for retries, timeouts and failover (the reconciler's clock). */
  clock?: { now(): number; sleep(ms: number): Promise<void> };
  /** Where the kubernetes target keeps its inventory between restarts (null: in memory). */
  cacheDir?: string | null;
  /** The fleet as last rendered: AttachedCluster secretRefs, KarmadaConfig parallelism, errors. */
  fleet?: () => FleetInfo | null;
  /** safety.maxDeletePercent, for the kubernetes target's own prune guard. */
  maxDeletePercent?: number;
}

/** Reads a file's text, or null when it does not exist. */
function readTextOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw e;
  }
}

/** The kubernetes target's settings from its config; throws KUBECONFIG_UNREADABLE when the file is missing. */
export function kubernetesSettings(t: KubernetesTargetConfig, maxDeletePercent: number): KubernetesTargetSettings {
  let kubeconfigText: string | null = null;
  if (t.kubeconfig !== null) {
    kubeconfigText = readTextOrNull(t.kubeconfig);
    // Failing the start beats reporting every cluster unreachable on every poll.
    if (kubeconfigText === null)
      throw new FlotillaError('KUBECONFIG_UNREADABLE', `kubernetes target: cannot read the kubeconfig ${t.kubeconfig}`, {
        file: t.kubeconfig,
      });
  }
  return {
    ...DEFAULT_KUBERNETES_SETTINGS,
    label: t.kubeconfig ?? `secrets:${t.secretsDir}`,
    kubeconfigText,
    kubeconfigDir: t.kubeconfig === null ? null : path.dirname(t.kubeconfig),
    contexts: t.contexts,
    secretsDir: t.secretsDir,
    dryRun: t.dryRun,
    force: t.force,
    parallelism: t.parallelism,
    timeoutSeconds: t.timeoutSeconds,
    maxDeletePercent,
    failover: { ...t.failover },
  };
}

/** Builds the configured targets. */
export function createTargets(configs: readonly TargetConfig[], deps: TargetDeps): Target[] {
  return configs.map((t): Target => {
    if (t.type === 'directory') return new DirectoryTarget(t.path, deps.fs);
    if (t.type === 'git') return new GitBranchTarget(deps.git, t.branch, deps.author);
    const clock = deps.clock ?? { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    return new KubernetesTarget(kubernetesSettings(t, deps.maxDeletePercent ?? DEFAULT_KUBERNETES_SETTINGS.maxDeletePercent), {
      readFile: readTextOrNull,
      now: () => clock.now(),
      sleep: (ms) => clock.sleep(ms),
      random: Math.random,
      ...(deps.fleet ? { fleet: deps.fleet } : {}),
      ...(deps.cacheDir ? { inventory: fileInventoryStore(path.join(deps.cacheDir, KUBE_INVENTORY_FILE)) } : {}),
    });
  });
}
