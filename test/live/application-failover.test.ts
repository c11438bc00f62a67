// The eviction decision of application failover (src/live/application-failover.ts), case by case:
// when a workload's unhealthy clock starts, stops and runs out, when an eviction task ends under
// each purgeMode, what the scheduler and the apply engine are told, and the recorded form.
import { describe, expect, it } from 'vitest';
import {
  evictionDocuments,
  failoverHealth,
  nextApplicationFailover,
  parseEvictionDocuments,
  retainedCopies,
  withApplicationEvictions,
  type ApplicationFailoverState,
  type EvictionTask,
  type WorkloadHealth,
  type WorkloadObservation,
} from '../../src/live/application-failover.js';
import type { ApplicationFailover } from '../../src/model/types.js';
import { workloadObservations } from '../../src/live/live-fleet.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const S = 1000;
const WEB = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
const KEY = 'apps/v1|Deployment|shop|web';
const GRACIOUSLY: ApplicationFailover = { tolerationSeconds: 30, purgeMode: 'Graciously', gracePeriodSeconds: 120 };

function workload(
  health: Record<string, WorkloadHealth>,
  clusters = Object.keys(health),
  failover: ApplicationFailover | null = GRACIOUSLY,
): WorkloadObservation {
  return {
    resource: WEB,
    failover,
    clusters,
    health: new Map(Object.entries(health).map(([c, h]) => [c, { health: h, message: `${h} on ${c}` }])),
  };
}

function task(over: Partial<EvictionTask> = {}): EvictionTask {
  return {
    resource: WEB,
    cluster: 'west',
    purgeMode: 'Graciously',
    gracePeriodSeconds: 120,
    unhealthySince: T0,
    evictedAt: T0 + 30 * S,
    reason: 'unhealthy on west',
    ...over,
  };
}

const EMPTY: ApplicationFailoverState = { unhealthy: [], tasks: [] };

interface Row {
  name: string;
  state: ApplicationFailoverState;
  workloads: WorkloadObservation[];
  now: number;
  /** Clusters with an eviction task after the step. */
  tasks: string[];
  /** Unhealthy clocks after the step, as cluster@seconds-since-T0. */
  clocks: string[];
  events: string[];
}

