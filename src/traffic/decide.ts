// One pass of traffic decisions (docs/reference/semantics.md §8–9), pure: from the declarations,
// the placements, what was read of the live workloads and the metric values, and the record the
// last pass left, the effective weights of every adaptive route and the next state of every
// canary — with the record to keep on the status branch, which holds every input and step.
import type { FleetModel, PlacementResult } from '../model/types.js';
import { objectKey, versionedKey, type ObjectRef } from '../objects/identity.js';
import { refOf } from '../placement/schedule.js';
import { replicaField } from '../placement/workload.js';
import { subsetSelector, templateLabels } from '../validate/virtual-service.js';
import type { CanaryRender, RouteWeights } from './apply.js';
import { advanceCanary, declare, initialCanary, type CanaryState } from './canary.js';
import type { AdaptiveDeclaration, RolloutDeclaration, TrafficDeclarations } from './declarations.js';
import { adaptiveWeights, type DestinationInput } from './weights.js';

/** Readiness of one workload on one cluster (error: it could not be read; counted as nothing ready). */
export interface WorkloadReading {
  ready: number;
  error: string | null;
}

/** A query flotilla needs answered this pass: a metric name of `metrics:` and the variables of its PromQL template. */
export interface MetricRequest {
  key: string;
  metric: string;
  vars: Record<string, string>;
}

/** A metric's value (null: the query returned no data) or why the query failed. */
export type MetricValue = { value: number | null; error: null } | { value: null; error: string };

export interface DestinationRecord extends DestinationInput {
  effective: number;
}

export interface RouteRecord {
  virtualService: string;
  route: string;
  destinations: DestinationRecord[];
  steps: string[];
}

export interface TrafficRecord {
  routes: RouteRecord[];
  canaries: CanaryState[];
}

export interface TrafficInput {
  model: FleetModel;
  placements: readonly PlacementResult[];
  declarations: TrafficDeclarations;
  /** Rendered pod templates per workload key and cluster (what the declared template renders to). */
  templates: ReadonlyMap<string, Record<string, unknown>>;
  readings: ReadonlyMap<string, WorkloadReading>;
  metrics: ReadonlyMap<string, MetricValue>;
  previous: TrafficRecord | null;
  now: number;
}

export interface TrafficDecision {
  routes: RouteWeights[];
  canaries: CanaryRender[];
  record: TrafficRecord;
  /** What could not be used this pass (a failed query, an unreadable workload): for the log and the status. */
  problems: string[];
}

/** The key of a reading: cluster and workload. */
export function readingKey(cluster: string, ref: ObjectRef): string {
  return `${cluster}\u0000${objectKey(ref)}`;
}

/** The weighted route lists of a VirtualService spec an adaptive route can be in. */
export const ROUTE_KINDS = ['http', 'tcp', 'tls'] as const;

interface Destination {
  name: string;
  host: string;
  subset: string | null;
  declared: number;
  /** The workloads behind it, with their replicas per reached cluster. */
  backing: Array<{ ref: ObjectRef; replicas: Map<string, number> }>;
}

interface Route {
  vs: AdaptiveDeclaration;
  routeKind: (typeof ROUTE_KINDS)[number];
  index: number;
  destinations: Destination[];
}

function placementsByKey(placements: readonly PlacementResult[]): Map<string, PlacementResult> {
  return new Map(placements.map((p) => [versionedKey(p.resource), p]));
}

