import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigTransport } from '../../src/kube/transport.js';
import { KubeApi, DEFAULT_KUBE_API_OPTIONS } from '../../src/kube/api.js';
import { KubeApiError } from '../../src/kube/errors.js';

// A server that answers headers at once and then one byte every 100 ms, forever: a socket idle
// timeout never fires, only a deadline over the whole request does. /quick answers normally.
let server: http.Server;
let kc: KubeConfig;
const timers = new Set<NodeJS.Timeout>();
beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (req.url?.startsWith('/quick')) {
      res.end('{"kind":"Status","status":"Success"}');
      return;
    }
    res.write('{"kind":"Status","pad":"');
    const t = setInterval(() => res.write('x'), 100);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
});
afterAll(async () => {
  for (const t of timers) clearInterval(t);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('transport: a wall-clock deadline per request', () => {
  it('timeoutMs 400 against a server trickling a byte every 100 ms → rejected with ETIMEDOUT after ~400 ms, not never', async () => {
    const transport = kubeconfigTransport(kc);
    const t0 = Date.now();
    const outcome = await Promise.race([
      transport.send({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/x', timeoutMs: 400 }).then(
        () => 'resolved',
        (e: { code?: string; message?: string }) => `rejected ${e.code}: ${e.message}`,
      ),
      new Promise<string>((r) => setTimeout(() => r('still pending after 3000 ms'), 3000)),
    ]);
    const elapsed = Date.now() - t0;
    transport.close();
    expect(outcome).toBe('rejected ETIMEDOUT: timed out after 400 ms');
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
  });

  it('through KubeApi the deadline is a transient KUBE_UNREACHABLE: 2 attempts, 1 retry, then the error', async () => {
    const retries: number[] = [];
    const api = new KubeApi('c', kubeconfigTransport(kc), {
      ...DEFAULT_KUBE_API_OPTIONS,
      timeoutMs: 300,
      retry: { ...DEFAULT_KUBE_API_OPTIONS.retry, attempts: 2 },
      sleep: async () => {},
      random: () => 0,
      onRetry: (info) => retries.push(info.attempt),
    });
    const error = await api.get('/api/v1/namespaces/default/configmaps/x').then(
      () => null,
      (e: unknown) => e,
    );
    api.close();
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).code).toBe('KUBE_UNREACHABLE');
    expect((error as KubeApiError).transient).toBe(true);
    expect((error as KubeApiError).message).toMatch(/ETIMEDOUT/);
    expect(retries).toEqual([1]);
    expect(api.reads).toBe(2);
  });

  it('a quick answer well inside the deadline is returned as JSON', async () => {
    const transport = kubeconfigTransport(kc);
    const res = await transport.send({ method: 'GET', path: '/quick', timeoutMs: 400 });
    transport.close();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'Status', status: 'Success' });
  });
});

describe('transport: plain http servers, as kubectl treats them', () => {
  it('http without insecure-skip-tls-verify is reached (kubectl proxy), and no credentials are sent in the clear', async () => {
    const { startFleetApiServers } = await import('../helpers/kube.js');
    const fleet = await startFleetApiServers(['proxy'], { token: null });
    try {
      const s = fleet.servers.get('proxy')!;
      const plain = new KubeConfig();
      plain.loadFromOptions({
        clusters: [{ name: 'proxy', server: s.url }],
        users: [{ name: 'u', token: 'a-secret-token' }],
        contexts: [{ name: 'proxy', cluster: 'proxy', user: 'u' }],
        currentContext: 'proxy',
      });
      const api = new KubeApi('proxy', kubeconfigTransport(plain), DEFAULT_KUBE_API_OPTIONS);
      try {
        expect(await api.readyz(2000)).toMatchObject({ ok: true });
        const list = await api.list('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap' });
        expect(Array.isArray(list)).toBe(true);
      } finally {
        api.close();
      }
      expect(s.requests.length).toBeGreaterThan(0);
      expect(s.requests.every((r) => !r.credentials)).toBe(true);
    } finally {
      await fleet.close();
    }
  });
});
