// The sharded target's fleet and ownership rules: every replica computes the same cluster → shard
// assignment from the plan alone (not from what it applied before), a cluster's pass stops at the
// first write after its shard lease ran out, and every request is bounded so a write started
// while the lease is held ends before another replica may take it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignShards } from '../../src/ha/consistent-hash.js';
import { DEFAULT_LEASE_TIMING } from '../../src/ha/lease-lock.js';
import { fitRequestPolicy, requestBudgetMs, worstCaseMs } from '../../src/ha/request-bound.js';
import { ShardedTarget } from '../../src/ha/sharded-target.js';
import type { ClusterGate } from '../../src/ha/shards.js';
import { DEFAULT_KUBE_RETRY } from '../../src/kube/retry.js';
import { silentLogger } from '../../src/log/logger.js';
import type { SourceFile } from '../../src/load/parse.js';
import type { ObjectChange } from '../../src/state/change-set.js';
import type { KubernetesTarget } from '../../src/targets/kubernetes.js';
import { visitFiles, type Target, type TargetPlan, type TargetReport } from '../../src/targets/target.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { PlanMaker, clearRequests, testTarget, writes } from '../kube/harness.js';
import { duplicatedFleet } from './fleet.js';

const OK: TargetReport = { created: 0, configured: 0, unchanged: 1, deleted: 0, failed: 0, failedClusters: [], ok: true, message: null };

/** A plan over `clusters` (one object each) with deletions on `deleting`. */
function plan(clusters: readonly string[], deleting: readonly string[] = []): TargetPlan {
  const files = new Map(clusters.map((c) => [`${c}/v1/configmap/default/app.yaml`, `oid-${c}`]));
  const changes = deleting.map(
    (c) =>
      ({
        cluster: c,
        action: 'deleted',
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'app' },
      }) as unknown as ObjectChange,
  );
  return {
    revision: 'r',
    changes,
    files: () => files,
    forEachFile: visitFiles(files),
    total: files.size,
    manifestsTree: null,
    previousManifestsTree: null,
    readText: async () => '',
    full: false,
    clusterOf: (p) => p.split('/')[0]!,
  };
}

/** A gate over 2 shards holding `owned`, assigning with the real consistent hash. */
function gate(owned: Set<number>): ClusterGate {
  return {
    async acquireBatch(clusters) {
      const a = assignShards(clusters, 2);
      const names = [...a.keys()].sort();
      return {
        clusters: names.filter((c) => owned.has(a.get(c)!)),
        others: names.filter((c) => !owned.has(a.get(c)!)),
        stillOwns: () => true,
        done: () => undefined,
      };
    },
  };
}

function replica(owned: Set<number>) {
  const applied: string[] = [];
  const target = new ShardedTarget({
    name: 'kubernetes:test',
    type: 'kubernetes',
    gate: gate(owned),
    clusterTarget: (c): Target => ({ name: c, type: 'kubernetes', apply: async () => (applied.push(c), OK) }),
    parallelism: 2,
    log: silentLogger(),
  });
  return { target, applied };
}

describe('the fleet a sharded replica assigns', () => {
  const base = ['a', 'b', 'c', 'd', 'e', 'f'];
  // Clusters replica A applied in the past, all gone from the fleet since.
  const departed = Array.from({ length: 20 }, (_, i) => `old-${i}`);

  it(
    'replica A once applied 20 clusters since gone, replica B never did → both assign the 6 of ' +
      'the plan alike: each applied exactly once, the gone ones by nobody',
    async () => {
      const a = replica(new Set([0, 1]));
      await a.target.apply(plan([...base, ...departed]));
      await a.target.apply(plan(base, departed));
      // Now the shards split: A holds shard 0, B (fresh) holds shard 1.
      (a.target as unknown as { opts: { gate: ClusterGate } }).opts.gate = gate(new Set([0]));
      const b = replica(new Set([1]));
      a.applied.length = 0;
      await Promise.all([a.target.apply(plan(base)), b.target.apply(plan(base))]);
      expect([...a.applied, ...b.applied].sort()).toEqual(base);
      expect([...a.target.others, ...b.target.others].sort()).toEqual(base);
    },
  );

  it(
    "a cluster with deletions in the plan is in the fleet (pruned once, by its shard's owner); " +
      'its inner targets are dropped once the prune is done',
    async () => {
      const gone = departed[0]!;
      const a = replica(new Set([0]));
      const b = replica(new Set([1]));
      await Promise.all([a.target.apply(plan([...base, gone])), b.target.apply(plan([...base, gone]))]);
      a.applied.length = 0;
      b.applied.length = 0;
      await Promise.all([a.target.apply(plan(base, [gone])), b.target.apply(plan(base, [gone]))]);
      expect([...a.applied, ...b.applied].sort()).toEqual([...base, gone].sort());
      expect([...a.target.innerClusters, ...b.target.innerClusters]).not.toContain(gone);
    },
  );
});

