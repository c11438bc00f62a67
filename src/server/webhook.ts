// Push webhooks from GitHub, GitLab and anything else that can sign a request. Verification is
// timing-safe and refuses unsigned requests whenever a secret is configured:
//   GitHub  — X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the secret>
//             (docs.github.com "Validating webhook deliveries"); X-GitHub-Event: push | ping.
//   GitLab  — X-Gitlab-Token: <the secret token> (GitLab sends the token itself, no HMAC);
//             X-Gitlab-Event: Push Hook.
//   generic — X-Hub-Signature-256 or X-Flotilla-Signature-256 as GitHub's, or
//             Authorization: Bearer <secret>; body {"ref": "refs/heads/main"} or {"branch": "main"}.
// A verified push triggers a reconcile only when it names the configured source branch.
// Replays: a delivery seen before (by its delivery header, and for a body signed with HMAC by the
// body itself, since the header is not signed) is answered without triggering anything.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isMap } from '../objects/json.js';

export type WebhookProvider = 'github' | 'gitlab' | 'generic';

export interface WebhookSettings {
  /** The shared secret (HMAC key or token); null accepts unsigned requests (allowUnsigned only). */
  secret: string | null;
  /** The source branch: pushes to other branches are ignored. */
  branch: string;
  /** Larger bodies are refused with 413 (default 1 MiB). */
  maxBodyBytes: number;
  /** Token bucket: `burst` requests at once, refilled at `perSecond`. */
  rateLimit: { burst: number; perSecond: number };
  /** How many deliveries are remembered to recognise a replay, and for how long (default DEFAULT_REPLAY_WINDOW). */
  replayWindow?: ReplayWindow;
}

export interface ReplayWindow {
  maxEntries: number;
  seconds: number;
}

/** 10,000 deliveries for 24 hours: at most about a megabyte, and longer than any sender's retries. */
export const DEFAULT_REPLAY_WINDOW: ReplayWindow = { maxEntries: 10_000, seconds: 86_400 };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Which sender a request comes from, by its headers. */
export function providerOf(headers: Headers): WebhookProvider {
  if (header(headers, 'x-github-event') !== undefined) return 'github';
  if (header(headers, 'x-gitlab-event') !== undefined || header(headers, 'x-gitlab-token') !== undefined) return 'gitlab';
  return 'generic';
}

/** Equal strings, compared in constant time (both hashed first, so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** `sha256=<hex>` of the body, as GitHub signs it. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether a `sha256=<hex>` signature matches the body (timing-safe). */
export function verifySignature(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature || !/^sha256=[0-9a-fA-F]{64}$/.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature.slice(7), 'hex'));
}

/** `signedBody`: the body itself was authenticated (an HMAC signature), not only the sender (a token). */
export type Verification = { ok: true; signedBody: boolean } | { ok: false; reason: string };

/** Checks a request's signature or token for its provider. */
export function verifyRequest(provider: WebhookProvider, headers: Headers, body: Buffer, secret: string | null): Verification {
  if (secret === null) return { ok: true, signedBody: false };
  if (provider === 'gitlab') {
    const token = header(headers, 'x-gitlab-token');
    if (token === undefined) return { ok: false, reason: 'missing X-Gitlab-Token' };
    return safeEqual(token, secret) ? { ok: true, signedBody: false } : { ok: false, reason: 'wrong X-Gitlab-Token' };
  }
  const signature =
    header(headers, 'x-hub-signature-256') ?? (provider === 'generic' ? header(headers, 'x-flotilla-signature-256') : undefined);
  if (signature !== undefined)
    return verifySignature(secret, body, signature) ? { ok: true, signedBody: true } : { ok: false, reason: 'signature does not match' };
  const auth = provider === 'generic' ? header(headers, 'authorization') : undefined;
  if (auth !== undefined) {
    const m = /^Bearer (.+)$/.exec(auth);
    return m && safeEqual(m[1]!, secret) ? { ok: true, signedBody: false } : { ok: false, reason: 'wrong bearer token' };
  }
  return { ok: false, reason: provider === 'github' ? 'missing X-Hub-Signature-256' : 'missing signature or bearer token' };
}

