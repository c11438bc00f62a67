// The placement matrix the dashboard and `flotilla report` draw: workloads × clusters, replicas per
// cell, built from a render (and, in the daemon, the status and the last pass's unhealthy objects),
// or from a plan's two renders with the cells the plan says changed. Pure: data in, data out; the
// page's script only draws it. Cells are sparse (a row lists only the clusters it is on), so a
// fleet of 1,000 clusters costs what its placements cost, not rows × clusters.
import type { Cluster, PlacementResult } from '../model/types.js';
import { describeRef, versionedKey } from '../objects/identity.js';
import type { PlanReport } from '../plan/types.js';
import type { RenderSummary } from '../render/render-fleet.js';
import type { ReconcileStatus } from '../state/document.js';

export interface MatrixCluster {
  name: string;
  provider: string;
  region: string;
  zones: string[];
  ready: boolean;
  fleets: string[];
  /** "key=value:Effect" per taint. */
  taints: string[];
  /** Declared allocatable cpu and memory ("cpu 64, memory 256Gi"), null when none is declared. */
  capacity: string | null;
  /** From the status (live clusters only): health roll-up, drift corrected, reachability, message. */
  health: string | null;
  drifted: number;
  reachable: boolean | null;
  message: string | null;
}

/** One cluster of one row. `was` is set, in a plan, on cells that changed: what base had there. */
export interface MatrixCell {
  /** Index into MatrixView.clusters. */
  c: number;
  /** Whether the resource is placed there (after, in a plan). */
  placed: boolean;
  /** Replicas (null: not a workload). */
  r: number | null;
  /** The object's health on that cluster when the last pass read it as not Healthy. */
  health?: string;
  was?: { placed: boolean; r: number | null };
  reason?: string;
}

export interface MatrixRow {
  /** KIND/NAMESPACE/NAME as `flotilla explain` takes it. */
  ref: string;
  /** The identity key (apiVersion included), for links. */
  key: string;
  kind: string;
  namespace: string;
  name: string;
  policy: string | null;
  replicas: number | null;
  error: string | null;
  cells: MatrixCell[];
  /** In a plan: how the row changed (null: unchanged). */
  change: 'added' | 'removed' | 'changed' | null;
}

export interface MatrixView {
  revision: string;
  clusters: MatrixCluster[];
  rows: MatrixRow[];
}

/** Health of cells read from the last pass (UnhealthyObject: cluster and "Kind namespace/name"). */
export interface CellHealth {
  cluster: string;
  object: string;
  health: string;
}

function taintText(t: Cluster['taints'][number]): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function capacityText(c: Cluster | undefined): string | null {
  const a = c?.resourceSummary?.allocatable;
  if (!a) return null;
  const parts = ['cpu', 'memory', 'pods'].filter((k) => a[k] !== undefined).map((k) => `${k} ${String(a[k])}`);
  return parts.length ? parts.join(', ') : null;
}

/** The clusters of a render (sorted by name as the render has them), with what the status says of each. */
function matrixClusters(render: RenderSummary, status: ReconcileStatus | null): MatrixCluster[] {
  const byName = new Map(render.model.clusters.map((c) => [c.name, c]));
  return render.clusters.map((c) => {
    const s = status?.clusters[c.name];
    const model = byName.get(c.name);
    return {
      name: c.name,
      provider: c.provider,
      region: c.region,
      zones: c.zones,
      ready: c.ready,
      fleets: c.fleets,
      taints: (model?.taints ?? []).map(taintText),
      capacity: capacityText(model),
      health: s?.health ?? null,
      drifted: s?.drifted ?? 0,
      reachable: s ? s.reachable : null,
      message: s?.message ?? null,
    };
  });
}

/** "PropagationPolicy/default/web" (cluster-scoped: "ClusterPropagationPolicy/web"), as the pages name a policy. */
export function policyName(p: { kind: string; namespace: string; name: string }): string {
  return `${p.kind}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

/** "Deployment/default/nginx" (cluster-scoped: "ClusterRole/name"), what `explain` takes. */
export function explainRef(r: PlacementResult['resource']): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

function rowOf(p: PlacementResult, index: ReadonlyMap<string, number>, health: ReadonlyMap<string, string>): MatrixRow {
  const object = describeRef(p.resource);
  const cells: MatrixCell[] = [];
  for (const t of p.clusters) {
    const c = index.get(t.name);
    if (c === undefined) continue;
    const h = health.get(`${t.name}\n${object}`);
    cells.push({ c, placed: true, r: t.replicas, ...(h ? { health: h } : {}) });
  }
  cells.sort((a, b) => a.c - b.c);
  return {
    ref: explainRef(p.resource),
    key: versionedKey(p.resource),
    kind: p.resource.kind,
    namespace: p.resource.namespace,
    name: p.resource.name,
    policy: p.policy ? policyName(p.policy) : null,
    replicas: p.replicas,
    error: p.error,
    cells,
    change: null,
  };
}

/** The matrix of one render: what `flotilla get placements` lists, one row per placed resource. */
export function fleetMatrix(
  render: RenderSummary,
  status: ReconcileStatus | null = null,
  unhealthy: readonly CellHealth[] = [],
): MatrixView {
  const clusters = matrixClusters(render, status);
  const index = new Map(clusters.map((c, i) => [c.name, i]));
  const health = new Map(unhealthy.map((u) => [`${u.cluster}\n${u.object}`, u.health]));
  return { revision: render.revision, clusters, rows: render.placements.map((p) => rowOf(p, index, health)) };
}

/**
 * The matrix of a plan: head's rows (and base's rows head removed), each cell as head places it,
 * with `was` on the cells the plan reports as changed (computePlan's ClusterMove: the same cells
 * `flotilla plan` lists). Clusters are every cluster of either revision.
 */
export function planMatrix(base: RenderSummary, head: RenderSummary, report: PlanReport): MatrixView {
  const headClusters = matrixClusters(head, null);
  const known = new Set(headClusters.map((c) => c.name));
  const gone = matrixClusters(base, null).filter((c) => !known.has(c.name));
  const clusters = [...headClusters, ...gone].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const index = new Map(clusters.map((c, i) => [c.name, i]));
  const changes = new Map(report.workloads.map((w) => [versionedKey(w.resource), w]));
  const rows = head.placements.map((p) => rowOf(p, index, new Map()));
  const headKeys = new Set(rows.map((r) => r.key));
  for (const p of base.placements) if (!headKeys.has(versionedKey(p.resource))) rows.push({ ...rowOf(p, index, new Map()), cells: [] });
  for (const row of rows) {
    const w = changes.get(row.key);
    if (!w) continue;
    row.change = w.change;
    const byCluster = new Map(row.cells.map((cell) => [cell.c, cell]));
    for (const move of w.clusters) {
      const c = index.get(move.cluster);
      if (c === undefined || move.reason === null) continue;
      const cell = byCluster.get(c) ?? { c, placed: move.placedAfter, r: move.after };
      cell.was = { placed: move.placedBefore, r: move.before };
      cell.reason = move.reason;
      byCluster.set(c, cell);
    }
    row.cells = [...byCluster.values()].sort((a, b) => a.c - b.c);
  }
  return { revision: head.revision, clusters, rows };
}
