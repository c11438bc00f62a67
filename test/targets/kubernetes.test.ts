// The kubernetes target against five test API servers (test/kube/server): the seed fleet's first
// sync, a no-op resync, a policy change, drift, conflicts, an invalid object, pruning with its
// opt-out and guard, and a dry run. Requests are counted from the servers' own logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFile, fixtureFiles } from '../helpers/fleet.js';
import type { TestFleet } from '../helpers/kube.js';
import type { SourceFile } from '../../src/load/parse.js';
import { PlanMaker, SEED_CLUSTERS, clearRequests, startSeedFleet, testTarget, writes } from '../kube/harness.js';
import type { KubernetesTarget } from '../../src/targets/kubernetes.js';
import { MANAGED_LABEL, PRUNE_ANNOTATION } from '../../src/objects/tracking.js';

const deployment = (fleet: TestFleet, cluster: string, name: string) =>
  fleet.servers.get(cluster)!.getObject('apps/v1', 'Deployment', 'default', name) as Record<string, any> | undefined;
const actions = (t: KubernetesTarget, action: string) =>
  t
    .lastResult!.clusters.flatMap((c) =>
      c.objects.filter((o) => o.action === action).map((o) => `${c.cluster} ${o.ref.kind}/${o.ref.name}`),
    )
    .sort();

