// What the repository asks of traffic (docs/guide/traffic.md): VirtualServices opted into adaptive
// weights by annotation, and workloads under a Kurator-shaped rollout by annotation. Read once from
// the fleet model; every bad value is a diagnostic at the annotation's line, and the object it is
// on is then left as declared (no adaptive weights, no canary) rather than guessed at.
import { parse } from 'yaml';
import type { DiagnosticSink } from '../model/diagnostics.js';
import type { FleetModel, Manifest } from '../model/types.js';
import { isMap } from '../objects/json.js';
import { objectKey } from '../objects/identity.js';
import { refOf } from '../placement/schedule.js';
import { fnv1a32 } from '../placement/webster.js';
import { toStableYaml } from '../objects/serialize.js';
import { parseRolloutConfig, type CanaryClusters, type RolloutConfig } from './rollout-config.js';
import { DEFAULT_WEIGHT_SETTINGS, type WeightSettings } from './weights.js';

export const TRAFFIC_ANNOTATION = 'flotilla.dev/traffic';
export const FLOOR_ANNOTATION = 'flotilla.dev/traffic-floor';
export const CEILING_ANNOTATION = 'flotilla.dev/traffic-ceiling';
export const HYSTERESIS_ANNOTATION = 'flotilla.dev/traffic-hysteresis';
export const LATENCY_ANNOTATION = 'flotilla.dev/traffic-latency';
export const ROLLOUT_ANNOTATION = 'flotilla.dev/rollout';
export const ROLLOUT_CLUSTERS_ANNOTATION = 'flotilla.dev/rollout-clusters';
/** The pod label telling a rollout's primary pods from its canary pods. */
export const VARIANT_LABEL = 'flotilla.dev/variant';

/** The kinds a rollout applies to, by `apiVersion|kind`. */
export const ROLLOUT_KINDS: ReadonlySet<string> = new Set(['apps/v1|Deployment', 'apps/v1|StatefulSet']);

export interface AdaptiveDeclaration {
  vs: Manifest;
  settings: WeightSettings;
  /** A metric name of flotilla.yaml `metrics:` whose value per destination scales its weight down (null: none). */
  latencyMetric: string | null;
}

export interface RolloutDeclaration {
  workload: Manifest;
  /** objectKey of the workload: the canary's name on the status branch. */
  key: string;
  config: RolloutConfig;
  /** Hash of the declared pod template: a new one starts a canary. */
  templateHash: string;
}

export interface TrafficDeclarations {
  adaptive: AdaptiveDeclaration[];
  rollouts: RolloutDeclaration[];
}

function annotationsOf(m: Manifest): Record<string, unknown> {
  const meta = m.object.metadata;
  return isMap(meta) && isMap(meta.annotations) ? meta.annotations : {};
}

function percent(m: Manifest, name: string, dflt: number, sink: DiagnosticSink): number | null {
  const raw = annotationsOf(m)[name];
  if (raw === undefined) return dflt;
  const n = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 100)) {
    sink.error('TRAFFIC_INVALID', `${m.kind} ${m.name}: annotation ${name} must be an integer from 0 to 100, got ${JSON.stringify(raw)}`, {
      source: m.source,
      path: ['metadata', 'annotations', name],
    });
    return null;
  }
  return n;
}