const ROWS: Row[] = [
  {
    name: 'first seen unhealthy: the clock starts, nothing is evicted',
    state: EMPTY,
    workloads: [workload({ east: 'healthy', west: 'unhealthy' })],
    now: T0,
    tasks: [],
    clocks: ['west@0'],
    events: [],
  },
  {
    name: 'unhealthy for less than tolerationSeconds: tolerated',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ east: 'healthy', west: 'unhealthy' })],
    now: T0 + 29 * S,
    tasks: [],
    clocks: ['west@0'],
    events: [],
  },
  {
    name: 'unhealthy for tolerationSeconds: evicted, the clock is dropped',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ east: 'healthy', west: 'unhealthy' })],
    now: T0 + 30 * S,
    tasks: ['west'],
    clocks: [],
    events: ['west ApplicationEvicted'],
  },
  {
    name: 'tolerationSeconds 0: evicted when first seen unhealthy',
    state: EMPTY,
    workloads: [workload({ west: 'unhealthy' }, ['west'], { ...GRACIOUSLY, tolerationSeconds: 0 })],
    now: T0,
    tasks: ['west'],
    clocks: [],
    events: ['west ApplicationEvicted'],
  },
  {
    name: 'healthy again before the toleration ran out: the clock stops (no eviction later)',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ west: 'healthy' })],
    now: T0 + 60 * S,
    tasks: [],
    clocks: [],
    events: [],
  },
  {
    name: 'health unknown (cluster did not answer, object not read): the clock neither starts nor stops',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ west: 'unknown', north: 'unknown' })],
    now: T0 + 60 * S,
    tasks: [],
    clocks: ['west@0'],
    events: [],
  },
  {
    name: 'no longer placed on the cluster: its clock is dropped',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ east: 'healthy' })],
    now: T0 + 60 * S,
    tasks: [],
    clocks: [],
    events: [],
  },
  {
    name: 'a policy without failover.application: never evicted',
    state: EMPTY,
    workloads: [workload({ west: 'unhealthy' }, ['west'], null)],
    now: T0,
    tasks: [],
    clocks: [],
    events: [],
  },
  {
    name: 'Graciously: the task lasts while the new placement is not healthy everywhere',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [workload({ east: 'healthy', north: 'unhealthy' })],
    now: T0 + 60 * S,
    tasks: ['west'],
    clocks: ['north@60'],
    events: [],
  },
  {
    name: 'Graciously: the task ends once every cluster of the new placement is healthy',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [workload({ east: 'healthy', north: 'healthy' })],
    now: T0 + 60 * S,
    tasks: [],
    clocks: [],
    events: ['west EvictionEnded'],
  },
  {
    name: 'Graciously: a health not read yet does not end it',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [workload({ east: 'healthy', north: 'unknown' })],
    now: T0 + 60 * S,
    tasks: ['west'],
    clocks: [],
    events: [],
  },
  {
    name: 'Graciously: the task ends when gracePeriodSeconds have passed, healthy or not',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [workload({ east: 'unhealthy' })],
    now: T0 + 150 * S,
    tasks: [],
    clocks: ['east@150'],
    events: ['west EvictionEnded'],
  },
  {
    name: 'Immediately: the task lasts 600 s (Karmada’s graceful eviction timeout) unless the new placement is healthy',
    state: { unhealthy: [], tasks: [task({ purgeMode: 'Immediately', gracePeriodSeconds: null })] },
    workloads: [workload({ east: 'unhealthy' }, ['east'], { tolerationSeconds: 300, purgeMode: 'Immediately', gracePeriodSeconds: null })],
    now: T0 + 629 * S,
    tasks: ['west'],
    clocks: ['east@629'],
    events: [],
  },
  {
    name: 'Never: the task lasts, healthy or not, however long',
    state: { unhealthy: [], tasks: [task({ purgeMode: 'Never', gracePeriodSeconds: null })] },
    workloads: [workload({ east: 'healthy' }, ['east'], { tolerationSeconds: 30, purgeMode: 'Never', gracePeriodSeconds: null })],
    now: T0 + 86_400 * S,
    tasks: ['west'],
    clocks: [],
    events: [],
  },
  {
    name: 'the policy stops asking for failover: the task ends',
    state: { unhealthy: [], tasks: [task({ purgeMode: 'Never', gracePeriodSeconds: null })] },
    workloads: [workload({ east: 'healthy' }, ['east'], null)],
    now: T0 + 60 * S,
    tasks: [],
    clocks: [],
    events: ['west EvictionEnded'],
  },
  {
    name: 'the resource is gone: the task ends',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [],
    now: T0 + 60 * S,
    tasks: [],
    clocks: [],
    events: ['west EvictionEnded'],
  },
  {
    name: 'Divided: when the eviction ends the copy is purged, but the cluster stays out (Karmada does not reschedule it)',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [{ ...workload({ east: 'healthy' }), rescheduleKey: 'k1' }],
    now: T0 + 60 * S,
    tasks: ['west (ended)'],
    clocks: [],
    events: ['west EvictionEnded'],
  },
  {
    name: 'Divided, no other cluster took it: when the grace period is over the cluster is not held out',
    state: { unhealthy: [], tasks: [task()] },
    workloads: [{ ...workload({}, []), rescheduleKey: 'k1' }],
    now: T0 + 150 * S,
    tasks: [],
    clocks: [],
    events: ['west EvictionEnded'],
  },
  {
    name: 'Divided, eviction ended: held out while its placement and replicas are unchanged, healthy or not',
    state: { unhealthy: [], tasks: [task({ ended: { at: T0 + 60 * S, rescheduleKey: 'k1' } })] },
    workloads: [{ ...workload({ east: 'healthy' }, ['east'], null), rescheduleKey: 'k1' }],
    now: T0 + 86_400 * S,
    tasks: ['west (ended)'],
    clocks: [],
    events: [],
  },
  {
    name: 'Divided, eviction ended: its replicas or placement changed, Karmada reschedules it: the cluster may be chosen again',
    state: { unhealthy: [], tasks: [task({ ended: { at: T0 + 60 * S, rescheduleKey: 'k1' } })] },
    workloads: [{ ...workload({ east: 'healthy' }), rescheduleKey: 'k2' }],
    now: T0 + 61 * S,
    tasks: [],
    clocks: [],
    events: [],
  },
  {
    name: 'a task made this step is not assessed yet (its placement has not been applied)',
    state: { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
    workloads: [workload({ east: 'healthy', west: 'unhealthy' })],
    now: T0 + 10_000 * S,
    tasks: ['west'],
    clocks: [],
    events: ['west ApplicationEvicted'],
  },
];

