// The render pipeline end to end on small fleets: scheduling and override failures become
// diagnostics at the right file:line, and nothing half-renders silently.
import { describe, expect, it } from 'vitest';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { previousFromJson, renderJson } from '../../src/render/contract.js';

const CLUSTERS = `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: east
spec:
  region: us-east
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: west
spec:
  region: us-west
`;

const DEPLOYMENT = (name: string, replicas = 4, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${name}:1${extra}
`;

const policy = (placement: string, name = 'web') => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: ${name}
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    name: ${name}
  placement:
${placement}`;

function render(files: Record<string, string>) {
  return renderFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'worktree' });
}

const diag = (r: ReturnType<typeof render>, code: string) => r.diagnostics.find((d) => d.code === code);

describe('renderFleet: scheduling failures are errors at the resource', () => {
  it('minGroups 3 with 2 clusters → SCHEDULE_FAILED "the number of feasible clusters is less than spreadConstraint.MinGroups"', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    spreadConstraints:\n    - spreadByField: cluster\n      minGroups: 3\n      maxGroups: 3\n'),
    });
    expect(diag(r, 'SCHEDULE_FAILED')).toMatchObject({ severity: 'error', file: 'web.yaml', line: 1 });
    expect(diag(r, 'SCHEDULE_FAILED')!.message).toMatch(/less than spreadConstraint.MinGroups/);
    expect(r.placements[0]!.clusters).toEqual([]);
    expect(r.manifests).toEqual({});
  });

  it('every cluster tainted NoSchedule → "0/2 clusters are available: 2 cluster(s) had untolerated taint {gpu:NoSchedule}."', () => {
    const tainted = CLUSTERS.replace(/region: (us-\w+)/g, 'region: $1\n  taints:\n  - {key: gpu, effect: NoSchedule}');
    const r = render({ 'clusters.yaml': tainted, 'web.yaml': DEPLOYMENT('web'), 'policy.yaml': policy('    clusterAffinity: {}\n') });
    expect(r.placements[0]!.error).toBe('0/2 clusters are available: 2 cluster(s) had untolerated taint {gpu:NoSchedule}.');
    expect(diag(r, 'SCHEDULE_FAILED')!.severity).toBe('error');
  });

  it('Aggregated 30 replicas over clusters with room for 10+8 → "Clusters available replicas 18 are not enough to schedule."', () => {
    const withCapacity = CLUSTERS.replace(
      'region: us-east',
      'region: us-east\nstatus:\n  resourceSummary:\n    allocatable: {pods: "10"}',
    ).replace('region: us-west', 'region: us-west\nstatus:\n  resourceSummary:\n    allocatable: {pods: "8"}');
    const r = render({
      'clusters.yaml': withCapacity,
      'web.yaml': DEPLOYMENT('web', 30),
      'policy.yaml': policy('    replicaScheduling:\n      replicaSchedulingType: Divided\n      replicaDivisionPreference: Aggregated\n'),
    });
    expect(r.placements[0]!.error).toBe('Clusters available replicas 18 are not enough to schedule.');
  });

  it('a Deployment no policy selects, without a fleet → policy null, clusters [], nothing rendered, no error', () => {
    const r = render({ 'clusters.yaml': CLUSTERS, 'web.yaml': DEPLOYMENT('web') });
    expect(r.placements[0]).toMatchObject({ policy: null, clusters: [], error: null });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe('renderFleet: override failures', () => {
  const override = (rule: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: tweak
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: web}
  overrideRules:
  - targetCluster: {clusterNames: [east]}
    overriders:
${rule}`;

  it('a commandOverrider naming no container → warning OVERRIDE_NO_CONTAINER at containerName, object still rendered', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    clusterAffinity: {}\n'),
      'override.yaml': override('      commandOverrider:\n      - containerName: sidecar\n        operator: add\n        value: ["--x"]\n'),
    });
    expect(diag(r, 'OVERRIDE_NO_CONTAINER')).toMatchObject({ severity: 'warning', file: 'override.yaml', line: 12 });
    expect(r.manifests.east).toHaveLength(1);
    expect(r.diagnostics.filter((d) => d.code === 'OVERRIDE_NO_CONTAINER')).toHaveLength(1);
  });

  it('a plaintext replace of a missing path → error OVERRIDE_FAILED; not rendered on east, still on west', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    clusterAffinity: {}\n'),
      'override.yaml': override('      plaintext:\n      - path: /spec/missing/field\n        operator: replace\n        value: 1\n'),
    });
    expect(diag(r, 'OVERRIDE_FAILED')).toMatchObject({ severity: 'error', file: 'override.yaml' });
    expect(diag(r, 'OVERRIDE_FAILED')!.message).toMatch(/on cluster east/);
    expect(r.manifests.east).toBeUndefined();
    expect(r.manifests.west).toHaveLength(1);
  });
});

describe('renderFleet: HPA and namespaces', () => {
  it('an HPA whose target is not in the repository → warning HPA_TARGET_NOT_FOUND at scaleTargetRef, not propagated', () => {
    const hpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: lonely
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: missing}
  minReplicas: 1
  maxReplicas: 3
`;
    const r = render({ 'clusters.yaml': CLUSTERS, 'hpa.yaml': hpa });
    expect(diag(r, 'HPA_TARGET_NOT_FOUND')).toMatchObject({ severity: 'warning', file: 'hpa.yaml', line: 6 });
    expect(r.placements[0]!.clusters).toEqual([]);
  });

  it('objects in namespace team-a bring a Namespace team-a to each cluster, first in apply order', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web').replace('  name: web\n', '  name: web\n  namespace: team-a\n'),
      'policy.yaml': policy('    clusterAffinity: {clusterNames: [west]}\n').replace(
        '  name: web\nspec',
        '  name: web\n  namespace: team-a\nspec',
      ),
    });
    expect(r.manifests.west!.map((o) => `${o.kind}/${(o.metadata as any).name}`)).toEqual(['Namespace/team-a', 'Deployment/web']);
  });
});

