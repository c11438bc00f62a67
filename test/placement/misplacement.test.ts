// No silent misplacement (issue 10, defect 6; docs/reference/semantics.md §2.1): a resource no
// policy selects, a selector that matches nothing (`apiVersion: app/v1`, and the workload falls to a
// catch-all policy), and a policy that loses to another of equal priority — each a warning at the
// file and line to fix, in the full and the incremental render alike.
import { describe, expect, it } from 'vitest';
import { contestMemoSize } from '../../src/placement/misplacement.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { karmadaClustersYaml } from '../helpers/fleet.js';

const CLUSTERS = karmadaClustersYaml(['member-a', 'member-b']);

const deployment = (name: string, namespace = 'default') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${name}}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
`;

/** A PropagationPolicy (or CPP) on `cluster`; `selectors` is the YAML list under resourceSelectors. */
const policy = (
  name: string,
  selectors: string,
  cluster: string,
  extra = '',
  kind = 'PropagationPolicy',
) => `apiVersion: policy.karmada.io/v1alpha1
kind: ${kind}
metadata: {name: ${name}}
spec:
${extra}  resourceSelectors:
${selectors}
  placement:
    clusterAffinity: {clusterNames: [${cluster}]}
`;

const byName = (name: string) => `    - {apiVersion: apps/v1, kind: Deployment, name: ${name}}`;

function render(files: Record<string, string>) {
  const result = renderFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'w' });
  const warnings = result.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`);
  return { result, warnings, messages: result.diagnostics.map((d) => d.message) };
}

describe('NOT_PROPAGATED: a resource no policy selects is never deployed, and a warning says so', () => {
  it('at the resource, with the reason; the same repository with a policy for it has no warning', () => {
    const { warnings, messages, result } = render({ 'clusters.yaml': CLUSTERS, 'web.yaml': deployment('web') });
    expect(warnings).toEqual(['warning NOT_PROPAGATED web.yaml:1']);
    expect(messages).toContain('Deployment default/web is never deployed: no PropagationPolicy or ClusterPropagationPolicy selects it');
    expect(result.placements[0]!.clusters).toEqual([]);
    expect(
      render({ 'clusters.yaml': CLUSTERS, 'web.yaml': deployment('web'), 'p.yaml': policy('web', byName('web'), 'member-a') }).warnings,
    ).toEqual([]);
  });

  it('not for non-templates: Namespaces, Events, kube-*/karmada-* namespaces, a kubeconfig Secret, an HPA following its workload', () => {
    const { warnings } = render({
      'clusters.yaml': `${CLUSTERS}---
apiVersion: cluster.kurator.dev/v1alpha1
kind: AttachedCluster
metadata: {name: member-c, namespace: fleet}
spec:
  kubeconfig: {name: member-c-kubeconfig, key: kubeconfig}
`,
      'objects.yaml': `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Event
metadata: {name: e, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: karmada-system}
---
apiVersion: v1
kind: Secret
metadata: {name: member-c-kubeconfig, namespace: fleet}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 4
`,
      'web.yaml': deployment('web'),
      'p.yaml': policy('web', byName('web'), 'member-a'),
    });
    expect(warnings).toEqual([]);
  });

  it("with several fleets, an unlabelled resource gets the claim's reason", () => {
    const fleet = (name: string) =>
      `apiVersion: fleet.kurator.dev/v1alpha1\nkind: Fleet\nmetadata: {name: ${name}, namespace: default}\n` +
      'spec:\n  clusters: [{name: member-a, kind: Cluster}]\n  placement: {}\n';
    const { messages, warnings } = render({
      'clusters.yaml': CLUSTERS,
      'f.yaml': `${fleet('one')}---\n${fleet('two')}`,
      'web.yaml': deployment('web'),
    });
    expect(warnings).toEqual(['warning NOT_PROPAGATED web.yaml:1']);
    expect(messages.find((m) => m.includes('never deployed'))).toMatch(/with 2 fleets it needs a fleet\.kurator\.dev\/name label/);
  });
});

