import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FlotillaError } from '../../src/model/diagnostics.js';

const base = '/etc/flotilla';
const load = (text: string, env: NodeJS.ProcessEnv = {}) => parseConfig(text, { env, baseDir: base, file: 'flotilla.yaml' });
const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}): Array<{ path: string; message: string }> => {
  try {
    load(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(FlotillaError);
    expect((e as FlotillaError).code).toBe('INVALID_CONFIG');
    return (e as FlotillaError).data.problems as Array<{ path: string; message: string }>;
  }
  throw new Error('expected INVALID_CONFIG');
};

describe('reconcile config', () => {
  it("docs/reference/contract.md's example loads, with its credentials from the environment", () => {
    const { config, credentials } = load(
      `source:
  url: https://git.example.com/platform/fleet.git
  branch: main
  path: .
  schedule: "*/30 * * * * *"
  auth: {usernameEnv: GIT_USER, passwordEnv: GIT_TOKEN}
status:
  branch: flotilla-status
targets:
  - kubernetes: {kubeconfig: /etc/flotilla/kubeconfig}
  - git: {branch: flotilla-rendered}
  - directory: {path: ./rendered}
`,
      { GIT_USER: 'bot', GIT_TOKEN: 'tok-123' },
    );
    expect(config.source).toMatchObject({
      url: 'https://git.example.com/platform/fleet.git',
      transport: 'http',
      branch: 'main',
      path: '',
      schedule: '*/30 * * * * *',
    });
    expect(config.source.auth).toEqual({ usernameEnv: 'GIT_USER', passwordEnv: 'GIT_TOKEN', tokenEnv: null });
    expect(credentials).toEqual({ username: 'bot', password: 'tok-123' });
    expect(config.targets).toEqual([
      {
        type: 'kubernetes',
        kubeconfig: '/etc/flotilla/kubeconfig',
        contexts: {},
        secretsDir: null,
        dryRun: false,
        force: false,
        parallelism: null,
        timeoutSeconds: 10,
        failover: { failureThresholdSeconds: 30, tolerationSeconds: 300, recoveryThresholdSeconds: 30, rebalanceOnRecovery: false },
        // No impersonate: the kubeconfig's user writes as itself.
        impersonate: null,
        impersonation: { identity: null, paths: [] },
      },
      { type: 'git', branch: 'flotilla-rendered' },
      { type: 'directory', path: path.join(base, 'rendered') },
    ]);
    // The config itself holds no secret: it can be logged.
    expect(JSON.stringify(config)).not.toContain('tok-123');
  });

  it('defaults: branch main, root path, every 30 s, status branch flotilla-status, 50% delete guard, cache next to the config', () => {
    const { config, credentials } = load('source: {url: ../fleet}\n');
    expect(config.source).toMatchObject({
      transport: 'local',
      localPath: '/etc/fleet',
      branch: 'main',
      path: '',
      schedule: '*/30 * * * * *',
      timeoutSeconds: 60,
      cacheDir: '/etc/flotilla/.flotilla-cache',
    });
    expect(config.source.retry).toEqual({ attempts: 4, initialDelayMs: 500, maxDelayMs: 10000 });
    expect(config.status).toEqual({ branch: 'flotilla-status', author: { name: 'flotilla', email: 'flotilla@localhost' } });
    expect(config.targets).toEqual([]);
    expect(config.safety).toEqual({ maxDeletePercent: 50, maxDeletions: 500, deletionWindowMinutes: 60 });
    expect(credentials).toBeNull();
  });

  it(
    'kubernetes target: contexts, secretsDir, dryRun, force, parallelism, timeout and failover ' +
      'are kept; relative paths resolve against the config',
    () => {
      const { config } = load(`source: {url: ../fleet}
targets:
  - kubernetes:
      kubeconfig: kube/config
      contexts: {cluster-hangzhou: prod-hz, cluster-shanghai: prod-sh}
      secretsDir: secrets
      dryRun: true
      force: true
      parallelism: 3
      timeoutSeconds: 2.5
      failover: {tolerationSeconds: 1}
`);
      expect(config.targets).toEqual([
        {
          type: 'kubernetes',
          kubeconfig: '/etc/flotilla/kube/config',
          contexts: { 'cluster-hangzhou': 'prod-hz', 'cluster-shanghai': 'prod-sh' },
          secretsDir: '/etc/flotilla/secrets',
          dryRun: true,
          force: true,
          parallelism: 3,
          timeoutSeconds: 2.5,
          // Unset failover timings keep Karmada's defaults (30 s failure threshold, 30 s recovery).
          failover: { failureThresholdSeconds: 30, tolerationSeconds: 1, recoveryThresholdSeconds: 30, rebalanceOnRecovery: false },
          impersonate: null,
          impersonation: { identity: null, paths: [] },
        },
      ]);
    },
  );

  it('kubernetes target problems are all reported with dot-paths', () => {
    const problems = problemsOf(`source: {url: ../fleet}
targets:
  - kubernetes:
      contexts: {cluster-a: 7, cluster-b: ""}
      dryRun: "yes"
      parallelism: 0.5
      timeoutSeconds: -1
      failover: {tolerationSecond: 1, failureThresholdSeconds: -5}
      kubeconfg: x
  - kubernetes: {kubeconfig: other}
`);
    expect(problems.map((p) => p.path)).toEqual([
      'targets[0].kubernetes.kubeconfg',
      'targets[0].kubernetes.contexts.cluster-a',
      'targets[0].kubernetes.contexts.cluster-b',
      'targets[0].kubernetes',
      'targets[0].kubernetes.failover.tolerationSecond',
      'targets[0].kubernetes.failover.failureThresholdSeconds',
      'targets[0].kubernetes.dryRun',
      'targets[0].kubernetes.parallelism',
      'targets[0].kubernetes.timeoutSeconds',
      'targets[1].kubernetes',
    ]);
    expect(problems[3]!.message).toContain('name a kubeconfig or a secretsDir');
    expect(problems.at(-1)!.message).toContain('only one kubernetes target is allowed');
  });

  it('kustomize and generators: defaults, commands as lists (a path relative to the config), every problem reported', () => {
    const { config } = load(`source: {url: /srv/fleet}
generators:
  - {name: helm, match: Chart.yaml, command: [./bin/helm-template.sh, .], env: [HELM_CACHE_HOME]}
`);
    expect(config.build.kustomize).toEqual({ command: null, timeoutSeconds: 60, maxOutputBytes: 16 * 1024 * 1024 });
    expect(config.build.generators).toEqual([
      {
        name: 'helm',
        match: 'Chart.yaml',
        command: [path.join(base, 'bin/helm-template.sh'), '.'],
        timeoutSeconds: 60,
        maxOutputBytes: 16 * 1024 * 1024,
        env: ['HELM_CACHE_HOME'],
      },
    ]);
    expect(
      problemsOf(`source: {url: /srv/fleet}
kustomize: {command: "kubectl kustomize", timeoutSeconds: 0}
generators:
  - {name: helm, match: charts/Chart.yaml, command: [helm], shell: true}
  - {name: helm, match: Chart.yaml, command: []}
`).map((p) => p.path),
    ).toEqual([
      'kustomize.command',
      'kustomize.timeoutSeconds',
      'generators[0].shell',
      'generators[0].match',
      'generators[1].name',
      'generators[1].command',
    ]);
  });

  it('a token alone authenticates as x-access-token', () => {
    const { credentials } = load('source: {url: "https://h/x.git", auth: {tokenEnv: TOKEN}}\n', { TOKEN: 'ghp_abc' });
    expect(credentials).toEqual({ username: 'x-access-token', password: 'ghp_abc' });
  });

  it('collects every problem with its dot-path in one error', () => {
    const problems = problemsOf(`source:
  url: https://git.example.com/fleet.git
  branch: "bad..branch"
  path: ../outside
  shedule: "*/5 * * * *"
  schedule: "61 * * * *"
  auth: {usernameEnv: GIT_USER, passwordEnv: GIT_TOKEN}
  retry: {attempts: 0}
status: {branch: main}
targets:
  - git: {}
  - directory: {path: out}
  - directory: {path: ./out}
  - s3: {bucket: x}
  - {git: {branch: a}, directory: {path: b}}
safety: {maxDeletePercent: 150, maxDeletions: 2.5, deletionWindowMinutes: -1}
log: {level: loud}
`);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'source.branch',
        'source.path',
        'source.shedule',
        'source.schedule',
        'source.retry.attempts',
        'source.auth.usernameEnv',
        'source.auth.passwordEnv',
        'status.branch',
        'targets[0].git.branch',
        'targets[2].directory.path',
        'targets[3]',
        'targets[4]',
        'safety.maxDeletePercent',
        'safety.maxDeletions',
        'safety.deletionWindowMinutes',
        'log.level',
      ]),
    );
    expect(problems.find((p) => p.path === 'source.schedule')!.message).toContain('61 is a invalid expression for minute');
    expect(problems.find((p) => p.path === 'source.auth.passwordEnv')!.message).toBe('environment variable GIT_TOKEN is not set');
    expect(problems.find((p) => p.path === 'source.shedule')!.message).toMatch(/^unknown field/);
  });

  it('refuses credentials in the URL without echoing them', () => {
    const problems = problemsOf('source: {url: "https://bot:hunter2@git.example.com/fleet.git"}\n');
    expect(problems).toEqual([
      { path: 'source.url', message: 'must not contain credentials; name environment variables in source.auth instead' },
    ]);
  });

  it('an env var NAME that looks like a pasted secret is refused without echoing it', () => {
    const problems = problemsOf('source: {url: "https://h/x.git", auth: {passwordEnv: "ghp-1234/abcd+xyz"}}\n');
    expect(problems.map((p) => p.path)).toContain('source.auth.passwordEnv');
    expect(JSON.stringify(problems)).not.toContain('ghp-1234');
  });

  it('ssh URLs are refused (http(s) and local paths only)', () => {
    expect(problemsOf('source: {url: "git@github.com:org/fleet.git"}\n').map((p) => p.path)).toEqual(['source.url']);
    expect(problemsOf('source: {url: "ssh://git@host/fleet.git"}\n').map((p) => p.path)).toEqual(['source.url']);
  });

  it('the git target must not reuse the source or status branch', () => {
    expect(
      problemsOf('source: {url: ., branch: main}\ntargets:\n  - git: {branch: flotilla-status}\n  - git: {branch: main}\n').map(
        (p) => p.path,
      ),
    ).toEqual(['targets[0].git.branch', 'targets[1].git.branch']);
  });

  it('broken YAML and a missing source are reported too', () => {
    expect(problemsOf('source: [\n')[0]!.path).toBe('(file)');
    expect(problemsOf('targets: []\n')).toEqual([{ path: 'source', message: 'required' }]);
  });
});