describe('renderFleet: Karmada tie-breaks that depend on selection order', () => {
  it('Aggregated 5 over two regions with equal room → zz (best of region r-a, chosen first), not aa', () => {
    const cluster = (name: string, region: string) =>
      `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${name}}\nspec: ` +
      `{region: ${region}}\nstatus: {resourceSummary: {allocatable: {pods: '10'}}}\n---\n`;
    const r = render({
      'clusters.yaml': cluster('aa', 'r-b') + cluster('zz', 'r-a'),
      'web.yaml': DEPLOYMENT('web', 5),
      'policy.yaml': policy(
        '    spreadConstraints:\n    - {spreadByField: region, minGroups: 2, maxGroups: 2}\n    - ' +
          '{spreadByField: cluster, minGroups: 2, maxGroups: 2}\n    replicaScheduling: ' +
          '{replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}\n',
      ),
    });
    expect(r.placements[0]!.clusters).toEqual([{ name: 'zz', replicas: 5 }]);
  });
});

describe('renderFleet: invalid input that must not crash or half-render', () => {
  it.each([
    ['"4" (a string)', '"4"'],
    ['-1', '-1'],
    ['2.5', '2.5'],
    ['2147483648 (over int32)', '2147483648'],
  ])('spec.replicas %s → error INVALID_FIELD_TYPE at spec.replicas (line 6), not copied whole to every cluster', (_, value) => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web').replace('replicas: 4', `replicas: ${value}`),
      'policy.yaml': policy('    replicaScheduling: {replicaSchedulingType: Divided}\n'),
    });
    expect(diag(r, 'INVALID_FIELD_TYPE')).toMatchObject({ severity: 'error', file: 'web.yaml', line: 6 });
    expect(r.placements[0]!.clusters).toEqual([]);
    expect(r.manifests).toEqual({});
  });

  it('a Job with parallelism 4 and completions 1 has 1 replica (Karmada: min(parallelism, completions)) → one cluster', () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  parallelism: 4
  completions: 1
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
`;
    const jobPolicy = policy('    replicaScheduling: {replicaSchedulingType: Divided}\n', 'once').replace(
      'apps/v1\n    kind: Deployment',
      'batch/v1\n    kind: Job',
    );
    const r = render({ 'clusters.yaml': CLUSTERS, 'job.yaml': job, 'policy.yaml': jobPolicy });
    expect(r.placements[0]).toMatchObject({ replicas: 1 });
    expect(r.placements[0]!.clusters.reduce((n, c) => n + (c.replicas ?? 0), 0)).toBe(1);
  });

  it('a VirtualService route entry that is null → error VS_INVALID_ROUTE at that entry, no crash; a numeric host is skipped', () => {
    const vs = (routes: string) => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [reviews]
  http:
  - route:
${routes}`;
    const vsPolicy = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: vs}
