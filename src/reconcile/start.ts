// Wiring a reconciler from a validated config: the real git adapter for the configured source,
// the real file system for directory targets unless one is passed, the targets (wrapped when
// asked, e.g. sharded over replicas) and, with a kubernetes target, the live fleet the reconciler
// receives as its port. The CLI and the tests both start reconcilers here.
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { openSourceRepository, type SourceRepository } from '../source/remote.js';
import { checkTargetConfigs, createTargetSet, type WrapTargets } from '../targets/create.js';
import { nodeTargetFs, type TargetFs } from '../targets/fs.js';
import type { FleetInfo, Target } from '../targets/target.js';
import { authorAt } from './context.js';
import { dryRunConfig, planOnly } from './dry-run.js';
import { Reconciler, systemClock, type Clock } from './reconciler.js';
import { fileRenderIndexStore, renderIndexFile } from './render-index.js';
import type { FleetRenderer } from './renderer.js';
import { clusterScopedRefusal } from '../validate/scope.js';

/** Opens the source and builds the reconciler (throws KUBECONFIG_UNREADABLE when a kubernetes target's kubeconfig is missing). */
export async function startReconciler(
  loaded: LoadedConfig,
  opts: {
    log: Logger;
    fs?: TargetFs;
    clock?: Clock;
    renderer?: () => FleetRenderer;
    git?: SourceRepository;
    /** Replaces the configured targets by the ones the passes write (sharding: src/server/start-service.ts shardTargets). */
    wrapTargets?: WrapTargets;
    /** A dry run (dry-run.ts): kubernetes targets in server-side dry run, the others plan only, no status commit. */
    dryRun?: boolean;
  },
): Promise<{ reconciler: Reconciler; git: SourceRepository; targets: readonly Target[] }> {
  const dryRun = opts.dryRun ?? false;
  const config = dryRun ? dryRunConfig(loaded.config) : loaded.config;
  const clock = opts.clock ?? systemClock;
  // Fail on an unreadable kubeconfig before touching the network.
  checkTargetConfigs(config.targets, config.safety.maxDeletePercent);
  const git =
    opts.git ??
    (await openSourceRepository({
      source: config.source,
      credentials: loaded.credentials,
      log: opts.log.child({ stage: 'fetch' }),
      sleep: (ms) => clock.sleep(ms),
    }));
  // The fleet as last rendered: the kubernetes targets connect through its AttachedCluster secretRefs.
  let fleet: FleetInfo | null = null;
  const wrap: WrapTargets | undefined = dryRun
    ? (ts, cluster) => planOnly(opts.wrapTargets ? opts.wrapTargets(ts, cluster) : ts)
    : opts.wrapTargets;
  const { targets, live } = createTargetSet(
    config.targets,
    {
      git,
      fs: opts.fs ?? nodeTargetFs,
      author: () => authorAt(config, clock),
      clock,
      cacheDir: config.source.cacheDir,
      fleet: () => fleet,
      maxDeletePercent: config.safety.maxDeletePercent,
      clusterScopedRefusal: (object) => clusterScopedRefusal(config.scope, object),
    },
    wrap,
  );
  const reconciler = new Reconciler(config, {
    git,
    clock,
    log: opts.log,
    renderer: opts.renderer,
    targets,
    live,
    publishFleet: (f) => (fleet = f),
    dryRun,
    index: fileRenderIndexStore(renderIndexFile(config.source.cacheDir, config.source, config.status.branch)),
  });
  return { reconciler, git, targets };
}
