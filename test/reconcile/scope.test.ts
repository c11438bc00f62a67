// Scope and impersonation in the reconciler (issue 11), against real git repositories and test API
// servers (test doubles of kube-apiserver): a revision with an object outside the scope is Invalid
// before anything is written, with SCOPE_DENIED at its file:line in the status and not one request
// to the clusters for it; with impersonation every request carries its identity and the member
// cluster's RBAC (the server's stand-in) refuses what that identity may not write.
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { CLUSTER_POLICY_CRD, VIRTUAL_SERVICE_CRD, clearRequests, writes } from '../kube/harness.js';
import type { TestApiServerOptions } from '../kube/server/index.js';
import { configFrom, reconcilerFor } from './harness.js';
import { SCOPE_FLEET as FLEET } from '../helpers/scope-fleet.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

/** Places Kyverno's ClusterPolicies (a kind whose CRD the clusters got elsewhere) on east and west. */
const KYVERNO_EVERYWHERE = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: kyverno}
spec:
  resourceSelectors: [{apiVersion: kyverno.io/v1, kind: ClusterPolicy}]
  placement: {clusterAffinity: {clusterNames: [east, west]}}
`;
const configMap = (namespace: string, name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\ndata: {value: "${value}"}\n`;
const ADMIN = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pwned}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: default}]
---
${configMap('kube-system', 'coredns', 'hijacked')}`;

function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock {
  let now = start;
  return { now: () => (now += 1000), sleep: async () => undefined };
}

let fleet: TestFleet | null = null;
afterEach(async () => {
  await fleet?.close();
  fleet = null;
});

/** A repository with `files`, test API servers east and west, and a reconciler with `extra` config appended. */
async function setup(files: Record<string, string>, extra = '', kube = '', server: Omit<TestApiServerOptions, 'name'> = {}) {
  fleet = await startFleetApiServers(['east', 'west'], { autoReady: true, namespaceDeletionDelayMs: 0, ...server });
  const { dir } = await makeRepo(files);
  const text = `source: {url: ${dir}, cacheDir: cache}
targets:
  - kubernetes:
      kubeconfig: ${fleet.kubeconfigPath}
      timeoutSeconds: 2${kube}
