// Shared set-up of the live traffic tests (traffic-e2e, application-rollout): a clock the test moves
// by hand, and what the test API servers hold of a VirtualService's weights and a Deployment's image.
import type { Clock } from '../../src/reconcile/reconciler.js';
import type { TestFleet } from '../helpers/kube.js';

type Obj = Record<string, any>;

/** A clock that stands still until the test advances it (sleeping takes no time). */
export function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

/** The first http route of a VirtualService on a cluster as `destination=weight` (no object: none). */
export function weightsOn(fleet: TestFleet, cluster: string, name: string): string[] {
  const vs = fleet.servers.get(cluster)!.getObject('networking.istio.io/v1beta1', 'VirtualService', 'default', name) as Obj | undefined;
  if (!vs) return [];
  return (vs.spec.http[0].route as Obj[]).map((d) => `${d.destination.subset ?? d.destination.host}=${d.weight}`);
}

/** The first container's image of a Deployment on a cluster (no object: undefined). */
export function imageOn(fleet: TestFleet, cluster: string, name: string): string | undefined {
  const d = fleet.servers.get(cluster)!.getObject('apps/v1', 'Deployment', 'default', name) as Obj | undefined;
  return d?.spec.template.spec.containers[0].image;
}
