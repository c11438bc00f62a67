// A Kurator Application's `syncPolicies[].rollout` on live clusters (two test API servers, workload
// status set by the test, the application repository served by git http-backend): a new image in the
// Application's repository starts the same fleet canary as the plain-workload annotation — Kurator's
// stepWeight 10 up to maxWeight 50, then promoted — and an invalid block is ROLLOUT_INVALID at the
// Application's file and line, the revision Invalid and nothing applied.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { FIXTURES, folderFiles } from '../helpers/fleet.js';
import { kustomizeAvailable } from '../helpers/kustomize.js';
import { VIRTUAL_SERVICE_CRD } from '../kube/harness.js';
import { captureLogger, configFrom, kubernetesConfigYaml, reconcilerFor } from './harness.js';
import { imageOn, manualClock, weightsOn } from './traffic-harness.js';
import { serveFleet, type ServedFleet } from './remote-harness.js';

const withKustomize = await kustomizeAvailable();
afterAll(cleanupRepos);

type Obj = Record<string, any>;

const FIXTURE = path.join(FIXTURES, 'traffic', 'application');
const APP_FILE = 'application.yaml';

describe.skipIf(!withKustomize)('the rollout block of a Kurator Application (FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)', () => {
  let fleet: TestFleet;
  let appRepo: ServedFleet;
  let base: string;
  let clock: ReturnType<typeof manualClock>;
  const deployment = () => fs.readFile(path.join(FIXTURE, 'app-repo/deploy/podinfo/deployment.yaml'), 'utf8');

  beforeEach(async () => {
    fleet = await startFleetApiServers(['cluster-a', 'cluster-b'], { autoReady: true });
    for (const s of fleet.servers.values()) s.putObject(VIRTUAL_SERVICE_CRD);
    appRepo = await serveFleet(await folderFiles(path.join(FIXTURE, 'app-repo')), { auth: false });
    base = await makeTempDir('flotilla-app-canary-');
    clock = manualClock();
  });
  afterEach(async () => {
    await fleet?.close();
    await appRepo?.server.close();
  });

  /** The fleet repository (the fixture's, the Application edited by `edit`) and a reconciler on the two clusters. */
  async function start(edit: (application: string) => string = (t) => t) {
    const files = await folderFiles(path.join(FIXTURE, 'fleet'));
    files[APP_FILE] = edit(files[APP_FILE]!.replace('url: APP_REPOSITORY_URL', `url: ${appRepo.url}`));
    const { dir } = await makeRepo(files);
    const { reconciler } = await reconcilerFor(configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), base), {
      clock,
      log: captureLogger().log,
    });
    const status = async () => parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
    return { dir, reconciler, status };
  }

  it('a new image in the Application repository starts a canary: 10→50 on cluster-a a check apart, everywhere, promoted', async () => {
    const { reconciler, status } = await start();
    const o = await reconciler.reconcileOnce();
    expect(o.phase).not.toBe('Invalid');
    expect(weightsOn(fleet, 'cluster-a', 'podinfo')).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
    expect(imageOn(fleet, 'cluster-b', 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    expect((await status()).traffic.canaries[0]).toMatchObject({ workload: 'apps|Deployment|default|podinfo', phase: 'Promoted' });

    // Only the application repository changes: the next pass fetches it and starts the canary.
    await appRepo.push({ 'deploy/podinfo/deployment.yaml': (await deployment()).replace('podinfo:6.0.0', 'podinfo:6.0.1') }, '6.0.1');
    clock.advance(1_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-b', 'podinfo')).toEqual(['podinfo-primary=90', 'podinfo-canary=10']);
    expect(imageOn(fleet, 'cluster-a', 'podinfo-canary')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect(imageOn(fleet, 'cluster-b', 'podinfo-canary')).toBeUndefined();
    expect(imageOn(fleet, 'cluster-a', 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    expect((await status()).traffic.canaries[0]).toMatchObject({ phase: 'Progressing', reason: 'CanaryProgressing', step: 0, weight: 10 });

    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(60_000);
      await reconciler.reconcileOnce();
      seen.push(weightsOn(fleet, 'cluster-a', 'podinfo')[1]!);
    }
    expect(seen).toEqual(['podinfo-canary=20', 'podinfo-canary=30', 'podinfo-canary=40', 'podinfo-canary=50']);
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(imageOn(fleet, 'cluster-b', 'podinfo-canary')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect((await status()).traffic.canaries[0]).toMatchObject({ phase: 'Progressing', allClusters: true, weight: 50 });
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect((await status()).traffic.canaries[0]).toMatchObject({
      phase: 'Promoted',
      reason: 'CanaryPromoted',
      weight: 0,
      message: 'promoted after 5 step(s)',
    });
    for (const c of ['cluster-a', 'cluster-b']) {
      expect(imageOn(fleet, c, 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
      expect(imageOn(fleet, c, 'podinfo-canary')).toBeUndefined();
      expect(weightsOn(fleet, c, 'podinfo')).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
    }
    reconciler.close();
  });

  it('an invalid rollout block is ROLLOUT_INVALID at its field in the Application file: revision Invalid, nothing applied', async () => {
    // Line 41 of the fixture is `stepWeight: 10`; stepWeights beside it is Kurator's own error.
    const { reconciler, status } = await start((t) =>
      t.replace('              stepWeight: 10\n', '              stepWeight: 10\n              stepWeights: [5, 20]\n'),
    );
    const outcome = await reconciler.reconcileOnce();
    expect(outcome.phase).toBe('Invalid');
    const message =
      'Application default/rollout-demo syncPolicies[0]: rollout.rolloutPolicy.trafficRouting.canaryStrategy.stepWeights: ' +
      'stepWeight and stepWeights cannot both be set (Kurator)';
    expect(outcome.message).toContain(`${APP_FILE}:42 ROLLOUT_INVALID: ${message}`);
    expect((await status()).diagnostics).toContainEqual({
      severity: 'error',
      code: 'ROLLOUT_INVALID',
      message,
      file: APP_FILE,
      line: 42,
      column: 1,
    });
    expect(fleet.servers.get('cluster-a')!.getObject('apps/v1', 'Deployment', 'default', 'podinfo')).toBeUndefined();
    reconciler.close();
  });

  it('a rollout naming a workload the sync policy does not build is ROLLOUT_INVALID at the rollout block', async () => {
    const { reconciler } = await start((t) => t.replace('name: podinfo\n', 'name: backend\n'));
    const outcome = await reconciler.reconcileOnce();
    expect(outcome.phase).toBe('Invalid');
    expect(outcome.message).toContain(
      `${APP_FILE}:26 ROLLOUT_INVALID: Application default/rollout-demo syncPolicies[0]: ` +
        'rollout.workload names apps/v1 Deployment default/backend, which this sync policy does not produce',
    );
    reconciler.close();
  });
});
