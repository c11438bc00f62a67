import { describe, expect, it } from 'vitest';
import { podRequests, resourceSummaryOf } from '../../src/kube/capacity.js';
import { estimateAllocatableReplicas } from '../../src/placement/estimator.js';
import type { Cluster } from '../../src/model/types.js';

const node = (cpu: string, memory: string, pods = '110') => ({ kind: 'Node', status: { allocatable: { cpu, memory, pods } } });
const pod = (requests: Record<string, string>, extra: { nodeName?: string; phase?: string; init?: Record<string, string> } = {}) => ({
  kind: 'Pod',
  spec: {
    ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
    containers: [{ name: 'a', resources: { requests } }],
    ...(extra.init ? { initContainers: [{ name: 'i', resources: { requests: extra.init } }] } : {}),
  },
  status: { phase: extra.phase ?? 'Running' },
});

describe('capacity: nodes allocatable minus pods requests (Karmada resourceSummary)', () => {
  it('2 nodes of 4 cpu/8Gi; 3 bound pods of 500m/1Gi; 1 pending pod of 1 cpu', () => {
    const s = resourceSummaryOf(
      [node('4', '8Gi'), node('4', '8Gi')],
      [
        pod({ cpu: '500m', memory: '1Gi' }, { nodeName: 'n1' }),
        pod({ cpu: '500m', memory: '1Gi' }, { nodeName: 'n1' }),
        pod({ cpu: '0.5', memory: '1Gi' }, { nodeName: 'n2' }),
        pod({ cpu: '1' }),
      ],
    );
    expect(s.allocatable).toEqual({ cpu: '8', memory: String(16 * 2 ** 30), pods: '220' });
    expect(s.allocated).toEqual({ cpu: '1500m', memory: String(3 * 2 ** 30), pods: '3' });
    expect(s.allocating).toEqual({ cpu: '1', pods: '1' });
  });
  it('finished pods (Succeeded, Failed) hold nothing', () => {
    const s = resourceSummaryOf(
      [node('2', '1Gi')],
      [pod({ cpu: '1' }, { nodeName: 'n', phase: 'Succeeded' }), pod({ cpu: '1' }, { nodeName: 'n', phase: 'Failed' })],
    );
    expect(s.allocated).toEqual({});
  });
  it("a pod's request is max(Σ containers, each init container): init 2 cpu over containers 1 cpu → 2", () => {
    expect(podRequests(pod({ cpu: '1' }, { init: { cpu: '2' } })).get('cpu')).toEqual({ num: 2n, den: 1n });
  });
  it('the summary feeds the general estimator: (8 − 1.5 − 1) cpu / 500m → 11 replicas', () => {
    const s = resourceSummaryOf(
      [node('4', '8Gi'), node('4', '8Gi')],
      [
        pod({ cpu: '500m', memory: '1Gi' }, { nodeName: 'n1' }),
        pod({ cpu: '500m', memory: '1Gi' }, { nodeName: 'n1' }),
        pod({ cpu: '500m', memory: '1Gi' }, { nodeName: 'n2' }),
        pod({ cpu: '1' }),
      ],
    );
    const cluster = {
      name: 'c',
      labels: {},
      provider: '',
      region: '',
      zones: [],
      taints: [],
      ready: true,
      deleting: false,
      fleets: [],
      sources: [],
      resourceSummary: s,
    } as Cluster;
    expect(estimateAllocatableReplicas(cluster, { cpu: 500 }, 100)).toBe(11);
  });
});
