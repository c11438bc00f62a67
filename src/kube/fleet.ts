// Many clusters at once: each cluster's pass runs on its own (a limit of `parallelism` at a time,
// the KarmadaConfig's scheduler.parallelism or the target's setting), and one cluster failing —
// unreachable, throttling, rejecting objects — never blocks or fails the others. The
// mass-deletion guard is fleet-wide, like the reconciler's (state/deletion-guard.ts): a revision that
// would delete more than the limit of everything flotilla has applied is held back everywhere.
// Applying only: probing the clusters for failover and capacity is src/live/'s (live-fleet.ts).
// With `background` (cluster-pipelines.ts), a cluster still applying at the pass deadline goes on
// in the background and is reported as applying, its outcome by the next pass.
import type { KubeApi } from './api.js';
import { Discovery } from './discovery.js';
import type { HealthStatus } from './health.js';
import { rollUpHealth } from './health.js';
import { mapLimit } from './limit.js';
import { emptyCounts } from './sync-types.js';
import type { BackgroundOutcome, ClusterPipelines, RoundResult, StillApplying } from './cluster-pipelines.js';
import type { BackgroundNote } from './sync-types.js';
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
  /** Ids of old copies application failover keeps here while their workload is evicted → why (never pruned). */
  retained?: ReadonlyMap<string, string>;
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
    // A copy kept by a graceful eviction is not leaving (yet): it is counted when its eviction ends.
    leaving += w.inventory.filter((e) => !ids.has(e.id) && !w.retained?.has(e.id)).length;
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

/** Cluster isolation for syncFleet: each cluster runs in its pipeline, and the pass waits up to a deadline. */
export interface FleetBackground {
  pipelines: ClusterPipelines<ClusterSyncResult>;
  /** How long the pass waits for its clusters; null: until every one is done. */
  deadlineMs: number | null;
  /** The revision being applied, for the reports. */
  revision: string | null;
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
  background?: FleetBackground;
  /** The cluster's work as it must be when its run starts (a run queued behind a busy one reads the inventory of then). */
  atStart?(w: ClusterWork): ClusterWork;
}): Promise<FleetSyncResult> {
  const prune = pruneGuard(input.work, input);
  const sorted = [...input.work].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
  const elsewhere = desiredOnSameServer(sorted, input.client);
  const syncOne = async (work: ClusterWork): Promise<ClusterSyncResult> => {
    const w = input.atStart?.(work) ?? work;
    const c = input.client(w.cluster);
    if ('error' in c) return unavailableCluster(w, c.error, 'NO_CONNECTION');
    try {
      return await syncCluster({
        api: c.api,
        discovery: c.discovery,
        desired: w.desired,
        inventory: w.inventory,
        ...(w.adoptLive ? { adoptLive: true } : {}),
        ...(w.retained ? { retained: w.retained } : {}),
        ...(elsewhere.has(w.cluster) ? { desiredElsewhere: elsewhere.get(w.cluster)! } : {}),
        pruneAllowed: prune.allowed,
        ...(prune.reason ? { pruneHeldReason: prune.reason } : {}),
        options: input.options,
      });
    } catch (e) {
      // A bug or an unexpected answer in one cluster must not take the others down.
      return unavailableCluster(w, `internal error: ${(e as Error).message}`, 'INTERNAL');
    }
  };
  const bg = input.background;
  const clusters = bg
    ? roundReport(
        sorted,
        await bg.pipelines.round(
          sorted.map((w) => ({ cluster: w.cluster, run: () => syncOne(w) })),
          { revision: bg.revision, deadlineMs: bg.deadlineMs, parallelism: input.parallelism },
        ),
      )
    : await mapLimit(sorted, input.parallelism, syncOne);
  return fleetResult(clusters, prune);
}

/** The fleet's result from its clusters' (counts, writes and health rolled up). */
export function fleetResult(clusters: ClusterSyncResult[], prune: PruneGuard): FleetSyncResult {
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

const short = (revision: string | null) =>
  revision === null ? 'unknown' : /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 12) : revision;
const iso = (ms: number) => new Date(ms).toISOString();

