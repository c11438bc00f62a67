// propagateDeps: the objects a workload references go where it goes (Karmada's dependencies
// distributor and attached bindings), end to end through renderFleet, the incremental renderer and plan.
import { describe, expect, it } from 'vitest';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { computePlan } from '../../src/plan/compute.js';

const MEMBERS = ['member1', 'member2', 'member3']
  .map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\nspec: {region: r-${n}}\n`)
  .join('---\n');

// Karmada's documentation example (userguide, "Propagate dependencies"): a Deployment mounting a
// ConfigMap, propagated with propagateDeps: true to member1 and member2.
const NGINX = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-nginx
  labels: {app: my-nginx}
spec:
  replicas: 2
  selector:
    matchLabels: {app: my-nginx}
  template:
    metadata:
      labels: {app: my-nginx}
    spec:
      containers:
      - image: nginx
        name: my-nginx
        ports: [{containerPort: 80}]
        volumeMounts:
        - {name: configmap, mountPath: /configmap}
      volumes:
      - name: configmap
        configMap:
          name: my-nginx-config
`;
const NGINX_CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: my-nginx-config
data:
  nginx.properties: |
    proxy-connect-timeout: "10s"
`;
const nginxPolicy = (clusters = 'member1, member2', extra = '  propagateDeps: true\n') => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: my-nginx-propagation
spec:
${extra}  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: my-nginx
  placement:
    clusterAffinity:
      clusterNames: [${clusters}]
    replicaScheduling:
      replicaDivisionPreference: Weighted
      replicaSchedulingType: Divided
`;

type Files = Record<string, string>;
const asFiles = (files: Files) => Object.entries(files).map(([path, text]) => ({ path, text }));
const render = (files: Files, revision = 'worktree') => renderFleet({ files: asFiles(files), revision });
const placementOf = (r: RenderResult, kind: string, name: string) =>
  r.placements.find((p) => p.resource.kind === kind && p.resource.name === name)!;
const clustersOf = (r: RenderResult, kind: string, name: string) => placementOf(r, kind, name).clusters.map((c) => c.name);
const onClusters = (r: RenderResult, kind: string, name: string) =>
  Object.keys(r.manifests).filter((c) => r.manifests[c]!.some((o) => o.kind === kind && (o.metadata as { name: string }).name === name));
const codes = (r: RenderResult) => r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`);

const DOCS_EXAMPLE: Files = { 'members.yaml': MEMBERS, 'nginx.yaml': NGINX, 'config.yaml': NGINX_CONFIG, 'policy.yaml': nginxPolicy() };

describe('propagateDeps: Karmada’s documentation example', () => {
  it('the ConfigMap a Deployment mounts ends on both member clusters, with no warning', () => {
    const r = render(DOCS_EXAMPLE);
    expect(clustersOf(r, 'Deployment', 'my-nginx')).toEqual(['member1', 'member2']);
    expect(clustersOf(r, 'ConfigMap', 'my-nginx-config')).toEqual(['member1', 'member2']);
    expect(onClusters(r, 'ConfigMap', 'my-nginx-config')).toEqual(['member1', 'member2']);
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const config = r.manifests.member1!.find((o) => o.kind === 'ConfigMap')!;
    expect((config.metadata as { annotations: Record<string, string> }).annotations['flotilla.dev/policy']).toBe(
      'PropagationPolicy/default/my-nginx-propagation',
    );
  });

  it('without propagateDeps the ConfigMap goes nowhere (NOT_PROPAGATED), as before', () => {
    const r = render({ ...DOCS_EXAMPLE, 'policy.yaml': nginxPolicy('member1, member2', '') });
    expect(clustersOf(r, 'ConfigMap', 'my-nginx-config')).toEqual([]);
    expect(codes(r)).toContain('warning NOT_PROPAGATED config.yaml:1');
  });

  it('explain carries the referencing workload and its policy', () => {
    const p = placementOf(render(DOCS_EXAMPLE), 'ConfigMap', 'my-nginx-config');
    expect(p.dependency).toEqual({
      requiredBy: [
        {
          resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'my-nginx' },
          policy: { kind: 'PropagationPolicy', namespace: 'default', name: 'my-nginx-propagation' },
        },
      ],
      attachedOnly: true,
    });
    expect(p.explanation.join('\n')).toContain(
      'dependency of Deployment default/my-nginx (propagateDeps of PropagationPolicy/default/my-nginx-propagation): ' +
        'goes where it goes, member1, member2',
    );
  });
});

describe('propagateDeps: union over workloads, own policies, missing objects', () => {
  const second = NGINX.replace(/my-nginx\b(?!-config)/g, 'other');
  const otherPolicy = nginxPolicy('member3')
    .replace(/my-nginx-propagation/, 'other-propagation')
    .replace('name: my-nginx', 'name: other');

  it('a ConfigMap two workloads mount goes to the union of their clusters', () => {
    const r = render({ ...DOCS_EXAMPLE, 'other.yaml': second, 'other-policy.yaml': otherPolicy });
    expect(clustersOf(r, 'Deployment', 'other')).toEqual(['member3']);
    expect(clustersOf(r, 'ConfigMap', 'my-nginx-config')).toEqual(['member1', 'member2', 'member3']);
    expect(placementOf(r, 'ConfigMap', 'my-nginx-config').dependency!.requiredBy.map((x) => x.resource.name)).toEqual([
      'my-nginx',
      'other',
    ]);
  });

  it('a dependency its own policy places keeps that placement and adds the workload’s clusters (mergeTargetClusters)', () => {
    const own = `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: config}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: my-nginx-config}]
  placement: {clusterAffinity: {clusterNames: [member3]}}
  conflictResolution: Overwrite
