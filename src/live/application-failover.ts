// Application failover as Karmada does it (docs/reference/semantics.md §4.5), without its control
// plane. Karmada's application failover controller notes when a workload is first seen unhealthy on
// a cluster of its placement; once it has stayed unhealthy there beyond the policy's
// `decisionConditions.tolerationSeconds`, it adds a graceful eviction task for that cluster to the
// binding and takes the cluster out of the scheduling result. The scheduler's ClusterEviction
// filter keeps the cluster out while the task lasts, so the replicas go to the other eligible
// clusters by the placement's usual rules. The graceful eviction controller ends a task when every
// cluster of the new placement is healthy or its grace period is over — except under
// `purgeMode: Never`, which keeps it (and the old copy) until someone intervenes. The old copy on
// the evicted cluster: `Immediately` deletes it at once, `Graciously` keeps it until the task ends,
// `Never` keeps it for as long as the task lasts.
//
// A health that is not known (the object was not read, the cluster did not answer) neither starts
// nor stops the clock, as Karmada's ResourceUnknown does not. Pure: observations and the time come
// in, the next state and the events go out.
import { DEFAULT_GRACE_PERIOD_SECONDS } from '../fleet/failover.js';
import type { HealthStatus } from '../kube/health.js';
import type { ApplicationFailover, ObjectRef, PreviousPlacement, PurgeMode } from '../model/types.js';
import { describeRef, versionedKey } from '../objects/identity.js';
import { toStableYaml } from '../objects/serialize.js';
import { isMap } from '../objects/json.js';
import { parseAllDocuments, type Document } from 'yaml';

/** What application failover reads of a workload's health on one cluster. */
export type WorkloadHealth = 'healthy' | 'unhealthy' | 'unknown';

/**
 * Karmada's interpretHealth says healthy or unhealthy; flotilla's health adds states. Suspended (a
 * paused Deployment) is paused on purpose; Missing (not found after the apply) and no reading are
 * not known.
 */
export function failoverHealth(status: HealthStatus | null | undefined): WorkloadHealth {
  if (status === 'Healthy' || status === 'Suspended') return 'healthy';
  if (status === 'Progressing' || status === 'Degraded') return 'unhealthy';
  return 'unknown';
}

/** One workload as the last pass placed it and the live clusters reported it. */
export interface WorkloadObservation {
  resource: ObjectRef;
  /** Its policy's spec.failover.application; null: none (its clock stops and its evictions end). */
  failover: ApplicationFailover | null;
  /** The clusters its current placement puts it on. */
  clusters: readonly string[];
  /** Per cluster: its health there and what the health check said. */
  health: ReadonlyMap<string, { health: WorkloadHealth; message: string }>;
  /**
   * Divided workloads: its placement and replicas as one key. Karmada reschedules a Divided
   * binding only when they change (§4.4), so a cluster it was evicted from stays out after the
   * eviction ends until this key changes. Null for Duplicated and non-workloads (always rescheduled).
   */
  rescheduleKey?: string | null;
}

/** Karmada's graceful eviction task: a workload being moved off a cluster. Kept on the status branch. */
export interface EvictionTask {
  resource: ObjectRef;
  cluster: string;
  purgeMode: PurgeMode;
  /** Graciously: how long the old copy waits for the new ones; null otherwise. */
  gracePeriodSeconds: number | null;
  /** When the workload was first seen unhealthy there (ms since the epoch). */
  unhealthySince: number;
  evictedAt: number;
  /** What its health check said when it was evicted. */
  reason: string;
  /**
   * Set when the eviction ended for a Divided workload: the old copy is purged, but the cluster
   * stays out of its scheduling until its `rescheduleKey` changes (Karmada does not reschedule an
   * unchanged Divided binding, so its replicas do not move back).
   */
  ended?: { at: number; rescheduleKey: string };
}

/** When a workload was first seen unhealthy on a cluster (kept in memory only, as Karmada keeps it). */
export interface UnhealthyMark {
  resource: string;
  cluster: string;
  since: number;
}

export interface ApplicationFailoverState {
  unhealthy: UnhealthyMark[];
  tasks: EvictionTask[];
}

export interface ApplicationFailoverEvent {
  cluster: string;
  at: number;
  type: 'ApplicationEvicted' | 'EvictionEnded';
  message: string;
}

export const NO_APPLICATION_FAILOVER: ApplicationFailoverState = { unhealthy: [], tasks: [] };

function markKey(resource: string, cluster: string): string {
  return `${cluster}\u0000${resource}`;
}

/** What happens to the old copy, for messages. */
function purgeText(t: Pick<EvictionTask, 'purgeMode' | 'gracePeriodSeconds'>): string {
  if (t.purgeMode === 'Immediately') return 'purgeMode Immediately: the copy there is deleted now';
  if (t.purgeMode === 'Never') return 'purgeMode Never: the copy there stays until the policy stops asking for it';
  return `purgeMode Graciously: the copy there stays until the new copies are healthy or ${t.gracePeriodSeconds}s pass`;
}