/** The cluster results of a round: those that ended in it, the ones still applying, and background outcomes merged in. */
export function roundReport(work: readonly ClusterWork[], round: RoundResult<ClusterSyncResult>): ClusterSyncResult[] {
  const out: ClusterSyncResult[] = [];
  const byName = new Map(work.map((w) => [w.cluster, w]));
  for (const cluster of [...new Set([...byName.keys(), ...round.background.keys()])].sort()) {
    const one = clusterReport(
      round.finished.get(cluster) ?? null,
      round.applying.get(cluster) ?? null,
      round.background.get(cluster) ?? [],
      byName.get(cluster)?.inventory ?? [],
    );
    if (one) out.push(one);
  }
  return out;
}

/**
 * One cluster's result for a pass: the run that ended in it, else a shell for a run still going
 * (nothing counted as applied), else the last background outcome; with the background outcomes
 * merged in. Null when there is nothing to say. `inventory`: the cluster's before the pass.
 */
export function clusterReport(
  finished: ClusterSyncResult | null,
  applying: StillApplying | null,
  background: readonly BackgroundOutcome<ClusterSyncResult>[],
  inventory: readonly InventoryEntry[],
): ClusterSyncResult | null {
  const last = background.at(-1)?.result ?? null;
  if (finished) return withBackground(finished, background, applying, background);
  if (applying)
    return withBackground(applyingResult(applying.cluster, last?.inventory ?? inventory, last), background, applying, background);
  if (last) return withBackground(last, background.slice(0, -1), null, background);
  return null;
}

/** A cluster whose run is still going: nothing applied is counted; inventory and health as last known. */
function applyingResult(cluster: string, inventory: readonly InventoryEntry[], last: ClusterSyncResult | null): ClusterSyncResult {
  return {
    cluster,
    reachable: true,
    error: null,
    errorCode: null,
    objects: [],
    inventory: [...inventory],
    counts: emptyCounts(),
    health: last?.health ?? rollUpHealth([]),
    writes: 0,
    pruneHeld: null,
  };
}

/**
 * `base` with the outcomes of earlier background runs added (their writes happened since the last
 * report: counted as applied, deleted or failed; an object they changed is not "unchanged" here) and
 * the note saying so. `merge` are the outcomes to add to `base`; `all` every one reported.
 */
function withBackground(
  base: ClusterSyncResult,
  merge: readonly BackgroundOutcome<ClusterSyncResult>[],
  applying: StillApplying | null,
  all: readonly BackgroundOutcome<ClusterSyncResult>[],
): ClusterSyncResult {
  if (!applying && all.length === 0) return base;
  const counts = { ...base.counts };
  const objects = new Map(base.objects.map((o) => [o.id, o]));
  let writes = base.writes;
  for (const { result } of merge) {
    for (const k of ['created', 'configured', 'deleted', 'failed'] as const) counts[k] += result.counts[k];
    for (const o of result.objects) {
      const now = objects.get(o.id);
      if (o.action !== 'unchanged' && (!now || now.action === 'unchanged')) {
        if (now) counts.unchanged--;
        objects.set(o.id, o);
      }
    }
    writes += result.writes;
  }
  const note: BackgroundNote = {
    applying,
    included: all.map((o) => ({ revision: o.revision, startedAt: o.startedAt, finishedAt: o.finishedAt })),
    message: backgroundMessage(applying, all),
  };
  return { ...base, counts, objects: [...objects.values()], writes, background: note };
}

function backgroundMessage(applying: StillApplying | null, all: readonly BackgroundOutcome<ClusterSyncResult>[]): string {
  const parts: string[] = [];
  if (applying) {
    parts.push(
      `still applying revision ${short(applying.revision)} in the background (since ${iso(applying.since)}): not counted as applied` +
        (applying.queued !== null && applying.queued !== applying.revision ? `; revision ${short(applying.queued)} waits behind it` : ''),
    );
  }
  for (const o of all) {
    const r = o.result;
    const failed = r.error ?? (r.counts.failed > 0 ? `${r.counts.failed} failed` : null);
    parts.push(
      `the background run of revision ${short(o.revision)} ended at ${iso(o.finishedAt)}` +
        `${failed ? ` (${failed})` : ''}: its changes are counted here`,
    );
  }
  return parts.join('; ');
}
