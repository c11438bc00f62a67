// The HTTP side of `flotilla reconcile` running as a service: /healthz (the process answers),
// /readyz (ready once a fetch has succeeded, and no longer while shutting down, so the Service
// stops routing webhooks to a replica that is leaving), /metrics (Prometheus text), and
// /hooks/git (push webhooks → an immediate reconcile of the source branch). Node's http server,
// no framework: four routes do not need one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ReconcileOutcome } from '../reconcile/reconciler.js';
import type { FlotillaMetrics } from './metrics.js';
import { DeliveryLog, deliveryKeys, parseEvent, providerOf, RateLimiter, verifyRequest, type WebhookSettings } from './webhook.js';

/** Whether the replica is ready: a fetch has succeeded and it is not shutting down. */
export class Readiness {
  private fetched = false;
  private stopping = false;

  /** Takes a pass's outcome into account (pass it as the loop's onOutcome). */
  observe(outcome: Pick<ReconcileOutcome, 'revision' | 'stage'>): void {
    if (outcome.revision !== null && outcome.stage !== 'fetch') this.fetched = true;
  }

  shutdown(): void {
    this.stopping = true;
  }

  get ready(): boolean {
    return this.fetched && !this.stopping;
  }

  get reason(): string {
    return this.stopping ? 'shutting down' : this.fetched ? 'ok' : 'waiting for the first successful fetch';
  }
}

