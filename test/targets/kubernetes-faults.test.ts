// The kubernetes target when clusters misbehave: 500s, 429 with Retry-After, timeouts, a cluster
// going down — each fails alone while the others are applied — and failover: a cluster that stops
// answering is tainted not-ready, and after the (1 s) toleration its replicas move.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureFiles } from '../helpers/fleet.js';
import type { TestFleet } from '../helpers/kube.js';
import type { SourceFile } from '../../src/load/parse.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { placementJson, previousFromJson } from '../../src/render/contract.js';
import { evictFromPrevious, NOT_READY_TAINT_KEY } from '../../src/live/failover.js';
import { PlanMaker, SEED_CLUSTERS, clearRequests, startSeedFleet, testTarget, writes } from '../kube/harness.js';
import type { KubernetesTarget } from '../../src/targets/kubernetes.js';
import { liveFleetOf } from '../../src/targets/create.js';

const byCluster = (t: KubernetesTarget) =>
  Object.fromEntries(
    t
      .lastResult!.clusters.filter((c) => !c.cluster.includes('zone'))
      .map((c) => [c.cluster, { error: c.errorCode, created: c.counts.created, reachable: c.reachable }]),
  );

describe('one cluster failing never blocks the others', () => {
  let fleet: TestFleet;
  let seed: SourceFile[];
  beforeEach(async () => {
    fleet = await startSeedFleet();
    seed = await fixtureFiles('seed');
  });
  afterEach(async () => {
    await fleet?.close();
  });

  it('a cluster answering 500 to everything fails alone (after retries), then recovers on the next pass', async () => {
    const sh = fleet.servers.get('cluster-shanghai')!;
    sh.addFault({ action: 'status', status: 500 });
    const target = testTarget(fleet);
    const maker = new PlanMaker();
    try {
      const report = await target.apply(maker.next(seed, { full: true }).plan);
      expect(byCluster(target)['cluster-shanghai']).toEqual({ error: 'KUBE_RETRY_LATER', created: 0, reachable: true });
      expect(byCluster(target)['cluster-hangzhou']).toEqual({ error: null, created: 10, reachable: true });
      expect(report.created).toBe(15);
      expect(report.failedClusters).toContain('cluster-shanghai');
      // Retried 3 times (the policy's attempts), then given up for this pass.
      expect(sh.requests.filter((r) => r.status === 500)).toHaveLength(3);
      sh.clearFaults();
      const again = await target.apply(maker.next(seed).plan);
      expect(again.created).toBe(11);
      expect(again.failedClusters).not.toContain('cluster-shanghai');
    } finally {
      target.close();
    }
  });

  it('429 with Retry-After: 1 is honoured: the retry waits 1000 ms, then succeeds', async () => {
    const hz = fleet.servers.get('cluster-hangzhou')!;
    hz.throttleNext(2, 1, { method: 'PATCH', path: /deployments\/nginx$/ });
    const waits: number[] = [];
    const target = testTarget(fleet, {}, { sleep: async (ms) => void waits.push(ms) });
    try {
      await target.apply(new PlanMaker().next(seed, { full: true }).plan);
      expect(waits).toEqual([1000, 1000]);
      expect(hz.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('deployments/nginx')).map((r) => r.status)).toEqual([
        429, 429, 201,
      ]);
      expect(byCluster(target)['cluster-hangzhou']!.error).toBeNull();
    } finally {
      target.close();
    }
  });

  it('a cluster that stops answering (requests hang) times out alone; a cluster that is down fails alone; both recover', async () => {
    fleet.servers.get('cluster-frankfurt')!.addFault({ action: 'hang' });
    await fleet.servers.get('spot-cluster')!.goDown();
    const target = testTarget(fleet, {
      timeoutSeconds: 0.3,
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 },
    });
    const maker = new PlanMaker();
    try {
      const started = Date.now();
      await target.apply(maker.next(seed, { full: true }).plan);
      expect(Date.now() - started).toBeLessThan(5_000);
      const r = byCluster(target);
      expect(r['cluster-frankfurt']).toEqual({ error: 'KUBE_UNREACHABLE', created: 0, reachable: false });
      expect(r['spot-cluster']).toEqual({ error: 'KUBE_UNREACHABLE', created: 0, reachable: false });
      expect(r['cluster-hangzhou']).toEqual({ error: null, created: 10, reachable: true });
      expect(r['ondemand-cluster']).toEqual({ error: null, created: 2, reachable: true });
      fleet.servers.get('cluster-frankfurt')!.clearFaults();
      await fleet.servers.get('spot-cluster')!.comeBack();
      clearRequests(fleet);
      const report = await target.apply(maker.next(seed).plan);
      expect(report.created).toBe(3);
      expect(
        writes(fleet)
          .map((w) => w.cluster)
          .sort(),
      ).toEqual(['cluster-frankfurt', 'spot-cluster', 'spot-cluster']);
    } finally {
      target.close();
    }
  });
});

