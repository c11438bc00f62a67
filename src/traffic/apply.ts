// The traffic decisions written into the rendered per-cluster objects (docs/guide/traffic.md):
// effective weights into the routes of adaptive VirtualServices, and for a workload under a
// rollout its primary (stable template, primary pods), its canary (`<name>-canary`, the declared
// template, canary pods) on the canary clusters, the `<service>-primary` and `<service>-canary`
// Services and the VirtualService that splits traffic between them. Pure; objects are copied,
// never changed in place (the renderer keeps its own).
import { isMap } from '../objects/json.js';
import { identityKey } from '../objects/identity.js';
import type { CanaryState } from './canary.js';
import { VARIANT_LABEL, type RolloutDeclaration } from './declarations.js';

type Obj = Record<string, unknown>;

/** The effective weights of one route of a VirtualService (by objectKey). */
export interface RouteWeights {
  vsKey: string;
  routeKind: 'http' | 'tcp' | 'tls';
  index: number;
  weights: number[];
}

export interface CanaryRender {
  rollout: RolloutDeclaration;
  state: CanaryState;
  /** Clusters the canary workload runs on now (empty: none). */
  canaryClusters: readonly string[];
}

const TRACKING_LABEL_PREFIX = 'flotilla.dev/';

function clone<T>(v: T): T {
  return structuredClone(v);
}

function withWeights(vs: Obj, routes: readonly RouteWeights[]): Obj {
  const out = clone(vs);
  const spec = out.spec as Record<string, unknown>;
  for (const r of routes) {
    const route = (spec[r.routeKind] as Array<{ route: Array<{ weight?: number }> }>)[r.index]!.route;
    route.forEach((d, i) => (d.weight = r.weights[i]!));
  }
  return out;
}

function metadataOf(o: Obj): Obj {
  return isMap(o.metadata) ? o.metadata : {};
}

/** Labels and annotations of flotilla's tracking, copied from the workload onto what its rollout generates. */
function trackingMetadata(from: Obj, name: string, namespace: string): Obj {
  const meta = metadataOf(from);
  const pick = (m: unknown): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(isMap(m) ? m : {}).filter(([k]) => k.startsWith(TRACKING_LABEL_PREFIX) && !k.startsWith('flotilla.dev/rollout')),
    );
  return { name, namespace, labels: pick(meta.labels), annotations: pick(meta.annotations) };
}

function setTemplateLabel(workload: Obj, variant: string, inSelector: boolean): void {
  const spec = workload.spec as Obj;
  const template = (spec.template ?? {}) as Obj;
  const meta = (template.metadata ?? {}) as Obj;
  meta.labels = { ...(isMap(meta.labels) ? meta.labels : {}), [VARIANT_LABEL]: variant };
  template.metadata = meta;
  spec.template = template;
  if (inSelector) {
    const selector = (isMap(spec.selector) ? spec.selector : {}) as Obj;
    selector.matchLabels = { ...(isMap(selector.matchLabels) ? selector.matchLabels : {}), [VARIANT_LABEL]: variant };
    spec.selector = selector;
  }
}

function selectorLabels(workload: Obj): Record<string, unknown> {
  const spec = isMap(workload.spec) ? workload.spec : {};
  const selector = isMap(spec.selector) ? spec.selector : {};
  return isMap(selector.matchLabels) ? { ...selector.matchLabels } : {};
}

/** The Services and the VirtualService a rollout renders next to its workload on every cluster it is placed on. */
function rolloutRouting(c: CanaryRender, rendered: Obj): Obj[] {
  const { config } = c.rollout;
  const namespace = c.rollout.workload.namespace;
  const svc = config.serviceName;
  const service = (variant: string): Obj => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: trackingMetadata(rendered, `${svc}-${variant}`, namespace),
    spec: {
      selector: { ...selectorLabels(rendered), [VARIANT_LABEL]: variant },
      ports: [{ name: 'http', port: config.port, targetPort: config.port }],
    },
  });
  const weight = c.state.phase === 'Progressing' ? c.state.weight : 0;
  const destination = (variant: string, w: number): Obj => ({
    destination: { host: `${svc}-${variant}`, port: { number: config.port } },
    weight: w,
  });
  const vs: Obj = {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: trackingMetadata(rendered, svc, namespace),
    spec: {
      hosts: config.hosts,
      ...(config.gateways.length > 0 ? { gateways: config.gateways } : {}),
      http: [{ route: [destination('primary', 100 - weight), destination('canary', weight)] }],
    },
  };
  return [service('primary'), service('canary'), vs];
}

/** A workload's rendered copy on one cluster, with what its rollout adds there. */
function renderRollout(c: CanaryRender, cluster: string, rendered: Obj): Obj[] {
  const primary = clone(rendered);
  const running = c.state.phase === 'Progressing';
  const stable = (c.state.stableTemplate as Record<string, unknown>)[cluster];
  // While a canary runs or after a rollback the primary keeps the stable template of this cluster.
  if (c.state.canaryHash !== null && isMap(stable)) (primary.spec as Obj).template = clone(stable);
  setTemplateLabel(primary, 'primary', false);
  const out = [primary, ...rolloutRouting(c, rendered)];
  if (running && c.canaryClusters.includes(cluster)) {
    const canary = clone(rendered);
    canary.metadata = { ...metadataOf(canary), name: `${c.rollout.workload.name}-canary` };
    setTemplateLabel(canary, 'canary', true);
    out.push(canary);
  }
  return out;
}

/** The rendered per-cluster objects with the traffic decisions written in (clusters without any are the same arrays). */
export function applyTraffic(
  manifests: Readonly<Record<string, Obj[]>>,
  routes: readonly RouteWeights[],
  canaries: readonly CanaryRender[],
): Record<string, Obj[]> {
  const routesByVs = new Map<string, RouteWeights[]>();
  for (const r of routes) routesByVs.set(r.vsKey, [...(routesByVs.get(r.vsKey) ?? []), r]);
  const canaryByKey = new Map(canaries.map((c) => [c.rollout.key, c]));
  const out: Record<string, Obj[]> = {};
  for (const [cluster, list] of Object.entries(manifests)) {
    let changed = false;
    const next = list.flatMap((o) => {
      const key = identityKey(o);
      const weights = routesByVs.get(key);
      if (weights) {
        changed = true;
        return [withWeights(o, weights)];
      }
      const canary = canaryByKey.get(key);
      if (canary) {
        changed = true;
        return renderRollout(canary, cluster, o);
      }
      return [o];
    });
    out[cluster] = changed ? next : list;
  }
  return out;
}

/** The template of a workload's rendered copy on each cluster (what becomes stable on promotion). */
export function renderedTemplates(manifests: Readonly<Record<string, Obj[]>>, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [cluster, list] of Object.entries(manifests)) {
    const o = list.find((x) => identityKey(x) === key);
    const spec = o && isMap(o.spec) ? o.spec : null;
    if (spec && isMap(spec.template)) out[cluster] = clone(spec.template);
  }
  return out;
}
