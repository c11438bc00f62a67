// Warnings for risky moves: what a reviewer must not miss even in a long plan.
import type { RenderSummary } from '../render/render-fleet.js';
import type { Risk, WorkloadChange } from './types.js';
import { describeRef } from '../objects/identity.js';

function regionMap(r: RenderSummary): Map<string, string> {
  return new Map(r.clusters.map((c) => [c.name, c.region]));
}

/** Sums replicas per group (cluster or region) over placements; non-workloads count nothing. */
function totals(r: RenderSummary, groupOf: (cluster: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of r.placements) {
    for (const c of p.clusters) {
      if (c.replicas === null) continue;
      const g = groupOf(c.name);
      if (!g) continue;
      out.set(g, (out.get(g) ?? 0) + c.replicas);
    }
  }
  return out;
}

/**
 * Risks of merging head onto base: per workload a cluster or region dropping to zero, becoming
 * unschedulable, or more than `maxMove` (0..1) of its replicas moving at once; fleet-wide a
 * cluster or region losing all its replicas; VirtualService subsets newly left without replicas.
 */
export function assessRisks(base: RenderSummary, head: RenderSummary, workloads: readonly WorkloadChange[], maxMove: number): Risk[] {
  const risks: Risk[] = [];
  const baseRegion = regionMap(base);
  const headRegion = regionMap(head);

  for (const w of workloads) {
    if (w.change === 'removed') continue; // deleting a workload is the intent, not a risk of it
    const name = describeRef(w.resource);
    if (w.error.after && !w.error.before) {
      risks.push({ code: 'UNSCHEDULABLE', message: `${name} becomes unschedulable: ${w.error.after}`, resource: w.resource });
      continue;
    }
    if (w.replicas.before === null || w.change === 'added') continue;
    for (const c of w.clusters) {
      if ((c.before ?? 0) > 0 && (c.after ?? 0) === 0) {
        risks.push({
          code: 'CLUSTER_TO_ZERO',
          message: `${name}: ${c.cluster} goes from ${c.before} to 0 replicas${c.reason ? ` (${c.reason})` : ''}`,
          resource: w.resource,
        });
      }
    }
    const regionBefore = new Map<string, number>();
    const regionAfter = new Map<string, number>();
    for (const c of w.clusters) {
      const rb = baseRegion.get(c.cluster) ?? '';
      const ra = headRegion.get(c.cluster) ?? '';
      if (rb) regionBefore.set(rb, (regionBefore.get(rb) ?? 0) + (c.before ?? 0));
      if (ra) regionAfter.set(ra, (regionAfter.get(ra) ?? 0) + (c.after ?? 0));
    }
    for (const [region, n] of [...regionBefore].sort()) {
      if (n > 0 && (regionAfter.get(region) ?? 0) === 0) {
        risks.push({ code: 'REGION_TO_ZERO', message: `${name}: region ${region} goes from ${n} to 0 replicas`, resource: w.resource });
      }
    }
    const total = w.clusters.reduce((n, c) => n + (c.before ?? 0), 0);
    if (total > 0 && w.moved / total > maxMove) {
      risks.push({
        code: 'LARGE_MOVE',
        message:
          `${name}: ${w.moved} of ${total} replicas (${Math.round((100 * w.moved) / total)}%) move ` +
          `at once, more than --max-move ${Math.round(maxMove * 100)}%`,
        resource: w.resource,
      });
    }
  }

  const clusterBefore = totals(base, (c) => c);
  const clusterAfter = totals(head, (c) => c);
  for (const [cluster, n] of [...clusterBefore].sort()) {
    if (n > 0 && (clusterAfter.get(cluster) ?? 0) === 0) {
      risks.push({
        code: 'FLEET_CLUSTER_TO_ZERO',
        message: `cluster ${cluster} loses all its replicas (${n} → 0) across the fleet`,
        resource: null,
      });
    }
  }
  const regionBefore = totals(base, (c) => baseRegion.get(c) ?? '');
  const regionAfter = totals(head, (c) => headRegion.get(c) ?? '');
  for (const [region, n] of [...regionBefore].sort()) {
    if (n > 0 && (regionAfter.get(region) ?? 0) === 0) {
      risks.push({
        code: 'FLEET_REGION_TO_ZERO',
        message: `region ${region} loses all its replicas (${n} → 0) across the fleet`,
        resource: null,
      });
    }
  }

  // A VirtualService subset that loses its replicas: head warns where base did not.
  const known = new Set(base.diagnostics.filter((d) => d.code === 'VS_SUBSET_UNBACKED').map((d) => d.message));
  for (const d of head.diagnostics) {
    if (d.code !== 'VS_SUBSET_UNBACKED' || known.has(d.message)) continue;
    risks.push({
      code: 'VS_SUBSET_UNBACKED',
      message:
        `VirtualService weights no longer backed by replicas: ` +
        `${d.message}${d.file ? ` (${d.file}${d.line ? `:${d.line}` : ''})` : ''}`,
      resource: null,
    });
  }
  return risks;
}
