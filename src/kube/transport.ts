// HTTP to one cluster's API server, with the kubeconfig used only for where to connect and how to
// authenticate (docs/design/libraries.md §2: client-node's generic object API drops unknown fields and CRD
// schema extensions, so flotilla sends its own requests and reads plain JSON back). This is the
// only module of src/kube that does network I/O; everything above it takes a KubeTransport, so tests
// can pass a fake one.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { identityFor, impersonationHeaders, scopeEntryFor, type Identity, type Impersonation } from '../config/scope.js';
import { FlotillaError } from '../model/diagnostics.js';
import { isMap } from '../objects/json.js';
import { overridingFiles, SOURCE_ANNOTATION } from '../objects/tracking.js';

export interface KubeHttpRequest {
  method: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT';
  /** Path below the server URL, e.g. /apis/apps/v1/namespaces/default/deployments/web. */
  path: string;
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
  timeoutMs: number;
}

export interface KubeHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the text when the answer is not JSON. */
  body: unknown;
}

/** Sends one request; throws only when no answer came (network error, timeout). */
export interface KubeTransport {
  /** The server URL, for messages. */
  readonly server: string;
  send(req: KubeHttpRequest): Promise<KubeHttpResponse>;
  /** Frees pooled connections. */
  close(): void;
}

/** How long authentication headers (which may come from an exec plugin with expiring tokens) are reused. */
const AUTH_REFRESH_MS = 60_000;

/**
 * The repository files a request's body was rendered from: its flotilla.dev/source-path (null: none),
 * and the files of the override policies that changed it (flotilla.dev/overridden-by).
 */
function filesOfBody(body: string): { source: string | null; overriddenBy: string[] } {
  let object: unknown;
  try {
    object = JSON.parse(body);
  } catch {
    return { source: null, overriddenBy: [] };
  }
  const meta = isMap(object) && isMap(object.metadata) ? object.metadata : null;
  const file = meta && isMap(meta.annotations) ? meta.annotations[SOURCE_ANNOTATION] : undefined;
  // Namespaces flotilla adds for its objects ("(generated)") belong to no path.
  return { source: typeof file === 'string' && file !== '(generated)' ? file : null, overriddenBy: overridingFiles(object) };
}

/**
 * Who a request acts as (docs/guide/live-clusters.md "Impersonation"): a write carrying an object
 * rendered from a scope path with its own identity is sent as that identity; every other request
 * (reads, discovery, probes, deletes, and the objects of other paths) as the target's. An object
 * whose own path has no identity of its own, changed by override policies, is written as the
 * identity of the last of their paths that has one: what a team's OverridePolicy makes of the
 * platform's object in the team's namespace is the team's change, and the member cluster's RBAC for
 * the team decides it. An object whose path has an identity is always written as it. Both
 * annotations are flotilla's own: the render sets them after overrides, so the repository cannot
 * choose another path's identity.
 */
export function requestIdentity(imp: Impersonation | null, req: Pick<KubeHttpRequest, 'method' | 'body'>): Identity | null {
  if (!imp) return null;
  if (req.body === undefined || req.method === 'GET' || req.method === 'DELETE' || imp.paths.every((p) => p.identity === null))
    return imp.identity;
  const { source, overriddenBy } = filesOfBody(req.body);
  // The object's own path's identity, when it has one: another path's override never lends its own
  // (a platform policy that labels a team's object must not write it as the platform's identity).
  const own = source === null ? -1 : scopeEntryFor(imp.paths, source);
  if (own < 0 || imp.paths[own]!.identity === null) {
    for (let i = overriddenBy.length - 1; i >= 0; i--) {
      const entry = scopeEntryFor(imp.paths, overriddenBy[i]!);
      const identity = entry < 0 ? null : imp.paths[entry]!.identity;
      if (identity !== null) return identity;
    }
  }
  return identityFor(imp, source);
}

/**
 * A transport for the current context of `kc`: TLS material and credentials from the kubeconfig
 * (client-node's applyToHTTPSOptions), one keep-alive connection pool per cluster. With
 * `impersonation`, every request carries the Impersonate-User (and -Group) headers of its identity,
 * so the member cluster's RBAC decides what flotilla may do.
 */
export function kubeconfigTransport(
  kc: KubeConfig,
  opts: { now?: () => number; impersonation?: Impersonation | null } = {},
): KubeTransport {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new FlotillaError('KUBECONFIG_INVALID', `kubeconfig context "${kc.getCurrentContext()}" names no cluster`);
  const server = cluster.server.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  let auth: { at: number; headers: Record<string, string>; agent: http.Agent } | null = null;
  let agent: http.Agent | null = null;

  // Plain http as kubectl does it (e.g. `kubectl proxy`): client-go sends no credentials to an
  // http server, and client-node would refuse the server outright unless insecure-skip-tls-verify
  // is set. With that flag the operator opted into sending them in the clear, as before.
  const plainHttp = server.startsWith('http:') && !cluster.skipTLSVerify && !cluster.proxyUrl;

  async function prepare(): Promise<{ headers: Record<string, string>; agent: http.Agent }> {
    if (auth && now() - auth.at < AUTH_REFRESH_MS) return auth;
    if (plainHttp) {
      agent ??= new http.Agent({ keepAlive: true, maxSockets: 16 });
      auth = { at: now(), headers: {}, agent };
      return auth;
    }
    const o: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
    if (o.auth) headers.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    if (!agent) {
      if (cluster!.proxyUrl)
        agent = o.agent as http.Agent; // the kubeconfig's proxy agent
      else if (server.startsWith('http:')) agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      else
        agent = new https.Agent({
          keepAlive: true,
          maxSockets: 16,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          pfx: o.pfx,
          passphrase: o.passphrase,
          servername: o.servername,
          ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
        });
    } else {
      (o.agent as http.Agent | undefined)?.destroy?.();
    }
    auth = { at: now(), headers, agent: agent! };
    return auth;
  }

  return {
    server,
    async send(req) {
      const { headers, agent: a } = await prepare();
      const url = new URL(server + req.path);
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
      const h: Record<string, string | string[]> = {
        ...headers,
        ...impersonationHeaders(requestIdentity(opts.impersonation ?? null, req)),
        Accept: 'application/json',
      };
      if (req.body !== undefined) {
        h['Content-Type'] = req.contentType ?? 'application/json';
        h['Content-Length'] = String(Buffer.byteLength(req.body));
      }
      return exchange(url, { method: req.method, headers: h, agent: a }, req.body, req.timeoutMs);
    },
    close() {
      agent?.destroy();
    },
  };
}

/** One HTTP exchange under a wall-clock deadline; resolves with the answer, rejects when none came. */
function exchange(url: URL, options: http.RequestOptions, payload: string | undefined, timeoutMs: number): Promise<KubeHttpResponse> {
  return new Promise<KubeHttpResponse>((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    // A wall-clock deadline over the whole exchange (connect, headers, body). A socket idle
    // timeout alone never fires for a server that trickles a byte now and then, and the
    // reconcile loop would wait on that cluster forever. ETIMEDOUT makes it a transient
    // "no answer" (errors.ts unreachableError), which the retry policy retries.
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn();
    };
    const deadline = setTimeout(() => {
      const err = Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      finish(() => reject(err));
      r.destroy(err);
    }, timeoutMs);
    const r = lib.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => finish(() => reject(e)));
      res.on('aborted', () =>
        finish(() => reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }))),
      );
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (text && /json/.test(String(res.headers['content-type'] ?? 'application/json'))) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
    });
    r.on('error', (e) => finish(() => reject(e)));
    r.end(payload);
  });
}
