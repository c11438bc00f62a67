// Three replicas against test API servers, in one process (child processes need the kubernetes
// target wired into `flotilla reconcile`; see the report): each replica is what runs inside one
// pod — its own ShardManager on the management cluster's Leases, its own ShardedTarget with one
// KubernetesTarget per cluster, its own applied state. "kill -9" is simulated by cutting the
// replica off the management cluster and never calling it again: to the others that is exactly a
// dead process (no renewals, no release).
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseClient } from '../../src/ha/lease.js';
import { ShardManager } from '../../src/ha/shards.js';
import { ShardedTarget } from '../../src/ha/sharded-target.js';
import { kubeconfigTransport, type KubeTransport } from '../../src/kube/transport.js';
import { silentLogger } from '../../src/log/logger.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { createMetrics } from '../../src/server/metrics.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { PlanMaker, testTarget, writes, clearRequests } from '../kube/harness.js';
import { clusterNames, duplicatedFleet } from './fleet.js';
import { startManagementCluster } from './harness.js';
import { parsePrometheusText, sampleValue } from '../server/prometheus-text.js';

const TIMING = { leaseDurationMs: 2_000, renewDeadlineMs: 1_400, retryPeriodMs: 250 };
const NAMES = clusterNames(12);
let clusters: TestFleet;
let management: TestFleet;

beforeAll(async () => {
  [clusters, management] = await Promise.all([startFleetApiServers(NAMES, { autoReady: true }), startManagementCluster()]);
});
afterAll(async () => {
  await Promise.all([clusters.close(), management.close()]);
});

/** A transport that can be cut (the replica is gone for the management cluster). */
function cuttable(inner: KubeTransport): KubeTransport & { cut: boolean } {
  const t = {
    cut: false,
    server: inner.server,
    send: (req: Parameters<KubeTransport['send']>[0]) =>
      t.cut ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : inner.send(req),
    close: () => inner.close(),
  };
  return t;
}

function replica(identity: string) {
  const kc = new KubeConfig();
  kc.loadFromString(management.kubeconfigText);
  kc.setCurrentContext('management');
  const transport = cuttable(kubeconfigTransport(kc));
  const metrics = createMetrics({ perClusterFromStatus: false, defaultMetrics: false });
  const manager = new ShardManager({
    client: new LeaseClient(transport, 'flotilla-system', 1_000),
    group: 'flotilla',
    identity,
    shards: 6,
    timing: TIMING,
    log: silentLogger(),
    onChange: (owned) => metrics.recordShards(owned, 6, manager.liveReplicas),
  });
  const target = new ShardedTarget({
    name: 'kubernetes:test',
    type: 'kubernetes',
    gate: manager,
    clusterTarget: () => testTarget(clusters),
    parallelism: 4,
    log: silentLogger(),
    onCluster: (r) =>
      metrics.recordCluster(r.cluster, {
        applied: r.report.created + r.report.configured,
        failed: r.report.failed,
        drifted: r.drifted,
        pruned: r.report.deleted,
      }),
  });
  const plans = new PlanMaker();
  const applied: string[][] = [];
  return {
    identity,
    manager,
    transport,
    metrics,
    async apply(version: string) {
      const { plan } = plans.fromRender(renderFleet({ files: duplicatedFleet(NAMES, version), revision: version }));
      const report = await target.apply(plan);
      applied.push(NAMES.filter((n) => !target.others.includes(n)));
      return report;
    },
    applied,
  };
}

const until = async (check: () => boolean, ms: number): Promise<number> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
};

/** Write requests (not dry runs) per cluster, by path. */
function writesByCluster(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of writes(clusters)) if (!w.dryRun) out.set(w.cluster, [...(out.get(w.cluster) ?? []), `${w.method} ${w.path}`]);
  return out;
}

describe('3 replicas sharding 12 clusters over 6 shard leases', () => {
  it(
    'shards spread 2/2/2, every cluster applied exactly once; kill one → its clusters taken ' +
      'over within the lease duration and applied exactly once',
    async () => {
      const rs = ['flotilla-0', 'flotilla-1', 'flotilla-2'].map(replica);
      for (const r of rs) r.manager.start();
      try {
        await until(() => rs.every((r) => r.manager.ownedShards().length === 2), 5_000);
        const owned = rs.map((r) => r.manager.ownedShards());
        expect(new Set(owned.flat()).size).toBe(6);

        // Revision v1 on every replica: each cluster gets its ConfigMap once, from one replica.
        const reports = await Promise.all(rs.map((r) => r.apply('v1')));
        const mine = rs.map((r) => r.applied[0]!);
        expect(mine.flat().sort()).toEqual(NAMES);
        expect(mine.every((m) => m.length >= 2)).toBe(true);
        expect(reports.reduce((n, r) => n + r.created, 0)).toBe(12);
        const first = writesByCluster();
        for (const name of NAMES) expect(first.get(name), name).toEqual(['PATCH /api/v1/namespaces/default/configmaps/app-config']);
        const m = parsePrometheusText(await rs[0]!.metrics.text());
        expect(m.filter((s) => s.name === 'flotilla_shard_owned' && s.value === 1)).toHaveLength(2);
        for (const c of mine[0]!) expect(sampleValue(m, 'flotilla_objects_total', { cluster: c, result: 'applied' })).toBe(1);
        clearRequests(clusters);

        // kill -9 flotilla-2: no renewals, no release, never applies again.
        const dead = rs[2]!;
        dead.transport.cut = true;
        const orphaned = mine[2]!;
        const killedAt = Date.now();
        const survivors = rs.slice(0, 2);
        // v2 right away: the survivors apply their own clusters; the dead one's wait for takeover.
        await Promise.all(survivors.map((r) => r.apply('v2')));
        const during = writesByCluster();
        for (const c of orphaned) expect(during.get(c), c).toBeUndefined();
        // The dead replica stops acting on its shards after the renew deadline…
        await until(() => dead.manager.ownedShards().length === 0, TIMING.renewDeadlineMs + 300);
        // …and the survivors hold all 6 within lease duration + 2 retry periods of its last renewal.
        const takeover = await until(
          () => survivors.every((r) => r.manager.ownedShards().length === 3),
          TIMING.leaseDurationMs + 3 * TIMING.retryPeriodMs,
        );
        expect(Date.now() - killedAt).toBeLessThanOrEqual(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs + 200);
        expect(takeover).toBeGreaterThan(0);
        // The next pass of each survivor applies the orphaned clusters: once each, and no other writes.
        await Promise.all(survivors.map((r) => r.apply('v2')));
        const after = writesByCluster();
        for (const c of NAMES) expect(after.get(c), c).toEqual(['PATCH /api/v1/namespaces/default/configmaps/app-config']);
        for (const c of NAMES)
          expect(clusters.servers.get(c)!.getObject('v1', 'ConfigMap', 'default', 'app-config')!.data).toEqual({ version: 'v2' });
        const last = survivors.map((r) => r.applied.at(-1)!);
        expect(last.flat().sort()).toEqual(NAMES);
      } finally {
        await Promise.all(rs.slice(0, 2).map((r) => r.manager.stop()));
        await rs[2]!.manager.stop();
      }
    },
  );
});
