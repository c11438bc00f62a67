// Replayed webhook deliveries: a captured, correctly signed delivery sent again (as is, or under a
// new delivery header) is answered "duplicate delivery, ignored", triggers nothing and spends none
// of the tokens genuine pushes need; a genuine new push is still accepted.
import { describe, expect, it } from 'vitest';
import { Readiness, startServer } from '../../src/server/http.js';
import { createMetrics } from '../../src/server/metrics.js';
import { DeliveryLog, signBody } from '../../src/server/webhook.js';
import { captureLogger } from '../reconcile/harness.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const SECRET = 'webhook-secret-for-replay-tests';

/** A GitHub push delivery as GitHub sends it: the body names the commits, so every push's body differs. */
function githubPush(after: string, delivery: string) {
  const body = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after, repository: { full_name: 'platform/fleet' } });
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': signBody(SECRET, body),
  };
  return { body, headers };
}

async function serve(replayWindow?: { maxEntries: number; seconds: number }) {
  let t = 0;
  let triggers = 0;
  const metrics = createMetrics({ defaultMetrics: false });
  const server = await startServer({
    listen: { host: '127.0.0.1', port: 0 },
    trigger: async () => void triggers++,
    readiness: new Readiness(),
    metrics,
    webhook: { secret: SECRET, branch: 'main', maxBodyBytes: 64 * 1024, rateLimit: { burst: 3, perSecond: 0.01 }, replayWindow },
    log: captureLogger().log,
    now: () => t,
  });
  const post = async (d: { body: string; headers: Record<string, string> }) => {
    const r = await fetch(`${server.url}/hooks/git`, { method: 'POST', body: d.body, headers: d.headers });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const webhookCount = async (provider: string, result: string) =>
    sampleValue(parsePrometheusText(await metrics.text()), 'flotilla_webhook_events_total', { provider, result }) ?? 0;
  return { server, post, triggers: () => triggers, advance: (ms: number) => void (t += ms), webhookCount };
}

describe('webhook replay protection', () => {
  it('a captured signed delivery replayed 50 times: 1 reconcile, 50 × "duplicate delivery, ignored"; new pushes keep budget', async () => {
    const s = await serve();
    try {
      const captured = githubPush('a'.repeat(40), '72d3162e-cc78-11e3-81ab-4c9367dc0958');
      expect((await s.post(captured)).status).toBe(202);
      expect(s.triggers()).toBe(1);
      for (let i = 0; i < 50; i++) {
        const r = await s.post(captured);
        expect(r.status).toBe(200);
        expect(r.json).toEqual({ status: 'ignored', reason: 'duplicate delivery, ignored' });
      }
      expect(s.triggers()).toBe(1);
      // Burst 3, one token spent by the captured delivery: two genuine pushes fit, the replays spent nothing.
      expect((await s.post(githubPush('b'.repeat(40), 'delivery-b'))).status).toBe(202);
      expect((await s.post(githubPush('c'.repeat(40), 'delivery-c'))).status).toBe(202);
      expect(s.triggers()).toBe(3);
      expect((await s.post(githubPush('d'.repeat(40), 'delivery-d'))).status).toBe(429);
      expect(await s.webhookCount('github', 'duplicate')).toBe(50);
      expect(await s.webhookCount('github', 'accepted')).toBe(3);
    } finally {
      await s.server.close();
    }
  });

  it('the same signed body under a forged new X-GitHub-Delivery is still a replay (the header is not signed)', async () => {
    const s = await serve();
    try {
      const captured = githubPush('a'.repeat(40), 'original');
      expect((await s.post(captured)).status).toBe(202);
      for (let i = 0; i < 10; i++) {
        expect((await s.post({ ...captured, headers: { ...captured.headers, 'x-github-delivery': `forged-${i}` } })).status).toBe(200);
      }
      const { 'x-github-delivery': _, ...withoutHeader } = captured.headers;
      expect((await s.post({ ...captured, headers: withoutHeader })).status).toBe(200);
      expect(s.triggers()).toBe(1);
    } finally {
      await s.server.close();
    }
  });

  it('GitLab by X-Gitlab-Event-UUID, generic senders by X-Flotilla-Delivery', async () => {
    const s = await serve();
    try {
      const gitlab = (uuid: string) => ({
        body: JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main' }),
        headers: {
          'content-type': 'application/json',
          'x-gitlab-event': 'Push Hook',
          'x-gitlab-token': SECRET,
          'x-gitlab-event-uuid': uuid,
        },
      });
      expect((await s.post(gitlab('uuid-1'))).status).toBe(202);
      expect((await s.post(gitlab('uuid-1'))).status).toBe(200);
      expect((await s.post(gitlab('uuid-2'))).status).toBe(202);
      const generic = (id: string) => ({
        body: JSON.stringify({ branch: 'main' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-flotilla-delivery': id },
      });
      expect((await s.post(generic('ci-run-17'))).status).toBe(202);
      expect((await s.post(generic('ci-run-17'))).status).toBe(200);
      expect(s.triggers()).toBe(3);
      expect(await s.webhookCount('gitlab', 'duplicate')).toBe(1);
      expect(await s.webhookCount('generic', 'duplicate')).toBe(1);
    } finally {
      await s.server.close();
    }
  });

  it('a delivery refused with 429 is not remembered: sent again once the bucket refills, it is accepted', async () => {
    const s = await serve();
    try {
      for (const c of ['a', 'b', 'c']) expect((await s.post(githubPush(c.repeat(40), c))).status).toBe(202);
      const late = githubPush('e'.repeat(40), 'e');
      expect((await s.post(late)).status).toBe(429);
      s.advance(100_000); // one token at 0.01/s
      expect((await s.post(late)).status).toBe(202);
      expect(s.triggers()).toBe(4);
    } finally {
      await s.server.close();
    }
  });

  it('the window is bounded: past its age a delivery is forgotten (accepted again), and past maxEntries the oldest go', async () => {
    const s = await serve({ maxEntries: 100, seconds: 60 });
    try {
      const captured = githubPush('a'.repeat(40), 'a');
      expect((await s.post(captured)).status).toBe(202);
      s.advance(59_000);
      expect((await s.post(captured)).status).toBe(200);
      s.advance(2_000);
      expect((await s.post(captured)).status).toBe(202);
    } finally {
      await s.server.close();
    }
    let now = 0;
    const log = new DeliveryLog({ maxEntries: 3, seconds: 60 }, () => now);
    for (const k of ['k1', 'k2', 'k3']) log.remember([k]);
    expect(log.has(['k1'])).toBe(true); // k1 becomes the most recently seen
    log.remember(['k4']);
    expect(log.size).toBe(3);
    expect([log.has(['k1']), log.has(['k2']), log.has(['k3']), log.has(['k4'])]).toEqual([true, false, true, true]);
    now = 60_000;
    expect(log.has(['k1'])).toBe(false);
  });
});
