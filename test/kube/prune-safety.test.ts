// Prune deletes only what flotilla owns: objects it created or applied (its server-side-apply entry
// in managedFields), never a foreign object that merely carries its label, never a Namespace or
// CRD whose deletion would cascade to foreign objects, and it does not forget an inventoried kind
// whose API is briefly not served. Driven against the test API server (test/kube/server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import type { TestApiServer } from './server/index.js';
import { KubeApi, DEFAULT_KUBE_API_OPTIONS, type KubeObject } from '../../src/kube/api.js';
import { kubeconfigTransport } from '../../src/kube/transport.js';
import { Discovery } from '../../src/kube/discovery.js';
import {
  syncCluster,
  refOf,
  DEFAULT_SYNC_OPTIONS,
  type ClusterSyncResult,
  type DesiredObject,
  type InventoryEntry,
} from '../../src/kube/sync.js';
import { CLUSTER_ANNOTATION, CONFLICT_RESOLUTION_ANNOTATION, MANAGED_LABEL, MANAGED_VALUE } from '../../src/objects/tracking.js';

let fleet: TestFleet;
let server: TestApiServer;
let api: KubeApi;
let discovery: Discovery;

beforeAll(async () => {
  fleet = await startFleetApiServers(['c1'], { namespaceDeletionDelayMs: 0 });
  server = fleet.servers.get('c1')!;
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfigText);
  kc.setCurrentContext('c1');
  const retry = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
  api = new KubeApi('c1', kubeconfigTransport(kc), { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: 2000, retry });
  discovery = new Discovery(api);
});
afterAll(async () => {
  api.close();
  await fleet.close();
});

const labels = { [MANAGED_LABEL]: MANAGED_VALUE };
// Every rendered object names the member cluster it was rendered for (render-fleet.ts).
const annotations = { [CLUSTER_ANNOTATION]: 'c1' };

function desired(o: KubeObject, changed = true): DesiredObject {
  const { id, ref } = refOf(o);
  return { id, ref, object: o, changed };
}

function entryOf(o: KubeObject): InventoryEntry {
  const { id, ref } = refOf(o);
  return { id, ...ref };
}

function pass(d: DesiredObject[], inventory: readonly InventoryEntry[]): Promise<ClusterSyncResult> {
  return syncCluster({ api, discovery, desired: d, inventory, pruneAllowed: true, options: DEFAULT_SYNC_OPTIONS });
}

function actionOf(r: ClusterSyncResult, o: KubeObject): { action: string; message: string | null } | undefined {
  const hit = r.objects.find((x) => x.id === refOf(o).id);
  return hit && { action: hit.action, message: hit.message };
}

const ids = (inv: readonly InventoryEntry[]) => inv.map((e) => e.id);

function namespace(name: string, withLabel = true): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: withLabel ? { name, labels, annotations } : { name } };
}

function configMap(ns: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels, annotations }, data };
}