describe('kubernetes target: the seed fleet on five clusters', () => {
  let fleet: TestFleet;
  let seed: SourceFile[];
  let maker: PlanMaker;
  let target: KubernetesTarget;

  beforeAll(async () => {
    fleet = await startSeedFleet();
    seed = await fixtureFiles('seed');
    maker = new PlanMaker();
    target = testTarget(fleet);
  });
  afterAll(async () => {
    target?.close();
    await fleet?.close();
  });

  it('first sync: 26 objects created with one server-side apply each; the 2 clusters without credentials are reported', async () => {
    const report = await target.apply(maker.next(seed, { full: true }).plan);
    expect(report).toMatchObject({
      created: 26,
      configured: 0,
      deleted: 0,
      failedClusters: ['cluster-zone-a', 'cluster-zone-b'],
      ok: false,
    });
    expect(report.message).toContain('cluster-zone-a: no connection: the kubeconfig has no context named cluster-zone-a');
    const w = writes(fleet);
    expect(w).toHaveLength(26);
    expect(w.every((r) => r.method === 'PATCH' && !r.dryRun)).toBe(true);
    const patch = fleet.servers.get('cluster-hangzhou')!.requests.find((r) => r.method === 'PATCH')!;
    expect(patch).toMatchObject({ contentType: 'application/apply-patch+yaml', manager: 'flotilla' });
    // Karmada's split, live: nginx 6/4 by static weights 60/40; the Namespace before the ConfigMap in it.
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')!.spec.replicas).toBe(6);
    expect(deployment(fleet, 'cluster-shanghai', 'nginx')!.spec.replicas).toBe(4);
    const hz = fleet.servers
      .get('cluster-hangzhou')!
      .requests.filter((r) => r.method === 'PATCH')
      .map((r) => r.path);
    expect(hz.indexOf('/api/v1/namespaces/kurator-system')).toBeLessThan(
      hz.indexOf('/api/v1/namespaces/kurator-system/configmaps/network-config'),
    );
    // The VirtualService (a CRD kind) went through unchanged, every field kept.
    const vs = fleet.servers
      .get('cluster-hangzhou')!
      .getObject('networking.istio.io/v1beta1', 'VirtualService', 'default', 'cross-cluster-route') as Record<string, any>;
    expect(vs.spec.http[0].retries).toEqual({ attempts: 3, perTryTimeout: '1s' });
    expect(vs.metadata.labels[MANAGED_LABEL]).toBe('flotilla');
    // Health: workloads become ready on the double; everything connected is Healthy.
    const hzResult = target.lastResult!.clusters.find((c) => c.cluster === 'cluster-hangzhou')!;
    expect(hzResult.health.status).toBe('Healthy');
    expect(hzResult.health.counts.Healthy).toBe(10);
  });

  it('no-op resync: 0 write requests, 26 unchanged', async () => {
    clearRequests(fleet);
    const report = await target.apply(maker.next(seed).plan);
    expect(report).toMatchObject({ created: 0, configured: 0, unchanged: 26, deleted: 0 });
    expect(writes(fleet)).toEqual([]);
    // One list per kind per cluster, plus nothing else: observation is cheap.
    const hz = fleet.servers.get('cluster-hangzhou')!.requests;
    expect(hz.every((r) => r.method === 'GET')).toBe(true);
  });

  it('one policy change (nginx weights 60/40 → 70/30) touches only nginx on hangzhou and shanghai: 2 writes', async () => {
    clearRequests(fleet);
    seed = editFile(seed, '05-nginx.yaml', 'weight: 60', 'weight: 70');
    seed = editFile(seed, '05-nginx.yaml', 'weight: 40', 'weight: 30');
    const report = await target.apply(maker.next(seed).plan);
    expect(report).toMatchObject({ created: 0, configured: 2, unchanged: 24 });
    expect(
      writes(fleet)
        .map((w) => `${w.cluster} ${w.path}`)
        .sort(),
    ).toEqual([
      'cluster-hangzhou /apis/apps/v1/namespaces/default/deployments/nginx',
      'cluster-shanghai /apis/apps/v1/namespaces/default/deployments/nginx',
    ]);
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')!.spec.replicas).toBe(7);
    expect(deployment(fleet, 'cluster-shanghai', 'nginx')!.spec.replicas).toBe(3);
    // A change the repository made is not drift.
    expect(target.lastResult!.clusters.flatMap((c) => c.objects.filter((o) => o.drift.length > 0))).toEqual([]);
  });

  it('a field changed live by another manager (kubectl edit replicas 7 → 2) is drift: reported and corrected next time', async () => {
    const server = fleet.servers.get('cluster-hangzhou')!;
    const live = deployment(fleet, 'cluster-hangzhou', 'nginx')!;
    server.putObject({ ...live, spec: { ...live.spec, replicas: 2 } }, 'kubectl-edit');
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')!.spec.replicas).toBe(2);
    clearRequests(fleet);
    const report = await target.apply(maker.next(seed).plan);
    expect(report.configured).toBe(1);
    expect(report.message).toContain('drift corrected on 1 object');
    const drifted = target.lastResult!.clusters.flatMap((c) =>
      c.objects.filter((o) => o.drift.length > 0).map((o) => ({ cluster: c.cluster, name: o.ref.name, drift: o.drift })),
    );
    expect(drifted).toEqual([{ cluster: 'cluster-hangzhou', name: 'nginx', drift: ['spec.replicas'] }]);
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')!.spec.replicas).toBe(7);
    // The correction took the field back from kubectl-edit (a forced apply on flotilla's own object).
    expect(writes(fleet)).toHaveLength(1);
    expect(fleet.servers.get('cluster-hangzhou')!.requests.find((r) => r.method === 'PATCH')!.query.force).toBe('true');
    // And the pass after that is quiet again.
    clearRequests(fleet);
    await target.apply(maker.next(seed).plan);
    expect(writes(fleet)).toEqual([]);
  });

  it('a 422 on one object fails that object only; the others of the cluster and fleet are applied', async () => {
    seed = editFile(seed, '13-web-frontend.yaml', 'image: web-frontend:1.0', 'image: web-frontend:1.1');
    const hz = fleet.servers.get('cluster-hangzhou')!;
    hz.failNext(1, 422, { method: 'PATCH', path: /deployments\/web-frontend$/ });
    const report = await target.apply(maker.next(seed).plan);
    expect(actions(target, 'failed')).toEqual(['cluster-hangzhou Deployment/web-frontend']);
    expect(actions(target, 'configured')).toEqual(['cluster-shanghai Deployment/web-frontend']);
    expect(report.failedClusters).toEqual(['cluster-hangzhou', 'cluster-zone-a', 'cluster-zone-b']);
    expect(report.message).toMatch(/cluster-hangzhou: 1 object failed \(first: Deployment default\/web-frontend: PATCH .* 422/);
    // Not retried (422 means "fix the object"), and fixed by the next pass once the cluster accepts it.
    expect(hz.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('web-frontend'))).toHaveLength(1);
    await target.apply(maker.next(seed).plan);
    expect(deployment(fleet, 'cluster-hangzhou', 'web-frontend')!.spec.template.spec.containers[0].image).toBe('web-frontend:1.1');
  });

  it('a removed resource is pruned from every cluster, except where annotated prune: disabled', async () => {
    const sh = fleet.servers.get('cluster-shanghai')!;
    const api = sh.getObject('apps/v1', 'Deployment', 'default', 'api-v1') as Record<string, any>;
    sh.putObject(
      { ...api, metadata: { ...api.metadata, annotations: { ...api.metadata.annotations, [PRUNE_ANNOTATION]: 'disabled' } } },
      'kubectl-annotate',
    );
    clearRequests(fleet);
    const without = seed.filter((f) => f.path !== '04-cross-cluster-route.yaml');
    const report = await target.apply(maker.next(without).plan);
    expect(actions(target, 'deleted')).toEqual([
      'cluster-hangzhou Deployment/api-v1',
      'cluster-hangzhou VirtualService/cross-cluster-route',
      'cluster-shanghai VirtualService/cross-cluster-route',
    ]);
    expect(actions(target, 'skipped').filter((a) => !a.includes('zone'))).toEqual(['cluster-shanghai Deployment/api-v1']);
    expect(report.deleted).toBe(3);
    expect(writes(fleet).every((w) => w.method === 'DELETE')).toBe(true);
    expect(deployment(fleet, 'cluster-hangzhou', 'api-v1')).toBeUndefined();
    expect(deployment(fleet, 'cluster-shanghai', 'api-v1')).toBeDefined();
    // The opted-out object left the inventory: the next pass neither deletes nor mentions it.
    clearRequests(fleet);
    await target.apply(maker.next(without).plan);
    expect(writes(fleet)).toEqual([]);
    expect(actions(target, 'skipped').filter((a) => !a.includes('zone'))).toEqual([]);
    seed = without;
  });

  it('objects flotilla did not create (no tracking label) are never deleted, even when named in its record', async () => {
    // The reconciler's record says web-frontend was applied to frankfurt; it was not flotilla's.
    const fr = fleet.servers.get('cluster-frankfurt')!;
    fr.putObject(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web-frontend', namespace: 'default', labels: { app: 'w' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'w' } },
          template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'w', image: 'w' }] } },
        },
      },
      'helm',
    );
    const plan = maker.next(seed).plan;
    const forged = {
      ...plan,
      changes: [
        ...plan.changes,
        {
          action: 'deleted' as const,
          id: 'x',
          cluster: 'cluster-frankfurt',
          ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web-frontend' },
          path: 'cluster-frankfurt/default/Deployment-web-frontend.yaml',
        },
      ],
    };
    await target.apply(forged);
    expect(actions(target, 'skipped').filter((a) => !a.includes('zone'))).toEqual(['cluster-frankfurt Deployment/web-frontend']);
    expect(deployment(fleet, 'cluster-frankfurt', 'web-frontend')).toBeDefined();
  });

  it('the mass-deletion guard: a revision removing every workload deletes nothing and says why', async () => {
    clearRequests(fleet);
    const onlyClusters = seed.filter((f) => /fleet|attached/.test(f.path));
    const report = await target.apply(maker.next(onlyClusters).plan);
    expect(report.deleted).toBe(0);
    expect(writes(fleet)).toEqual([]);
    expect(report.message).toMatch(/pruning held back: \d+ of \d+ objects \(100%\) would be deleted, over the mass-deletion limit of 50%/);
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')).toBeDefined();
    // Back to the real fleet: nothing to do.
    clearRequests(fleet);
    await target.apply(maker.next(seed).plan);
    expect(writes(fleet)).toEqual([]);
  });

  it('deletions the Flotilla-Allow-Deletions trailer allowed pass the guard, on this pass and the next of that revision', async () => {
    const onlyClusters = seed.filter((f) => /fleet|attached/.test(f.path));
    const { plan } = maker.next(onlyClusters, { revision: 'allowed-rev' });
    // What the reconciler's guard counted and the trailer allowed: every deletion of the revision.
    const leaving = plan.changes.filter((c) => c.action === 'deleted').length;
    // Too few allowed: held as before.
    const few = await target.apply({ ...plan, deletionsAllowed: leaving - 1 });
    expect(few.deleted).toBe(0);
    expect(few.message).toContain('pruning held back');
    // Enough: pruned, the cluster that could not be pruned yet (its server down) is pruned at the next pass of that revision.
    await fleet.servers.get('spot-cluster')!.goDown();
    const allowed = await target.apply({ ...plan, deletionsAllowed: leaving });
    expect(allowed.deleted).toBeGreaterThan(0);
    expect(deployment(fleet, 'cluster-hangzhou', 'nginx')).toBeUndefined();
    await fleet.servers.get('spot-cluster')!.comeBack();
    const again = await target.apply({ ...plan, changes: [] });
    expect(again.message ?? '').not.toContain('pruning held back');
    expect(fleet.servers.get('spot-cluster')!.getObject('apps/v1', 'Deployment', 'default', 'cost-sensitive-app')).toBeUndefined();
    await target.apply(maker.next(seed).plan);
  });

  it('a revision with error diagnostics prunes nothing', async () => {
    const t = testTarget(fleet, {}, { fleet: () => ({ clusters: [], parallelism: 10, revisionHasErrors: true }) });
    try {
      await t.apply(maker.next(seed).plan); // learns the inventory
      clearRequests(fleet);
      const report = await t.apply(maker.next(seed.filter((f) => f.path !== '08-network-config.yaml')).plan);
      expect(report.deleted).toBe(0);
      expect(writes(fleet)).toEqual([]);
      expect(report.message).toContain('pruning held back: the revision has error diagnostics');
    } finally {
      t.close();
      maker.next(seed);
    }
  });
});

