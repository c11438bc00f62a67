// What flotilla may take over and what it may delete, end to end: the reconciler applies a git
// repository to a test API server (a test double of kube-apiserver) that already holds objects
// flotilla did not create — kube-system/coredns (identical values: server-side apply would co-own
// it without a conflict) and the kube-system Namespace. Under the claiming policy's default
// conflictResolution Abort they are refused by name and the rest applies; under Overwrite they are
// adopted and, when the repository drops them, released — still there, flotilla's field manager,
// label and annotations gone — never deleted. preserveResourcesOnDeletion, flotilla.dev/prune
// "false" / "true" and the protected Namespaces are honoured, also after a restart that lost the
// inventory cache (the origin is on the objects themselves).
import { parse } from 'yaml';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { ADOPTED_ANNOTATION, MANAGED_LABEL } from '../../src/objects/tracking.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { kuratorFleetYaml } from '../helpers/fleet.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { clearRequests, writes } from '../kube/harness.js';
import type { KubeObject, TestApiServer } from '../kube/server/index.js';
import { configFrom, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

const COREFILE = '.:53 {\n    forward . /etc/resolv.conf\n}\n';

const FLEET = kuratorFleetYaml(['east']);

/** kube-system and its coredns ConfigMap (and, with `extra`, more objects), claimed by one ClusterPropagationPolicy. */
function platform(spec: string, extra: { documents: string; selectors: string } = { documents: '', selectors: '' }): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: ${JSON.stringify(COREFILE)}
${extra.documents}---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: platform}
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: Namespace, name: kube-system}
  - {apiVersion: v1, kind: ConfigMap, namespace: kube-system, name: coredns}
${extra.selectors}  placement: {clusterAffinity: {clusterNames: [east]}}
${spec}`;
}

const SHOP = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: shop, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: settings}]
  placement: {clusterAffinity: {clusterNames: [east]}}
`;

function config(dir: string, kubeconfig: string, cache: string): string {
  return `source: {url: ${dir}, cacheDir: ${cache}}
safety: {maxDeletePercent: 100}
# The scenario declares kube-system objects, which the safe defaults refuse: the operator opts in.
scope: {default: {allowProtected: [systemNamespaces]}}
targets:
  - kubernetes: {kubeconfig: ${kubeconfig}, timeoutSeconds: 2}
`;
}

type Meta = { labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: Array<{ manager: string }> };
const meta = (o: KubeObject | undefined): Meta => (o?.metadata ?? {}) as Meta;
const managers = (o: KubeObject | undefined) => (meta(o).managedFields ?? []).map((e) => e.manager);
const flotillaAnnotations = (o: KubeObject | undefined) =>
  Object.keys(meta(o).annotations ?? {}).filter((k) => k.startsWith('flotilla.dev/'));

