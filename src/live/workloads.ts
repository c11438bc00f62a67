// Readiness of the workloads traffic decisions need (docs/reference/semantics.md §8): one GET per
// workload and cluster, `parallelism` at a time. A cluster without a connection, or a request that
// fails, is a reading with an error — nothing ready there — never an exception.
import type { ClusterClient } from '../kube/fleet.js';
import { resourcePath } from '../kube/discovery.js';
import { mapLimit } from '../kube/limit.js';
import { isMap } from '../objects/json.js';
import { readingKey, type WorkloadReading } from '../traffic/decide.js';
import type { ObjectRef } from '../objects/identity.js';

const RESOURCES: Readonly<Record<string, string>> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

/** Ready replicas a workload's status reports, for a status about its current spec (an older status: 0). */
export function readyReplicas(obj: Record<string, unknown>): number {
  const status = isMap(obj.status) ? obj.status : {};
  const generation = isMap(obj.metadata) ? obj.metadata.generation : undefined;
  if (typeof generation === 'number' && typeof status.observedGeneration === 'number' && status.observedGeneration < generation) return 0;
  const ready = obj.kind === 'DaemonSet' ? status.numberReady : status.readyReplicas;
  return typeof ready === 'number' && ready > 0 ? ready : 0;
}

/** Reads each workload on its cluster. */
export async function readWorkloads(
  client: (cluster: string) => ClusterClient | { error: string },
  requests: ReadonlyArray<{ cluster: string; ref: ObjectRef }>,
  parallelism: number,
): Promise<Map<string, WorkloadReading>> {
  const readings = await mapLimit([...requests], parallelism, async (r): Promise<[string, WorkloadReading]> => {
    const key = readingKey(r.cluster, r.ref);
    const resource = RESOURCES[r.ref.kind];
    if (!resource) return [key, { ready: 0, error: `${r.ref.kind} has no readiness flotilla reads` }];
    const c = client(r.cluster);
    if ('error' in c) return [key, { ready: 0, error: c.error }];
    try {
      const path = resourcePath(
        { apiVersion: r.ref.apiVersion, kind: r.ref.kind, resource, namespaced: true },
        r.ref.namespace,
        r.ref.name,
      );
      const obj = await c.api.get(path);
      return [key, obj ? { ready: readyReplicas(obj), error: null } : { ready: 0, error: 'not found' }];
    } catch (e) {
      return [key, { ready: 0, error: (e as Error).message.split('\n')[0]! }];
    }
  });
  return new Map(readings);
}
