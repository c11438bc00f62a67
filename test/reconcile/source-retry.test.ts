// Which source failures are retried, and how long the reconciler waits between attempts.
import { describe, expect, it } from 'vitest';
import { backoffDelay, isTransient, withRetry } from '../../src/source/retry.js';
import { displayUrl, explainGitError } from '../../src/source/remote.js';
import { parseConfig } from '../../src/config/load.js';

const httpError = (statusCode: number) =>
  Object.assign(new Error(`HTTP Error: ${statusCode}`), { code: 'HttpError', data: { statusCode } });

describe('retry policy', () => {
  it('503, 429, 408, timeouts and dropped connections are transient; 401, 403, 404 and bugs are not', () => {
    for (const e of [
      httpError(503),
      httpError(500),
      httpError(429),
      httpError(408),
      Object.assign(new Error('t'), { name: 'TimeoutError' }),
      Object.assign(new Error('r'), { code: 'ECONNRESET' }),
      Object.assign(new Error('x'), { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }),
    ]) {
      expect(isTransient(e)).toBe(true);
    }
    for (const e of [httpError(401), httpError(403), httpError(404), new TypeError('bug')]) expect(isTransient(e)).toBe(false);
  });

  it('backoff 500 ms doubling, capped at 10 s: 500, 1000, 2000, 4000, 8000, 10000', () => {
    const p = { attempts: 7, initialDelayMs: 500, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(p, n))).toEqual([500, 1000, 2000, 4000, 8000, 10000]);
  });

  it('3 attempts against a server failing twice: succeeds on the third after waiting 100 + 200 ms', async () => {
    const slept: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => (++calls < 3 ? Promise.reject(httpError(503)) : 'ok'),
      { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 },
      { sleep: async (ms) => void slept.push(ms) },
    );
    expect(value).toBe('ok');
    expect(slept).toEqual([100, 200]);
  });

  it('a 401 is thrown at once, without waiting', async () => {
    const slept: number[] = [];
    await expect(
      withRetry(
        () => Promise.reject(httpError(401)),
        { attempts: 5, initialDelayMs: 100, maxDelayMs: 100 },
        { sleep: async (ms) => void slept.push(ms) },
      ),
    ).rejects.toMatchObject({ code: 'HttpError' });
    expect(slept).toEqual([]);
  });
});

describe('source errors', () => {
  const { config } = parseConfig('source: {url: "https://git.example.com/fleet.git", auth: {usernameEnv: U, passwordEnv: P}}\n', {
    env: { U: 'u', P: 'pw-secret' },
    baseDir: '/',
  });
  it('401 → AUTH_FAILED naming the URL and the variables, never the value', () => {
    const e = explainGitError(httpError(401), 'fetch', displayUrl(config.source.url), config.source, true);
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toBe('authentication failed for https://git.example.com/fleet.git (HTTP 401): check the credentials in $U and $P');
  });
  it('404 → REPOSITORY_NOT_FOUND; 503 after retries → SOURCE_UNREACHABLE (retryable)', () => {
    expect(explainGitError(httpError(404), 'fetch', 'u', config.source, true).code).toBe('REPOSITORY_NOT_FOUND');
    const e = explainGitError(httpError(503), 'fetch main', 'u', config.source, true);
    expect(e).toMatchObject({ code: 'SOURCE_UNREACHABLE', data: { retryable: true } });
    expect(e.message).toBe('fetch main failed after 4 attempts: HTTP Error: 503');
  });
  it('displayUrl strips user, password and query', () => {
    expect(displayUrl('https://bot:pw@git.example.com/fleet.git?x=1')).toBe('https://git.example.com/fleet.git');
  });
});
