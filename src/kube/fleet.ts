// Many clusters at once: each cluster's pass runs on its own (a limit of `parallelism` at a time,
// the KarmadaConfig's scheduler.parallelism or the target's setting), and one cluster failing —
// unreachable, throttling, rejecting objects — never blocks or fails the others. The
// mass-deletion guard is fleet-wide, like the reconciler's (state/deletion-guard.ts): a revision that
// would delete more than the limit of everything flotilla has applied is held back everywhere.
// Applying only: probing the clusters for failover and capacity is src/live/'s (live-fleet.ts).
import type { KubeApi } from './api.js';
import { Discovery } from './discovery.js';
import type { HealthStatus } from './health.js';
import { rollUpHealth } from './health.js';
import { mapLimit } from './limit.js';
import { emptyCounts } from './sync-types.js';
import {
  syncCluster,
  type ClusterSyncResult,
  type DesiredObject,
  type InventoryEntry,
  type ObjectAction,
  type SyncOptions,
} from './sync.js';

/** A connected cluster: its API client and cached discovery (kept between passes). */
export interface ClusterClient {
  api: KubeApi;
  discovery: Discovery;
}

/** One cluster's work for a pass. */
export interface ClusterWork {
  cluster: string;
  desired: DesiredObject[];
  inventory: InventoryEntry[];
  /** No inventory is kept for the cluster yet: adopt flotilla's live objects for it (syncCluster adoptLive). */
  adoptLive?: boolean;
}

export interface PruneGuard {
  /** True when pruning runs this pass. */
  allowed: boolean;
  /** Objects of the inventory that left the desired state, fleet-wide. */
  leaving: number;
  total: number;
  reason: string | null;
}

export interface FleetSyncResult {
  clusters: ClusterSyncResult[];
  prune: PruneGuard;
  health: { status: HealthStatus; counts: Record<HealthStatus, number> };
  counts: Record<ObjectAction, number>;
  writes: number;
}

/**
 * Whether objects may be deleted: never while the revision has error diagnostics, never past the
 * mass-deletion guard (percentage of all inventoried objects, fleet-wide) unless the commit
 * trailer Flotilla-Allow-Deletions allowed at least this many (`allowedLeaving`).
 */
export function pruneGuard(
  work: readonly ClusterWork[],
  opts: { maxDeletePercent: number; revisionHasErrors: boolean; allowedLeaving?: number },
): PruneGuard {
  let total = 0;
  let leaving = 0;
  for (const w of work) {
    const ids = new Set(w.desired.map((d) => d.id));
    total += w.inventory.length;
    leaving += w.inventory.filter((e) => !ids.has(e.id)).length;
  }
  if (leaving === 0) return { allowed: true, leaving, total, reason: null };
  if (opts.revisionHasErrors) return { allowed: false, leaving, total, reason: 'the revision has error diagnostics' };
  const percent = total === 0 ? 0 : (leaving / total) * 100;
  if (percent > opts.maxDeletePercent && !(opts.allowedLeaving !== undefined && leaving <= opts.allowedLeaving)) {
    return {
      allowed: false,
      leaving,
      total,
      reason:
        `${leaving} of ${total} objects (${Math.round(percent * 100) / 100}%) would be deleted, ` +
        `over the mass-deletion limit of ${opts.maxDeletePercent}%`,
    };
  }
  return { allowed: true, leaving, total, reason: null };
}

/** The result for a cluster flotilla cannot even try (no connection). */
export function unavailableCluster(w: ClusterWork, error: string, code: string): ClusterSyncResult {
  const objects = w.desired.map((d) => ({
    id: d.id,
    ref: d.ref,
    action: 'skipped' as const,
    drift: [],
    message: error,
    code,
    health: null,
  }));
  return {
    cluster: w.cluster,
    reachable: false,
    error,
    errorCode: code,
    objects,
    inventory: [...w.inventory],
    counts: { ...emptyCounts(), skipped: objects.length },
    health: rollUpHealth([]),
    writes: 0,
    pruneHeld: null,
  };
}

/**
 * Per cluster, the ids other cluster names reaching the same API server (a renamed cluster, two
 * contexts to one server) desire this pass, with the first such name: pruning them there would
 * delete what the other name applies, whichever of the two runs first.
 */
function desiredOnSameServer(
  work: readonly ClusterWork[],
  client: (cluster: string) => ClusterClient | { error: string },
): Map<string, Map<string, string>> {
  const byServer = new Map<string, ClusterWork[]>();
  for (const w of work) {
    const c = client(w.cluster);
    if ('error' in c) continue;
    byServer.set(c.api.server, [...(byServer.get(c.api.server) ?? []), w]);
  }
  const out = new Map<string, Map<string, string>>();
  for (const group of byServer.values()) {
    if (group.length < 2) continue;
    for (const w of group) {
      const ids = new Map<string, string>();
      for (const o of group) if (o !== w) for (const d of o.desired) if (!ids.has(d.id)) ids.set(d.id, o.cluster);
      out.set(w.cluster, ids);
    }
  }
  return out;
}

/** Syncs every cluster of `work`, `parallelism` at a time; results sorted by cluster name. */
export async function syncFleet(input: {
  work: readonly ClusterWork[];
  client(cluster: string): ClusterClient | { error: string };
  parallelism: number;
  options: SyncOptions;
  maxDeletePercent: number;
  revisionHasErrors: boolean;
  /** Deletions the commit trailer Flotilla-Allow-Deletions allowed for this revision. */
  allowedLeaving?: number;
}): Promise<FleetSyncResult> {
  const prune = pruneGuard(input.work, input);
  const sorted = [...input.work].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const elsewhere = desiredOnSameServer(sorted, input.client);
  const clusters = await mapLimit(sorted, input.parallelism, async (w) => {
    const c = input.client(w.cluster);
    if ('error' in c) return unavailableCluster(w, c.error, 'NO_CONNECTION');
    try {
      return await syncCluster({
        api: c.api,
        discovery: c.discovery,
        desired: w.desired,
        inventory: w.inventory,
        ...(w.adoptLive ? { adoptLive: true } : {}),
        ...(elsewhere.has(w.cluster) ? { desiredElsewhere: elsewhere.get(w.cluster)! } : {}),
        pruneAllowed: prune.allowed,
        ...(prune.reason ? { pruneHeldReason: prune.reason } : {}),
        options: input.options,
      });
    } catch (e) {
      // A bug or an unexpected answer in one cluster must not take the others down.
      return unavailableCluster(w, `internal error: ${(e as Error).message}`, 'INTERNAL');
    }
  });
  const counts: Record<ObjectAction, number> = emptyCounts();
  for (const c of clusters) for (const k of Object.keys(counts) as ObjectAction[]) counts[k] += c.counts[k];
  return {
    clusters,
    prune,
    health: rollUpHealth(clusters.filter((c) => c.objects.some((o) => o.health)).map((c) => c.health.status)),
    counts,
    writes: clusters.reduce((n, c) => n + c.writes, 0),
  };
}
