// `flotilla diff --kubeconfig`: the desired state against the live clusters, as `kubectl diff`
// does it — every object that differs is sent as a server-side apply with `dryRun=All` (field
// manager flotilla), and the server's answer is compared with the live object. So the "desired"
// side is what the cluster *would* store: defaults and other managers' fields are on both sides
// and never show. The apply stage's own code decides what differs and sends the dry runs
// (kube/sync.ts: only the fields flotilla sends count, Namespaces and CRDs first, conflicts
// reported, never forced on objects flotilla never applied); this module turns its per-object
// results into the same report, unified diffs and exit statuses as the status-branch diff.
import type { Diagnostic } from '../model/diagnostics.js';
import type { ClusterClients } from '../kube/clients.js';
import { syncFleet, type ClusterWork, type FleetSyncResult } from '../kube/fleet.js';
import { refOf, type InventoryEntry, type ObjectResult, type SyncOptions } from '../kube/sync.js';
import { describeRef } from '../objects/identity.js';
import { layoutManifests, manifestPath } from '../objects/layout.js';
import { CLUSTER_ANNOTATION, MANAGED_VALUE } from '../objects/tracking.js';
import { comparableYamlPair, sortedWithSummary, type DiffReport, type ObjectDiff } from './compute.js';
import type { LiveState } from '../state/applied-files.js';
import { unifiedDiff } from './text-diff.js';

/** Per cluster of a live diff: reached or not, and how it was found. */
export interface LiveClusterReport {
  cluster: string;
  reachable: boolean;
  /** `context edge-a`, `secret ns/name` (never a credential); null without a connection. */
  via: string | null;
  /** Why the cluster could not be diffed (no connection, unreachable, 401). */
  error: string | null;
}

/** An object the dry run could not compute (409 conflict, 422, unknown kind). */
export interface LiveObjectFailure {
  cluster: string;
  object: string;
  message: string;
}

function clusterOf(object: Record<string, unknown>, fallback: string): string {
  const meta = (object.metadata ?? {}) as { annotations?: Record<string, string> };
  return meta.annotations?.[CLUSTER_ANNOTATION] ?? fallback;
}

/**
 * The work of a dry run: each cluster's desired objects, and as its inventory the objects the
 * status branch records as applied there (what the reconciler would prune once they leave the
 * desired state). Paths are the render layout's, for the diff headers.
 */
export function liveDiffWork(
  desired: Record<string, ReadonlyArray<Record<string, unknown>>>,
  recorded: LiveState | null,
): { work: ClusterWork[]; paths: Map<string, string> } {
  const byCluster = new Map<string, ClusterWork>();
  const paths = new Map<string, string>();
  const workOf = (cluster: string) => {
    let w = byCluster.get(cluster);
    if (!w) byCluster.set(cluster, (w = { cluster, desired: [], inventory: [] }));
    return w;
  };
  for (const { path, object } of layoutManifests(desired)) {
    const cluster = clusterOf(object, path.slice(0, path.indexOf('/')));
    const { id, ref } = refOf(object);
    workOf(cluster).desired.push({ id, ref, object, changed: true });
    paths.set(`${cluster}|${id}`, path);
  }
  for (const o of recorded?.objects ?? []) {
    const cluster = clusterOf(o.object, o.clusterSegment);
    const { id, ref } = refOf(o.object);
    const w = workOf(cluster);
    if (w.inventory.some((e) => e.id === id)) continue;
    w.inventory.push({ id, ...ref } satisfies InventoryEntry);
    if (!paths.has(`${cluster}|${id}`)) paths.set(`${cluster}|${id}`, o.path);
  }
  for (const w of byCluster.values()) w.inventory.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { work: [...byCluster.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1)), paths };
}

