// How long one request to a member cluster may take at worst while a shard lease is held. The
// holder checks its lease right before every write (lease-lock.ts: held until renewDeadline after
// the last renewal began); nobody else may take the lease before leaseDuration has passed, so a
// write that starts while the lease is held and ends within leaseDuration − renewDeadline can never
// overlap another replica's writes to the same cluster. client-go's leader election leaves that gap
// for the same reason (a leader stops acting at renewDeadline, others wait leaseDuration).
import type { KubeRetryPolicy } from '../kube/retry.js';
import type { LeaseTiming } from './lease-lock.js';

/** Timeout and retries of a cluster's requests (KubeApiOptions' two fields). */
export interface RequestPolicy {
  timeoutMs: number;
  retry: KubeRetryPolicy;
}

/**
 * The time one request may take once started: leaseDuration − renewDeadline, less a fifth for the
 * time between the check and the request leaving, and for clocks of replicas running at slightly
 * different rates.
 */
export function requestBudgetMs(t: LeaseTiming): number {
  return Math.floor(0.8 * (t.leaseDurationMs - t.renewDeadlineMs));
}

/**
 * The longest one call can take under `p`: every attempt running into its timeout, and the longest
 * wait before each retry (the backoff cap of that attempt, or a Retry-After up to maxRetryAfterMs).
 */
export function worstCaseMs(p: RequestPolicy): number {
  let total = p.retry.attempts * p.timeoutMs;
  for (let k = 1; k < p.retry.attempts; k++)
    total += Math.max(Math.min(p.retry.maxDelayMs, p.retry.initialDelayMs * 2 ** (k - 1)), p.retry.maxRetryAfterMs);
  return total;
}

/**
 * `p` cut down until its worst case fits `budgetMs`: Retry-After waits no longer than the backoff
 * cap, then fewer attempts, then (one attempt left) a shorter timeout. A policy that fits is kept.
 */
export function fitRequestPolicy(p: RequestPolicy, budgetMs: number): RequestPolicy {
  if (worstCaseMs(p) <= budgetMs) return p;
  const retry = { ...p.retry, maxRetryAfterMs: Math.min(p.retry.maxRetryAfterMs, p.retry.maxDelayMs) };
  const fitted: RequestPolicy = { timeoutMs: p.timeoutMs, retry };
  while (fitted.retry.attempts > 1 && worstCaseMs(fitted) > budgetMs)
    fitted.retry = { ...fitted.retry, attempts: fitted.retry.attempts - 1 };
  if (worstCaseMs(fitted) > budgetMs) fitted.timeoutMs = Math.max(1, budgetMs);
  return fitted;
}
