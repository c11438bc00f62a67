// A git smart-HTTP server for tests: Node's http server in front of `git http-backend` (CGI), as
// in docs/design/libraries.md §1. Pushes land in the served bare repositories (unlike git-http-mock-server,
// which writes to a temporary copy). Optional Basic auth, a log of requests, and fault injection
// (an error status, a delay, or no answer at all) for the reconciler's retry and timeout tests.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gitEnv } from './git.js';

/** What the server does instead of (or before) serving a request. */
export interface GitHttpFault {
  /** Answer with this status and an empty body instead of serving (e.g. 503). */
  status?: number;
  /** Wait this long before answering (served, or with `status`). */
  delayMs?: number;
  /** Never answer; the connection stays open until the client gives up or the server closes. */
  hang?: boolean;
  /** Only requests whose path contains this (e.g. 'git-receive-pack' to fail pushes only). */
  match?: string;
  /** Only the next N matching requests; after them the fault clears itself. */
  times?: number;
}

/** One request the server saw; status 0 means it was not (yet) answered. */
export interface GitHttpRequest {
  method: string;
  path: string;
  status: number;
}

export interface GitHttpServer {
  /** http://127.0.0.1:PORT; repositories are at `${url}/<path under root>`. */
  url: string;
  requests: GitHttpRequest[];
  setFault(fault: GitHttpFault | null): void;
  close(): Promise<void>;
}

/** Serves every repository under `root` over smart HTTP on 127.0.0.1 (a free port). */
export async function startGitHttpServer(
  root: string,
  opts: { user?: string; password?: string; fault?: GitHttpFault | null } = {},
): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];
  const children = new Set<ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();
  let fault: GitHttpFault | null = opts.fault ?? null;
  const expectedAuth = opts.user === undefined ? null : 'Basic ' + Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64');

  /** The fault that applies to this request, counting down `times`. */
  const takeFault = (requestPath: string): GitHttpFault | null => {
    if (!fault || (fault.match !== undefined && !requestPath.includes(fault.match))) return null;
    const current = fault;
    if (current.times !== undefined) {
      current.times -= 1;
      if (current.times <= 0) fault = null;
    }
    return current;
  };

  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const env = gitEnv({
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      // http-backend allows receive-pack (push) only for an authenticated REMOTE_USER.
      REMOTE_USER: opts.user ?? 'anonymous',
      REMOTE_ADDR: '127.0.0.1',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    });
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined); // the backend may exit before reading the whole body
    child.on('error', (err) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    req.pipe(child.stdin);

    // CGI output: headers (with an optional `Status:` line), a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = parseInt(value, 10);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => {
      if (!headersDone && !res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`git http-backend gave no response: ${stderr}`);
        return;
      }
      res.end();
    });
  };

  const server = http.createServer((req, res) => {
    const record: GitHttpRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));

    if (expectedAuth !== null && req.headers.authorization !== expectedAuth) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
    const active = takeFault(record.path);
    if (active?.hang) return; // keep the socket open, answer nothing
    const answer = () => {
      if (active?.status !== undefined) {
        req.resume();
        res.writeHead(active.status, { 'content-type': 'text/plain' });
        res.end(`injected fault: ${active.status}\n`);
      } else {
        serve(req, res);
      }
    };
    if (active?.delayMs) {
      req.pause();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, active.delayMs);
      timers.add(timer);
    } else {
      answer();
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(next) {
      fault = next ? { ...next } : null;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const child of children) child.kill();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung and keep-alive connections would otherwise hold close() open forever.
      server.closeAllConnections();
      await closed;
    },
  };
}
