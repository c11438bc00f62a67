// The reconciler's logger (src/log): JSON for machines, short lines for people, secrets never out.
import { describe, expect, it } from 'vitest';
import { createLogger, formatHumanLine } from '../../src/log/logger.js';

describe('logger', () => {
  it('JSON lines with level, time, message and bound fields', () => {
    const lines: string[] = [];
    const log = createLogger({ json: true, write: (l) => lines.push(l) }).child({ revision: 'abc123' });
    log.info({ stage: 'fetch' }, 'fetched');
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 30, app: 'flotilla', revision: 'abc123', stage: 'fetch', msg: 'fetched' });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('credentials are redacted by key and masked by value, even inside messages and errors', () => {
    const lines: string[] = [];
    const secret = 'hunter2-token-XYZ';
    const log = createLogger({ json: true, write: (l) => lines.push(l), secrets: [secret] });
    log.info({ auth: { username: 'bot', password: secret }, token: secret, headers: { authorization: `Basic ${secret}` } }, 'auth set');
    log.error({ err: new Error(`request to https://bot:${secret}@h/x failed`) }, `failed with ${secret}`);
    const text = lines.join('');
    expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!).auth).toEqual({ username: 'bot', password: '[Redacted]' });
    expect(JSON.parse(lines[1]!).msg).toBe('failed with [Redacted]');
  });

  it('human lines on a terminal: time, level, message, fields; errors on their own line', () => {
    const lines: string[] = [];
    const log = createLogger({ json: false, write: (l) => lines.push(l) });
    log.warn({ revision: 'abc', counts: { created: 1 } }, 'held back');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}held back {2}revision=abc counts=\{"created":1\}\n$/);
    expect(formatHumanLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'disk full', code: 'ENOSPC' } }))).toBe(
      '00:00:00 ERROR boom\n    [ENOSPC] disk full\n',
    );
  });
});
