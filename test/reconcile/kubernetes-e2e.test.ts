// The reconciler applying a real git repository to five live clusters (test API servers, test
// doubles of kube-apiserver): first sync, a quiet resync, drift corrected without a commit, a
// policy commit touching only its objects, failover after the toleration, and an invalid commit
// that touches nothing. The seed fleet also places objects on cluster-zone-a and cluster-zone-b,
// which have no credentials here: they are reported per cluster and never fail the others.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock, Reconciler } from '../../src/reconcile/reconciler.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { clearRequests, startSeedFleet, writes } from '../kube/harness.js';
import { captureLogger, configFrom, fakeClock, kubernetesConfigYaml, reconcilerFor, seedFiles } from './harness.js';
import { configMapYaml, duplicatedFleet } from '../helpers/fleet.js';

afterAll(cleanupRepos);

/** A clock the test moves; waits (retry backoff) return at once. */
function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

type Obj = Record<string, any>;

async function statusAt(dir: string): Promise<Obj> {
  return parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
}

async function statusCommits(dir: string): Promise<number> {
  return Number(await git(dir, 'rev-list', '--count', 'flotilla-status'));
}

function replicasOf(fleet: TestFleet, cluster: string, name: string): number | undefined {
  return (fleet.servers.get(cluster)!.getObject('apps/v1', 'Deployment', 'default', name) as Obj | undefined)?.spec?.replicas;
}

