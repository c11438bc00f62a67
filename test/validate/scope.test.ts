// Scope (issue 11): which rendered objects a file of the fleet repository may place, judged by the
// operator's scope (src/config/scope.ts) and reported as SCOPE_DENIED at the template's file:line.
// The rule per object is a table; the render-level tests use renderFleet on small fleets.
import { describe, expect, it } from 'vitest';
import { defaultScope, readScope, type ScopeConfig } from '../../src/config/scope.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { streamFleet } from '../../src/render/stream.js';
import { SOURCE_ANNOTATION } from '../../src/objects/tracking.js';
import { checkScope, effectiveScope, ScopeJudge, scopeRefusal, withScope } from '../../src/validate/scope.js';
import { SCOPE_FLEET as FLEET } from '../helpers/scope-fleet.js';

type Obj = Record<string, unknown>;

/** A scope from YAML-shaped data; a problem fails the test. */
function scopeOf(raw: unknown): ScopeConfig {
  const problems: string[] = [];
  const scope = readScope(raw, (at, message) => problems.push(`${at}: ${message}`));
  expect(problems).toEqual([]);
  return scope;
}

const cm = (namespace: string, name = 'x'): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace } });
const ns = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const deploy = (namespace: string): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace } });
const binding = (kind: 'ClusterRoleBinding' | 'RoleBinding', role: string, namespace?: string): Obj => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind,
  metadata: { name: 'b', ...(namespace ? { namespace } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
});
const webhook = (kind: string): Obj => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: 'w' } });
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

/** Why `scope` refuses `object` from `file` (null: allowed). */
function refusal(scope: ScopeConfig, object: Obj, file = 'apps/x.yaml'): string | null {
  return scopeRefusal(effectiveScope(scope, file), object, CLUSTER_SCOPED.has(object.kind as string));
}

describe('safe defaults (no scope: section)', () => {
  const scope = defaultScope();
  const cases: Array<[string, Obj, RegExp | null]> = [
    ['a ConfigMap in default', cm('default'), null],
    ['a Deployment in payments', deploy('payments'), null],
    [
      'a ConfigMap in kube-system',
      cm('kube-system'),
      /system namespace kube-system .*scope\.default\.allowProtected lists systemNamespaces/,
    ],
    ['a ConfigMap in kube-public', cm('kube-public'), /system namespace kube-public/],
    ['a ConfigMap in kube-node-lease', cm('kube-node-lease'), /system namespace kube-node-lease/],
    ['the Namespace kube-system itself', ns('kube-system'), /it is the system namespace kube-system/],
    ['a Namespace kube-flannel (not a system namespace)', ns('kube-flannel'), null],
    [
      'a ClusterRoleBinding to cluster-admin',
      binding('ClusterRoleBinding', 'cluster-admin'),
      /cluster-admin ClusterRole .*clusterAdminBindings/,
    ],
    ['a RoleBinding to cluster-admin', binding('RoleBinding', 'cluster-admin', 'team'), /cluster-admin ClusterRole/],
    ['a ClusterRoleBinding to view', binding('ClusterRoleBinding', 'view'), null],
    ['a ValidatingWebhookConfiguration', webhook('ValidatingWebhookConfiguration'), /admission webhook configuration .*admissionWebhooks/],
    ['a MutatingWebhookConfiguration', webhook('MutatingWebhookConfiguration'), /admission webhook configuration/],
  ];
  for (const [what, object, expected] of cases) {
    it(`${what} → ${expected ? 'refused' : 'allowed'}`, () => {
      const why = refusal(scope, object);
      if (expected) expect(why).toMatch(expected);
      else expect(why).toBeNull();
    });
  }

  it('one line opts in: allowProtected names a category (or "*" for all three)', () => {
    const system = scopeOf({ default: { allowProtected: ['systemNamespaces'] } });
    expect(refusal(system, cm('kube-system'))).toBeNull();
    expect(refusal(system, binding('ClusterRoleBinding', 'cluster-admin'))).toMatch(/clusterAdminBindings/);
    const all = scopeOf({ default: { allowProtected: ['*'] } });
    for (const o of [cm('kube-system'), binding('ClusterRoleBinding', 'cluster-admin'), webhook('MutatingWebhookConfiguration')])
      expect(refusal(all, o)).toBeNull();
  });

  it('a glob never opts in: namespaces.allow ["*"] or ["kube-*"] still refuses kube-system', () => {
    const wide = scopeOf({ default: { namespaces: { allow: ['kube-*'] }, kinds: { allow: ['*'] } } });
    expect(refusal(wide, cm('kube-system'))).toMatch(/systemNamespaces/);
  });
});

