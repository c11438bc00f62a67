// `flotilla plan`'s core: two renders in, one plain report out. No I/O; the CLI reads the
// revisions, renders them and prints the report with one of the formatters.
import { countDiagnostics } from '../model/diagnostics-format.js';
import { versionedKey } from '../objects/identity.js';
import { type RenderResult, type RenderSummary } from '../render/render-fleet.js';
import { previousOfPlacement } from '../render/contract.js';
import type { PreviousPlacement } from '../model/types.js';
import { clusterDeclarationChanges, overrideChanges, policyChanges } from './declarations.js';
import { objectChanges } from './objects.js';
import { placementChanges } from './placements.js';
import { claimChanges } from './claims.js';
import { assessRisks } from './risks.js';
import type { ClusterObjectChanges, PlanDiagnostic, PlanReport, RevisionSummary } from './types.js';

export interface PlanOptions {
  /** Share (0..1) of a workload's replicas that may move at once before a LARGE_MOVE warning; default 0.5. */
  maxMove?: number;
  /** Field changes listed per object or declaration; default 5. */
  maxFields?: number;
  /** Whether head was scheduled with base's placements as previous (recorded in the report). */
  headScheduledOnBase?: boolean;
  /** The per-cluster object changes when the renders were streamed (streamedObjectChanges); else computed from their manifests. */
  objects?: ClusterObjectChanges[];
}

/** One side of a plan: a render, its manifests only when its object changes are not given apart. */
export type PlanSide = RenderSummary & { manifests?: RenderResult['manifests'] };

/** Default --max-move: more than half of a workload's replicas moving at once is a warning. */
export const DEFAULT_MAX_MOVE = 0.5;

function revisionSummary(r: RenderSummary): RevisionSummary {
  const counts = countDiagnostics(r.diagnostics); // a truncation summary counts as the diagnostics it left out
  return { revision: r.revision, errors: counts.error, warnings: counts.warning };
}

/**
 * Base's placements as Karmada's previous result for scheduling head: what the reconciler holds
 * once base is applied, so head's plan shows Karmada's scale-up/down and taint rules (§3.1, §4)
 * rather than a fresh schedule.
 */
export function previousFromRender(base: Pick<RenderSummary, 'placements' | 'revision'>): Map<string, PreviousPlacement> {
  return new Map(base.placements.filter((p) => !p.error).map((p) => [versionedKey(p.resource), previousOfPlacement(p, base.revision)]));
}

/** Compares two renders of the fleet: placements, per-cluster objects, declarations, risks, head diagnostics. */
export function computePlan(base: PlanSide, head: PlanSide, options: PlanOptions = {}): PlanReport {
  const maxMove = options.maxMove ?? DEFAULT_MAX_MOVE;
  const maxFields = options.maxFields ?? 5;
  const workloads = placementChanges(base, head, options.headScheduledOnBase ?? false);
  const objects = options.objects ?? objectChanges(base.manifests ?? {}, head.manifests ?? {}, maxFields);
  const policies = policyChanges(base.model, head.model, maxFields);
  const overrides = overrideChanges(base.model, head.model, maxFields);
  const clusterDeclarations = clusterDeclarationChanges(base.model, head.model, maxFields);
  const risks = assessRisks(base, head, workloads, maxMove);

  const known = new Set(base.diagnostics.map((d) => `${d.severity}|${d.code}|${d.message}`));
  const diagnostics: PlanDiagnostic[] = head.diagnostics.map((d) => ({ ...d, isNew: !known.has(`${d.severity}|${d.code}|${d.message}`) }));
  const headInfo = revisionSummary(head);
  const notes: string[] = [];
  if (options.headScheduledOnBase) {
    // §3.1: Karmada's TaintToleration filter passes clusters of the previous result, so a new
    // taint only keeps new placements away; say so, or the quiet plan would look like a bug.
    const baseTaints = new Map(base.model.clusters.map((c) => [c.name, new Set(c.taints.map((t) => JSON.stringify(t)))]));
    for (const c of head.model.clusters) {
      const before = baseTaints.get(c.name);
      if (!before) continue;
      const added = c.taints.filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !before.has(JSON.stringify(t)));
      if (added.length === 0) continue;
      const text = added.map((t) => `{${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}}`).join(', ');
      notes.push(
        `cluster ${c.name} gains taint ${text}: what is already placed there stays (the taint ` +
          `filter passes clusters of the previous result, as in Karmada’s scheduler), only new ` +
          `placements avoid it; \`flotilla plan --fresh\` shows a schedule from scratch`,
      );
    }
  }

  const objectsAdded = objects.reduce((n, c) => n + c.added.length, 0);
  const objectsRemoved = objects.reduce((n, c) => n + c.removed.length, 0);
  const objectsChanged = objects.reduce((n, c) => n + c.changed.length, 0);
  const changed = workloads.length + objects.length + policies.length + overrides.length + clusterDeclarations.length > 0;

  return {
    base: revisionSummary(base),
    head: headInfo,
    headScheduledOnBase: options.headScheduledOnBase ?? false,
    maxMove,
    summary: {
      changed,
      workloadsChanged: workloads.length,
      replicasMoved: workloads.reduce((n, w) => n + w.moved, 0),
      objectsAdded,
      objectsRemoved,
      objectsChanged,
      clustersAffected: objects.length,
      policiesChanged: policies.length,
      overridesChanged: overrides.length,
      clusterDeclarationsChanged: clusterDeclarations.length,
      risks: risks.length,
      headErrors: headInfo.errors,
    },
    clusters: [...new Set([...base.clusters.map((c) => c.name), ...head.clusters.map((c) => c.name)])].sort(),
    workloads,
    claims: claimChanges(base, head),
    suspended: head.placements.flatMap((p) =>
      p.suspendedClusters?.length ? [{ resource: p.resource, clusters: p.suspendedClusters }] : [],
    ),
    objects,
    policies,
    overrides,
    clusterDeclarations,
    risks,
    notes,
    diagnostics,
  };
}

/** docs/reference/contract.md's exit status: 1 when head has errors, 2 when anything changes, else 0. */
export function planExitCode(report: PlanReport): 0 | 1 | 2 {
  if (report.head.errors > 0) return 1;
  return report.summary.changed ? 2 : 0;
}