describe('nextApplicationFailover', () => {
  it.each(ROWS)('$name', (row) => {
    const { state, events } = nextApplicationFailover(row.state, row.workloads, row.now);
    expect(state.tasks.map((t) => `${t.cluster}${t.ended ? ' (ended)' : ''}`)).toEqual(row.tasks);
    expect(state.unhealthy.map((m) => `${m.cluster}@${(m.since - T0) / S}`)).toEqual(row.clocks);
    expect(events.map((e) => `${e.cluster} ${e.type}`)).toEqual(row.events);
  });

  it('an eviction records the workload, the cluster, since when, why and the purge mode', () => {
    const { state, events } = nextApplicationFailover(
      { unhealthy: [{ resource: KEY, cluster: 'west', since: T0 }], tasks: [] },
      [workload({ west: 'unhealthy' })],
      T0 + 45 * S,
    );
    expect(state.tasks).toEqual([
      {
        resource: WEB,
        cluster: 'west',
        purgeMode: 'Graciously',
        gracePeriodSeconds: 120,
        unhealthySince: T0,
        evictedAt: T0 + 45 * S,
        reason: 'unhealthy on west',
      },
    ]);
    expect(events[0]!.message).toBe(
      'Deployment shop/web unhealthy on west since 2026-03-01T10:00:00.000Z (tolerationSeconds 30; unhealthy on west): evicted, ' +
        'its replicas go to the other eligible clusters; purgeMode Graciously: the copy there stays until the new copies are ' +
        'healthy or 120s pass',
    );
  });

  it('an evicted cluster’s own health is not watched while the task lasts (it is being evicted)', () => {
    const { state } = nextApplicationFailover({ unhealthy: [], tasks: [task()] }, [workload({ west: 'unhealthy' }, ['west'])], T0 + 60 * S);
    expect(state.unhealthy).toEqual([]);
    expect(state.tasks).toHaveLength(1);
  });
});

