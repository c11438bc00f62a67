// What makes a resource a workload with replicas, after Karmada's default resource interpreter
// (pkg/resourceinterpreter/default/native/replica.go): Deployment, StatefulSet and ReplicaSet carry
// spec.replicas (default 1); a Job's replicas are min(parallelism, completions), parallelism
// defaulting to 1 and completions to parallelism, and each cluster's share is written to parallelism (only
// for Divided placements: render-fleet.ts revisesReplicas), its completions divided in proportion.
import type { FieldPath, Manifest, TargetCluster } from '../model/types.js';
import { isMap } from '../objects/json.js';
import { allocateWebsterSeats, tieBreakerByUid } from './webster.js';

/** Kubernetes replica counts are int32: the API server rejects anything larger. */
export const MAX_REPLICAS = 2147483647;

const REPLICA_FIELD: Record<string, 'replicas' | 'parallelism'> = {
  'apps/v1/Deployment': 'replicas',
  'apps/v1/StatefulSet': 'replicas',
  'apps/v1/ReplicaSet': 'replicas',
  'batch/v1/Job': 'parallelism',
};

/** The spec field holding (and receiving) the replica count, or null for non-workloads. */
export function replicaField(apiVersion: string, kind: string): 'replicas' | 'parallelism' | null {
  return REPLICA_FIELD[`${apiVersion}/${kind}`] ?? null;
}

function specOf(m: Manifest): Record<string, unknown> {
  const spec = m.object.spec;
  return isMap(spec) ? spec : {};
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_REPLICAS;

/** The replica fields of a workload that the API server would reject (not an int32 ≥ 0), with their paths. */
export function replicaProblem(m: Manifest): { path: FieldPath; message: string } | null {
  const field = replicaField(m.apiVersion, m.kind);
  if (!field) return null;
  const spec = specOf(m);
  const fields = field === 'parallelism' ? ['parallelism', 'completions'] : ['replicas'];
  for (const f of fields) {
    const v = spec[f];
    if (v === undefined || v === null || isCount(v)) continue;
    return { path: ['spec', f], message: `spec.${f} must be an integer from 0 to ${MAX_REPLICAS}, got ${JSON.stringify(v)}` };
  }
  return null;
}

/** Desired replicas of a workload, or null for non-workloads (and for invalid counts: see replicaProblem). */
export function replicasOf(m: Manifest): number | null {
  const field = replicaField(m.apiVersion, m.kind);
  if (!field || replicaProblem(m)) return null;
  const spec = specOf(m);
  if (field === 'parallelism') {
    const parallelism = isCount(spec.parallelism) ? spec.parallelism : 1;
    return isCount(spec.completions) ? Math.min(parallelism, spec.completions) : parallelism;
  }
  return isCount(spec.replicas) ? spec.replicas : 1;
}

/** A copy of the object with its replica field set (the object passed in is not changed). */
export function withReplicas(apiVersion: string, kind: string, object: Record<string, unknown>, replicas: number): Record<string, unknown> {
  const field = replicaField(apiVersion, kind);
  if (!field) return object;
  const spec = { ...((object.spec as Record<string, unknown> | undefined) ?? {}), [field]: replicas };
  return { ...object, spec };
}

/**
 * A Divided Job's `spec.completions` per cluster (Karmada's divideReplicasByJobCompletions): the
 * template's completions apportioned (Webster, ties by the UID as for replicas) in proportion to
 * each cluster's parallelism share; null when the Job leaves completions unset (a work queue) or
 * the shares are all 0.
 */
export function divideJobCompletions(m: Manifest, clusters: readonly TargetCluster[]): ReadonlyMap<string, number> | null {
  if (replicaField(m.apiVersion, m.kind) !== 'parallelism') return null;
  const completions = specOf(m).completions;
  if (!isCount(completions) || clusters.every((c) => !c.replicas)) return null;
  const uid = (m.object.metadata as { uid?: unknown } | undefined)?.uid;
  const parties = clusters.map((c) => ({ name: c.name, votes: c.replicas ?? 0 }));
  const seats = allocateWebsterSeats(completions, parties, undefined, tieBreakerByUid(typeof uid === 'string' ? uid : ''));
  return new Map(seats.map((s) => [s.name, s.seats]));
}
