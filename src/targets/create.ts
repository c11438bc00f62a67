// Targets from the config. A target the config names but flotilla cannot run yet fails the start
// loudly: silently skipping it would leave a user believing their clusters are being synced.
import type { TargetConfig } from '../config/schema.js';
import { FlotillaError } from '../model/diagnostics.js';
import type { Signature } from '../source/objects.js';
import type { SourceRepository } from '../source/remote.js';
import { DirectoryTarget } from './directory.js';
import type { TargetFs } from './fs.js';
import { GitBranchTarget } from './git.js';
import type { Target } from './target.js';

/** Throws NOT_IMPLEMENTED when the config names a target flotilla cannot run yet. */
export function assertTargetsSupported(configs: readonly TargetConfig[]): void {
  configs.forEach((t, i) => {
    if (t.type !== 'kubernetes') return;
    throw new FlotillaError(
      'NOT_IMPLEMENTED',
      `targets[${i}].kubernetes: applying to live clusters is not implemented yet; remove this target (or use a git or directory target) to run the reconciler`,
      { target: i },
    );
  });
}

/** Builds the configured targets; throws NOT_IMPLEMENTED for a kubernetes target. */
export function createTargets(configs: readonly TargetConfig[], deps: { git: SourceRepository; fs: TargetFs; author: () => Signature }): Target[] {
  assertTargetsSupported(configs);
  return configs.map((t) => (t.type === 'directory' ? new DirectoryTarget(t.path, deps.fs) : new GitBranchTarget(deps.git, (t as { branch: string }).branch, deps.author)));
}