`;
    const r = render({ ...DOCS_EXAMPLE, 'own.yaml': own });
    const p = placementOf(r, 'ConfigMap', 'my-nginx-config');
    expect(p.policy).toEqual({ kind: 'PropagationPolicy', namespace: 'default', name: 'config' });
    expect(p.clusters.map((c) => c.name)).toEqual(['member1', 'member2', 'member3']);
    expect(p.dependency!.attachedOnly).toBe(false);
    // Its own policy's ownership settings, not the workload's.
    const annotations = (r.manifests.member1!.find((o) => o.kind === 'ConfigMap')!.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(annotations['flotilla.dev/conflict-resolution']).toBe('Overwrite');
    expect(annotations['flotilla.dev/policy']).toBe('PropagationPolicy/default/config');
  });

  it('an attached dependency merges its referrers’ ownership: Overwrite if any overwrites, preserved if any preserves', () => {
    const r = render({
      ...DOCS_EXAMPLE,
      'other.yaml': second,
      'other-policy.yaml': otherPolicy.replace('  propagateDeps: true\n', '  propagateDeps: true\n  conflictResolution: Overwrite\n'),
      'policy.yaml': nginxPolicy('member1, member2', '  propagateDeps: true\n  preserveResourcesOnDeletion: true\n'),
    });
    const annotations = (r.manifests.member1!.find((o) => o.kind === 'ConfigMap')!.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(annotations['flotilla.dev/conflict-resolution']).toBe('Overwrite');
    expect(annotations['flotilla.dev/preserve-resources-on-deletion']).toBe('true');
  });

  it('a referenced object missing from the repository is a warning at the reference’s file:line; the rest still renders', () => {
    const withSecret = NGINX.replace('      volumes:\n', '      imagePullSecrets:\n      - name: registry\n      volumes:\n');
    const r = render({ ...DOCS_EXAMPLE, 'nginx.yaml': withSecret });
    expect(codes(r)).toEqual(['warning DEPENDENCY_NOT_FOUND nginx.yaml:21']);
    expect(r.diagnostics[0]!.message).toContain('Deployment default/my-nginx references Secret default/registry');
    expect(clustersOf(r, 'ConfigMap', 'my-nginx-config')).toEqual(['member1', 'member2']);
  });

  it('an AttachedCluster’s kubeconfig Secret is never taken along (DEPENDENCY_IS_CREDENTIAL)', () => {
    const attached = `apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: member1, namespace: default}
spec:
  kubeconfig: {name: member1-kubeconfig, key: value}
---
apiVersion: v1
kind: Secret
metadata: {name: member1-kubeconfig, namespace: default}
stringData: {value: secret}
`;
    const usesIt = NGINX.replace(
      'name: my-nginx-config',
      'name: my-nginx-config\n      - name: creds\n        secret: {secretName: member1-kubeconfig}',
    );
    const r = render({
      ...DOCS_EXAMPLE,
      'members.yaml': MEMBERS.replace(/apiVersion[^]*?---\n/, ''),
      'attached.yaml': attached,
      'nginx.yaml': usesIt,
    });
    expect(r.diagnostics.filter((d) => d.code === 'DEPENDENCY_IS_CREDENTIAL')).toHaveLength(1);
    expect(clustersOf(r, 'Secret', 'member1-kubeconfig')).toEqual([]);
    expect(onClusters(r, 'Secret', 'member1-kubeconfig')).toEqual([]);
    expect(JSON.stringify(r.manifests)).not.toContain('"value":"secret"');
  });
});

describe('propagateDeps: incremental render and plan', () => {
  it('the incremental renderer gives renderFleet’s result when the workload moves, and the ConfigMap moves with it', () => {
    const engine = new IncrementalRenderer();
    engine.update({ revision: 'r1', changes: asFiles(DOCS_EXAMPLE) });
    const moved = nginxPolicy('member2, member3');
    const next = engine.update({ revision: 'r2', changes: [{ path: 'policy.yaml', text: moved }] });
    expect(onClusters(next, 'ConfigMap', 'my-nginx-config')).toEqual(['member2', 'member3']);
    const { stats: _stats, ...rest } = next;
    expect(JSON.stringify(rest)).toBe(JSON.stringify(render({ ...DOCS_EXAMPLE, 'policy.yaml': moved }, 'r2')));
  });

  it('plan shows the ConfigMap moving with its workload, with the reason', () => {
    const base = render(DOCS_EXAMPLE, 'base');
    const head = render({ ...DOCS_EXAMPLE, 'policy.yaml': nginxPolicy('member2, member3') }, 'head');
    const plan = computePlan(base, head);
    const change = plan.workloads.find((w) => w.resource.kind === 'ConfigMap')!;
    expect(change.clusters.map((c) => [c.cluster, c.placedBefore, c.placedAfter, c.reasonKind])).toEqual([
      ['member1', true, false, 'dependency'],
      ['member2', true, true, null],
      ['member3', false, true, 'dependency'],
    ]);
    expect(change.clusters[2]!.reason).toBe('goes with the workloads that reference it (propagateDeps): Deployment default/my-nginx');
  });
});
