// The sharded target's report and sync result as the reconciler reads them: a batch where one of
// its clusters failed is Degraded (the others were applied), and the live status gets the
// per-cluster results of the clusters this replica applied, rolled up.
import { describe, expect, it } from 'vitest';
import { combine, mergeSyncResults, type ClusterApplyReport } from '../../src/ha/sharded-target.js';
import type { ClusterSyncResult } from '../../src/kube/sync.js';

const ok = (cluster: string, created: number): ClusterApplyReport => ({
  cluster,
  drifted: 0,
  report: { created, configured: 0, unchanged: 1, deleted: 0, failed: 0, failedClusters: [], ok: true, message: null },
});
const failed = (cluster: string): ClusterApplyReport => ({
  cluster,
  drifted: 0,
  report: {
    created: 0,
    configured: 0,
    unchanged: 0,
    deleted: 0,
    failed: 2,
    failedClusters: [cluster],
    ok: false,
    message: `${cluster}: connection refused`,
  },
});

function synced(cluster: string, created: number, writes: number, health: 'Healthy' | 'Progressing'): ClusterSyncResult {
  return {
    cluster,
    reachable: true,
    error: null,
    errorCode: null,
    objects: [
      {
        id: `|ConfigMap|default|app-${cluster}`,
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'app' },
        action: 'created',
        drift: [],
        message: null,
        code: null,
        health: { status: health, message: null } as never,
      },
    ],
    inventory: [],
    counts: { created, configured: 0, unchanged: 0, deleted: 0, released: 0, skipped: 0, failed: 0 },
    health: {
      status: health,
      counts: {
        Healthy: health === 'Healthy' ? 1 : 0,
        Suspended: 0,
        Progressing: health === 'Progressing' ? 1 : 0,
        Missing: 0,
        Degraded: 0,
      },
    },
    writes,
    pruneHeld: null,
  };
}

describe('sharded target reports', () => {
  it(
    '3 clusters applied here (1 failed), 4 elsewhere → clusters 3, failedClusters [c1], counts ' +
      'summed, the others named in the message',
    () => {
      const r = combine([ok('c2', 1), failed('c1'), ok('c0', 2)], 4);
      expect(r).toMatchObject({ created: 3, unchanged: 2, failed: 2, failedClusters: ['c1'], clusters: 3, ok: false });
      expect(r.message).toBe('c1: connection refused; 4 clusters applied by other replicas');
      // The reconciler's rule: fewer failed clusters than clusters worked on → Degraded, not Failed.
      expect(r.failedClusters.length).toBeLessThan(r.clusters!);
    },
  );

  it('merged sync result: clusters sorted, created 1+2 = 3, writes 1+2 = 3, health Healthy + Progressing → Progressing', () => {
    const m = mergeSyncResults([synced('c1', 2, 2, 'Progressing'), synced('c0', 1, 1, 'Healthy')]);
    expect(m.clusters.map((c) => c.cluster)).toEqual(['c0', 'c1']);
    expect(m.counts.created).toBe(3);
    expect(m.writes).toBe(3);
    expect(m.health.status).toBe('Progressing');
    expect(m.prune.allowed).toBe(true);
  });
});