function readAdaptive(vs: Manifest, sink: DiagnosticSink): AdaptiveDeclaration | null {
  const mode = annotationsOf(vs)[TRAFFIC_ANNOTATION];
  if (mode === undefined) return null;
  const at = { source: vs.source, path: ['metadata', 'annotations', TRAFFIC_ANNOTATION] };
  if (mode !== 'adaptive' && mode !== 'declared') {
    sink.error(
      'TRAFFIC_INVALID',
      `VirtualService ${vs.name}: annotation ${TRAFFIC_ANNOTATION} must be adaptive or declared, got ${JSON.stringify(mode)}`,
      at,
    );
    return null;
  }
  if (mode === 'declared') return null;
  const floor = percent(vs, FLOOR_ANNOTATION, DEFAULT_WEIGHT_SETTINGS.floor, sink);
  const ceiling = percent(vs, CEILING_ANNOTATION, DEFAULT_WEIGHT_SETTINGS.ceiling, sink);
  const hysteresis = percent(vs, HYSTERESIS_ANNOTATION, DEFAULT_WEIGHT_SETTINGS.hysteresis, sink);
  if (floor === null || ceiling === null || hysteresis === null) return null;
  if (floor > ceiling) {
    sink.error('TRAFFIC_INVALID', `VirtualService ${vs.name}: floor ${floor} is above ceiling ${ceiling}`, at);
    return null;
  }
  const latency = annotationsOf(vs)[LATENCY_ANNOTATION];
  return { vs, settings: { floor, ceiling, hysteresis }, latencyMetric: typeof latency === 'string' && latency ? latency : null };
}

/** Hash of a workload's pod template as the repository declares it (stable YAML, so key order does not count). */
export function templateHash(m: Manifest): string {
  const spec = isMap(m.object.spec) ? m.object.spec : {};
  return fnv1a32(toStableYaml(isMap(spec.template) ? spec.template : {}))
    .toString(16)
    .padStart(8, '0');
}

function readRollout(w: Manifest, sink: DiagnosticSink): RolloutDeclaration | null {
  const annotations = annotationsOf(w);
  const raw = annotations[ROLLOUT_ANNOTATION];
  if (raw === undefined) return null;
  const path = ['metadata', 'annotations', ROLLOUT_ANNOTATION];
  const fail = (message: string): null => {
    sink.error('ROLLOUT_INVALID', `${w.kind} ${w.name}: ${message}`, { source: w.source, path });
    return null;
  };
  if (!ROLLOUT_KINDS.has(`${w.apiVersion}|${w.kind}`)) return fail('a rollout applies to apps/v1 Deployments and StatefulSets only');
  const clusters = annotations[ROLLOUT_CLUSTERS_ANNOTATION] ?? 'OneFirst';
  if (clusters !== 'OneFirst' && clusters !== 'All') return fail(`annotation ${ROLLOUT_CLUSTERS_ANNOTATION} must be OneFirst or All`);
  let node: unknown;
  try {
    node = typeof raw === 'string' ? parse(raw, { version: '1.2' }) : raw;
  } catch (e) {
    return fail(`annotation ${ROLLOUT_ANNOTATION} is not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const { config, problems, notApplied } = parseRolloutConfig(node, w.source.file, clusters as CanaryClusters);
  for (const p of problems) fail(`rollout ${p.path.join('.') || '(block)'}: ${p.message}`);
  if (!config) return null;
  const named = config.workload;
  if (named && (named.name !== w.name || named.namespace !== w.namespace || named.kind !== w.kind))
    return fail(`rollout workload names ${named.kind} ${named.namespace}/${named.name}, not the object carrying it`);
  for (const field of notApplied)
    sink.report(
      'info',
      'NOT_APPLICABLE',
      `${w.kind} ${w.name}: rollout ${field} is Flagger's inside a cluster; flotilla does not act on it`,
      {
        source: w.source,
        path,
      },
    );
  return { workload: w, key: objectKey(refOf(w)), config, templateHash: templateHash(w) };
}

/** Every traffic declaration of the model, diagnostics into the sink. Sorted by file order of the model. */
export function trafficDeclarations(model: FleetModel, sink: DiagnosticSink): TrafficDeclarations {
  const adaptive: AdaptiveDeclaration[] = [];
  const rollouts: RolloutDeclaration[] = [];
  for (const m of model.resources) {
    if (m.kind === 'VirtualService' && m.apiVersion.startsWith('networking.istio.io/')) {
      const a = readAdaptive(m, sink);
      if (a) adaptive.push(a);
    }
    const r = readRollout(m, sink);
    if (r) rollouts.push(r);
  }
  return { adaptive, rollouts };
}
