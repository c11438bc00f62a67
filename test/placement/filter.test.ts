// The ClusterEviction filter (src/placement/filter.ts, docs/reference/semantics.md §4.5): a cluster
// application failover is evicting a workload from takes none of its replicas while the eviction
// lasts, and the placement's own rules pick the replacement — a Duplicated workload spread over
// two of three clusters moves its copy to the third, a Divided one scales up on what is left.
import { describe, expect, it } from 'vitest';
import { renderFleet } from '../../src/render/render-fleet.js';
import type { PreviousPlacement } from '../../src/model/types.js';
import { deploymentYaml } from '../helpers/fleet.js';

const CLUSTERS = ['a', 'b', 'c']
  .map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\nspec: {}\n`)
  .join('---\n');

function fleet(placement: string): { path: string; text: string }[] {
  const app = `${deploymentYaml('web', { namespace: 'shop', replicas: 6, image: 'web:1' })}---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement:
${placement}`;
  return [
    { path: 'clusters.yaml', text: CLUSTERS },
    { path: 'web.yaml', text: app },
  ];
}

const KEY = 'apps/v1|Deployment|shop|web';

function place(placement: string, previous: PreviousPlacement) {
  const result = renderFleet({ files: fleet(placement), revision: 'w', previous: new Map([[KEY, previous]]) });
  const p = result.placements.find((x) => x.resource.name === 'web')!;
  return { clusters: p.clusters, verdict: (c: string) => p.verdicts.find((v) => v.name === c)!, errors: result.diagnostics };
}

describe('ClusterEviction filter', () => {
  it('Duplicated over 2 of 3 clusters (spread by cluster): evicted from b, the copy goes to c', () => {
    const spread =
      '    replicaScheduling: {replicaSchedulingType: Duplicated}\n' +
      '    spreadConstraints: [{spreadByField: cluster, maxGroups: 2, minGroups: 2}]\n';
    const before = place(spread, {
      clusters: [
        { name: 'a', replicas: 6 },
        { name: 'b', replicas: 6 },
      ],
    });
    expect(before.clusters.map((c) => c.name)).toEqual(['a', 'b']);
    const after = place(spread, { clusters: [{ name: 'a', replicas: 6 }], evicted: ['b'] });
    expect(after.clusters.map((c) => c.name)).toEqual(['a', 'c']);
    expect(after.verdict('b')).toMatchObject({ feasible: false, selected: false });
    expect(after.verdict('b').reasons.join(' ')).toContain('application failover is evicting the workload from this cluster');
  });

  it('Karmada’s docs example (Duplicated, spread maxGroups 1): evicted from a → b; once the eviction ends it stays on b', () => {
    const one =
      '    clusterAffinity: {clusterNames: [a, b]}\n' + '    spreadConstraints: [{spreadByField: cluster, maxGroups: 1, minGroups: 1}]\n';
    expect(place(one, { clusters: [{ name: 'a', replicas: 6 }] }).clusters.map((c) => c.name)).toEqual(['a']);
    const evicted = place(one, { clusters: [], evicted: ['a'] });
    expect(evicted.clusters.map((c) => c.name)).toEqual(['b']);
    // The eviction ended: a may be chosen again, but ClusterLocality keeps the copy where it is (no flap back).
    expect(place(one, { clusters: [{ name: 'b', replicas: 6 }] }).clusters.map((c) => c.name)).toEqual(['b']);
  });

  it('Divided by static weights: evicted from b, its replicas go to a and c', () => {
    const divided = '    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}\n';
    const after = place(divided, {
      clusters: [
        { name: 'a', replicas: 2 },
        { name: 'c', replicas: 2 },
      ],
      evicted: ['b'],
    });
    expect(after.clusters).toEqual([
      { name: 'a', replicas: 3 },
      { name: 'c', replicas: 3 },
    ]);
  });

  it('no other cluster can take it: Karmada’s FitError names the eviction', () => {
    const only = '    clusterAffinity: {clusterNames: [b]}\n';
    const after = place(only, { clusters: [], evicted: ['b'] });
    expect(after.clusters).toEqual([]);
    expect(after.errors.map((d) => d.message).join(' ')).toContain('1 cluster(s) is in the process of eviction');
  });
});
