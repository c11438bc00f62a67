import { describe, expect, it } from 'vitest';
import { renderFleet } from '../../src/render/render-fleet.js';
import { observedClustersFile } from '../../src/kube/observed.js';
import { NOT_READY_TAINT_KEY } from '../../src/kube/failover.js';
import { fixtureFiles } from '../helpers/fleet.js';

describe('the observed-clusters file merges into the fleet model', () => {
  it('taints, readiness and capacity observed live reach the clusters the scheduler sees', async () => {
    const files = await fixtureFiles('seed');
    const observed = observedClustersFile([
      { name: 'cluster-shanghai', ready: false, message: 'ECONNREFUSED', taints: [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }], resourceSummary: null },
      { name: 'cluster-hangzhou', ready: true, taints: [], resourceSummary: { allocatable: { cpu: '8', pods: '110' }, allocated: { cpu: '1', pods: '3' } } },
    ]);
    const r = renderFleet({ files: [...files, observed], revision: 'worktree' });
    // Without previous placements the NoSchedule taint filters shanghai: reviews-v2 (shanghai only)
    // has nowhere to go, and the scheduler says why.
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      expect.stringContaining('reviews-v2 cannot be scheduled: 0/8 clusters are available: 6 cluster(s) did not match the placement cluster affinity constraint, 1 cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoSchedule}'),
    ]);
    const shanghai = r.model.clusters.find((c) => c.name === 'cluster-shanghai')!;
    expect(shanghai.ready).toBe(false);
    expect(shanghai.taints).toEqual([{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }]);
    expect(r.model.clusters.find((c) => c.name === 'cluster-hangzhou')!.resourceSummary).toEqual({ allocatable: { cpu: '8', pods: '110' }, allocated: { cpu: '1', pods: '3' } });
    // Observed clusters keep their fleet labels (declarations merge by name).
    expect(shanghai.labels.region).toBe('asia-east');
  });
  it('is deterministic: same observations in any order → same bytes', () => {
    const a = { name: 'a', ready: true, taints: [] };
    const b = { name: 'b', ready: true, taints: [] };
    expect(observedClustersFile([a, b]).text).toBe(observedClustersFile([b, a]).text);
  });
});