/** Sends the dry runs: every cluster at once up to `parallelism`, each on its own (one down never hides the others). */
export async function dryRunLiveClusters(input: {
  work: readonly ClusterWork[];
  clients: ClusterClients;
  parallelism: number;
  revisionHasErrors: boolean;
  maxDeletePercent?: number;
  clusterScopedRefusal?: SyncOptions['clusterScopedRefusal'];
}): Promise<FleetSyncResult> {
  return syncFleet({
    work: input.work,
    client: (cluster) =>
      input.clients.clients.get(cluster) ?? { error: input.clients.errors.get(cluster) ?? `no connection for cluster ${cluster}` },
    parallelism: input.parallelism,
    options: {
      fieldManager: MANAGED_VALUE,
      force: false,
      dryRun: true,
      objectConcurrency: 8,
      keepObjects: true,
      ...(input.clusterScopedRefusal ? { clusterScopedRefusal: input.clusterScopedRefusal } : {}),
    },
    maxDeletePercent: input.maxDeletePercent ?? 50,
    revisionHasErrors: input.revisionHasErrors,
  });
}

/** The diff report of a dry run: one unified diff per object that would change, per cluster. */
export function liveDiffReport(input: {
  desiredRevision: string;
  diagnostics: Diagnostic[];
  sync: FleetSyncResult;
  /**
   * The work the dry run was given (its desired objects show when the server could not answer for
   * one, e.g. in a namespace the dry run did not create).
   */
  work: readonly ClusterWork[];
  paths: ReadonlyMap<string, string>;
  via: ReadonlyMap<string, string>;
  /** Status-branch files that could not be read (when the inventory came from there). */
  liveProblems?: string[];
}): DiffReport {
  const objects: ObjectDiff[] = [];
  const failures: LiveObjectFailure[] = [];
  const clusters: LiveClusterReport[] = [];
  const notes: string[] = [];
  let unchanged = 0;
  const desiredOf = new Map(input.work.flatMap((w) => w.desired.map((d) => [`${w.cluster}|${d.id}`, d.object] as const)));
  for (const c of input.sync.clusters) {
    clusters.push({ cluster: c.cluster, reachable: c.error === null, via: input.via.get(c.cluster) ?? null, error: c.error });
    if (c.error !== null) continue;
    if (c.pruneHeld) notes.push(`${c.cluster}: not deleted: ${c.pruneHeld}`);
    for (const o of c.objects) {
      const path = input.paths.get(`${c.cluster}|${o.id}`) ?? manifestPath(c.cluster, o.ref);
      const one = objectDiff(c.cluster, path, o, desiredOf.get(`${c.cluster}|${o.id}`) ?? null);
      if (one === 'unchanged') unchanged++;
      else if (one === null) {
        if (o.action === 'failed') failures.push({ cluster: c.cluster, object: describeRef(o.ref), message: o.message ?? 'failed' });
      } else objects.push(one);
    }
  }
  return {
    desiredRevision: input.desiredRevision,
    live: null,
    note: notes.length > 0 ? notes.join('; ') : null,
    ...sortedWithSummary(objects, unchanged),
    liveProblems: input.liveProblems ?? [],
    diagnostics: input.diagnostics,
    liveClusters: clusters,
    liveFailures: failures,
  };
}

/** One object's diff from its dry-run result; 'unchanged', or null when there is nothing to show (failed, skipped). */
function objectDiff(
  cluster: string,
  path: string,
  o: ObjectResult,
  desired: Record<string, unknown> | null,
): ObjectDiff | 'unchanged' | null {
  if (o.action === 'unchanged') return 'unchanged';
  const created = o.applied ?? desired;
  if (o.action === 'created' && created) {
    return {
      cluster,
      change: 'added',
      livePath: null,
      desiredPath: path,
      diff: unifiedDiff('/dev/null', `desired/${path}`, '', comparableYamlPair(null, created).after),
    };
  }
  if (o.action === 'configured' && o.applied && o.live) {
    const { before, after } = comparableYamlPair(o.live, o.applied);
    // The fields flotilla sends differed, yet the server would store the same object (a quantity written differently).
    if (before === after) return 'unchanged';
    return {
      cluster,
      change: 'changed',
      livePath: path,
      desiredPath: path,
      diff: unifiedDiff(`live/${path}`, `desired/${path}`, before, after),
    };
  }
  if (o.action === 'deleted' && o.live) {
    return {
      cluster,
      change: 'removed',
      livePath: path,
      desiredPath: null,
      diff: unifiedDiff(`live/${path}`, '/dev/null', comparableYamlPair(o.live, null).before, ''),
    };
  }
  return null;
}