spec:
  resourceSelectors: [{apiVersion: networking.istio.io/v1beta1, kind: VirtualService}]
  placement: {}
`;
    const nullEntry = render({
      'clusters.yaml': CLUSTERS,
      'vs.yaml': vs('    - null\n    - destination: {host: reviews, subset: v1}\n      weight: 100\n'),
      'p.yaml': vsPolicy,
    });
    expect(diag(nullEntry, 'VS_INVALID_ROUTE')).toMatchObject({ severity: 'error', file: 'vs.yaml', line: 8 });
    const numericHost = render({
      'clusters.yaml': CLUSTERS,
      'vs.yaml': vs('    - destination: {host: 123, subset: v1}\n      weight: 100\n'),
      'p.yaml': vsPolicy,
    });
    expect(numericHost.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('FitError lists its reasons as Karmada sorts them (whole "N reason" strings) and counts every cluster', () => {
    const clusters = CLUSTERS.replace('region: us-east', 'region: us-east\n  taints:\n  - {key: k, effect: NoSchedule}');
    const r = render({
      'clusters.yaml': clusters,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    clusterAffinity: {clusterNames: [east]}\n'),
    });
    expect(r.placements[0]!.error).toBe(
      '0/2 clusters are available: 1 cluster(s) did not match the placement cluster affinity ' +
        'constraint, 1 cluster(s) had untolerated taint {k:NoSchedule}.',
    );
  });
});

describe('renderFleet: the claiming policy’s ownership settings travel with each object', () => {
  const CONFIG = (annotations = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  namespace: shop${annotations}
data: {k: v}
`;
  const SHOP_POLICY = (spec = '') => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: web}]
  placement: {clusterAffinity: {clusterNames: [east]}}
