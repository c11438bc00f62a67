// Cluster failover as Karmada does it, without its control plane (docs/reference/semantics.md, first table):
// the cluster controller marks a cluster that stopped answering NotReady once its probes have
// failed for `failureThresholdSeconds` (Karmada's --cluster-failure-threshold, 30 s) and taints it
// `cluster.karmada.io/not-ready:NoSchedule`; the taint manager evicts its workloads once the
// not-ready toleration has run out (--default-not-ready-toleration-seconds, 300 s) — here a
// `NoExecute` taint appears at that moment. Eviction removes the cluster from the previous
// placements, so the scheduler places those replicas on the remaining eligible clusters by the
// usual rules (TaintToleration is skipped only for clusters in the previous result, §3.1). A
// cluster that answers again for `recoveryThresholdSeconds` (--cluster-success-threshold) loses
// its taints; whether replicas move back is up to the scheduler's rules, not to failover.
//
// Pure: probes and the time come in, the next state and the events go out.
import type { Probe } from '../kube/observe.js';
import type { PreviousPlacement, Taint } from '../model/types.js';

export const NOT_READY_TAINT_KEY = 'cluster.karmada.io/not-ready';

export interface FailoverSettings {
  /** How long probes must fail before the cluster is NotReady (0 = the first failure). */
  failureThresholdSeconds: number;
  /** How long a NotReady cluster keeps its workloads before they are evicted (NoExecute). */
  tolerationSeconds: number;
  /** How long probes must succeed before a NotReady cluster is Ready again (0 = the first success). */
  recoveryThresholdSeconds: number;
  /**
   * When an evicted cluster is Ready again, reschedule the workloads failover moved off it afresh
   * (Karmada's Fresh mode, as a WorkloadRebalancer triggers) so dynamic weights and Aggregated
   * spread back; false (default, Karmada's behaviour without a rebalancer) keeps where they are.
   */
  rebalanceOnRecovery?: boolean;
}

/** Karmada's defaults. */
export const DEFAULT_FAILOVER: FailoverSettings = { failureThresholdSeconds: 30, tolerationSeconds: 300, recoveryThresholdSeconds: 30 };

/** What failover knows about one cluster (serializable: kept on the status branch between passes). */
export interface ClusterCondition {
  cluster: string;
  ready: boolean;
  /** When `ready` last changed (ms since the epoch); null = never changed since first seen. */
  transitionAt: number | null;
  /** Start of the current run of failed (when ready) or successful (when not ready) probes; null = none. */
  streakSince: number | null;
  lastProbeAt: number;
  lastError: string | null;
}

export interface FailoverEvent {
  cluster: string;
  at: number;
  /** Cluster failover's, and application failover's (application-failover.ts). */
  type: 'NotReady' | 'Evicting' | 'Ready' | 'ApplicationEvicted' | 'EvictionEnded';
  message: string;
}

/** The next condition of a cluster after one probe at `now`, and what changed. */
export function nextCondition(
  prev: ClusterCondition | undefined,
  cluster: string,
  probe: Probe,
  now: number,
  settings: FailoverSettings,
): { condition: ClusterCondition; events: FailoverEvent[] } {
  const state: ClusterCondition = prev
    ? { ...prev, lastProbeAt: now }
    : { cluster, ready: true, transitionAt: null, streakSince: null, lastProbeAt: now, lastError: null };
  const events: FailoverEvent[] = [];
  if (state.ready) {
    if (probe.ok) {
      state.streakSince = null;
      state.lastError = null;
    } else {
      state.streakSince ??= now;
      state.lastError = probe.error ?? 'probe failed';
      if (now - state.streakSince >= settings.failureThresholdSeconds * 1000) {
        state.ready = false;
        state.transitionAt = now;
        state.streakSince = null;
        events.push({
          cluster,
          at: now,
          type: 'NotReady',
          message:
            `cluster ${cluster} stopped answering (${state.lastError}): tainted ${NOT_READY_TAINT_KEY}:NoSchedule; ` +
            `its workloads move after ${settings.tolerationSeconds}s unless it returns`,
        });
      }
    }
  } else if (probe.ok) {
    state.streakSince ??= now;
    if (now - state.streakSince >= settings.recoveryThresholdSeconds * 1000) {
      state.ready = true;
      state.transitionAt = now;
      state.streakSince = null;
      state.lastError = null;
      events.push({ cluster, at: now, type: 'Ready', message: `cluster ${cluster} answers again: not-ready taints removed` });
    }
  } else {
    state.streakSince = null;
    state.lastError = probe.error ?? 'probe failed';
  }
  const before = prev ? evicting(prev, prev.lastProbeAt, settings) : false;
  if (!before && evicting(state, now, settings))
    events.push({ cluster, at: now, type: 'Evicting', message: evictionMessage(cluster, settings) });
  return { condition: state, events };
}

function evictionMessage(cluster: string, settings: FailoverSettings): string {
  return (
    `cluster ${cluster} has been NotReady for ${settings.tolerationSeconds}s: tainted ${NOT_READY_TAINT_KEY}:NoExecute; ` +
    'its replicas move to the remaining eligible clusters'
  );
}

/** Whether the not-ready toleration has run out at `now`. */
function evicting(c: ClusterCondition, now: number, settings: FailoverSettings): boolean {
  return !c.ready && c.transitionAt !== null && now - c.transitionAt >= settings.tolerationSeconds * 1000;
}

/** The taints failover puts on a cluster at `now`: none, NoSchedule, or NoSchedule + NoExecute. */
export function failoverTaints(c: ClusterCondition | undefined, now: number, settings: FailoverSettings): Taint[] {
  if (!c || c.ready) return [];
  const taints: Taint[] = [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' }];
  if (evicting(c, now, settings)) taints.push({ key: NOT_READY_TAINT_KEY, effect: 'NoExecute' });
  return taints;
}

/** Clusters whose workloads are being evicted at `now`, sorted. */
export function evictedClusters(conditions: Iterable<ClusterCondition>, now: number, settings: FailoverSettings): string[] {
  return [...conditions]
    .filter((c) => evicting(c, now, settings))
    .map((c) => c.cluster)
    .sort();
}

/**
 * The previous placements with the evicted clusters taken out — the taint manager's eviction. The
 * scheduler then re-places what they held: Divided workloads by scale-up onto the remaining
 * clusters (§4.3), static weights over the remaining feasible clusters, Duplicated ones simply lose
 * the cluster. Placements that do not mention an evicted cluster are returned as they are.
 */
export function evictFromPrevious(
  previous: ReadonlyMap<string, PreviousPlacement>,
  evicted: readonly string[],
): Map<string, PreviousPlacement> {
  const gone = new Set(evicted);
  const out = new Map<string, PreviousPlacement>();
  for (const [key, p] of previous) {
    if (!p.clusters.some((c) => gone.has(c.name))) out.set(key, p);
    else out.set(key, { ...p, clusters: p.clusters.filter((c) => !gone.has(c.name)) });
  }
  return out;
}
