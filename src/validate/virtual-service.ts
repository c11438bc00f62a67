// Istio VirtualService checks (docs/reference/scenarios.md row 4): weighted routes must sum to 100, and a subset
// that receives traffic should have replicas on some cluster the VirtualService reaches.
import type { DiagnosticSink } from '../model/diagnostics.js';
import type { FleetModel, Manifest, PlacementResult } from '../model/types.js';
import { refOf } from '../placement/schedule.js';
import { replicaField } from '../placement/workload.js';
import { isMap } from '../objects/json.js';
import { versionedKey } from '../objects/identity.js';

interface Destination {
  destination?: { host?: string; subset?: string };
  weight?: number;
}

const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;

export function templateLabels(m: Manifest): Record<string, string> {
  const spec = m.object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
  return spec?.template?.metadata?.labels ?? {};
}

/** Labels that select a subset's pods: the DestinationRule's subset labels, else {app: <service>, version: <subset>}. */
export function subsetSelector(model: FleetModel, vs: Manifest, host: string, subset: string): Record<string, string> {
  const short = host.split('.')[0]!;
  for (const dr of model.resources) {
    if (dr.kind !== 'DestinationRule' || !dr.apiVersion.startsWith('networking.istio.io/')) continue;
    const spec = dr.object.spec as { host?: unknown; subsets?: unknown } | undefined;
    if (
      typeof spec?.host !== 'string' ||
      (spec.host !== host && spec.host.split('.')[0] !== short) ||
      (dr.namespace !== vs.namespace && spec.host !== host)
    )
      continue;
    const subsets = Array.isArray(spec.subsets) ? (spec.subsets as Array<{ name?: unknown; labels?: unknown } | null>) : [];
    const s = subsets.find((x) => x?.name === subset);
    const labels = s?.labels;
    if (isMap(labels)) return labels as Record<string, string>;
  }
  return { app: short, version: subset };
}

/** Checks every VirtualService of the revision; reports through the sink. */
export function checkVirtualServices(model: FleetModel, placements: readonly PlacementResult[], sink: DiagnosticSink): void {
  const placementByKey = new Map(placements.map((p) => [versionedKey(p.resource), p]));
  const workloads = model.resources.filter((m) => replicaField(m.apiVersion, m.kind) !== null);
  for (const vs of model.resources) {
    if (vs.kind !== 'VirtualService' || !vs.apiVersion.startsWith('networking.istio.io/')) continue;
    const spec = (vs.object.spec ?? {}) as Record<string, unknown>;
    const reach = new Set((placementByKey.get(versionedKey(refOf(vs))) ?? { clusters: [] }).clusters.map((c) => c.name));
    for (const routeKind of ROUTE_KINDS) {
      const routes = spec[routeKind];
      if (!Array.isArray(routes)) continue;
      routes.forEach((r: unknown, i: number) => {
        const route = (r as { route?: unknown })?.route;
        if (!Array.isArray(route)) return;
        const path = ['spec', routeKind, i, 'route'];
        const notObject = route.findIndex((d) => !d || typeof d !== 'object' || Array.isArray(d));
        if (notObject >= 0) {
          sink.error('VS_INVALID_ROUTE', `VirtualService ${vs.name}: ${routeKind}[${i}].route[${notObject}] must be a destination object`, {
            source: vs.source,
            path: [...path, notObject],
          });
          return;
        }
        const dests = route as Destination[];
        if (dests.length > 1 || dests.some((d) => d.weight !== undefined)) {
          const bad = dests.findIndex(
            (d) => d.weight !== undefined && (typeof d.weight !== 'number' || !Number.isInteger(d.weight) || d.weight < 0),
          );
          if (bad >= 0) {
            sink.error('VS_WEIGHTS', `VirtualService ${vs.name}: ${routeKind}[${i}].route[${bad}].weight must be a non-negative integer`, {
              source: vs.source,
              path: [...path, bad, 'weight'],
            });
            return;
          }
          const sum = dests.reduce((s, d) => s + (d.weight ?? 0), 0);
          if (dests.length > 1 && sum !== 100) {
            sink.error('VS_WEIGHTS', `VirtualService ${vs.name}: the weights of ${routeKind}[${i}].route sum to ${sum}, not 100`, {
              source: vs.source,
              path,
            });
          }
        }
        if (reach.size === 0) return;
        dests.forEach((d, j) => {
          const host = d.destination?.host;
          const subset = d.destination?.subset;
          if (typeof host !== 'string' || typeof subset !== 'string') return;
          const weight = dests.length === 1 ? (d.weight ?? 100) : (d.weight ?? 0);
          if (!host || !subset || weight <= 0) return;
          const selector = subsetSelector(model, vs, host, subset);
          const backing = workloads.filter((w) => Object.entries(selector).every(([k, v]) => templateLabels(w)[k] === v));
          const onReach = backing.some((w) =>
            (placementByKey.get(versionedKey(refOf(w)))?.clusters ?? []).some((c) => reach.has(c.name) && (c.replicas ?? 0) > 0),
          );
          if (!onReach) {
            const labels = Object.entries(selector)
              .map(([k, v]) => `${k}=${v}`)
              .join(',');
            const why =
              backing.length === 0
                ? `no workload in the repository has pod labels ${labels}`
                : `its workloads (${backing.map((w) => w.name).join(', ')}) have no replicas there`;
            sink.warn(
              'VS_SUBSET_UNBACKED',
              `VirtualService ${vs.name} sends ${weight}% of ${routeKind}[${i}] to subset ${subset} of ` +
                `${host}, but no cluster it reaches (${[...reach].sort().join(', ')}) runs that subset: ${why}`,
              {
                source: vs.source,
                path: [...path, j],
              },
            );
          }
        });
      });
    }
  }
}
