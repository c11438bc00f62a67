// The few API calls flotilla makes on a cluster — get, list by label, server-side apply, a merge
// patch (releasing an object), delete, /readyz, discovery documents — each with retries of
// transient failures (retry.ts) and errors by what the user must do (errors.ts). Counts reads
// and writes, so a no-op resync can prove it wrote nothing.
import { isMap } from '../objects/json.js';
import { errorFromResponse, KubeApiError, unreachableError } from './errors.js';
import { DEFAULT_KUBE_RETRY, withKubeRetry, type KubeRetryPolicy } from './retry.js';
import type { KubeHttpRequest, KubeHttpResponse, KubeTransport } from './transport.js';

export type KubeObject = Record<string, unknown>;

export interface KubeApiOptions {
  /** Per-request timeout. */
  timeoutMs: number;
  retry: KubeRetryPolicy;
  sleep(ms: number): Promise<void>;
  random(): number;
  now(): number;
  onRetry?(info: { cluster: string; method: string; path: string; attempt: number; delayMs: number; error: KubeApiError }): void;
}

export const DEFAULT_KUBE_API_OPTIONS: KubeApiOptions = {
  timeoutMs: 10_000,
  retry: DEFAULT_KUBE_RETRY,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  random: Math.random,
  now: Date.now,
};

export interface ApplyOptions {
  fieldManager: string;
  force: boolean;
  dryRun: boolean;
}

/** Media type of a server-side apply request (the body is JSON, which is valid YAML). */
export const APPLY_PATCH_CONTENT_TYPE = 'application/apply-patch+yaml';
export const MERGE_PATCH_CONTENT_TYPE = 'application/merge-patch+json';

export class KubeApi {
  /** Requests sent that change state (apply, delete), dry runs included, retries included. */
  writes = 0;
  reads = 0;

  constructor(
    readonly cluster: string,
    private readonly transport: KubeTransport,
    private readonly options: KubeApiOptions = DEFAULT_KUBE_API_OPTIONS,
  ) {}

  get server(): string {
    return this.transport.server;
  }

  private async call(
    req: Omit<KubeHttpRequest, 'timeoutMs'>,
    opts: { timeoutMs?: number; allow404?: boolean; retry?: KubeRetryPolicy } = {},
  ): Promise<KubeHttpResponse> {
    const o = this.options;
    return withKubeRetry(
      async () => {
        if (req.method === 'GET') this.reads++;
        else this.writes++;
        let res: KubeHttpResponse;
        try {
          res = await this.transport.send({ ...req, timeoutMs: opts.timeoutMs ?? o.timeoutMs });
        } catch (e) {
          throw unreachableError({ method: req.method, path: req.path, server: this.transport.server }, e);
        }
        if (res.status >= 200 && res.status < 300) return res;
        if (res.status === 404 && opts.allow404) return res;
        throw errorFromResponse(req, res.status, res.body, res.headers, o.now());
      },
      opts.retry ?? o.retry,
      {
        sleep: o.sleep,
        random: o.random,
        onRetry: (attempt, error, delayMs) =>
          o.onRetry?.({ cluster: this.cluster, method: req.method, path: req.path, attempt, delayMs, error }),
      },
    );
  }

  /** The object at `path`, or null when it does not exist. */
  async get(path: string): Promise<KubeObject | null> {
    const res = await this.call({ method: 'GET', path }, { allow404: true });
    return res.status === 404 ? null : asObject(res.body, path);
  }

  /** A discovery document or any JSON at `path`; null on 404. */
  async getJson(path: string): Promise<unknown> {
    const res = await this.call({ method: 'GET', path }, { allow404: true });
    return res.status === 404 ? null : res.body;
  }

  /** Every item of a collection (following `continue`), with apiVersion and kind filled in. */
  async list(path: string, opts: { labelSelector?: string; apiVersion: string; kind: string }): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { limit: '500' };
      if (opts.labelSelector) query.labelSelector = opts.labelSelector;
      if (token) query.continue = token;
      const res = await this.call({ method: 'GET', path, query });
      const body = asObject(res.body, path);
      for (const item of Array.isArray(body.items) ? body.items : []) {
        if (item && typeof item === 'object') out.push({ apiVersion: opts.apiVersion, kind: opts.kind, ...(item as KubeObject) });
      }
      const meta = (body.metadata ?? {}) as { continue?: unknown };
      token = typeof meta.continue === 'string' && meta.continue ? meta.continue : undefined;
    } while (token);
    return out;
  }

  /** Server-side apply of `object` at its item path; returns the object as the server now has it. */
  async apply(path: string, object: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    const query: Record<string, string> = { fieldManager: opts.fieldManager };
    if (opts.force) query.force = 'true';
    if (opts.dryRun) query.dryRun = 'All';
    const res = await this.call({ method: 'PATCH', path, query, body: JSON.stringify(object), contentType: APPLY_PATCH_CONTENT_TYPE });
    return asObject(res.body, path);
  }

  /**
   * A JSON merge patch of the object at `path` (a non-apply write: how a client rewrites
   * metadata.managedFields); returns the object as the server now has it.
   */
  async mergePatch(path: string, patch: KubeObject, opts: { fieldManager: string; dryRun: boolean }): Promise<KubeObject> {
    const query: Record<string, string> = { fieldManager: opts.fieldManager };
    if (opts.dryRun) query.dryRun = 'All';
    const res = await this.call({ method: 'PATCH', path, query, body: JSON.stringify(patch), contentType: MERGE_PATCH_CONTENT_TYPE });
    return asObject(res.body, path);
  }

  /** Deletes the object at `path` (background propagation); false when it was already gone. */
  async delete(path: string, opts: { dryRun: boolean }): Promise<boolean> {
    const query: Record<string, string> = { propagationPolicy: 'Background' };
    if (opts.dryRun) query.dryRun = 'All';
    const res = await this.call({ method: 'DELETE', path, query }, { allow404: true });
    return res.status !== 404;
  }

  /** Whether the API server says it is ready; one attempt, no retries (the caller decides over time). */
  async readyz(timeoutMs: number): Promise<{ ok: boolean; error: string | null }> {
    try {
      await this.call({ method: 'GET', path: '/readyz' }, { timeoutMs, retry: { ...this.options.retry, attempts: 1 } });
      return { ok: true, error: null };
    } catch (e) {
      return { ok: false, error: e instanceof KubeApiError ? e.message : String(e) };
    }
  }

  close(): void {
    this.transport.close();
  }
}

function asObject(body: unknown, path: string): KubeObject {
  if (isMap(body)) return body as KubeObject;
  throw new KubeApiError('KUBE_API', `${path}: the server did not answer with a JSON object`, null, null);
}