describe('failover: a cluster going down moves its replicas after the toleration period', () => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.close();
  });

  it(
    'shanghai down: NotReady + NoSchedule at the first failed probe, NoExecute 1 s later; nginx ' +
      '6/4 becomes hangzhou 10; back up: taints removed',
    async () => {
      fleet = await startSeedFleet();
      const seed = await fixtureFiles('seed');
      let now = Date.parse('2026-03-01T10:00:00Z');
      const target = testTarget(fleet, {}, { now: () => now });
      const live = liveFleetOf(target, () => now);
      const maker = new PlanMaker();
      try {
        const first = maker.next(seed, { full: true });
        await target.apply(first.plan);
        const previous = previousFromJson(JSON.stringify({ placements: first.render.placements.map(placementJson) }), 'test');
        const hz = fleet.servers.get('cluster-hangzhou')!;
        hz.seedNode('node-1', { cpu: '8', memory: '32Gi' });
        hz.seedPod('default', 'busy', { nodeName: 'node-1', requests: { cpu: '2', memory: '4Gi' } });

        // Poll 1: every cluster answers; capacity is read.
        let obs = await live.observe(SEED_CLUSTERS);
        expect(obs.events).toEqual([]);
        expect(obs.clusters.find((c) => c.name === 'cluster-hangzhou')!.resourceSummary).toEqual({
          allocatable: { cpu: '8', memory: String(32 * 2 ** 30), pods: '110' },
          allocated: { cpu: '2', memory: String(4 * 2 ** 30), pods: '1' },
          allocating: {},
        });

        // Poll 2: shanghai is down.
        await fleet.servers.get('cluster-shanghai')!.goDown();
        now += 30_000;
        obs = await live.observe(SEED_CLUSTERS);
        expect(obs.events.map((e) => `${e.cluster} ${e.type}`)).toEqual(['cluster-shanghai NotReady']);
        expect(obs.events[0]!.message).toMatch(
          /cluster-shanghai stopped answering \(.*(ECONNREFUSED|ECONNRESET).*\): tainted cluster.karmada.io\/not-ready:NoSchedule/,
        );
        expect(obs.clusters.find((c) => c.name === 'cluster-shanghai')!.taints).toEqual([
          { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' },
        ]);
        expect(obs.evicted).toEqual([]);
        // NoSchedule alone moves nothing: shanghai is in the previous result, so the taint filter passes it.
        let render = renderFleet({ files: [...seed, obs.file], revision: 'worktree', previous });
        expect(render.placements.find((p) => p.resource.name === 'nginx')!.clusters).toEqual([
          { name: 'cluster-hangzhou', replicas: 6 },
          { name: 'cluster-shanghai', replicas: 4 },
        ]);

        // Poll 3, one toleration period (1 s) later: eviction.
        now += 1_000;
        obs = await live.observe(SEED_CLUSTERS);
        expect(obs.events.map((e) => `${e.cluster} ${e.type}`)).toEqual(['cluster-shanghai Evicting']);
        expect(obs.events[0]!.message).toContain('its replicas move to the remaining eligible clusters');
        expect(obs.evicted).toEqual(['cluster-shanghai']);
        render = renderFleet({ files: [...seed, obs.file], revision: 'worktree', previous: evictFromPrevious(previous, obs.evicted) });
        expect(render.placements.find((p) => p.resource.name === 'nginx')!.clusters).toEqual([{ name: 'cluster-hangzhou', replicas: 10 }]);
        // A workload that may only run on shanghai has nowhere to go, and says why.
        expect(render.placements.find((p) => p.resource.name === 'reviews-v2')!.error).toContain(
          'untolerated taint {cluster.karmada.io/not-ready:NoSchedule}',
        );

        // Applying the new split: hangzhou gets 10; shanghai fails alone (down).
        const report = await target.apply(maker.fromRender(render).plan);
        expect(report.failedClusters).toContain('cluster-shanghai');
        expect((hz.getObject('apps/v1', 'Deployment', 'default', 'nginx') as any).spec.replicas).toBe(10);

        // Shanghai returns: Ready again, taints removed.
        await fleet.servers.get('cluster-shanghai')!.comeBack();
        now += 10_000;
        obs = await live.observe(SEED_CLUSTERS);
        expect(obs.events.map((e) => `${e.cluster} ${e.type}`)).toEqual(['cluster-shanghai Ready']);
        expect(obs.clusters.every((c) => c.taints.length === 0)).toBe(true);
        expect(live.clusterConditions.find((c) => c.cluster === 'cluster-shanghai')!.ready).toBe(true);
      } finally {
        target.close();
      }
    },
  );
});