export interface ServerOptions {
  /** Address to listen on (port 0: a free one). */
  listen: { host: string; port: number };
  /** What a verified push triggers (ReconcileLoop.trigger). */
  trigger(): Promise<unknown>;
  readiness: Readiness;
  metrics: FlotillaMetrics;
  /** null: /hooks/git answers 404. */
  webhook: WebhookSettings | null;
  log: Logger;
  now?: () => number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const gate = opts.webhook ? webhookGate(opts.webhook, opts.now) : null;
  const server = http.createServer((req, res) => {
    route(req, res, opts, gate).catch((e: unknown) => {
      log.error({ err: e }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const { port, host } = await listenOn(server, opts.listen);
  log.info(
    { port, host: opts.listen.host, webhook: opts.webhook !== null },
    'http server listening (/healthz, /readyz, /metrics' + (opts.webhook ? ', /hooks/git)' : ')'),
  );
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The webhook's settings and the rate limits that guard it. */
interface WebhookGate {
  settings: WebhookSettings;
  /** The one bucket verified pushes share. */
  verified: RateLimiter;
  /** A bucket per remote address for requests that fail verification. */
  unverified: AddressLimiters;
  /** Verified deliveries already handled: a replay is answered without a trigger or a token. */
  deliveries: DeliveryLog;
}

/**
 * Verified pushes share one bucket; requests that fail verification are limited per remote
 * address in buckets of their own, charged only after the check, so a flood of unsigned
 * requests can never spend the tokens a genuine push needs. Nothing is refused before the
 * check: behind an ingress every request has the same remote address, the genuine one too.
 */
function webhookGate(settings: WebhookSettings, now: (() => number) | undefined): WebhookGate {
  return {
    settings,
    verified: new RateLimiter(settings.rateLimit, now),
    unverified: new AddressLimiters(settings.rateLimit, now ?? Date.now),
    deliveries: new DeliveryLog(settings.replayWindow, now),
  };
}

function reply(
  res: http.ServerResponse,
  status: number,
  body: string | Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends a request to its route: the probes, the metrics, the webhook (when configured), else 404. */
async function route(req: http.IncomingMessage, res: http.ServerResponse, opts: ServerOptions, gate: WebhookGate | null): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz' || path === '/livez') return reply(res, 200, 'ok');
  if (path === '/readyz') return opts.readiness.ready ? reply(res, 200, 'ok') : reply(res, 503, opts.readiness.reason);
  if (path === '/metrics') return reply(res, 200, await opts.metrics.text(), { 'Content-Type': opts.metrics.contentType });
  if (path === '/hooks/git' && gate) return pushWebhook(req, res, gate, opts);
  req.resume();
  return reply(res, 404, { error: 'not found' });
}

/** /hooks/git: verifies, drops replays, rate-limits and parses a push event; a push to the source branch triggers a reconcile. */
async function pushWebhook(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  gate: WebhookGate,
  opts: Pick<ServerOptions, 'trigger' | 'metrics' | 'log'>,
): Promise<void> {
  const { settings } = gate;
  const { log } = opts;
  const provider = providerOf(req.headers);
  const count = (result: string) => opts.metrics.recordWebhook(provider, result);
  if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' }, { Allow: 'POST' });
  const body = await readBody(req, res, settings.maxBodyBytes, count);
  if (body === null) return;
  const verified = verifyRequest(provider, req.headers, body, settings.secret);
  if (!verified.ok) {
    count('unauthorized');
    const remote = req.socket.remoteAddress ?? 'unknown';
    const backoff = gate.unverified.take(remote);
    // Past its bucket an address gets 429 and no log line each: a flood must not flood the logs.
    if (backoff > 0) return reply(res, 429, { error: 'too many unauthorized webhook requests' }, { 'Retry-After': String(backoff) });
    log.warn({ provider, reason: verified.reason, remote }, 'webhook refused');
    return reply(res, 401, { error: 'unauthorized' });
  }
  // A replay is checked before the bucket, so replays never spend the tokens genuine pushes need;
  // a delivery is remembered only once it got a token, so one refused with 429 may be sent again.
  const delivery = deliveryKeys(provider, req.headers, body, verified.signedBody);
  if (gate.deliveries.has(delivery)) {
    count('duplicate');
    return reply(res, 200, { status: 'ignored', reason: 'duplicate delivery, ignored' });
  }
  const wait = gate.verified.take();
  if (wait > 0) {
    count('rate_limited');
    return reply(res, 429, { error: 'too many webhook requests' }, { 'Retry-After': String(wait) });
  }
  gate.deliveries.remember(delivery);
  let event;
  try {
    event = parseEvent(provider, req.headers, body);
  } catch (e) {
    count('bad_request');
    return reply(res, 400, { error: (e as Error).message });
  }
  if (event.kind === 'ping') {
    count('ignored');
    return reply(res, 200, { status: 'pong' });
  }
  if (event.kind === 'other') {
    count('ignored');
    return reply(res, 202, { status: 'ignored', reason: `event ${event.event} is not a push` });
  }
  if (event.branch !== settings.branch) {
    count('ignored');
    return reply(res, 202, {
      status: 'ignored',
      reason: `push to ${event.ref ?? event.branch ?? '(no ref)'}, not to ${settings.branch}`,
    });
  }
  count('accepted');
  log.info({ provider, branch: event.branch }, 'push webhook: reconciling now');
  opts.trigger().catch((e: unknown) => log.error({ err: e }, 'reconcile after webhook threw'));
  return reply(res, 202, { status: 'accepted', branch: event.branch });
}

/** The request's body, or null when it is over `maxBodyBytes` (declared or sent), after answering 413. */
async function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  maxBodyBytes: number,
  count: (result: string) => void,
): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    count('too_large');
    req.resume();
    reply(res, 413, { error: `payload over ${maxBodyBytes} bytes` }, { Connection: 'close' });
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      count('too_large');
      reply(res, 413, { error: `payload over ${maxBodyBytes} bytes` }, { Connection: 'close' });
      req.destroy();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * One token bucket per remote address, for requests that failed verification. Bounded: an
 * address idle long enough for its bucket to refill is forgotten (a new bucket is the same), and
 * past MAX_ADDRESSES the least recently seen go first, so spoofed-looking address churn cannot
 * grow memory without end.
 */
class AddressLimiters {
  private static readonly MAX_ADDRESSES = 4096;
  private readonly buckets = new Map<string, { limiter: RateLimiter; seen: number }>();

  constructor(
    private readonly limit: { burst: number; perSecond: number },
    private readonly now: () => number,
  ) {}

  /** Takes a token for `address`; 0 when allowed, else the seconds to wait. */
  take(address: string): number {
    const now = this.now();
    let entry = this.buckets.get(address);
    if (entry)
      this.buckets.delete(address); // re-inserted below: Map order is least recently seen first
    else {
      this.forgetIdle(now);
      entry = { limiter: new RateLimiter(this.limit, this.now), seen: now };
    }
    entry.seen = now;
    this.buckets.set(address, entry);
    return entry.limiter.take();
  }

  private forgetIdle(now: number): void {
    if (this.buckets.size < AddressLimiters.MAX_ADDRESSES) return;
    const refillMs = (this.limit.burst / this.limit.perSecond) * 1000;
    for (const [address, { seen }] of this.buckets) if (now - seen >= refillMs) this.buckets.delete(address);
    for (const address of this.buckets.keys()) {
      if (this.buckets.size < AddressLimiters.MAX_ADDRESSES) break;
      this.buckets.delete(address);
    }
  }
}

/** Starts listening; resolves with the bound port and the host as it goes in a URL (IPv6 in brackets). */
export async function listenOn(server: http.Server, listen: { host: string; port: number }): Promise<{ port: number; host: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { port, host: listen.host.includes(':') ? `[${listen.host}]` : listen.host };
}
