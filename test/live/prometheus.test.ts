// Metric values from a real Prometheus (Debian's package, started here) scraping Istio-shaped
// metrics the test serves: Kurator's predefined request-success-rate and request-duration, a query
// of our own, and failures as values with errors (unreachable, bad query), never exceptions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREDEFINED_METRIC_QUERIES, type MetricsConfig } from '../../src/config/schema.js';
import { queryMetrics, renderQuery } from '../../src/live/prometheus.js';
import { HAS_PROMETHEUS, istioMetrics, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';

const vars = (target: string) => ({ namespace: 'default', target, interval: '30s' });

/** Polls until every value is known: rate() needs two scrapes in its window. */
async function settled(config: MetricsConfig, requests: Parameters<typeof queryMetrics>[1]) {
  for (let i = 0; i < 50; i++) {
    const values = await queryMetrics(config, requests);
    if ([...values.values()].every((v) => v.value !== null)) return values;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return queryMetrics(config, requests);
}

describe.skipIf(!HAS_PROMETHEUS)('queryMetrics against a real Prometheus', () => {
  let prometheus: PrometheusServer;
  let target: Awaited<ReturnType<typeof istioMetrics>>;
  let config: MetricsConfig;
  beforeAll(async () => {
    target = await istioMetrics([
      { namespace: 'default', workload: 'good', perScrape: { '200': 10 }, durationMs: 20 },
      { namespace: 'default', workload: 'bad', perScrape: { '200': 6, '503': 4 }, durationMs: 400 },
    ]);
    prometheus = await startPrometheus(target.port);
    config = {
      prometheus: { url: prometheus.url, timeoutSeconds: 5 },
      queries: { ...PREDEFINED_METRIC_QUERIES, up: 'sum(up{job="istio"})' },
    };
  }, 30_000);
  afterAll(async () => {
    await prometheus?.close();
    await target?.close();
  });

  it("Kurator's predefined request-success-rate and request-duration give 100 %/60 % and the P99 bucket", async () => {
    const requests = ['good', 'bad'].flatMap((w) => [
      { key: `sr ${w}`, metric: 'request-success-rate', vars: vars(w) },
      { key: `d ${w}`, metric: 'request-duration', vars: vars(w) },
    ]);
    const values = await settled(config, requests);
    expect(values.get('sr good')).toEqual({ value: 100, error: null });
    expect(values.get('sr bad')!.value).toBeCloseTo(60, 5);
    // histogram_quantile interpolates within the bucket: 20 ms lies in (10, 25], 400 ms in (250, 500].
    expect(values.get('d good')!.value).toBeGreaterThan(10);
    expect(values.get('d good')!.value).toBeLessThanOrEqual(25);
    expect(values.get('d bad')!.value).toBeGreaterThan(250);
    expect(values.get('d bad')!.value).toBeLessThanOrEqual(500);
  }, 20_000);

  it('no data is null; an unknown workload, an unknown metric name and a bad query are told apart', async () => {
    const values = await queryMetrics(config, [
      { key: 'none', metric: 'request-success-rate', vars: vars('nobody') },
      { key: 'up', metric: 'up', vars: {} },
      { key: 'unknown', metric: 'error-budget', vars: {} },
    ]);
    expect(values.get('none')).toEqual({ value: null, error: null });
    expect(values.get('up')).toEqual({ value: 1, error: null });
    expect(values.get('unknown')).toEqual({ value: null, error: 'metric error-budget has no query in metrics.queries' });
    const bad = await queryMetrics({ ...config, queries: { broken: 'sum(' } }, [{ key: 'b', metric: 'broken', vars: {} }]);
    expect(bad.get('b')!.error).toMatch(/^Prometheus http:\/\/127\.0\.0\.1:\d+: Prometheus answered .*parse error/);
  });
});

describe('queryMetrics without Prometheus', () => {
  it('an unreachable server is an error value naming the URL, within the timeout', async () => {
    const config = { prometheus: { url: 'http://127.0.0.1:9', timeoutSeconds: 1 }, queries: PREDEFINED_METRIC_QUERIES };
    const values = await queryMetrics(config, [{ key: 'k', metric: 'request-success-rate', vars: vars('x') }]);
    expect(values.get('k')!.value).toBeNull();
    expect(values.get('k')!.error).toContain('Prometheus http://127.0.0.1:9:');
    expect((await queryMetrics(null, [{ key: 'k', metric: 'request-success-rate', vars: vars('x') }])).get('k')).toEqual({
      value: null,
      error: 'no metrics: section in the config',
    });
  });

  it('renders {{ variables }}, escaping quotes, and refuses an unknown one', () => {
    expect(renderQuery('x{a="{{ target }}",b="{{namespace}}"}', { target: 'w"1', namespace: 'n' })).toBe('x{a="w\\"1",b="n"}');
    expect(() => renderQuery('{{ nope }}', {})).toThrow('query variable {{ nope }} has no value here');
  });
});
