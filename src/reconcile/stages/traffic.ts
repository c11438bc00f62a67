// The traffic stage (docs/guide/traffic.md): with a live fleet, after the revision is judged
// valid and before the diff, read what adaptive weights and canaries need — workload readiness on
// the live clusters, metric values from Prometheus — decide this pass's effective weights and
// canary steps (src/traffic/decide.ts, pure), and write them into the rendered objects the diff
// compares and the targets apply. Restores the last decisions from the status branch's
// traffic.yaml on the first pass. Without a live fleet, or without any declaration, the render
// passes through unchanged. Never fails the pass: what could not be read is a problem reported in
// the status, and the weights in force stay.
import { queryMetrics } from '../../live/prometheus.js';
import { DiagnosticSink } from '../../model/diagnostics.js';
import { withTrafficApplied } from '../../render/traffic.js';
import { withScope } from '../../validate/scope.js';
import { readTrafficAt, TRAFFIC_FILE } from '../../state/traffic.js';
import { renderedTemplates } from '../../traffic/apply.js';
import { trafficDeclarations } from '../../traffic/declarations.js';
import { decideTraffic, trafficNeeds, type TrafficRecord } from '../../traffic/decide.js';
import type { PassContext, ReconcilerState } from '../context.js';
import type { CheckedRevision } from './diff.js';

async function restoreTraffic(ctx: PassContext, state: ReconcilerState): Promise<void> {
  state.traffic.restored = true;
  const tip = state.revisions.statusTip;
  if (!tip) return;
  const record = await readTrafficAt(ctx.git.objects, tip).catch(() => null);
  if (record) {
    state.traffic.record = record;
    ctx.revisionLog.info({ routes: record.routes.length, canaries: record.canaries.length }, `restored traffic from ${TRAFFIC_FILE}`);
  }
}

function logCanaryChanges(ctx: PassContext, before: TrafficRecord | null, after: TrafficRecord): void {
  for (const c of after.canaries) {
    const was = before?.canaries.find((b) => b.workload === c.workload);
    if (was && was.phase === c.phase && was.step === c.step && was.allClusters === c.allClusters && was.failedChecks === c.failedChecks)
      continue;
    const level = c.phase === 'RolledBack' || c.failedChecks > (was?.failedChecks ?? 0) ? 'warn' : 'info';
    ctx.revisionLog[level]({ workload: c.workload, phase: c.phase, step: c.step, weight: c.weight }, c.message ?? `canary ${c.phase}`);
  }
}

/** The checked revision with this pass's traffic decisions written into its rendered objects. */
export async function trafficStage(ctx: PassContext, state: ReconcilerState, checked: CheckedRevision): Promise<CheckedRevision> {
  state.traffic.problems = [];
  const live = ctx.live;
  if (!live?.readWorkloads) return checked;
  const { result } = checked;
  const declarations = trafficDeclarations(result.model, new DiagnosticSink());
  if (declarations.adaptive.length === 0 && declarations.rollouts.length === 0) {
    state.traffic.record = null;
    return checked;
  }
  if (!state.traffic.restored) await restoreTraffic(ctx, state);
  const previous = state.traffic.record;
  const needs = trafficNeeds({ model: result.model, placements: result.placements, declarations, previous });
  const [readings, metrics] = await Promise.all([live.readWorkloads(needs.workloads), queryMetrics(ctx.config.metrics, needs.metrics)]);
  const templates = new Map(declarations.rollouts.map((d) => [d.key, renderedTemplates(result.manifests, d.key)]));
  const decision = decideTraffic({
    model: result.model,
    placements: result.placements,
    declarations,
    templates,
    readings,
    metrics,
    previous,
    now: ctx.clock.now(),
  });
  for (const p of decision.problems) ctx.revisionLog.warn({ problem: p }, p);
  logCanaryChanges(ctx, previous, decision.record);
  state.traffic.record = decision.record;
  state.traffic.problems = decision.problems;
  // What a rollout generates (Services, a VirtualService, the canary) answers to the operator's scope like the rest.
  const scoped = withScope(withTrafficApplied(result, decision.routes, decision.canaries), ctx.config.scope, { kept: true });
  const denied = scoped.diagnostics.filter((d) => !result.diagnostics.includes(d));
  return { ...checked, result: scoped, diagnostics: [...checked.diagnostics, ...denied] };
}
