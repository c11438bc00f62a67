// Traffic that follows health on live clusters (two test API servers, workload status set by the
// test): the seed's 90/10 route moving off a failed-over cluster and back without flapping, and a
// Kurator-shaped canary stepping 10→50, promoted, rolled back when its pods stop being ready, and
// continued after a restart from the status branch's traffic.yaml.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { FIXTURES } from '../helpers/fleet.js';
import { VIRTUAL_SERVICE_CRD } from '../kube/harness.js';
import { captureLogger, configFrom, kubernetesConfigYaml, reconcilerFor } from './harness.js';
import { imageOn, manualClock, weightsOn } from './traffic-harness.js';
import { fakeIO } from '../helpers/cli.js';
import { renderFromOptions } from '../../src/cli/input.js';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { planCommand } from '../../src/cli/commands/plan.js';
import { renderCommand } from '../../src/cli/commands/render.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

const fixture = (name: string) => readFileSync(path.join(FIXTURES, 'traffic/fleet', name), 'utf8');

async function statusAt(dir: string): Promise<Obj> {
  return parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
}

/** Sets a workload's ready replicas as its controller would (the object is otherwise unchanged). */
function setReady(fleet: TestFleet, cluster: string, name: string, ready: number): void {
  const server = fleet.servers.get(cluster)!;
  const obj = structuredClone(server.getObject('apps/v1', 'Deployment', 'default', name)) as Obj;
  obj.status = { ...obj.status, readyReplicas: ready, availableReplicas: ready };
  server.api.write(obj as never, 'kube-controller-manager');
}

describe('adaptive weights on live clusters', () => {
  let fleet: TestFleet;
  beforeEach(async () => {
    fleet = await startFleetApiServers(['cluster-a', 'cluster-b'], { autoReady: true });
    for (const s of fleet.servers.values()) s.putObject(VIRTUAL_SERVICE_CRD);
  });
  afterEach(async () => fleet?.close());

  it('90/10 while healthy; 100/0 while cluster-b (the only v2) is down; 90/10 after it recovers; small dips do not flap', async () => {
    const { dir } = await makeRepo({ '01-fleet.yaml': fixture('01-fleet.yaml'), '02-reviews.yaml': fixture('02-reviews.yaml') });
    const base = await makeTempDir('flotilla-traffic-');
    const clock = manualClock();
    const { reconciler } = await reconcilerFor(configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), base), {
      clock,
      log: captureLogger().log,
    });
    await reconciler.reconcileOnce();
    clock.advance(5_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'reviews-route')).toEqual(['v1=90', 'v2=10']);
    expect(weightsOn(fleet, 'cluster-b', 'reviews-route')).toEqual(['v1=90', 'v2=10']);

    // cluster-b stops answering: v2 has 0 of 2 ready, so cluster-a's copy sends it nothing.
    fleet.servers.get('cluster-b')!.addFault({ action: 'status', status: 503 });
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      await reconciler.reconcileOnce();
    }
    expect(weightsOn(fleet, 'cluster-a', 'reviews-route')).toEqual(['v1=100', 'v2=0']);
    const down = await statusAt(dir);
    expect(down.traffic.routes).toEqual([
      { virtualService: 'default/reviews-route', route: 'http[0]', declared: [90, 10], effective: [100, 0] },
    ]);
    const record = parse(await git(dir, 'show', 'flotilla-status:traffic.yaml')) as Obj;
    expect(record.routes[0].destinations[1]).toMatchObject({
      name: 'reviews.prod.svc.cluster.local/v2',
      declared: 10,
      ready: 0,
      effective: 0,
    });
    expect(record.routes[0].steps.join('\n')).toContain('Webster over 100 → 100/0');
    // Offline, from the status branch: render reproduces the applied weights, explain shows the arithmetic.
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const offline = await renderFromOptions({ repo: dir, ref: head, observed: 'auto', previous: 'auto' });
    const rendered = offline.manifests['cluster-a']!.find((o) => o.kind === 'VirtualService') as Obj;
    const live = fleet.servers
      .get('cluster-a')!
      .getObject('networking.istio.io/v1beta1', 'VirtualService', 'default', 'reviews-route') as Obj;
    expect(rendered.spec).toEqual(live.spec);
    // The render command (which streams a cluster at a time) writes the same recorded weights.
    const renderIo = fakeIO();
    await renderCommand(['--repo', dir, '--ref', head, '--observed', 'auto', '--previous', 'auto', '--format', 'json'], renderIo);
    const cli = JSON.parse(renderIo.out) as { manifests: Record<string, Obj[]> };
    expect(cli.manifests['cluster-a']!.find((o) => o.kind === 'VirtualService')!.spec).toEqual(live.spec);
    const io = fakeIO();
    await explainCommand(['VirtualService/default/reviews-route', '--repo', dir, '--observed', 'auto', '--previous', 'auto'], io);
    expect(io.out).toContain('traffic (recorded by the reconciler):\n  http[0]: declared 90/10 → effective 100/0\n');
    expect(io.out).toContain('reviews.prod.svc.cluster.local/v2: weight 10, ready 0/0');
    expect(io.out).toContain('    - declared × share × factor = 90/0\n');

    // cluster-b answers again: back to 90/10 everywhere.
    fleet.servers.get('cluster-b')!.clearFaults();
    for (let i = 0; i < 3; i++) {
      clock.advance(5_000);
      await reconciler.reconcileOnce();
    }
    expect(weightsOn(fleet, 'cluster-a', 'reviews-route')).toEqual(['v1=90', 'v2=10']);
    expect(weightsOn(fleet, 'cluster-b', 'reviews-route')).toEqual(['v1=90', 'v2=10']);

    // One v1 pod of four not ready: 67.5 : 10 → 87/13, a move of 3 < hysteresis 5: nothing is written.
    setReady(fleet, 'cluster-a', 'reviews-v1', 1);
    for (const s of fleet.servers.values()) s.clearRequests();
    clock.advance(5_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'reviews-route')).toEqual(['v1=90', 'v2=10']);
    expect([...fleet.servers.values()].flatMap((s) => s.writeRequests()).filter((w) => w.path.includes('virtualservices'))).toEqual([]);
    // Three of four v1 pods down: 22.5 : 10 → 69/31, past the band.
    setReady(fleet, 'cluster-b', 'reviews-v1', 0);
    clock.advance(5_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'reviews-route')).toEqual(['v1=69', 'v2=31']);
  });
});