describe('SELECTOR_MATCHES_NOTHING: a resource selector that matches nothing in the repository', () => {
  it('apiVersion app/v1: the workload falls to the catch-all policy, and the warning at the selector says what the repository has', () => {
    const typo = policy('web', '    - {apiVersion: app/v1, kind: Deployment, name: web}', 'member-a');
    const catchAll = policy('everything', '    - {apiVersion: apps/v1, kind: Deployment}', 'member-b', '', 'ClusterPropagationPolicy');
    const { result, warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'p.yaml': typo,
      'cpp.yaml': catchAll,
    });
    expect(result.placements[0]!.policy).toEqual({ kind: 'ClusterPropagationPolicy', namespace: '', name: 'everything' });
    expect(result.placements[0]!.clusters.map((c) => c.name)).toEqual(['member-b']);
    expect(warnings).toEqual(['warning SELECTOR_MATCHES_NOTHING p.yaml:6']);
    expect(messages).toContain(
      'PropagationPolicy default/web: spec.resourceSelectors[0] (app/v1 Deployment default/web) matches no resource in the repository, ' +
        "so it propagates nothing; the repository's Deployment resources have apiVersion apps/v1",
    );
  });

  it('a misspelt name gets the near one; an OverridePolicy selecting nothing overrides nothing', () => {
    const override = `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: web}
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, name: wbe}
  overrideRules:
    - overriders:
        labelsOverrider: [{operator: add, value: {tier: web}}]
`;
    const { warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'p.yaml': policy('web', byName('web'), 'member-a'),
      'o.yaml': override,
    });
    expect(warnings).toEqual(['warning SELECTOR_MATCHES_NOTHING o.yaml:6']);
    expect(messages.find((m) => m.startsWith('OverridePolicy'))).toMatch(/so it overrides nothing; did you mean web\?$/);
  });

  it('one selector of several matching nothing is enough to warn, at that selector', () => {
    const { warnings } = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'p.yaml': policy('web', `${byName('web')}\n    - {apiVersion: v1, kind: ConfigMap, name: web-config}`, 'member-a'),
    });
    expect(warnings).toEqual(['warning SELECTOR_MATCHES_NOTHING p.yaml:7']);
  });
});

describe('POLICY_SHADOWED: a policy that loses to another of equal priority and specificity', () => {
  it('warns at the loser, naming the winner and why; the winner is the name that sorts first', () => {
    const { result, warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'a.yaml': policy('web-east', byName('web'), 'member-a'),
      'b.yaml': policy('web-west', byName('web'), 'member-b'),
    });
    expect(result.placements[0]!.policy!.name).toBe('web-east');
    expect(warnings).toEqual(['warning POLICY_SHADOWED b.yaml:6']);
    expect(messages).toContain(
      'PropagationPolicy default/web-west has no effect on Deployment default/web: PropagationPolicy default/web-east claims it, ' +
        'with the same priority 0 and both selecting it by name, only because "web-east" sorts before "web-west"; ' +
        'give the one meant to win a higher spec.priority, or narrow the other',
    );
  });

  it("Karmada's documented order is not warned: higher priority, a more specific selector, a PP over a CPP", () => {
    const files = { 'clusters.yaml': CLUSTERS, 'web.yaml': deployment('web') };
    expect(
      render({
        ...files,
        'a.yaml': policy('a', byName('web'), 'member-a'),
        'b.yaml': policy('b', byName('web'), 'member-b', '  priority: 1\n'),
      }).warnings,
    ).toEqual([]);
    expect(
      render({
        ...files,
        'a.yaml': policy('a', '    - {apiVersion: apps/v1, kind: Deployment}', 'member-a'),
        'b.yaml': policy('b', byName('web'), 'member-b'),
      }).warnings,
    ).toEqual([]);
    expect(
      render({
        ...files,
        'a.yaml': policy('a', byName('web'), 'member-a'),
        'b.yaml': policy('a', byName('web'), 'member-b', '', 'ClusterPropagationPolicy'),
      }).warnings,
    ).toEqual([]);
  });

  it('one warning per losing policy, listing the first resources it loses and how many more', () => {
    const all = '    - {apiVersion: apps/v1, kind: Deployment}';
    const { warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': ['a', 'b', 'c', 'd', 'e'].map((n) => deployment(n)).join('---\n'),
      'a.yaml': policy('all-east', all, 'member-a'),
      'b.yaml': policy('all-west', all, 'member-b'),
    });
    expect(warnings).toEqual(['warning POLICY_SHADOWED b.yaml:6']);
    const message = messages.find((m) => m.includes('has no effect'))!;
    expect(message).toMatch(/^PropagationPolicy default\/all-west has no effect on Deployment default\/a, Deployment default\/b, /);
    expect(message).toContain('Deployment default/c and 2 more: PropagationPolicy default/all-east claims them');
    expect(message).toContain('both selecting it by kind');
  });
});

