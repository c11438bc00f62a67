import { describe, expect, it } from 'vitest';
import { parseEvent, providerOf, RateLimiter, safeEqual, signBody, verifyRequest, verifySignature } from '../../src/server/webhook.js';

const SECRET = 'It’s a Secret to Everybody';
// GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
const GITHUB_DOC_SECRET = "It's a Secret to Everybody";
const GITHUB_DOC_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('webhook verification', () => {
  it('GitHub\'s documented example signature verifies ("Hello, World!" with "It\'s a Secret to Everybody")', () => {
    expect(verifySignature(GITHUB_DOC_SECRET, Buffer.from('Hello, World!'), GITHUB_DOC_SIGNATURE)).toBe(true);
    expect(signBody(GITHUB_DOC_SECRET, 'Hello, World!')).toBe(GITHUB_DOC_SIGNATURE);
  });

  it('a body changed by one byte, a wrong secret, a truncated or non-hex signature → refused', () => {
    const body = Buffer.from('{"ref":"refs/heads/main"}');
    const sig = signBody(SECRET, body);
    expect(verifySignature(SECRET, body, sig)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from('{"ref":"refs/heads/mainX"}'), sig)).toBe(false);
    expect(verifySignature('other', body, sig)).toBe(false);
    expect(verifySignature(SECRET, body, sig.slice(0, -2))).toBe(false);
    expect(verifySignature(SECRET, body, 'sha256=' + 'z'.repeat(64))).toBe(false);
    expect(verifySignature(SECRET, body, undefined)).toBe(false);
  });

  it('with a secret configured, an unsigned request from any provider is refused', () => {
    const body = Buffer.from('{}');
    expect(verifyRequest('github', { 'x-github-event': 'push' }, body, SECRET)).toEqual({
      ok: false,
      reason: 'missing X-Hub-Signature-256',
    });
    expect(verifyRequest('gitlab', { 'x-gitlab-event': 'Push Hook' }, body, SECRET)).toEqual({
      ok: false,
      reason: 'missing X-Gitlab-Token',
    });
    expect(verifyRequest('generic', {}, body, SECRET)).toEqual({ ok: false, reason: 'missing signature or bearer token' });
    expect(verifyRequest('generic', {}, body, null)).toEqual({ ok: true, signedBody: false });
  });

  it('GitLab: X-Gitlab-Token must equal the secret; generic: HMAC or Bearer token', () => {
    const body = Buffer.from('{}');
    expect(verifyRequest('gitlab', { 'x-gitlab-token': SECRET }, body, SECRET).ok).toBe(true);
    expect(verifyRequest('gitlab', { 'x-gitlab-token': SECRET + 'x' }, body, SECRET).ok).toBe(false);
    expect(verifyRequest('generic', { authorization: `Bearer ${SECRET}` }, body, SECRET).ok).toBe(true);
    expect(verifyRequest('generic', { authorization: 'Bearer nope' }, body, SECRET).ok).toBe(false);
    expect(verifyRequest('generic', { 'x-flotilla-signature-256': signBody(SECRET, body) }, body, SECRET).ok).toBe(true);
    // A GitHub request cannot fall back to a bearer token.
    expect(verifyRequest('github', { authorization: `Bearer ${SECRET}` }, body, SECRET).ok).toBe(false);
  });

  it('safeEqual compares strings of different lengths without throwing', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });
});

describe('webhook events', () => {
  it('providers by header: X-GitHub-Event → github, X-Gitlab-Event → gitlab, else generic', () => {
    expect(providerOf({ 'x-github-event': 'push' })).toBe('github');
    expect(providerOf({ 'x-gitlab-event': 'Push Hook' })).toBe('gitlab');
    expect(providerOf({})).toBe('generic');
  });

  it('GitHub push to refs/heads/main → branch main; ping → ping; issues → other; tag push → no branch', () => {
    expect(parseEvent('github', { 'x-github-event': 'push' }, Buffer.from('{"ref":"refs/heads/main","after":"abc"}'))).toEqual({
      kind: 'push',
      branch: 'main',
      ref: 'refs/heads/main',
    });
    expect(parseEvent('github', { 'x-github-event': 'ping' }, Buffer.from('{}'))).toEqual({ kind: 'ping' });
    expect(parseEvent('github', { 'x-github-event': 'issues' }, Buffer.from('{}'))).toEqual({ kind: 'other', event: 'issues' });
    expect(parseEvent('github', { 'x-github-event': 'push' }, Buffer.from('{"ref":"refs/tags/v1"}'))).toEqual({
      kind: 'push',
      branch: null,
      ref: 'refs/tags/v1',
    });
  });

  it('GitLab Push Hook and a generic {"branch": "main"} body', () => {
    expect(
      parseEvent('gitlab', { 'x-gitlab-event': 'Push Hook' }, Buffer.from('{"object_kind":"push","ref":"refs/heads/release"}')),
    ).toMatchObject({ kind: 'push', branch: 'release' });
    expect(parseEvent('gitlab', { 'x-gitlab-event': 'Merge Request Hook' }, Buffer.from('{}'))).toEqual({
      kind: 'other',
      event: 'Merge Request Hook',
    });
    expect(parseEvent('generic', {}, Buffer.from('{"branch":"main"}'))).toMatchObject({ kind: 'push', branch: 'main' });
    expect(() => parseEvent('generic', {}, Buffer.from('not json'))).toThrow(/not JSON/);
  });
});

describe('RateLimiter (token bucket)', () => {
  it('burst 3 at 1/s: 3 allowed, the 4th waits 1 s; 2 s later 2 more', () => {
    let t = 0;
    const rl = new RateLimiter({ burst: 3, perSecond: 1 }, () => t);
    expect([rl.take(), rl.take(), rl.take()]).toEqual([0, 0, 0]);
    expect(rl.take()).toBe(1);
    t += 2000;
    expect([rl.take(), rl.take()]).toEqual([0, 0]);
    expect(rl.take()).toBeGreaterThan(0);
  });
});
