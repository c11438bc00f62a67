// Targets from the config: directory, git branch and live Kubernetes clusters. Credentials of the
// clusters come only from the operator's side (the configured kubeconfig and secrets directory),
// never from the fleet repository. With a kubernetes target, createTargetSet also makes the live
// fleet (src/live/live-fleet.ts) over the target's connections: the port through which the
// reconciler observes the clusters and runs failover, while the target only applies.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesTargetConfig, TargetConfig } from '../config/schema.js';
import { fileInventoryStore } from '../kube/inventory.js';
import { LiveClusters, type LiveFleet } from '../live/live-fleet.js';
import { FlotillaError } from '../model/diagnostics.js';
import { safeSegment } from '../objects/layout.js';
import type { Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import { DirectoryTarget } from './directory.js';
import type { TargetFs } from './fs.js';
import { GitBranchTarget } from './git.js';
import { DEFAULT_KUBERNETES_SETTINGS, KubernetesTarget, type KubernetesTargetDeps, type KubernetesTargetSettings } from './kubernetes.js';
import type { FleetInfo, Target } from './target.js';

/** File of the kubernetes target's inventory (what it applied per cluster) in the cache directory. */
export const KUBE_INVENTORY_FILE = 'kubernetes-inventory.json';

/** Folder of a cluster's own inventory, for per-cluster kubernetes targets (sharding). */
export const CLUSTER_CACHE_FOLDER = 'clusters';

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
  /** The scope, judging an object as cluster-scoped (src/validate/scope.ts clusterScopedRefusal); absent: none. */
  clusterScopedRefusal?: KubernetesTargetDeps['clusterScopedRefusal'];
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
    impersonation: t.impersonation,
    dryRun: t.dryRun,
    force: t.force,
    parallelism: t.parallelism,
    timeoutSeconds: t.timeoutSeconds,
    maxDeletePercent,
    failover: { ...t.failover },
  };
}

/** Throws what building the targets would (KUBECONFIG_UNREADABLE), without connecting to anything. */
export function checkTargetConfigs(configs: readonly TargetConfig[], maxDeletePercent: number): void {
  for (const t of configs) if (t.type === 'kubernetes') kubernetesSettings(t, maxDeletePercent);
}

const systemTime = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** The kubernetes target of a config. */
function kubernetesTarget(t: KubernetesTargetConfig, deps: TargetDeps): KubernetesTarget {
  const clock = deps.clock ?? systemTime;
  return new KubernetesTarget(kubernetesSettings(t, deps.maxDeletePercent ?? DEFAULT_KUBERNETES_SETTINGS.maxDeletePercent), {
    readFile: readTextOrNull,
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    random: Math.random,
    ...(deps.fleet ? { fleet: deps.fleet } : {}),
    ...(deps.clusterScopedRefusal ? { clusterScopedRefusal: deps.clusterScopedRefusal } : {}),
    ...(deps.cacheDir ? { inventory: fileInventoryStore(path.join(deps.cacheDir, KUBE_INVENTORY_FILE)) } : {}),
  });
}

/** Builds the configured targets. */
export function createTargets(configs: readonly TargetConfig[], deps: TargetDeps): Target[] {
  return configs.map((t): Target => {
    if (t.type === 'directory') return new DirectoryTarget(t.path, deps.fs);
    if (t.type === 'git') return new GitBranchTarget(deps.git, t.branch, deps.author);
    return kubernetesTarget(t, deps);
  });
}

/** The live fleet over a kubernetes target's connections: its failover settings, probes bounded by its request timeout. */
export function liveFleetOf(target: KubernetesTarget, now: () => number): LiveFleet {
  return new LiveClusters(target.pool, {
    failover: target.settings.failover,
    now,
    probeTimeoutMs: target.settings.timeoutSeconds * 1000,
  });
}

/**
 * Replaces the configured targets by the ones the passes write (e.g. sharding over replicas:
 * src/server/start-service.ts shardTargets). `makeClusterTarget` makes a kubernetes target for one
 * cluster alone. The live fleet keeps observing the whole fleet either way.
 */
export type WrapTargets = (targets: Target[], makeClusterTarget: (cluster: string) => Target) => Target[];

/** What a reconciler writes and observes. */
export interface TargetSet {
  targets: Target[];
  /** The live clusters (null: no kubernetes target). */
  live: LiveFleet | null;
}

/** The configured targets (wrapped when asked) and, with a kubernetes target, the live fleet over its connections. */
export function createTargetSet(configs: readonly TargetConfig[], deps: TargetDeps, wrap?: WrapTargets): TargetSet {
  let live: LiveFleet | null = null;
  const created = configs.map((t): Target => {
    if (t.type !== 'kubernetes') return createTargets([t], deps)[0]!;
    const target = kubernetesTarget(t, deps);
    const clock = deps.clock ?? systemTime;
    live ??= liveFleetOf(target, () => clock.now());
    return target;
  });
  const kubeConfig = configs.find((t): t is KubernetesTargetConfig => t.type === 'kubernetes') ?? null;
  const targets = wrap ? wrap(created, (cluster) => clusterTarget(kubeConfig, deps, cluster)) : created;
  return { targets, live };
}

/**
 * A kubernetes target for one cluster (wrapTargets): the fleet it sees is that cluster alone, its
 * inventory is its own file (cache/clusters/<cluster>/), and its prune guard is off (100%) because
 * the pass's fleet-wide guard (checkDeletions) already held back any mass deletion before the
 * targets run.
 */
function clusterTarget(config: KubernetesTargetConfig | null, deps: TargetDeps, cluster: string): Target {
  if (!config) throw new FlotillaError('INTERNAL', `no kubernetes target is configured to apply cluster ${cluster}`);
  return kubernetesTarget(config, {
    ...deps,
    cacheDir: deps.cacheDir ? path.join(deps.cacheDir, CLUSTER_CACHE_FOLDER, safeSegment(cluster)) : null,
    maxDeletePercent: 100,
    fleet: () => {
      const f = deps.fleet?.() ?? null;
      return f && { ...f, clusters: f.clusters.filter((c) => c.name === cluster) };
    },
  });
}
