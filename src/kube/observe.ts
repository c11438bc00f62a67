// What flotilla reads from a cluster for scheduling (not for applying): whether it answers
// (/readyz, with a timeout — failover's probe) and its capacity from nodes and pods (capacity.ts).
// A cluster that does not answer has no capacity reading; the caller keeps the last one. One
// cluster's reading only: the fleet's, and what failover makes of it, are src/live/live-fleet.ts's.
import type { ResourceSummary } from '../model/types.js';
import type { KubeApi } from './api.js';
import { resourceSummaryOf } from './capacity.js';
import { KubeApiError } from './errors.js';

export interface Probe {
  ok: boolean;
  /** Why the probe failed (timeout, refused, /readyz said no). */
  error?: string;
}

export interface ClusterObservation {
  cluster: string;
  probe: Probe;
  /** null when it could not be read (unreachable, or the credentials may not list nodes/pods). */
  resourceSummary: ResourceSummary | null;
  /** Why the capacity could not be read. */
  capacityError: string | null;
}

/** Probes a cluster and, when it answers, reads its capacity. Never throws for what the cluster does. */
export async function observeCluster(api: KubeApi, opts: { probeTimeoutMs: number; capacity: boolean }): Promise<ClusterObservation> {
  const ready = await api.readyz(opts.probeTimeoutMs);
  const probe = ready.ok ? { ok: true } : { ok: false, error: ready.error ?? 'not ready' };
  if (!ready.ok || !opts.capacity)
    return {
      cluster: api.cluster,
      probe,
      resourceSummary: null,
      capacityError: ready.ok ? null : 'not probed: the cluster did not answer',
    };
  try {
    const nodes = await api.list('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node' });
    const pods = await api.list('/api/v1/pods', { apiVersion: 'v1', kind: 'Pod' });
    return { cluster: api.cluster, probe, resourceSummary: resourceSummaryOf(nodes, pods), capacityError: null };
  } catch (e) {
    return { cluster: api.cluster, probe, resourceSummary: null, capacityError: e instanceof KubeApiError ? e.message : String(e) };
  }
}