describe('reconcile into live clusters (5 test API servers)', () => {
  let fleet: TestFleet;
  let dir: string;
  let seed: Record<string, string>;
  let reconciler: Reconciler;
  let clock: ReturnType<typeof manualClock>;
  let logLines: string[];

  beforeEach(async () => {
    fleet = await startSeedFleet();
    seed = await seedFiles();
    ({ dir } = await makeRepo(seed));
    const base = await makeTempDir('flotilla-kube-e2e-');
    clock = manualClock();
    const config = configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), base);
    const logger = captureLogger();
    logLines = logger.lines;
    ({ reconciler } = await reconcilerFor(config, { clock, log: logger.log }));
  });
  afterEach(async () => {
    await fleet?.close();
  });

  it(
    'first pass: nginx 6/4 live on hangzhou/shanghai, status per cluster; clusters without ' +
      'credentials fail alone; a resync writes nothing and commits nothing',
    async () => {
      const first = await reconciler.reconcileOnce();
      expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(6);
      expect(replicasOf(fleet, 'cluster-shanghai', 'nginx')).toBe(4);
      expect(replicasOf(fleet, 'spot-cluster', 'cost-sensitive-app')).toBe(8);
      // 10 + 11 + 1 + 2 + 2 objects on the five connected clusters.
      expect(writes(fleet).filter((w) => !w.dryRun)).toHaveLength(26);
      // zone-a and zone-b hold one object each but have no context: the pass is Degraded, not Failed.
      expect(first).toMatchObject({ phase: 'Degraded', stage: 'write', reason: 'TargetWriteFailed' });
      expect(first.message).toContain('cluster-zone-a: no connection');
      const status = await statusAt(dir);
      expect(status.sourceRevision).toBe(first.revision);
      expect(status.clusters['cluster-hangzhou']).toEqual({
        reachable: true,
        ready: true,
        health: 'Healthy',
        applied: 10,
        unchanged: 0,
        deleted: 0,
        failed: 0,
        drifted: 0,
        message: null,
      });
      expect(status.clusters['cluster-shanghai']).toMatchObject({ reachable: true, ready: true, applied: 11, failed: 0 });
      expect(status.clusters['cluster-zone-a']).toMatchObject({
        reachable: false,
        ready: null,
        applied: 0,
        failed: 1,
        message: expect.stringContaining('no connection: the kubeconfig has no context named cluster-zone-a'),
      });
      // A cluster with nothing placed on it and no credentials is still reported.
      expect(status.clusters['production-cluster-01']).toMatchObject({
        reachable: false,
        applied: 0,
        failed: 0,
        message: expect.stringContaining('secretRef cluster-01-kubeconfig'),
      });
      expect(status.health).toBe('Healthy');
      expect(status.failover.conditions.map((c: Obj) => `${c.cluster}=${c.ready}`)).toEqual([
        'cluster-frankfurt=true',
        'cluster-hangzhou=true',
        'cluster-shanghai=true',
        'ondemand-cluster=true',
        'spot-cluster=true',
      ]);
      // The observed clusters (readiness, capacity) the render used are on the branch for `render` in CI.
      expect(await git(dir, 'show', 'flotilla-status:observed-clusters.yaml')).toContain('name: cluster-hangzhou');
      expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('| cluster-zone-a |');

      // Second poll, no commit: every live object compared, none written, no status commit.
      clearRequests(fleet);
      const commits = await statusCommits(dir);
      clock.advance(30_000);
      const second = await reconciler.reconcileOnce();
      expect(second).toMatchObject({ phase: 'Degraded', skipped: false, statusCommit: null });
      expect(writes(fleet)).toEqual([]);
      expect(fleet.servers.get('cluster-hangzhou')!.requests.length).toBeGreaterThan(0);
      expect(await statusCommits(dir)).toBe(commits);
      // …and says so at debug level only (a poll every 30 s must not flood the log).
      const passLines = logLines.map((l) => JSON.parse(l)).filter((l) => l.phase !== undefined && l.durationMs !== undefined);
      expect(passLines.map((l) => l.level)).toEqual([40, 20]);
    },
  );

  it('a live edit is drift: corrected on the next poll without a commit, and the status branch says so', async () => {
    await reconciler.reconcileOnce();
    const hz = fleet.servers.get('cluster-hangzhou')!;
    const live = hz.getObject('apps/v1', 'Deployment', 'default', 'nginx') as Obj;
    hz.putObject({ ...live, spec: { ...live.spec, replicas: 2 } }, 'kubectl-edit');
    clearRequests(fleet);
    const commits = await statusCommits(dir);
    clock.advance(30_000);
    const o = await reconciler.reconcileOnce();
    expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(6);
    expect(writes(fleet).map((w) => `${w.cluster} ${w.method} ${w.path}`)).toEqual([
      'cluster-hangzhou PATCH /apis/apps/v1/namespaces/default/deployments/nginx',
    ]);
    expect(o.message).toContain('drift corrected on 1 object');
    expect(o.statusCommit).not.toBeNull();
    expect(await statusCommits(dir)).toBe(commits + 1);
    const status = await statusAt(dir);
    expect(status.clusters['cluster-hangzhou']).toMatchObject({ drifted: 1, applied: 1, unchanged: 9 });
    // The poll after the correction is quiet again.
    clearRequests(fleet);
    clock.advance(30_000);
    await reconciler.reconcileOnce();
    expect(writes(fleet)).toEqual([]);
    expect((await statusAt(dir)).clusters['cluster-hangzhou'].drifted).toBe(0);
  });

  it('a policy commit applies only the objects it affects', async () => {
    await reconciler.reconcileOnce();
    clearRequests(fleet);
    const nginx = seed['05-nginx.yaml']!;
    expect(nginx).toContain('weight: 60');
    const head = await commitFiles(
      dir,
      { '05-nginx.yaml': nginx.replace('weight: 60', 'weight: X').replace('weight: 40', 'weight: 60').replace('weight: X', 'weight: 40') },
      'nginx: 40:60 instead of 60:40',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.revision).toBe(head);
    // 10 replicas at 40:60 (hangzhou:shanghai) → 4/6 (was 60:40 → 6/4).
    expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(4);
    expect(replicasOf(fleet, 'cluster-shanghai', 'nginx')).toBe(6);
    expect(
      writes(fleet)
        .map((w) => `${w.cluster} ${w.path}`)
        .sort(),
    ).toEqual([
      'cluster-hangzhou /apis/apps/v1/namespaces/default/deployments/nginx',
      'cluster-shanghai /apis/apps/v1/namespaces/default/deployments/nginx',
    ]);
    const status = await statusAt(dir);
    expect(status.sourceRevision).toBe(head);
    expect(status.clusters['cluster-hangzhou']).toMatchObject({ applied: 1, unchanged: 9, drifted: 0 });
  });

  it(
    'a cluster going down fails alone; after the 1 s toleration its replicas move (nginx → ' +
      'hangzhou 10) and the status branch records why',
    async () => {
      await reconciler.reconcileOnce();
      await fleet.servers.get('cluster-shanghai')!.goDown();
      clearRequests(fleet);
      clock.advance(30_000);
      const down = await reconciler.reconcileOnce();
      expect(down.phase).toBe('Degraded');
      let status = await statusAt(dir);
      expect(status.clusters['cluster-shanghai']).toMatchObject({ reachable: false, ready: false });
      expect(status.clusters['cluster-hangzhou']).toMatchObject({ reachable: true, ready: true, failed: 0 });
      expect(status.failover.events.map((e: Obj) => `${e.cluster} ${e.type}`)).toEqual(['cluster-shanghai NotReady']);
      // NoSchedule alone moves nothing: shanghai keeps its place in the previous result.
      expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(6);
      expect(writes(fleet)).toEqual([]);

      clock.advance(1_000);
      const evicted = await reconciler.reconcileOnce();
      expect(evicted.phase).toBe('Degraded');
      expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(10);
      status = await statusAt(dir);
      expect(status.failover.events.map((e: Obj) => `${e.cluster} ${e.type}`)).toEqual([
        'cluster-shanghai NotReady',
        'cluster-shanghai Evicting',
      ]);
      expect(status.failover.events[1].message).toContain('its replicas move to the remaining eligible clusters');
      const nginx = status.placements.find((p: Obj) => p.resource.name === 'nginx');
      expect(nginx.clusters).toEqual([{ name: 'cluster-hangzhou', replicas: 10 }]);
      // reviews-v2 may only run on shanghai: it is kept where it was (not Invalid, not pruned) and says why.
      const warning = status.diagnostics.find((d: Obj) => d.code === 'SCHEDULE_FAILED');
      expect(warning).toMatchObject({ severity: 'warning', message: expect.stringContaining('reviews-v2 cannot be scheduled') });
      expect(warning.message).toContain('kept where it was');
      expect(evicted.message).toContain('1 resource cannot be placed while a cluster is not ready');
      // Not applied on every cluster (shanghai is down, zone-a and zone-b have no credentials): no last good revision.
      expect(status.lastGoodRevision).toBeNull();
      expect(await git(dir, 'show', 'flotilla-status:observed-clusters.yaml')).toMatch(
        /key: cluster.karmada.io\/not-ready\n\s+effect: NoExecute|effect: NoExecute\n\s+key: cluster.karmada.io\/not-ready/,
      );
      expect(await git(dir, 'log', '-1', '--format=%B', 'flotilla-status')).toContain('flotilla: Degraded at');
    },
  );

  it('a broken YAML commit is Invalid: nothing applied, nothing pruned, and later polls keep it so', async () => {
    await reconciler.reconcileOnce();
    clearRequests(fleet);
    const bad = await commitFiles(dir, { '05-nginx.yaml': null, 'broken.yaml': 'kind: [\n' }, 'broken and nginx removed');
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ revision: bad, phase: 'Invalid', reason: 'InvalidRevision' });
    expect(writes(fleet)).toEqual([]);
    expect(replicasOf(fleet, 'cluster-hangzhou', 'nginx')).toBe(6);
    expect((await statusAt(dir)).phase).toBe('Invalid');
    clock.advance(30_000);
    const again = await reconciler.reconcileOnce();
    expect(again.phase).toBe('Invalid');
    expect(writes(fleet)).toEqual([]);
    expect(replicasOf(fleet, 'cluster-shanghai', 'nginx')).toBe(4);
  });
});

