// Kurator's progressive-delivery block (apps.kurator.dev/v1alpha1 Application
// `spec.syncPolicies[].rollout`, RolloutConfig/RolloutPolicy) read into flotilla's canary settings.
// One pure function, so the same block parses the same way on a plain workload's
// `flotilla.dev/rollout` annotation and, later, on an Application (docs/guide/traffic.md).
// Defaults are Kurator's: checkIntervalSeconds 60, rolloutTimeoutSeconds 600, maxWeight 100.
import type { FieldPath } from '../model/types.js';
import { isMap } from '../objects/json.js';

/** Kurator's two predefined metric names (Flagger's built-in checks); others name a query of flotilla.yaml `metrics:`. */
export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'] as const;

export interface RolloutMetric {
  name: string;
  /** A check fails when the value is below min or above max (null: no bound). */
  min: number | null;
  max: number | null;
  /** The query's window ({{ interval }}), seconds; null: the check interval. */
  intervalSeconds: number | null;
}

/** Where the canary workload runs first: one cluster of the workload's placement, or all of them at once. */
export type CanaryClusters = 'OneFirst' | 'All';

export interface RolloutConfig {
  /** The workload the canary is of (null: the object carrying the annotation). */
  workload: { apiVersion: string; kind: string; name: string; namespace: string } | null;
  serviceName: string;
  port: number;
  /** Hosts of the VirtualService flotilla renders (trafficRouting.hosts, default [serviceName]). */
  hosts: string[];
  gateways: string[];
  /** The canary's weight at each step, increasing, the last one maxWeight or the last of stepWeights. */
  steps: number[];
  checkIntervalSeconds: number;
  checkFailedTimes: number;
  metrics: RolloutMetric[];
  rolloutTimeoutSeconds: number;
  skipTrafficAnalysis: boolean;
  suspend: boolean;
  clusters: CanaryClusters;
}

/** A problem with the block, at a path inside it (the caller prefixes where the block is). */
export interface RolloutProblem {
  file: string;
  path: FieldPath;
  message: string;
}

export const DEFAULT_CHECK_INTERVAL_SECONDS = 60;
export const DEFAULT_ROLLOUT_TIMEOUT_SECONDS = 600;
/** Kurator requires checkFailedTimes; a block without it gets Flagger's usual threshold. */
export const DEFAULT_CHECK_FAILED_TIMES = 2;

const ROLLOUT_KEYS = ['testLoader', 'trafficRoutingProvider', 'workload', 'serviceName', 'port', 'primary', 'preview', 'rolloutPolicy'];
const POLICY_KEYS = ['trafficRouting', 'trafficAnalysis', 'rolloutTimeoutSeconds', 'skipTrafficAnalysis', 'revertOnDeletion', 'suspend'];
const ROUTING_KEYS = [
  'timeoutSeconds',
  'gateways',
  'hosts',
  'retries',
  'headers',
  'corsPolicy',
  'canaryStrategy',
  'analysisTimes',
  'match',
];
const ANALYSIS_KEYS = ['checkIntervalSeconds', 'checkFailedTimes', 'metrics', 'webhooks', 'sessionAffinity'];
const STRATEGY_KEYS = ['maxWeight', 'stepWeight', 'stepWeights', 'stepWeightPromotion'];

class Reader {
  readonly problems: RolloutProblem[] = [];
  constructor(private readonly file: string) {}

  fail(path: FieldPath, message: string): void {
    this.problems.push({ file: this.file, path, message });
  }

  map(v: unknown, path: FieldPath, keys: readonly string[]): Record<string, unknown> | null {
    if (v === undefined || v === null) return null;
    if (!isMap(v)) {
      this.fail(path, 'must be an object');
      return null;
    }
    for (const k of Object.keys(v))
      if (!keys.includes(k)) this.fail([...path, k], `unknown field "${k}" (Kurator's RolloutConfig has ${keys.join(', ')})`);
    return v;
  }

  int(v: unknown, path: FieldPath, min: number, max: number): number | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(path, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  }

  num(v: unknown, path: FieldPath): number | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(path, `must be a number, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  }

  str(v: unknown, path: FieldPath): string | null {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') {
      this.fail(path, `must be a non-empty string, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  }

  bool(v: unknown, path: FieldPath): boolean {
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') {
      this.fail(path, `must be true or false, got ${JSON.stringify(v)}`);
      return false;
    }
    return v;
  }

  strings(v: unknown, path: FieldPath): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.fail(path, 'must be a list of strings');
      return [];
    }
    return v as string[];
  }
}

