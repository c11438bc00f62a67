import { describe, it, expect } from 'vitest';
import { estimateAllocatableReplicas, podRequestsOf } from '../../src/placement/estimator.js';
import type { Cluster, ResourceSummary } from '../../src/model/types.js';
import { FlotillaError } from '../../src/model/diagnostics.js';

function cluster(name: string, resourceSummary?: ResourceSummary): Cluster {
  return {
    name,
    labels: {},
    provider: '',
    region: '',
    zones: [],
    taints: [],
    ready: true,
    deleting: false,
    fleets: [],
    sources: [],
    ...(resourceSummary ? { resourceSummary } : {}),
  };
}

function deployment(containers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 3, template: { spec: { containers, ...extra } } },
  };
}

describe('podRequestsOf', () => {
  it('Deployment with 250m+500m cpu and 128Mi+256Mi memory → cpu 750 millicores, memory 402653184 bytes', () => {
    const d = deployment([
      { name: 'app', resources: { requests: { cpu: '250m', memory: '128Mi' } } },
      { name: 'sidecar', resources: { requests: { cpu: '0.5', memory: '256Mi' } } },
    ]);
    expect(podRequestsOf(d)).toEqual({ cpu: 750, memory: 402653184 });
  });

  it('Pod reads spec.containers: cpu 1 → 1000', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'a', resources: { requests: { cpu: 1 } } }] } };
    expect(podRequestsOf(pod)).toEqual({ cpu: 1000 });
  });

  for (const kind of ['StatefulSet', 'ReplicaSet', 'DaemonSet', 'Job']) {
    it(`${kind} reads spec.template.spec.containers`, () => {
      const w = { kind, spec: { template: { spec: { containers: [{ resources: { requests: { memory: '1Gi' } } }] } } } };
      expect(podRequestsOf(w)).toEqual({ memory: 1073741824 });
    });
  }

  it('no requests at all → undefined', () => {
    expect(podRequestsOf(deployment([{ name: 'app', image: 'nginx' }]))).toBeUndefined();
    expect(podRequestsOf(deployment([{ name: 'app', resources: {} }]))).toBeUndefined();
    expect(podRequestsOf(deployment([]))).toBeUndefined();
  });

  it('a kind without a pod template (ConfigMap, CRD) → undefined', () => {
    expect(podRequestsOf({ kind: 'ConfigMap', data: {} })).toBeUndefined();
    expect(
      podRequestsOf({ kind: 'Rollout', spec: { template: { spec: { containers: [{ resources: { requests: { cpu: 1 } } }] } } } }),
    ).toBeUndefined();
  });

  it('limits stand in for missing requests (cpu limit 2 with memory request only → cpu 2000)', () => {
    const d = deployment([{ name: 'app', resources: { limits: { cpu: '2', memory: '1Gi' }, requests: { memory: '512Mi' } } }]);
    expect(podRequestsOf(d)).toEqual({ cpu: 2000, memory: 536870912 });
  });

  it('init containers raise a resource to their maximum (containers 300m, init 1 → 1000; memory stays the sum)', () => {
    const d = deployment([{ resources: { requests: { cpu: '100m', memory: '1Mi' } } }, { resources: { requests: { cpu: '200m' } } }], {
      initContainers: [{ resources: { requests: { cpu: '1' } } }, { resources: { requests: { cpu: '500m' } } }],
    });
    expect(podRequestsOf(d)).toEqual({ cpu: 1000, memory: 1048576 });
  });

  it('pod overhead is added (100m + overhead 50m → 150)', () => {
    const d = deployment([{ resources: { requests: { cpu: '100m' } } }], { overhead: { cpu: '50m' } });
    expect(podRequestsOf(d)).toEqual({ cpu: 150 });
  });

  it('extended resources are kept, unknown plain names dropped (nvidia.com/gpu 1, foo ignored)', () => {
    const d = deployment([{ resources: { requests: { 'nvidia.com/gpu': '1', foo: '3', 'hugepages-2Mi': '4Mi' } } }]);
    expect(podRequestsOf(d)).toEqual({ 'hugepages-2Mi': 4194304, 'nvidia.com/gpu': 1 });
  });

  it('a malformed quantity throws INVALID_QUANTITY', () => {
    expect(() => podRequestsOf(deployment([{ resources: { requests: { cpu: 'lots' } } }]))).toThrow(FlotillaError);
  });
});

