// Health of live objects: one pure function per kind, as Argo's gitops-engine (pkg/health) and
// kstatus read rollout status. A status written for an older generation says nothing about the
// current spec, so every workload first checks observedGeneration. Kinds without a rollout are
// healthy by existing. Rolled up per cluster (and fleet) as the worst state.
import { isMap } from '../objects/json.js';

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded';

export interface Health {
  status: HealthStatus;
  message: string;
}

/** Worst last: the roll-up of several healths is the one that sorts last here (Argo's order). */
const SEVERITY: readonly HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded'];

type Obj = Record<string, unknown>;

function map(v: unknown): Obj {
  return isMap(v) ? v : {};
}

function num(v: unknown, dflt = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function conditions(status: Obj): Array<{ type?: unknown; status?: unknown; reason?: unknown; message?: unknown }> {
  return Array.isArray(status.conditions) ? (status.conditions as Array<Obj>).map(map) : [];
}

/** The status is about an older spec: the controller has not caught up yet. */
function notObserved(obj: Obj): Health | null {
  const generation = map(obj.metadata).generation;
  const observed = map(obj.status).observedGeneration;
  if (typeof generation === 'number' && (typeof observed !== 'number' || observed < generation)) {
    return { status: 'Progressing', message: 'waiting for the controller to observe the latest spec' };
  }
  return null;
}

/** Deployment: Argo's getAppsv1DeploymentHealth, kubectl rollout status. */
export function deploymentHealth(obj: Obj): Health {
  const spec = map(obj.spec);
  const status = map(obj.status);
  if (spec.paused === true) return { status: 'Suspended', message: 'deployment is paused' };
  const stale = notObserved(obj);
  if (stale) return stale;
  const deadline = conditions(status).find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  if (deadline)
    return {
      status: 'Degraded',
      message: `deployment exceeded its progress deadline${typeof deadline.message === 'string' ? `: ${deadline.message}` : ''}`,
    };
  const replicas = num(spec.replicas, 1);
  const updated = num(status.updatedReplicas);
  const total = num(status.replicas);
  const available = num(status.availableReplicas);
  if (updated < replicas) return { status: 'Progressing', message: `${updated} of ${replicas} replicas updated` };
  if (total > updated) return { status: 'Progressing', message: `${total - updated} old replicas pending termination` };
  if (available < updated) return { status: 'Progressing', message: `${available} of ${updated} updated replicas available` };
  return { status: 'Healthy', message: `${available} of ${replicas} replicas available` };
}

/** StatefulSet: all replicas ready and on the update revision (OnDelete: observed is enough). */
export function statefulSetHealth(obj: Obj): Health {
  const spec = map(obj.spec);
  const status = map(obj.status);
  const stale = notObserved(obj);
  if (stale) return stale;
  if (map(spec.updateStrategy).type === 'OnDelete')
    return { status: 'Healthy', message: 'OnDelete update strategy: pods update when deleted' };
  const replicas = num(spec.replicas, 1);
  const ready = num(status.readyReplicas);
  const partition = num(map(map(spec.updateStrategy).rollingUpdate).partition);
  if (ready < replicas) return { status: 'Progressing', message: `${ready} of ${replicas} replicas ready` };
  if (partition > 0) {
    const updated = num(status.updatedReplicas);
    if (updated < replicas - partition)
      return { status: 'Progressing', message: `partitioned rollout: ${updated} of ${replicas - partition} replicas updated` };
    return { status: 'Healthy', message: `partitioned rollout complete: ${updated} replicas updated` };
  }
  if (status.updateRevision !== undefined && status.currentRevision !== status.updateRevision) {
    return {
      status: 'Progressing',
      message: `rolling out revision ${String(status.updateRevision)}: ${num(status.updatedReplicas)} of ${replicas} updated`,
    };
  }
  return { status: 'Healthy', message: `${ready} of ${replicas} replicas ready` };
}

/** DaemonSet: every scheduled node runs the updated pod and it is available. */
export function daemonSetHealth(obj: Obj): Health {
  const spec = map(obj.spec);
  const status = map(obj.status);
  const stale = notObserved(obj);
  if (stale) return stale;
  if (map(spec.updateStrategy).type === 'OnDelete')
    return { status: 'Healthy', message: 'OnDelete update strategy: pods update when deleted' };
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  const available = num(status.numberAvailable);
  if (updated < desired) return { status: 'Progressing', message: `${updated} of ${desired} nodes updated` };
  if (available < desired) return { status: 'Progressing', message: `${available} of ${desired} nodes available` };
  return { status: 'Healthy', message: `${available} of ${desired} nodes available` };
}

/** `: message` (or `: reason`) of a Job's Failed condition, '' when it has neither. */
function jobFailureDetail(failed: { message?: unknown; reason?: unknown }): string {
  if (typeof failed.message === 'string') return `: ${failed.message}`;
  return typeof failed.reason === 'string' ? `: ${failed.reason}` : '';
}

/** Job: Complete is healthy, Failed degraded, suspended suspended, anything else still running. */
export function jobHealth(obj: Obj): Health {
  const spec = map(obj.spec);
  const conds = conditions(map(obj.status));
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed)
    return {
      status: 'Degraded',
      message: `job failed${jobFailureDetail(failed)}`,
    };
  if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) return { status: 'Healthy', message: 'job completed' };
  if (spec.suspend === true) return { status: 'Suspended', message: 'job is suspended' };
  const status = map(obj.status);
  return { status: 'Progressing', message: `job running: ${num(status.active)} active, ${num(status.succeeded)} succeeded` };
}

const BY_KIND: Readonly<Record<string, (o: Obj) => Health>> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'batch/Job': jobHealth,
};

/** Health of a live object (null = it does not exist). Kinds without a rule are healthy by existing. */
export function objectHealth(live: Obj | null): Health {
  if (!live) return { status: 'Missing', message: 'not found on the cluster' };
  const apiVersion = String(live.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const rule = BY_KIND[`${group}/${String(live.kind ?? '')}`];
  return rule ? rule(live) : { status: 'Healthy', message: 'exists' };
}

/** The worst of several health statuses (Healthy for none). */
export function worstHealth(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, SEVERITY.indexOf(s));
  return SEVERITY[worst]!;
}

/** Counts per status plus the worst: a cluster's (or the fleet's) health at a glance. */
export function rollUpHealth(statuses: Iterable<HealthStatus>): { status: HealthStatus; counts: Record<HealthStatus, number> } {
  const counts: Record<HealthStatus, number> = { Healthy: 0, Suspended: 0, Progressing: 0, Missing: 0, Degraded: 0 };
  const all = [...statuses];
  for (const s of all) counts[s]++;
  return { status: worstHealth(all), counts };
}
