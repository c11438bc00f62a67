// Cluster isolation: one member cluster trickling its answers (a slow link) must not hold the other
// clusters back. Three test API servers, one ConfigMap duplicated to all; the reconciler as the
// service runs it (passes wait at most the deadline, slower clusters go on in the background).
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Reconciler } from '../../src/reconcile/reconciler.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { duplicatedFleet } from '../ha/fleet.js';
import { configFrom, fakeClock, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

const CLUSTERS = ['fast-a', 'fast-b', 'slow'];
const DEADLINE_MS = 2000;
type Obj = Record<string, any>;

const configMap = (version: string) => duplicatedFleet(CLUSTERS, version).find((f) => f.path === 'configmap.yaml')!.text;

describe('a slow member cluster (trickling bytes) does not hold the others back', () => {
  let fleet: TestFleet;
  let dir: string;
  let reconciler: Reconciler;

  beforeEach(async () => {
    fleet = await startFleetApiServers(CLUSTERS, { autoReady: true });
    ({ dir } = await makeRepo(Object.fromEntries(duplicatedFleet(CLUSTERS, 'v1').map((f) => [f.path, f.text]))));
    const base = await makeTempDir('flotilla-isolation-');
    const config = configFrom(
      `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {kubeconfig: ${fleet.kubeconfigPath}, timeoutSeconds: 8}\n`,
      base,
    );
    ({ reconciler } = await reconcilerFor(config, { clock: fakeClock() }));
    reconciler.applyInBackground(DEADLINE_MS);
  });
  afterEach(async () => {
    await reconciler?.settle();
    reconciler?.close();
    await fleet?.close();
  });

  const versionOn = (cluster: string) =>
    (fleet.servers.get(cluster)!.getObject('v1', 'ConfigMap', 'default', 'app-config') as Obj | undefined)?.data?.version;
  const status = async () => parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
  async function commitAndPass(version: string) {
    await commitFiles(dir, { 'configmap.yaml': configMap(version) }, version);
    const started = Date.now();
    const outcome = await reconciler.reconcileOnce();
    return { outcome, ms: Date.now() - started };
  }

  it('healthy clusters get each commit as fast as without the slow one, reported applying (never applied), then its outcome', async () => {
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const baseline = await commitAndPass('v2');
    expect(baseline.outcome.phase).toBe('Synced');
    expect(CLUSTERS.map(versionOn)).toEqual(['v2', 'v2', 'v2']);

    fleet.servers.get('slow')!.addFault({ action: 'trickle', bytesPerChunk: 16, intervalMs: 40 });
    // The first pass that meets the slow cluster waits for it up to the deadline, then leaves it in the background.
    const first = await commitAndPass('v3');
    expect(first.ms).toBeLessThan(baseline.ms + DEADLINE_MS + 2000);
    expect([versionOn('fast-a'), versionOn('fast-b'), versionOn('slow')]).toEqual(['v3', 'v3', 'v2']);
    expect(first.outcome).toMatchObject({ phase: 'Progressing', reason: 'ApplyInProgress' });
    let s = await status();
    expect(s.clusters.slow).toMatchObject({ applied: 0, failed: 0 });
    expect(s.clusters.slow.message).toMatch(
      /^still applying revision [0-9a-f]{12} in the background \(since .*\): not counted as applied$/,
    );
    expect(s.clusters['fast-a']).toMatchObject({ applied: 1, message: null });

    // While the slow cluster is busy, the next commits reach the healthy ones in their own time.
    const passes = [await commitAndPass('v4'), await commitAndPass('v5')];
    for (const p of passes) expect(p.ms).toBeLessThan(baseline.ms * 2 + 1500);
    expect([versionOn('fast-a'), versionOn('fast-b')]).toEqual(['v5', 'v5']);
    expect(versionOn('slow')).not.toBe('v5');
    s = await status();
    expect(s.phase).toBe('Progressing');
    expect(s.clusters.slow).toMatchObject({ applied: 0, failed: 0 });
    expect(s.clusters.slow.message).toContain('waits behind it');

    // The link recovers: the run in progress ends, the newest work queued behind it runs, and the next pass reports them.
    fleet.servers.get('slow')!.clearFaults();
    await reconciler.settle();
    expect(versionOn('slow')).toBe('v5');
    await reconciler.reconcileOnce();
    s = await status();
    expect(s.clusters.slow.applied).toBeGreaterThanOrEqual(1);
    expect(s.clusters.slow.message).toMatch(/the background run of revision [0-9a-f]{12} ended at .*: its changes are counted here/);
    // Its last run was quick: it is waited for again, and the fleet is Synced.
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
  }, 60_000);
});