describe('ownership checked before every write (test API server)', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startFleetApiServers(['c00'], { autoReady: true });
  });
  afterAll(() => fleet.close());

  const files = (version: string): SourceFile[] => [
    ...duplicatedFleet(['c00'], version),
    ...['two', 'three'].map(
      (n) =>
        ({
          path: `${n}.yaml`,
          text: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}, namespace: default}\ndata: {version: "${version}"}\n`,
        }) as SourceFile,
    ),
  ];

  it(
    '3 ConfigMaps, lease lost after the 1st write → 1 write, 2 skipped, cluster failed; next ' +
      'pass with the lease writes the 2 others only',
    async () => {
      // Checks: before the cluster starts, before write 1 — then the lease has run out.
      let checks = 0;
      let allowed = 2;
      const target = new ShardedTarget({
        name: 'kubernetes:test',
        type: 'kubernetes',
        gate: {
          acquireBatch: async (clusters) => ({
            clusters: [...clusters],
            others: [],
            stillOwns: () => ++checks <= allowed,
            done: () => undefined,
          }),
        },
        clusterTarget: () => testTarget(fleet),
        parallelism: 1,
        log: silentLogger(),
      });
      const plans = new PlanMaker();
      clearRequests(fleet);
      const report = await target.apply(plans.next(files('v1')).plan);
      expect(writes(fleet).filter((w) => !w.dryRun)).toHaveLength(1);
      expect(report.ok).toBe(false);
      expect(report.failedClusters).toEqual(['c00']);
      const result = target.lastResult!.clusters[0]!;
      expect(result.counts).toMatchObject({ created: 1, skipped: 2 });
      expect(result.objects.filter((o) => o.action === 'skipped').every((o) => /no longer holds the lease/.test(o.message ?? ''))).toBe(
        true,
      );
      expect(result.inventory).toHaveLength(1);

      allowed = Infinity;
      clearRequests(fleet);
      const again = await target.apply({ ...plans.next(files('v1')).plan, full: true });
      expect(again.ok).toBe(true);
      expect(writes(fleet).filter((w) => !w.dryRun)).toHaveLength(2);
      expect(target.lastResult!.clusters[0]!.inventory).toHaveLength(3);
    },
  );
});

describe('a cluster applying in the background under sharding (test API server trickling its answers)', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startFleetApiServers(['c00'], { autoReady: true });
  });
  afterAll(() => fleet.close());

  it(
    'the pass ends at the deadline; the run asks the lease before each write, stops once it is ' +
      'lost; the shard stays busy till it ends',
    async () => {
      let lost = false;
      let done = 0;
      let batches = 0;
      const target = new ShardedTarget({
        name: 'kubernetes:test',
        type: 'kubernetes',
        gate: {
          acquireBatch: async (clusters) => {
            batches++;
            return {
              clusters: [...clusters],
              others: [],
              stillOwns: () => !lost,
              done: () => void done++,
            };
          },
        },
        clusterTarget: () => testTarget(fleet, { timeoutSeconds: 10 }),
        parallelism: 1,
        log: silentLogger(),
      });
      target.applyInBackground(150);
      const plans = new PlanMaker();
      await target.apply(plans.next(duplicatedFleet(['c00'], 'v1')).plan);
      const server = fleet.servers.get('c00')!;
      server.addFault({ action: 'trickle', bytesPerChunk: 32, intervalMs: 20 });
      clearRequests(fleet);
      const started = Date.now();
      const report = await target.apply(plans.next(duplicatedFleet(['c00'], 'v2')).plan);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(report).toMatchObject({ ok: true, applying: ['c00'], configured: 0 });
      expect(target.lastResult!.clusters[0]!.background?.applying).toMatchObject({ revision: expect.any(String) });
      expect(done).toBe(1); // the first batch's; the second one's shard stays busy until its run ends
      // The lease is lost while the run goes on in the background: it stops at its next write.
      lost = true;
      await target.settle();
      expect(done).toBe(2);
      server.clearFaults();
      expect(writes(fleet).filter((w) => !w.dryRun)).toEqual([]);
      // The lease is back: the next pass applies v2 and reports the background run the lease stopped.
      lost = false;
      const next = await target.apply(plans.next(duplicatedFleet(['c00'], 'v2')).plan);
      const c00 = target.lastResult!.clusters[0]!;
      expect(c00.background?.included).toHaveLength(1);
      expect(c00.background?.message).toMatch(/no longer holds the lease/);
      expect(next).toMatchObject({ configured: 1 });
      expect(next.applying).toBeUndefined();
      expect(writes(fleet).filter((w) => !w.dryRun)).toHaveLength(1);
      expect(batches).toBe(3);
    },
  );
});

describe('one request fits between renew deadline and lease duration', () => {
  it('default timing 15 s / 10 s → budget 0.8 × 5 s = 4000 ms', () => {
    expect(requestBudgetMs(DEFAULT_LEASE_TIMING)).toBe(4_000);
  });

  it('default requests (4 attempts × 10 s, Retry-After up to 30 s) = 130 s worst case → cut to 1 attempt of 4 s', () => {
    const p = { timeoutMs: 10_000, retry: DEFAULT_KUBE_RETRY };
    expect(worstCaseMs(p)).toBe(4 * 10_000 + 3 * 30_000);
    const fitted = fitRequestPolicy(p, 4_000);
    expect(fitted).toEqual({ timeoutMs: 4_000, retry: { ...DEFAULT_KUBE_RETRY, attempts: 1, maxRetryAfterMs: 5_000 } });
    expect(worstCaseMs(fitted)).toBeLessThanOrEqual(4_000);
  });

  it('3 attempts × 1 s, backoff ≤ 100 ms, Retry-After ≤ 5 s, budget 4 s → Retry-After capped at 100 ms, 3 attempts kept (3.2 s)', () => {
    const fitted = fitRequestPolicy(
      { timeoutMs: 1_000, retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 100, maxRetryAfterMs: 5_000 } },
      4_000,
    );
    expect(fitted.retry).toMatchObject({ attempts: 3, maxRetryAfterMs: 100 });
    expect(worstCaseMs(fitted)).toBe(3_200);
  });

  it(
    'a sharded replica bounds its per-cluster targets by the gate budget (2 s timeout × 3 → one ' +
      '480 ms attempt for 2 s / 1.4 s leases)',
    () => {
      let made: KubernetesTarget | null = null;
      const target = new ShardedTarget({
        name: 'kubernetes:test',
        type: 'kubernetes',
        gate: {
          requestBudgetMs: requestBudgetMs({ leaseDurationMs: 2_000, renewDeadlineMs: 1_400, retryPeriodMs: 250 }),
          acquireBatch: async (c) => ({ clusters: [...c], others: [], stillOwns: () => true, done: () => undefined }),
        },
        clusterTarget: () => (made = testTarget({ kubeconfigText: '' } as TestFleet)),
        parallelism: 1,
        log: silentLogger(),
      });
      (target as unknown as { innerTarget(c: string): unknown }).innerTarget('c00');
      expect(made!.requestPolicy().timeoutMs).toBe(480);
      expect(worstCaseMs(made!.requestPolicy())).toBeLessThanOrEqual(480);
    },
  );
});
