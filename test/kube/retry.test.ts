import { describe, expect, it } from 'vitest';
import { codeForStatus, errorFromResponse, KubeApiError, parseRetryAfter } from '../../src/kube/errors.js';
import { backoffWithJitter, retryDelay, withKubeRetry, type KubeRetryPolicy } from '../../src/kube/retry.js';

const policy: KubeRetryPolicy = { attempts: 4, initialDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 10_000 };
const err = (status: number, headers: Record<string, string> = {}) =>
  errorFromResponse({ method: 'PATCH', path: '/x' }, status, { kind: 'Status', reason: 'R', message: 'm' }, headers, 0);

describe('errors by what the user must do', () => {
  it('5xx, 429 and 408 are retry-later; 409 conflict; 400/422 invalid; 401/403 forbidden', () => {
    expect([500, 503, 429, 408].map(codeForStatus)).toEqual([
      'KUBE_RETRY_LATER',
      'KUBE_RETRY_LATER',
      'KUBE_RETRY_LATER',
      'KUBE_RETRY_LATER',
    ]);
    expect([409, 422, 400, 401, 403, 404].map(codeForStatus)).toEqual([
      'KUBE_CONFLICT',
      'KUBE_INVALID',
      'KUBE_INVALID',
      'KUBE_FORBIDDEN',
      'KUBE_FORBIDDEN',
      'KUBE_NOT_FOUND',
    ]);
  });
  it('Retry-After in seconds or as an HTTP date; unreadable → null', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 9000)).toBe(0);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });
  it('the Status message and reason end up in the error; its code is stable', () => {
    const e = err(422);
    expect(e.code).toBe('KUBE_INVALID');
    expect(e.message).toContain('422 R: m');
    expect(e.toJSON()).toMatchObject({ code: 'KUBE_INVALID', data: { status: 422, reason: 'R' } });
  });
});

describe('backoff with jitter', () => {
  it('initial 100 ms doubling, capped at 1 s: attempt 1..5 with random 1 → 100, 200, 400, 800, 1000', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffWithJitter(policy, a, 1))).toEqual([100, 200, 400, 800, 1000]);
  });
  it('equal jitter: random 0 waits half the step, never less', () => {
    expect(backoffWithJitter(policy, 3, 0)).toBe(200);
  });
  it('a 429 with Retry-After: 2 waits exactly 2000 ms, not the backoff', () => {
    expect(retryDelay(policy, 1, err(429, { 'retry-after': '2' }), 0.5)).toBe(2000);
  });
  it('a Retry-After longer than maxRetryAfterMs is not waited for', () => {
    expect(retryDelay(policy, 1, err(503, { 'retry-after': '60' }), 0.5)).toBeNull();
  });
  it('422 and 409 are never retried; the last attempt is not retried', () => {
    expect(retryDelay(policy, 1, err(422), 0.5)).toBeNull();
    expect(retryDelay(policy, 1, err(409), 0.5)).toBeNull();
    expect(retryDelay(policy, 4, err(500), 0.5)).toBeNull();
  });
  it('withKubeRetry: two 503s then success → 3 attempts, waits 75 and 150 ms (random 0.5)', async () => {
    const waits: number[] = [];
    let n = 0;
    const out = await withKubeRetry(
      async () => {
        if (++n < 3) throw err(503);
        return 'ok';
      },
      policy,
      { sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    );
    expect(out).toBe('ok');
    expect(n).toBe(3);
    expect(waits).toEqual([75, 150]);
  });
  it('withKubeRetry gives up after `attempts` and rethrows the last error', async () => {
    let n = 0;
    await expect(
      withKubeRetry(
        async () => {
          n++;
          throw err(500);
        },
        policy,
        { sleep: async () => {}, random: () => 0 },
      ),
    ).rejects.toBeInstanceOf(KubeApiError);
    expect(n).toBe(4);
  });
});
