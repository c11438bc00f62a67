// A source URL never carries a secret into stderr, pod logs or folder names: credentials and
// secret-looking query parameters are refused, and a URL echoed in a message is redacted first.
import { describe, expect, it } from 'vitest';
import { parseConfig, redactUrl } from '../../src/config/load.js';
import { FlotillaError } from '../../src/model/diagnostics.js';
import { cacheFolder } from '../../src/source/remote.js';

const SECRET = 's3cr3tTOKEN';
const load = (text: string) => parseConfig(text, { env: {}, baseDir: '/etc/flotilla', file: 'flotilla.yaml' });
/** The INVALID_CONFIG error's full message and its problems. */
function refusal(text: string): { message: string; problems: Array<{ path: string; message: string }> } {
  try {
    load(text);
  } catch (e) {
    expect(e).toBeInstanceOf(FlotillaError);
    expect((e as FlotillaError).code).toBe('INVALID_CONFIG');
    return {
      message: (e as FlotillaError).message,
      problems: (e as FlotillaError).data.problems as Array<{ path: string; message: string }>,
    };
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('source.url secrets', () => {
  it('an invalid URL (port 99999) with alice:<secret>@ is reported without the password or user', () => {
    const r = refusal(`source: {url: "https://alice:${SECRET}@git.example.com:99999/fleet.git"}\n`);
    expect(r.problems).toEqual([{ path: 'source.url', message: 'not a valid URL: https://***@git.example.com:99999/fleet.git' }]);
    expect(r.message).not.toContain(SECRET);
    expect(r.message).not.toContain('alice');
  });

  it('an invalid URL with ?private_token=<secret> is reported without its query string', () => {
    const r = refusal(`source: {url: "https://git.example.com:99999/fleet.git?private_token=${SECRET}"}\n`);
    expect(r.problems).toEqual([{ path: 'source.url', message: 'not a valid URL: https://git.example.com:99999/fleet.git' }]);
    expect(r.message).not.toContain(SECRET);
  });

  it('a password holding "@" or "/" is still hidden: everything before the last @ of the authority goes', () => {
    expect(redactUrl(`https://alice:pa@ss/${SECRET}@host:99999/x.git#frag`)).toBe('https://***@host:99999/x.git');
    expect(redactUrl('https://host/x.git')).toBe('https://host/x.git');
  });

  it.each(['access_token', 'private_token', 'token', 'password', 'key', 'secret', 'api_key', 'X-Auth'])(
    'a token in the query string (?%s=…) is refused like a password in the URL, naming the parameter, not the value',
    (name) => {
      const r = refusal(`source: {url: "https://git.example.com/fleet.git?ref=1&${name}=${SECRET}"}\n`);
      expect(r.problems).toEqual([
        {
          path: 'source.url',
          message: `must not carry a secret in its query string ("${name}"); name environment variables in source.auth instead`,
        },
      ]);
      expect(r.message).not.toContain(SECRET);
    },
  );

  it('a query string without a secret-looking parameter is accepted', () => {
    expect(load('source: {url: "https://git.example.com/fleet.git?ref=main"}\n').config.source.url).toBe(
      'https://git.example.com/fleet.git?ref=main',
    );
  });

  it('an ssh URL with a token as its user is refused without echoing the token', () => {
    const r = refusal(`source: {url: "ssh://${SECRET}@host/fleet.git"}\n`);
    expect(r.problems.map((p) => p.path)).toEqual(['source.url']);
    expect(r.message).not.toContain(SECRET);
    expect(r.message).toContain('ssh://***@host/fleet.git');
  });
});

describe('cache folder name', () => {
  const source = (url: string) => ({
    ...load('source: {url: "https://git.example.com/fleet.git", cacheDir: /var/cache/flotilla}\n').config.source,
    url,
  });

  it('keeps host and path, drops the query string and any user@ (the hash still tells the URLs apart)', () => {
    const plain = cacheFolder(source('https://git.example.com/fleet.git'));
    const withQuery = cacheFolder(source(`https://git.example.com/fleet.git?x=${SECRET}`));
    const withUser = cacheFolder(source(`https://${SECRET}@git.example.com/fleet.git`));
    expect(plain).toMatch(/^\/var\/cache\/flotilla\/git.example.com_fleet.git-[0-9a-f]{16}$/);
    for (const folder of [withQuery, withUser]) {
      expect(folder).not.toContain(SECRET);
      expect(folder).toMatch(/\/git.example.com_fleet.git-[0-9a-f]{16}$/);
      expect(folder).not.toBe(plain);
    }
  });
});
