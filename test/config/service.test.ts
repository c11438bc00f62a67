import { describe, expect, it } from 'vitest';
import { readServiceSections } from '../../src/config/service.js';

const read = (raw: { server?: unknown; ha?: unknown }, env: NodeJS.ProcessEnv = {}) => {
  const problems: Array<{ path: string; message: string }> = [];
  const sections = readServiceSections(raw, { env, resolve: (p) => `/base/${p}` }, problems);
  return { sections, problems };
};

describe('server: and ha: config sections', () => {
  it('defaults: listen 0.0.0.0:8080, shutdown bound 25 s, 1 MiB, 10 burst at 1/s; ha 1 shard, 15/10/2 s, POD_NAME', () => {
    const { sections, problems } = read({ server: { webhook: { secretEnv: 'HOOK' } }, ha: {} }, { HOOK: 'a-secret-of-16-chars' });
    expect(problems).toEqual([]);
    expect(sections.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      shutdownTimeoutSeconds: 25,
      webhook: { secretEnv: 'HOOK', allowUnsigned: false, maxBodyBytes: 1048576, rateLimit: { burst: 10, perSecond: 1 } },
      dashboard: null,
    });
    expect(sections.webhookSecret).toBe('a-secret-of-16-chars');
    expect(sections.ha).toMatchObject({
      shards: 1,
      leaseNamespace: 'flotilla-system',
      leaseName: 'flotilla',
      identityEnv: 'POD_NAME',
      kubeconfig: null,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
  });

  it('every problem with its path: no secret env, unset variable, bad listen, unknown key, renewDeadline ≥ leaseDuration', () => {
    const { problems } = read({
      server: { listen: 'localhost', webhook: { secretEnv: 'MISSING', extra: 1 } },
      ha: { shards: 0, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 },
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      'ha.leaseDurationSeconds',
      'ha.shards',
      'server.listen',
      'server.webhook.extra',
      'server.webhook.secretEnv',
    ]);
    expect(read({ server: { webhook: {} } }).problems[0]).toMatchObject({
      path: 'server.webhook.secretEnv',
      message: expect.stringContaining('required'),
    });
    expect(read({ server: { webhook: { secretEnv: 'S' } } }, { S: 'short' }).problems[0]!.message).toContain('shorter than 16');
  });

  it('the secret value never appears in a problem message', () => {
    const { problems } = read({ server: { webhook: { secretEnv: 'S' } } }, { S: 'tiny' });
    expect(JSON.stringify(problems)).not.toContain('tiny');
  });

  it('allowUnsigned: true without a secret is accepted (webhookSecret null); ha.kubeconfig resolves against the config file', () => {
    const { sections, problems } = read({
      server: { listen: '127.0.0.1:9090', webhook: { allowUnsigned: true } },
      ha: { kubeconfig: 'mgmt.kubeconfig', shards: 12 },
    });
    expect(problems).toEqual([]);
    expect(sections.webhookSecret).toBeNull();
    expect(sections.server!.port).toBe(9090);
    expect(sections.ha!.kubeconfig).toBe('/base/mgmt.kubeconfig');
  });

  it('server.shutdownTimeoutSeconds: 8 is kept; 0 is refused with its path', () => {
    expect(read({ server: { shutdownTimeoutSeconds: 8 } }).sections.server!.shutdownTimeoutSeconds).toBe(8);
    expect(read({ server: { shutdownTimeoutSeconds: 0 } }).problems.map((p) => p.path)).toEqual(['server.shutdownTimeoutSeconds']);
  });

  it('server.dashboard: loopback 127.0.0.1:8090 at / by default; path gets its trailing slash; the token is read from its variable', () => {
    const defaults = read({ server: { dashboard: {} } });
    expect(defaults.problems).toEqual([]);
    expect(defaults.sections.server?.dashboard).toEqual({ host: '127.0.0.1', port: 8090, path: '/', tokenEnv: null });
    expect(defaults.sections.dashboardToken).toBeNull();
    const set = read(
      { server: { dashboard: { listen: '0.0.0.0:9000', path: '/flotilla', tokenEnv: 'DASH' } } },
      { DASH: 'a-token-of-16-characters' },
    );
    expect(set.problems).toEqual([]);
    expect(set.sections.server?.dashboard).toEqual({ host: '0.0.0.0', port: 9000, path: '/flotilla/', tokenEnv: 'DASH' });
    expect(set.sections.dashboardToken).toBe('a-token-of-16-characters');
  });

  it('server.dashboard problems with their paths, and the token never in a message', () => {
    const { problems } = read(
      { server: { dashboard: { listen: 'nope', path: 'no-slash', tokenEnv: 'DASH', open: true } } },
      { DASH: 'short-secret' },
    );
    expect(problems.map((p) => p.path).sort()).toEqual([
      'server.dashboard.listen',
      'server.dashboard.open',
      'server.dashboard.path',
      'server.dashboard.tokenEnv',
    ]);
    expect(JSON.stringify(problems)).not.toContain('short-secret');
    expect(read({ server: { listen: '0.0.0.0:8090', dashboard: {} } }).problems.map((p) => p.path)).toEqual(['server.dashboard.listen']);
    expect(read({ server: { dashboard: { tokenEnv: 'UNSET' } } }).problems).toEqual([
      { path: 'server.dashboard.tokenEnv', message: 'environment variable UNSET is not set' },
    ]);
  });
});