export type WebhookEvent =
  { kind: 'push'; branch: string | null; ref: string | null } | { kind: 'ping' } | { kind: 'other'; event: string };

/** What a verified request asks for: a push (with its branch), a ping, or something else. */
export function parseEvent(provider: WebhookProvider, headers: Headers, body: Buffer): WebhookEvent {
  if (provider === 'github') {
    const event = header(headers, 'x-github-event') ?? '';
    if (event === 'ping') return { kind: 'ping' };
    if (event !== 'push') return { kind: 'other', event };
  }
  if (provider === 'gitlab') {
    const event = header(headers, 'x-gitlab-event') ?? '';
    if (event !== 'Push Hook' && event !== '') return { kind: 'other', event };
  }
  let payload: Record<string, unknown>;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    payload = isMap(parsed) ? parsed : {};
  } catch {
    throw new SyntaxError('the body is not JSON');
  }
  const ref = typeof payload.ref === 'string' ? payload.ref : null;
  const branch = ref?.startsWith('refs/heads/')
    ? ref.slice('refs/heads/'.length)
    : typeof payload.branch === 'string'
      ? payload.branch
      : null;
  return { kind: 'push', branch, ref };
}

/** A token bucket (one per server): `burst` at once, `perSecond` sustained. */
export class RateLimiter {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: { burst: number; perSecond: number },
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.burst;
    this.at = now();
  }

  /** Takes a token; returns 0 when allowed, else the seconds to wait (Retry-After). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.at) / 1000) * this.limit.perSecond);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limit.perSecond));
  }
}

/** The header that names a delivery, per provider (generic senders may send X-Flotilla-Delivery). */
export const DELIVERY_HEADERS: Readonly<Record<WebhookProvider, string>> = {
  github: 'x-github-delivery',
  gitlab: 'x-gitlab-event-uuid',
  generic: 'x-flotilla-delivery',
};

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/**
 * What identifies a verified delivery: its delivery header, and — when the body was signed with
 * HMAC — the body. The header is not covered by the signature, so a captured GitHub delivery sent
 * again under a new X-GitHub-Delivery is still recognised by its body (GitHub's push bodies differ
 * for every push). Keys are hashes: a long header costs no more memory than a short one.
 */
export function deliveryKeys(provider: WebhookProvider, headers: Headers, body: Buffer, signedBody: boolean): string[] {
  const keys: string[] = [];
  const id = header(headers, DELIVERY_HEADERS[provider]);
  if (id !== undefined && id !== '') keys.push(`id:${sha256(`${provider}\n${id}`)}`);
  if (signedBody) keys.push(`body:${sha256(body)}`);
  return keys;
}

/**
 * The deliveries seen in the replay window: a Map in least-recently-seen order, bounded by
 * `maxEntries` (the oldest go first) and by age (an entry older than the window is forgotten).
 */
export class DeliveryLog {
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly window: ReplayWindow = DEFAULT_REPLAY_WINDOW,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether any of `keys` was remembered within the window; a hit becomes the most recently seen. */
  has(keys: readonly string[]): boolean {
    const now = this.now();
    let hit = false;
    for (const key of keys) {
      const at = this.seenAt.get(key);
      if (at === undefined) continue;
      this.seenAt.delete(key);
      if (now - at >= this.window.seconds * 1000) continue;
      this.seenAt.set(key, at);
      hit = true;
    }
    return hit;
  }

  remember(keys: readonly string[]): void {
    const now = this.now();
    for (const key of keys) {
      this.seenAt.delete(key);
      this.seenAt.set(key, now);
    }
    for (const key of this.seenAt.keys()) {
      if (this.seenAt.size <= this.window.maxEntries) break;
      this.seenAt.delete(key);
    }
  }

  get size(): number {
    return this.seenAt.size;
  }
}
