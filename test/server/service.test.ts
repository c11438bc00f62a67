// The service end to end in one process: a real reconciler over a local fleet repository with a
// directory target, its loop, the HTTP server and the graceful shutdown.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReconcileLoop } from '../../src/reconcile/loop.js';
import { silentLogger } from '../../src/log/logger.js';
import { startReconciler } from '../../src/reconcile/start.js';
import { nodeTargetFs, type TargetFs } from '../../src/targets/fs.js';
import { createMetrics } from '../../src/server/metrics.js';
import { Readiness, startServer, type RunningServer } from '../../src/server/http.js';
import { runService } from '../../src/server/service.js';
import { signBody } from '../../src/server/webhook.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { configFrom, readTree, seedFiles } from '../reconcile/harness.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const SECRET = 'webhook-secret-for-tests';
afterAll(cleanupRepos);

async function setup(opts: { fs?: TargetFs } = {}) {
  const repo = await makeRepo(await seedFiles());
  const base = await makeTempDir('flotilla-svc-');
  const loaded = configFrom(
    `source: {url: ${repo.dir}, branch: main, schedule: "0 0 1 1 *"}\ntargets:\n  - directory: {path: ./rendered}\n`,
    base,
  );
  const log = silentLogger();
  const { reconciler } = await startReconciler(loaded, { log, fs: opts.fs ?? nodeTargetFs });
  const readiness = new Readiness();
  const metrics = createMetrics({ defaultMetrics: false });
  let passes = 0;
  const loop = new ReconcileLoop(reconciler, {
    schedule: loaded.config.source.schedule,
    log,
    onOutcome: (o) => {
      passes++;
      readiness.observe(o);
      metrics.recordOutcome(o);
    },
  });
  return { repo, base, out: path.join(base, 'rendered'), reconciler, readiness, metrics, loop, log, passes: () => passes };
}

const statusRevision = async (dir: string) =>
  /sourceRevision: ([0-9a-f]{40})/.exec(await git(dir, 'show', 'flotilla-status:status.yaml'))?.[1];

