// The read-only dashboard of `flotilla reconcile` as a service, on a listener of its own (loopback
// unless `server.dashboard.listen` says otherwise) under a configurable path: the page shell, a
// JSON API the page draws (fleet, workload, history) and server-sent events telling open pages
// that a pass completed. GET and HEAD only: there is no write path. With a bearer token the API
// and the events require it; the shell holds no fleet data, so it is served without, and asks for
// the token. The data comes from the reconciler's own last render and status through the view
// builders of src/view/, the same results `explain`, `plan` and `status` print.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Logger } from 'pino';
import type { UnhealthyObject } from '../reconcile/context.js';
import { previousOfRender } from '../reconcile/stages/render.js';
import type { PreviousPlacement } from '../model/types.js';
import type { RenderResult } from '../render/render-fleet.js';
import type { ReconcileStatus } from '../state/document.js';
import { MAX_HISTORY, type HistoryEntry } from '../state/history.js';
import { fleetData } from '../view/data.js';
import { contentSecurityPolicy, dashboardHtml } from '../view/page.js';
import { findRow, workloadView } from '../view/workload.js';
import { listenOn } from './http.js';

/** What the dashboard shows, read at each request (the reconciler's state after its last pass). */
export interface DashboardSource {
  render(): RenderResult | null;
  /** The previous placements render() was given (default: as the reconciler's render stage recorded them). */
  previous?(): ReadonlyMap<string, PreviousPlacement> | undefined;
  status(): ReconcileStatus | null;
  /** The last pass's objects that are not Healthy (live clusters only). */
  unhealthy(): readonly UnhealthyObject[];
  history(limit: number): Promise<HistoryEntry[]>;
}

export interface DashboardOptions {
  listen: { host: string; port: number };
  /** With a leading and a trailing slash. */
  path: string;
  /** null: no token required. */
  token: string | null;
  source: DashboardSource;
  log: Logger;
  /** How often an open event stream gets a comment line, so proxies keep it open (default 25 s). */
  heartbeatMs?: number;
}

export interface RunningDashboard {
  url: string;
  port: number;
  /** Tells every open page that a pass completed (they reload what they show). */
  notify(pass: { revision: string | null; phase: string; reason: string | null }): void;
  close(): Promise<void>;
}

/** Open event streams at most: each holds a socket. */
const MAX_STREAMS = 100;

const PAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

/** Compares in constant time (both sides hashed to the same length first). */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function authorized(req: http.IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m !== null && sameToken(m[1]!.trim(), token);
}

function send(res: http.ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, ...PAGE_HEADERS, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json');
}

/** Starts the dashboard; resolves once it listens. */
export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const streams = new Set<http.ServerResponse>();
  const html = dashboardHtml(opts.path, opts.token !== null);
  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      opts.log.error({ err: e }, 'dashboard handler failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'read-only: GET and HEAD only\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === opts.path.slice(0, -1) && opts.path !== '/') return send(res, 308, '', 'text/plain', { Location: opts.path });
    if (!url.pathname.startsWith(opts.path)) return json(res, 404, { error: 'not found' });
    const rest = url.pathname.slice(opts.path.length);
    if (rest === '')
      return send(res, 200, html, 'text/html; charset=utf-8', { 'Content-Security-Policy': contentSecurityPolicy('dashboard') });
    if (!rest.startsWith('api/')) return json(res, 404, { error: 'not found' });
    if (!authorized(req, opts.token)) return json(res, 401, { error: 'a bearer token is required' });
    return api(rest.slice('api/'.length), url, res);
  }

  async function api(name: string, url: URL, res: http.ServerResponse): Promise<void> {
    const { source } = opts;
    if (name === 'fleet') return json(res, 200, fleetData(source.render(), source.status(), source.unhealthy()));
    if (name === 'workload') {
      const render = source.render();
      const ref = url.searchParams.get('ref') ?? '';
      const p = render ? findRow(render, ref) : null;
      if (!render || !p) return json(res, 404, { error: `no resource ${ref} in the last render` });
      // Verdicts and steps are computed for this one resource, with the previous result its render was given.
      return json(res, 200, workloadView(render, p, source.unhealthy(), source.previous?.() ?? previousOfRender(render)));
    }
    if (name === 'history') return json(res, 200, { entries: await source.history(MAX_HISTORY) });
    if (name === 'events') return res.req.method === 'HEAD' ? send(res, 200, '', 'text/event-stream') : openStream(res);
    return json(res, 404, { error: 'not found' });
  }

  function openStream(res: http.ServerResponse): void {
    if (streams.size >= MAX_STREAMS) return json(res, 503, { error: 'too many open dashboards' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', ...PAGE_HEADERS, Connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(': keep-alive\n\n');
  }, opts.heartbeatMs ?? 25_000);
  heartbeat.unref();

  const { port, host } = await listenOn(server, opts.listen);
  opts.log.info({ host: opts.listen.host, port, path: opts.path, token: opts.token !== null }, 'dashboard listening (read-only)');
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${opts.path}`,
    port,
    notify(pass) {
      const line = `event: pass\ndata: ${JSON.stringify(pass)}\n\n`;
      for (const s of streams) s.write(line);
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
