// `flotilla reconcile --dry-run`: one pass that renders, diffs and says what each target would do,
// and writes nothing — no target, no status commit (a one-off run with an experimental config must
// never reach the shared status branch). A kubernetes target runs with its dryRun setting on, so
// every apply and prune goes to the API servers as a server-side dry run (dryRun=All): the servers
// validate, default and answer, and store nothing. Directory and git targets are replaced by
// PlanOnlyTarget, which reports the change set from the status branch's last good state.
import type { ReconcileConfig, TargetConfig } from '../config/schema.js';
import type { FleetSyncResult } from '../kube/fleet.js';
import { describeRef } from '../objects/identity.js';
import type { ObjectChange } from '../state/change-set.js';
import { countChanges, writesLiveClusters, type Target, type TargetPlan, type TargetReport } from '../targets/target.js';

/** The config with every kubernetes target in server-side dry run. */
export function dryRunConfig(config: ReconcileConfig): ReconcileConfig {
  const targets = config.targets.map((t): TargetConfig => (t.type === 'kubernetes' ? { ...t, dryRun: true } : t));
  return { ...config, targets };
}

/** A directory or git target in a dry run: reports the plan it was given and writes nothing. */
export class PlanOnlyTarget implements Target {
  readonly name: string;
  readonly type: Target['type'];
  /** The changes of the last plan (null before the pass). */
  changes: readonly ObjectChange[] | null = null;

  constructor(target: Target) {
    this.name = target.name;
    this.type = target.type;
  }

  apply(plan: TargetPlan): Promise<TargetReport> {
    this.changes = plan.changes;
    const counts = countChanges(plan.changes, plan.total);
    return Promise.resolve({ ...counts, failed: 0, failedClusters: [], ok: true, message: 'dry run: nothing written' });
  }
}

/** Replaces every target that does not write live clusters by a PlanOnlyTarget. */
export function planOnly(targets: Target[]): Target[] {
  return targets.map((t) => (writesLiveClusters(t) ? t : new PlanOnlyTarget(t)));
}

const VERB: Record<string, string> = { created: 'create', configured: 'configure', deleted: 'delete', moved: 'move', failed: 'fail' };

/** "would create 2, configure 0, delete 1". */
function wouldLine(counts: { created: number; configured: number; deleted: number }): string {
  return `would create ${counts.created}, configure ${counts.configured}, delete ${counts.deleted}`;
}

/** What a kubernetes target's dry run would do, per cluster and object. */
function liveLines(name: string, sync: FleetSyncResult | null): string[] {
  if (!sync) return [`${name}: not run`];
  const down = sync.clusters.filter((c) => c.error !== null);
  const failed = sync.counts.failed;
  const extra = [
    down.length > 0 ? `${down.length} cluster${down.length === 1 ? '' : 's'} not reached` : '',
    failed ? `${failed} refused` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const out = [`${name}: ${wouldLine(sync.counts)}${extra ? ` (${extra})` : ''} — server-side dry run`];
  for (const c of sync.clusters) {
    if (c.error !== null) {
      out.push(`  ${c.cluster}  not reached: ${c.error}`);
      continue;
    }
    for (const o of c.objects) {
      const verb = VERB[o.action];
      if (!verb) continue;
      out.push(`  ${c.cluster}  ${verb.padEnd(9)}  ${describeRef(o.ref)}${o.action === 'failed' ? `: ${o.message ?? ''}` : ''}`);
    }
    if (c.pruneHeld) out.push(`  ${c.cluster}  not pruned: ${c.pruneHeld}`);
  }
  return out;
}

/** What a directory or git target would write and delete: the plan's change set. */
function planLines(target: PlanOnlyTarget): string[] {
  const changes = target.changes;
  if (!changes) return [`${target.name}: not run`];
  const out = [`${target.name}: ${wouldLine(countChanges(changes, 0))} — the change set from the last good state`];
  for (const c of changes) out.push(`  ${VERB[c.action]!.padEnd(9)}  ${c.path}${c.previousPath ? ` (from ${c.previousPath})` : ''}`);
  return out;
}

/** The line a dry run's output starts with. */
export const DRY_RUN_HEADER = 'dry run: nothing was written to the targets and no status was committed';

/** The dry run's report: what each target would do. */
export function formatDryRun(targets: readonly Target[]): string {
  const lines = ['what each target would do:'];
  if (targets.length === 0) lines.push('no targets');
  for (const t of targets) {
    if (t instanceof PlanOnlyTarget) lines.push(...planLines(t));
    else if (writesLiveClusters(t)) lines.push(...liveLines(t.name, t.lastResult ?? null));
  }
  return lines.join('\n') + '\n';
}