async function waitFor<T>(check: () => Promise<T | undefined | false>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

function post(server: RunningServer, body: string, headers: Record<string, string>) {
  return fetch(`${server.url}/hooks/git`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

describe('flotilla service: endpoints, webhook, metrics', () => {
  it(
    'readyz 503 until the first fetch; a signed GitHub push reconciles (the poll is yearly); a bad ' +
      'signature gets 401 and changes nothing; /metrics moves',
    async () => {
      const s = await setup();
      const server = await startServer({
        listen: { host: '127.0.0.1', port: 0 },
        trigger: () => s.loop.trigger(),
        readiness: s.readiness,
        metrics: s.metrics,
        webhook: { secret: SECRET, branch: 'main', maxBodyBytes: 64 * 1024, rateLimit: { burst: 20, perSecond: 5 } },
        log: s.log,
      });
      try {
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        const notReady = await fetch(`${server.url}/readyz`);
        expect(notReady.status).toBe(503);
        expect(await notReady.text()).toBe('waiting for the first successful fetch');
        await s.loop.trigger();
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
        expect(await statusRevision(s.repo.dir)).toBe(s.repo.commit);
        const m0 = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
        expect(sampleValue(m0, 'flotilla_reconcile_total', { phase: 'Synced' })).toBe(1);
        expect(sampleValue(m0, 'flotilla_objects_total', { cluster: 'cluster-hangzhou', result: 'applied' })).toBeGreaterThan(0);
        expect(sampleValue(m0, 'flotilla_last_successful_reconcile_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
        expect(sampleValue(m0, 'flotilla_git_fetch_duration_seconds_count')).toBe(1);
        expect(sampleValue(m0, 'flotilla_reconcile_duration_seconds_count', { stage: 'render' })).toBe(1);

        // A valid signature: reconciled after the request. The poll runs once a year, so only the webhook
        // can have started the pass (how fast is a benchmark's business, not a timed test's).
        const second = await commitFiles(
          s.repo.dir,
          { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\ndata: {k: v}\n' },
          'extra',
        );
        const body = JSON.stringify({ ref: 'refs/heads/main', after: second });
        const ok = await post(server, body, { 'x-github-event': 'push', 'x-hub-signature-256': signBody(SECRET, body) });
        expect(ok.status).toBe(202);
        expect(await waitFor(async () => (await statusRevision(s.repo.dir)) === second, 10_000)).toBe(true);
        expect(Object.keys(await readTree(s.out))).toContain('cluster-hangzhou/default/configmap-extra.yaml');

        // A bad signature and an unsigned request: 401, no pass, nothing written.
        const passes = s.passes();
        const third = await commitFiles(s.repo.dir, { 'extra.yaml': null }, 'remove extra');
        const body3 = JSON.stringify({ ref: 'refs/heads/main', after: third });
        expect(
          (await post(server, body3, { 'x-github-event': 'push', 'x-hub-signature-256': signBody('wrong-secret', body3) })).status,
        ).toBe(401);
        expect((await post(server, body3, { 'x-github-event': 'push' })).status).toBe(401);
        expect((await post(server, body3, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' })).status).toBe(401);
        await new Promise((r) => setTimeout(r, 300));
        expect(s.passes()).toBe(passes);
        expect(await statusRevision(s.repo.dir)).toBe(second);
        expect(Object.keys(await readTree(s.out))).toContain('cluster-hangzhou/default/configmap-extra.yaml');

        // Another branch: acknowledged, ignored.
        const other = JSON.stringify({ ref: 'refs/heads/feature' });
        const ignored = await post(server, other, { 'x-github-event': 'push', 'x-hub-signature-256': signBody(SECRET, other) });
        expect(ignored.status).toBe(202);
        expect(await ignored.json()).toMatchObject({ status: 'ignored' });
        await new Promise((r) => setTimeout(r, 100));
        expect(s.passes()).toBe(passes);

        // GitLab with the right token reconciles the third commit.
        expect(
          (
            await post(server, JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main' }), {
              'x-gitlab-event': 'Push Hook',
              'x-gitlab-token': SECRET,
            })
          ).status,
        ).toBe(202);
        expect(await waitFor(async () => (await statusRevision(s.repo.dir)) === third, 1000)).toBe(true);
        // The pass ends after its status commit (the render index is written last): the counter follows shortly.
        const metrics = async () => parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
        expect(await waitFor(async () => sampleValue(await metrics(), 'flotilla_reconcile_total', { phase: 'Synced' }) === 3, 1000)).toBe(
          true,
        );

        const m1 = await metrics();
        expect(sampleValue(m1, 'flotilla_webhook_events_total', { provider: 'github', result: 'accepted' })).toBe(1);
        expect(sampleValue(m1, 'flotilla_webhook_events_total', { provider: 'github', result: 'unauthorized' })).toBe(2);
        expect(sampleValue(m1, 'flotilla_webhook_events_total', { provider: 'gitlab', result: 'unauthorized' })).toBe(1);
        expect(sampleValue(m1, 'flotilla_webhook_events_total', { provider: 'github', result: 'ignored' })).toBe(1);
        expect(sampleValue(m1, 'flotilla_webhook_events_total', { provider: 'gitlab', result: 'accepted' })).toBe(1);
        expect(sampleValue(m1, 'flotilla_reconcile_total', { phase: 'Synced' })).toBe(3);
        expect(sampleValue(m1, 'flotilla_objects_total', { cluster: 'cluster-hangzhou', result: 'pruned' })).toBe(1);
      } finally {
        await s.loop.stop();
        await server.close();
      }
    },
  );

  it('a payload over the limit gets 413 and a burst past the rate limit gets 429 with Retry-After', async () => {
    const s = await setup();
    const server = await startServer({
      listen: { host: '127.0.0.1', port: 0 },
      trigger: () => s.loop.trigger(),
      readiness: s.readiness,
      metrics: s.metrics,
      webhook: { secret: SECRET, branch: 'main', maxBodyBytes: 1024, rateLimit: { burst: 3, perSecond: 0.1 } },
      log: s.log,
    });
    try {
      const big = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(2000) });
      expect((await post(server, big, { 'x-github-event': 'push', 'x-hub-signature-256': signBody(SECRET, big) })).status).toBe(413);
      // Four distinct pushes (the same signed body again would be a replay, answered without a token).
      const small = (n: number) => JSON.stringify({ ref: 'refs/heads/feature', after: String(n).padStart(40, '0') });
      const pushN = (n: number) => post(server, small(n), { 'x-github-event': 'push', 'x-hub-signature-256': signBody(SECRET, small(n)) });
      // The 413 could not be verified, so it spent none of the verified pushes' 3 tokens.
      expect((await pushN(1)).status).toBe(202);
      expect((await pushN(2)).status).toBe(202);
      expect((await pushN(3)).status).toBe(202);
      const limited = await pushN(4);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${server.url}/hooks/git`)).status).toBe(405);
    } finally {
      await s.loop.stop();
      await server.close();
    }
  });

  it(
    'SIGTERM during an apply: the write in flight finishes, the status commit matches the ' +
      'files, readyz turns 503, exit within the bound',
    async () => {
      // A directory target whose writes take 30 ms each: the first pass is mid-apply when the stop comes.
      let writing = 0;
      const slowFs: TargetFs = {
        ...nodeTargetFs,
        async writeFile(file, text) {
          writing++;
          await new Promise((r) => setTimeout(r, 30));
          await nodeTargetFs.writeFile(file, text);
        },
      };
      const s = await setup({ fs: slowFs });
      let stop!: () => void;
      const stopSignal = new Promise<void>((r) => (stop = r));
      const running = runService({
        loop: s.loop,
        readiness: s.readiness,
        metrics: s.metrics,
        server: { listen: { host: '127.0.0.1', port: 0 }, webhook: null },
        shards: null,
        stopSignal,
        shutdownTimeoutMs: 10_000,
        log: s.log,
      });
      await waitFor(async () => writing > 2, 5000);
      stop();
      const result = await running;
      expect(result.clean).toBe(true);
      expect(s.readiness.ready).toBe(false);
      expect(s.readiness.reason).toBe('shutting down');
      expect(result.shutdownMs).toBeLessThan(10_000);
      // The status names the revision, and its manifests/ are exactly what the target wrote.
      expect(await statusRevision(s.repo.dir)).toBe(s.repo.commit);
      const onBranch = (await git(s.repo.dir, 'ls-tree', '-r', '--name-only', 'flotilla-status', 'manifests/'))
        .split('\n')
        .map((p) => p.slice('manifests/'.length))
        .sort();
      expect(Object.keys(await readTree(s.out)).sort()).toEqual(onBranch);
      expect(await git(s.repo.dir, 'show', 'flotilla-status:status.yaml')).toContain('phase: Synced');
    },
  );
});