describe('restarts', () => {
  it('a new reconciler on the same cache and status branch resyncs with 0 writes (inventory and failover state survive)', async () => {
    const fleet = await startSeedFleet();
    try {
      const { dir } = await makeRepo(await seedFiles());
      const base = await makeTempDir('flotilla-kube-restart-');
      const text =
        `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {kubeconfig: ` + `${fleet.kubeconfigPath}, timeoutSeconds: 2}\n`;
      const clock = manualClock();
      const one = await reconcilerFor(configFrom(text, base), { clock });
      await one.reconciler.reconcileOnce();
      expect(
        await import('node:fs/promises').then((fs) => fs.readFile(path.join(base, 'cache/kubernetes-inventory.json'), 'utf8')),
      ).toContain('cluster-hangzhou');
      clearRequests(fleet);
      const two = await reconcilerFor(configFrom(text, base), { clock });
      const o = await two.reconciler.reconcileOnce();
      expect(writes(fleet)).toEqual([]);
      expect(o.statusCommit).toBeNull();
    } finally {
      await fleet.close();
    }
  });
});

describe('cluster names and lost records', () => {
  const fleetYaml = (names: string[]) => duplicatedFleet(names);
  const cm = configMapYaml;

  it(
    'cluster c renamed c-eu (contexts: {c-eu: c}, same API server): the app ConfigMap c-eu ' +
      'applied stays live on server c over two passes',
    async () => {
      const fleet = await startFleetApiServers(['a', 'c']);
      try {
        const { dir } = await makeRepo({ 'fleet.yaml': fleetYaml(['a', 'c']), 'cm.yaml': cm('app') });
        const base = await makeTempDir('flotilla-rename-');
        const mk = async (contexts: string) =>
          (
            await reconcilerFor(
              configFrom(
                `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {kubeconfig: ` +
                  `${fleet.kubeconfigPath}, timeoutSeconds: 2${contexts}}\n`,
                base,
              ),
              { clock: fakeClock(), log: captureLogger().log },
            )
          ).reconciler;
        let r = await mk('');
        await r.reconcileOnce();
        expect(fleet.servers.get('c')!.getObject('v1', 'ConfigMap', 'default', 'app')).toBeTruthy();
        await commitFiles(dir, { 'fleet.yaml': fleetYaml(['a', 'c-eu']) }, 'rename c to c-eu');
        r.close();
        r = await mk(', contexts: {c-eu: c}');
        clearRequests(fleet);
        await r.reconcileOnce();
        await r.reconcileOnce();
        // c's old inventory entry meets the object c-eu applied: never deleted (c-eu's annotation)
        expect(writes(fleet).filter((w) => w.method === 'DELETE')).toEqual([]);
        const live = fleet.servers.get('c')!.getObject('v1', 'ConfigMap', 'default', 'app') as Obj | undefined;
        expect(live?.metadata?.annotations?.['flotilla.dev/cluster']).toBe('c-eu');
        r.close();
      } finally {
        await fleet.close();
      }
    },
  );

  it(
    'x applied in a pass whose status commit failed, then the cache is lost (new emptyDir) and ' +
      'x removed: the first pass adopts x, the next prunes it; keep stays',
    async () => {
      const fleet = await startFleetApiServers(['a']);
      try {
        const { dir } = await makeRepo({ 'fleet.yaml': fleetYaml(['a']), 'keep.yaml': cm('keep') });
        const mk = async (cache: string) =>
          (
            await reconcilerFor(
              configFrom(
                `source: {url: ${dir}, cacheDir: ${cache}}\ntargets:\n  - kubernetes: {kubeconfig: ` +
                  `${fleet.kubeconfigPath}, timeoutSeconds: 2}\n`,
                await makeTempDir('flotilla-orphan-'),
              ),
              { clock: fakeClock(), log: captureLogger().log },
            )
          ).reconciler;
        let r = await mk('cache1');
        await r.reconcileOnce();
        await commitFiles(dir, { 'x.yaml': cm('x') }, 'add x');
        const lock = path.join(dir, '.git/refs/heads/flotilla-status.lock'); // the status commit cannot land
        writeFileSync(lock, '');
        await r.reconcileOnce();
        expect(fleet.servers.get('a')!.getObject('v1', 'ConfigMap', 'default', 'x')).toBeTruthy();
        r.close();
        rmSync(lock);
        await commitFiles(dir, { 'x.yaml': null }, 'remove x');
        r = await mk('cache2'); // pod restarted: the emptyDir cache is new
        await r.reconcileOnce();
        await r.reconcileOnce();
        expect(fleet.servers.get('a')!.getObject('v1', 'ConfigMap', 'default', 'x')).toBeUndefined();
        expect(fleet.servers.get('a')!.getObject('v1', 'ConfigMap', 'default', 'keep')).toBeTruthy();
        r.close();
      } finally {
        await fleet.close();
      }
    },
  );
});
