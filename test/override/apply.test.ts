import { describe, it, expect } from 'vitest';
import type { OverridePolicy, Overriders } from '../../src/model/types.js';
import { applyOverrides, matchingOverridePolicies } from '../../src/override/apply.js';
import { cluster, manifest, policy } from './fixtures.js';

// ------------------------------------------------------------------ docs/reference/scenarios.md row 3

const globalApp = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'global-app', namespace: 'default' },
  spec: { replicas: 3, template: { spec: { containers: [{ name: 'app', image: 'global-app:2.3', command: ['/app', 'serve'] }] } } },
};
const crossCloudConfig = policy(
  'cross-cloud-config',
  [
    {
      targetCluster: { clusterNames: ['cluster-hangzhou'] },
      overriders: {
        imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'registry.cn-hangzhou.aliyuncs.com/company' }],
        commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--region=asia-east'] }],
      },
    },
    {
      targetCluster: { clusterNames: ['cluster-frankfurt'] },
      overriders: {
        imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'registry.eu-central.example.com/company' }],
        commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--region=eu-central', '--compliance=gdpr'] }],
      },
    },
  ],
  { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'global-app' }] },
);

function appContainer(object: Record<string, unknown>): { image: string; command: string[] } {
  return (object.spec as any).template.spec.containers[0];
}

describe('scenario 3: OverridePolicy cross-cloud-config on Deployment global-app', () => {
  const resource = manifest(globalApp);
  const policies = matchingOverridePolicies(resource, [], [crossCloudConfig]);

  it('the policy matches global-app by name', () => {
    expect(policies.map((p) => p.name)).toEqual(['cross-cloud-config']);
  });

  it(
    'hangzhou: global-app:2.3 → registry.cn-hangzhou.aliyuncs.com/company/global-app:2.3, ' +
      '[/app, serve] → [/app, serve, --region=asia-east]',
    () => {
      const r = applyOverrides(resource, globalApp, cluster('cluster-hangzhou'), policies);
      expect(r.problems).toEqual([]);
      expect(appContainer(r.object)).toEqual({
        name: 'app',
        image: 'registry.cn-hangzhou.aliyuncs.com/company/global-app:2.3',
        command: ['/app', 'serve', '--region=asia-east'],
      });
      expect(r.applied).toEqual([{ policy: { kind: 'OverridePolicy', namespace: 'default', name: 'cross-cloud-config' }, rule: 0 }]);
    },
  );

  it(
    'frankfurt: global-app:2.3 → registry.eu-central.example.com/company/global-app:2.3, [/app, ' +
      'serve] → [/app, serve, --region=eu-central, --compliance=gdpr]',
    () => {
      const r = applyOverrides(resource, globalApp, cluster('cluster-frankfurt'), policies);
      expect(r.problems).toEqual([]);
      expect(appContainer(r.object)).toEqual({
        name: 'app',
        image: 'registry.eu-central.example.com/company/global-app:2.3',
        command: ['/app', 'serve', '--region=eu-central', '--compliance=gdpr'],
      });
      expect(r.applied).toEqual([{ policy: { kind: 'OverridePolicy', namespace: 'default', name: 'cross-cloud-config' }, rule: 1 }]);
    },
  );

  it('shanghai: unchanged (global-app:2.3, [/app, serve]), no rule applied', () => {
    const r = applyOverrides(resource, globalApp, cluster('cluster-shanghai'), policies);
    expect(r.problems).toEqual([]);
    expect(r.object).toEqual(globalApp);
    expect(r.applied).toEqual([]);
  });

  it("the input object is never mutated, and what a rule changed is the copy's own", () => {
    const before = structuredClone(globalApp);
    const r = applyOverrides(resource, globalApp, cluster('cluster-hangzhou'), policies);
    expect(globalApp).toEqual(before);
    const shanghai = applyOverrides(resource, globalApp, cluster('cluster-shanghai'), policies);
    expect(shanghai.object).not.toBe(globalApp);
    (appContainer(r.object).command as string[]).push('--mutated');
    expect(globalApp).toEqual(before);
    expect(crossCloudConfig.rules[0]!.overriders.commandOverrider![0]!.value).toEqual(['--region=asia-east']);
  });
});

// ------------------------------------------------------------------ matching and order (§5.1)

const deploymentTest = manifest({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'test', namespace: 'default', labels: { app: 'test' } },
});
const annotate = (value: string): Overriders => ({ annotationsOverrider: [{ operator: 'add', value: { order: value } }] });