${extra}`;
  const { reconciler } = await reconcilerFor(configFrom(text, await makeTempDir('flotilla-scope-')), { clock: manualClock() });
  return { dir, reconciler, fleet };
}

async function statusAt(dir: string): Promise<Obj> {
  return parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
}

const valueOn = (f: TestFleet, cluster: string, ns: string, name: string) =>
  (f.servers.get(cluster)!.getObject('v1', 'ConfigMap', ns, name) as Obj | undefined)?.data?.value;

describe('scope in the reconciler', () => {
  it('safe defaults: a cluster-admin binding and a kube-system ConfigMap make the revision Invalid, zero requests for them', async () => {
    const { dir, reconciler, fleet } = await setup({ 'fleet.yaml': FLEET, 'apps/web.yaml': configMap('default', 'web', 'v1') });
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect(valueOn(fleet, 'east', 'default', 'web')).toBe('v1');
    clearRequests(fleet);

    const bad = await commitFiles(dir, { 'evil/admin.yaml': ADMIN, 'apps/web.yaml': configMap('default', 'web', 'v2') }, 'take over');
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ revision: bad, phase: 'Invalid', stage: 'render', reason: 'InvalidRevision' });
    expect(o.message).toContain('evil/admin.yaml:1 SCOPE_DENIED: ClusterRoleBinding pwned is outside the scope');
    // Nothing of the revision is applied — not the refused objects, not the harmless change beside them.
    expect(writes(fleet)).toEqual([]);
    const touched = [...fleet.servers.values()].flatMap((s) => s.requests.map((r) => r.path));
    expect(touched.filter((p) => /clusterrolebindings|kube-system/.test(p))).toEqual([]);
    expect(valueOn(fleet, 'west', 'default', 'web')).toBe('v1');
    expect(fleet.servers.get('east')!.getObject('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'pwned')).toBeUndefined();

    const status = await statusAt(dir);
    expect(status).toMatchObject({ phase: 'Invalid', sourceRevision: bad });
    expect(status.diagnostics.filter((d: Obj) => d.code === 'SCOPE_DENIED').map((d: Obj) => `${d.file}:${d.line} ${d.message}`)).toEqual([
      'evil/admin.yaml:1 ClusterRoleBinding pwned is outside the scope: it grants the cluster-admin ClusterRole (allowed only where ' +
        'scope.default.allowProtected lists clusterAdminBindings)',
      'evil/admin.yaml:7 ConfigMap kube-system/coredns is outside the scope: it is in the system namespace kube-system (allowed only ' +
        'where scope.default.allowProtected lists systemNamespaces)',
    ]);
  });

  it('the one-line opt-in lets the operator place kube-system objects', async () => {
    const { reconciler, fleet } = await setup(
      { 'fleet.yaml': FLEET, 'system/coredns.yaml': configMap('kube-system', 'coredns', 'ours') },
      'scope: {default: {allowProtected: [systemNamespaces]}}\n',
    );
    fleet.servers.get('east')!.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
    fleet.servers.get('west')!.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect(valueOn(fleet, 'east', 'kube-system', 'coredns')).toBe('ours');
  });

  it('a scoped path writing outside its namespaces is refused at its file:line, naming the rule', async () => {
    const { dir, reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'teams/payments/app.yaml': configMap('payments', 'app', 'ok'),
        'teams/payments/orders.yaml': `# the orders team's namespace\n${configMap('orders', 'steal', 'x')}`,
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}, clusterScoped: false}\n',
    );
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Invalid', reason: 'InvalidRevision' });
    expect(writes(fleet)).toEqual([]);
    const denied = (await statusAt(dir)).diagnostics.filter((d: Obj) => d.code === 'SCOPE_DENIED');
    expect(denied.map((d: Obj) => `${d.file}:${d.line} ${d.message}`)).toEqual([
      'teams/payments/orders.yaml:2 ConfigMap orders/steal is outside the scope: namespace orders is not in ' +
        'scope.paths[0].namespaces.allow [payments]',
    ]);
  });

  it("a team's policy that would rewrite another path's object makes the revision Invalid: nothing of it is applied", async () => {
    const { dir, reconciler, fleet } = await setup(
      { 'fleet.yaml': FLEET, 'platform/ingress.yaml': configMap('platform', 'ingress', 'ours') },
      'scope:\n  paths:\n    - {path: teams/web/, namespaces: {allow: [web]}, clusterScoped: false}\n',
    );
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    clearRequests(fleet);
    const hijack = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: hijack}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: ingress}]
  overrideRules:
  - overriders:
      plaintext: [{path: /data/value, operator: replace, value: theirs}]
