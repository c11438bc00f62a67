import { describe, expect, it } from 'vitest';
import { renderFleet } from '../../src/render/render-fleet.js';
import {
  evictedByObservation,
  observedClustersFile,
  overlayObserved,
  parseObservedClusters,
  type ObservedCluster,
} from '../../src/live/observed.js';
import { NOT_READY_TAINT_KEY } from '../../src/live/failover.js';
import { fixtureFiles } from '../helpers/fleet.js';

describe('the observed-clusters file merges into the fleet model', () => {
  it('taints, readiness and capacity observed live reach the clusters the scheduler sees', async () => {
    const files = await fixtureFiles('seed');
    const observed = observedClustersFile([
      {
        name: 'cluster-shanghai',
        ready: false,
        message: 'ECONNREFUSED',
        taints: [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }],
        resourceSummary: null,
      },
      {
        name: 'cluster-hangzhou',
        ready: true,
        taints: [],
        resourceSummary: { allocatable: { cpu: '8', pods: '110' }, allocated: { cpu: '1', pods: '3' } },
      },
    ]);
    const r = renderFleet({ files: [...files, observed], revision: 'worktree' });
    // Without previous placements the NoSchedule taint filters shanghai: reviews-v2 (shanghai only)
    // has nowhere to go, and the scheduler says why.
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      expect.stringMatching(
        new RegExp(
          'reviews-v2 cannot be scheduled: 0/8 clusters are available: .*' +
            '1 cluster\\(s\\) had untolerated taint \\{cluster\\.karmada\\.io/not-ready:NoSchedule\\}.*' +
            '6 cluster\\(s\\) did not match the placement cluster affinity constraint',
        ),
      ),
    ]);
    const shanghai = r.model.clusters.find((c) => c.name === 'cluster-shanghai')!;
    expect(shanghai.ready).toBe(false);
    expect(shanghai.taints).toEqual([{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }]);
    expect(r.model.clusters.find((c) => c.name === 'cluster-hangzhou')!.resourceSummary).toEqual({
      allocatable: { cpu: '8', pods: '110' },
      allocated: { cpu: '1', pods: '3' },
    });
    // Observed clusters keep their fleet labels (declarations merge by name).
    expect(shanghai.labels.region).toBe('asia-east');
  });
  it('is deterministic: same observations in any order → same bytes', () => {
    const a = { name: 'a', ready: true, taints: [] };
    const b = { name: 'b', ready: true, taints: [] };
    expect(observedClustersFile([a, b]).text).toBe(observedClustersFile([b, a]).text);
  });
});

describe('overlayObserved: the observation for clusters the repository declares as Karmada Clusters', () => {
  const spotFile = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: before}',
    '---',
    '# spot capacity',
    'apiVersion: cluster.karmada.io/v1alpha1',
    'kind: Cluster',
    'metadata:',
    '  name: spot-cluster',
    'spec:',
    '  provider: aws',
    '  taints:',
    '    - {key: team, value: ml, effect: NoSchedule}',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: after}',
    '',
  ].join('\n');

  it('writes taints, Ready and capacity into the repository document; other clusters get the observed file; no duplicate', async () => {
    const down = {
      name: 'spot-cluster',
      ready: false,
      message: 'ECONNREFUSED',
      taints: [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' as const }],
      resourceSummary: { allocatable: { cpu: '4' } },
    };
    const hz = { name: 'cluster-hangzhou', ready: true, taints: [], resourceSummary: null };
    const overlay = overlayObserved([{ path: 'spot.yaml', text: spotFile }], [down, hz]);
    expect(overlay.file.text).toContain('name: cluster-hangzhou');
    expect(overlay.file.text).not.toContain('spot-cluster');
    const patched = overlay.patched.get('spot.yaml')!;
    // Only the Cluster document changed: the documents before and after it are byte for byte the same.
    expect(patched.startsWith('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before}\n---\n')).toBe(true);
    expect(patched.endsWith('---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n')).toBe(true);
    expect(patched).toContain('# spot capacity');
    const r = renderFleet({ files: [{ path: 'spot.yaml', text: patched }, overlay.file], revision: 'worktree' });
    expect(r.diagnostics.filter((d) => d.code === 'DUPLICATE_RESOURCE')).toEqual([]);
    const spot = r.model.clusters.find((c) => c.name === 'spot-cluster')!;
    // The repository's own taint stays; failover's joins it.
    expect(spot.taints).toEqual([
      { key: 'team', value: 'ml', effect: 'NoSchedule' },
      { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' },
    ]);
    expect(spot.ready).toBe(false);
    expect(spot.provider).toBe('aws');
    expect(spot.resourceSummary).toEqual({ allocatable: { cpu: '4' } });
  });

  it('a cluster back to Ready loses the not-ready taint it was given; the seed fleet renders with no DUPLICATE_RESOURCE', async () => {
    const seed = await fixtureFiles('seed');
    const names = ['cluster-hangzhou', 'cluster-shanghai', 'ondemand-cluster', 'spot-cluster'];
    const tainted = overlayObserved(
      seed,
      names.map((name) => ({
        name,
        ready: name !== 'spot-cluster',
        taints: name === 'spot-cluster' ? [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' as const }] : [],
      })),
    );
    expect([...tainted.patched.keys()]).toEqual(['11-cost-optimization.yaml']);
    const files = seed.map((f) => ({ path: f.path, text: tainted.patched.get(f.path) ?? f.text }));
    const recovered = overlayObserved(
      files,
      names.map((name) => ({ name, ready: true, taints: [] })),
    );
    const r = renderFleet({
      files: [...seed.map((f) => ({ path: f.path, text: recovered.patched.get(f.path) ?? f.text })), recovered.file],
      revision: 'worktree',
    });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.model.clusters.find((c) => c.name === 'spot-cluster')!.taints).toEqual([]);
    expect(r.placements.find((p) => p.resource.name === 'cost-sensitive-app')!.clusters).toEqual([
      { name: 'ondemand-cluster', replicas: 2 },
      { name: 'spot-cluster', replicas: 8 },
    ]);
  });

  it(
    'the recorded file reads back into the same observation (render in CI overlays it like the ' + 'reconciler); NoExecute means evicted',
    () => {
      const clusters: ObservedCluster[] = [
        {
          name: 'b',
          ready: false,
          message: 'dial tcp: ECONNREFUSED',
          taints: [
            { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' },
            { key: NOT_READY_TAINT_KEY, effect: 'NoExecute' },
          ],
          resourceSummary: null,
        },
        {
          name: 'a',
          ready: true,
          message: null,
          taints: [],
          resourceSummary: { allocatable: { cpu: '8', pods: '110' }, allocated: { cpu: '1', pods: '3' } },
        },
        { name: 'c', ready: false, message: null, taints: [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }], resourceSummary: null },
      ];
      const back = parseObservedClusters(observedClustersFile(clusters).text);
      expect(back).toEqual([...clusters].sort((x, y) => (x.name < y.name ? -1 : 1)));
      expect(evictedByObservation(back)).toEqual(['b']);
    },
  );
});
