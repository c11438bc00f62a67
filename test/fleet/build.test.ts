import { describe, expect, it } from 'vitest';
import { makeFieldLocator, parseFleetFiles, type SourceFile } from '../../src/load/parse.js';
import { buildFleetModel } from '../../src/fleet/build.js';
import { parseDurationSeconds } from '../../src/fleet/tuning.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';

function build(...docs: string[]) {
  const files: SourceFile[] = docs.map((text, i) => ({ path: `f${i}.yaml`, text }));
  const sink = new DiagnosticSink(makeFieldLocator(files));
  const model = buildFleetModel(parseFleetFiles(files, sink), sink);
  const diags = sink.items.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`);
  return { model, diags, sink };
}

const FLEET = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata:
  name: fleet
  namespace: default
spec:
  clusters:
  - name: a
    labels: {region: east}
  - name: b
    labels: {region: west}
`;

/** A PropagationPolicy whose spec.placement is `placement` (indented YAML under placement:). */
function pp(placement: string, spec = '', kind = 'PropagationPolicy'): string {
  return `apiVersion: policy.karmada.io/v1alpha1
kind: ${kind}
metadata:
  name: p
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
${spec}  placement:
${placement
  .split('\n')
  .map((l) => (l ? `    ${l}` : l))
  .join('\n')}
`;
}

const errors = (diags: string[]) => diags.filter((d) => d.startsWith('error'));

describe('PropagationPolicy defaults (Karmada mutating webhook, docs/reference/semantics.md §1.1/§1.2)', () => {
  it(
    'priority 0, preemption Never, selector namespace filled with the policy namespace, no ' + 'replicaScheduling ⇒ undefined (Duplicated)',
    () => {
      const { model, diags } = build(FLEET, pp('clusterAffinity:\n  clusterNames: [a]'));
      expect(diags).toEqual([]);
      const p = model.propagationPolicies[0]!;
      expect(p).toMatchObject({ kind: 'PropagationPolicy', name: 'p', namespace: 'default', priority: 0, preemption: 'Never' });
      expect(p).toMatchObject({ conflictResolution: 'Abort', preserveResourcesOnDeletion: false });
      expect(p.resourceSelectors).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' }]);
      expect(p.placement).toEqual({ clusterAffinity: { clusterNames: ['a'] }, clusterTolerations: [], spreadConstraints: [] });
    },
  );

  it('a ClusterPropagationPolicy keeps selectors without namespace', () => {
    const { model } = build(FLEET, pp('{}', '', 'ClusterPropagationPolicy'));
    expect(model.clusterPropagationPolicies[0]!.namespace).toBe('');
    expect(model.clusterPropagationPolicies[0]!.resourceSelectors[0]!.namespace).toBeUndefined();
  });

  it('replicaScheduling {} ⇒ Divided + Weighted; Divided without preference ⇒ Weighted; Duplicated stays without preference', () => {
    const rs = (body: string) => build(pp(`replicaScheduling: ${body}`)).model.propagationPolicies[0]!.placement.replicaScheduling;
    expect(rs('{}')).toEqual({ replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' });
    expect(rs('{replicaSchedulingType: Divided}')).toEqual({ replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' });
    expect(rs('{replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}')).toEqual({
      replicaSchedulingType: 'Divided',
      replicaDivisionPreference: 'Aggregated',
    });
    expect(rs('{replicaSchedulingType: Duplicated}')).toEqual({ replicaSchedulingType: 'Duplicated' });
  });

  it('spread constraints: {} ⇒ cluster with minGroups 1, maxGroups 0; minGroups 0 ⇒ 1 (TestSetDefaultSpreadConstraints)', () => {
    const sc = (body: string) => build(pp(`spreadConstraints: ${body}`)).model.propagationPolicies[0]!.placement.spreadConstraints;
    expect(sc('[{}]')).toEqual([{ spreadByField: 'cluster', minGroups: 1, maxGroups: 0 }]);
    expect(sc('[{spreadByField: cluster, minGroups: 0, maxGroups: 3}]')).toEqual([
      { spreadByField: 'cluster', minGroups: 1, maxGroups: 3 },
    ]);
    expect(sc('[{spreadByLabel: team, maxGroups: 2}]')).toEqual([{ spreadByLabel: 'team', minGroups: 1, maxGroups: 2 }]);
  });

  it('a cluster constraint with only maxSkew keeps maxGroups 0 and its maxSkew (the scheduler reads that as unlimited)', () => {
    const { model, diags } = build(
      pp('spreadConstraints: [{spreadByField: cluster, maxSkew: 1}]\nreplicaScheduling: {replicaSchedulingType: Divided}'),
    );
    expect(diags).toEqual([]);
    expect(model.propagationPolicies[0]!.placement.spreadConstraints).toEqual([
      { spreadByField: 'cluster', minGroups: 1, maxGroups: 0, maxSkew: 1 },
    ]);
    expect(model.propagationPolicies[0]!.placement.skewConstraints).toBeUndefined();
  });

  it('maxSkew on a Duplicated placement (no replicaScheduling) is a MAXSKEW_NOT_APPLICABLE warning at each maxSkew', () => {
    const { model, diags } = build(
      pp('spreadConstraints:\n  - {spreadByField: region, maxSkew: 1}\n  - {spreadByField: cluster, maxSkew: 2}'),
    );
    expect(diags).toEqual(['warning MAXSKEW_NOT_APPLICABLE f0.yaml:12', 'warning MAXSKEW_NOT_APPLICABLE f0.yaml:13']);
    expect(model.propagationPolicies).toHaveLength(1);
  });

  it('region + cluster constraints are valid as written and not replaced', () => {
    const { model, diags } = build(
      pp(
        'spreadConstraints:\n  - {spreadByField: region, minGroups: 2, maxGroups: 2}\n  - ' +
          '{spreadByField: cluster, minGroups: 2, maxGroups: 4}',
      ),
    );
    expect(diags).toEqual([]);
    expect(model.propagationPolicies[0]!.placement.spreadConstraints.map((c) => c.spreadByField)).toEqual(['region', 'cluster']);
  });

  it('static weights and preferred affinities are read; clusterNames naming no declared cluster is a warning per name', () => {
    const { model, diags } = build(
      FLEET,
      pp(`clusterAffinity:
  clusterNames: [a, ghost]
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 60
      preference: {matchLabels: {region: east}}
replicaScheduling:
  weightPreference:
    staticWeightList:
      - targetCluster: {clusterNames: [a]}
        weight: 2
      - targetCluster: {labelSelector: {matchLabels: {region: west}}}
        weight: 1`),
    );
    expect(diags).toEqual(['warning UNKNOWN_CLUSTER f1.yaml:12']);
    const p = model.propagationPolicies[0]!.placement;
    expect(p.replicaScheduling!.weightPreference!.staticWeightList!.map((w) => w.weight)).toEqual([2, 1]);
    expect(p.clusterAffinity!.preferredDuringSchedulingIgnoredDuringExecution![0]!.weight).toBe(60);
  });

  it('clusterTolerations are read with their operator and effect', () => {
    const { model } = build(pp('clusterTolerations:\n  - {key: gpu, operator: Exists, effect: NoExecute, tolerationSeconds: 30}'));
    expect(model.propagationPolicies[0]!.placement.clusterTolerations).toEqual([
      { key: 'gpu', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
  });

  it('`tolerations` together with clusterTolerations: both lists are used, with a FIELD_ALIAS warning', () => {
    const { model, diags } = build(pp('clusterTolerations: [{key: a, operator: Exists}]\ntolerations: [{key: b, operator: Exists}]'));
    expect(diags).toEqual(['warning FIELD_ALIAS f0.yaml:12']);
    expect(model.propagationPolicies[0]!.placement.clusterTolerations.map((t) => t.key)).toEqual(['a', 'b']);
  });

  it('overflowAffinities are allowed with Divided+Aggregated and with dynamicWeight', () => {
    const terms = `clusterAffinities:
  - affinityName: primary
    clusterNames: [a]
    overflowAffinities:
      - affinityName: burst
        clusterNames: [b]
`;
    const aggregated = build(
      FLEET,
      pp(terms + 'replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}'),
    );
    expect(aggregated.diags).toEqual([]);
    expect(aggregated.model.propagationPolicies[0]!.placement.clusterAffinities![0]!.overflowAffinities).toEqual([
      { affinityName: 'burst', clusterNames: ['b'] },
    ]);
    const dynamic = build(
      FLEET,
      pp(terms + 'replicaScheduling: {replicaSchedulingType: Divided, weightPreference: {dynamicWeight: AvailableReplicas}}'),
    );
    expect(dynamic.diags).toEqual([]);
    const staticWeighted = build(FLEET, pp(terms + 'replicaScheduling: {replicaSchedulingType: Divided}'));
    expect(errors(staticWeighted.diags)).toEqual(['error INVALID_POLICY f1.yaml:14']);
  });
});

describe('PropagationPolicy validation (Karmada TestValidatePropagationSpec, re-expressed)', () => {
  const cases: Array<[string, string, string]> = [
    [
      'fieldSelector with unsupported key foo',
      'clusterAffinity:\n  fieldSelector:\n    matchExpressions: [{key: foo, operator: In, values: [x]}]',
      'INVALID_SELECTOR',
    ],
    [
      'fieldSelector with operator Exists',
      'clusterAffinity:\n  fieldSelector:\n    matchExpressions: [{key: region, operator: Exists}]',
      'INVALID_SELECTOR',
    ],
    [
      'clusterAffinities term fieldSelector with unsupported key',
      'clusterAffinities:\n  - affinityName: g1\n    fieldSelector:\n      matchExpressions: [{key: foo, operator: In, values: [x]}]',
      'INVALID_SELECTOR',
    ],
    ['spreadByLabel together with spreadByField', 'spreadConstraints: [{spreadByField: cluster, spreadByLabel: team}]', 'INVALID_POLICY'],
    ['maxGroups 1 lower than minGroups 2', 'spreadConstraints: [{spreadByField: cluster, minGroups: 2, maxGroups: 1}]', 'INVALID_POLICY'],
    ['maxGroups lower than 0', 'spreadConstraints: [{spreadByField: cluster, maxGroups: -1}]', 'INVALID_POLICY'],
    [
      'two region constraints',
      'spreadConstraints:\n  - {spreadByField: region}\n  - {spreadByField: region}\n  - {spreadByField: cluster}',
      'INVALID_POLICY',
    ],
    [
      'a default (field-less) constraint plus an explicit cluster one',
      'spreadConstraints:\n  - {maxGroups: 2}\n  - {spreadByField: cluster}',
      'INVALID_POLICY',
    ],
    ['affinityName that is not a label key', 'clusterAffinities:\n  - affinityName: "bad name"', 'INVALID_POLICY'],
    [
      'overflow name equal to the primary name',
      'clusterAffinities:\n  - affinityName: g\n    clusterNames: [a]\n    overflowAffinities: ' +
        '[{affinityName: g, clusterNames: [b]}]\nreplicaScheduling: {replicaDivisionPreference: Aggregated}',
      'INVALID_POLICY',
    ],
    [
      'overflow without an inline affinity',
      'clusterAffinities:\n  - affinityName: g\n    overflowAffinities: [{affinityName: o, ' +
        'clusterNames: [b]}]\nreplicaScheduling: {replicaDivisionPreference: Aggregated}',
      'INVALID_POLICY',
    ],
    ['replicaDivisionPreference Random', 'replicaScheduling: {replicaDivisionPreference: Random}', 'INVALID_POLICY'],
    ['dynamicWeight other than AvailableReplicas', 'replicaScheduling: {weightPreference: {dynamicWeight: Cost}}', 'INVALID_POLICY'],
    ['toleration effect NoWay', 'clusterTolerations: [{key: a, effect: NoWay}]', 'INVALID_POLICY'],
    [
      'weight as a string',
      'replicaScheduling:\n  weightPreference:\n    staticWeightList: [{targetCluster: {clusterNames: [a]}, weight: "2"}]',
      'INVALID_FIELD_TYPE',
    ],
    [
      'static weight without targetCluster',
      'replicaScheduling:\n  weightPreference:\n    staticWeightList: [{weight: 2}]',
      'INVALID_POLICY',
    ],
    [
      'preferred weight 101',
      'clusterAffinity:\n  preferredDuringSchedulingIgnoredDuringExecution: [{weight: 101, preference: {}}]',
      'INVALID_WEIGHT',
    ],
    ['matchLabels with a non-string value', 'clusterAffinity:\n  labelSelector: {matchLabels: {enabled: true}}', 'INVALID_FIELD_TYPE'],
    ['spreadConstraints as a mapping', 'spreadConstraints: {spreadByField: cluster}', 'INVALID_FIELD_TYPE'],
  ];
  for (const [name, placement, code] of cases) {
    it(`${name} ⇒ ${code}, policy left out`, () => {
      const { model, sink } = build(FLEET, pp(placement));
      expect(sink.items.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual([code]);
      expect(model.propagationPolicies).toEqual([]);
    });
  }

  it('spec-level: priority as a string, preemption Sometimes, missing spec', () => {
    expect(errors(build(pp('{}', '  priority: high\n')).diags)).toEqual(['error INVALID_FIELD_TYPE f0.yaml:10']);
    expect(errors(build(pp('{}', '  preemption: Sometimes\n')).diags)).toEqual(['error INVALID_POLICY f0.yaml:10']);
    expect(errors(build('apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata:\n  name: p\n').diags)).toEqual([
      'error INVALID_POLICY f0.yaml:1',
    ]);
  });

  it('unimplemented Karmada fields: a warning where placement differs, a note where nothing changes; the policy stays', () => {
    const { model, sink } = build(
      pp(
        '{}',
        '  failover: {cluster: {purgeMode: Directly}}\n  association: true\n' +
          '  schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: high}\n',
      ),
    );
    expect(sink.items.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      'warning UNSUPPORTED_FIELD 10',
      'info NOT_APPLICABLE 12',
      'warning UNSUPPORTED_FIELD 11',
    ]);
    expect(model.propagationPolicies).toHaveLength(1);
  });

  it('propagateDeps and dependentOverrides are implemented: read into the policy, no diagnostic', () => {
    const { model, sink } = build(pp('{}', '  propagateDeps: true\n  dependentOverrides: [o, p]\n'));
    expect(sink.items).toEqual([]);
    expect(model.propagationPolicies[0]).toMatchObject({ propagateDeps: true, dependentOverrides: ['o', 'p'] });
  });

  it('suspension and activationPreference are read into the policy, silently (docs/reference/semantics.md §2.3, §2.4)', () => {
    const all = build(pp('{}', '  suspension: {dispatching: true}\n  activationPreference: Lazy\n'));
    expect(all.sink.items).toEqual([]);
    expect(all.model.propagationPolicies[0]).toMatchObject({ suspension: { all: true }, activationPreference: 'Lazy' });
    const some = build(pp('{}', '  suspension: {dispatchingOnClusters: {clusterNames: [b, a, b]}}\n'));
    expect(some.model.propagationPolicies[0]!.suspension).toEqual({ all: false, clusters: ['a', 'b'] });
    const none = build(pp('{}', '  suspension: {dispatching: false}\n'));
    expect(none.sink.items).toEqual([]);
    expect(none.model.propagationPolicies[0]!.suspension).toBeUndefined();
    expect(build(pp('{}', '  activationPreference: Eager\n')).diags).toEqual(['error INVALID_POLICY f0.yaml:10']);
  });

  it('fields inside unimplemented structures are checked too: a typo in failover is UNKNOWN_FIELD', () => {
    const { diags, sink } = build(pp('{}', '  failover:\n    cluster: {purgMode: Directly}\n'));
    expect(errors(diags)).toEqual(['error UNKNOWN_FIELD f0.yaml:11']);
    expect(sink.items.find((d) => d.code === 'UNKNOWN_FIELD')!.message).toContain('did you mean "purgeMode"?');
  });

  it('conflictResolution and preserveResourcesOnDeletion are read (they govern adoption and deletion), silently', () => {
    const { model, sink } = build(pp('{}', '  conflictResolution: Overwrite\n  preserveResourcesOnDeletion: true\n'));
    expect(sink.items).toEqual([]);
    expect(model.propagationPolicies[0]).toMatchObject({ conflictResolution: 'Overwrite', preserveResourcesOnDeletion: true });
  });

  it("conflictResolution outside Karmada's enum is INVALID_POLICY at its line; preserveResourcesOnDeletion must be a boolean", () => {
    expect(errors(build(pp('{}', '  conflictResolution: overwrite\n')).diags)).toEqual(['error INVALID_POLICY f0.yaml:10']);
    expect(errors(build(pp('{}', '  preserveResourcesOnDeletion: "yes"\n')).diags)).toEqual(['error INVALID_FIELD_TYPE f0.yaml:10']);
  });
});

describe('clusters', () => {
  const attached = `apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata:
  name: a
  namespace: kurator-system
  labels: {env: prod, region: from-metadata}
spec:
  kubeconfig:
    secretRef: {name: a-kubeconfig, key: value}
  labels: {region: east, topology.kubernetes.io/zone: east-1}
`;
  const karmada = `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: a
  labels: {tier: gold}
  deletionTimestamp: "2024-01-01T00:00:00Z"
spec:
  provider: aws
  region: us-east-1
  taints:
    - {key: dedicated, value: gpu, effect: NoSchedule}
status:
  conditions:
    - {type: Ready, status: "False"}
  apiEnablements:
    - groupVersion: apps/v1
      resources: [{name: deployments, kind: Deployment}]
  resourceSummary:
    allocatable: {cpu: "8", memory: 16Gi, pods: 110}
`;

  it('AttachedCluster + Karmada Cluster merge by name: labels union, explicit region wins, zone from the topology label', () => {
    const { model, diags } = build(attached, karmada);
    expect(diags).toEqual([]);
    expect(model.clusters).toHaveLength(1);
    const c = model.clusters[0]!;
    expect(c.labels).toEqual({ env: 'prod', region: 'east', tier: 'gold', 'topology.kubernetes.io/zone': 'east-1' });
    expect(Object.keys(c.labels)).toEqual(['env', 'region', 'tier', 'topology.kubernetes.io/zone']);
    expect([c.provider, c.region, c.zones]).toEqual(['aws', 'us-east-1', ['east-1']]);
    expect(c.taints).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
    expect([c.ready, c.deleting]).toEqual([false, true]);
    expect(c.apiEnablements).toEqual([{ groupVersion: 'apps/v1', resources: [{ name: 'deployments', kind: 'Deployment' }] }]);
    expect(c.resourceSummary).toEqual({ allocatable: { cpu: '8', memory: '16Gi', pods: 110 } });
    expect(c.secretRef).toEqual({ namespace: 'kurator-system', name: 'a-kubeconfig', key: 'value' });
    expect(c.sources.map((s) => s.file)).toEqual(['f0.yaml', 'f1.yaml']);
  });

  it('a cluster with no Ready condition is ready; no apiEnablements/resourceSummary stay undefined', () => {
    const c = build(FLEET).model.clusters[0]!;
    expect(c).toEqual({
      name: 'a',
      labels: { region: 'east' },
      provider: '',
      region: 'east',
      zones: [],
      taints: [],
      ready: true,
      deleting: false,
      fleets: ['fleet'],
      sources: [c.sources[0]],
    });
  });

  it('Kurator reference form: a {name, kind} entry resolves to an AttachedCluster; fleets are recorded on the cluster', () => {
    const fleet = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: prod, namespace: kurator-system}
spec:
  clusters:
    - {name: a, kind: AttachedCluster}
`;
    const { model, diags } = build(fleet, attached);
    expect(diags).toEqual([]);
    expect(model.fleets).toEqual([{ name: 'prod', namespace: 'kurator-system', clusters: ['a'], source: model.fleets[0]!.source }]);
    expect(model.clusters[0]!.fleets).toEqual(['prod']);
  });

  it('clusters are sorted by name whatever the declaration order', () => {
    const fleet = FLEET.replace('- name: a', '- name: zeta').replace('- name: b', '- name: alpha');
    expect(build(fleet).model.clusters.map((c) => c.name)).toEqual(['alpha', 'zeta']);
  });

  it('unknown fields in a Karmada Cluster spec are errors naming the near field; spec.zone is an info note and does not fill zones', () => {
    const { model, sink } = build(
      'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: m\nspec:\n  zone: z1\n  regoin: x\n',
    );
    expect(sink.items.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual(['error UNKNOWN_FIELD 7', 'info NOT_APPLICABLE 6']);
    expect(sink.items[0]!.message).toBe('Cluster m: unknown field spec.regoin; did you mean "region"?');
    expect(model.clusters[0]!.zones).toEqual([]);
  });

  it(
    'cluster names follow Karmada ValidateClusterName: "eu.west" (a dot) and a 49-character ' +
      'name are INVALID_NAME; 48 characters is fine',
    () => {
      const cluster = (name: string) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\n`;
      expect(build(cluster('eu.west')).diags).toEqual(['error INVALID_NAME f0.yaml:4']);
      expect(build(cluster('c'.repeat(49))).diags).toEqual(['error INVALID_NAME f0.yaml:4']);
      expect(build(cluster('c'.repeat(48))).model.clusters).toHaveLength(1);
      expect(build(FLEET.replace('- name: b', '- name: b.c')).diags).toEqual(['error INVALID_NAME f0.yaml:10']);
    },
  );

  it('Karmada Cluster spec: zone with zones is INVALID_CLUSTER; a provider that is not a label value is INVALID_CLUSTER', () => {
    const spec = (body: string) =>
      build(`apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: m\nspec:\n${body}`).diags;
    expect(spec('  zone: z1\n  zones: [z1]\n')).toEqual(['error INVALID_CLUSTER f0.yaml:6']);
    expect(spec('  provider: "amazon web services"\n')).toEqual(['error INVALID_CLUSTER f0.yaml:6']);
  });

  it('an invalid cluster label key is INVALID_CLUSTER and the label is dropped', () => {
    const { model, diags } = build(FLEET.replace('labels: {region: east}', 'labels: {region: east, "bad key": x}'));
    expect(diags).toEqual(['error INVALID_CLUSTER f0.yaml:9']);
    expect(model.clusters[0]!.labels).toEqual({ region: 'east' });
  });
});

describe('override policies', () => {
  it('the deprecated targetCluster + overriders pair becomes one rule at path [spec]', () => {
    const { model, sink } = build(`apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: legacy}
spec:
  targetCluster: {clusterNames: [a]}
  overriders:
    labelsOverrider: [{operator: add, value: {tier: web}}]
`);
    expect(sink.items.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning UNKNOWN_CLUSTER', 'info DEPRECATED_FIELD']);
    expect(model.clusterOverridePolicies[0]!.rules).toEqual([
      {
        targetCluster: { clusterNames: ['a'] },
        overriders: { labelsOverrider: [{ operator: 'add', value: { tier: 'web' } }] },
        path: ['spec'],
      },
    ]);
    expect(model.clusterOverridePolicies[0]!.resourceSelectors).toEqual([]);
  });

  it('a rule without targetCluster applies everywhere (targetCluster undefined); a plaintext value is kept as any JSON', () => {
    const { model, diags } = build(`apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: o, namespace: shop}
spec:
  overrideRules:
    - overriders:
        plaintext: [{path: /spec/replicas, operator: replace, value: 3}]
`);
    expect(diags).toEqual([]);
    expect(model.overridePolicies[0]!.rules).toEqual([
      { overriders: { plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 3 }] }, path: ['spec', 'overrideRules', 0] },
    ]);
  });

  it('a plaintext add without value is rejected (OVERRIDE_INVALID) and the policy left out', () => {
    const { model, diags } = build(`apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: o}
spec:
  overrideRules:
    - overriders:
        plaintext:
          - {path: /spec/replicas, operator: add}
`);
    expect(errors(diags)).toEqual(['error OVERRIDE_INVALID f0.yaml:8']);
    expect(model.overridePolicies).toEqual([]);
  });
});

describe('tuning, unsupported kinds and resources', () => {
  it('Go durations: 30s → 30, 1m30s → 90, 500ms → 0.5, 1h → 3600; "soon" and "" are not durations', () => {
    expect([parseDurationSeconds('30s'), parseDurationSeconds('1m30s'), parseDurationSeconds('500ms'), parseDurationSeconds('1h')]).toEqual(
      [30, 90, 0.5, 3600],
    );
    expect([parseDurationSeconds('soon'), parseDurationSeconds(''), parseDurationSeconds('30')]).toEqual([null, null, null]);
  });

  it('no KarmadaConfig ⇒ parallelism 10, estimator timeout 3 s; a second KarmadaConfig is a DUPLICATE_TUNING warning', () => {
    expect(build(FLEET).model.tuning).toEqual({ parallelism: 10, estimatorTimeoutSeconds: 3 });
    const kc = (n: string, p: number) =>
      `apiVersion: config.karmada.io/v1alpha1\nkind: KarmadaConfig\nmetadata: {name: ${n}}\nspec:\n  scheduler: {parallelism: ${p}}\n`;
    const { model, diags } = build(kc('one', 4), kc('two', 8));
    expect(model.tuning.parallelism).toBe(4);
    expect(diags).toEqual(['warning DUPLICATE_TUNING f1.yaml:1']);
  });

  it('karmada.io / kurator.dev kinds flotilla does not implement are UNSUPPORTED_KIND; other groups are resources, sorted', () => {
    const doc = (api: string, kind: string, name: string, ns = '') =>
      `apiVersion: ${api}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}`;
    const { model, diags } = build(
      [
        doc('work.karmada.io/v1alpha2', 'ResourceBinding', 'rb'),
        doc('backup.kurator.dev/v1alpha1', 'Backup', 'nightly'),
        doc('v1', 'ConfigMap', 'b', 'shop'),
        doc('v1', 'ConfigMap', 'a', 'shop'),
        doc('apps/v1', 'Deployment', 'web', 'shop'),
        doc('networking.istio.io/v1beta1', 'VirtualService', 'vs'),
        doc('example.com/v1', 'Widget', 'w'),
      ].join('---\n'),
    );
    expect(diags).toEqual(['warning UNSUPPORTED_KIND f0.yaml:2', 'warning UNSUPPORTED_KIND f0.yaml:7']);
    expect(model.resources.map((r) => `${r.apiVersion}/${r.kind}/${r.namespace}/${r.name}`)).toEqual([
      'apps/v1/Deployment/shop/web',
      'example.com/v1/Widget/default/w',
      'networking.istio.io/v1beta1/VirtualService/default/vs',
      'v1/ConfigMap/shop/a',
      'v1/ConfigMap/shop/b',
    ]);
  });

  it('a Kurator Application is read strictly (UNKNOWN_FIELD with a hint), rollout kept as written, and never a resource', () => {
    const app = (spec: string) =>
      `apiVersion: apps.kurator.dev/v1alpha1\nkind: Application\nmetadata: {name: app, namespace: default}\nspec:\n${spec}`;
    const good = app(
      '  source:\n    gitRepository: {url: https://git.example.com/app.git, ref: {branch: main}, interval: 3m}\n' +
        '  syncPolicies:\n    - destination: {fleet: quickstart, clusterSelector: {matchLabels: {env: prod}}}\n' +
        '      kustomization: {path: ./deploy, prune: true, targetNamespace: web}\n' +
        '      rollout: {workload: {kind: Deployment, name: web}, serviceName: web, port: 80, rolloutPolicy: {trafficAnalysis: {}}}\n',
    );
    expect(build(good)).toMatchObject({ diags: [], model: { resources: [] } });
    const typo = good.replace('kustomization:', 'kustomisation:');
    expect(build(typo).diags).toEqual(['error UNKNOWN_FIELD f0.yaml:9']);
  });

  it('the model does not depend on file order: shuffled inputs build the same model', () => {
    const policies = ['b', 'a', 'c'].map((n) => pp('{}').replace('name: p', `name: ${n}`));
    const forward = build(FLEET, ...policies).model;
    const backward = build(...[...policies].reverse(), FLEET).model;
    const strip = (m: typeof forward) => JSON.parse(JSON.stringify(m, (k, v) => (k === 'source' || k === 'sources' ? undefined : v)));
    expect(strip(backward)).toEqual(strip(forward));
    expect(forward.propagationPolicies.map((p) => p.name)).toEqual(['a', 'b', 'c']);
  });
});
