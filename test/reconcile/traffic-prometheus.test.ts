// Traffic decisions from a real Prometheus (Debian's package, started here, scraping Istio-shaped
// metrics this test serves every second): latency-scaled weights on the seed's 90/10 route, a
// canary rolled back on Kurator's request-success-rate below its thresholdRange.min, and an
// unreachable Prometheus keeping the weights in force.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { PREDEFINED_METRIC_QUERIES } from '../../src/config/schema.js';
import { queryMetrics } from '../../src/live/prometheus.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers } from '../helpers/kube.js';
import { FIXTURES } from '../helpers/fleet.js';
import { HAS_PROMETHEUS, istioMetrics, startPrometheus } from '../helpers/prometheus.js';
import { VIRTUAL_SERVICE_CRD } from '../kube/harness.js';
import { captureLogger, configFrom, kubernetesConfigYaml, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

const fixture = (name: string) => readFileSync(path.join(FIXTURES, 'traffic/fleet', name), 'utf8');

/** Waits until rate() over the test's windows has two samples for every workload. */
async function waitForRates(url: string, workloads: string[]): Promise<void> {
  const config = { prometheus: { url, timeoutSeconds: 2 }, queries: PREDEFINED_METRIC_QUERIES };
  const requests = workloads.map((w) => ({
    key: w,
    metric: 'request-duration',
    vars: { namespace: 'default', target: w, interval: '1m' },
  }));
  for (let i = 0; i < 60; i++) {
    const values = await queryMetrics(config, requests);
    if ([...values.values()].every((v) => v.value !== null)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('Prometheus has no rates yet');
}

describe.skipIf(!HAS_PROMETHEUS)('traffic from a real Prometheus', () => {
  it('latency scales 90/10 to 99/1; request-success-rate 60 < min 99 rolls the canary back; Prometheus gone keeps 99/1', async () => {
    const target = await istioMetrics([
      { namespace: 'default', workload: 'reviews-v1', perScrape: { '200': 10 }, durationMs: 20 },
      { namespace: 'default', workload: 'reviews-v2', perScrape: { '200': 10 }, durationMs: 400 },
      { namespace: 'default', workload: 'podinfo-canary', perScrape: { '200': 6, '503': 4 }, durationMs: 20 },
    ]);
    const prometheus = await startPrometheus(target.port);
    const fleet = await startFleetApiServers(['cluster-a', 'cluster-b'], { autoReady: true });
    try {
      for (const s of fleet.servers.values()) s.putObject(VIRTUAL_SERVICE_CRD);
      const reviews = fixture('02-reviews.yaml').replace(
        'flotilla.dev/traffic-hysteresis: "5"',
        'flotilla.dev/traffic-hysteresis: "5"\n    flotilla.dev/traffic-latency: request-duration',
      );
      const podinfo = fixture('03-podinfo.yaml').replace(
        '          checkFailedTimes: 2',
        '          checkFailedTimes: 2\n          metrics:\n          - name: request-success-rate\n            thresholdRange: {min: 99}',
      );
      const { dir } = await makeRepo({ '01-fleet.yaml': fixture('01-fleet.yaml'), '02-reviews.yaml': reviews, '03-podinfo.yaml': podinfo });
      const base = await makeTempDir('flotilla-prometheus-');
      let now = Date.parse('2026-03-01T10:00:00Z');
      const clock = { now: () => now, sleep: async () => undefined };
      const metrics = `metrics:\n  prometheus: {url: "${prometheus.url}", timeoutSeconds: 2}\n`;
      const config = `${kubernetesConfigYaml(dir, fleet.kubeconfigPath)}${metrics}`;
      const { reconciler } = await reconcilerFor(configFrom(config, base), { clock, log: captureLogger().log });
      await waitForRates(prometheus.url, ['reviews-v1', 'reviews-v2', 'podinfo-canary']);
      const pass = async (ms: number) => {
        now += ms;
        await reconciler.reconcileOnce();
        return parse(await git(dir, 'show', 'flotilla-status:status.yaml')).traffic as Obj;
      };
      const weights = () =>
        (
          fleet.servers.get('cluster-a')!.getObject('networking.istio.io/v1beta1', 'VirtualService', 'default', 'reviews-route') as Obj
        ).spec.http[0].route.map((d: Obj) => d.weight);

      await pass(0);
      // P99 of v1 lies in the (10, 25] ms bucket, of v2 in (250, 500]: factor best/latency ≈ 0.05 for v2 → 90 : 0.5 → 99/1.
      expect((await pass(5_000)).routes[0].effective).toEqual([99, 1]);
      expect(weights()).toEqual([99, 1]);
      const record = parse(await git(dir, 'show', 'flotilla-status:traffic.yaml')) as Obj;
      expect(record.routes[0].destinations[0].latency).toBeGreaterThan(10);
      expect(record.routes[0].destinations[1].latency).toBeGreaterThan(250);
      expect(record.routes[0].steps.join('\n')).toContain('factor best/latency');

      await commitFiles(dir, { '03-podinfo.yaml': podinfo.replace('podinfo:6.0.0', 'podinfo:6.0.1') }, 'podinfo 6.0.1');
      expect((await pass(1_000)).canaries[0]).toMatchObject({ phase: 'Progressing', weight: 10 });
      expect((await pass(60_000)).canaries[0]).toMatchObject({ phase: 'Progressing', failedChecks: 1 });
      const rolledBack = (await pass(60_000)).canaries[0];
      expect(rolledBack).toMatchObject({ phase: 'RolledBack', reason: 'CanaryRolledBack', weight: 0 });
      // Prometheus computes the rate ratio in floating point: 60 may come back as 59.99999999999999.
      const [, rate] = /^request-success-rate ([\d.]+) < min 99$/.exec(String(rolledBack.message)) ?? [];
      expect(Number(rate)).toBeCloseTo(60, 6);

      // Prometheus goes away: the weights in force stay, and the status says why.
      await prometheus.close();
      const gone = await pass(5_000);
      expect(gone.routes[0].effective).toEqual([99, 1]);
      expect(weights()).toEqual([99, 1]);
      expect(gone.problems.join('\n')).toMatch(
        /VirtualService default\/reviews-route http\[0\]: request-duration for .*Prometheus http:\/\/127\.0\.0\.1:\d+: .*last weights kept/,
      );
      reconciler.close();
    } finally {
      await prometheus.close();
      await target.close();
      await fleet.close();
    }
  }, 60_000);
});