describe('kubernetes target: conflicts and dry runs', () => {
  let fleet: TestFleet;
  beforeAll(async () => {
    fleet = await startSeedFleet(SEED_CLUSTERS.slice(0, 3));
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it('dry run (dryRun=All): every apply is sent as a dry run, nothing is stored', async () => {
    const t = testTarget(fleet, { dryRun: true });
    try {
      const report = await t.apply(new PlanMaker().next(await fixtureFiles('seed'), { full: true }).plan);
      expect(report.created).toBe(22);
      expect(report.message).toContain('dry run');
      const w = writes(fleet);
      expect(w.length).toBe(22);
      expect(w.every((r) => r.dryRun)).toBe(true);
      expect(fleet.servers.get('cluster-hangzhou')!.listObjects('apps/v1', 'Deployment')).toEqual([]);
    } finally {
      t.close();
    }
  });

  it('an object another manager created is refused (conflictResolution Abort) and named; with force: true it is adopted', async () => {
    const hz = fleet.servers.get('cluster-hangzhou')!;
    hz.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kurator-system' } }, 'helm');
    hz.putObject(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'network-config', namespace: 'kurator-system' },
        data: { config: 'networkType: calico\n' },
      },
      'helm',
    );
    const files = await fixtureFiles('seed');
    const t = testTarget(fleet);
    try {
      const report = await t.apply(new PlanMaker().next(files, { full: true }).plan);
      const failed = t.lastResult!.clusters.flatMap((c) =>
        c.objects
          .filter((o) => o.action === 'failed')
          .map((o) => ({ cluster: c.cluster, name: o.ref.name, code: o.code, message: o.message })),
      );
      expect(failed).toEqual([
        {
          cluster: 'cluster-hangzhou',
          name: 'network-config',
          code: 'KUBE_CONFLICT',
          message: expect.stringContaining(
            'ConfigMap kurator-system/network-config already exists on cluster cluster-hangzhou and flotilla did not create it ' +
              '(field managers: helm); conflictResolution Abort',
          ),
        },
      ]);
      expect(report.failedClusters).toContain('cluster-hangzhou');
      expect((hz.getObject('v1', 'ConfigMap', 'kurator-system', 'network-config') as any).data.config).toBe('networkType: calico\n');
    } finally {
      t.close();
    }
    const forced = testTarget(fleet, { force: true });
    try {
      await forced.apply(new PlanMaker().next(files, { full: true }).plan);
      expect(forced.lastResult!.counts.failed).toBe(0);
      expect((hz.getObject('v1', 'ConfigMap', 'kurator-system', 'network-config') as any).data.config).toContain('networkType: flannel');
    } finally {
      forced.close();
    }
  });
});
