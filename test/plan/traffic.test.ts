// The plan's traffic section: declared vs effective weights of adaptive routes, and which canaries
// a pull request starts (a new template of a workload under a rollout; not a new workload, not the
// template a canary was rolled back from).
import { describe, expect, it } from 'vitest';
import { trafficPlan } from '../../src/plan/traffic.js';
import type { TrafficRecord } from '../../src/traffic/decide.js';
import { editFile, fixtureFiles, render } from '../helpers/fleet.js';

/** What the reconciler recorded for the reviews route: declared 90/10, `effective` now. */
function recordOf(route: string, effective: [number, number]): TrafficRecord {
  const destination = (name: string, declared: number, e: number) => ({
    name,
    declared,
    ready: 4,
    desired: 4,
    latency: null,
    effective: e,
  });
  return {
    routes: [
      {
        virtualService: 'default/reviews-route',
        route,
        destinations: [destination('a', 90, effective[0]), destination('b', 10, effective[1])],
        steps: [],
      },
    ],
    canaries: [],
  };
}

describe('trafficPlan', () => {
  it('a new image of a workload under a rollout starts a canary; the adaptive route shows declared and recorded weights', async () => {
    const files = await fixtureFiles('traffic/fleet');
    const base = render(files);
    const head = render(editFile(files, '03-podinfo.yaml', 'podinfo:6.0.0', 'podinfo:6.0.1'));
    const record = recordOf('http[0]', [100, 0]);
    expect(trafficPlan(base, head, record)).toEqual({
      routes: [{ virtualService: 'default/reviews-route', route: 'http[0]', declared: [90, 10], effective: [100, 0] }],
      canaries: [
        { workload: 'Deployment default/podinfo', steps: [10, 20, 30, 40, 50], checkIntervalSeconds: 60, firstClusters: ['cluster-a'] },
      ],
    });
    expect(trafficPlan(base, base, null)!.canaries).toEqual([]);
    expect(trafficPlan(base, base, null)!.routes[0]!.effective).toBeNull();
  });

  it('lists an adaptive tcp route under the name the reconciler records it by (tcp[0]), with its recorded weights', async () => {
    const files = editFile(
      await fixtureFiles('traffic/fleet'),
      '02-reviews.yaml',
      '  http:\n  - route:',
      '  tcp:\n  - match: [{port: 9080}]\n    route:',
    );
    const head = render(files);
    const record = recordOf('tcp[0]', [80, 20]);
    expect(trafficPlan(head, head, record)!.routes).toEqual([
      { virtualService: 'default/reviews-route', route: 'tcp[0]', declared: [90, 10], effective: [80, 20] },
    ]);
  });
});