/** The weighted routes of the adaptive VirtualServices, each destination with the workloads behind it on the clusters the route reaches. */
function adaptiveRoutes(input: Pick<TrafficInput, 'model' | 'placements' | 'declarations'>): Route[] {
  const byKey = placementsByKey(input.placements);
  const workloads = input.model.resources.filter((m) => replicaField(m.apiVersion, m.kind) !== null);
  const routes: Route[] = [];
  for (const a of input.declarations.adaptive) {
    const reach = new Set((byKey.get(versionedKey(refOf(a.vs)))?.clusters ?? []).map((c) => c.name));
    const spec = (a.vs.object.spec ?? {}) as Record<string, unknown>;
    for (const routeKind of ROUTE_KINDS) {
      const list = spec[routeKind];
      if (!Array.isArray(list)) continue;
      list.forEach((r: unknown, index) => {
        const dests = (r as { route?: unknown })?.route;
        if (!Array.isArray(dests) || dests.length < 2) return;
        const destinations = (dests as Array<{ destination?: { host?: string; subset?: string }; weight?: number }>).map((d) => {
          const host = d.destination?.host ?? '';
          const subset = d.destination?.subset ?? null;
          const selector = subset ? subsetSelector(input.model, a.vs, host, subset) : { app: host.split('.')[0]! };
          const backing = workloads
            .filter((w) => Object.entries(selector).every(([k, v]) => templateLabels(w)[k] === v))
            .map((w) => {
              const placed = byKey.get(versionedKey(refOf(w)))?.clusters ?? [];
              return { ref: refOf(w), replicas: new Map(placed.filter((c) => reach.has(c.name)).map((c) => [c.name, c.replicas ?? 0])) };
            });
          return { name: subset ? `${host}/${subset}` : host, host, subset, declared: d.weight ?? 0, backing };
        });
        routes.push({ vs: a, routeKind, index, destinations });
      });
    }
  }
  return routes;
}

function latencyRequest(route: Route, d: Destination): MetricRequest | null {
  if (!route.vs.latencyMetric) return null;
  const vars = {
    namespace: route.vs.vs.namespace,
    host: d.host,
    subset: d.subset ?? '',
    target: d.backing.map((b) => b.ref.name).join('|'),
    interval: '1m',
  };
  return { key: `${route.vs.latencyMetric} ${JSON.stringify(vars)}`, metric: route.vs.latencyMetric, vars };
}

function canaryTarget(r: RolloutDeclaration): ObjectRef {
  return { ...refOf(r.workload), name: `${r.workload.name}-canary` };
}

function canaryMetricRequests(r: RolloutDeclaration): MetricRequest[] {
  if (r.config.skipTrafficAnalysis) return [];
  return r.config.metrics.map((m) => {
    const interval = `${m.intervalSeconds ?? r.config.checkIntervalSeconds}s`;
    const vars = { namespace: r.workload.namespace, target: `${r.workload.name}-canary`, interval };
    return { key: `${m.name} ${JSON.stringify(vars)}`, metric: m.name, vars };
  });
}