/** The canary's weight at each step: stepWeights as given, else stepWeight, 2×stepWeight, … up to maxWeight (Kurator's CanaryConfig). */
function canarySteps(r: Reader, strategy: Record<string, unknown>, path: FieldPath): number[] {
  const maxWeight = r.int(strategy.maxWeight, [...path, 'maxWeight'], 1, 100) ?? 100;
  const stepWeight = r.int(strategy.stepWeight, [...path, 'stepWeight'], 1, 100);
  if (strategy.stepWeightPromotion !== undefined)
    r.fail([...path, 'stepWeightPromotion'], 'not implemented: flotilla promotes in one step once the last canary step passes');
  if (strategy.stepWeights !== undefined) {
    if (stepWeight !== null) r.fail([...path, 'stepWeights'], 'stepWeight and stepWeights cannot both be set (Kurator)');
    const list = strategy.stepWeights;
    if (!Array.isArray(list) || list.length === 0) {
      r.fail([...path, 'stepWeights'], 'must be a non-empty list of weights');
      return [];
    }
    const steps = list.map((w, i) => r.int(w, [...path, 'stepWeights', i], 1, 100) ?? 0);
    if (steps.some((w, i) => i > 0 && w <= steps[i - 1]!)) r.fail([...path, 'stepWeights'], 'weights must increase from step to step');
    return steps;
  }
  if (stepWeight === null) {
    r.fail(path, 'needs stepWeight or stepWeights');
    return [];
  }
  const steps: number[] = [];
  for (let w = stepWeight; w <= maxWeight; w += stepWeight) steps.push(w);
  if (steps[steps.length - 1] !== maxWeight) steps.push(maxWeight);
  return steps;
}

function readMetrics(r: Reader, raw: unknown, path: FieldPath): RolloutMetric[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    r.fail(path, 'must be a list of metrics');
    return [];
  }
  return raw.flatMap((m, i) => {
    const at = [...path, i];
    const metric = r.map(m, at, ['name', 'intervalSeconds', 'thresholdRange']);
    const name = metric ? r.str(metric.name, [...at, 'name']) : null;
    if (!metric || !name) {
      if (metric) r.fail([...at, 'name'], 'a metric needs a name');
      return [];
    }
    const intervalSeconds = r.int(metric.intervalSeconds, [...at, 'intervalSeconds'], 1, 86_400);
    const range = r.map(metric.thresholdRange, [...at, 'thresholdRange'], ['min', 'max']);
    return [
      {
        name,
        min: range ? r.num(range.min, [...at, 'thresholdRange', 'min']) : null,
        max: range ? r.num(range.max, [...at, 'thresholdRange', 'max']) : null,
        intervalSeconds,
      },
    ];
  });
}

function readWorkload(r: Reader, raw: unknown): RolloutConfig['workload'] {
  const w = r.map(raw, ['workload'], ['apiVersion', 'kind', 'name', 'namespace']);
  if (!w) return null;
  const name = r.str(w.name, ['workload', 'name']);
  if (!name) return null;
  return {
    apiVersion: r.str(w.apiVersion, ['workload', 'apiVersion']) ?? 'apps/v1',
    kind: r.str(w.kind, ['workload', 'kind']) ?? 'Deployment',
    name,
    namespace: r.str(w.namespace, ['workload', 'namespace']) ?? 'default',
  };
}

/**
 * Reads a Kurator `rollout` block (RolloutConfig). `clusters` is flotilla's own setting (Kurator
 * rolls out inside each cluster): the caller reads it where the block is declared. Only the canary
 * strategy is implemented: A/B testing and blue/green (`analysisTimes`, `match`) are reported.
 */
