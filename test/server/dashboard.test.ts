// The dashboard over HTTP, served by a reconciler running as a service against a real Git server:
// read-only (405 on anything but GET and HEAD), the API and the events behind the bearer token
// while the shell holds no fleet data, the matrix and workload page built from the reconciler's own
// render, the status branch's history, an event on every pass, and the token never in a log line.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRepos } from '../helpers/git.js';
import { nginxFiftyFifty, startServedDashboard, TOKEN, type ServedDashboard } from './dashboard-harness.js';

let served: ServedDashboard;
beforeAll(async () => {
  served = await startServedDashboard();
  await served.pass();
});
afterAll(async () => {
  await served?.stop();
  await cleanupRepos();
});

const auth = { Authorization: `Bearer ${TOKEN}` };

async function get(path: string, headers: Record<string, string> = auth) {
  const res = await fetch(new URL(path, served.url), { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Reads the event stream until `count` pass events arrived (or the time runs out). */
function passEvents(count: number, during: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const events: Array<Record<string, unknown>> = [];
    const req = http.get(new URL('api/events', served.url), { headers: auth }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.startsWith(': connected\n\n') && events.length === 0 && !started) {
          started = true;
          during().catch(reject);
        }
        for (const m of buffer.matchAll(/event: pass\ndata: (.*)\n\n/g)) events.push(JSON.parse(m[1]!) as Record<string, unknown>);
        buffer = buffer.replace(/event: pass\ndata: .*\n\n/g, '');
        if (events.length >= count) {
          req.destroy();
          resolve(events);
        }
      });
    });
    let started = false;
    req.on('error', (e) => (events.length >= count ? undefined : reject(e)));
  });
}

describe('dashboard HTTP', () => {
  it('serves the page shell with a strict CSP and no fleet data; redirects the bare path; 404 outside it', async () => {
    const page = await get('', {});
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).not.toContain('nginx');
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/flotilla\/$/);
    const bare = await fetch(served.url.slice(0, -1), { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/flotilla/');
    expect((await get('/metrics')).status).toBe(404);
  });

  it('is read-only: POST, PUT, DELETE and PATCH get 405 everywhere, the token notwithstanding', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
      for (const path of ['', 'api/fleet', 'api/events', 'api/anything']) {
        const res = await fetch(new URL(path, served.url), { method, headers: auth, body: method === 'DELETE' ? undefined : '{}' });
        expect([method, path, res.status]).toEqual([method, path, 405]);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
      }
  });

  it('the API requires the bearer token: none or a wrong one is 401', async () => {
    expect((await get('api/fleet', {})).status).toBe(401);
    expect((await get('api/fleet', { Authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await get('api/history', {})).status).toBe(401);
    expect((await get('api/events', {})).status).toBe(401);
    expect((await get('api/fleet')).status).toBe(200);
  });

  it("the fleet view is the reconciler's render: nginx 6 on cluster-hangzhou, 4 on cluster-shanghai, phase Synced", async () => {
    const fleet = JSON.parse((await get('api/fleet')).text);
    expect(fleet.status.phase).toBe('Synced');
    expect(fleet.status).not.toHaveProperty('source'); // the source URL stays out of the page
    const names: string[] = fleet.matrix.clusters.map((c: { name: string }) => c.name);
    const nginx = fleet.matrix.rows.find((r: { ref: string }) => r.ref === 'Deployment/default/nginx');
    const cells = Object.fromEntries(nginx.cells.map((c: { c: number; r: number }) => [names[c.c], c.r]));
    expect(cells).toEqual({ 'cluster-hangzhou': 6, 'cluster-shanghai': 4 });
  });

  it("the workload page: its policy, explain's steps and verdicts, the override rules per cluster (no values)", async () => {
    const w = JSON.parse((await get('api/workload?ref=Deployment/default/nginx')).text);
    expect(w.policy).toBe('PropagationPolicy/default/nginx-propagation');
    expect(w.steps.length).toBeGreaterThan(0);
    expect(w.verdicts.filter((v: { selected: boolean }) => v.selected).map((v: { name: string }) => v.name)).toEqual([
      'cluster-hangzhou',
      'cluster-shanghai',
    ]);
    const global = JSON.parse((await get('api/workload?ref=Deployment/default/global-app')).text);
    expect(global.overrides.length).toBeGreaterThan(0);
    expect(global.overrides[0].applied[0]).toMatchObject({ policy: expect.stringContaining('OverridePolicy/'), rule: expect.any(Number) });
    expect(JSON.stringify(global.overrides)).not.toMatch(/"value"/);
    expect((await get('api/workload?ref=Deployment/default/missing')).status).toBe(404);
  });

  it('a pushed commit: the next pass sends an event, the fleet view moves to 5/5 and the history gains a Synced entry', async () => {
    const before = JSON.parse((await get('api/history')).text).entries.length;
    let pushed = '';
    const events = await passEvents(1, async () => {
      pushed = await served.fleet.push(await nginxFiftyFifty(), 'nginx 50/50');
      await served.pass();
    });
    expect(events[0]).toEqual({ revision: pushed, phase: 'Synced', reason: null });
    const fleet = JSON.parse((await get('api/fleet')).text);
    expect(fleet.status.sourceRevision).toBe(pushed);
    const nginx = fleet.matrix.rows.find((r: { ref: string }) => r.ref === 'Deployment/default/nginx');
    expect(nginx.cells.map((c: { r: number }) => c.r)).toEqual([5, 5]);
    const history = JSON.parse((await get('api/history')).text).entries;
    expect(history).toHaveLength(before + 1);
    expect(history[0]).toMatchObject({ revision: pushed, phase: 'Synced', changed: ['Deployment/default/nginx'] });
  });

  it('never logs the token', () => {
    expect(served.logs.join('\n')).not.toContain(TOKEN);
    expect(served.logs.some((l) => l.includes('dashboard listening'))).toBe(true);
  });
});