describe('matchingOverridePolicies (Karmada TestGetMatchingOverridePolicies)', () => {
  const byName = policy('overridePolicy1', [{ overriders: annotate('1') }], {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'test' }],
  });
  const matchAll = policy('overridePolicy2', [{ overriders: annotate('2') }]);
  const byLabel = policy('overridePolicy0', [{ overriders: annotate('0') }], {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: 'test' } } }],
  });
  const otherName = policy('a-other', [{ overriders: annotate('x') }], {
    resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' }],
  });
  const otherNamespace = policy('b-elsewhere', [{ overriders: annotate('y') }], { namespace: 'kube-system' });

  it('name (MatchName) after empty selectors (MatchAll): [overridePolicy1, overridePolicy2] → [overridePolicy2, overridePolicy1]', () => {
    expect(matchingOverridePolicies(deploymentTest, [], [byName, matchAll]).map((p) => p.name)).toEqual([
      'overridePolicy2',
      'overridePolicy1',
    ]);
  });

  it('MatchAll < MatchLabelSelector < MatchName regardless of names: → [overridePolicy2, overridePolicy0, overridePolicy1]', () => {
    expect(matchingOverridePolicies(deploymentTest, [], [byName, byLabel, matchAll]).map((p) => p.name)).toEqual([
      'overridePolicy2',
      'overridePolicy0',
      'overridePolicy1',
    ]);
  });

  it('equal priority sorts by name: zeta, alpha (both MatchAll) → alpha, zeta', () => {
    const zeta = policy('zeta', [{ overriders: {} }]);
    const alpha = policy('alpha', [{ overriders: {} }]);
    expect(matchingOverridePolicies(deploymentTest, [], [zeta, alpha]).map((p) => p.name)).toEqual(['alpha', 'zeta']);
  });

  it('policies selecting something else, or in another namespace, are dropped', () => {
    expect(matchingOverridePolicies(deploymentTest, [], [otherName, otherNamespace, matchAll]).map((p) => p.name)).toEqual([
      'overridePolicy2',
    ]);
  });

  it('ClusterOverridePolicies come first, even a more specific one: [OP matchAll] + [COP byName] → [COP, OP]', () => {
    const cop = policy('cop', [{ overriders: annotate('cop') }], {
      kind: 'ClusterOverridePolicy',
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'test' }],
    });
    expect(matchingOverridePolicies(deploymentTest, [cop], [matchAll]).map((p) => `${p.kind}/${p.name}`)).toEqual([
      'ClusterOverridePolicy/cop',
      'OverridePolicy/overridePolicy2',
    ]);
  });

  it('a cluster-scoped resource gets only ClusterOverridePolicies: ClusterRole test2 → [COP test2]', () => {
    const clusterRole = manifest({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'test2' } });
    const cop = policy('test2', [{ targetCluster: { clusterNames: ['test2'] }, overriders: annotate('c') }], {
      kind: 'ClusterOverridePolicy',
      resourceSelectors: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'test2' }],
    });
    const op = policy('everything', [{ overriders: annotate('o') }], { namespace: '' });
    expect(matchingOverridePolicies(clusterRole, [cop], [op]).map((p) => p.name)).toEqual(['test2']);
  });
});

