// What a pull request does to traffic (docs/guide/traffic.md): the declared weights of adaptive
// routes next to the effective ones the reconciler recorded (with `--observed auto`), and the
// canaries merging would start — a workload under a rollout whose pod template differs from the
// stable one (the recorded one, else base's).
import { DiagnosticSink } from '../model/diagnostics.js';
import { objectKey, versionedKey } from '../objects/identity.js';
import { refOf } from '../placement/schedule.js';
import type { RenderSummary } from '../render/render-fleet.js';
import { templateHash, trafficDeclarations } from '../traffic/declarations.js';
import { ROUTE_KINDS, type TrafficRecord } from '../traffic/decide.js';

export interface TrafficPlan {
  routes: Array<{ virtualService: string; route: string; declared: number[]; effective: number[] | null }>;
  canaries: Array<{ workload: string; steps: number[]; checkIntervalSeconds: number; firstClusters: string[] }>;
}

/** The traffic section of a plan (null: head declares no adaptive route and starts no canary). */
export function trafficPlan(base: RenderSummary, head: RenderSummary, record: TrafficRecord | null): TrafficPlan | null {
  const declarations = trafficDeclarations(head.model, new DiagnosticSink());
  const routes: TrafficPlan['routes'] = [];
  for (const a of declarations.adaptive) {
    const virtualService = `${a.vs.namespace}/${a.vs.name}`;
    const spec = (a.vs.object.spec ?? {}) as Record<string, unknown>;
    // Every weighted list the reconciler adapts (tcp and tls routes too), named as traffic.yaml names them.
    for (const kind of ROUTE_KINDS) {
      const list = spec[kind];
      if (!Array.isArray(list)) continue;
      list.forEach((r: { route?: Array<{ weight?: number }> } | null, i) => {
        if (!Array.isArray(r?.route) || r.route.length < 2) return;
        const declared = r.route.map((d) => d.weight ?? 0);
        const route = `${kind}[${i}]`;
        const recorded = record?.routes.find((x) => x.virtualService === virtualService && x.route === route);
        const effective =
          recorded && recorded.destinations.length === declared.length ? recorded.destinations.map((d) => d.effective) : null;
        routes.push({ virtualService, route, declared, effective });
      });
    }
  }
  const baseByKey = new Map(base.model.resources.map((m) => [objectKey(refOf(m)), m]));
  const canaries: TrafficPlan['canaries'] = [];
  for (const r of declarations.rollouts) {
    const before = baseByKey.get(r.key);
    const state = record?.canaries.find((c) => c.workload === r.key);
    const stable = state?.stableHash ?? (before ? templateHash(before) : null);
    if (stable === null || stable === r.templateHash || state?.canaryHash === r.templateHash) continue;
    const placed = (head.placements.find((p) => versionedKey(p.resource) === versionedKey(refOf(r.workload)))?.clusters ?? [])
      .filter((c) => (c.replicas ?? 0) > 0)
      .map((c) => c.name)
      .sort();
    canaries.push({
      workload: `${r.workload.kind} ${r.workload.namespace}/${r.workload.name}`,
      steps: r.config.steps,
      checkIntervalSeconds: r.config.checkIntervalSeconds,
      firstClusters: r.config.clusters === 'All' ? placed : placed.slice(0, 1),
    });
  }
  return routes.length > 0 || canaries.length > 0 ? { routes, canaries } : null;
}

/** The section as lines of text (plain; the markdown formatter wraps them). */
export function trafficLines(t: TrafficPlan): string[] {
  const out: string[] = [];
  for (const r of t.routes)
    out.push(
      `VirtualService ${r.virtualService} ${r.route}: declared ${r.declared.join('/')}, ` +
        (r.effective ? `effective now ${r.effective.join('/')}` : 'effective weights decided live (adaptive)'),
    );
  for (const c of t.canaries)
    out.push(
      `starts a canary of ${c.workload}: weights ${c.steps.join(', ')}, one step per ${c.checkIntervalSeconds}s, ` +
        `first on ${c.firstClusters.join(', ') || '(no cluster)'}`,
    );
  return out;
}
