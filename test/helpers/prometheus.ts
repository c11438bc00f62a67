// A real Prometheus server for tests (Debian's /usr/bin/prometheus): a loopback port, a temporary
// storage directory, one scrape job at a 1 s interval pointing at an endpoint the test serves.
// `istioMetrics` serves what Istio's sidecars export for one workload, with counters the test moves.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const HAS_PROMETHEUS = existsSync(PROMETHEUS_BIN);
// CI installs Prometheus (.ci/run): there a missing server fails the run instead of skipping the tests that need it.
if (!HAS_PROMETHEUS && process.env.CI)
  throw new Error(`no Prometheus at ${PROMETHEUS_BIN}: the traffic tests cannot run (apt-get install prometheus)`);
if (!HAS_PROMETHEUS) console.warn(`Prometheus tests skipped: no ${PROMETHEUS_BIN} (apt-get install prometheus)`);

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Per workload: requests by response code, and request durations (ms) observed into histogram buckets. */
export interface WorkloadTraffic {
  namespace: string;
  workload: string;
  /** Requests per second by code, added at every scrape. */
  perScrape: Record<string, number>;
  /** Every request of a scrape takes this long (ms). */
  durationMs: number;
}

const BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** An HTTP endpoint serving Istio's istio_requests_total and istio_request_duration_milliseconds for the workloads given. */
export async function istioMetrics(
  workloads: WorkloadTraffic[],
): Promise<{ url: string; port: number; workloads: WorkloadTraffic[]; close(): Promise<void> }> {
  const totals = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const lines: string[] = ['# TYPE istio_requests_total counter', '# TYPE istio_request_duration_milliseconds histogram'];
    for (const w of workloads) {
      const base = `reporter="destination",destination_workload_namespace="${w.namespace}",destination_workload="${w.workload}"`;
      let all = 0;
      for (const [code, n] of Object.entries(w.perScrape)) {
        const key = `${w.workload}/${code}`;
        totals.set(key, (totals.get(key) ?? 0) + n);
        lines.push(`istio_requests_total{${base},response_code="${code}"} ${totals.get(key)}`);
      }
      for (const k of totals.keys()) if (k.startsWith(`${w.workload}/`)) all += totals.get(k)!;
      for (const le of BUCKETS)
        lines.push(`istio_request_duration_milliseconds_bucket{${base},le="${le}"} ${w.durationMs <= le ? all : 0}`);
      lines.push(`istio_request_duration_milliseconds_bucket{${base},le="+Inf"} ${all}`);
      lines.push(`istio_request_duration_milliseconds_count{${base}} ${all}`);
      lines.push(`istio_request_duration_milliseconds_sum{${base}} ${all * w.durationMs}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`${lines.join('\n')}\n`);
    void req;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    workloads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface PrometheusServer {
  url: string;
  close(): Promise<void>;
}

/** Starts Prometheus scraping 127.0.0.1:`targetPort` every second and waits until the target has been scraped. */
export async function startPrometheus(targetPort: number): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-prometheus-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    'global: {scrape_interval: 1s, evaluation_interval: 1s}\n' +
      `scrape_configs:\n- job_name: istio\n  static_configs:\n  - targets: ['127.0.0.1:${targetPort}']\n`,
  );
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up{job="istio"}')}`);
      const body = (await r.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
      if (body.data?.result?.[0]?.value[1] === '1') return { url, close };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await close();
  throw new Error(`Prometheus did not scrape its target within 15 s:\n${log}`);
}
