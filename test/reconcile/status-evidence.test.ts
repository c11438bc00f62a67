// The status branch records only what happened (issue 10, defects 1 and 2), on three test API
// servers (test doubles of kube-apiserver): a pass that applied nothing is Failed with no "created"
// counts, a pass that applied some clusters is Degraded naming the others, and neither moves
// lastGoodRevision or manifests/ — so `flotilla diff` still shows what is pending. The counts of a
// pass come from its targets' reports, and every place that prints them says the same.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeStatusCommand } from '../../src/cli/commands/status.js';
import { diffCommand } from '../../src/cli/commands/diff.js';
import type { Reconciler } from '../../src/reconcile/reconciler.js';
import { createMetrics } from '../../src/server/metrics.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { parsePrometheusText } from '../server/prometheus-text.js';
import { captureLogger, configFrom, fakeClock, reconcilerFor } from './harness.js';
import { configMapYaml, duplicatedFleet } from '../helpers/fleet.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;
const CLUSTERS = ['a', 'b', 'c'];

const FLEET = duplicatedFleet(CLUSTERS);
const configMap = configMapYaml;

const statusYaml = async (dir: string): Promise<Obj> => parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
const manifests = async (dir: string): Promise<string[]> =>
  (await git(dir, 'ls-tree', '-r', '--name-only', 'flotilla-status', 'manifests')).split('\n').filter(Boolean);

/** flotilla_objects_total{result="applied"} summed over clusters. */
async function appliedInMetrics(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  return parsePrometheusText(await metrics.text())
    .filter((s) => s.name === 'flotilla_objects_total' && s.labels.result === 'applied')
    .reduce((n, s) => n + s.value, 0);
}

