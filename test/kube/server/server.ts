// The HTTP side of the test API server (a test double of kube-apiserver, not a real one): loopback
// HTTP, bearer-token authentication, health endpoints, a request log, latency and fault injection,
// and going down / coming back on the same port. REST semantics live in api.ts.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { KubeApi } from './api.js';
import { FaultList, type KubeFault } from './faults.js';
import { forbiddenWrite, impersonationOf, type ImpersonatedIdentity, type ImpersonationPolicy } from './impersonation.js';
import { ApiError, reasonForCode } from './status.js';
import { selfSignedCertificate } from './tls.js';
import type { KubeObject } from './types.js';

/** One request the server received. */
export interface KubeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  /** The HTTP status answered; 0 when the connection was dropped or the request hangs. */
  status: number;
  /** ?fieldManager= of the request, if any. */
  manager?: string;
  dryRun: boolean;
  /** The injected fault that answered it, if any. */
  fault?: KubeFault['action'];
  /** Whether the request carried credentials (an Authorization header). */
  credentials: boolean;
  /** The Impersonate-User and Impersonate-Group headers, when the request had them. */
  impersonate?: ImpersonatedIdentity;
}

/** Options of one test API server. */
export interface TestApiServerOptions {
  /** The cluster's name (for messages); default "test". */
  name?: string;
  /** Bearer token the server requires; null for no authentication. Default "token-<name>". */
  token?: string | null;
  /** Workloads report a finished rollout whenever written (default false). */
  autoReady?: boolean;
  /** Creating in a missing namespace is 404 (default true, as on a real server). */
  requireNamespace?: boolean;
  /**
   * Serve https with a throwaway self-signed certificate (default: plain http). kubectl needs it
   * to send the bearer token: client-go drops credentials for http servers.
   */
  tls?: boolean;
  /** A deleted Namespace stays Terminating this long before it and its objects go (default 100; 0 = at once). */
  namespaceDeletionDelayMs?: number;
  /** Fixed port (default: a free one). */
  port?: number;
  /** Reported by /version (default 1.32). */
  version?: { major: string; minor: string };
  /** Clock (default: the real one). */
  now?: () => Date;
  /** Plays the cluster's RBAC for impersonated writes (impersonation.ts); default: none, every write allowed. */
  impersonation?: ImpersonationPolicy;
}

/** Capacity of a seeded node. */
export interface NodeSeed {
  cpu: string;
  memory: string;
  pods?: string;
  labels?: Record<string, string>;
  ready?: boolean;
}

/** Requests of a seeded pod (one container). */
export interface PodSeed {
  nodeName?: string;
  requests?: { cpu?: string; memory?: string };
  phase?: string;
  labels?: Record<string, string>;
}

