// A render with a pass's traffic decisions written in (src/traffic/apply.ts): what the reconciler's
// traffic stage applies and what the CLI replays from traffic.yaml, one way. A cluster whose objects
// changed is sorted for apply again (a canary adds Services and a workload); the others stay the same arrays.
import { applyTraffic, type CanaryRender, type RouteWeights } from '../traffic/apply.js';
import { sortForApply, type RenderResult } from './render-fleet.js';

export function withTrafficApplied<R extends RenderResult>(
  result: R,
  routes: readonly RouteWeights[],
  canaries: readonly CanaryRender[],
): R {
  const applied = applyTraffic(result.manifests, routes, canaries);
  const manifests = Object.fromEntries(
    Object.entries(applied).map(([cluster, list]) => [cluster, list === result.manifests[cluster] ? list : sortForApply(list)]),
  );
  return { ...result, manifests };
}