`;
    const bad = await commitFiles(dir, { 'teams/web/override.yaml': hijack }, 'a team override');
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ revision: bad, phase: 'Invalid', reason: 'InvalidRevision' });
    expect(o.message).toContain(
      'teams/web/override.yaml:1 SCOPE_DENIED: ClusterOverridePolicy hijack is outside the scope: ' +
        'policy.karmada.io/ClusterOverridePolicy is cluster-scoped and scope.paths[0].clusterScoped is false',
    );
    expect(writes(fleet)).toEqual([]);
    expect(valueOn(fleet, 'east', 'platform', 'ingress')).toBe('ours');

    // A namespaced OverridePolicy in the team's own namespace, moving the platform's object there into another: Invalid too.
    await commitFiles(dir, { 'teams/web/override.yaml': null, 'platform/limits.yaml': configMap('web', 'limits', '10') }, 'limits');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    clearRequests(fleet);
    const move = hijack
      .replace('kind: ClusterOverridePolicy', 'kind: OverridePolicy')
      .replace('{name: hijack}', '{name: move, namespace: web}')
      .replace('name: ingress}', 'name: limits}')
      .replace('{path: /data/value, operator: replace, value: theirs}', '{path: /metadata/namespace, operator: replace, value: platform}');
    await commitFiles(dir, { 'teams/web/move.yaml': move }, 'move it');
    const moved = await reconciler.reconcileOnce();
    expect(moved).toMatchObject({ phase: 'Invalid', reason: 'InvalidRevision' });
    expect(moved.message).toContain('teams/web/move.yaml:1 SCOPE_DENIED: OverridePolicy web/move turns an object of platform/limits.yaml');
    expect(writes(fleet)).toEqual([]);
    expect(valueOn(fleet, 'west', 'web', 'limits')).toBe('10');
  });

  it('a kind the clusters serve cluster-wide but the repository does not declare is judged again before it is sent', async () => {
    // Kyverno's ClusterPolicy: installed on the clusters by someone else, its CRD not in the repository.
    const policy = (name: string) =>
      `apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: ${name}, namespace: payments}\nspec: {rules: []}\n`;
    const { reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'kyverno.yaml': KYVERNO_EVERYWHERE,
        'teams/payments/app.yaml': configMap('payments', 'app', 'v1'),
        // In the payments team's namespace, as the render reads it; the clusters would place it for all of them.
        'teams/payments/policy.yaml': policy('mutate-everything'),
        'platform/policy.yaml': policy('platform-baseline'),
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}, clusterScoped: false}\n',
    );
    for (const server of fleet.servers.values()) server.putObject(CLUSTER_POLICY_CRD);
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    expect(o.message).toContain(
      'this cluster serves kyverno.io/v1 ClusterPolicy cluster-wide, which the repository does not declare (no CRD of it), so the ' +
        'render judged it in namespace payments; as a cluster-scoped object it is outside the scope: kyverno.io/ClusterPolicy is ' +
        'cluster-scoped and scope.paths[0].clusterScoped is false',
    );
    for (const server of fleet.servers.values()) {
      // Not one request writes it; the path the scope allows cluster-wide objects is applied, as is the team's ConfigMap.
      expect(server.writeRequests().filter((r) => r.path.includes('mutate-everything'))).toEqual([]);
      expect(server.getObject('kyverno.io/v1', 'ClusterPolicy', undefined, 'mutate-everything')).toBeUndefined();
      expect(server.getObject('kyverno.io/v1', 'ClusterPolicy', undefined, 'platform-baseline')).toBeDefined();
      expect(server.getObject('v1', 'ConfigMap', 'payments', 'app')).toBeDefined();
    }
  });
});

describe('an override of another path, on a kind the clusters serve cluster-wide', () => {
  it("a team's OverridePolicy that changes the platform's cluster-wide object is refused before it is sent (red team)", async () => {
    // The platform's baseline, in the team's namespace as the render reads it (a kustomize namespace transformer, say).
    const baseline =
      'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: baseline, namespace: payments}\n' +
      'spec: {validationFailureAction: Enforce}\n';
    const { dir, reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'kyverno.yaml': KYVERNO_EVERYWHERE,
        'platform/baseline.yaml': baseline,
        'teams/payments/app.yaml': configMap('payments', 'app', 'v1'),
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}, clusterScoped: false}\n',
    );
    for (const server of fleet.servers.values()) server.putObject(CLUSTER_POLICY_CRD);
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const relax = `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: relax, namespace: payments}
spec:
  resourceSelectors: [{apiVersion: kyverno.io/v1, kind: ClusterPolicy, name: baseline}]
  overrideRules:
  - overriders:
      plaintext: [{path: /spec/validationFailureAction, operator: replace, value: Audit}]
