// What the reconciler adds for live clusters (the kubernetes target): which scheduling failures
// failover caused and how they are kept, the per-cluster status from a fleet sync, and the phase
// of a pass. Pure: the render, the applied state, the sync result and the observation come in.
//
// The rule for failover-caused scheduling failures (decided here, README "Live clusters"): a
// SCHEDULE_FAILED is an error for `validate`, `render` and `plan`, and a commit with one is
// Invalid in the reconciler — except when failover caused it. A resource whose placement fails
// *because of* a cluster's not-ready taint (the scheduler's reasons name the taint) and that had a
// placement before (the last good previous placements, before eviction) is kept as it was: its
// applied objects stay in the desired state on the clusters they were on (nothing of it is pruned),
// the diagnostic is downgraded to a warning in the status, and the pass is Degraded. Karmada does
// the same: a binding the scheduler cannot place keeps its last schedule result. Any other error,
// or a failover failure together with any other error, keeps the whole revision Invalid.
import { FlotillaError, type Diagnostic } from '../model/diagnostics.js';
import type { PlacementResult, PreviousPlacement } from '../model/types.js';
import { versionedKey, type ObjectRef } from '../objects/identity.js';
import { NOT_READY_TAINT_KEY, type ClusterCondition, type FailoverEvent } from './failover.js';
import type { FleetSyncResult } from '../kube/fleet.js';
import type { HealthStatus } from '../kube/health.js';
import { SUSPENDED_MESSAGE } from '../kube/sync.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { ClusterStatus, Phase } from '../state/document.js';
import { stateObjects, type AppliedState } from '../state/change-set.js';

/** Failover's not-ready taint kept a resource from being placed; it stays as it was. */
export interface KeptPlacement {
  placement: PlacementResult;
  previous: PreviousPlacement;
}

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

