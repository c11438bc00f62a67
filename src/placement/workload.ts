// What makes a resource a workload with replicas, after Karmada's default resource interpreter:
// Deployment, StatefulSet and ReplicaSet carry spec.replicas (default 1), a Job spec.parallelism.
import type { Manifest } from '../model/types.js';

const REPLICA_FIELD: Record<string, { field: 'replicas' | 'parallelism' }> = {
  'apps/v1/Deployment': { field: 'replicas' },
  'apps/v1/StatefulSet': { field: 'replicas' },
  'apps/v1/ReplicaSet': { field: 'replicas' },
  'batch/v1/Job': { field: 'parallelism' },
};

/** The spec field holding the replica count, or null for non-workloads. */
export function replicaField(apiVersion: string, kind: string): 'replicas' | 'parallelism' | null {
  return REPLICA_FIELD[`${apiVersion}/${kind}`]?.field ?? null;
}

/** Desired replicas of a workload (Kubernetes' default 1 when unset), or null for non-workloads. */
export function replicasOf(m: Manifest): number | null {
  const field = replicaField(m.apiVersion, m.kind);
  if (!field) return null;
  const spec = m.object.spec as Record<string, unknown> | undefined;
  const v = spec?.[field];
  if (v === undefined || v === null) return 1;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

/** A copy of the object with its replica field set (the object passed in is not changed). */
export function withReplicas(apiVersion: string, kind: string, object: Record<string, unknown>, replicas: number): Record<string, unknown> {
  const field = replicaField(apiVersion, kind);
  if (!field) return object;
  const spec = { ...((object.spec as Record<string, unknown> | undefined) ?? {}), [field]: replicas };
  return { ...object, spec };
}
