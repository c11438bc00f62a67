// Kurator's published forms (issue 10, defect 4 item 2): an AttachedCluster's `spec.kubeconfig:
// {name, key}` and `metadata.labels`, a Fleet's `spec.clusters[].kind`, a Kurator (Cluster API)
// Cluster. fixtures/kurator holds them, adapted from kurator-dev/kurator's examples, and validates
// with no warning now that unknown fields are errors; the seed article's `spec.kubeconfig.secretRef`
// and `spec.labels` stay accepted.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFleetDirectory } from '../../src/load/files.js';
import { renderFleet } from '../../src/render/render-fleet.js';

const KURATOR = path.resolve(import.meta.dirname, '../../fixtures/kurator');

const attached = (spec: string) => `apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata:
  name: member
  namespace: fleets
spec:
${spec}`;

function render(text: string) {
  const result = renderFleet({ files: [{ path: 'c.yaml', text }], revision: 'w' });
  return { result, diags: result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}: ${d.message}`) };
}

describe('fixtures/kurator: Kurator’s own example forms', () => {
  it('validate with no diagnostic at all, and place the workload 2:1 over the two attached clusters', async () => {
    const result = renderFleet({ files: await readFleetDirectory(KURATOR), revision: 'w' });
    expect(result.diagnostics).toEqual([]);
    expect(result.placements.map((p) => [p.resource.name, p.clusters])).toEqual([
      [
        'podinfo',
        [
          { name: 'kurator-member1', replicas: 4 },
          { name: 'kurator-member2', replicas: 2 },
        ],
      ],
    ]);
  });

  it('the AttachedClusters carry their kubeconfig Secret key and metadata labels; fleets name their members by kind', async () => {
    const { model } = renderFleet({ files: await readFleetDirectory(KURATOR), revision: 'w' });
    const member1 = model.clusters.find((c) => c.name === 'kurator-member1')!;
    expect(member1.secretRef).toEqual({ namespace: 'default', name: 'kurator-member1', key: 'kurator-member1.config' });
    expect(member1.labels).toEqual({ env: 'production', region: 'eu-west' });
    expect(model.fleets.map((f) => [f.name, f.clusters])).toEqual([
      ['quickstart', ['kurator-member1', 'kurator-member2']],
      ['provisioned', ['provisioned']],
    ]);
  });
});

describe('AttachedCluster spec.kubeconfig', () => {
  it("Kurator's {name, key}; the seed article's secretRef {name} (key optional) stays a documented alias", () => {
    expect(render(attached('  kubeconfig: {name: s, key: kubeconfig}\n')).result.model.clusters[0]!.secretRef).toEqual({
      namespace: 'fleets',
      name: 's',
      key: 'kubeconfig',
    });
    const seed = render(attached('  kubeconfig:\n    secretRef: {name: s}\n  labels: {region: east}\n'));
    expect(seed.diags).toEqual([]);
    expect(seed.result.model.clusters[0]!.secretRef).toEqual({ namespace: 'fleets', name: 's' });
  });

  it('both forms at once, or Kurator’s form without its key (its CRD requires both), are INVALID_CLUSTER', () => {
    expect(render(attached('  kubeconfig:\n    name: s\n    key: k\n    secretRef: {name: t}\n')).diags).toEqual([
      'error INVALID_CLUSTER 10: AttachedCluster fleets/member: ' +
        'spec.kubeconfig takes either {name, key} (Kurator) or secretRef (the seed article), not both',
    ]);
    expect(render(attached('  kubeconfig: {name: s}\n')).diags).toEqual([
      'error INVALID_CLUSTER 7: AttachedCluster fleets/member: spec.kubeconfig.key is required: the key of Secret s holding the kubeconfig',
    ]);
  });

  it('a misspelt key is UNKNOWN_FIELD naming the right one', () => {
    expect(render(attached('  kubeconfig: {name: s, kye: k}\n')).diags).toContain(
      'error UNKNOWN_FIELD 7: AttachedCluster fleets/member: unknown field spec.kubeconfig.kye; did you mean "key"?',
    );
    expect(render(attached('  kubeConfig: {name: s, key: k}\n')).diags[0]).toBe(
      'error UNKNOWN_FIELD 7: AttachedCluster fleets/member: unknown field spec.kubeConfig; did you mean "kubeconfig"?',
    );
  });
});

describe('fixtures/kurator-published: Kurator’s API as published (every Fleet plugin, ObjectReference members, status)', () => {
  const PUBLISHED = path.resolve(import.meta.dirname, '../../fixtures/kurator-published');

  it('validate with no error or warning (so --strict passes); the one note is that Kurator installs the plugins', async () => {
    const result = renderFleet({ files: await readFleetDirectory(PUBLISHED), revision: 'w' });
    expect(result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`)).toEqual(['info NOT_APPLICABLE 02-fleet.yaml:19']);
    expect(result.model.fleets.map((f) => [f.name, f.clusters])).toEqual([['edge', ['edge-a', 'edge-b']]]);
    expect(result.model.clusters.map((c) => [c.name, c.ready, c.region, c.secretRef?.key])).toEqual([
      ['edge-a', true, 'eu-west', 'config'],
      ['edge-b', true, 'eu-central', 'config'],
    ]);
    // The workload and the ConfigMap it mounts (propagateDeps) on both members.
    expect(Object.keys(result.manifests)).toEqual(['edge-a', 'edge-b']);
    expect(result.manifests['edge-a']!.map((o) => o.kind)).toEqual(['Namespace', 'Deployment', 'ConfigMap']);
  });

  it('a Fleet plugin Kurator does not have is UNKNOWN_FIELD, naming the closest one', () => {
    const { diags } = render(`apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: default}
spec:
  clusters: [{name: a, labels: {env: prod}}]
  plugin:
    grafanna: {}
`);
    expect(diags.filter((d) => !d.startsWith('info'))).toEqual([expect.stringMatching(/^error UNKNOWN_FIELD 7: .*grafanna.*grafana/)]);
  });

  it('an AttachedCluster whose status says ready: false is not ready, as a Karmada Cluster whose Ready condition is False', () => {
    const { result } = render(`apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: down, namespace: default}
spec:
  kubeconfig: {name: down, key: config}
status:
  ready: false
`);
    expect(result.clusters.map((c) => [c.name, c.ready])).toEqual([['down', false]]);
  });
});