describe('metrics: section', () => {
  const head = 'source: {url: /srv/fleet}\ntargets: [{directory: {path: out}}]\n';
  it('is absent by default; given, it has the predefined Istio queries unless replaced', () => {
    expect(load(head).config.metrics).toBeNull();
    const { config } = load(
      `${head}metrics:\n  prometheus: {url: "http://prom:9090/"}\n  queries: {request-duration: "max(x)", errors: "sum(y)"}\n`,
    );
    expect(config.metrics!.prometheus).toEqual({ url: 'http://prom:9090', timeoutSeconds: 5 });
    expect(config.metrics!.queries['request-duration']).toBe('max(x)');
    expect(config.metrics!.queries.errors).toBe('sum(y)');
    expect(config.metrics!.queries['request-success-rate']).toContain('istio_requests_total');
  });
  it('refuses a URL with credentials or another scheme, unknown keys and a timeout out of range', () => {
    expect(problemsOf(`${head}metrics:\n  prometheus: {url: "http://u:p@prom:9090", timeoutSeconds: 0}\n  query: {}\n`)).toEqual([
      { path: 'metrics.query', message: expect.stringContaining('unknown') },
      { path: 'metrics.prometheus.url', message: expect.stringContaining('must be an http(s) URL without credentials') },
      { path: 'metrics.prometheus.timeoutSeconds', message: expect.any(String) },
    ]);
  });
});