/**
 * The next state after the pass that produced `workloads`, at `now`: unhealthy clocks started or
 * stopped, workloads unhealthy beyond their toleration evicted, eviction tasks assessed. A task made
 * now is assessed from the next pass on, once the placement without its cluster has been applied.
 */
export function nextApplicationFailover(
  state: ApplicationFailoverState,
  workloads: readonly WorkloadObservation[],
  now: number,
): { state: ApplicationFailoverState; events: ApplicationFailoverEvent[] } {
  const byKey = new Map(workloads.map((w) => [versionedKey(w.resource), w]));
  const marks = new Map(state.unhealthy.map((m) => [markKey(m.resource, m.cluster), m]));
  const events: ApplicationFailoverEvent[] = [];
  const tasks: EvictionTask[] = [];
  for (const t of state.tasks) {
    const w = byKey.get(versionedKey(t.resource));
    if (t.ended) {
      // Held out until Karmada would reschedule the workload: its placement or replicas changed.
      if (w && w.rescheduleKey === t.ended.rescheduleKey) tasks.push(t);
      continue;
    }
    const ended = taskEnd(t, w, now);
    if (ended === null) tasks.push(t);
    else {
      // Only a workload that went elsewhere is held off; one no other cluster took may come back.
      const hold = w?.failover && w.rescheduleKey && w.clusters.length > 0 ? w.rescheduleKey : null;
      if (hold) tasks.push({ ...t, ended: { at: now, rescheduleKey: hold } });
      const after = hold
        ? `; the copy there is deleted, and ${t.cluster} takes none of its replicas until its placement or replicas change ` +
          '(Karmada does not reschedule an unchanged Divided workload)'
        : '';
      events.push({ cluster: t.cluster, at: now, type: 'EvictionEnded', message: `${describeRef(t.resource)}: ${ended}${after}` });
    }
  }
  const evicting = new Set(tasks.map((t) => markKey(versionedKey(t.resource), t.cluster)));
  const unhealthy: UnhealthyMark[] = [];
  for (const w of [...workloads].sort((a, b) => (versionedKey(a.resource) < versionedKey(b.resource) ? -1 : 1))) {
    if (!w.failover) continue;
    const key = versionedKey(w.resource);
    for (const cluster of [...w.clusters].sort()) {
      const k = markKey(key, cluster);
      const seen = w.health.get(cluster) ?? { health: 'unknown' as const, message: 'no health read' };
      if (evicting.has(k) || seen.health === 'healthy') continue;
      const since = marks.get(k)?.since ?? (seen.health === 'unhealthy' ? now : null);
      if (since === null) continue;
      if (seen.health === 'unhealthy' && now - since >= w.failover.tolerationSeconds * 1000) {
        const task: EvictionTask = {
          resource: w.resource,
          cluster,
          purgeMode: w.failover.purgeMode,
          gracePeriodSeconds: w.failover.gracePeriodSeconds,
          unhealthySince: since,
          evictedAt: now,
          reason: seen.message,
        };
        tasks.push(task);
        events.push({ cluster, at: now, type: 'ApplicationEvicted', message: evictedMessage(task, w.failover.tolerationSeconds) });
      } else unhealthy.push({ resource: key, cluster, since });
    }
  }
  return { state: { unhealthy, tasks: sortTasks(tasks) }, events };
}

function evictedMessage(t: EvictionTask, tolerationSeconds: number): string {
  return (
    `${describeRef(t.resource)} unhealthy on ${t.cluster} since ${new Date(t.unhealthySince).toISOString()} ` +
    `(tolerationSeconds ${tolerationSeconds}; ${t.reason}): evicted, its replicas go to the other eligible clusters; ${purgeText(t)}`
  );
}

/** Why an eviction task ends now, or null while it lasts (Karmada's graceful eviction controller). */
function taskEnd(t: EvictionTask, w: WorkloadObservation | undefined, now: number): string | null {
  if (!w || !w.failover) return `eviction from ${t.cluster} ended: the resource or its application failover is gone`;
  // The policy's purgeMode now decides: changing it is how a Never eviction is ended.
  const mode = w.failover.purgeMode;
  if (mode === 'Never') return null;
  const grace = (mode === 'Graciously' ? w.failover.gracePeriodSeconds : null) ?? DEFAULT_GRACE_PERIOD_SECONDS;
  if (now - t.evictedAt >= grace * 1000) return `eviction from ${t.cluster} ended: its grace period (${grace}s) is over`;
  const healthy = w.clusters.length > 0 && w.clusters.every((c) => w.health.get(c)?.health === 'healthy');
  if (healthy) return `eviction from ${t.cluster} ended: the new placement is healthy on ${[...w.clusters].sort().join(', ')}`;
  return null;
}

