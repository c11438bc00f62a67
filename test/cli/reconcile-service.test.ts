// `flotilla reconcile` as a service, end to end with real processes: three `node bin/flotilla.js
// reconcile --config F` children (built into dist/ by `npm test`'s tsc step) share 9 member
// clusters (test API servers) over 6 shard Leases held in a management cluster (one more test API
// server); the fleet repository is served over smart HTTP with auth, as a Git host would.
//
// The config's schedule never fires during the test (January 1st, 00:00): every pass comes from a
// start, a shard takeover or a webhook, so each assertion below is caused by what it claims.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { assignShards } from '../../src/ha/consistent-hash.js';
import { signBody } from '../../src/server/webhook.js';
import { duplicatedFleet, clusterNames } from '../ha/fleet.js';
import { startManagementCluster } from '../ha/harness.js';
import { ROOT } from '../helpers/cli.js';
import { cleanupRepos, git, makeTempDir, type FileSpec } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { clearRequests, writes } from '../kube/harness.js';
import { ENV, serveFleet, type ServedFleet } from '../reconcile/remote-harness.js';
import { parsePrometheusText, sampleValue, type Sample } from '../server/prometheus-text.js';

const NAMES = clusterNames(9);
const SHARDS = 6;
const LEASE = { duration: 4, renewDeadline: 2.5, retry: 0.5 };
const SHUTDOWN_BOUND_S = 10;
const SECRET = 'test-webhook-secret-0123456789';
const CONFIGMAP = 'PATCH /api/v1/namespaces/default/configmaps/app-config';

let members: TestFleet;
let management: TestFleet;
let repo: ServedFleet;
let base: string;

