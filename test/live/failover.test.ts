import { describe, expect, it } from 'vitest';
import {
  evictFromPrevious,
  evictedClusters,
  failoverTaints,
  nextCondition,
  NOT_READY_TAINT_KEY,
  type ClusterCondition,
  type FailoverSettings,
} from '../../src/live/failover.js';

const S: FailoverSettings = { failureThresholdSeconds: 30, tolerationSeconds: 300, recoveryThresholdSeconds: 30 };
const down = { ok: false, error: 'ECONNREFUSED' };
const up = { ok: true };

/** Feeds probes at the given seconds; returns every state and event. */
function run(probes: Array<[number, boolean]>, settings = S) {
  let c: ClusterCondition | undefined;
  const events: string[] = [];
  for (const [t, ok] of probes) {
    const r = nextCondition(c, 'east', ok ? up : down, t * 1000, settings);
    c = r.condition;
    events.push(...r.events.map((e) => `${t}:${e.type}`));
  }
  return { c: c!, events };
}

describe('failover state machine (Karmada cluster controller + taint manager)', () => {
  it('failures for less than the 30 s threshold keep the cluster Ready, untainted', () => {
    const { c, events } = run([
      [0, true],
      [10, false],
      [39, false],
    ]);
    expect(c.ready).toBe(true);
    expect(failoverTaints(c, 39_000, S)).toEqual([]);
    expect(events).toEqual([]);
  });
  it('failing from 10 s to 40 s → NotReady at 40 s with NoSchedule only', () => {
    const { c, events } = run([
      [10, false],
      [40, false],
    ]);
    expect(c.ready).toBe(false);
    expect(events).toEqual(['40:NotReady']);
    expect(failoverTaints(c, 40_000, S)).toEqual([{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }]);
  });
  it('NoExecute (eviction) once NotReady for the 300 s toleration: at 339 s not yet, at 340 s yes', () => {
    const { c } = run([
      [10, false],
      [40, false],
    ]);
    expect(failoverTaints(c, 339_000, S).map((t) => t.effect)).toEqual(['NoSchedule']);
    expect(failoverTaints(c, 340_000, S).map((t) => t.effect)).toEqual(['NoSchedule', 'NoExecute']);
    expect(evictedClusters([c], 340_000, S)).toEqual(['east']);
  });
  it('the Evicting event comes with the first probe after the toleration ran out, once', () => {
    const { events } = run([
      [10, false],
      [40, false],
      [200, false],
      [340, false],
      [370, false],
    ]);
    expect(events).toEqual(['40:NotReady', '340:Evicting']);
  });
  it('a failure streak broken by a success starts over', () => {
    const { c } = run([
      [0, false],
      [20, true],
      [40, false],
      [60, false],
    ]);
    expect(c.ready).toBe(true);
  });
  it('recovery needs 30 s of answers; then taints are removed', () => {
    const { c, events } = run([
      [0, false],
      [30, false],
      [100, true],
      [120, true],
      [130, true],
    ]);
    expect(events).toEqual(['30:NotReady', '130:Ready']);
    expect(failoverTaints(c, 130_000, S)).toEqual([]);
  });
  it('thresholds 0 and toleration 1 s: NotReady at the first failure, evicting 1 s later', () => {
    const fast = { failureThresholdSeconds: 0, tolerationSeconds: 1, recoveryThresholdSeconds: 0 };
    const { c, events } = run(
      [
        [5, false],
        [6, false],
      ],
      fast,
    );
    expect(events).toEqual(['5:NotReady', '6:Evicting']);
    expect(failoverTaints(c, 6_000, fast).map((t) => t.effect)).toEqual(['NoSchedule', 'NoExecute']);
  });
});

describe('eviction from the previous placements', () => {
  it('removes only the evicted cluster: nginx {hangzhou 6, shanghai 4} without shanghai → {hangzhou 6}', () => {
    const prev = new Map([
      [
        'apps/v1|Deployment|default|nginx',
        {
          clusters: [
            { name: 'cluster-hangzhou', replicas: 6 },
            { name: 'cluster-shanghai', replicas: 4 },
          ],
        },
      ],
      ['v1|ConfigMap|default|cfg', { clusters: [{ name: 'cluster-hangzhou', replicas: null }] }],
    ]);
    const out = evictFromPrevious(prev, ['cluster-shanghai']);
    expect(out.get('apps/v1|Deployment|default|nginx')!.clusters).toEqual([{ name: 'cluster-hangzhou', replicas: 6 }]);
    expect(out.get('v1|ConfigMap|default|cfg')).toBe(prev.get('v1|ConfigMap|default|cfg'));
  });
});
