// Errors of the Kubernetes API, sorted by what the user must do (docs/design/conventions.md 5): retry later (the
// cluster is down, overloaded or throttling: 5xx, 429, timeouts, dropped connections), fix
// something (422 invalid object, 409 conflict with another field manager, 403 forbidden), or
// nothing (404 handled by the caller). Callers branch on `code`, never on the message.
import { FlotillaError } from '../model/diagnostics.js';
import { isMap } from '../objects/json.js';

export type KubeErrorCode =
  /** No answer: connection refused/reset, DNS, timeout. Retry later. */
  | 'KUBE_UNREACHABLE'
  /** The server answered 5xx or 429 (throttled). Retry later, after Retry-After when given. */
  | 'KUBE_RETRY_LATER'
  /** 409: another field manager owns a field flotilla sets (or a resourceVersion race). */
  | 'KUBE_CONFLICT'
  /** 400/422: the object is invalid for this cluster. Fix the repository. */
  | 'KUBE_INVALID'
  /** 401/403: the kubeconfig's credentials are wrong or lack permissions. Fix the credentials. */
  | 'KUBE_FORBIDDEN'
  | 'KUBE_NOT_FOUND'
  /** The cluster does not serve this apiVersion/kind (CRD missing). */
  | 'KUBE_UNKNOWN_KIND'
  | 'KUBE_API';

/** A failed call to a cluster's API server. */
export class KubeApiError extends FlotillaError {
  constructor(
    code: KubeErrorCode,
    message: string,
    readonly status: number | null,
    /** The Status object's `reason` (e.g. Conflict, Invalid, TooManyRequests). */
    readonly reason: string | null,
    /** Milliseconds the server asked us to wait (Retry-After), when it did. */
    readonly retryAfterMs: number | null = null,
    data: Record<string, unknown> = {},
  ) {
    super(code, message, { status, reason, retryAfterMs, ...data });
    this.name = 'KubeApiError';
  }

  /** True for failures a later attempt may not see. */
  get transient(): boolean {
    return this.code === 'KUBE_UNREACHABLE' || this.code === 'KUBE_RETRY_LATER';
  }
}

/** Error code for an HTTP status of the API server. */
export function codeForStatus(status: number): KubeErrorCode {
  if (status === 429 || status === 408 || status >= 500) return 'KUBE_RETRY_LATER';
  if (status === 409) return 'KUBE_CONFLICT';
  if (status === 400 || status === 422) return 'KUBE_INVALID';
  if (status === 401 || status === 403) return 'KUBE_FORBIDDEN';
  if (status === 404) return 'KUBE_NOT_FOUND';
  return 'KUBE_API';
}

/**
 * Milliseconds of a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when
 * absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** The error for a non-2xx answer: code by status, message from the Status object when there is one. */
export function errorFromResponse(
  req: { method: string; path: string },
  status: number,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  now: number,
): KubeApiError {
  const s = (isMap(body) ? body : {}) as { message?: unknown; reason?: unknown; details?: unknown };
  const message =
    typeof s.message === 'string' && s.message ? s.message : typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${status}`;
  const reason = typeof s.reason === 'string' ? s.reason : null;
  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
  return new KubeApiError(
    codeForStatus(status),
    `${req.method} ${req.path}: ${status}${reason ? ` ${reason}` : ''}: ${message}`,
    status,
    reason,
    retryAfterMs,
    s.details ? { details: s.details } : {},
  );
}

/** The error for a request that got no answer (network failure or timeout). */
export function unreachableError(req: { method: string; path: string; server: string }, cause: unknown): KubeApiError {
  const e = cause as { code?: string; message?: string } | null;
  const what = e?.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` ${e.message}` : ''}` : (e?.message ?? String(cause));
  return new KubeApiError('KUBE_UNREACHABLE', `${req.method} ${req.server}${req.path}: no answer (${what})`, null, null, null, {
    cause: e?.code ?? null,
  });
}