function scheduleFailedPrefix(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} cannot be scheduled:`;
}

/** Karmada's histogram bucket of the ClusterEviction filter (src/placement/filter.ts). */
const EVICTION_BUCKET = 'is in the process of eviction';

/**
 * A scheduling failure failover caused: a cluster's not-ready taint, or an application failover
 * eviction (a workload no other cluster can take stays where it was, and the revision is not
 * Invalid for it; docs/reference/semantics.md §4.5).
 */
function failoverCaused(error: string): boolean {
  return error.includes(NOT_READY_TAINT_KEY) || error.includes(EVICTION_BUCKET);
}

/**
 * The placements failover made unschedulable, when they are the revision's only errors; null when
 * the revision has other errors (it is Invalid) or none of this kind.
 */
export function failoverUnschedulable(
  result: Pick<RenderResult, 'diagnostics' | 'placements'>,
  previous: ReadonlyMap<string, PreviousPlacement> | undefined,
): KeptPlacement[] | null {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0 || errors.some((d) => d.code !== 'SCHEDULE_FAILED')) return null;
  const failing = result.placements.filter((p) => p.error !== null);
  const kept: KeptPlacement[] = [];
  for (const p of failing) {
    const before = previous?.get(versionedKey(p.resource));
    if (!before || before.clusters.length === 0 || !failoverCaused(p.error!)) return null;
    kept.push({ placement: p, previous: before });
  }
  // Every error must belong to one of the kept placements.
  if (!errors.every((d) => failing.some((p) => d.message.startsWith(scheduleFailedPrefix(p.resource))))) return null;
  return kept.length > 0 ? kept : null;
}

/**
 * The rendered manifests plus, for every kept placement, its objects as last applied on every
 * cluster they were on. Lists of untouched clusters are returned as they are (the diff's fast path).
 */
export function withKeptObjects(
  manifests: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>,
  applied: AppliedState,
  kept: readonly KeptPlacement[],
): Record<string, ReadonlyArray<Record<string, unknown>>> {
  const out: Record<string, ReadonlyArray<Record<string, unknown>>> = { ...manifests };
  const extra = new Map<string, Array<Record<string, unknown>>>();
  for (const o of stateObjects(applied)) {
    if (!kept.some((k) => sameRef(k.placement.resource, o.ref))) continue;
    // The diff stage reads every restored object before it keeps any (hydrateApplied).
    if (o.object === null) throw new FlotillaError('INTERNAL', `${o.path}: kept object not read`);
    const list = extra.get(o.cluster) ?? [];
    list.push(o.object);
    extra.set(o.cluster, list);
  }
  for (const [cluster, objects] of [...extra].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[cluster] = [...(out[cluster] ?? []), ...objects];
  return out;
}

/** The render's diagnostics with the kept placements' SCHEDULE_FAILED errors as warnings saying so. */
export function keptDiagnostics(diagnostics: readonly Diagnostic[], kept: readonly KeptPlacement[]): Diagnostic[] {
  return diagnostics.map((d) => {
    if (d.severity !== 'error' || !kept.some((k) => d.message.startsWith(scheduleFailedPrefix(k.placement.resource)))) return d;
    const which = d.message.includes(EVICTION_BUCKET) ? 'application failover' : 'cluster failover';
    return { ...d, severity: 'warning', message: `${d.message} (${which}: kept where it was until a cluster can take it)` };
  });
}

/** Objects per cluster whose live value had drifted from the desired one (corrected in this pass). */
export function driftedPerCluster(result: FleetSyncResult): Map<string, number> {
  return new Map(result.clusters.map((c) => [c.cluster, c.objects.filter((o) => o.drift.length > 0).length]));
}

/** What the reconciler knows about one live cluster this pass. */
export interface LiveCluster {
  /** Failover's condition (null: not probed — no connection). */
  condition: ClusterCondition | null;
  /** Why flotilla cannot connect (null: connected). */
  connectionError: string | null;
}

/**
 * A cluster's status from the live sync (when the cluster had work this pass) and failover's view:
 * counts are what happened on the cluster, not in the desired state.
 */
export function liveClusterStatus(
  base: ClusterStatus,
  sync: FleetSyncResult['clusters'][number] | undefined,
  live: LiveCluster,
): ClusterStatus {
  const ready = live.condition ? live.condition.ready : null;
  const notReady = live.condition && !live.condition.ready ? `not ready: ${live.condition.lastError ?? 'probe failed'}` : null;
  if (!sync) {
    return {
      ...base,
      reachable: live.connectionError === null && ready !== false,
      ready,
      health: null,
      drifted: 0,
      message: live.connectionError ?? notReady,
    };
  }
  return {
    reachable: sync.reachable && live.connectionError === null,
    applied: sync.counts.created + sync.counts.configured,
    unchanged: sync.counts.unchanged,
    deleted: sync.counts.deleted,
    failed: sync.counts.failed + (sync.error ? sync.counts.skipped : 0),
    ready,
    health: sync.objects.some((o) => o.health) ? sync.health.status : null,
    drifted: sync.objects.filter((o) => o.drift.length > 0).length,
    message:
      joinNotes(
        sync.error ??
          (sync.counts.failed > 0
            ? `${sync.counts.failed} object${sync.counts.failed === 1 ? '' : 's'} failed: ` +
              (sync.objects.find((o) => o.action === 'failed')?.message ?? '')
            : null),
        // Cluster isolation: a run still going, or runs that ended in the background (kube/fleet.ts).
        sync.background?.message ?? null,
        suspendedNote(sync.objects),
      ) ?? notReady,
  };
}

/** "2 objects suspended (spec.suspension): left as they are", or null (docs/reference/semantics.md §2.4). */
function suspendedNote(objects: ReadonlyArray<{ action: string; message: string | null }>): string | null {
  const n = objects.filter((o) => o.action === 'skipped' && o.message === SUSPENDED_MESSAGE).length;
  return n === 0 ? null : `${n} object${n === 1 ? '' : 's'} suspended (spec.suspension): left as ${n === 1 ? 'it is' : 'they are'}`;
}

function joinNotes(...notes: Array<string | null>): string | null {
  const present = notes.filter((n): n is string => n !== null && n !== '');
  return present.length > 0 ? present.join('; ') : null;
}

/** Why live clusters hold a pass that applied its revision below Synced. */
export const LIVE_REASONS = ['FailoverUnschedulable', 'DriftCorrected', 'Unhealthy', 'ApplyInProgress', 'RolloutInProgress'] as const;
export type LiveReason = (typeof LIVE_REASONS)[number];

/** What the live clusters say about a pass: its phase, why, and a note for the message. */
export interface LivePhase {
  phase: Phase;
  reason: LiveReason | null;
  note: string | null;
}

/**
 * The phase a live sync gives a pass that applied its revision without a failed target. `applying`:
 * clusters still applying in the background (cluster isolation): the revision is not in force there yet.
 */
export function livePhase(input: { kept: number; drifted: number; health: HealthStatus | null; applying?: readonly string[] }): LivePhase {
  if (input.kept > 0)
    return {
      phase: 'Degraded',
      reason: 'FailoverUnschedulable',
      note:
        `${input.kept} resource${input.kept === 1 ? '' : 's'} cannot be placed while a cluster is not ready: ` +
        `kept where ${input.kept === 1 ? 'it was' : 'they were'}`,
    };
  if (input.drifted > 0)
    return {
      phase: 'Degraded',
      reason: 'DriftCorrected',
      note: `drift corrected on ${input.drifted} object${input.drifted === 1 ? '' : 's'}`,
    };
  if (input.health === 'Degraded') return { phase: 'Degraded', reason: 'Unhealthy', note: 'some workloads are unhealthy' };
  const applying = input.applying ?? [];
  if (applying.length > 0)
    return {
      phase: 'Progressing',
      reason: 'ApplyInProgress',
      note: `${applying.length} cluster${applying.length === 1 ? '' : 's'} still applying in the background: ${applying.join(', ')}`,
    };
  if (input.health === 'Progressing' || input.health === 'Missing')
    return { phase: 'Progressing', reason: 'RolloutInProgress', note: 'rollouts in progress' };
  return { phase: 'Synced', reason: null, note: null };
}

/** Failover events kept on the status branch: the newest `limit`, oldest first. */
export function recentEvents(before: readonly FailoverEvent[], added: readonly FailoverEvent[], limit = 20): FailoverEvent[] {
  return [...before, ...added].slice(-limit);
}

/**
 * Per evicted cluster, the resources (versionedKey) of `previous` that had replicas there: the
 * workloads failover is about to move off it, which rebalanceOnRecovery may move back later.
 */
export function displacedBy(previous: ReadonlyMap<string, PreviousPlacement>, evicted: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const cluster of evicted) {
    const keys = [...previous]
      .filter(([, p]) => p.clusters.some((c) => c.name === cluster && (c.replicas ?? 0) > 0))
      .map(([k]) => k)
      .sort();
    if (keys.length > 0) out.set(cluster, keys);
  }
  return out;
}

/**
 * The previous placements with `keys` marked for a fresh schedule (Karmada's Fresh mode, what a
 * WorkloadRebalancer triggers): dynamic weights and Aggregated then divide by allocatable plus
 * what each cluster holds, instead of keeping the previous split. Static weights and Duplicated
 * ignore the previous result either way. Other placements are returned as they are.
 */
export function markFresh(previous: ReadonlyMap<string, PreviousPlacement>, keys: ReadonlySet<string>): Map<string, PreviousPlacement> {
  const out = new Map<string, PreviousPlacement>();
  for (const [key, p] of previous) out.set(key, keys.has(key) ? { ...p, fresh: true } : p);
  return out;
}
