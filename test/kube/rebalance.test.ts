// Rebalancing after a recovery (issue 4: "When it returns, replicas move back only if the config
// asks for rebalancing"). A dynamic-weight workload (10 replicas of 1 CPU, two clusters of 20
// allocatable CPUs: 5/5) is moved off a failed cluster by failover; when the cluster answers again
// it stays where it is by default (Karmada keeps a binding's result in steady mode), and with
// failover.rebalanceOnRecovery it is scheduled afresh (Karmada's Fresh mode) and spreads back.
// The whole reconciler runs against test API servers (test doubles of kube-apiserver).
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Clock, Reconciler } from '../../src/reconcile/reconciler.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { kuratorFleetYaml } from '../helpers/fleet.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { configFrom, kubernetesConfigYaml, reconcilerFor, seedFiles } from '../reconcile/harness.js';
import { startSeedFleet } from './harness.js';
import { displacedBy, markFresh } from '../../src/live/live-status.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

const FLEET = kuratorFleetYaml(['east', 'west'], 'pair');
const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 10
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: api:1
        resources: {requests: {cpu: "1"}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: api, namespace: default}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: api}
  placement:
    clusterAffinity: {clusterNames: [east, west]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}
`;

function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

describe('failover.rebalanceOnRecovery (dynamic weights, 10 replicas over east/west of 20 CPUs each)', () => {
  let fleet: TestFleet;
  let reconciler: Reconciler;
  afterEach(async () => {
    reconciler?.close();
    await fleet?.close();
  });

  /** Reconciles 5/5, fails west over (east 10), brings it back; returns the split after the recovery. */
  async function failAndRecover(
    rebalance: boolean | undefined,
  ): Promise<{ dir: string; replicas: () => Record<string, number | undefined> }> {
    fleet = await startFleetApiServers(['east', 'west'], { autoReady: true });
    for (const s of fleet.servers.values()) s.seedNode('n1', { cpu: '20', memory: '64Gi', pods: '110' });
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'api.yaml': APP });
    const clock = manualClock();
    const config = configFrom(
      kubernetesConfigYaml(dir, fleet.kubeconfigPath, rebalance === undefined ? '' : `rebalanceOnRecovery: ${rebalance}`),
      await makeTempDir('flotilla-rebalance-'),
    );
    ({ reconciler } = await reconcilerFor(config, { clock }));
    const replicas = () =>
      Object.fromEntries(
        [...fleet.servers].map(([name, s]) => [
          name,
          (s.getObject('apps/v1', 'Deployment', 'default', 'api') as Obj | undefined)?.spec?.replicas,
        ]),
      );

    await reconciler.reconcileOnce();
    expect(replicas()).toEqual({ east: 5, west: 5 });
    const west = fleet.servers.get('west')!;
    await west.goDown();
    clock.advance(30_000);
    await reconciler.reconcileOnce(); // NotReady: NoSchedule moves nothing
    clock.advance(1_000);
    await reconciler.reconcileOnce(); // toleration ran out: evicted
    expect(replicas().east).toBe(10);
    // The 10 pods now really run on east, as its capacity shows (the test server runs no controllers).
    const east = fleet.servers.get('east')!;
    for (let i = 0; i < 10; i++) east.seedPod('default', `api-${i}`, { nodeName: 'n1', requests: { cpu: '1' } });
    clock.advance(30_000);
    await reconciler.reconcileOnce();
    expect(replicas().east).toBe(10);

    await west.comeBack();
    clock.advance(30_000);
    await reconciler.reconcileOnce(); // answers again: Ready, taints removed
    clock.advance(30_000);
    await reconciler.reconcileOnce(); // a quiet poll after the recovery changes nothing more
    return { dir, replicas };
  }

  it(
    'default (false): the workload keeps its placement after west recovers — east 10, and ' + 'west’s old copy is pruned once it answers',
    async () => {
      const { dir, replicas } = await failAndRecover(undefined);
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
      const api = status.placements.find((p: Obj) => p.resource.name === 'api');
      expect(api.clusters).toEqual([{ name: 'east', replicas: 10 }]);
      expect(replicas()).toEqual({ east: 10, west: undefined });
      expect(status.failover.events.map((e: Obj) => `${e.cluster} ${e.type}`)).toEqual(['west NotReady', 'west Evicting', 'west Ready']);
      expect(status.failover.events[2].message).not.toContain('rebalanceOnRecovery');
    },
  );

  it(
    'rebalanceOnRecovery: true → scheduled afresh (allocatable + held: east 10+10, west 20) and ' + 'spreads back 5/5; later polls keep it',
    async () => {
      const { dir, replicas } = await failAndRecover(true);
      expect(replicas()).toEqual({ east: 5, west: 5 });
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
      expect(status.placements.find((p: Obj) => p.resource.name === 'api').clusters).toEqual([
        { name: 'east', replicas: 5 },
        { name: 'west', replicas: 5 },
      ]);
      expect(status.failover.events[2].message).toContain('rebalanceOnRecovery: 1 workload moved off it scheduled afresh');
    },
  );

  it('rebalanceOnRecovery must be a boolean (the config names the path)', async () => {
    expect(() =>
      configFrom(
        `source: {url: /tmp/x}\ntargets:\n  - kubernetes: {kubeconfig: /tmp/k, failover: {rebalanceOnRecovery: "yes please"}}\n`,
        '/tmp',
      ),
    ).toThrow(/targets\[0\]\.kubernetes\.failover\.rebalanceOnRecovery/);
  });

  it('displacedBy: per evicted cluster the workloads with replicas there (0 replicas do not count); markFresh marks only those', () => {
    const previous = new Map([
      [
        'a',
        {
          clusters: [
            { name: 'east', replicas: 5 },
            { name: 'west', replicas: 5 },
          ],
        },
      ],
      ['b', { clusters: [{ name: 'east', replicas: 3 }] }],
      ['c', { clusters: [{ name: 'west', replicas: 0 }] }],
    ]);
    expect(displacedBy(previous, ['west'])).toEqual(new Map([['west', ['a']]]));
    const marked = markFresh(previous, new Set(['a']));
    expect(marked.get('a')).toEqual({ clusters: previous.get('a')!.clusters, fresh: true });
    expect(marked.get('b')).toBe(previous.get('b'));
  });

  it(
    'static weights ignore the previous result, so they move back by default as in Karmada: ' +
      'seed nginx hangzhou 10 → 6/4 after shanghai recovers',
    async () => {
      fleet = await startSeedFleet();
      const { dir } = await makeRepo(await seedFiles());
      const clock = manualClock();
      const config = configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), await makeTempDir('flotilla-rebalance-static-'));
      ({ reconciler } = await reconcilerFor(config, { clock }));
      const nginx = (c: string) =>
        (fleet.servers.get(c)!.getObject('apps/v1', 'Deployment', 'default', 'nginx') as Obj | undefined)?.spec?.replicas;
      await reconciler.reconcileOnce();
      await fleet.servers.get('cluster-shanghai')!.goDown();
      clock.advance(30_000);
      await reconciler.reconcileOnce();
      clock.advance(1_000);
      await reconciler.reconcileOnce();
      expect(nginx('cluster-hangzhou')).toBe(10);
      await fleet.servers.get('cluster-shanghai')!.comeBack();
      clock.advance(30_000);
      await reconciler.reconcileOnce();
      expect([nginx('cluster-hangzhou'), nginx('cluster-shanghai')]).toEqual([6, 4]);
    },
  );
});