describe('estimateAllocatableReplicas', () => {
  it('flotilla: no resourceSummary declared → unlimited, i.e. the workload replicas (10)', () => {
    expect(estimateAllocatableReplicas(cluster('a'), { cpu: 500 }, 10)).toBe(10);
    expect(estimateAllocatableReplicas(cluster('a'), undefined, 7)).toBe(7);
  });

  it('pods only: 10 allocatable − 3 allocated − 2 allocating → 5, whatever the replicas', () => {
    const c = cluster('a', { allocatable: { pods: '10' }, allocated: { pods: '3' }, allocating: { pods: '2' } });
    expect(estimateAllocatableReplicas(c, undefined, 100)).toBe(5);
    expect(estimateAllocatableReplicas(c, undefined, 2)).toBe(5);
  });

  it('pods exhausted (10 allocatable, 12 allocated) → 0, even with no requests', () => {
    const c = cluster('a', { allocatable: { pods: 10, cpu: '8' }, allocated: { pods: 12 } });
    expect(estimateAllocatableReplicas(c, undefined, 3)).toBe(0);
    expect(estimateAllocatableReplicas(c, { cpu: 100 }, 3)).toBe(0);
  });

  it('cpu: (4 − 1500m) / 500m → 5 replicas (pods 110 not binding)', () => {
    const c = cluster('a', { allocatable: { pods: 110, cpu: '4' }, allocated: { cpu: '1500m', pods: 3 } });
    expect(estimateAllocatableReplicas(c, { cpu: 500 }, 20)).toBe(5);
  });

  it('cpu and memory: min(⌊(16Gi − 4Gi)/1Gi⌋ = 12, ⌊8000m/750m⌋ = 10) → 10', () => {
    const c = cluster('a', { allocatable: { pods: 110, cpu: '8', memory: '16Gi' }, allocated: { memory: '4Gi' } });
    expect(estimateAllocatableReplicas(c, { cpu: 750, memory: 1073741824 }, 50)).toBe(10);
    expect(estimateAllocatableReplicas(c, { cpu: 500, memory: 1073741824 }, 50)).toBe(12);
  });

  it('pods bind below resources: pods 4 left, cpu for 10 → 4', () => {
    const c = cluster('a', { allocatable: { pods: 10, cpu: '10' }, allocated: { pods: 6 } });
    expect(estimateAllocatableReplicas(c, { cpu: 1000 }, 50)).toBe(4);
  });

  it('a requested resource the cluster does not list (nvidia.com/gpu) → 0', () => {
    const c = cluster('a', { allocatable: { pods: 110, cpu: '8' } });
    expect(estimateAllocatableReplicas(c, { cpu: 100, 'nvidia.com/gpu': 1 }, 5)).toBe(0);
    expect(estimateAllocatableReplicas(cluster('b', { allocatable: { pods: 50 } }), { cpu: 1 }, 3)).toBe(0);
  });

  it('a requested resource already used up (cpu 2 allocatable, 2 allocated + 500m allocating) → 0', () => {
    const c = cluster('a', { allocatable: { pods: 110, cpu: '2' }, allocated: { cpu: '2' }, allocating: { cpu: '500m' } });
    expect(estimateAllocatableReplicas(c, { cpu: 100 }, 5)).toBe(0);
  });

  it('flotilla: allocatable without pods leaves pods unlimited (cpu 3 / 1 → 3; no requests → replicas 9)', () => {
    const c = cluster('a', { allocatable: { cpu: '3' } });
    expect(estimateAllocatableReplicas(c, { cpu: 1000 }, 9)).toBe(3);
    expect(estimateAllocatableReplicas(c, undefined, 9)).toBe(9);
  });

  it('the estimate is not capped at the workload replicas (pods 50 left, 3 replicas → 50)', () => {
    expect(estimateAllocatableReplicas(cluster('a', { allocatable: { pods: 50 } }), undefined, 3)).toBe(50);
  });

  it('requests of 0 are skipped (cpu 0, memory 1Gi over 2Gi → 2)', () => {
    const c = cluster('a', { allocatable: { pods: 110, memory: '2Gi' } });
    expect(estimateAllocatableReplicas(c, { cpu: 0, memory: 1073741824 }, 10)).toBe(2);
  });

  it('a malformed declared quantity throws INVALID_QUANTITY naming the cluster and field', () => {
    const c = cluster('edge-1', { allocatable: { pods: 110, cpu: 'four' } });
    let error: unknown;
    try {
      estimateAllocatableReplicas(c, { cpu: 100 }, 5);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlotillaError);
    expect((error as FlotillaError).code).toBe('INVALID_QUANTITY');
    expect((error as FlotillaError).message).toContain('edge-1');
    expect((error as FlotillaError).message).toContain('status.resourceSummary.allocatable.cpu');
  });
});
