// The dashboard's workload page as data: the policy (and the policies that lost it), `explain`'s
// steps and per-cluster verdicts, the override rules applied on each cluster, and the live health
// the last pass read. Built with the functions `flotilla explain` and the renderer use
// (policyContest, the placement's explanation, matchingOverridePolicies/applyOverrides), never
// re-derived. Override values are not included: a plaintext or field overrider may carry a
// secret, and the page shows which rule applied, not what it wrote. The reconciler's placements
// keep no verdicts and steps (src/reconcile/renderer.ts): the page schedules its one resource again
// from the render's model and the previous result the render was given (placementDetails).
import { DiagnosticSink } from '../model/diagnostics.js';
import type { ClusterVerdict, Manifest, PlacementResult, PreviousPlacement } from '../model/types.js';
import { describeRef, versionedKey } from '../objects/identity.js';
import { applyOverrides } from '../override/apply.js';
import { policyContest, type PolicyContest } from '../placement/contest.js';
import { NO_DETAILS, refOf } from '../placement/schedule.js';
import {
  claimFor,
  isHpaFollower,
  overridesFor,
  placeResource,
  placementContext,
  renderContext,
  type RenderResult,
} from '../render/render-fleet.js';
import { explainRef, policyName, type CellHealth } from './matrix.js';

export interface ClusterOverrides {
  cluster: string;
  /** Each rule applied, in application order: "ClusterOverridePolicy/name rule 0: imageOverrider". */
  applied: Array<{ policy: string; rule: number; overriders: string[] }>;
  /** Why overriding failed or warned on this cluster (a failed cluster gets nothing, as in Karmada). */
  problems: string[];
}

export interface WorkloadView {
  ref: string;
  key: string;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  source: { file: string; line: number } | null;
  policy: string | null;
  replicas: number | null;
  affinityName: string | null;
  error: string | null;
  policies: PolicyContest[];
  steps: string[];
  verdicts: ClusterVerdict[];
  overrides: ClusterOverrides[];
  /** Objects of this resource the last pass read as not Healthy, per cluster (live clusters only). */
  health: Array<{ cluster: string; health: string; message: string }>;
}

/** The placement whose identity key or KIND/NAMESPACE/NAME is `ref`, or null. */
export function findRow(render: RenderResult, ref: string): PlacementResult | null {
  return render.placements.find((p) => versionedKey(p.resource) === ref || explainRef(p.resource) === ref) ?? null;
}

function overridesOf(render: RenderResult, p: PlacementResult, resource: Manifest | undefined): ClusterOverrides[] {
  if (!resource) return [];
  const ctx = renderContext(render.model);
  const policies = overridesFor(ctx, resource);
  if (policies.length === 0) return [];
  const byName = new Map(policies.map((o) => [`${o.kind}/${o.namespace}/${o.name}`, o]));
  const out: ClusterOverrides[] = [];
  for (const target of p.clusters) {
    const cluster = ctx.clusters.get(target.name);
    if (!cluster) continue;
    const result = applyOverrides(resource, resource.object, cluster, policies);
    const applied = result.applied.map((a) => {
      const rule = byName.get(`${a.policy.kind}/${a.policy.namespace}/${a.policy.name}`)?.rules[a.rule];
      return {
        policy: policyName(a.policy),
        rule: a.rule,
        overriders: rule ? Object.keys(rule.overriders).sort() : [],
      };
    });
    const problems = result.problems.map((x) => `${x.severity}: ${x.policy.kind} ${x.policy.name}: ${x.message}`);
    if (applied.length > 0 || problems.length > 0) out.push({ cluster: target.name, applied, problems });
  }
  return out;
}

/**
 * The verdicts and explanation steps of `p`, computed again for its one resource: scheduling is a
 * pure function of the render's model, the resource and `previous` (the previous result the render
 * was given), so it gives what the render computed before dropping them. HPA followers and
 * dependencies' own lines are made after scheduling and kept in `p` whatever the details setting.
 */
export function placementDetails(
  render: RenderResult,
  p: PlacementResult,
  resource: Manifest | undefined,
  previous: ReadonlyMap<string, PreviousPlacement> | undefined,
): { steps: string[]; verdicts: ClusterVerdict[] } {
  // A render that kept its details (explain, report, plan) already has them: nothing to schedule again.
  if (!resource || p.verdicts !== NO_DETAILS) return { steps: p.explanation, verdicts: p.verdicts };
  const ctx = placementContext(render.model);
  const claim = claimFor(ctx, resource, previous, render.revision);
  if (isHpaFollower(resource, claim) || p.dependency?.attachedOnly) return { steps: p.explanation, verdicts: p.verdicts };
  const own = placeResource(ctx, resource, claim, previous?.get(versionedKey(p.resource)), new DiagnosticSink());
  // A dependency's placement is its own steps, then one line per referrer and the union (attachDependencies).
  const added = p.dependency ? p.explanation.slice(-(p.dependency.requiredBy.length + 1)) : [];
  return { steps: [...own.explanation, ...added], verdicts: own.verdicts };
}

/**
 * The workload page of `p` in `render`; `unhealthy` from the last pass (empty without live
 * clusters); `previous`: the previous result the render was given.
 */
export function workloadView(
  render: RenderResult,
  p: PlacementResult,
  unhealthy: readonly (CellHealth & { message?: string })[] = [],
  previous?: ReadonlyMap<string, PreviousPlacement>,
): WorkloadView {
  const r = p.resource;
  const resource = render.model.resources.find((m) => versionedKey(refOf(m)) === versionedKey(r));
  const { steps, verdicts } = placementDetails(render, p, resource, previous);
  // The unhealthy objects name theirs with describeRef (reconcile/stages/record.ts).
  const object = describeRef(r);
  return {
    ref: explainRef(r),
    key: versionedKey(r),
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    source: resource ? { file: resource.source.file, line: resource.source.line } : null,
    policy: p.policy ? policyName(p.policy) : null,
    replicas: p.replicas,
    affinityName: p.affinityName ?? null,
    error: p.error,
    policies: policyContest(render.model, p),
    steps,
    verdicts,
    overrides: overridesOf(render, p, resource),
    health: unhealthy.filter((u) => u.object === object).map((u) => ({ cluster: u.cluster, health: u.health, message: u.message ?? '' })),
  };
}