describe('scope rules', () => {
  const scope = scopeOf({
    default: {
      namespaces: { allow: ['*'], deny: ['kube-*'] },
      kinds: { deny: ['rbac.authorization.k8s.io/ClusterRoleBinding'] },
      clusterScoped: true,
    },
    paths: [
      { path: 'teams/payments/', namespaces: { allow: ['payments-*'] }, clusterScoped: false },
      { path: 'teams/payments/platform', clusterScoped: true, kinds: { allow: ['v1/*', 'apps/*'], deny: [] } },
      { path: 'teams/search', kinds: { allow: ['ConfigMap'] } },
    ],
  });

  it('the longest path prefix wins, by whole folders; other files get scope.default', () => {
    expect(effectiveScope(scope, 'teams/payments/app.yaml').clusterScoped).toEqual({ value: false, at: 'scope.paths[0].clusterScoped' });
    expect(effectiveScope(scope, 'teams/payments/platform/ns.yaml').clusterScoped).toEqual({
      value: true,
      at: 'scope.paths[1].clusterScoped',
    });
    // "teams/payments-old" is not inside "teams/payments".
    expect(effectiveScope(scope, 'teams/payments-old/app.yaml').clusterScoped.at).toBe('scope.default.clusterScoped');
  });

  it('what a path leaves out it inherits from scope.default (so the default deny still holds)', () => {
    const rule = effectiveScope(scope, 'teams/payments/app.yaml');
    expect(rule.namespaces.allow).toEqual({ value: ['payments-*'], at: 'scope.paths[0].namespaces.allow' });
    expect(rule.namespaces.deny).toEqual({ value: ['kube-*'], at: 'scope.default.namespaces.deny' });
    expect(rule.kinds.deny.at).toBe('scope.default.kinds.deny');
  });

  const cases: Array<[string, string, Obj, string | null]> = [
    ['payments in its namespace', 'teams/payments/app.yaml', deploy('payments-eu'), null],
    [
      'payments outside its namespaces',
      'teams/payments/app.yaml',
      deploy('orders'),
      'namespace orders is not in scope.paths[0].namespaces.allow [payments-*]',
    ],
    [
      'payments declaring a Namespace (cluster-scoped)',
      'teams/payments/ns.yaml',
      ns('payments-eu'),
      'Namespace is cluster-scoped and scope.paths[0].clusterScoped is false',
    ],
    ['payments platform declaring its Namespace', 'teams/payments/platform/ns.yaml', ns('payments-eu'), null],
    [
      'payments platform: a Namespace is judged by its name',
      'teams/payments/platform/ns.yaml',
      ns('kube-flannel'),
      'namespace kube-flannel matches scope.default.namespaces.deny "kube-*"',
    ],
    [
      'payments platform: kinds.allow',
      'teams/payments/platform/x.yaml',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'payments-a' } },
      'kind batch/Job is not in scope.paths[1].kinds.allow [v1/*, apps/*]',
    ],
    ['default: deny glob', 'apps/x.yaml', cm('kube-flannel'), 'namespace kube-flannel matches scope.default.namespaces.deny "kube-*"'],
    [
      'default: kind deny',
      'apps/x.yaml',
      binding('ClusterRoleBinding', 'view'),
      'kind rbac.authorization.k8s.io/ClusterRoleBinding matches scope.default.kinds.deny "rbac.authorization.k8s.io/ClusterRoleBinding"',
    ],
    ['search: a core kind as bare Kind', 'teams/search/cm.yaml', cm('search'), null],
    [
      'search: other kinds',
      'teams/search/d.yaml',
      deploy('search'),
      'kind apps/Deployment is not in scope.paths[2].kinds.allow [ConfigMap]',
    ],
  ];
  for (const [what, file, object, expected] of cases) {
    it(`${what} → ${expected ?? 'allowed'}`, () => expect(refusal(scope, object, file)).toBe(expected));
  }

  it('a judge of many objects says of each what its own rule says, whatever it judged before', () => {
    // The same types under other rules, Namespaces and bindings that differ only in name or role, in both orders.
    const objects: Array<[string, Obj]> = [
      ...cases.map(([, file, object]): [string, Obj] => [file, object]),
      ['teams/payments/app.yaml', deploy('payments-eu')],
      ['apps/other.yaml', deploy('orders')],
      ['teams/payments/platform/ns.yaml', ns('payments-eu')],
      ['teams/payments/platform/other.yaml', ns('kube-flannel')],
      ['apps/x.yaml', binding('RoleBinding', 'view', 'team')],
      ['apps/x.yaml', binding('RoleBinding', 'cluster-admin', 'team')],
    ];
    const annotated = objects.map(([file, object]): [string, Obj] => [
      file,
      { ...object, metadata: { ...(object.metadata as Obj), annotations: { [SOURCE_ANNOTATION]: file } } },
    ]);
    for (const order of [annotated, [...annotated].reverse()]) {
      const judge = new ScopeJudge(scope, []);
      for (const [file, object] of order) expect(judge.refuses(object), file).toBe(refusal(scope, object, file) !== null);
    }
  });

  it('the protected categories come first, and name the entry to widen', () => {
    expect(refusal(scope, cm('kube-system'), 'teams/payments/x.yaml')).toBe(
      'it is in the system namespace kube-system (allowed only where scope.default.allowProtected lists systemNamespaces)',
    );
  });
});