${spec}`;
  const annotationsOf = (r: RenderResult, kind: string) =>
    (r.manifests.east!.find((o) => o.kind === kind)!.metadata as { annotations: Record<string, string> }).annotations;

  it('Karmada’s defaults (Abort, not preserved) add nothing; Overwrite and preserveResourcesOnDeletion add one annotation each', () => {
    const plain = render({ 'clusters.yaml': CLUSTERS, 'web.yaml': CONFIG(), 'policy.yaml': SHOP_POLICY() });
    expect(Object.keys(annotationsOf(plain, 'ConfigMap')).sort()).toEqual([
      'flotilla.dev/cluster',
      'flotilla.dev/policy',
      'flotilla.dev/source-path',
      'flotilla.dev/source-revision',
    ]);
    const owned = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': CONFIG(),
      'policy.yaml': SHOP_POLICY('  conflictResolution: Overwrite\n  preserveResourcesOnDeletion: true\n'),
    });
    expect(annotationsOf(owned, 'ConfigMap')).toMatchObject({
      'flotilla.dev/conflict-resolution': 'Overwrite',
      'flotilla.dev/preserve-resources-on-deletion': 'true',
    });
  });

  it('a manifest cannot claim them itself: its own flotilla.dev/conflict-resolution, preserve and adopted annotations are dropped', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': CONFIG(
        '\n  annotations: {flotilla.dev/conflict-resolution: Overwrite, flotilla.dev/preserve-resources-on-deletion: "true", ' +
          'flotilla.dev/adopted: "true", team: shop}',
      ),
      'policy.yaml': SHOP_POLICY(),
    });
    const a = annotationsOf(r, 'ConfigMap');
    expect(a.team).toBe('shop');
    expect(Object.keys(a).filter((k) => /conflict-resolution|preserve|adopted/.test(k))).toEqual([]);
  });

  it("an object an override changed names the policies' files (flotilla.dev/overridden-by); a manifest cannot claim it", () => {
    const override = (name: string, value: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: ${name}, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: web}]
  overrideRules:
  - targetCluster: {clusterNames: [east]}
    overriders: {plaintext: [{path: /data/k, operator: replace, value: ${value}}]}
`;
    const r = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': CONFIG('\n  annotations: {flotilla.dev/overridden-by: \'["elsewhere.yaml"]\'}'),
      'policy.yaml': SHOP_POLICY(),
      'teams/b.yaml': override('b', 'from-b'),
      'teams/a.yaml': override('a', 'from-a'),
    });
    // In the order they ran (Karmada's: by name within a kind), each file once.
    expect(annotationsOf(r, 'ConfigMap')['flotilla.dev/overridden-by']).toBe('["teams/a.yaml","teams/b.yaml"]');
    const plain = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': CONFIG('\n  annotations: {flotilla.dev/overridden-by: \'["x.yaml"]\'}'),
      'policy.yaml': SHOP_POLICY(),
    });
    expect(annotationsOf(plain, 'ConfigMap')).not.toHaveProperty('flotilla.dev/overridden-by');
  });

  it('the Namespace flotilla adds for its objects adopts an existing one (Overwrite): refusing it would fail everything in it', () => {
    const r = render({ 'clusters.yaml': CLUSTERS, 'web.yaml': CONFIG(), 'policy.yaml': SHOP_POLICY() });
    expect(annotationsOf(r, 'Namespace')).toMatchObject({
      'flotilla.dev/conflict-resolution': 'Overwrite',
      'flotilla.dev/source-path': '(generated)',
    });
  });

  it('the incremental renderer renders again when only the policy’s conflictResolution changes', () => {
    const engine = new IncrementalRenderer();
    const files = { 'clusters.yaml': CLUSTERS, 'web.yaml': CONFIG(), 'policy.yaml': SHOP_POLICY() };
    engine.update({ revision: 'r1', changes: Object.entries(files).map(([path, text]) => ({ path, text })) });
    const text = SHOP_POLICY('  conflictResolution: Overwrite\n');
    const next = engine.update({ revision: 'r2', changes: [{ path: 'policy.yaml', text }] });
    expect(annotationsOf(next, 'ConfigMap')['flotilla.dev/conflict-resolution']).toBe('Overwrite');
    const full = renderFleet({
      files: Object.entries({ ...files, 'policy.yaml': text }).map(([path, t]) => ({ path, text: t })),
      revision: 'r2',
    });
    const { stats: _stats, ...rest } = next;
    expect(JSON.stringify(rest)).toBe(JSON.stringify(full));
  });
});

