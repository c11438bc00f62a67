import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { KubeApi, DEFAULT_KUBE_API_OPTIONS } from '../../src/kube/api.js';
import { kubeconfigTransport } from '../../src/kube/transport.js';
import { Discovery } from '../../src/kube/discovery.js';
import { syncCluster, refOf, DEFAULT_SYNC_OPTIONS, type DesiredObject, type InventoryEntry } from '../../src/kube/sync.js';
import { MANAGED_LABEL, MANAGED_VALUE } from '../../src/objects/tracking.js';

// A resync against a cluster where another field manager (a service mesh's injector) added list
// items flotilla never sends must write nothing and report no drift; a field flotilla does send,
// changed live, must still be drift.
let fleet: TestFleet;
let api: KubeApi;
let discovery: Discovery;
beforeAll(async () => {
  fleet = await startFleetApiServers(['c1'], { autoReady: true });
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfigText);
  kc.setCurrentContext('c1');
  api = new KubeApi('c1', kubeconfigTransport(kc), { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: 2000 });
  discovery = new Discovery(api);
});
afterAll(async () => {
  api.close();
  await fleet.close();
});

const labels = { [MANAGED_LABEL]: MANAGED_VALUE };
const path = '/apis/apps/v1/namespaces/default/deployments/web';
function desired(o: Record<string, unknown>, changed = false): DesiredObject {
  const { id, ref } = refOf(o);
  return { id, ref, object: o, changed };
}
const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }] },
    },
  },
});
const resync = (inventory: InventoryEntry[]) =>
  syncCluster({ api, discovery, desired: [desired(deployment())], inventory, pruneAllowed: true, options: DEFAULT_SYNC_OPTIONS });

describe("no-op resync with another manager's list items", () => {
  let inventory: InventoryEntry[] = [];

  it('an injected sidecar container, env var and port → 3 resyncs write 0 times and report no drift', async () => {
    fleet.servers.get('c1')!.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    const first = await syncCluster({
      api,
      discovery,
      desired: [desired(deployment(), true)],
      inventory,
      pruneAllowed: true,
      options: DEFAULT_SYNC_OPTIONS,
    });
    inventory = first.inventory;
    await api.apply(
      path,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'web', env: [{ name: 'INJECTED', value: 'x' }], ports: [{ containerPort: 15090, name: 'envoy-prom' }] },
                { name: 'sidecar', image: 'envoy:1' },
              ],
            },
          },
        },
      },
      { fieldManager: 'mesh-injector', force: false, dryRun: false },
    );

    for (let i = 0; i < 3; i++) {
      const r = await resync(inventory);
      expect({ writes: r.writes, objects: r.objects.map((o) => [o.action, o.drift]) }).toEqual({ writes: 0, objects: [['unchanged', []]] });
    }
    const live = (await api.get(path)) as any;
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'sidecar']);
    expect(live.spec.template.spec.containers[0].env.map((e: any) => e.name)).toEqual(['A', 'INJECTED']);
  });

  it("the same injector forcing web's image to nginx:2 → drift at containers[0].image, one write puts nginx:1 back", async () => {
    await api.apply(
      path,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } },
      },
      { fieldManager: 'mesh-injector', force: true, dryRun: false },
    );
    const r = await resync(inventory);
    expect(r.objects.map((o) => [o.action, o.drift])).toEqual([['configured', ['spec.template.spec.containers[0].image']]]);
    expect(r.writes).toBeGreaterThan(0);
    const live = (await api.get(path)) as any;
    expect(live.spec.template.spec.containers[0].image).toBe('nginx:1');
  });
});