describe('status is evidence (3 test API servers)', () => {
  let fleet: TestFleet;
  let dir: string;
  let r0: string;
  let reconciler: Reconciler;
  let config: string;
  let base: string;

  beforeEach(async () => {
    fleet = await startFleetApiServers(CLUSTERS);
    ({ dir, commit: r0 } = await makeRepo({ 'fleet.yaml': FLEET, 'one.yaml': configMap('one') }));
    config = `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {kubeconfig: ${fleet.kubeconfigPath}, timeoutSeconds: 2}\n`;
    base = await makeTempDir('flotilla-evidence-');
    ({ reconciler } = await reconcilerFor(configFrom(config, base), { clock: fakeClock(), log: captureLogger().log }));
  });
  afterEach(async () => {
    reconciler?.close();
    await fleet?.close();
  });

  it('every member cluster down → Failed, no created counts; lastGoodRevision and manifests/ stay; diff shows the change', async () => {
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect((await statusYaml(dir)).lastGoodRevision).toBe(r0);
    const r1 = await commitFiles(dir, { 'two.yaml': configMap('two') }, 'add two');
    for (const s of fleet.servers.values()) await s.goDown();

    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ revision: r1, phase: 'Failed', stage: 'write', reason: 'TargetWriteFailed' });
    expect(o.message).toContain(`revision ${r1} was not applied`);
    expect(o.message).toContain(`last good revision ${r0}`);
    const status = await statusYaml(dir);
    expect(status).toMatchObject({ sourceRevision: r1, lastGoodRevision: r0, phase: 'Failed' });
    expect(status.objects).toEqual({ total: 6, created: 0, configured: 0, unchanged: 0, deleted: 0, failed: 6 });
    for (const c of CLUSTERS) expect(status.clusters[c]).toMatchObject({ reachable: false, applied: 0, failed: 2 });
    expect(status.targets[0]).toMatchObject({ phase: 'Failed', created: 0, configured: 0, failed: 6 });
    expect(await git(dir, 'log', '-1', '--format=%B', 'flotilla-status')).toContain(
      'Objects: 6 (0 created, 0 configured, 0 unchanged, 0 deleted, 6 failed)',
    );
    // manifests/ holds the last good revision's objects: two was never applied.
    expect(await manifests(dir)).toEqual(CLUSTERS.map((c) => `manifests/${c}/default/configmap-one.yaml`));
    const diff = fakeIO();
    expect(await diffCommand(['--repo', dir, '--ref', r1], diff)).toBe(2);
    expect(diff.out).not.toContain('no differences');
    expect(diff.out).toContain(`3 objects differ on 3 clusters: 3 added; 3 unchanged (desired ${r1.slice(0, 7)} against flotilla-status`);
    expect(diff.out).toContain(`(applied ${r0.slice(0, 7)})`);
  });

  it('the first pass with every cluster down records no last good revision and no manifests', async () => {
    for (const s of fleet.servers.values()) await s.goDown();
    expect((await reconciler.reconcileOnce()).phase).toBe('Failed');
    const status = await statusYaml(dir);
    expect(status.lastGoodRevision).toBeNull();
    expect(status.objects).toMatchObject({ created: 0, failed: 3 });
    expect(await manifests(dir)).toEqual([]);
  });

  it('one of three clusters down → Degraded naming it and why; lastGoodRevision stays until it has the revision too', async () => {
    await reconciler.reconcileOnce();
    const r1 = await commitFiles(dir, { 'two.yaml': configMap('two') }, 'add two');
    await fleet.servers.get('c')!.goDown();

    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ revision: r1, phase: 'Degraded', stage: 'write', reason: 'TargetWriteFailed' });
    expect(o.message).toContain(`revision ${r1} was applied in part`);
    expect(o.message).toMatch(/1 cluster failed: c: .*no answer/);
    expect(o.message).toContain(`last good revision ${r0}`);
    let status = await statusYaml(dir);
    expect(status).toMatchObject({ sourceRevision: r1, lastGoodRevision: r0, phase: 'Degraded' });
    expect(status.clusters.a).toMatchObject({ reachable: true, applied: 1, unchanged: 1, failed: 0 });
    expect(status.clusters.c).toMatchObject({ reachable: false, applied: 0, failed: 2, message: expect.stringContaining('no answer') });
    expect(status.objects).toMatchObject({ created: 2, failed: 2 });
    expect(await manifests(dir)).not.toContain('manifests/a/default/configmap-two.yaml');
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('| c | ❌ unreachable |');

    await fleet.servers.get('c')!.comeBack();
    const back = await reconciler.reconcileOnce();
    expect(back.phase).toBe('Synced');
    status = await statusYaml(dir);
    expect(status).toMatchObject({ sourceRevision: r1, lastGoodRevision: r1 });
    // c got what it missed; a and b had it already.
    expect(status.objects).toMatchObject({ created: 1, unchanged: 5 });
    expect(status.clusters.c).toMatchObject({ applied: 1, unchanged: 1 });
    expect(await manifests(dir)).toContain('manifests/c/default/configmap-two.yaml');
  });

  it('one object refused on every cluster: the others are applied, so the pass is Degraded (applied in part), not Failed', async () => {
    await reconciler.reconcileOnce();
    const r1 = await commitFiles(dir, { 'two.yaml': configMap('two') }, 'add two');
    for (const srv of fleet.servers.values()) srv.addFault({ action: 'status', status: 422, path: /configmaps(\/two)?$/, method: 'PATCH' });
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    expect(o.message).toContain(`revision ${r1} was applied in part (1 of 1 target failed: 3 clusters failed`);
    expect((await statusYaml(dir)).objects).toMatchObject({ unchanged: 3, failed: 3, created: 0 });
    expect((await statusYaml(dir)).lastGoodRevision).toBe(r0);
  });

  it('restarted while a cluster is down: keeps the last good revision, applies nothing twice, catches the cluster up', async () => {
    await reconciler.reconcileOnce();
    const r1 = await commitFiles(dir, { 'two.yaml': configMap('two') }, 'add two');
    await fleet.servers.get('c')!.goDown();
    await reconciler.reconcileOnce();
    reconciler.close();
    ({ reconciler } = await reconcilerFor(configFrom(config, base), { clock: fakeClock(), log: captureLogger().log }));
    for (const srv of fleet.servers.values()) srv.clearRequests();

    const again = await reconciler.reconcileOnce();
    expect(again.phase).toBe('Degraded');
    expect(again.counts.created).toBe(0);
    expect([...fleet.servers.values()].flatMap((srv) => srv.writeRequests())).toEqual([]);
    expect((await statusYaml(dir)).lastGoodRevision).toBe(r0);
    await fleet.servers.get('c')!.comeBack();
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect((await statusYaml(dir)).lastGoodRevision).toBe(r1);
    expect(fleet.servers.get('c')!.getObject('v1', 'ConfigMap', 'default', 'two')).toBeTruthy();
  });

  it('a kubernetes target with dryRun: true applies nothing, so no revision becomes the last good one', async () => {
    reconciler.close();
    const dryRun = config.replace('timeoutSeconds: 2}', 'timeoutSeconds: 2, dryRun: true}');
    ({ reconciler } = await reconcilerFor(configFrom(dryRun, base), { clock: fakeClock(), log: captureLogger().log }));
    await reconciler.reconcileOnce();
    expect((await statusYaml(dir)).lastGoodRevision).toBeNull();
    expect(fleet.servers.get('a')!.getObject('v1', 'ConfigMap', 'default', 'one')).toBeUndefined();
  });

  it('after a failed pass, counts come from what the targets did: CLI, status.yaml, README, commit message, metrics agree', async () => {
    for (const s of fleet.servers.values()) await s.goDown();
    await reconciler.reconcileOnce();
    for (const s of fleet.servers.values()) await s.comeBack();
    const metrics = createMetrics({ defaultMetrics: false });

    const o = await reconciler.reconcileOnce();
    metrics.recordOutcome(o);
    expect(o.phase).toBe('Synced');
    // The change set is empty (the desired state did not change); the target created all 3 objects.
    expect(o.counts).toEqual({ created: 3, configured: 0, unchanged: 0, deleted: 0 });
    const status = await statusYaml(dir);
    expect(status.objects).toEqual({ total: 3, created: 3, configured: 0, unchanged: 0, deleted: 0, failed: 0 });
    expect(status.targets[0]).toMatchObject({ phase: 'Applied', created: 3, configured: 0, unchanged: 0, deleted: 0 });
    const line = '3 (3 created, 0 configured, 0 unchanged, 0 deleted)';
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain(`| Objects | ${line} |`);
    expect(await git(dir, 'log', '-1', '--format=%B', 'flotilla-status')).toContain(`Objects: ${line}`);
    const cli = fakeIO();
    await makeStatusCommand({ env: {} })(['--repo', dir], cli);
    expect(cli.out).toContain(`objects:        ${line}`);
    expect(cli.out).toMatch(/kubernetes:\S+\s+Applied\s+3\s+0\s+0\s+0/);
    expect(await appliedInMetrics(metrics)).toBe(3);

    // A quiet poll applies nothing and adds nothing to the counters (it used to count the last committed status again).
    const quiet = await reconciler.reconcileOnce();
    expect(quiet.statusCommit).toBeNull();
    metrics.recordOutcome(quiet);
    expect(await appliedInMetrics(metrics)).toBe(3);
  });
});