describe('renderFleet: replica fields are revised only for Divided placements (Karmada needReviseReplicas)', () => {
  const JOB = `apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 6
  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}
`;
  const jobPolicy = (placement: string) => policy(placement, 'batch').replace('apps/v1\n    kind: Deployment', 'batch/v1\n    kind: Job');
  const specOn = (r: RenderResult, cluster: string, kind: string) =>
    r.manifests[cluster]!.find((o) => o.kind === kind)!.spec as Record<string, unknown>;

  it('a Duplicated Job keeps its spec as written: no spec.parallelism is added on any cluster', () => {
    const r = render({
      'clusters.yaml': CLUSTERS,
      'job.yaml': JOB,
      'policy.yaml': jobPolicy('    replicaScheduling: {replicaSchedulingType: Duplicated}\n'),
    });
    for (const cluster of ['east', 'west']) {
      expect(specOn(r, cluster, 'Job')).not.toHaveProperty('parallelism');
      expect(specOn(r, cluster, 'Job').completions).toBe(6);
    }
    const noScheduling = render({ 'clusters.yaml': CLUSTERS, 'job.yaml': JOB, 'policy.yaml': jobPolicy('    {}\n') });
    expect(specOn(noScheduling, 'east', 'Job')).not.toHaveProperty('parallelism');
  });

  it('a Duplicated Deployment without spec.replicas gets none added; a Divided one gets each cluster’s share', () => {
    const bare = DEPLOYMENT('web').replace('  replicas: 4\n', '');
    const dup = render({ 'clusters.yaml': CLUSTERS, 'web.yaml': bare, 'policy.yaml': policy('    {}\n') });
    expect(specOn(dup, 'east', 'Deployment')).not.toHaveProperty('replicas');
    const divided = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    replicaScheduling: {replicaSchedulingType: Divided}\n'),
    });
    expect([specOn(divided, 'east', 'Deployment').replicas, specOn(divided, 'west', 'Deployment').replicas]).toEqual([2, 2]);
  });

  it('a Divided Job: parallelism 4 → 2 + 2 and completions 10 → 5 + 5 (divideReplicasByJobCompletions); a work queue gets none', () => {
    const divided = jobPolicy('    replicaScheduling: {replicaSchedulingType: Divided}\n');
    const job = JOB.replace('  completions: 6\n', '  parallelism: 4\n  completions: 10\n');
    const r = render({ 'clusters.yaml': CLUSTERS, 'job.yaml': job, 'policy.yaml': divided });
    for (const cluster of ['east', 'west']) expect(specOn(r, cluster, 'Job')).toMatchObject({ parallelism: 2, completions: 5 });
    const queue = render({ 'clusters.yaml': CLUSTERS, 'job.yaml': job.replace('  completions: 10\n', ''), 'policy.yaml': divided });
    for (const cluster of ['east', 'west']) {
      expect(specOn(queue, cluster, 'Job').parallelism).toBe(2);
      expect(specOn(queue, cluster, 'Job')).not.toHaveProperty('completions');
    }
  });

  it('the incremental renderer renders again when a policy turns Divided into Duplicated with the same per-cluster counts', () => {
    const engine = new IncrementalRenderer();
    const one = '    clusterAffinity: {clusterNames: [east]}\n';
    const files = {
      'clusters.yaml': CLUSTERS,
      'job.yaml': JOB,
      'policy.yaml': jobPolicy(`${one}    replicaScheduling: {replicaSchedulingType: Divided}\n`),
    };
    const first = engine.update({ revision: 'r1', changes: Object.entries(files).map(([path, text]) => ({ path, text })) });
    expect(specOn(first, 'east', 'Job').parallelism).toBe(1);
    const text = jobPolicy(`${one}    replicaScheduling: {replicaSchedulingType: Duplicated}\n`);
    const next = engine.update({ revision: 'r2', changes: [{ path: 'policy.yaml', text }] });
    expect(specOn(next, 'east', 'Job')).not.toHaveProperty('parallelism');
  });
});

describe('renderFleet: the SpreadConstraint filter applies whenever a constraint names a field', () => {
  const THREE = `${CLUSTERS}---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: bare
spec: {}
`;
  it('spread by region without a cluster constraint (SPREAD_CONSTRAINT_IGNORED): a cluster without a region is still filtered', () => {
    const r = render({
      'clusters.yaml': THREE,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy('    spreadConstraints:\n    - spreadByField: region\n      maxGroups: 2\n'),
    });
    expect(diag(r, 'SPREAD_CONSTRAINT_IGNORED')).toMatchObject({ severity: 'warning', file: 'policy.yaml' });
    expect(r.placements[0]!.clusters.map((c) => c.name)).toEqual(['east', 'west']);
    expect(r.placements[0]!.verdicts.find((v) => v.name === 'bare')).toMatchObject({ feasible: false, selected: false });
    expect(r.placements[0]!.verdicts.find((v) => v.name === 'bare')!.reasons.join('\n')).toContain('spread by region');
  });

  it('with a cluster constraint too, the same cluster is filtered (Karmada’s filter plugin, unchanged)', () => {
    const r = render({
      'clusters.yaml': THREE,
      'web.yaml': DEPLOYMENT('web'),
      'policy.yaml': policy(
        '    spreadConstraints:\n    - spreadByField: cluster\n      maxGroups: 3\n    - spreadByField: region\n      maxGroups: 2\n',
      ),
    });
    expect(r.placements[0]!.verdicts.find((v) => v.name === 'bare')).toMatchObject({ feasible: false, selected: false });
  });
});

