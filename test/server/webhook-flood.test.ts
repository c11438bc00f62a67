// A flood of unauthenticated webhook requests must never cost a genuine push its token: the
// signature is checked first, verified pushes share the configured bucket, and requests that
// fail the check are limited per remote address in buckets of their own.
import { describe, expect, it } from 'vitest';
import { Readiness, startServer } from '../../src/server/http.js';
import { createMetrics } from '../../src/server/metrics.js';
import { signBody } from '../../src/server/webhook.js';
import { captureLogger } from '../reconcile/harness.js';

const SECRET = 'webhook-secret-for-flood-tests';
const push = JSON.stringify({ ref: 'refs/heads/main' });
const signed = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signBody(SECRET, push) };
const forged = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signBody('guessed', push) };

async function serve() {
  let t = 0;
  let triggers = 0;
  const logger = captureLogger();
  const server = await startServer({
    listen: { host: '127.0.0.1', port: 0 },
    trigger: async () => void triggers++,
    readiness: new Readiness(),
    metrics: createMetrics({ defaultMetrics: false }),
    webhook: { secret: SECRET, branch: 'main', maxBodyBytes: 64 * 1024, rateLimit: { burst: 3, perSecond: 0.1 } },
    log: logger.log,
    now: () => t,
  });
  const post = (headers: Record<string, string>, body = push) =>
    fetch(`${server.url}/hooks/git`, { method: 'POST', body, headers }).then((r) => r.status);
  // A genuine push of its own: GitHub's bodies name the pushed commit, and a repeated signed body is a replay.
  const postPush = (n: number) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: String(n).padStart(40, '0') });
    return post({ ...signed, 'x-hub-signature-256': signBody(SECRET, body) }, body);
  };
  return {
    server,
    post,
    postPush,
    triggers: () => triggers,
    advance: (ms: number) => void (t += ms),
    warnings: () => logger.lines.filter((l) => l.includes('webhook refused')).length,
  };
}

describe('webhook rate limit: verify first', () => {
  it('burst 3: 20 forged pushes → 3×401 then 17×429; a genuine push right after is still accepted and triggers a reconcile', async () => {
    const s = await serve();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(await s.post(forged));
      expect(statuses).toEqual([...Array(3).fill(401), ...Array(17).fill(429)]);
      expect(await s.post(signed)).toBe(202);
      expect(s.triggers()).toBe(1);
      // The flood logged one line per request it was allowed, not one per request sent.
      expect(s.warnings()).toBe(3);
    } finally {
      await s.server.close();
    }
  });

  it('verified pushes keep their own bucket of 3 (4th → 429), whatever forged requests did in between', async () => {
    const s = await serve();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(await s.postPush(i));
        await s.post(forged);
        await s.post(forged);
      }
      expect(statuses).toEqual([202, 202, 202, 429]);
      expect(s.triggers()).toBe(3);
    } finally {
      await s.server.close();
    }
  });

  it('at 0.1/s, 10 s after the flood the address gets one more 401 (its bucket refilled one token), then 429 again', async () => {
    const s = await serve();
    try {
      for (let i = 0; i < 5; i++) await s.post(forged);
      s.advance(10_000);
      expect([await s.post(forged), await s.post(forged)]).toEqual([401, 429]);
    } finally {
      await s.server.close();
    }
  });
});
