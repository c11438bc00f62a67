// Retrying calls to a cluster: transient failures (KubeApiError.transient) are retried with
// exponential backoff and jitter; a server that says how long to wait (Retry-After on 429/503) is
// obeyed instead. Waiting and randomness come in as arguments so tests control both.
import { KubeApiError } from './errors.js';

export interface KubeRetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails now and the next reconcile retries. */
  maxRetryAfterMs: number;
}

export const DEFAULT_KUBE_RETRY: KubeRetryPolicy = { attempts: 4, initialDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };

export interface KubeRetryHooks {
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1); Math.random in production. */
  random(): number;
  onRetry?(attempt: number, error: KubeApiError, delayMs: number): void;
}

/**
 * Delay before retry `attempt` (1-based): "equal jitter" over initial × 2^(attempt−1), capped —
 * half fixed so retries do spread out, half random so many clusters' workers do not retry in step.
 */
export function backoffWithJitter(policy: Pick<KubeRetryPolicy, 'initialDelayMs' | 'maxDelayMs'>, attempt: number, random: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + (base / 2) * random);
}

/** The wait before the next attempt, or null when the error must not be retried (now). */
export function retryDelay(policy: KubeRetryPolicy, attempt: number, error: unknown, random: number): number | null {
  if (!(error instanceof KubeApiError) || !error.transient || attempt >= policy.attempts) return null;
  if (error.retryAfterMs !== null) return error.retryAfterMs > policy.maxRetryAfterMs ? null : error.retryAfterMs;
  return backoffWithJitter(policy, attempt, random);
}

/** Runs `op` until it succeeds, fails for good, or the attempts are used up; rethrows the last error. */
export async function withKubeRetry<T>(op: (attempt: number) => Promise<T>, policy: KubeRetryPolicy, hooks: KubeRetryHooks): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      const delay = retryDelay(policy, attempt, error, hooks.random());
      if (delay === null) throw error;
      hooks.onRetry?.(attempt, error as KubeApiError, delay);
      await hooks.sleep(delay);
    }
  }
}