describe('config validation of scope: and impersonate: (every problem with its dot-path)', () => {
  function problems(raw: unknown): string[] {
    const out: string[] = [];
    readScope(raw, (at, message) => out.push(`${at}: ${message}`));
    return out;
  }

  it('reports wrong shapes, unknown keys, bad globs and kind patterns that would silently match nothing', () => {
    expect(
      problems({
        default: {
          namespaces: { allow: ['Payments'] },
          kinds: { deny: ['ClusterRoleBinding', 'apps/v1/Deployment', 'core/Secret'] },
          typo: 1,
        },
        paths: [
          { path: '../outside' },
          { path: 'teams/a', clusterScoped: 'no', allowProtected: ['everything'] },
          { path: 'teams/a/' },
          { path: 'teams/b', impersonate: { user: 'x', serviceAccount: 'ns/sa' } },
          { path: 'teams/c', impersonate: { serviceAccount: 'not-a-ref' } },
        ],
      }),
    ).toEqual([
      'scope.default.typo: unknown field (expected one of namespaces, kinds, clusterScoped, allowProtected)',
      'scope.default.namespaces.allow[0]: "Payments" is not a namespace or a glob of one (lower-case letters, digits, -, * and ?)',
      'scope.default.kinds.deny[0]: "ClusterRoleBinding" names the core group, which has no ClusterRoleBinding: write ' +
        '"rbac.authorization.k8s.io/ClusterRoleBinding" (or "*/ClusterRoleBinding" for every group)',
      'scope.default.kinds.deny[1]: "apps/v1/Deployment": write group/Kind without the version (e.g. apps/Deployment; core kinds as ' +
        'Kind or v1/Kind)',
      'scope.default.kinds.deny[2]: "core/Secret": the core group has no name; write "Secret" or "v1/Secret"',
      'scope.paths[0].path: must be a folder or file inside the repository, relative to its root (got "../outside"); scope.default ' +
        'covers the whole repository',
      'scope.paths[1].clusterScoped: must be true or false',
      'scope.paths[1].allowProtected[0]: must be one of systemNamespaces, clusterAdminBindings, admissionWebhooks or "*" (got ' +
        '"everything")',
      'scope.paths[2].path: "teams/a" is already scope.paths[1]',
      'scope.paths[3].impersonate: name either user or serviceAccount, not both',
      'scope.paths[4].impersonate.serviceAccount: must be namespace/name of a ServiceAccount',
    ]);
  });
});

const ADMIN = `apiVersion: v1
kind: ConfigMap
metadata: {name: fine, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pwned}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
`;

