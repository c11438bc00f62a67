// A cluster's capacity as Karmada's cluster status controller records it in
// Cluster.status.resourceSummary (pkg/controllers/status/cluster_status_controller.go:
// getClusterAllocatable, getAllocatedResource, getAllocatingResource), the input of the general
// estimator (docs/reference/semantics.md §3.3) for dynamic weights and Aggregated division:
//   allocatable = Σ nodes' status.allocatable
//   allocated   = Σ requests of pods bound to a node and not finished, plus their count as `pods`
//   allocating  = Σ requests of pods not yet bound to a node (and not being deleted), plus their count
// A pod's request is Kubernetes' effective request: max(Σ containers, each init container) +
// overhead. Pure: nodes and pods come in as plain objects. Quantities are summed exactly.
import type { ResourceSummary, ResourceList } from '../model/types.js';
import { isMap } from '../objects/json.js';
import { parseQuantityExact, type QuantityRational } from '../objects/quantity.js';

type Obj = Record<string, unknown>;

function map(v: unknown): Obj {
  return isMap(v) ? v : {};
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(map) : [];
}

type Totals = Map<string, QuantityRational>;

function add(into: Totals, name: string, q: QuantityRational): void {
  const cur = into.get(name);
  into.set(name, cur ? { num: cur.num * q.den + q.num * cur.den, den: cur.den * q.den } : q);
}

function greater(a: QuantityRational, b: QuantityRational): boolean {
  return a.num * b.den > b.num * a.den;
}

function quantities(resources: unknown): Totals {
  const out: Totals = new Map();
  for (const [k, v] of Object.entries(map(resources))) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    try {
      add(out, k, parseQuantityExact(v));
    } catch {
      // An unreadable quantity counts as nothing rather than failing the whole cluster's summary.
    }
  }
  return out;
}

/** Effective requests of one pod: max(Σ containers, every init container) + overhead. */
export function podRequests(pod: Obj): Totals {
  const spec = map(pod.spec);
  const total: Totals = new Map();
  for (const c of list(spec.containers)) for (const [k, q] of quantities(map(c.resources).requests)) add(total, k, q);
  for (const c of list(spec.initContainers)) {
    for (const [k, q] of quantities(map(c.resources).requests)) {
      const cur = total.get(k);
      if (!cur || greater(q, cur)) total.set(k, q);
    }
  }
  for (const [k, q] of quantities(spec.overhead)) add(total, k, q);
  return total;
}

/** A quantity as Karmada writes it: cpu in millicores, everything else in whole units (rounded up). */
function format(name: string, q: QuantityRational): string {
  if (name === 'cpu') {
    const milli = (q.num * 1000n + q.den - 1n) / q.den;
    return milli % 1000n === 0n ? String(milli / 1000n) : `${milli}m`;
  }
  return String((q.num + q.den - 1n) / q.den);
}

function toList(t: Totals): ResourceList {
  const out: ResourceList = {};
  for (const k of [...t.keys()].sort()) out[k] = format(k, t.get(k)!);
  return out;
}

function finished(pod: Obj): boolean {
  const phase = map(pod.status).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The resourceSummary of a cluster from its nodes and pods. */
export function resourceSummaryOf(
  nodes: readonly Obj[],
  pods: readonly Obj[],
): Required<Pick<ResourceSummary, 'allocatable' | 'allocated' | 'allocating'>> {
  const allocatable: Totals = new Map();
  for (const n of nodes) for (const [k, q] of quantities(map(n.status).allocatable)) add(allocatable, k, q);
  const allocated: Totals = new Map();
  const allocating: Totals = new Map();
  let boundPods = 0;
  let pendingPods = 0;
  for (const p of pods) {
    if (finished(p)) continue;
    const bound = typeof map(p.spec).nodeName === 'string' && map(p.spec).nodeName !== '';
    if (!bound && map(p.metadata).deletionTimestamp) continue;
    const into = bound ? allocated : allocating;
    for (const [k, q] of podRequests(p)) add(into, k, q);
    if (bound) boundPods++;
    else pendingPods++;
  }
  if (boundPods > 0) add(allocated, 'pods', { num: BigInt(boundPods), den: 1n });
  if (pendingPods > 0) add(allocating, 'pods', { num: BigInt(pendingPods), den: 1n });
  return { allocatable: toList(allocatable), allocated: toList(allocated), allocating: toList(allocating) };
}