describe('what the scheduler, the apply engine and the status branch are told', () => {
  it('failoverHealth: Healthy and Suspended are healthy, Progressing and Degraded unhealthy, the rest unknown', () => {
    expect(['Healthy', 'Suspended', 'Progressing', 'Degraded', 'Missing', null].map((h) => failoverHealth(h as never))).toEqual([
      'healthy',
      'healthy',
      'unhealthy',
      'unhealthy',
      'unknown',
      'unknown',
    ]);
  });

  it('withApplicationEvictions: the cluster leaves the previous result and is named for the ClusterEviction filter', () => {
    const previous = new Map([
      [
        KEY,
        {
          clusters: [
            { name: 'east', replicas: 5 },
            { name: 'west', replicas: 5 },
          ],
        },
      ],
      ['v1|ConfigMap|shop|c', { clusters: [{ name: 'west', replicas: null }] }],
    ]);
    const out = withApplicationEvictions(previous, [task()]);
    expect(out.get(KEY)).toEqual({ clusters: [{ name: 'east', replicas: 5 }], evicted: ['west'] });
    expect(out.get('v1|ConfigMap|shop|c')).toBe(previous.get('v1|ConfigMap|shop|c'));
    expect(withApplicationEvictions(previous, [])).toBe(previous);
  });

  it('retainedCopies: Graciously and Never keep the old copy, Immediately does not', () => {
    const kept = retainedCopies([
      task({ cluster: 'a', purgeMode: 'Graciously' }),
      task({ cluster: 'b', purgeMode: 'Immediately', gracePeriodSeconds: null }),
      task({ cluster: 'c', purgeMode: 'Never', gracePeriodSeconds: null }),
      task({ cluster: 'd', ended: { at: T0, rescheduleKey: 'k' } }),
    ]);
    expect(kept.map((k) => k.cluster)).toEqual(['a', 'c']);
    expect(kept[0]!.message).toContain('graceful eviction');
  });

  it('the ApplicationEviction documents of the observed-clusters file read back as the same tasks', () => {
    const tasks = [
      task(),
      task({ cluster: 'north', purgeMode: 'Never', gracePeriodSeconds: null }),
      task({ cluster: 'south', ended: { at: T0 + 90 * S, rescheduleKey: '[{},2]' } }),
    ];
    const cluster = 'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: east}\n';
    const text = `# observed\n${cluster}---\n${evictionDocuments(tasks).join('---\n')}`;
    expect(parseEvictionDocuments(text)).toEqual([tasks[1], tasks[2], tasks[0]]);
    expect(() => parseEvictionDocuments('kind: ApplicationEviction\nspec: {fromCluster: x}\n')).toThrow(/needs spec.resource/);
  });
});

describe('workloadObservations (what the live fleet hands the decision)', () => {
  const policy = (name: string, failover?: ApplicationFailover) =>
    ({
      kind: 'PropagationPolicy',
      namespace: 'shop',
      name,
      placement: {},
      ...(failover ? { applicationFailover: failover } : {}),
    }) as never;
  const placed = (name: string, policyName: string) =>
    ({
      resource: { ...WEB, name },
      policy: { kind: 'PropagationPolicy', namespace: 'shop', name: policyName },
      replicas: 2,
      clusters: [
        { name: 'east', replicas: 1 },
        { name: 'west', replicas: 1 },
      ],
      error: null,
      explanation: [],
      verdicts: [],
    }) as never;
  const model = { propagationPolicies: [policy('guarded', GRACIOUSLY), policy('plain')], clusterPropagationPolicies: [] } as never;
  const sync = {
    clusters: [
      { cluster: 'east', reachable: true, objects: [{ ref: { ...WEB, name: 'a' }, health: { status: 'Healthy', message: 'ok' } }] },
      { cluster: 'west', reachable: false, objects: [{ ref: { ...WEB, name: 'a' }, health: { status: 'Degraded', message: 'bad' } }] },
    ],
  } as never;

  it('only workloads whose policy asks for it, with the health of the clusters that answered', () => {
    const out = workloadObservations({ model, placements: [placed('a', 'guarded'), placed('b', 'plain')] }, sync);
    expect(out.map((w) => [w.resource.name, w.failover?.purgeMode ?? null, [...w.health.keys()]])).toEqual([['a', 'Graciously', ['east']]]);
  });

  it('an evicted workload whose policy no longer asks for it is handed over with no failover (its eviction ends)', () => {
    const out = workloadObservations({ model, placements: [placed('b', 'plain')] }, sync, new Set(['apps/v1|Deployment|shop|b']));
    expect(out.map((w) => [w.resource.name, w.failover])).toEqual([['b', null]]);
  });

  it('nothing asks for application failover and nothing is evicted: nothing to watch', () => {
    const none = { propagationPolicies: [policy('plain')], clusterPropagationPolicies: [] } as never;
    expect(workloadObservations({ model: none, placements: [placed('b', 'plain')] }, sync)).toEqual([]);
  });
});
