// Metric values from Prometheus for traffic decisions (docs/guide/traffic.md "Metrics from
// Prometheus"): an instant query per metric request through the HTTP API, each with its own
// timeout. A failed query is a value with an error, never an exception: the caller keeps the
// weights in force and reports it. An empty vector is "no data" (value null).
import type { MetricsConfig } from '../config/schema.js';
import { FlotillaError } from '../model/diagnostics.js';
import type { MetricRequest, MetricValue } from '../traffic/decide.js';

/** The PromQL of a template with its {{ variables }} filled in; an unknown variable is an error, not an empty string. */
export function renderQuery(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new FlotillaError('METRICS_QUERY_FAILED', `query variable {{ ${name} }} has no value here`, { name });
    // Label values are written inside "…" in the templates: keep a value from closing them.
    return value.replace(/["\\]/g, (c) => `\\${c}`);
  });
}

/** One number from an instant query's answer: a scalar, or a vector of one sample (none: null). */
function valueOf(body: unknown): number | null {
  const data = (body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
  if ((body as { status?: unknown })?.status !== 'success' || !data)
    throw new Error(`Prometheus answered ${JSON.stringify(body).slice(0, 200)}`);
  if (data.resultType === 'scalar') return Number((data.result as [number, string])[1]);
  if (data.resultType !== 'vector' || !Array.isArray(data.result))
    throw new Error(`result type ${String(data.resultType)} is not a vector or scalar`);
  if (data.result.length === 0) return null;
  if (data.result.length > 1)
    throw new Error(`${data.result.length} series, not one: aggregate the query (sum, histogram_quantile … by (le))`);
  const v = Number((data.result[0] as { value: [number, string] }).value[1]);
  return Number.isFinite(v) ? v : null;
}

/** Runs one instant query. */
async function queryPrometheus(config: MetricsConfig, promql: string): Promise<number | null> {
  const url = `${config.prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(config.prometheus.timeoutSeconds * 1000) });
  } catch (e) {
    const why =
      (e as Error).name === 'TimeoutError' ? `no answer within ${config.prometheus.timeoutSeconds}s` : String((e as Error).cause ?? e);
    throw new FlotillaError('METRICS_QUERY_FAILED', `Prometheus ${config.prometheus.url}: ${why}`, {});
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FlotillaError('METRICS_QUERY_FAILED', `Prometheus ${config.prometheus.url}: HTTP ${response.status}, not JSON`, {});
  }
  try {
    return valueOf(body);
  } catch (e) {
    throw new FlotillaError('METRICS_QUERY_FAILED', `Prometheus ${config.prometheus.url}: ${(e as Error).message}`, {});
  }
}

/** Every requested metric's value (in parallel); a metric with no query in `metrics:`, or no `metrics:` at all, is an error value. */
export async function queryMetrics(config: MetricsConfig | null, requests: readonly MetricRequest[]): Promise<Map<string, MetricValue>> {
  const entries = await Promise.all(
    requests.map(async (r): Promise<[string, MetricValue]> => {
      if (!config) return [r.key, { value: null, error: 'no metrics: section in the config' }];
      const template = config.queries[r.metric];
      if (!template) return [r.key, { value: null, error: `metric ${r.metric} has no query in metrics.queries` }];
      try {
        return [r.key, { value: await queryPrometheus(config, renderQuery(template, r.vars)), error: null }];
      } catch (e) {
        return [r.key, { value: null, error: (e as Error).message }];
      }
    }),
  );
  return new Map(entries);
}
