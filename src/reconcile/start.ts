// Wiring a reconciler from a validated config: the real git adapter for the configured source,
// the real file system for directory targets unless one is passed. The CLI and the tests both
// start reconcilers here.
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { openSourceRepository, type SourceRepository } from '../source/remote.js';
import { kubernetesSettings } from '../targets/create.js';
import { nodeTargetFs, type TargetFs } from '../targets/fs.js';
import { Reconciler, systemClock, type Clock, type ReconcilerAdapters } from './reconciler.js';
import type { FleetRenderer } from './renderer.js';

/** Opens the source and builds the reconciler (throws KUBECONFIG_UNREADABLE when a kubernetes target's kubeconfig is missing). */
export async function startReconciler(
  loaded: LoadedConfig,
  opts: {
    log: Logger;
    fs?: TargetFs;
    clock?: Clock;
    renderer?: () => FleetRenderer;
    git?: SourceRepository;
    wrapTargets?: ReconcilerAdapters['wrapTargets'];
  },
): Promise<{ reconciler: Reconciler; git: SourceRepository }> {
  const clock = opts.clock ?? systemClock;
  // Fail on an unreadable kubeconfig before touching the network.
  for (const t of loaded.config.targets) if (t.type === 'kubernetes') kubernetesSettings(t, loaded.config.safety.maxDeletePercent);
  const git =
    opts.git ??
    (await openSourceRepository({
      source: loaded.config.source,
      credentials: loaded.credentials,
      log: opts.log.child({ stage: 'fetch' }),
      sleep: (ms) => clock.sleep(ms),
    }));
  const reconciler = new Reconciler(loaded.config, {
    git,
    fs: opts.fs ?? nodeTargetFs,
    clock,
    log: opts.log,
    renderer: opts.renderer,
    ...(opts.wrapTargets ? { wrapTargets: opts.wrapTargets } : {}),
  });
  return { reconciler, git };
}
