// Retrying network calls (docs/design/conventions.md 5: "retry later" errors get backoff; "fix something" errors do
// not). A call is retried only when the failure is transient: a 5xx/429/408 answer, a timeout, a
// dropped or refused connection, or a response cut short. Authentication failures and everything
// else surface at once.
export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface RetryHooks {
  sleep(ms: number): Promise<void>;
  /** Called before each wait: the failed attempt (1-based), the error and the delay. */
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ABORT_ERR',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  // isomorphic-git: a response that ended early or was not a git protocol answer.
  'EmptyServerResponseError',
  'SmartHttpError',
  'ParseError',
]);

/** HTTP status of an isomorphic-git HttpError, if that is what `error` is. */
export function httpStatusOf(error: unknown): number | null {
  const e = error as { code?: string; data?: { statusCode?: number } } | null;
  return e && e.code === 'HttpError' && typeof e.data?.statusCode === 'number' ? e.data.statusCode : null;
}

/** True for failures worth another try after a wait. */
export function isTransient(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== null) return status >= 500 || status === 429 || status === 408;
  const e = error as { code?: string; name?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== error ? isTransient(e.cause) : false;
}

/** Delay before retry number `attempt` (1-based): initial × 2^(attempt-1), capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

/** Runs `op` up to policy.attempts times while it fails transiently; rethrows the last error. */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(attempt, error, delay);
      await hooks.sleep(delay);
    }
  }
}