`;
    await commitFiles(dir, { 'teams/payments/relax.yaml': relax }, 'team: relax the baseline');
    clearRequests(fleet);
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    expect(o.message).toContain(
      "an override policy of teams/payments/relax.yaml changed it, and by that file's rule kyverno.io/ClusterPolicy is " +
        'cluster-scoped and scope.paths[0].clusterScoped is false',
    );
    for (const server of fleet.servers.values()) {
      expect(server.writeRequests().filter((r) => r.path.includes('clusterpolicies'))).toEqual([]);
      expect((server.getObject('kyverno.io/v1', 'ClusterPolicy', undefined, 'baseline') as Obj).spec.validationFailureAction).toBe(
        'Enforce',
      );
    }
  });
});

describe("a kind the target's identity may not list", () => {
  it("fails that kind's objects on that cluster only: the other paths' changes are applied, the cluster reachable (red team)", async () => {
    const { dir, reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'platform/web.yaml': configMap('platform', 'web', 'v1'),
        'teams/payments/app.yaml': configMap('payments', 'app', 'v1'),
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}, clusterScoped: false}\n',
    );
    for (const server of fleet.servers.values()) server.putObject(VIRTUAL_SERVICE_CRD);
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    // The cluster's RBAC: the target's identity may neither list VirtualServices cluster-wide nor read one.
    const forbidVirtualServices = (cluster: string) =>
      fleet.servers.get(cluster)!.addFault({
        action: 'status',
        status: 403,
        method: 'GET',
        path: /^\/apis\/networking\.istio\.io\/v1beta1\/(namespaces\/payments\/)?virtualservices(\/pay)?$/,
        message: 'virtualservices.networking.istio.io is forbidden: User "flotilla" cannot list resource "virtualservices"',
      });
    forbidVirtualServices('east');
    const vs = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: pay, namespace: payments}
spec: {hosts: [pay], http: [{route: [{destination: {host: pay}}]}]}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: vs, namespace: payments}
spec:
  resourceSelectors: [{apiVersion: networking.istio.io/v1beta1, kind: VirtualService}]
  placement: {clusterAffinity: {clusterNames: [east, west]}}
`;
    // One poll: the platform's fix and the team's VirtualService.
    await commitFiles(dir, { 'platform/web.yaml': configMap('platform', 'web', 'v2'), 'teams/payments/vs.yaml': vs }, 'both');
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    expect(valueOn(fleet, 'east', 'platform', 'web')).toBe('v2');
    expect(valueOn(fleet, 'west', 'platform', 'web')).toBe('v2');
    expect(fleet.servers.get('east')!.getObject('networking.istio.io/v1beta1', 'VirtualService', 'payments', 'pay')).toBeUndefined();
    expect(fleet.servers.get('west')!.getObject('networking.istio.io/v1beta1', 'VirtualService', 'payments', 'pay')).toBeDefined();
    expect(o.message).toContain('east: 1 object failed (first: VirtualService payments/pay: not applied: cannot read it:');
    const status = await statusAt(dir);
    expect(status.clusters.east).toMatchObject({ reachable: true, failed: 1 });
    // west applied it; now west may not read it either, and the team removes it: not pruned blind, kept, and said so.
    forbidVirtualServices('west');
    await commitFiles(
      dir,
      { 'platform/web.yaml': configMap('platform', 'web', 'v3'), 'teams/payments/vs.yaml': null },
      'drop the VirtualService',
    );
    const dropped = await reconciler.reconcileOnce();
    expect(dropped.message).toContain('west: 1 object failed (first: VirtualService payments/pay: not pruned: cannot read it:');
    expect(fleet.servers.get('west')!.getObject('networking.istio.io/v1beta1', 'VirtualService', 'payments', 'pay')).toBeDefined();
    expect(valueOn(fleet, 'west', 'platform', 'web')).toBe('v3');
    expect((await statusAt(dir)).clusters.west).toMatchObject({ reachable: true, failed: 1 });
  });
});