function sortTasks(tasks: EvictionTask[]): EvictionTask[] {
  return tasks.sort((a, b) => {
    const ka = markKey(versionedKey(a.resource), a.cluster);
    const kb = markKey(versionedKey(b.resource), b.cluster);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * The previous placements with every eviction applied: the cluster taken out of its workload's
 * previous result and named in `evicted`, which the scheduler's ClusterEviction filter reads.
 */
export function withApplicationEvictions(
  previous: ReadonlyMap<string, PreviousPlacement>,
  tasks: readonly EvictionTask[],
): ReadonlyMap<string, PreviousPlacement> {
  if (tasks.length === 0) return previous;
  const out = new Map(previous);
  for (const t of tasks) {
    const key = versionedKey(t.resource);
    const p = out.get(key);
    if (!p) continue;
    const evicted = [...new Set([...(p.evicted ?? []), t.cluster])].sort();
    out.set(key, { ...p, clusters: p.clusters.filter((c) => c.name !== t.cluster), evicted });
  }
  return out;
}

/** The old copies the apply engine keeps on their evicted cluster while their task lasts (not Immediately). */
export function retainedCopies(tasks: readonly EvictionTask[]): Array<{ cluster: string; ref: ObjectRef; message: string }> {
  return tasks
    .filter((t) => t.purgeMode !== 'Immediately' && !t.ended)
    .map((t) => ({
      cluster: t.cluster,
      ref: t.resource,
      message:
        `not deleted: application failover evicted it at ${new Date(t.evictedAt).toISOString()} (graceful eviction); ` +
        purgeText(t).replace(/: the copy there/, ': it'),
    }));
}

const EVICTION_KIND = 'ApplicationEviction';
const FLOTILLA_API = 'flotilla.dev/v1alpha1';

/**
 * The eviction tasks as documents of the observed-clusters file, so `--observed` reproduces them
 * offline. Not Karmada Clusters: the renderer never reads them, `--previous` applies them.
 */
export function evictionDocuments(tasks: readonly EvictionTask[]): string[] {
  return tasks.map((t) =>
    toStableYaml({
      apiVersion: FLOTILLA_API,
      kind: EVICTION_KIND,
      metadata: { name: `${t.cluster}.${t.resource.kind.toLowerCase()}.${t.resource.name}` },
      spec: {
        resource: { ...t.resource },
        fromCluster: t.cluster,
        purgeMode: t.purgeMode,
        gracePeriodSeconds: t.gracePeriodSeconds,
        unhealthySince: new Date(t.unhealthySince).toISOString(),
        evictedAt: new Date(t.evictedAt).toISOString(),
        reason: t.reason,
        ...(t.ended ? { endedAt: new Date(t.ended.at).toISOString(), rescheduleKey: t.ended.rescheduleKey } : {}),
      },
    }),
  );
}

/** The eviction tasks of an observed-clusters file (documents that are not evictions are skipped). */
export function parseEvictionDocuments(text: string): EvictionTask[] {
  const out: EvictionTask[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', logLevel: 'silent' }) as Document[]) {
    if (doc.errors.length > 0) throw new Error(`observed clusters: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (!isMap(value) || value.kind !== EVICTION_KIND || !isMap(value.spec)) continue;
    const task = evictionTaskOf(value.spec);
    if (!task) throw new Error(`observed clusters: an ${EVICTION_KIND} needs spec.resource, fromCluster, purgeMode and evictedAt`);
    out.push(task);
  }
  return sortTasks(out);
}

const PURGE_MODES: readonly PurgeMode[] = ['Immediately', 'Graciously', 'Never'];

/** A task from its recorded form (an ApplicationEviction's spec, or status.yaml with times in ms); null when malformed. */
export function evictionTaskOf(s: Record<string, unknown>): EvictionTask | null {
  const r = isMap(s.resource) ? s.resource : null;
  const time = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN) || null;
  const cluster = typeof s.fromCluster === 'string' ? s.fromCluster : typeof s.cluster === 'string' ? s.cluster : null;
  const evictedAt = time(s.evictedAt);
  if (!r || typeof r.kind !== 'string' || typeof r.name !== 'string' || !cluster || evictedAt === null) return null;
  if (!PURGE_MODES.includes(s.purgeMode as PurgeMode)) return null;
  return {
    resource: { apiVersion: String(r.apiVersion ?? ''), kind: r.kind, namespace: String(r.namespace ?? ''), name: r.name },
    cluster,
    purgeMode: s.purgeMode as PurgeMode,
    gracePeriodSeconds: typeof s.gracePeriodSeconds === 'number' ? s.gracePeriodSeconds : null,
    unhealthySince: time(s.unhealthySince) ?? evictedAt,
    evictedAt,
    reason: typeof s.reason === 'string' ? s.reason : '',
    ...endedOf(s, time),
  };
}

/** The `ended` of a recorded task: `endedAt` and `rescheduleKey` (documents), or `ended` (status.yaml). */
function endedOf(s: Record<string, unknown>, time: (v: unknown) => number | null): Pick<EvictionTask, 'ended'> {
  const e = isMap(s.ended) ? s.ended : s;
  const at = time(isMap(s.ended) ? e.at : s.endedAt);
  return at !== null && typeof e.rescheduleKey === 'string' ? { ended: { at, rescheduleKey: e.rescheduleKey } } : {};
}