/** A running test API server. */
export interface TestApiServer {
  readonly name: string;
  /** http://127.0.0.1:PORT (https:// with `tls: true`) */
  readonly url: string;
  readonly port: number;
  readonly token: string | null;
  /** Every request received, in order. */
  readonly requests: KubeRequestRecord[];
  /** Requests that write (POST, PUT, PATCH, DELETE), dry runs included (see `dryRun`). */
  writeRequests(): KubeRequestRecord[];
  clearRequests(): void;
  /** The REST layer, for direct inspection. */
  readonly api: KubeApi;
  /** Creates or replaces an object directly (no faults, no auth, not logged); status given is kept. */
  putObject(obj: KubeObject, manager?: string): KubeObject;
  getObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  listObjects(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  deleteObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean;
  /** Adds a Node with allocatable (and capacity) cpu/memory/pods, Ready unless `ready: false`. */
  seedNode(name: string, seed: NodeSeed): KubeObject;
  /** Adds a Running Pod with one container requesting cpu/memory. */
  seedPod(namespace: string, name: string, seed: PodSeed): KubeObject;
  setAutoReady(on: boolean): void;
  /** Replaces the impersonation policy (null: every write allowed again). */
  setImpersonationPolicy(policy: ImpersonationPolicy | null): void;
  /** Delay every answer by this many milliseconds. */
  setLatency(ms: number): void;
  addFault(fault: KubeFault): void;
  /** The next `times` matching requests are answered with `status`. */
  failNext(times: number, status: number, match?: { method?: string; path?: RegExp }): void;
  /** The next `times` matching requests get 429 TooManyRequests with Retry-After. */
  throttleNext(times: number, retryAfterSeconds: number, match?: { method?: string; path?: RegExp }): void;
  clearFaults(): void;
  /** Stops listening and cuts open connections: clients get ECONNREFUSED until comeBack(). */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  readonly isDown: boolean;
  close(): Promise<void>;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Starts a test API server on 127.0.0.1. */
export async function startTestApiServer(options: TestApiServerOptions = {}): Promise<TestApiServer> {
  const name = options.name ?? 'test';
  const token = options.token === undefined ? `token-${name}` : options.token;
  const requests: KubeRequestRecord[] = [];
  const faults = new FaultList();
  const sockets = new Set<Socket>();
  let latencyMs = 0;
  let impersonationPolicy = options.impersonation ?? null;
  let port = options.port ?? 0;
  let down = false;
  const api = new KubeApi({
    autoReady: options.autoReady ?? false,
    requireNamespace: options.requireNamespace ?? true,
    namespaceDeletionDelayMs: options.namespaceDeletionDelayMs ?? 100,
    version: options.version ?? { major: '1', minor: '32' },
    serverAddress: () => `127.0.0.1:${port}`,
    now: options.now ?? (() => new Date()),
  });

  /** Answers a trickle fault slows down, and the timers sending them (cleared when the server stops). */
  const trickleOf = new WeakMap<http.ServerResponse, KubeFault>();
  const timers = new Set<NodeJS.Timeout>();
  const send = (
    res: http.ServerResponse,
    record: KubeRequestRecord,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    record.status = status;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
    const trickle = trickleOf.get(res);
    if (trickle) trickleBody(res, Buffer.from(text), trickle, timers);
    else res.end(text);
  };
  const sendError = (res: http.ServerResponse, record: KubeRequestRecord, error: ApiError): void => {
    const retry = error.details?.retryAfterSeconds;
    send(res, record, error.code, error.toStatus(), retry !== undefined ? { 'Retry-After': String(retry) } : {});
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const record: KubeRequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'] ?? '',
      status: 0,
      ...(url.searchParams.get('fieldManager') ? { manager: url.searchParams.get('fieldManager')! } : {}),
      dryRun: url.searchParams.get('dryRun') === 'All',
      credentials: req.headers.authorization !== undefined,
    };
    const impersonate = impersonationOf(req);
    if (impersonate) record.impersonate = impersonate;
    requests.push(record);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const fault = faults.take(method, url.pathname);
    if (fault) record.fault = fault.action;
    if (fault?.action === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.action === 'hang') return; // the socket stays open until the client or goDown() ends it
    if (fault?.action === 'trickle')
      trickleOf.set(res, fault); // served as usual, answered slowly
    else if (fault) {
      const status = fault.status ?? 500;
      const details = fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {};
      sendError(
        res,
        record,
        new ApiError(status, reasonForCode(status), fault.message ?? `injected fault: ${status} ${reasonForCode(status)}`, details),
      );
      return;
    }
    const auth = req.headers.authorization;
    if (token !== null && auth !== `Bearer ${token}` && (auth !== undefined || !PUBLIC_PATHS.has(url.pathname))) {
      sendError(res, record, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(url.pathname)) {
      send(res, record, 200, 'ok');
      return;
    }
    const forbidden = forbiddenWrite(impersonationPolicy, impersonate, method, url.pathname);
    if (forbidden) {
      sendError(res, record, forbidden);
      return;
    }
    const request = {
      method,
      path: url.pathname,
      query: url.searchParams,
      contentType: record.contentType,
      accept: req.headers.accept ?? '',
      body: Buffer.concat(chunks).toString('utf8'),
      userAgent: req.headers['user-agent'] ?? '',
    };
    try {
      if (KubeApi.isWatch(method, url.searchParams)) {
        const start = api.openWatch(request);
        record.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const stop = start((event) => res.write(JSON.stringify(event) + '\n'));
        const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
        const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
        res.on('close', () => {
          stop();
          if (timer) clearTimeout(timer);
        });
        return;
      }
      const answer = api.handle(request);
      send(res, record, answer.status, answer.body);
    } catch (error) {
      if (error instanceof ApiError) sendError(res, record, error);
      else
        sendError(res, record, new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).stack ?? String(error)}`));
    }
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    serve(req, res).catch(() => req.socket.destroy());
  };
  const server = options.tls ? https.createServer(selfSignedCertificate(), handler) : http.createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      timers.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen();

  const match = (m?: { method?: string; path?: RegExp }) => ({
    ...(m?.method ? { method: m.method } : {}),
    ...(m?.path ? { path: m.path } : {}),
  });

  return {
    name,
    get url() {
      return `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    token,
    requests,
    writeRequests: () => requests.filter((r) => WRITE_METHODS.has(r.method)),
    clearRequests: () => {
      requests.length = 0;
    },
    api,
    putObject: (obj, manager = 'test-setup') => api.write(obj, manager),
    getObject: (apiVersion, kind, namespace, objName) => api.read(apiVersion, kind, namespace, objName),
    listObjects: (apiVersion, kind, namespace) => api.readAll(apiVersion, kind, namespace),
    deleteObject: (apiVersion, kind, namespace, objName) => api.remove(apiVersion, kind, namespace, objName),
    seedNode: (nodeName, seed) => {
      const resources = { cpu: seed.cpu, memory: seed.memory, pods: seed.pods ?? '110' };
      return api.write(
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, ...(seed.labels ?? {}) } },
          spec: {},
          status: {
            capacity: resources,
            allocatable: resources,
            conditions: [{ type: 'Ready', status: seed.ready === false ? 'False' : 'True', reason: 'KubeletReady' }],
          },
        },
        'test-setup',
      );
    },
    seedPod: (namespace, podName, seed) => {
      const requestsOf = Object.fromEntries(Object.entries(seed.requests ?? {}).filter(([, v]) => v !== undefined));
      return api.write(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: podName, namespace, ...(seed.labels ? { labels: seed.labels } : {}) },
          spec: {
            ...(seed.nodeName ? { nodeName: seed.nodeName } : {}),
            containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: requestsOf } }],
          },
          status: { phase: seed.phase ?? 'Running' },
        },
        'test-setup',
      );
    },
    setAutoReady: (on) => {
      api.options.autoReady = on;
    },
    setImpersonationPolicy: (policy) => {
      impersonationPolicy = policy;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    addFault: (fault) => faults.add(fault),
    failNext: (times, status, m) => faults.add({ action: 'status', status, times, ...match(m) }),
    throttleNext: (times, retryAfterSeconds, m) =>
      faults.add({
        action: 'status',
        status: 429,
        retryAfterSeconds,
        message: 'Too many requests, please try again later.',
        times,
        ...match(m),
      }),
    clearFaults: () => faults.clear(),
    goDown: async () => {
      if (down) return;
      down = true;
      await stop();
      // Let in-process clients see their pooled keep-alive sockets close, so their next request
      // is refused (ECONNREFUSED) rather than written into a dying socket (ECONNRESET).
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
    comeBack: async () => {
      if (!down) return;
      await listen();
      down = false;
    },
    get isDown() {
      return down;
    },
    close: async () => {
      api.dispose();
      if (down) return;
      down = true;
      await stop();
    },
  };
}

/** Writes `body` `bytesPerChunk` bytes every `intervalMs`, then ends the answer (or stops when the client went away). */
function trickleBody(res: http.ServerResponse, body: Buffer, fault: KubeFault, timers: Set<NodeJS.Timeout>): void {
  const size = Math.max(1, fault.bytesPerChunk ?? 16);
  let offset = 0;
  const timer = setInterval(() => {
    if (res.destroyed || offset >= body.length) {
      clearInterval(timer);
      timers.delete(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(offset, offset + size));
    offset += size;
  }, fault.intervalMs ?? 50);
  timers.add(timer);
}
