// The reconciler's rules for live clusters, on plain data: which scheduling failures failover
// caused (kept, not Invalid), how kept objects stay in the desired state, and the phase of a pass.
import { describe, expect, it } from 'vitest';
import { NOT_READY_TAINT_KEY } from '../../src/live/failover.js';
import { failoverUnschedulable, keptDiagnostics, livePhase, recentEvents, withKeptObjects } from '../../src/live/live-status.js';
import { stateFromObjects, type AppliedObject } from '../../src/state/change-set.js';
import { clusterObjectId as objectId } from '../../src/objects/identity.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import type { PlacementResult, PreviousPlacement } from '../../src/model/types.js';

const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name });
const key = (name: string) => `apps/v1|Deployment|default|${name}`;
const TAINT_ERROR =
  `0/8 clusters are available: 7 cluster(s) did not match the placement cluster affinity ` +
  `constraint, 1 cluster(s) had untolerated taint {${NOT_READY_TAINT_KEY}:NoSchedule}`;

function placement(name: string, error: string | null): PlacementResult {
  return {
    resource: ref(name),
    policy: null,
    replicas: 2,
    clusters: error ? [] : [{ name: 'cluster-hangzhou', replicas: 2 }],
    error,
    explanation: [],
    verdicts: [],
  };
}
function scheduleFailed(name: string, why: string): Diagnostic {
  return {
    severity: 'error',
    code: 'SCHEDULE_FAILED',
    message: `Deployment default/${name} cannot be scheduled: ${why}`,
    file: 'x.yaml',
    line: 1,
    column: 1,
  };
}
const before = new Map<string, PreviousPlacement>([[key('reviews-v2'), { clusters: [{ name: 'cluster-shanghai', replicas: 2 }] }]]);

describe('failoverUnschedulable', () => {
  it('reviews-v2 placed on shanghai before, unschedulable now because of the not-ready taint → kept', () => {
    const kept = failoverUnschedulable(
      {
        placements: [placement('nginx', null), placement('reviews-v2', TAINT_ERROR)],
        diagnostics: [scheduleFailed('reviews-v2', TAINT_ERROR)],
      },
      before,
    );
    expect(kept?.map((k) => [k.placement.resource.name, k.previous.clusters])).toEqual([
      ['reviews-v2', [{ name: 'cluster-shanghai', replicas: 2 }]],
    ]);
  });

  it('unschedulable because application failover evicts it from its only cluster → kept, and the warning says which failover', () => {
    const why =
      '0/8 clusters are available: 1 cluster(s) is in the process of eviction, ' +
      '7 cluster(s) did not match the placement cluster affinity constraint';
    const result = { placements: [placement('reviews-v2', why)], diagnostics: [scheduleFailed('reviews-v2', why)] };
    const kept = failoverUnschedulable(result, before);
    expect(kept?.map((k) => k.placement.resource.name)).toEqual(['reviews-v2']);
    expect(keptDiagnostics(result.diagnostics, kept!)[0]).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('(application failover: kept where it was until a cluster can take it)'),
    });
  });

  it('a resource never placed before is not kept (a new unschedulable resource stays an error)', () => {
    expect(
      failoverUnschedulable(
        { placements: [placement('new-app', TAINT_ERROR)], diagnostics: [scheduleFailed('new-app', TAINT_ERROR)] },
        before,
      ),
    ).toBeNull();
  });

  it('a failure whose reasons do not name the not-ready taint is not failover’s doing', () => {
    const why = '0/8 clusters are available: 8 cluster(s) did not match the placement cluster affinity constraint';
    expect(
      failoverUnschedulable({ placements: [placement('reviews-v2', why)], diagnostics: [scheduleFailed('reviews-v2', why)] }, before),
    ).toBeNull();
  });

  it('any other error alongside (a YAML error) keeps the revision Invalid', () => {
    const yaml: Diagnostic = { severity: 'error', code: 'YAML_PARSE', message: 'bad', file: 'b.yaml', line: 1, column: 1 };
    expect(
      failoverUnschedulable(
        { placements: [placement('reviews-v2', TAINT_ERROR)], diagnostics: [scheduleFailed('reviews-v2', TAINT_ERROR), yaml] },
        before,
      ),
    ).toBeNull();
  });

  it('no errors → nothing to keep', () => {
    expect(failoverUnschedulable({ placements: [placement('nginx', null)], diagnostics: [] }, before)).toBeNull();
  });
});

describe('withKeptObjects and keptDiagnostics', () => {
  const applied = (cluster: string, name: string): AppliedObject => ({
    id: objectId(cluster, ref(name)),
    cluster,
    ref: ref(name),
    path: `${cluster}/default/deployment-${name}.yaml`,
    qualified: false,
    oid: 'x',
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'default', name } },
  });
  const state = stateFromObjects([
    applied('cluster-shanghai', 'reviews-v2'),
    applied('cluster-shanghai', 'nginx'),
    applied('cluster-hangzhou', 'nginx'),
  ]);
  const kept = [{ placement: placement('reviews-v2', TAINT_ERROR), previous: before.get(key('reviews-v2'))! }];

  it('the kept resource’s applied objects join the rendered manifests on the clusters they were on; other lists are untouched', () => {
    const hz = [{ kind: 'Deployment', metadata: { name: 'nginx' } }];
    const out = withKeptObjects({ 'cluster-hangzhou': hz }, state, kept);
    expect(out['cluster-hangzhou']).toBe(hz);
    expect(out['cluster-shanghai']).toEqual([state.get('cluster-shanghai')!.get(objectId('cluster-shanghai', ref('reviews-v2')))!.object]);
  });

  it('its SCHEDULE_FAILED becomes a warning saying it is kept; other diagnostics are unchanged', () => {
    const other: Diagnostic = { severity: 'warning', code: 'X', message: 'y', file: null, line: null, column: null };
    const out = keptDiagnostics([scheduleFailed('reviews-v2', TAINT_ERROR), other], kept);
    expect(out[0]).toMatchObject({ severity: 'warning', code: 'SCHEDULE_FAILED', message: expect.stringContaining('kept where it was') });
    expect(out[1]).toBe(other);
  });
});

describe('livePhase', () => {
  it('kept placements → Degraded FailoverUnschedulable, before drift', () => {
    expect(livePhase({ kept: 1, drifted: 2, health: 'Healthy' })).toMatchObject({ phase: 'Degraded', reason: 'FailoverUnschedulable' });
  });
  it('drift corrected on 2 objects → Degraded DriftCorrected', () => {
    expect(livePhase({ kept: 0, drifted: 2, health: 'Healthy' })).toEqual({
      phase: 'Degraded',
      reason: 'DriftCorrected',
      note: 'drift corrected on 2 objects',
    });
  });
  it('rollouts not ready → Progressing; unhealthy → Degraded; healthy → Synced', () => {
    expect(livePhase({ kept: 0, drifted: 0, health: 'Progressing' }).phase).toBe('Progressing');
    expect(livePhase({ kept: 0, drifted: 0, health: 'Degraded' }).phase).toBe('Degraded');
    expect(livePhase({ kept: 0, drifted: 0, health: 'Healthy' })).toEqual({ phase: 'Synced', reason: null, note: null });
  });
});

describe('recentEvents', () => {
  it('keeps the newest 20, oldest first', () => {
    const ev = (i: number) => ({ cluster: 'c', at: i, type: 'NotReady' as const, message: String(i) });
    const out = recentEvents(
      Array.from({ length: 19 }, (_, i) => ev(i)),
      [ev(19), ev(20)],
    );
    expect(out.map((e) => e.at)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
