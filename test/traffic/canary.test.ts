// The canary state machine: steps once per check interval, OneFirst then every cluster, promotion,
// rollback after checkFailedTimes failures or the rollout timeout, and restarts by new templates.
import { describe, expect, it } from 'vitest';
import { advanceCanary, declare, initialCanary, type DeclaredTemplate } from '../../src/traffic/canary.js';

const ROLLOUT = {
  steps: [10, 20, 30],
  checkIntervalSeconds: 60,
  checkFailedTimes: 2,
  rolloutTimeoutSeconds: 600,
  suspend: false,
  clusters: 'OneFirst' as const,
};
const V1: DeclaredTemplate = { workload: 'w', hash: 'h1', template: { image: 'v1' } };
const V2: DeclaredTemplate = { workload: 'w', hash: 'h2', template: { image: 'v2' } };
const OK = { failure: null };

describe('canary', () => {
  it('a new template starts a canary that steps 10, 20, 30 a minute apart, then every cluster, then promotes', () => {
    let s = declare(initialCanary(V1, 0), V2, 1000);
    expect(s).toMatchObject({ phase: 'Progressing', canaryHash: 'h2', step: -1 });
    const seen: string[] = [];
    for (let t = 1000; t <= 1000 + 6 * 60_000; t += 30_000) {
      s = advanceCanary(s, ROLLOUT, OK, t, V2);
      seen.push(`${s.phase}:${s.weight}:${s.allClusters}`);
    }
    expect([...new Set(seen)]).toEqual([
      'Progressing:10:false',
      'Progressing:20:false',
      'Progressing:30:false',
      'Progressing:30:true',
      'Promoted:0:false',
    ]);
    expect(s).toMatchObject({ stableHash: 'h2', stableTemplate: { image: 'v2' }, canaryHash: null });
  });

  it('rolls back after checkFailedTimes failed checks, naming the failing metric; the same template does not restart', () => {
    let s = advanceCanary(declare(initialCanary(V1, 0), V2, 0), ROLLOUT, OK, 0, V2);
    s = advanceCanary(s, ROLLOUT, { failure: 'request-success-rate 80 < min 99' }, 60_000, V2);
    expect(s).toMatchObject({ phase: 'Progressing', failedChecks: 1, weight: 10 });
    s = advanceCanary(s, ROLLOUT, { failure: 'request-success-rate 70 < min 99' }, 120_000, V2);
    expect(s).toMatchObject({ phase: 'RolledBack', weight: 0, message: 'request-success-rate 70 < min 99', stableHash: 'h1' });
    expect(declare(s, V2, 180_000)).toBe(s);
    expect(declare(s, { ...V2, hash: 'h3' }, 180_000)).toMatchObject({ phase: 'Progressing', canaryHash: 'h3', failedChecks: 0 });
  });

  it('rolls back past rolloutTimeoutSeconds; suspend holds it', () => {
    let s = advanceCanary(declare(initialCanary(V1, 0), V2, 0), ROLLOUT, OK, 0, V2);
    expect(advanceCanary(s, { ...ROLLOUT, suspend: true }, OK, 700_000, V2)).toBe(s);
    s = advanceCanary(s, ROLLOUT, OK, 600_000, V2);
    expect(s).toMatchObject({ phase: 'RolledBack', message: 'no promotion within rolloutTimeoutSeconds 600' });
  });

  it('Git going back to the stable template ends the canary', () => {
    const s = advanceCanary(declare(initialCanary(V1, 0), V2, 0), ROLLOUT, OK, 0, V2);
    expect(declare(s, V1, 10)).toMatchObject({ phase: 'Promoted', canaryHash: null, stableHash: 'h1', weight: 0 });
  });
});