describe('withScope on a render', () => {
  const render = (files: Record<string, string>) =>
    renderFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'worktree' });

  it('refused: one SCOPE_DENIED per template at its file:line (not one per cluster), taken out of every cluster', () => {
    const result = withScope(render({ 'fleet.yaml': FLEET, 'admin.yaml': ADMIN }), defaultScope());
    expect(result.diagnostics.filter((d) => d.code === 'SCOPE_DENIED')).toEqual([
      {
        severity: 'error',
        code: 'SCOPE_DENIED',
        message:
          'ClusterRoleBinding pwned is outside the scope: it grants the cluster-admin ClusterRole (allowed only where ' +
          'scope.default.allowProtected lists clusterAdminBindings)',
        file: 'admin.yaml',
        line: 5,
        column: 1,
      },
    ]);
    for (const cluster of ['east', 'west'])
      expect(result.manifests[cluster]!.map((o) => `${o.kind}/${(o.metadata as Obj).name}`)).toEqual(['ConfigMap/fine']);
  });

  it('nothing refused: the very same result (the reconciler keeps its caches)', () => {
    const plain = render({ 'fleet.yaml': FLEET, 'admin.yaml': ADMIN.split('---')[0]! });
    expect(withScope(plain, defaultScope())).toBe(plain);
  });

  it('an OverridePolicy moving an object into kube-system is judged after the override, at the template', () => {
    const override = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: sneaky}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: fine}]
  overrideRules:
  - targetCluster: {clusterNames: [west]}
    overriders:
      plaintext: [{path: /metadata/namespace, operator: replace, value: kube-system}]
`;
    const raw = render({ 'fleet.yaml': FLEET, 'cm.yaml': ADMIN.split('---')[0]!, 'override.yaml': override });
    const check = checkScope(defaultScope(), { manifests: raw.manifests, resources: raw.model.resources });
    expect(check.diagnostics.map((d) => `${d.file}:${d.line} ${d.message.split(':')[0]}`)).toEqual([
      'cm.yaml:1 ConfigMap kube-system/fine is outside the scope',
    ]);
    const result = withScope(raw, defaultScope());
    expect(result.manifests.east!.map((o) => o.kind)).toEqual(['ConfigMap']);
    expect(result.manifests.west).toBeUndefined();
  });

  it("the documents that steer the fleet are judged by their file's rule too: a team's policy cannot rewrite another's objects", () => {
    const scope = scopeOf({ paths: [{ path: 'teams/web', namespaces: { allow: ['web'] }, clusterScoped: false }] });
    const platformConfig = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress, namespace: platform}\ndata: {image: ours}\n';
    const rewrite = (kind: string, namespace?: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: ${kind}
metadata: {name: hijack${namespace ? `, namespace: ${namespace}` : ''}}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: ingress}]
  overrideRules:
  - overriders:
      plaintext: [{path: /data/image, operator: replace, value: theirs}]
`;
    const place = `# the team's own placement, in its namespace
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: web}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
  placement: {clusterAffinity: {clusterNames: [east]}}
`;
    const cases: Array<[string, Record<string, string>, string[]]> = [
      [
        'a ClusterOverridePolicy',
        { 'teams/web/override.yaml': rewrite('ClusterOverridePolicy') },
        [
          'teams/web/override.yaml:1 ClusterOverridePolicy hijack is outside the scope: policy.karmada.io/ClusterOverridePolicy ' +
            'is cluster-scoped and scope.paths[0].clusterScoped is false',
          // And what it did to the platform's object, judged by the same rule.
          'teams/web/override.yaml:1 ClusterOverridePolicy hijack turns an object of platform/ingress.yaml into ConfigMap ' +
            "platform/ingress, which is outside the scope of the policy's file: namespace platform is not in " +
            'scope.paths[0].namespaces.allow [web]',
        ],
      ],
      [
        "an OverridePolicy in another team's namespace",
        { 'teams/web/override.yaml': rewrite('OverridePolicy', 'platform') },
        [
          'teams/web/override.yaml:1 OverridePolicy platform/hijack is outside the scope: namespace platform is not in ' +
            'scope.paths[0].namespaces.allow [web]',
          'teams/web/override.yaml:1 OverridePolicy platform/hijack turns an object of platform/ingress.yaml into ConfigMap ' +
            "platform/ingress, which is outside the scope of the policy's file: namespace platform is not in " +
            'scope.paths[0].namespaces.allow [web]',
        ],
      ],
      [
        'a Fleet of its own',
        { 'teams/web/fleet.yaml': FLEET.replace('name: pair', 'name: mine').replace('name: everything', 'name: theirs') },
        [
          "teams/web/fleet.yaml:3 Fleet kurator-system/mine is outside the scope: a Fleet sets the fleet's members and its default " +
            'placement, which only a path whose scope.paths[0].clusterScoped is true may write',
          'teams/web/fleet.yaml:11 ClusterPropagationPolicy theirs is outside the scope: policy.karmada.io/' +
            'ClusterPropagationPolicy is cluster-scoped and scope.paths[0].clusterScoped is false',
        ],
      ],
      [
        'a cluster declaration in its own namespace, tainting a member cluster',
        {
          'teams/web/cluster.yaml':
            'apiVersion: cluster.kurator.dev/v1alpha1\nkind: AttachedCluster\nmetadata: {name: east, namespace: web}\n' +
            'spec:\n  kubeconfig: {name: east, key: value}\n  taints: [{key: gone, effect: NoExecute}]\n',
        },
        [
          'teams/web/cluster.yaml:1 AttachedCluster web/east is outside the scope: a cluster declaration changes a member cluster ' +
            'for every path, which only a path whose scope.paths[0].clusterScoped is true may write',
        ],
      ],
      ['a PropagationPolicy in its own namespace', { 'teams/web/place.yaml': place }, []],
    ];
    for (const [what, files, expected] of cases) {
      const result = withScope(render({ 'fleet.yaml': FLEET, 'platform/ingress.yaml': platformConfig, ...files }), scope);
      const denied = result.diagnostics.filter((d) => d.code === 'SCOPE_DENIED').map((d) => `${d.file}:${d.line} ${d.message}`);
      expect(denied, what).toEqual(expected);
    }
    // The same judgement when a render is streamed a cluster at a time (render, validate, diff).
    const files = {
      'fleet.yaml': FLEET,
      'platform/ingress.yaml': platformConfig,
      'teams/web/override.yaml': rewrite('ClusterOverridePolicy'),
    };
    const streamed = streamFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'worktree' }, scope);
    for (const cluster of streamed.manifests()) void cluster;
    expect(
      streamed
        .diagnostics()
        .filter((d) => d.code === 'SCOPE_DENIED')
        .map((d) => `${d.file}:${d.line}`),
    ).toEqual(['teams/web/override.yaml:1', 'teams/web/override.yaml:1']);
  });

  it("an override of one path that changes another path's object is judged by its own path's rule too, at the policy", () => {
    const scope = scopeOf({ paths: [{ path: 'teams/web', namespaces: { allow: ['web'] }, clusterScoped: false }] });
    // The platform's guardrails, placed in the team's namespace.
    const guardrails = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-devs, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: web-devs}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: web}
