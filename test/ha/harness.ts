// Lease clients against a test API server standing in for the management cluster.
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigTransport } from '../../src/kube/transport.js';
import { LeaseClient } from '../../src/ha/lease.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';

/** A management cluster (test API server) with the flotilla-system namespace. */
export async function startManagementCluster(): Promise<TestFleet> {
  const fleet = await startFleetApiServers(['management']);
  fleet.servers.get('management')!.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flotilla-system' } });
  return fleet;
}

/** A lease client over the management cluster's kubeconfig context. */
export function leaseClient(fleet: TestFleet, namespace = 'flotilla-system'): LeaseClient {
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfigText);
  kc.setCurrentContext('management');
  return new LeaseClient(kubeconfigTransport(kc), namespace, 2_000);
}

/** A clock tests move by hand. */
export function manualClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}