/** The clusters a rollout's workload is placed on with replicas, sorted. */
function workloadClusters(r: RolloutDeclaration, byKey: Map<string, PlacementResult>): Array<{ name: string; replicas: number }> {
  return (byKey.get(versionedKey(refOf(r.workload)))?.clusters ?? [])
    .filter((c) => (c.replicas ?? 0) > 0)
    .map((c) => ({ name: c.name, replicas: c.replicas ?? 0 }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function canaryClustersOf(state: CanaryState, placed: ReadonlyArray<{ name: string }>): string[] {
  if (state.phase !== 'Progressing' || state.step < 0) return [];
  return (state.allClusters ? placed : placed.slice(0, 1)).map((c) => c.name);
}

/** What this pass must read: workloads per cluster, and metric queries. */
export function trafficNeeds(input: Pick<TrafficInput, 'model' | 'placements' | 'declarations' | 'previous'>): {
  workloads: Array<{ cluster: string; ref: ObjectRef }>;
  metrics: MetricRequest[];
} {
  const workloads = new Map<string, { cluster: string; ref: ObjectRef }>();
  const metrics = new Map<string, MetricRequest>();
  for (const route of adaptiveRoutes(input)) {
    for (const d of route.destinations) {
      for (const b of d.backing)
        for (const cluster of b.replicas.keys()) workloads.set(readingKey(cluster, b.ref), { cluster, ref: b.ref });
      const m = latencyRequest(route, d);
      if (m) metrics.set(m.key, m);
    }
  }
  const byKey = placementsByKey(input.placements);
  const states = new Map((input.previous?.canaries ?? []).map((c) => [c.workload, c]));
  for (const r of input.declarations.rollouts) {
    const state = states.get(r.key);
    if (!state || state.phase !== 'Progressing') continue;
    for (const cluster of canaryClustersOf(state, workloadClusters(r, byKey)))
      workloads.set(readingKey(cluster, canaryTarget(r)), { cluster, ref: canaryTarget(r) });
    for (const m of canaryMetricRequests(r)) metrics.set(m.key, m);
  }
  return { workloads: [...workloads.values()], metrics: [...metrics.values()] };
}

/** How a route is named in traffic.yaml (its VirtualService and `kind[index]`), and the record of it there. */
function routeNames(route: Route): { vsName: string; routeName: string } {
  return { vsName: `${route.vs.vs.namespace}/${route.vs.vs.name}`, routeName: `${route.routeKind}[${route.index}]` };
}

function recordedRoute(route: Route, record: TrafficRecord | null): RouteRecord | null {
  const { vsName, routeName } = routeNames(route);
  return record?.routes.find((r) => r.virtualService === vsName && r.route === routeName) ?? null;
}

function decideRoute(route: Route, input: TrafficInput, problems: string[]): { weights: RouteWeights; record: RouteRecord } {
  const { vsName, routeName } = routeNames(route);
  const previous = recordedRoute(route, input.previous);
  // Hysteresis and kept weights hold only for the same route: a commit changing destinations or declared weights is applied at once.
  const sameDestinations =
    previous?.destinations.map((d) => `${d.name}=${d.declared}`).join() === route.destinations.map((d) => `${d.name}=${d.declared}`).join();
  const inputs: DestinationInput[] = route.destinations.map((d) => {
    let ready = 0;
    let desired = 0;
    for (const b of d.backing)
      for (const [cluster, replicas] of b.replicas) {
        desired += replicas;
        const reading = input.readings.get(readingKey(cluster, b.ref));
        ready += Math.min(reading && !reading.error ? reading.ready : 0, replicas);
      }
    const m = latencyRequest(route, d);
    const value = m ? input.metrics.get(m.key) : undefined;
    return { name: d.name, declared: d.declared, ready, desired, latency: value && !value.error ? value.value : null };
  });
  const failed = route.destinations.flatMap((d) => {
    const m = latencyRequest(route, d);
    const value = m ? input.metrics.get(m.key) : undefined;
    return m && (!value || value.error) ? [`${m.metric} for ${d.name}: ${value?.error ?? 'not queried'}`] : [];
  });
  let result;
  if (failed.length > 0 && previous && sameDestinations) {
    problems.push(`VirtualService ${vsName} ${routeName}: ${failed.join('; ')}: last weights kept`);
    result = {
      weights: previous.destinations.map((d) => d.effective),
      steps: [`metric query failed (${failed.join('; ')}): keep ${previous.destinations.map((d) => d.effective).join('/')}`],
    };
  } else {
    if (failed.length > 0) problems.push(`VirtualService ${vsName} ${routeName}: ${failed.join('; ')}: latency not used`);
    result = adaptiveWeights(
      inputs,
      route.vs.settings,
      sameDestinations && previous ? previous.destinations.map((d) => d.effective) : null,
    );
  }
  return {
    weights: { vsKey: objectKey(refOf(route.vs.vs)), routeKind: route.routeKind, index: route.index, weights: result.weights },
    record: {
      virtualService: vsName,
      route: routeName,
      destinations: inputs.map((d, i) => ({ ...d, effective: result.weights[i]! })),
      steps: result.steps,
    },
  };
}

/** Why this check of a canary fails (null: it passes; undefined: it cannot be decided this pass). */
function canaryCheck(
  r: RolloutDeclaration,
  state: CanaryState,
  placed: Array<{ name: string; replicas: number }>,
  input: TrafficInput,
): string | null | undefined {
  const notReady: string[] = [];
  for (const c of placed.filter((p) => canaryClustersOf(state, placed).includes(p.name))) {
    const reading = input.readings.get(readingKey(c.name, canaryTarget(r)));
    if (!reading || reading.error || reading.ready < c.replicas)
      notReady.push(
        `${c.name} ${reading && !reading.error ? reading.ready : 0}/${c.replicas}${reading?.error ? ` (${reading.error})` : ''}`,
      );
  }
  if (notReady.length > 0) return `canary pods not ready: ${notReady.join(', ')}`;
  const metrics = canaryMetricRequests(r);
  for (const [i, m] of metrics.entries()) {
    const value = input.metrics.get(m.key);
    if (!value || value.error) return undefined;
    const { min, max } = r.config.metrics[i]!;
    if (value.value === null) return `${m.metric}: no data for ${m.vars.target}`;
    if (min !== null && value.value < min) return `${m.metric} ${value.value} < min ${min}`;
    if (max !== null && value.value > max) return `${m.metric} ${value.value} > max ${max}`;
  }
  return null;
}

function decideCanary(r: RolloutDeclaration, input: TrafficInput, byKey: Map<string, PlacementResult>, problems: string[]): CanaryRender {
  const template = input.templates.get(r.key) ?? {};
  const declared = { workload: r.key, hash: r.templateHash, template };
  const before = input.previous?.canaries.find((c) => c.workload === r.key);
  let state = before ? declare(before, declared, input.now) : initialCanary(declared, input.now);
  const placed = workloadClusters(r, byKey);
  if (state.phase === 'Progressing' && state.step >= 0) {
    const failure = canaryCheck(r, state, placed, input);
    if (failure === undefined) {
      const failedQueries = canaryMetricRequests(r).map((m) => `${m.metric}: ${input.metrics.get(m.key)?.error ?? 'not queried'}`);
      problems.push(`canary ${r.workload.name}: ${failedQueries.join('; ')}: check held`);
      state = advanceCanary(state, r.config, { failure: null }, input.now, declared, true);
    } else state = advanceCanary(state, r.config, { failure }, input.now, declared);
  } else state = advanceCanary(state, r.config, { failure: null }, input.now, declared);
  return { rollout: r, state, canaryClusters: canaryClustersOf(state, placed) };
}

/** Every decision of this pass. */
export function decideTraffic(input: TrafficInput): TrafficDecision {
  const problems: string[] = [];
  const routes = adaptiveRoutes(input).map((r) => decideRoute(r, input, problems));
  const byKey = placementsByKey(input.placements);
  const canaries = input.declarations.rollouts.map((r) => decideCanary(r, input, byKey, problems));
  return {
    routes: routes.map((r) => r.weights),
    canaries,
    record: { routes: routes.map((r) => r.record), canaries: canaries.map((c) => c.state) },
    problems,
  };
}

/**
 * The decisions a recorded pass made (traffic.yaml), for the same revision rendered offline
 * (`render --observed auto`): the recorded effective weights of routes whose destinations are still
 * the same, and the recorded canary states of workloads still under a rollout. Nothing is decided
 * anew: this reproduces what the reconciler applied.
 */
export function replayTraffic(
  input: Pick<TrafficInput, 'model' | 'placements' | 'declarations'>,
  record: TrafficRecord,
): { routes: RouteWeights[]; canaries: CanaryRender[] } {
  const routes = adaptiveRoutes(input).flatMap((route) => {
    const r = recordedRoute(route, record);
    if (!r || r.destinations.map((d) => d.name).join() !== route.destinations.map((d) => d.name).join()) return [];
    return [
      {
        vsKey: objectKey(refOf(route.vs.vs)),
        routeKind: route.routeKind,
        index: route.index,
        weights: r.destinations.map((d) => d.effective),
      },
    ];
  });
  const byKey = placementsByKey(input.placements);
  const canaries = input.declarations.rollouts.flatMap((r) => {
    const state = record.canaries.find((c) => c.workload === r.key);
    return state ? [{ rollout: r, state, canaryClusters: canaryClustersOf(state, workloadClusters(r, byKey)) }] : [];
  });
  return { routes, canaries };
}
