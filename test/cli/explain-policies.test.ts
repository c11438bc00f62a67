// `flotilla explain` names every policy that selects the resource and did not claim it, and why it
// lost (issue 10, defect 6: "of two equal-priority policies the loser has no effect and explain never
// mentions it").
import { afterAll, describe, expect, it } from 'vitest';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { fakeIO } from '../helpers/cli.js';
import { deploymentYaml, karmadaClustersYaml } from '../helpers/fleet.js';
import { cleanupRepos, makeTempTree } from '../helpers/git.js';

afterAll(cleanupRepos);

const FILES: Record<string, string> = {
  'clusters.yaml': karmadaClustersYaml(['member-a', 'member-b']),
  'web.yaml': deploymentYaml('web', { namespace: 'shop' }),
  'policies.yaml': `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web-west, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [member-b]}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web-east, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [member-a]}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: shop-default, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: everything}
spec:
  priority: 100
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
`,
};

const fleetDir = (files: Record<string, string>) => makeTempTree(files, 'flotilla-explain-');

describe('flotilla explain: the policies that lost the resource', () => {
  it('text: the claiming policy, then each loser with the rule it lost by', async () => {
    const io = fakeIO();
    expect(await explainCommand(['Deployment/shop/web', '--repo', await fleetDir(FILES)], io)).toBe(0);
    expect(io.out).toContain(`policies:
  ✓ PropagationPolicy shop/web-east (priority 0, selects it by name): claims it
  ✗ PropagationPolicy shop/web-west (priority 0, selects it by name)
      loses it: same priority 0 and both select it by name: the name that sorts first wins ("web-east" < "web-west")
  ✗ PropagationPolicy shop/shop-default (priority 0, selects it by kind)
      loses it: same priority 0, but web-east selects it by name, more specifically than by kind
  ✗ ClusterPropagationPolicy everything (priority 100, selects it by kind)
      loses it: a PropagationPolicy of the resource's namespace (web-east) wins over every ClusterPropagationPolicy, whatever the priority
`);
    expect(io.out).toContain('result:   member-a=2');
  });

  it('json: `policies`, in the same order, with lostBecause on the losers', async () => {
    const io = fakeIO();
    await explainCommand(['Deployment/shop/web', '--repo', await fleetDir(FILES), '--format', 'json'], io);
    const doc = JSON.parse(io.out);
    expect(doc.policies.map((p: { name: string; claims: boolean }) => [p.name, p.claims])).toEqual([
      ['web-east', true],
      ['web-west', false],
      ['shop-default', false],
      ['everything', false],
    ]);
    expect(doc.policies[1]).toEqual({
      kind: 'PropagationPolicy',
      namespace: 'shop',
      name: 'web-west',
      priority: 0,
      selects: 'by name',
      claims: false,
      lostBecause: 'same priority 0 and both select it by name: the name that sorts first wins ("web-east" < "web-west")',
    });
  });

  it('lower priority is the reason when priorities differ; a single policy prints no policies section', async () => {
    const withPriority = {
      ...FILES,
      'policies.yaml': FILES['policies.yaml']!.replace(
        'name: web-west, namespace: shop}\nspec:\n',
        'name: web-west, namespace: shop}\nspec:\n  priority: 7\n',
      ),
    };
    const io = fakeIO();
    await explainCommand(['Deployment/shop/web', '--repo', await fleetDir(withPriority)], io);
    expect(io.out).toContain('✓ PropagationPolicy shop/web-west (priority 7, selects it by name): claims it');
    expect(io.out).toContain('loses it: lower priority (0 < 7)');

    const single = fakeIO();
    const only = FILES['policies.yaml']!.split('---\n')[0]!;
    await explainCommand(['Deployment/shop/web', '--repo', await fleetDir({ ...FILES, 'policies.yaml': only })], single);
    expect(single.out).not.toContain('policies:');
  });
});

describe('flotilla explain: a dependency taken along by propagateDeps', () => {
  const DEPS: Record<string, string> = {
    'clusters.yaml': FILES['clusters.yaml']!,
    'web.yaml': `${FILES['web.yaml']!.replace(
      'spec: {containers: [{name: web, image: nginx}]}',
      'spec: {containers: [{name: web, image: nginx, envFrom: [{secretRef: {name: web-env}}]}]}',
    )}---
apiVersion: v1
kind: Secret
metadata: {name: web-env, namespace: shop}
stringData: {MODE: prod}
`,
    'policy.yaml': `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  propagateDeps: true
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [member-b]}}
`,
  };

  it('text names the workload that takes it along and its policy; json carries them as `dependency`', async () => {
    const dir = await fleetDir(DEPS);
    const io = fakeIO();
    expect(await explainCommand(['Secret/shop/web-env', '--repo', dir], io)).toBe(0);
    expect(io.out).toContain('result:   member-b');
    expect(io.out).toContain(
      '  - dependency of Deployment shop/web (propagateDeps of PropagationPolicy/shop/web): goes where it goes, member-b',
    );
    const json = fakeIO();
    await explainCommand(['Secret/shop/web-env', '--repo', dir, '--format', 'json'], json);
    expect(JSON.parse(json.out).dependency).toEqual({
      requiredBy: [
        {
          resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
          policy: { kind: 'PropagationPolicy', namespace: 'shop', name: 'web' },
        },
      ],
      attachedOnly: true,
    });
  });
});