describe('an object flotilla handed off (flotilla.dev/prune "false")', () => {
  it("declared again by another path, it is refused as someone else's: not overwritten, never deleted (red team)", async () => {
    const kept = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ledger, namespace: payments, annotations: {flotilla.dev/prune: "false"}}\n` +
      `data: {value: "${value}"}\n`;
    const fillers = Object.fromEntries(
      [0, 1, 2, 3, 4, 5].map((i) => [`platform/filler-${i}.yaml`, configMap('platform', `filler-${i}`, 'x')]),
    );
    const { dir, reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        ...fillers,
        'platform/ledger.yaml': kept('platform-data'),
        'teams/payments/app.yaml': configMap('payments', 'app', 'v1'),
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}, clusterScoped: false}\n',
    );
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    // The platform hands the ledger off: dropped from the repository, kept on the clusters as it is.
    await commitFiles(dir, { 'platform/ledger.yaml': null }, 'platform: hand the ledger off');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    // Helm manages its data since.
    for (const server of fleet.servers.values()) {
      const live = server.getObject('v1', 'ConfigMap', 'payments', 'ledger') as Obj;
      server.putObject({ ...live, data: { value: 'helm-data' } }, 'helm');
    }
    await commitFiles(dir, { 'teams/payments/ledger.yaml': configMap('payments', 'ledger', 'team-data') }, 'team: claim the ledger');
    const claim = await reconciler.reconcileOnce();
    expect(claim).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    expect(claim.message).toContain('ConfigMap payments/ledger already exists on cluster east and flotilla handed it off');
    expect(valueOn(fleet, 'east', 'payments', 'ledger')).toBe('helm-data');
    await commitFiles(dir, { 'teams/payments/ledger.yaml': null }, 'team: drop the ledger');
    await reconciler.reconcileOnce();
    for (const server of fleet.servers.values()) expect(server.writeRequests().filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(valueOn(fleet, 'west', 'payments', 'ledger')).toBe('helm-data');
  });
});

describe('impersonation in the reconciler', () => {
  it("every request carries its identity; a path's identity writes its objects; the cluster refuses writes outside", async () => {
    const { reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'apps/web.yaml': configMap('default', 'web', 'v1'),
        'teams/payments/app.yaml': configMap('payments', 'app', 'v1'),
        'teams/payments/cache.yaml': configMap('shared', 'cache', 'v1'),
      },
      `scope:
  paths:
    - path: teams/payments
      namespaces: {allow: [payments, shared]}
      impersonate: {user: payments-deployer}
`,
      '\n      impersonate: {user: flotilla-deployer, groups: [flotilla]}',
      {
        // The member clusters' RBAC: only impersonated writes, each identity in its namespaces.
        impersonation: {
          require: true,
          rules: [
            { user: 'flotilla-deployer', namespaces: ['default'], clusterScoped: true },
            { user: 'payments-deployer', namespaces: ['payments'] },
          ],
        },
      },
    );
    const o = await reconciler.reconcileOnce();
    // The one refused object fails its cluster's apply; the others are written.
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    for (const server of fleet.servers.values()) {
      expect(server.requests.length).toBeGreaterThan(0);
      expect(server.requests.filter((r) => r.impersonate === undefined)).toEqual([]);
      const writesBy = server
        .writeRequests()
        .filter((r) => !r.dryRun)
        .map((r) => `${r.method} ${r.path} ${r.status} as ${r.impersonate!.user}`)
        .sort();
      expect(writesBy).toEqual([
        'PATCH /api/v1/namespaces/default/configmaps/web 201 as flotilla-deployer',
        // Namespaces flotilla generates for the objects are the target identity's.
        'PATCH /api/v1/namespaces/payments 201 as flotilla-deployer',
        'PATCH /api/v1/namespaces/payments/configmaps/app 201 as payments-deployer',
        'PATCH /api/v1/namespaces/shared 201 as flotilla-deployer',
        'PATCH /api/v1/namespaces/shared/configmaps/cache 403 as payments-deployer',
      ]);
      expect(server.getObject('v1', 'ConfigMap', 'shared', 'cache')).toBeUndefined();
    }
    expect(valueOn(fleet, 'east', 'payments', 'app')).toBe('v1');
    expect(valueOn(fleet, 'west', 'default', 'web')).toBe('v1');
    expect(o.message).toContain('User "payments-deployer" cannot patch resource "configmaps" in API group "" in the namespace "shared"');
  });

  it("a team's override of the platform's object is written as the team's identity: the cluster's RBAC decides (red team)", async () => {
    const { dir, reconciler, fleet } = await setup(
      {
        'fleet.yaml': FLEET,
        'platform/limits.yaml': configMap('payments-a', 'limits', 'cpu=2'),
        'teams/payments/app.yaml': configMap('payments-b', 'app', 'v1'),
      },
      'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments-*]}, impersonate: {user: payments-deployer}}\n',
      '\n      impersonate: {user: flotilla-deployer}',
      {
        impersonation: {
          require: true,
          rules: [
            { user: 'flotilla-deployer', namespaces: ['default', 'payments-a', 'payments-b'], clusterScoped: true },
            { user: 'payments-deployer', namespaces: ['payments-b'] },
          ],
        },
      },
    );
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    // In payments-a, which the scope gives the team: Karmada lets its OverridePolicy change what is there.
    const loosen = `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: loosen, namespace: payments-a}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: limits}]
  overrideRules:
  - overriders:
      plaintext: [{path: /data/value, operator: replace, value: "cpu=unlimited"}]
`;
    await commitFiles(dir, { 'teams/payments/loosen.yaml': loosen }, 'team: loosen the limits');
    clearRequests(fleet);
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', reason: 'TargetWriteFailed' });
    for (const server of fleet.servers.values()) {
      const writesBy = server
        .writeRequests()
        .filter((r) => !r.dryRun)
        .map((r) => `${r.method} ${r.path} ${r.status} as ${r.impersonate!.user}`);
      expect(writesBy).toEqual(['PATCH /api/v1/namespaces/payments-a/configmaps/limits 403 as payments-deployer']);
    }
    expect(valueOn(fleet, 'east', 'payments-a', 'limits')).toBe('cpu=2');
  });
});