describe('a canary across the fleet (Kurator rolloutPolicy: stepWeight 10, maxWeight 50, OneFirst)', () => {
  let fleet: TestFleet;
  let dir: string;
  let base: string;
  let clock: ReturnType<typeof manualClock>;
  const podinfo = fixture('03-podinfo.yaml');
  const withImage = (tag: string) => podinfo.replace('podinfo:6.0.0', `podinfo:${tag}`);
  const canaryOf = async () => (await statusAt(dir)).traffic.canaries[0] as Obj;

  beforeEach(async () => {
    fleet = await startFleetApiServers(['cluster-a', 'cluster-b'], { autoReady: true });
    for (const s of fleet.servers.values()) s.putObject(VIRTUAL_SERVICE_CRD);
    ({ dir } = await makeRepo({ '01-fleet.yaml': fixture('01-fleet.yaml'), '03-podinfo.yaml': podinfo }));
    base = await makeTempDir('flotilla-canary-');
    clock = manualClock();
  });
  afterEach(async () => fleet?.close());

  const start = async () =>
    (await reconcilerFor(configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), base), { clock, log: captureLogger().log }))
      .reconciler;

  it('steps 10→50 on cluster-a one check interval apart, then runs on every cluster, then is promoted; a restart continues', async () => {
    let reconciler = await start();
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'podinfo')).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
    expect(await canaryOf()).toMatchObject({ phase: 'Promoted', reason: 'CanaryPromoted' });

    // The pull request's plan says which canary merging starts.
    await git(dir, 'checkout', '-q', '-b', 'bump');
    await commitFiles(dir, { '03-podinfo.yaml': withImage('6.0.1') }, 'podinfo 6.0.1');
    const io = fakeIO();
    await planCommand(['--repo', dir, '--base', 'main', '--head', 'bump', '--observed', 'auto'], io);
    expect(io.out).toContain(
      'traffic:\n  starts a canary of Deployment default/podinfo: weights 10, 20, 30, 40, 50, one step per 60s, first on cluster-a\n',
    );
    await git(dir, 'checkout', '-q', 'main');

    await commitFiles(dir, { '03-podinfo.yaml': withImage('6.0.1') }, 'podinfo 6.0.1');
    clock.advance(1_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-b', 'podinfo')).toEqual(['podinfo-primary=90', 'podinfo-canary=10']);
    expect(imageOn(fleet, 'cluster-a', 'podinfo-canary')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect(imageOn(fleet, 'cluster-b', 'podinfo-canary')).toBeUndefined();
    expect(imageOn(fleet, 'cluster-a', 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    expect(await canaryOf()).toMatchObject({ phase: 'Progressing', reason: 'CanaryProgressing', step: 0, weight: 10 });

    // Within the check interval nothing moves.
    clock.advance(30_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'podinfo')).toEqual(['podinfo-primary=90', 'podinfo-canary=10']);
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      clock.advance(60_000);
      await reconciler.reconcileOnce();
      seen.push(weightsOn(fleet, 'cluster-a', 'podinfo')[1]!);
    }
    // A restart reads traffic.yaml from the status branch and goes on from 30.
    reconciler.close();
    reconciler = await start();
    for (let i = 0; i < 2; i++) {
      clock.advance(60_000);
      await reconciler.reconcileOnce();
      seen.push(weightsOn(fleet, 'cluster-a', 'podinfo')[1]!);
    }
    expect(seen).toEqual(['podinfo-canary=20', 'podinfo-canary=30', 'podinfo-canary=40', 'podinfo-canary=50']);
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(imageOn(fleet, 'cluster-b', 'podinfo-canary')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
    expect(await canaryOf()).toMatchObject({ phase: 'Progressing', allClusters: true, weight: 50 });
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(await canaryOf()).toMatchObject({ phase: 'Promoted', reason: 'CanaryPromoted', weight: 0, message: 'promoted after 5 step(s)' });
    for (const c of ['cluster-a', 'cluster-b']) {
      expect(imageOn(fleet, c, 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
      expect(imageOn(fleet, c, 'podinfo-canary')).toBeUndefined();
      expect(weightsOn(fleet, c, 'podinfo')).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
    }
    reconciler.close();
  });

  it('rolls back when the canary pods stop being ready: weight 0, CanaryRolledBack naming the check, old image kept', async () => {
    const reconciler = await start();
    await reconciler.reconcileOnce();
    await commitFiles(dir, { '03-podinfo.yaml': withImage('6.0.1') }, 'podinfo 6.0.1');
    clock.advance(1_000);
    await reconciler.reconcileOnce();
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(weightsOn(fleet, 'cluster-a', 'podinfo')).toEqual(['podinfo-primary=80', 'podinfo-canary=20']);
    setReady(fleet, 'cluster-a', 'podinfo-canary', 0);
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(await canaryOf()).toMatchObject({ phase: 'Progressing', failedChecks: 1, weight: 20 });
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(await canaryOf()).toMatchObject({
      phase: 'RolledBack',
      reason: 'CanaryRolledBack',
      weight: 0,
      message: 'canary pods not ready: cluster-a 0/2',
    });
    expect(weightsOn(fleet, 'cluster-a', 'podinfo')).toEqual(['podinfo-primary=100', 'podinfo-canary=0']);
    expect(imageOn(fleet, 'cluster-a', 'podinfo-canary')).toBeUndefined();
    expect(imageOn(fleet, 'cluster-a', 'podinfo')).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    // The same template does not start again.
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect(await canaryOf()).toMatchObject({ phase: 'RolledBack' });
    reconciler.close();
  });
});
