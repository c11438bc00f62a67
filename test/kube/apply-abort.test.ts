// A cluster that turns unusable mid-apply (401: credentials revoked) ends its pass at once: the
// applies already sent finish and are reported, and no new apply starts after the pass result is
// built — an apply nobody reports or records would be a write the status never mentions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import type { TestApiServer } from './server/index.js';
import { KubeApi, DEFAULT_KUBE_API_OPTIONS, type KubeObject } from '../../src/kube/api.js';
import { kubeconfigTransport } from '../../src/kube/transport.js';
import { Discovery } from '../../src/kube/discovery.js';
import { syncCluster, refOf, DEFAULT_SYNC_OPTIONS, type DesiredObject } from '../../src/kube/sync.js';
import { CLUSTER_ANNOTATION, MANAGED_LABEL, MANAGED_VALUE } from '../../src/objects/tracking.js';

let fleet: TestFleet;
let server: TestApiServer;
let api: KubeApi;

beforeAll(async () => {
  fleet = await startFleetApiServers(['c1']);
  server = fleet.servers.get('c1')!;
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfigText);
  kc.setCurrentContext('c1');
  const retry = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
  api = new KubeApi('c1', kubeconfigTransport(kc), { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: 2000, retry });
});
afterAll(async () => {
  api.close();
  await fleet.close();
});

function configMap(i: number): DesiredObject {
  const o: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `cm-${i}`,
      namespace: 'default',
      labels: { [MANAGED_LABEL]: MANAGED_VALUE },
      annotations: { [CLUSTER_ANNOTATION]: 'c1' },
    },
    data: { i: String(i) },
  };
  const { id, ref } = refOf(o);
  return { id, ref, object: o, changed: true };
}

const patches = () => server.writeRequests().filter((r) => r.method === 'PATCH').length;

describe('a cluster-wide failure during the apply stage', () => {
  it('one 401 among the applies: no apply starts after it, none runs on after the pass ends', async () => {
    server.clearRequests();
    // Only the first apply is refused: the other workers would go on applying if nothing stopped them.
    server.addFault({ action: 'status', status: 401, method: 'PATCH', times: 1 });
    const desired = Array.from({ length: 40 }, (_, i) => configMap(i));
    const options = { ...DEFAULT_SYNC_OPTIONS, objectConcurrency: 4 };
    const result = await syncCluster({ api, discovery: new Discovery(api), desired, inventory: [], pruneAllowed: true, options });
    const atEnd = patches();
    await new Promise((r) => setTimeout(r, 300));
    expect(patches()).toBe(atEnd); // nothing went on in the background
    expect(atEnd).toBeLessThanOrEqual(options.objectConcurrency);
    expect(result.errorCode).toBe('KUBE_FORBIDDEN');
    // Whatever was applied is reported: every PATCH that succeeded has its object in the result.
    const applied = result.objects.filter((o) => o.action === 'created').length;
    expect(applied).toBe(atEnd - 1);
    server.clearFaults();
  });
});