function widgetCrd(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}`, labels, annotations },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

function widget(group: string, ns: string, name: string, withLabel = true): KubeObject {
  return {
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: withLabel ? { name, namespace: ns, labels, annotations } : { name, namespace: ns },
    spec: { size: 1 },
  };
}

describe('foreign objects never enter the inventory', () => {
  it('a labelled ConfigMap owned by helm: apply fails 409 → not recorded, and a later pass does not delete it', async () => {
    server.putObject(namespace('team-a', false));
    server.putObject(configMap('team-a', 'settings', { k: 'theirs' }), 'helm');
    const ours = configMap('team-a', 'settings', { k: 'ours' });

    const r1 = await pass([desired(ours)], []);
    expect(actionOf(r1, ours)?.action).toBe('failed');
    expect(ids(r1.inventory)).not.toContain(refOf(ours).id);

    const r2 = await pass([], r1.inventory);
    expect(r2.counts.deleted).toBe(0);
    expect(server.getObject('v1', 'ConfigMap', 'team-a', 'settings')?.data).toEqual({ k: 'theirs' });
  });

  it('a labelled ConfigMap with identical values, never applied by flotilla → refused (Abort), not recorded, not deleted', async () => {
    server.putObject(namespace('team-b', false));
    server.putObject(configMap('team-b', 'same', { k: 'v' }), 'helm');
    const ours = configMap('team-b', 'same', { k: 'v' });

    const r1 = await pass([desired(ours, false)], []);
    expect(actionOf(r1, ours)?.action).toBe('failed');
    expect(actionOf(r1, ours)?.message).toMatch(/already exists on cluster c1 and flotilla did not create it \(field managers: helm\)/);
    expect(ids(r1.inventory)).not.toContain(refOf(ours).id);

    const r2 = await pass([], r1.inventory);
    expect(r2.counts.deleted).toBe(0);
    expect(server.getObject('v1', 'ConfigMap', 'team-b', 'same')).toBeDefined();
  });

  it('an inventory entry for a labelled object flotilla never applied (no Apply entry by flotilla) is skipped, not deleted', async () => {
    server.putObject(namespace('team-c', false));
    const foreign = configMap('team-c', 'copied', { k: 'v' });
    server.putObject(foreign, 'kubectl');

    const r = await pass([], [entryOf(foreign)]);
    expect(actionOf(r, foreign)?.action).toBe('skipped');
    expect(actionOf(r, foreign)?.message).toMatch(/flotilla never applied it/);
    expect(server.getObject('v1', 'ConfigMap', 'team-c', 'copied')).toBeDefined();
    expect(ids(r.inventory)).not.toContain(refOf(foreign).id);
  });

  it('created or adopted under Overwrite, recorded as such; dropped, the first is deleted and the second released', async () => {
    server.putObject(namespace('team-d', false));
    server.putObject(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing', namespace: 'team-d' }, data: { other: 'x' } },
      'kubectl',
    );
    const created = configMap('team-d', 'fresh', { k: 'v' });
    const adopted = configMap('team-d', 'existing', { k: 'v' });
    (adopted.metadata as { annotations: Record<string, string> }).annotations = {
      ...annotations,
      [CONFLICT_RESOLUTION_ANNOTATION]: 'Overwrite',
    };

    const r1 = await pass([desired(created), desired(adopted)], []);
    expect(actionOf(r1, created)?.action).toBe('created');
    expect(actionOf(r1, adopted)?.action).toBe('configured');
    const origins = Object.fromEntries(r1.inventory.map((e) => [e.name, e.origin]));
    expect(origins).toEqual({ fresh: 'created', existing: 'adopted' });

    const r2 = await pass([], r1.inventory);
    expect(r2.counts.deleted).toBe(1);
    expect(r2.counts.released).toBe(1);
    expect(server.getObject('v1', 'ConfigMap', 'team-d', 'fresh')).toBeUndefined();
    expect(server.getObject('v1', 'ConfigMap', 'team-d', 'existing')?.data).toEqual({ other: 'x', k: 'v' });
    expect(r2.inventory).toEqual([]);
  });
});

describe('a Namespace is pruned only when nothing foreign is inside', () => {
  it(
    'Namespace holding a foreign ConfigMap → skipped with a reason, kept in the inventory; ' +
      'deleted once it is empty of foreign objects',
    async () => {
      const ns = namespace('shared');
      const cm = configMap('shared', 'ours', { a: '1' });
      const r1 = await pass([desired(ns), desired(cm)], []);
      expect(ids(r1.inventory)).toEqual([refOf(cm).id, refOf(ns).id].sort());
      server.putObject(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'shared' }, data: { a: '1' } },
        'kubectl',
      );

      const r2 = await pass([], r1.inventory);
      expect(actionOf(r2, cm)?.action).toBe('deleted');
      expect(actionOf(r2, ns)?.action).toBe('skipped');
      expect(actionOf(r2, ns)?.message).toMatch(
        /it holds 1 object flotilla is not pruning: ConfigMap shared\/someone-elses; kept in the inventory/,
      );
      expect(ids(r2.inventory)).toEqual([refOf(ns).id]);
      expect(server.getObject('v1', 'Namespace', undefined, 'shared')).toBeDefined();
      expect(server.getObject('v1', 'ConfigMap', 'shared', 'someone-elses')).toBeDefined();

      server.deleteObject('v1', 'ConfigMap', 'shared', 'someone-elses');
      const r3 = await pass([], r2.inventory);
      expect(actionOf(r3, ns)?.action).toBe('deleted');
      expect(r3.inventory).toEqual([]);
    },
  );

  it(
    'Namespace holding only flotilla objects, what they own (ownerReferences) and what ' + 'Kubernetes puts in every namespace → deleted',
    async () => {
      const ns = namespace('mine');
      const cm = configMap('mine', 'ours', { a: '1' });
      const r1 = await pass([desired(ns), desired(cm)], []);
      const live = server.getObject('v1', 'ConfigMap', 'mine', 'ours')!;
      const uid = (live.metadata as { uid: string }).uid;
      server.putObject(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'child', namespace: 'mine', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ours', uid }] },
        },
        'controller',
      );
      server.putObject(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'mine' }, data: { 'ca.crt': 'x' } },
        'kube-controller-manager',
      );
      server.putObject(
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'mine' } },
        'kube-controller-manager',
      );

      // Keep the owner: the Namespace's own deletion is what is checked.
      const r2 = await pass([desired(cm)], r1.inventory);
      expect(actionOf(r2, ns)?.action).toBe('skipped');
      expect(actionOf(r2, ns)?.message).toMatch(/ConfigMap mine\/ours/); // still desired: deleting the Namespace would delete it

      const r3 = await pass([], r2.inventory);
      expect(actionOf(r3, cm)?.action).toBe('deleted');
      expect(actionOf(r3, ns)).toEqual({ action: 'deleted', message: null });
    },
  );

  it('a foreign custom resource inside the Namespace also holds it (kinds found by discovery, not only flotilla kinds)', async () => {
    server.putObject(widgetCrd('ns-check.example.com'));
    const ns = namespace('with-cr');
    const r1 = await pass([desired(ns)], []);
    server.putObject(widget('ns-check.example.com', 'with-cr', 'theirs', false), 'kubectl');

    const r2 = await pass([], r1.inventory);
    expect(actionOf(r2, ns)?.action).toBe('skipped');
    expect(actionOf(r2, ns)?.message).toMatch(/Widget with-cr\/theirs/);
    expect(server.getObject('ns-check.example.com/v1', 'Widget', 'with-cr', 'theirs')).toBeDefined();
  });

  it('a discovery document that fails (an aggregated API down, 503) holds the Namespace, not the whole pass', async () => {
    server.putObject(widgetCrd('down.example.com'));
    const ns = namespace('blind');
    server.putObject(namespace('side', false));
    const cm = configMap('side', 'other', { k: 'v' });
    const r1 = await pass([desired(ns)], []);
    server.addFault({ action: 'status', status: 503, method: 'GET', path: /^\/apis\/down\.example\.com\/v1$/ });
    const r2 = await pass([desired(cm)], r1.inventory);
    server.clearFaults();
    expect(r2.reachable).toBe(true);
    expect(actionOf(r2, cm)?.action).toBe('created');
    expect(actionOf(r2, ns)?.action).toBe('skipped');
    expect(actionOf(r2, ns)?.message).toMatch(/listing them failed/);
    expect(ids(r2.inventory)).toContain(refOf(ns).id);
    server.deleteObject('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.down.example.com');
  });
});

describe('a CRD is pruned only when no foreign custom resource of its kinds exists', () => {
  it('CRD with a foreign Widget → skipped, kept in the inventory; the Widget survives; deleted once it is gone', async () => {
    const crd = widgetCrd('example.com');
    const r1 = await pass([desired(crd)], []);
    expect(ids(r1.inventory)).toEqual([refOf(crd).id]);
    server.putObject(namespace('app', false));
    server.putObject(widget('example.com', 'app', 'prod-data', false), 'kubectl');

    const r2 = await pass([], r1.inventory);
    expect(actionOf(r2, crd)?.action).toBe('skipped');
    expect(actionOf(r2, crd)?.message).toMatch(
      /deleting the CRD deletes every Widget, and 1 Widget flotilla is not pruning exists: app\/prod-data/,
    );
    expect(ids(r2.inventory)).toEqual([refOf(crd).id]);
    expect(server.getObject('example.com/v1', 'Widget', 'app', 'prod-data')).toBeDefined();

    server.deleteObject('example.com/v1', 'Widget', 'app', 'prod-data');
    const r3 = await pass([], r2.inventory);
    expect(actionOf(r3, crd)?.action).toBe('deleted');
    expect(r3.inventory).toEqual([]);
  });

  it('CRD whose only Widgets are flotilla objects leaving in the same pass → both deleted', async () => {
    const crd = widgetCrd('own.example.com');
    server.putObject(namespace('own', false));
    const w = widget('own.example.com', 'own', 'w1');
    const r1 = await pass([desired(crd), desired(w)], []);
    expect(ids(r1.inventory).sort()).toEqual([refOf(crd).id, refOf(w).id].sort());

    const r2 = await pass([], r1.inventory);
    expect(actionOf(r2, w)?.action).toBe('deleted');
    expect(actionOf(r2, crd)?.action).toBe('deleted');
    expect(server.getObject('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'widgets.own.example.com')).toBeUndefined();
  });
});

describe('an inventoried kind whose API is briefly not served', () => {
  it('discovery 404 for its group version → skipped and kept in the inventory; pruned when the API is back', async () => {
    const crd = widgetCrd('flaky.example.com');
    server.putObject(crd);
    server.putObject(namespace('flaky', false));
    const w = widget('flaky.example.com', 'flaky', 'w1');
    const r1 = await pass([desired(w)], []);
    expect(ids(r1.inventory)).toEqual([refOf(w).id]);

    server.addFault({ action: 'status', status: 404, method: 'GET', path: /^\/apis\/flaky\.example\.com\/v1$/ });
    discovery.invalidate('flaky.example.com'); // as after a restart: the next lookup asks the cluster
    const r2 = await pass([], r1.inventory);
    server.clearFaults();
    expect(actionOf(r2, w)?.action).toBe('skipped');
    expect(ids(r2.inventory)).toEqual([refOf(w).id]);
    expect(server.getObject('flaky.example.com/v1', 'Widget', 'flaky', 'w1')).toBeDefined();

    const r3 = await pass([], r2.inventory);
    expect(actionOf(r3, w)?.action).toBe('deleted');
    expect(server.getObject('flaky.example.com/v1', 'Widget', 'flaky', 'w1')).toBeUndefined();
    expect(r3.inventory).toEqual([]);
  });
});

describe('two cluster names on one API server (a renamed cluster, two contexts to one server)', () => {
  // "c1" renamed to "c1-eu" in the fleet, its kubeconfig context still c1: both names reach server c1.
  function apiAs(name: string): { api: KubeApi; discovery: Discovery } {
    const kc = new KubeConfig();
    kc.loadFromString(fleet.kubeconfigText);
    kc.setCurrentContext('c1');
    const a = new KubeApi(name, kubeconfigTransport(kc), {
      ...DEFAULT_KUBE_API_OPTIONS,
      timeoutMs: 2000,
      retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    return { api: a, discovery: new Discovery(a) };
  }
  function renderedFor(cluster: string, o: KubeObject): KubeObject {
    const meta = o.metadata as Record<string, unknown>;
    return { ...o, metadata: { ...meta, annotations: { [CLUSTER_ANNOTATION]: cluster } } };
  }

  it(
    'c1 applies app; c1-eu applies it (flotilla.dev/cluster: c1-eu); c1 prunes its old entry → ' +
      'skipped, still live, dropped from c1 inventory; c1-eu prunes it later → deleted',
    async () => {
      const eu = apiAs('c1-eu');
      try {
        server.putObject(namespace('renamed', false));
        const app = configMap('renamed', 'app', { k: 'v' });
        const r1 = await pass([desired(app)], []);
        expect(ids(r1.inventory)).toEqual([refOf(app).id]);

        const euPass = (d: DesiredObject[], inv: readonly InventoryEntry[]) =>
          syncCluster({ ...eu, desired: d, inventory: inv, pruneAllowed: true, options: DEFAULT_SYNC_OPTIONS });
        const e1 = await euPass([desired(renderedFor('c1-eu', app))], []);
        expect(actionOf(e1, app)?.action).toBe('configured');

        const r2 = await pass([], r1.inventory);
        expect(actionOf(r2, app)?.action).toBe('skipped');
        expect(actionOf(r2, app)?.message).toMatch(/flotilla\.dev\/cluster annotation is "c1-eu", not "c1"/);
        expect(server.getObject('v1', 'ConfigMap', 'renamed', 'app')).toBeDefined();
        expect(r2.inventory).toEqual([]);

        const e2 = await euPass([], e1.inventory);
        expect(actionOf(e2, app)?.action).toBe('deleted');
        expect(server.getObject('v1', 'ConfigMap', 'renamed', 'app')).toBeUndefined();
      } finally {
        eu.api.close();
      }
    },
  );
});

describe('adopting flotilla objects on a cluster with no inventory kept (cache lost)', () => {
  it(
    'x applied, inventory lost; first pass with adoptLive records x (not deleted yet), not ' +
      "c1-eu's object nor a copied label; next pass prunes x only",
    async () => {
      server.putObject(namespace('lost', false));
      const keep = configMap('lost', 'keep', { k: 'v' });
      const x = configMap('lost', 'x', { k: 'v' });
      await pass([desired(keep), desired(x)], []); // its inventory never saved
      const otherName = {
        ...configMap('lost', 'other', { k: 'v' }),
        metadata: { name: 'other', namespace: 'lost', labels, annotations: { [CLUSTER_ANNOTATION]: 'c1-eu' } },
      };
      server.putObject(otherName, MANAGED_VALUE); // applied by flotilla for another cluster name
      const copied = configMap('lost', 'copied', { k: 'v' });
      server.putObject(copied, 'kubectl'); // label and annotation copied, never applied by flotilla

      const r1 = await syncCluster({
        api,
        discovery,
        desired: [desired(keep, false)],
        inventory: [],
        adoptLive: true,
        pruneAllowed: true,
        options: DEFAULT_SYNC_OPTIONS,
      });
      expect(actionOf(r1, x)?.action).toBe('skipped');
      expect(actionOf(r1, x)?.message).toMatch(/adopted into the inventory, pruned on a later pass/);
      // Their origin is the object's own: no flotilla.dev/adopted mark, so flotilla created them and deletes them.
      // (the list is cluster-wide: objects earlier tests left on c1 are adopted too; this test looks at its namespace)
      expect(
        r1.inventory
          .filter((e) => e.namespace === 'lost')
          .map((e) => `${e.name}:${e.origin}`)
          .sort(),
      ).toEqual(['keep:created', 'x:created']);
      expect(server.getObject('v1', 'ConfigMap', 'lost', 'x')).toBeDefined();

      const r2 = await pass([desired(keep, false)], r1.inventory);
      expect(actionOf(r2, x)?.action).toBe('deleted');
      expect(server.getObject('v1', 'ConfigMap', 'lost', 'x')).toBeUndefined();
      expect(server.getObject('v1', 'ConfigMap', 'lost', 'other')).toBeDefined();
      expect(server.getObject('v1', 'ConfigMap', 'lost', 'copied')).toBeDefined();
      expect(ids(r2.inventory.filter((e) => e.namespace === 'lost'))).toEqual([refOf(keep).id]);
    },
  );
});