describe('POLICY_SHADOWED: resources of one type and namespace are each decided by what the selectors read of them', () => {
  const labelled = (name: string, tier: string) =>
    deployment(name).replace(`labels: {app: ${name}}}`, `labels: {app: ${name}, tier: ${tier}}}`);

  it('a label the selectors read sets a resource apart; other labels do not', () => {
    const tier = (t: string) => `    - apiVersion: apps/v1\n      kind: Deployment\n      labelSelector: {matchLabels: {tier: ${t}}}`;
    const { warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'apps.yaml': [labelled('api', 'back'), labelled('db', 'front'), labelled('web', 'front')].join('---\n'),
      'f1.yaml': policy('front-1', tier('front'), 'member-a'),
      'f2.yaml': policy('front-2', tier('front'), 'member-b'),
      'b1.yaml': policy('back-1', tier('back'), 'member-a'),
    });
    expect(warnings).toEqual(['warning POLICY_SHADOWED f2.yaml:6']);
    const message = messages.find((m) => m.includes('has no effect'));
    expect(message).toMatch(/^PropagationPolicy default\/front-2 has no effect on Deployment default\/db, Deployment default\/web: /);
    expect(message).toContain('PropagationPolicy default/front-1 claims them');
  });

  it('so does the name a selector names', () => {
    const { warnings, messages } = render({
      'clusters.yaml': CLUSTERS,
      'apps.yaml': [labelled('api', 'x'), labelled('ops', 'x'), labelled('web', 'x')].join('---\n'),
      'o1.yaml': policy('ops-1', byName('ops'), 'member-a'),
      'o2.yaml': policy('ops-2', byName('ops'), 'member-b'),
    });
    expect(warnings.filter((w) => w.includes('POLICY_SHADOWED'))).toEqual(['warning POLICY_SHADOWED o2.yaml:6']);
    expect(messages.find((m) => m.includes('has no effect'))).toMatch(
      /^PropagationPolicy default\/ops-2 has no effect on Deployment default\/ops: /,
    );
  });
});

describe('the incremental render reports the same misplacements as the full render', () => {
  it('after a commit that adds a shadowing policy and removes a resource', () => {
    const files = {
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'api.yaml': deployment('api'),
      'a.yaml': policy('web-east', byName('web'), 'member-a'),
    };
    const renderer = new IncrementalRenderer();
    renderer.update({ revision: 'r1', changes: Object.entries(files).map(([path, text]) => ({ path, text })) });
    const second = renderer.update({
      revision: 'r2',
      changes: [
        { path: 'b.yaml', text: policy('web-west', byName('web'), 'member-b') },
        { path: 'api.yaml', text: null },
      ],
    });
    const full = render({
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('web'),
      'a.yaml': files['a.yaml'],
      'b.yaml': policy('web-west', byName('web'), 'member-b'),
    });
    expect(second.diagnostics).toEqual(full.result.diagnostics);
    expect(second.diagnostics.map((d) => d.code)).toEqual(['POLICY_SHADOWED']);
  });
});

describe('the contest memo of a long-running process', () => {
  it('does not keep every resource it ever saw while the policies stay the same, and still warns right', () => {
    // Two policies tied on a by-name selector: each resource name is a group of its own.
    const policies = { 'a.yaml': policy('a', byName('web-0'), 'member-a'), 'b.yaml': policy('b', byName('web-0'), 'member-b') };
    const renderer = new IncrementalRenderer();
    let files = new Map<string, string>();
    let peak = 0;
    // 1,100 revisions of one resource each, every one with a new name (preview environments come and go).
    for (let i = 0; i < 1100; i++) {
      const next = new Map<string, string>([
        ['clusters.yaml', CLUSTERS],
        ...Object.entries(policies),
        ['web.yaml', deployment(`web-${i}`)],
      ]);
      const changes = [...next].filter(([p, t]) => files.get(p) !== t).map(([path, text]) => ({ path, text }));
      const result = renderer.update({ revision: `r${i}`, changes });
      files = next;
      peak = Math.max(peak, contestMemoSize());
      const shadowed = result.diagnostics.filter((d) => d.code === 'POLICY_SHADOWED').map((d) => d.file);
      // Only web-0 is selected by both, so only then does b lose by name.
      expect(shadowed, `revision ${i}`).toEqual(i === 0 ? ['b.yaml'] : []);
    }
    expect(peak).toBeGreaterThan(1000); // it does remember across revisions…
    expect(peak).toBeLessThanOrEqual(4 * 1 + 1024 + 1); // …but not past its bound (one resource a revision: the Deployment)
  });
});