data: {pods: "10"}
`;
    const place = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: guardrails}
spec:
  resourceSelectors: [{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding}]
  placement: {clusterAffinity: {clusterNames: [east, west]}}
`;
    const override = (name: string, kind: string, ops: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: ${name}, namespace: web}
spec:
  resourceSelectors: [{apiVersion: ${kind === 'RoleBinding' ? 'rbac.authorization.k8s.io/v1' : 'v1'}, kind: ${kind}}]
  overrideRules:
  - targetCluster: {clusterNames: [west]}
    overriders:
      plaintext: ${ops}
`;
    const files = (team: Record<string, string>) => ({
      'fleet.yaml': FLEET,
      'platform/guardrails.yaml': guardrails,
      'platform/place.yaml': place,
      ...team,
    });
    const denied = (team: Record<string, string>) =>
      withScope(render(files(team)), scope)
        .diagnostics.filter((d) => d.code === 'SCOPE_DENIED')
        .map((d) => `${d.file}:${d.line} ${d.message}`);
    // Made cluster-wide on west: refused at the team's policy, naming the object it came from.
    const widen = override(
      'widen',
      'RoleBinding',
      '[{path: /kind, operator: replace, value: ClusterRoleBinding}, {path: /roleRef/name, operator: replace, value: admin}]',
    );
    expect(denied({ 'teams/web/widen.yaml': widen })).toEqual([
      'teams/web/widen.yaml:1 OverridePolicy web/widen turns an object of platform/guardrails.yaml into ClusterRoleBinding ' +
        "web/web-devs, which is outside the scope of the policy's file: rbac.authorization.k8s.io/ClusterRoleBinding is cluster-scoped " +
        'and scope.paths[0].clusterScoped is false',
    ]);
    // Moved into another team's namespace: refused likewise.
    const move = override('move', 'ConfigMap', '[{path: /metadata/namespace, operator: replace, value: payments}]');
    expect(denied({ 'teams/web/move.yaml': move })).toEqual([
      'teams/web/move.yaml:1 OverridePolicy web/move turns an object of platform/guardrails.yaml into ConfigMap payments/limits, ' +
        "which is outside the scope of the policy's file: namespace payments is not in scope.paths[0].namespaces.allow [web]",
    ]);
    // Renamed: another object, and the platform's would be deleted from the cluster by the team's say (red team).
    const rename = override('rename', 'ConfigMap', '[{path: /metadata/name, operator: replace, value: limits-gone}]');
    expect(denied({ 'teams/web/rename.yaml': rename })).toEqual([
      'teams/web/rename.yaml:1 OverridePolicy web/rename turns ConfigMap web/limits, an object of platform/guardrails.yaml, into ' +
        'ConfigMap web/limits-gone: an override of another path may change an object, not rename, move or re-kind it (flotilla ' +
        'would delete the original)',
    ]);
    // Changed within the team's own namespace: its rule allows it (a namespaced OverridePolicy acts on its namespace, as in Karmada).
    const relabel = override('relabel', 'ConfigMap', '[{path: /data/pods, operator: replace, value: "20"}]');
    expect(denied({ 'teams/web/relabel.yaml': relabel })).toEqual([]);
    // But not whether flotilla deletes the platform's object (red team: "true" turned the release of an adopted one into a delete).
    const prune = override('prune', 'ConfigMap', "[{path: /metadata/annotations, operator: add, value: {flotilla.dev/prune: 'true'}}]");
    expect(denied({ 'teams/web/prune.yaml': prune })).toEqual([
      'teams/web/prune.yaml:1 OverridePolicy web/prune changes flotilla.dev/prune of ConfigMap web/limits, an object of ' +
        "platform/guardrails.yaml: whether flotilla deletes an object is for the object's own file or scope.default's to say",
    ]);
    // The platform's own cluster-wide override of the team's objects is judged by the platform's rule: allowed.
    const platformOverride = override(
      'registry',
      'ConfigMap',
      '[{path: /data/registry, operator: add, value: mirror}, ' +
        "{path: /metadata/annotations, operator: add, value: {flotilla.dev/prune: 'false'}}]",
    )
      .replace('kind: OverridePolicy', 'kind: ClusterOverridePolicy')
      .replace(', namespace: web}', '}');
    expect(
      denied({
        'platform/registry.yaml': platformOverride,
        'teams/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: web}\ndata: {a: b}\n',
      }),
    ).toEqual([]);
    // (It did change the team's object on west: the registry and the prune annotation.)
    const west = render(
      files({
        'platform/registry.yaml': platformOverride,
        'teams/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: web}\ndata: {a: b}\n',
      }),
    ).manifests.west!.find((o) => (o.metadata as { name: string }).name === 'mine')!;
    expect(west).toMatchObject({ data: { registry: 'mirror' }, metadata: { annotations: { 'flotilla.dev/prune': 'false' } } });
  });

  it("a team's policy places only the team's objects, not the platform's in its namespace (red team)", () => {
    const scope = scopeOf({ paths: [{ path: 'teams/web', namespaces: { allow: ['web'] }, clusterScoped: false }] });
    const claim = (name: string, selector: string, spec = '') => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: ${name}, namespace: web}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap${selector}}]
  placement: {clusterAffinity: {clusterNames: [east]}}
${spec}`;
    const denied = (team: Record<string, string>) =>
      withScope(
        render({
          'fleet.yaml': FLEET,
          'platform/shared.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: web}\ndata: {a: ours}\n',
          'teams/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: web}\ndata: {a: b}\n',
          ...team,
        }),
        scope,
      )
        .diagnostics.filter((d) => d.code === 'SCOPE_DENIED')
        .map((d) => `${d.file}:${d.line} ${d.message}`);
    // Its own objects: placed as it says, Overwrite included.
    expect(denied({ 'teams/web/place.yaml': claim('place', ', name: mine', '  conflictResolution: Overwrite\n') })).toEqual([]);
    // Karmada's rule would let it claim every ConfigMap of its namespace, and so move the platform's off west (flotilla would
    // delete it there), suspend it, keep it when dropped, or take over another tool's object under its name.
    const refused =
      'teams/web/place.yaml:1 PropagationPolicy web/grab claims ConfigMap web/shared, an object of platform/shared.yaml: a scope ' +
      "path's policies place only that path's objects (where another's runs, and whether it is kept, suspended, taken over or " +
      "deleted, is for its own file or scope.default's policies to decide)";
    expect(denied({ 'teams/web/place.yaml': claim('grab', '') })).toEqual([refused]);
    expect(
      denied({ 'teams/web/place.yaml': claim('grab', ', name: shared', '  conflictResolution: Overwrite\n  preemption: Always\n') }),
    ).toEqual([refused]);
  });

  it("an override that renames an object onto another's identity on a cluster places neither (DUPLICATE_RESOURCE)", () => {
    const scope = scopeOf({ paths: [{ path: 'teams/web', namespaces: { allow: ['web'] }, clusterScoped: false }] });
    const files = {
      'fleet.yaml': FLEET,
      'platform/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: web}\ndata: {a: ours}\n',
      'teams/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: web}\ndata: {a: theirs}\n',
      'teams/web/rename.yaml': `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: rename, namespace: web}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: mine}]
  overrideRules:
  - overriders:
      plaintext: [{path: /metadata/name, operator: replace, value: settings}]
`,
    };
    const result = withScope(render(files), scope);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([
      'DUPLICATE_RESOURCE ConfigMap web/settings would be written to one file on a cluster, web/configmap-settings.yaml (from ' +
        'platform/settings.yaml and teams/web/cm.yaml): one file of a cluster has one object, so none of them is placed',
    ]);
    for (const cluster of ['east', 'west']) expect((result.manifests[cluster] ?? []).filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    const streamed = streamFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'worktree' }, scope);
    const placed = [...streamed.manifests()].flatMap(([, objects]) => objects.filter((o) => o.kind === 'ConfigMap'));
    expect(placed).toEqual([]);
    expect(streamed.diagnostics().filter((d) => d.code === 'DUPLICATE_RESOURCE')).toHaveLength(1);
  });

  it("a kind spelled to meet another object's file (ResourceQuota-web named quota) places neither", () => {
    const files = {
      'fleet.yaml': FLEET.replace(
        '{apiVersion: v1, kind: ConfigMap}',
        '{apiVersion: v1, kind: ConfigMap}\n  - {apiVersion: v1, kind: ResourceQuota}\n  - {apiVersion: v1, kind: ResourceQuota-web}',
      ),
      'platform/quota.yaml':
        'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: web-quota, namespace: web}\nspec: {hard: {pods: "10"}}\n',
      'teams/web/quota.yaml':
        'apiVersion: v1\nkind: ResourceQuota-web\nmetadata: {name: quota, namespace: web}\nspec: {hard: {pods: "100000"}}\n',
    };
    const result = withScope(render(files), defaultScope());
    expect(result.diagnostics.filter((d) => d.code === 'DUPLICATE_RESOURCE').map((d) => d.message)).toEqual([
      'ResourceQuota web/web-quota and ResourceQuota-web web/quota would be written to one file on a cluster, ' +
        'web/resourcequota-web-quota.yaml (from platform/quota.yaml and teams/web/quota.yaml): one file of a ' +
        'cluster has one object, so none of them is placed',
    ]);
    for (const cluster of ['east', 'west'])
      expect((result.manifests[cluster] ?? []).filter((o) => String(o.kind).startsWith('Resource'))).toEqual([]);
  });

  it('a generated Namespace needed only by refused objects goes with them', () => {
    const scope = scopeOf({ paths: [{ path: 'teams/a', namespaces: { allow: ['team-a'] } }] });
    const files = {
      'fleet.yaml': FLEET,
      'teams/a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: orders}\n',
    };
    const raw = render(files);
    expect(raw.manifests.east!.map((o) => o.kind)).toEqual(['Namespace', 'ConfigMap']);
    const result = withScope(raw, scope);
    expect(result.diagnostics.filter((d) => d.code === 'SCOPE_DENIED').map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual([
      'teams/a/cm.yaml:1 ConfigMap orders/x is outside the scope: namespace orders is not in scope.paths[0].namespaces.allow [team-a]',
    ]);
    expect(result.manifests).toEqual({});
  });
});
