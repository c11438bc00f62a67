// Application failover (spec.failover.application, docs/reference/semantics.md §4.5) through the
// whole reconciler against Kubernetes test API servers: a Deployment whose rollout never finishes on
// west (the test server writes no status there) is evicted from west once it has stayed unhealthy
// for tolerationSeconds, its replicas go to east, and west's old copy is purged as purgeMode says.
// The eviction is recorded on the status branch, survives a restart and is reproduced offline with
// --observed auto --previous auto.
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Clock, Reconciler } from '../../src/reconcile/reconciler.js';
import { renderFromOptions } from '../../src/cli/input.js';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { statusCommand } from '../../src/cli/commands/status.js';
import { runCommand } from '../plan/scenarios.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { kuratorFleetYaml } from '../helpers/fleet.js';
import { configFrom, kubernetesConfigYaml, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

const FLEET = kuratorFleetYaml(['east', 'west'], 'pair');

/** 10 replicas of 1 CPU over east and west (20 CPUs each): 5/5 by dynamic weights. */
function app(failover: string, weights = '      weightPreference: {dynamicWeight: AvailableReplicas}\n'): string {
  return `apiVersion: apps/v1
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
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
data: {a: "1"}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: api, namespace: default}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: api}
  - {apiVersion: v1, kind: ConfigMap, name: settings}
  placement:
    clusterAffinity: {clusterNames: [east, west]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
${weights}  failover:
    application:
${failover}`;
}

function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

describe('application failover on live clusters (Deployment never available on west, tolerationSeconds 30)', () => {
  let fleet: TestFleet;
  let reconciler: Reconciler;
  afterEach(async () => {
    reconciler?.close();
    await fleet?.close();
  });

  async function start(failover: string, weights?: string) {
    fleet = await startFleetApiServers(['east', 'west'], { autoReady: true });
    for (const s of fleet.servers.values()) s.seedNode('n1', { cpu: '20', memory: '64Gi', pods: '110' });
    // No controller on west: its Deployment never reports a finished rollout (Progressing, unhealthy).
    fleet.servers.get('west')!.setAutoReady(false);
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'api.yaml': app(failover, weights) });
    const clock = manualClock();
    const config = configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), await makeTempDir('flotilla-app-failover-'));
    ({ reconciler } = await reconcilerFor(config, { clock }));
    const replicas = (cluster: string) =>
      (fleet.servers.get(cluster)!.getObject('apps/v1', 'Deployment', 'default', 'api') as Obj | undefined)?.spec?.replicas;
    const status = async () => parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
    /** Applies 5/5, starts west's unhealthy clock, then lets the toleration run out (evicted). */
    const untilEvicted = async () => {
      await reconciler.reconcileOnce();
      expect([replicas('east'), replicas('west')]).toEqual([5, 5]);
      clock.advance(1_000);
      await reconciler.reconcileOnce(); // west seen unhealthy: its clock starts
      clock.advance(29_000);
      await reconciler.reconcileOnce(); // 29 s: tolerated
      expect(replicas('east')).toBe(5);
      clock.advance(1_000);
      await reconciler.reconcileOnce(); // 30 s: evicted
    };
    return { dir, clock, config, replicas, status, untilEvicted };
  }

  it('Graciously: replicas move to east at once, west keeps its copy until east is healthy, then it is deleted; no flap back', async () => {
    const { replicas, status, clock, untilEvicted } = await start(
      '      decisionConditions: {tolerationSeconds: 30}\n      purgeMode: Graciously\n      gracePeriodSeconds: 600\n',
    );
    await untilEvicted();
    expect(replicas('east')).toBe(10);
    expect(replicas('west')).toBe(5); // the old copy waits for the new one
    // Only the workload moves: the ConfigMap, healthy by existing, stays on west.
    expect(fleet.servers.get('west')!.getObject('v1', 'ConfigMap', 'default', 'settings')).toBeDefined();
    const s = await status();
    expect(s.placements.find((p: Obj) => p.resource.name === 'api').clusters).toEqual([{ name: 'east', replicas: 10 }]);
    expect(s.failover.evictions).toEqual([
      expect.objectContaining({
        cluster: 'west',
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'api' },
        purgeMode: 'Graciously',
        gracePeriodSeconds: 600,
        unhealthySince: Date.parse('2026-03-01T10:00:01Z'),
        evictedAt: Date.parse('2026-03-01T10:00:31Z'),
      }),
    ]);
    expect(s.failover.evictions[0].reason).toMatch(/waiting for the controller|replicas/);
    expect(s.failover.events.map((e: Obj) => `${e.cluster} ${e.type}`)).toEqual(['west ApplicationEvicted']);

    clock.advance(1_000);
    await reconciler.reconcileOnce(); // east reported healthy with 10: the eviction ends, west's copy goes
    expect(replicas('west')).toBeUndefined();
    expect(replicas('east')).toBe(10);
    const after = await status();
    // Ended: the old copy is gone, and west stays out of this Divided workload until its placement or replicas change.
    expect(after.failover.evictions).toEqual([
      expect.objectContaining({ cluster: 'west', ended: { at: Date.parse('2026-03-01T10:00:32Z'), rescheduleKey: expect.any(String) } }),
    ]);
    expect(after.failover.events.map((e: Obj) => `${e.cluster} ${e.type}`)).toEqual(['west ApplicationEvicted', 'west EvictionEnded']);
    expect(after.failover.events[1].message).toContain('the new placement is healthy on east');
    // Dynamic weights keep their split once the eviction ends (Karmada does not reschedule an unchanged Divided binding).
    clock.advance(60_000);
    await reconciler.reconcileOnce();
    expect([replicas('east'), replicas('west')]).toEqual([10, undefined]);
  });

  it('static weights (5/5, equal weights) do not flap back to west once the eviction ends: Karmada does not reschedule them', async () => {
    const { replicas, status, clock, untilEvicted } = await start(
      '      decisionConditions: {tolerationSeconds: 30}\n      purgeMode: Graciously\n      gracePeriodSeconds: 600\n',
      '',
    );
    await untilEvicted();
    expect([replicas('east'), replicas('west')]).toEqual([10, 5]);
    clock.advance(1_000);
    await reconciler.reconcileOnce(); // east healthy: the eviction ends, west's copy goes
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      await reconciler.reconcileOnce();
      expect([replicas('east'), replicas('west')]).toEqual([10, undefined]);
    }
    expect((await status()).failover.events.at(-1).message).toContain('takes none of its replicas until its placement or replicas change');
  });

  it('Immediately: west’s copy is deleted in the pass that evicts it', async () => {
    const { replicas, status, untilEvicted } = await start(
      '      decisionConditions: {tolerationSeconds: 30}\n      purgeMode: Immediately\n',
    );
    await untilEvicted();
    expect([replicas('east'), replicas('west')]).toEqual([10, undefined]);
    expect((await status()).failover.evictions[0]).toMatchObject({ cluster: 'west', purgeMode: 'Immediately', gracePeriodSeconds: null });
  });

  it('Never: west’s copy stays, the eviction outlives a restart, and --observed auto reproduces it offline', async () => {
    const { dir, clock, config, replicas, status, untilEvicted } = await start(
      '      decisionConditions: {tolerationSeconds: 30}\n      purgeMode: Never\n',
    );
    await untilEvicted();
    clock.advance(3_600_000);
    await reconciler.reconcileOnce();
    expect([replicas('east'), replicas('west')]).toEqual([10, 5]);

    // A new process: the eviction comes back from the status branch, west stays out and keeps its copy.
    reconciler.close();
    ({ reconciler } = await reconcilerFor(config, { clock }));
    clock.advance(1_000);
    await reconciler.reconcileOnce();
    expect([replicas('east'), replicas('west')]).toEqual([10, 5]);
    const s = await status();
    expect(s.failover.evictions).toEqual([expect.objectContaining({ cluster: 'west', purgeMode: 'Never' })]);
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('Deployment default/api evicted from west');

    // Offline, as CI would: the recorded observation and placements give the reconciler's split.
    const offline = await renderFromOptions({ repo: dir, observed: 'auto', previous: 'auto' });
    const api = offline.placements.find((p) => p.resource.name === 'api')!;
    expect(api.clusters).toEqual([{ name: 'east', replicas: 10 }]);
    expect(api.verdicts.find((v) => v.name === 'west')!.reasons.join(' ')).toContain('application failover is evicting');
    const explainArgs = ['Deployment/default/api', '--repo', dir, '--observed', 'auto', '--previous', 'auto'];
    const explain = await runCommand(explainCommand, explainArgs);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(
      /✗ west +filtered out\n +filtered out by ClusterEviction: application failover is evicting the workload/,
    );
    const shown = await runCommand(statusCommand, ['--repo', dir]);
    expect(shown.stdout).toContain('application failover evictions:');
    expect(shown.stdout).toContain('Deployment default/api evicted from west at 2026-03-01T10:00:31.000Z');
    expect(shown.stdout).toMatch(/\(unhealthy since 2026-03-01T10:00:01.000Z: .*; purgeMode Never\)/);
    // Without the observation nothing keeps west out.
    const plain = await renderFromOptions({ repo: dir, previous: 'auto' });
    expect(plain.placements.find((p) => p.resource.name === 'api')!.verdicts.find((v) => v.name === 'west')!.feasible).toBe(true);
  });
});