describe('ownership on a live cluster (test API server)', () => {
  let fleet: TestFleet;
  let east: TestApiServer;

  beforeEach(async () => {
    fleet = await startFleetApiServers(['east'], { autoReady: true, namespaceDeletionDelayMs: 0 });
    east = fleet.servers.get('east')!;
    // What kubeadm put there: the same values the repository will declare.
    east.putObject(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: COREFILE } },
      'kubeadm',
    );
  });
  afterEach(async () => {
    await fleet?.close();
  });

  it('Abort (the default): coredns and kube-system are refused by name, the rest applies; dropping them deletes nothing', async () => {
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'platform.yaml': platform(''), 'shop.yaml': SHOP });
    const base = await makeTempDir('flotilla-ownership-');
    const { reconciler } = await reconcilerFor(configFrom(config(dir, fleet.kubeconfigPath, 'cache'), base), { clock: manualClock() });

    const first = await reconciler.reconcileOnce();
    // Its only cluster has failed objects: the pass says so (stage write), and the cluster says which.
    expect(first).toMatchObject({ stage: 'write', reason: 'TargetWriteFailed' });
    expect(first.message).toContain(
      'east: 2 objects failed (first: Namespace kube-system: Namespace kube-system already exists on cluster east and flotilla ' +
        'did not create it; conflictResolution Abort (policy ClusterPropagationPolicy//platform) does not take it over — ' +
        'set spec.conflictResolution: Overwrite on the policy to adopt it)',
    );
    // The rest of the cluster was applied.
    expect(east.getObject('v1', 'ConfigMap', 'shop', 'settings')).toBeDefined();
    // Neither object was written to: not a single request, so no field manager, label or annotation of flotilla's.
    const touched = writes(fleet).filter((w) => /kube-system/.test(w.path));
    expect(touched).toEqual([]);
    const coredns = east.getObject('v1', 'ConfigMap', 'kube-system', 'coredns');
    expect(managers(coredns)).toEqual(['kubeadm']);
    expect(meta(coredns).labels?.[MANAGED_LABEL]).toBeUndefined();
    expect(managers(east.getObject('v1', 'Namespace', undefined, 'kube-system'))).not.toContain('flotilla');
    const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as {
      clusters: Record<string, { failed: number; message: string }>;
    };
    expect(status.clusters.east!.failed).toBe(2);
    expect(status.clusters.east!.message).toMatch(/2 objects failed: .* already exists on cluster east and flotilla did not create it/);

    // The repository drops them: nothing is deleted (they were never flotilla's).
    clearRequests(fleet);
    await commitFiles(dir, { 'platform.yaml': null }, 'drop the platform objects');
    const second = await reconciler.reconcileOnce();
    expect(second.phase).toBe('Synced');
    expect(writes(fleet).filter((w) => w.method === 'DELETE')).toEqual([]);
    expect(east.getObject('v1', 'ConfigMap', 'kube-system', 'coredns')?.data).toEqual({ Corefile: COREFILE });
    expect(east.getObject('v1', 'Namespace', undefined, 'kube-system')).toBeDefined();
  });

  // The second pass runs in a restarted reconciler with an empty cache: what was adopted is known from the objects alone.
  it(
    'Overwrite adopts; dropped: adopted and preserved objects released, prune "false" kept, ' +
      'prune "true" deleted, protected Namespaces kept',
    async () => {
      east.deleteObject('v1', 'Namespace', undefined, 'kube-node-lease'); // so that flotilla creates it
      east.putObject(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: 'kube-system' }, data: { k: 'v' } },
        'kubectl',
      );
      const extra = {
        documents: `---
apiVersion: v1
kind: Namespace
metadata: {name: kube-node-lease}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: kube-system, annotations: {flotilla.dev/prune: "true"}}
data: {k: v}
`,
        selectors: `  - {apiVersion: v1, kind: Namespace, name: kube-node-lease}
  - {apiVersion: v1, kind: ConfigMap, namespace: kube-system, name: extra}
`,
      };
      const keep = `apiVersion: v1
kind: ConfigMap
metadata: {name: preserved, namespace: shop}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pinned, namespace: shop, annotations: {flotilla.dev/prune: "false"}}
data: {k: v}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: keep, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: preserved}, {apiVersion: v1, kind: ConfigMap, name: pinned}]
  placement: {clusterAffinity: {clusterNames: [east]}}
  preserveResourcesOnDeletion: true
`;
      const { dir } = await makeRepo({
        'fleet.yaml': FLEET,
        'platform.yaml': platform('  conflictResolution: Overwrite\n', extra),
        'shop.yaml': SHOP,
        'keep.yaml': keep,
      });
      const base = await makeTempDir('flotilla-ownership-');
      const first = await (
        await reconcilerFor(configFrom(config(dir, fleet.kubeconfigPath, 'cache-1'), base), { clock: manualClock() })
      ).reconciler.reconcileOnce();
      expect(first.phase).toBe('Synced');
      const adopted = east.getObject('v1', 'ConfigMap', 'kube-system', 'coredns');
      expect(managers(adopted)).toEqual(['kubeadm', 'flotilla']);
      expect(meta(adopted).annotations?.[ADOPTED_ANNOTATION]).toBe('true');
      expect(meta(east.getObject('v1', 'Namespace', undefined, 'kube-system')).annotations?.[ADOPTED_ANNOTATION]).toBe('true');
      // Created by flotilla: no mark.
      expect(meta(east.getObject('v1', 'Namespace', undefined, 'kube-node-lease')).annotations?.[ADOPTED_ANNOTATION]).toBeUndefined();

      // The repository drops all of it; a restarted reconciler with an empty cache (no inventory) applies that.
      await commitFiles(dir, { 'platform.yaml': null, 'keep.yaml': null }, 'drop everything but the shop');
      clearRequests(fleet);
      const restarted = (await reconcilerFor(configFrom(config(dir, fleet.kubeconfigPath, 'cache-2'), base), { clock: manualClock() }))
        .reconciler;
      const second = await restarted.reconcileOnce();
      expect(second.phase).toBe('Synced');
      expect(second.targets[0]!.message).toMatch(/4 objects released \(left on the clusters, no longer flotilla's\)/);

      // Released: still there with their data, nothing of flotilla's left on them.
      for (const [kind, ns, name] of [
        ['ConfigMap', 'kube-system', 'coredns'],
        ['Namespace', undefined, 'kube-system'],
        ['Namespace', undefined, 'kube-node-lease'],
        ['ConfigMap', 'shop', 'preserved'],
      ] as const) {
        const o = east.getObject('v1', kind, ns, name);
        expect(o, `${kind} ${name}`).toBeDefined();
        expect(managers(o), `${kind} ${name}`).not.toContain('flotilla');
        expect(meta(o).labels?.[MANAGED_LABEL], `${kind} ${name}`).toBeUndefined();
        expect(flotillaAnnotations(o), `${kind} ${name}`).toEqual([]);
      }
      expect(east.getObject('v1', 'ConfigMap', 'kube-system', 'coredns')?.data).toEqual({ Corefile: COREFILE });
      expect(managers(east.getObject('v1', 'ConfigMap', 'kube-system', 'coredns'))).toEqual(['kubeadm']);
      // prune "false": kept exactly as it was, flotilla's metadata included.
      const pinned = east.getObject('v1', 'ConfigMap', 'shop', 'pinned');
      expect(managers(pinned)).toContain('flotilla');
      // prune "true" on an adopted object: deleted. It is the only DELETE; releases are merge patches.
      expect(east.getObject('v1', 'ConfigMap', 'kube-system', 'extra')).toBeUndefined();
      const w = writes(fleet);
      expect(w.filter((x) => x.method === 'DELETE').map((x) => x.path)).toEqual(['/api/v1/namespaces/kube-system/configmaps/extra']);
      expect(w.filter((x) => x.method === 'PATCH' && x.path.includes('/namespaces/kube-node-lease'))).toHaveLength(1);

      // The next poll leaves them alone: they are no longer flotilla's.
      clearRequests(fleet);
      await restarted.reconcileOnce();
      expect(writes(fleet)).toEqual([]);
    },
  );
});