describe('activationPreference Lazy (docs/reference/semantics.md §2.3)', () => {
  const fleet = ['a', 'b', 'c']
    .map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\n`)
    .join('---\n');
  const web = (image: string, replicas = 4) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: ${replicas}\n` +
    `  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n` +
    `    spec: {containers: [{name: c, image: ${image}}]}\n`;
  const policy = (clusters: string, lazy: boolean, divided = false) =>
    `apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: web, namespace: default}\nspec:\n` +
    `${lazy ? '  activationPreference: Lazy\n' : ''}  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]\n` +
    `  placement:\n    clusterAffinity: {clusterNames: [${clusters}]}\n` +
    (divided ? '    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}\n' : '');
  const files = (p: string, w: string) => [
    { path: 'clusters.yaml', text: fleet },
    { path: 'policy.yaml', text: p },
    { path: 'web.yaml', text: w },
  ];
  const next = (prev: RenderResult, p: string, w: string, revision: string) =>
    renderFleet({ files: files(p, w), revision, previous: previousFromJson(JSON.stringify(renderJson(prev)), 'prev.json') });
  const where = (r: RenderResult) => r.placements.find((p) => p.resource.name === 'web')!.clusters.map((c) => `${c.name}=${c.replicas}`);

  it('a policy change waits for a change to the resource; then the policy as it is now places it', () => {
    const r1 = renderFleet({ files: files(policy('a', true), web('nginx:1')), revision: 'r1', previous: new Map() });
    expect(where(r1)).toEqual(['a=4']);
    expect(r1.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const r2 = next(r1, policy('b', true), web('nginx:1'), 'r2');
    expect(where(r2)).toEqual(['a=4']);
    expect(r2.placements[0]!.lazyKept).toBe(true);
    expect(r2.manifests.a!.map((o) => o.kind)).toEqual(['Deployment']); // stays on a, not moved to b
    expect(r2.manifests.b).toBeUndefined();
    const r3 = next(r2, policy('b', true), web('nginx:2'), 'r3');
    expect(where(r3)).toEqual(['b=4']);
    expect(r3.placements[0]!.lazyKept).toBeUndefined();
  });

  it('without Lazy the same policy change moves the resource at once', () => {
    const r1 = renderFleet({ files: files(policy('a', false), web('nginx:1')), revision: 'r1', previous: new Map() });
    expect(where(next(r1, policy('b', false), web('nginx:1'), 'r2'))).toEqual(['b=4']);
  });

  it('a previous placement that no longer adds up (a cluster taken out by failover) is placed again by the policy', () => {
    const r1 = renderFleet({ files: files(policy('a, b', true, true), web('nginx:1')), revision: 'r1', previous: new Map() });
    expect(where(r1)).toEqual(['a=2', 'b=2']);
    const previous = previousFromJson(JSON.stringify(renderJson(r1)), 'r1.json');
    const entry = [...previous.values()][0]!;
    previous.set([...previous.keys()][0]!, { ...entry, clusters: entry.clusters.filter((c) => c.name !== 'b') });
    const r2 = renderFleet({ files: files(policy('a, b', true, true), web('nginx:1')), revision: 'r2', previous });
    expect(r2.placements[0]!.lazyKept).toBeUndefined();
    expect(where(r2).reduce((n, s) => n + Number(s.split('=')[1]), 0)).toBe(4);
  });

  it('the incremental renderer keeps a Lazy placement as the full render does', () => {
    const renderer = new IncrementalRenderer();
    const r1 = renderer.update({ revision: 'r1', changes: files(policy('a', true), web('nginx:1')), previous: new Map() });
    const previous = previousFromJson(JSON.stringify(renderJson(r1)), 'r1.json');
    const r2 = renderer.update({ revision: 'r2', changes: [{ path: 'policy.yaml', text: policy('b', true) }], previous });
    const full = renderFleet({ files: files(policy('b', true), web('nginx:1')), revision: 'r2', previous });
    expect(where(r2)).toEqual(['a=4']);
    const { stats: _stats, ...rest } = r2;
    expect(JSON.stringify(rest)).toBe(JSON.stringify(full));
  });
});
