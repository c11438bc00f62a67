// Karmada's default filter plugins (docs/reference/semantics.md §3.1), one function each. A filter returns null
// when the cluster passes, or the reason it fails in Karmada's histogram wording.
import type { Cluster, ClusterAffinity, Placement, Taint, Toleration } from '../model/types.js';
import type { ObjectRef } from '../objects/identity.js';
import { clusterMismatchReason } from '../objects/label-selector.js';

export interface FilterContext {
  resource: ObjectRef;
  /** Affinity in force: the placement's clusterAffinity or the observed clusterAffinities term. */
  affinity?: ClusterAffinity;
  /** Overflow affinities of the observed term, OR-ed in for workloads (§3.8). */
  overflow: readonly ClusterAffinity[];
  placement: Placement;
  /** Clusters in the previous result: taint and API filters let them stay (§3.1). */
  previous: ReadonlySet<string>;
  /** Clusters application failover is evicting the resource from (Karmada's gracefulEvictionTasks), when any. */
  evicted?: ReadonlySet<string>;
}

export interface FilterFailure {
  plugin: 'ClusterAffinity' | 'TaintToleration' | 'APIEnablement' | 'SpreadConstraint' | 'ClusterEviction';
  /** Histogram bucket, as Karmada prints it after "N cluster(s) ...". */
  bucket: string;
  /** Detailed reason for `explain`. */
  detail: string;
}

/** k8s toleration matching: empty key + Exists tolerates all; empty effect matches every effect. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  const op = t.operator ?? 'Equal';
  if (!t.key) return op === 'Exists';
  if (t.key !== taint.key) return false;
  if (op === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

function taintText(t: Taint): string {
  return `{${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}}`;
}

// Every resource a policy claims is filtered with the policy's own affinity object, against the same
// few Cluster objects: why a cluster does not match is worked out once per (affinity, cluster), not
// once per resource. Both are built with the revision's model and not changed after.
const mismatches = new WeakMap<ClusterAffinity, WeakMap<Cluster, string | null>>();

function mismatchReason(cluster: Cluster, affinity: ClusterAffinity): string | null {
  let byCluster = mismatches.get(affinity);
  if (!byCluster) mismatches.set(affinity, (byCluster = new WeakMap()));
  let reason = byCluster.get(cluster);
  if (reason === undefined) byCluster.set(cluster, (reason = clusterMismatchReason(cluster, affinity)));
  return reason;
}

/** ClusterAffinity plugin: the affinity in force, or any overflow affinity for workloads. */
export function filterClusterAffinity(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  if (!ctx.affinity) return null;
  // The reason is null exactly when the cluster matches: one pass over the selectors decides both.
  const reason = mismatchReason(cluster, ctx.affinity);
  if (reason === null) return null;
  if (ctx.overflow.some((a) => mismatchReason(cluster, a) === null)) return null;
  return { plugin: 'ClusterAffinity', bucket: 'cluster(s) did not match the placement cluster affinity constraint', detail: reason };
}

/** TaintToleration plugin: NoSchedule/NoExecute taints must be tolerated, unless already placed there. */
export function filterTaintToleration(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  if (ctx.previous.has(cluster.name)) return null;
  for (const taint of cluster.taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (ctx.placement.clusterTolerations.some((t) => toleratesTaint(t, taint))) continue;
    return {
      plugin: 'TaintToleration',
      bucket: `cluster(s) had untolerated taint ${taintText(taint)}`,
      detail: `has taint ${taintText(taint)} that placement.clusterTolerations does not tolerate`,
    };
  }
  return null;
}

/** APIEnablement plugin; a cluster that declares no apiEnablements serves every API (flotilla default). */
export function filterAPIEnablement(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  if (!cluster.apiEnablements || ctx.previous.has(cluster.name)) return null;
  const { apiVersion, kind } = ctx.resource;
  const served = cluster.apiEnablements.some((e) => e.groupVersion === apiVersion && e.resources.some((r) => r.kind === kind));
  if (served) return null;
  return {
    plugin: 'APIEnablement',
    bucket: 'cluster(s) did not have the API resource',
    detail: `status.apiEnablements does not list ${apiVersion} ${kind}`,
  };
}

/**
 * SpreadConstraint plugin: whenever a constraint names provider/region/zone, the cluster needs that
 * field — also when the loader replaced the constraints Karmada would reject (spreadFilterFields).
 */
export function filterSpreadConstraint(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  // Run for every cluster of every resource: most placements have no constraint, so no list is made.
  if (ctx.placement.spreadConstraints.length === 0 && !ctx.placement.spreadFilterFields?.length) return null;
  const fields = [...ctx.placement.spreadConstraints.map((c) => c.spreadByField), ...(ctx.placement.spreadFilterFields ?? [])];
  for (const field of fields) {
    const missing =
      (field === 'provider' && !cluster.provider) ||
      (field === 'region' && !cluster.region) ||
      (field === 'zone' && cluster.zones.length === 0);
    if (missing) {
      return {
        plugin: 'SpreadConstraint',
        bucket: `cluster(s) did not have ${field === 'zone' ? 'zones' : field} property`,
        detail: `spreadConstraints spread by ${field}, and the cluster declares no ${field}`,
      };
    }
  }
  return null;
}

/**
 * ClusterEviction plugin: a cluster the resource is being evicted from (application failover,
 * docs/reference/semantics.md §4.5) takes no replicas until the eviction ends.
 */
export function filterClusterEviction(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  if (!ctx.evicted?.has(cluster.name)) return null;
  return {
    plugin: 'ClusterEviction',
    bucket: 'cluster(s) is in the process of eviction',
    detail:
      'application failover is evicting the workload from this cluster (it stayed unhealthy there beyond tolerationSeconds); ' +
      'a Divided workload stays off it after the eviction ends until its placement or replicas change',
  };
}

const FILTERS = [filterAPIEnablement, filterTaintToleration, filterClusterAffinity, filterSpreadConstraint, filterClusterEviction];

/** Runs every filter in Karmada's registry order; the first failure is the cluster's reason. */
export function filterCluster(cluster: Cluster, ctx: FilterContext): FilterFailure | null {
  for (const f of FILTERS) {
    const failure = f(cluster, ctx);
    if (failure) return failure;
  }
  return null;
}

/**
 * Karmada's FitError text (framework/types.go): "0/3 clusters are available: 1 cluster(s) had ...,
 * 2 cluster(s) ...", the "N reason" strings sorted as whole strings, and "no cluster exists" when
 * no cluster was examined.
 */
export function fitErrorMessage(total: number, failures: readonly FilterFailure[]): string {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f.bucket, (counts.get(f.bucket) ?? 0) + 1);
  const parts = [...counts.entries()].map(([bucket, n]) => `${n} ${bucket}`).sort();
  return `0/${total} clusters are available: ${parts.length > 0 ? parts.join(', ') : 'no cluster exists'}.`;
}