export function parseRolloutConfig(
  node: unknown,
  file: string,
  clusters: CanaryClusters = 'OneFirst',
): { config: RolloutConfig | null; problems: RolloutProblem[]; notApplied: string[] } {
  const r = new Reader(file);
  const notApplied = notActedOn(node);
  const root = r.map(node, [], ROLLOUT_KEYS);
  if (!root) {
    if (node === undefined || node === null) r.fail([], 'the rollout block is empty');
    return { config: null, problems: r.problems, notApplied };
  }
  const provider = r.str(root.trafficRoutingProvider, ['trafficRoutingProvider']) ?? 'istio';
  if (provider !== 'istio') r.fail(['trafficRoutingProvider'], `"${provider}" is not supported: Kurator and flotilla route with istio`);
  const serviceName = r.str(root.serviceName, ['serviceName']);
  if (serviceName === null) r.fail(['serviceName'], 'serviceName is required');
  const port = r.int(root.port, ['port'], 1, 65_535);
  if (port === null && root.port === undefined) r.fail(['port'], 'port is required');
  const policy = r.map(root.rolloutPolicy, ['rolloutPolicy'], POLICY_KEYS);
  if (!policy) r.fail(['rolloutPolicy'], 'rolloutPolicy is required');
  const routing = policy ? r.map(policy.trafficRouting, ['rolloutPolicy', 'trafficRouting'], ROUTING_KEYS) : null;
  const analysis = policy ? r.map(policy.trafficAnalysis, ['rolloutPolicy', 'trafficAnalysis'], ANALYSIS_KEYS) : null;
  const routingPath = ['rolloutPolicy', 'trafficRouting'];
  if (routing && (routing.analysisTimes !== undefined || routing.match !== undefined))
    r.fail(routingPath, 'not implemented: A/B testing and blue/green (analysisTimes, match); only canaryStrategy is');
  const strategy = routing ? r.map(routing.canaryStrategy, [...routingPath, 'canaryStrategy'], STRATEGY_KEYS) : null;
  if (policy && !strategy) r.fail(routingPath, "needs canaryStrategy: flotilla implements Kurator's canary rollouts");
  const steps = strategy ? canarySteps(r, strategy, [...routingPath, 'canaryStrategy']) : [];
  const analysisPath = ['rolloutPolicy', 'trafficAnalysis'];
  const config: RolloutConfig = {
    workload: readWorkload(r, root.workload),
    serviceName: serviceName ?? '',
    port: port ?? 0,
    hosts: routing ? r.strings(routing.hosts, [...routingPath, 'hosts']) : [],
    gateways: routing ? r.strings(routing.gateways, [...routingPath, 'gateways']) : [],
    steps,
    checkIntervalSeconds:
      (analysis && r.int(analysis.checkIntervalSeconds, [...analysisPath, 'checkIntervalSeconds'], 1, 86_400)) ??
      DEFAULT_CHECK_INTERVAL_SECONDS,
    checkFailedTimes:
      (analysis && r.int(analysis.checkFailedTimes, [...analysisPath, 'checkFailedTimes'], 1, 1000)) ?? DEFAULT_CHECK_FAILED_TIMES,
    metrics: analysis ? readMetrics(r, analysis.metrics, [...analysisPath, 'metrics']) : [],
    rolloutTimeoutSeconds:
      (policy && r.int(policy.rolloutTimeoutSeconds, ['rolloutPolicy', 'rolloutTimeoutSeconds'], 1, 7 * 86_400)) ??
      DEFAULT_ROLLOUT_TIMEOUT_SECONDS,
    skipTrafficAnalysis: policy ? r.bool(policy.skipTrafficAnalysis, ['rolloutPolicy', 'skipTrafficAnalysis']) : false,
    suspend: policy ? r.bool(policy.suspend, ['rolloutPolicy', 'suspend']) : false,
    clusters,
  };
  if (config.hosts.length === 0 && serviceName) config.hosts = [serviceName];
  return { config: r.problems.length === 0 ? config : null, problems: r.problems, notApplied };
}

/** Fields Kurator hands to Flagger inside a cluster that flotilla accepts and does not act on (reported as NOT_APPLICABLE). */
const NOT_ACTED_ON: ReadonlyArray<readonly string[]> = [
  ['testLoader'],
  ['primary'],
  ['preview'],
  ['rolloutPolicy', 'revertOnDeletion'],
  ['rolloutPolicy', 'trafficRouting', 'timeoutSeconds'],
  ['rolloutPolicy', 'trafficRouting', 'retries'],
  ['rolloutPolicy', 'trafficRouting', 'headers'],
  ['rolloutPolicy', 'trafficRouting', 'corsPolicy'],
  ['rolloutPolicy', 'trafficAnalysis', 'webhooks'],
  ['rolloutPolicy', 'trafficAnalysis', 'sessionAffinity'],
];

function notActedOn(node: unknown): string[] {
  return NOT_ACTED_ON.filter((path) => {
    let v: unknown = node;
    for (const k of path) v = isMap(v) ? v[k] : undefined;
    return v !== undefined;
  }).map((p) => p.join('.'));
}