interface Replica {
  name: string;
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const replicas: Replica[] = [];

function filesOf(version: string): Record<string, FileSpec> {
  return Object.fromEntries(duplicatedFleet(NAMES, version).map((f) => [f.path, f.text]));
}

function configText(name: string): string {
  return `source:
  url: ${repo.url}
  branch: main
  auth: {usernameEnv: FLEET_USER, passwordEnv: FLEET_PASSWORD}
  schedule: "0 0 1 1 *"
  timeoutSeconds: 10
  retry: {attempts: 3, initialDelayMs: 100, maxDelayMs: 1000}
  cacheDir: cache-${name}
targets:
  - kubernetes: {kubeconfig: ${members.kubeconfigPath}, timeoutSeconds: 8}
server:
  listen: "127.0.0.1:0"
  shutdownTimeoutSeconds: ${SHUTDOWN_BOUND_S}
  webhook: {secretEnv: HOOK_SECRET}
ha:
  shards: ${SHARDS}
  leaseNamespace: flotilla-system
  kubeconfig: ${management.kubeconfigPath}
  leaseDurationSeconds: ${LEASE.duration}
  renewDeadlineSeconds: ${LEASE.renewDeadline}
  retryPeriodSeconds: ${LEASE.retry}
`;
}

/** Spawns one replica and resolves once its HTTP server listens. */
async function startReplica(name: string): Promise<Replica> {
  const config = path.join(base, `${name}.yaml`);
  await fs.writeFile(config, configText(name));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/flotilla.js'), 'reconcile', '--config', config], {
    cwd: base,
    env: { ...process.env, ...ENV, POD_NAME: name, HOOK_SECRET: SECRET, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let buffer = '';
  let onListening: ((url: string) => void) | null = null;
  const listening = new Promise<string>((resolve) => (onListening = resolve));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg && String(entry.msg).startsWith('http server listening')) onListening?.(`http://127.0.0.1:${entry.port}`);
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await Promise.race([
    listening,
    exited.then((e) =>
      Promise.reject(
        new Error(`${name} exited (${e.code ?? e.signal}) before listening:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`),
      ),
    ),
  ]);
  const r = { name, child, url, logs, exited };
  replicas.push(r);
  return r;
}

async function metricsOf(r: Replica): Promise<Sample[]> {
  const res = await fetch(`${r.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await res.text());
}

const ownedShards = (m: Sample[]) =>
  m
    .filter((s) => s.name === 'flotilla_shard_owned' && s.value === 1)
    .map((s) => Number(s.labels.shard))
    .sort();
const sum = (m: Sample[], name: string, labels: Record<string, string> = {}) =>
  m.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

let deliveries = 0;

/** Sends a GitHub push event for main, a delivery of its own (a repeated one is a replay); `secret` signs it (null: unsigned). */
function push(r: Replica, secret: string | null): Promise<Response> {
  const n = ++deliveries;
  const body = JSON.stringify({ ref: 'refs/heads/main', after: String(n).padStart(40, '0'), repository: { full_name: 'platform/fleet' } });
  return fetch(`${r.url}/hooks/git`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': `test-${n}`,
      ...(secret ? { 'X-Hub-Signature-256': signBody(secret, body) } : {}),
    },
    body,
  });
}

async function until<T>(what: string, check: () => T | false | Promise<T | false>, ms: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until no replica of `rs` has finished a pass for `quietMs` (the start-up shard moves are over). */
async function settled(rs: Replica[], quietMs = 1_500): Promise<void> {
  let last = -1;
  let since = Date.now();
  await until(
    'passes settle',
    async () => {
      const n = (await Promise.all(rs.map(metricsOf))).reduce((t, m) => t + sum(m, 'flotilla_reconcile_total'), 0);
      if (n !== last) [last, since] = [n, Date.now()];
      return Date.now() - since >= quietMs;
    },
    20_000,
  );
}

/** The ConfigMap version on a member cluster (undefined: not applied). */
const versionOn = (cluster: string) =>
  (members.servers.get(cluster)!.getObject('v1', 'ConfigMap', 'default', 'app-config') as { data?: { version?: string } } | undefined)?.data
    ?.version;

/** Holder of every shard lease, from the management cluster. */
function holders(): string[] {
  const server = management.servers.get('management')!;
  return Array.from(
    { length: SHARDS },
    (_, i) =>
      (
        server.getObject('coordination.k8s.io/v1', 'Lease', 'flotilla-system', `flotilla-shard-${i}`) as
          { spec?: { holderIdentity?: string } } | undefined
      )?.spec?.holderIdentity ?? '',
  );
}

/** Clusters per replica, by the shard assignment every replica computes and the leases' holders. */
function clustersByReplica(): Map<string, string[]> {
  const owner = holders();
  const out = new Map<string, string[]>();
  for (const [cluster, shard] of [...assignShards(NAMES, SHARDS)].sort())
    out.set(owner[shard]!, [...(out.get(owner[shard]!) ?? []), cluster]);
  return out;
}

/** Non-dry-run writes per cluster since the last clear. */
function writesByCluster(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of writes(members)) if (!w.dryRun) out.set(w.cluster, [...(out.get(w.cluster) ?? []), `${w.method} ${w.path}`]);
  return out;
}

beforeAll(async () => {
  [members, management] = await Promise.all([startFleetApiServers(NAMES, { autoReady: true }), startManagementCluster()]);
  repo = await serveFleet(filesOf('v1'));
  base = await makeTempDir('flotilla-service-');
});

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exited));
  await Promise.all([members?.close(), management?.close(), repo?.server.close()]);
  await cleanupRepos();
});

describe('flotilla reconcile: 3 processes sharding 9 clusters over 6 shard Leases', () => {
  it(
    'spread 2/2/2 and apply each cluster once; a signed webhook applies (bad signature: 401, ' +
      'nothing); /metrics moves; kill -9 → takeover within the lease duration, applied once; ' +
      'SIGTERM mid-apply → clean exit, consistent status',
    { timeout: 90_000 },
    async () => {
      const [a, b, c] = await Promise.all(['flotilla-0', 'flotilla-1', 'flotilla-2'].map(startReplica));

      // ---- shards spread over the 3; every cluster gets v1 exactly once
      await until(
        'each replica holds 2 shards',
        async () => (await Promise.all([a, b, c].map(metricsOf))).every((m) => ownedShards(m).length === 2),
        20_000,
      );
      await until('v1 on every cluster', () => NAMES.every((n) => versionOn(n) === 'v1'), 15_000);
      let owners = clustersByReplica();
      expect([...owners.keys()].sort()).toEqual([a.name, b.name, c.name]);
      // Bounded-load hashing puts 9 clusters on the 6 shards as 2 2 0 1 2 2: every pair of shards holds ≥ 1.
      for (const r of [a, b, c]) expect(owners.get(r.name)!.length, r.name).toBeGreaterThanOrEqual(1);
      const first = writesByCluster();
      for (const n of NAMES) expect(first.get(n), n).toEqual([CONFIGMAP]);
      await until(
        'every replica ready (a fetch succeeded)',
        async () => (await Promise.all([a, b, c].map((r) => fetch(`${r.url}/readyz`)))).every((res) => res.status === 200),
        10_000,
      );

      // ---- a bad signature: 401, counted, no pass, no write anywhere
      await settled([a, b, c]);
      clearRequests(members);
      const v2 = await repo.push(filesOf('v2'), 'v2');
      const passesBefore = sum(await metricsOf(b), 'flotilla_reconcile_total');
      expect((await push(b, 'not-the-secret-at-all-0000')).status).toBe(401);
      expect((await push(b, null)).status).toBe(401);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(writesByCluster().size).toBe(0);
      const mb = await metricsOf(b);
      expect(sampleValue(mb, 'flotilla_webhook_events_total', { provider: 'github', result: 'unauthorized' })).toBe(2);
      expect(sum(mb, 'flotilla_reconcile_total')).toBe(passesBefore);

      // ---- a signed push: the receiving replica applies its clusters (the schedule never fires, so
      // the push started the pass; how fast is measured by benchmarks, not by a timed test); its metrics move
      const before = await metricsOf(a);
      const mine = owners.get(a.name)!;
      const sent = Date.now();
      const accepted = await push(a, SECRET);
      expect(accepted.status).toBe(202);
      await until("v2 on the receiving replica's clusters", () => mine.every((n) => versionOn(n) === 'v2'), 10_000);
      await until(
        'the pass is recorded',
        async () => sum(await metricsOf(a), 'flotilla_reconcile_total') > sum(before, 'flotilla_reconcile_total'),
        5_000,
      );
      const after = await metricsOf(a);
      expect(sampleValue(after, 'flotilla_webhook_events_total', { provider: 'github', result: 'accepted' })).toBe(1);
      for (const n of mine)
        expect(
          sampleValue(after, 'flotilla_objects_total', { cluster: n, result: 'applied' }) -
            sampleValue(before, 'flotilla_objects_total', { cluster: n, result: 'applied' }),
          n,
        ).toBe(1);
      expect(sum(after, 'flotilla_git_fetch_duration_seconds_count')).toBeGreaterThan(
        sum(before, 'flotilla_git_fetch_duration_seconds_count'),
      );
      expect(sampleValue(after, 'flotilla_reconcile_duration_seconds_count', { stage: 'write' })).toBeGreaterThan(
        sampleValue(before, 'flotilla_reconcile_duration_seconds_count', { stage: 'write' }),
      );
      expect(sampleValue(after, 'flotilla_last_successful_reconcile_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(sent / 1000));
      expect(sampleValue(after, 'flotilla_replicas_live')).toBe(3);
      // The other replicas' clusters wait for their own webhook (or poll).
      for (const n of NAMES.filter((x) => !mine.includes(x))) expect(versionOn(n), n).toBe('v1');
      for (const r of [b, c]) expect((await push(r, SECRET)).status).toBe(202);
      await until('v2 everywhere', () => NAMES.every((n) => versionOn(n) === 'v2'), 5_000);
      for (const n of NAMES) expect(writesByCluster().get(n), n).toEqual([CONFIGMAP]);
      expect(await git(repo.bare, 'rev-parse', 'main')).toBe(v2);

      // ---- kill -9 one replica: survivors take its shards within the lease duration and apply its clusters once
      owners = clustersByReplica();
      const orphaned = owners.get(c.name)!;
      clearRequests(members);
      c.child.kill('SIGKILL');
      const killedAt = Date.now();
      await c.exited;
      await repo.push(filesOf('v3'), 'v3');
      for (const r of [a, b]) expect((await push(r, SECRET)).status).toBe(202);
      const survivorsClusters = NAMES.filter((n) => !orphaned.includes(n));
      await until("v3 on the survivors' own clusters", () => survivorsClusters.every((n) => versionOn(n) === 'v3'), 5_000);
      for (const n of orphaned) expect(writesByCluster().get(n), `${n} before the takeover`).toBeUndefined();
      await until(
        'survivors hold 3 shards each',
        async () => (await Promise.all([a, b].map(metricsOf))).every((m) => ownedShards(m).length === 3),
        (LEASE.duration + 4 * LEASE.retry) * 1000 + 3_000,
      );
      // Within the lease duration (+ the rounds that notice it) of the last renewal before the kill.
      expect(Date.now() - killedAt).toBeLessThanOrEqual((LEASE.duration + 3 * LEASE.retry) * 1000 + 1_500);
      await until('v3 on the orphaned clusters', () => orphaned.every((n) => versionOn(n) === 'v3'), 5_000);
      const takeover = writesByCluster();
      for (const n of NAMES) expect(takeover.get(n), n).toEqual([CONFIGMAP]);
      expect(new Set(holders())).toEqual(new Set([a.name, b.name]));

      // ---- SIGTERM while the replica's applies are in flight: they finish, status is written, exit 0 in the bound
      owners = clustersByReplica();
      const leaving = owners.get(a.name)!;
      clearRequests(members);
      for (const n of leaving) members.servers.get(n)!.setLatency(300);
      const v4 = await repo.push(filesOf('v4'), 'v4');
      expect((await push(a, SECRET)).status).toBe(202);
      await until(
        "a PATCH in flight on the leaving replica's clusters",
        () => leaving.some((n) => members.servers.get(n)!.requests.some((q) => q.method === 'PATCH' && q.status === 0)),
        10_000,
      );
      const inFlight = leaving.filter((n) => members.servers.get(n)!.requests.some((q) => q.method === 'PATCH'));
      const termAt = Date.now();
      a.child.kill('SIGTERM');
      const exit = await a.exited;
      expect(exit.code).toBe(0);
      expect(exit.at - termAt).toBeLessThan(SHUTDOWN_BOUND_S * 1000);
      for (const n of leaving) members.servers.get(n)!.setLatency(0);
      // Every apply that had started finished (none cut in half), and the status commit was written.
      for (const n of inFlight) expect(versionOn(n), n).toBe('v4');
      expect(a.logs.some((l) => l.msg === 'stopped' && l.clean === true)).toBe(true);
      // The pass that was applying when SIGTERM came wrote its status commit (of v4) before the process left.
      const stopping = a.logs.findIndex((l) => String(l.msg).startsWith('stopping'));
      expect(
        a.logs
          .slice(stopping)
          .filter((l) => String(l.msg).startsWith('status committed'))
          .map((l) => l.revision),
      ).toEqual([v4.slice(0, 12)]);
      // Released leases: the last replica takes every shard at once (not after the lease duration) and applies v4 everywhere.
      await until(
        'the last replica holds all shards',
        async () => ownedShards(await metricsOf(b)).length === SHARDS,
        3_000 + LEASE.duration * 1000,
      );
      expect((await push(b, SECRET)).status).toBe(202);
      await until('v4 everywhere', () => NAMES.every((n) => versionOn(n) === 'v4'), 8_000);
      for (const n of NAMES) expect(writesByCluster().get(n), n).toEqual([CONFIGMAP]);

      // Stop the last one, then read the status branch: linear, and its last commit complete and consistent.
      b.child.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
      expect(await git(repo.bare, 'rev-list', '--min-parents=2', 'flotilla-status')).toBe('');
      const status = parse(await git(repo.bare, 'show', 'flotilla-status:status.yaml'));
      expect(status).toMatchObject({ kind: 'ReconcileStatus', sourceRevision: v4, lastGoodRevision: v4, objects: { total: NAMES.length } });
      const manifests = (await git(repo.bare, 'ls-tree', '-r', '--name-only', 'flotilla-status', 'manifests/')).split('\n').filter(Boolean);
      expect(manifests).toHaveLength(NAMES.length);
      for (const f of manifests) expect(parse(await git(repo.bare, 'show', `flotilla-status:${f}`)).data, f).toEqual({ version: 'v4' });
      expect(Object.keys(status.clusters).sort()).toEqual(NAMES);
    },
  );
});