describe('applyOverrides: rules per cluster and order of application', () => {
  const overriders1: Overriders = { plaintext: [{ path: '/metadata/annotations/o1', operator: 'add', value: 'foo: bar' }] };
  const overriders2: Overriders = { plaintext: [{ path: '/metadata/annotations/o2', operator: 'add', value: 'aaa: bbb' }] };
  const overriders3: Overriders = { plaintext: [{ path: '/metadata/annotations/o3', operator: 'add', value: 'hello: world' }] };
  const p1 = policy(
    'overridePolicy1',
    [
      { targetCluster: { clusterNames: ['cluster1', 'cluster2'] }, overriders: overriders1 },
      { targetCluster: { clusterNames: ['cluster2'] }, overriders: overriders2 },
    ],
    { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'test' }] },
  );
  const p2 = policy('overridePolicy2', [{ targetCluster: { clusterNames: ['cluster1', 'cluster2'] }, overriders: overriders3 }]);
  const object = () => ({ ...structuredClone(deploymentTest.object), metadata: { name: 'test', namespace: 'default', annotations: {} } });
  const run = (clusterName: string) =>
    applyOverrides(deploymentTest, object(), cluster(clusterName), matchingOverridePolicies(deploymentTest, [], [p1, p2]));

  it('cluster1 → overridePolicy2 rule 0, then overridePolicy1 rule 0', () => {
    const r = run('cluster1');
    expect(r.applied.map((a) => `${a.policy.name}#${a.rule}`)).toEqual(['overridePolicy2#0', 'overridePolicy1#0']);
    expect((r.object.metadata as any).annotations).toEqual({ o3: 'hello: world', o1: 'foo: bar' });
  });

  it('cluster2 → overridePolicy2 rule 0, overridePolicy1 rules 0 and 1', () => {
    const r = run('cluster2');
    expect(r.applied.map((a) => `${a.policy.name}#${a.rule}`)).toEqual(['overridePolicy2#0', 'overridePolicy1#0', 'overridePolicy1#1']);
    // Each policy once, in the order it ran: what the scope judges the copy by (validate/scope.ts).
    expect(r.changedBy).toEqual([p2, p1]);
    expect((r.object.metadata as any).annotations).toEqual({ o3: 'hello: world', o1: 'foo: bar', o2: 'aaa: bbb' });
  });

  it('cluster3 → nothing applies', () => {
    expect(run('cluster3').applied).toEqual([]);
  });

  it('a rule without targetCluster applies everywhere; a labelSelector targetCluster matches cluster labels', () => {
    const p = policy('p', [
      { overriders: annotate('all') },
      {
        targetCluster: { labelSelector: { matchLabels: { region: 'eu' } } },
        overriders: { labelsOverrider: [{ operator: 'add', value: { eu: 'true' } }] },
      },
    ]);
    const eu = applyOverrides(deploymentTest, deploymentTest.object, cluster('c-eu', { region: 'eu' }), [p]);
    const us = applyOverrides(deploymentTest, deploymentTest.object, cluster('c-us', { region: 'us' }), [p]);
    expect(eu.object.metadata).toMatchObject({ annotations: { order: 'all' }, labels: { app: 'test', eu: 'true' } });
    expect(us.object.metadata).toMatchObject({ annotations: { order: 'all' }, labels: { app: 'test' } });
  });

  it('later policies win conflicts: COP sets tier=cop, OP sets tier=op → tier=op', () => {
    const cop = policy('cop', [{ overriders: { labelsOverrider: [{ operator: 'add', value: { tier: 'cop' } }] } }], {
      kind: 'ClusterOverridePolicy',
    });
    const op = policy('op', [{ overriders: { labelsOverrider: [{ operator: 'add', value: { tier: 'op' } }] } }]);
    const r = applyOverrides(deploymentTest, deploymentTest.object, cluster('c'), matchingOverridePolicies(deploymentTest, [cop], [op]));
    expect((r.object.metadata as any).labels.tier).toBe('op');
  });

  it('within one block: image → command → args → labels → annotations → field → plaintext, whatever the key order', () => {
    // The plaintext reads what the labels overrider wrote, and the field overrider edits what the
    // annotations overrider created: only that order succeeds.
    const overriders: Overriders = {
      plaintext: [{ path: '/metadata/labels/stage', operator: 'replace', value: 'plaintext' }],
      fieldOverrider: [{ fieldPath: '/metadata/annotations/cfg', json: [{ subPath: '/by', operator: 'replace', value: 'field' }] }],
      annotationsOverrider: [{ operator: 'add', value: { cfg: '{"by":"annotations"}' } }],
      labelsOverrider: [{ operator: 'add', value: { stage: 'labels' } }],
    };
    const r = applyOverrides(deploymentTest, deploymentTest.object, cluster('c'), [policy('p', [{ overriders }])]);
    expect(r.problems).toEqual([]);
    expect(r.object.metadata).toMatchObject({ labels: { stage: 'plaintext' }, annotations: { cfg: '{"by":"field"}' } });
  });
});

describe('applyOverrides: any failure aborts the whole override on that cluster (Karmada)', () => {
  const good = policy('a-good', [{ overriders: { labelsOverrider: [{ operator: 'add', value: { good: 'yes' } }] } }]);
  const bad = policy('b-bad', [
    { overriders: { labelsOverrider: [{ operator: 'add', value: { before: 'yes' } }] } },
    { targetCluster: { clusterNames: ['broken'] }, overriders: { plaintext: [{ path: '/spec/nothing', operator: 'replace', value: 1 }] } },
  ]);
  const policies: OverridePolicy[] = [good, bad];

  it('cluster "broken": the original object comes back with one error at b-bad rule 1 plaintext[0]; nothing is reported as applied', () => {
    const object = structuredClone(deploymentTest.object);
    const r = applyOverrides(deploymentTest, object, cluster('broken'), policies);
    expect(r.object).toBe(object);
    expect((r.object.metadata as any).labels).toEqual({ app: 'test' });
    expect(r.applied).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.policy).toBe(bad);
    expect(r.problems[0]).toMatchObject({
      severity: 'error',
      code: 'OVERRIDE_FAILED',
      path: ['spec', 'overrideRules', 1, 'overriders', 'plaintext', 0],
    });
    expect(r.problems[0]!.message).toContain('/spec/nothing');
  });

  it('another cluster is unaffected: labels good=yes, before=yes', () => {
    const r = applyOverrides(deploymentTest, deploymentTest.object, cluster('fine'), policies);
    expect(r.problems).toEqual([]);
    expect((r.object.metadata as any).labels).toEqual({ app: 'test', good: 'yes', before: 'yes' });
  });

  it('warnings found before the failure are kept alongside the error', () => {
    const workload = manifest({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'w', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
    });
    const p = policy('p', [
      {
        overriders: {
          commandOverrider: [{ containerName: 'app', operator: 'add', value: ['-x'] }],
          plaintext: [{ path: '/nope', operator: 'remove' }],
        },
      },
    ]);
    const r = applyOverrides(workload, workload.object, cluster('c'), [p]);
    expect(r.problems.map((x) => `${x.severity}:${x.code}`)).toEqual(['warning:OVERRIDE_NO_CONTAINER', 'error:OVERRIDE_FAILED']);
  });
});
