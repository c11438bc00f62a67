// Kustomize folders and operator-configured generators, built for real: kubectl's kustomize on a
// base and two per-region overlays, a shell script standing in for helm, and generators that hang,
// flood their output, or try to write into the checkout.
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultBuildConfig, type BuildConfig, type GeneratorConfig } from '../../src/config/schema.js';
import { buildSourceFiles, SourceBuilder } from '../../src/generate/builder.js';
import { parseConfig } from '../../src/config/load.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { withScope } from '../../src/validate/scope.js';
import { duplicatedFleet, manifestOn, split } from '../helpers/fleet.js';
import { cleanupRepos, makeRepo } from '../helpers/git.js';
import { fixtureBuildConfig, fixtureRepository, kustomizeAvailable } from '../helpers/kustomize.js';

const withKustomize = await kustomizeAvailable();
const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
  await cleanupRepos();
});

/** A generator script in a scratch folder (outside any repository, as an operator's program is). */
async function script(body: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-gen-'));
  scratch.push(dir);
  const file = path.join(dir, 'gen.sh');
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

function generator(command: string[], extra: Partial<GeneratorConfig> = {}): BuildConfig {
  const config = defaultBuildConfig();
  config.generators = [{ name: 'test', match: 'Marker', command, timeoutSeconds: 10, maxOutputBytes: 1 << 20, env: [], ...extra }];
  return config;
}

const MARKED = [
  { path: 'app/Marker', text: '' },
  { path: 'app/values.txt', text: 'v\n' },
];

describe.skipIf(!withKustomize)('Kustomize folders (kubectl kustomize; FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)', () => {
  it('a base and two per-region overlays: each overlay built once, the base never on its own, placed by its region policy', async () => {
    const files = await buildSourceFiles(await fixtureRepository('kustomize'), await fixtureBuildConfig());
    expect(files.map((f) => f.path)).toEqual([
      'apps/web/overlays/eu/(kustomize build)',
      'apps/web/overlays/us/(kustomize build)',
      'charts/cache/(generator helm)',
      'fleet.yaml',
      'policies.yaml',
    ]);
    const result = renderFleet({ files, revision: 'worktree' });
    expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(split(result, 'Deployment', 'web-eu', 'web')).toEqual({ 'eu-1': 2, 'eu-2': 2 });
    expect(split(result, 'Deployment', 'web-us', 'web')).toEqual({ 'us-1': 3, 'us-2': 3 });
    const eu = manifestOn(result, 'eu-1', 'Deployment', 'web-eu')!;
    expect(eu.spec.template.spec.containers[0].image).toBe('registry.eu.example.com/nginx:1.27');
    expect(eu.metadata.annotations['flotilla.dev/source-path']).toBe('apps/web/overlays/eu/(kustomize build)');
    // The configMapGenerator read a non-YAML file of the base.
    expect(manifestOn(result, 'us-2', 'ConfigMap', 'web-settings-us')!.data['settings.properties']).toContain('greeting=hello');
    expect(manifestOn(result, 'eu-1', 'Service', 'web-us')).toBeUndefined();
  });

  it('the same files build the same bytes', async () => {
    const config = await fixtureBuildConfig();
    const a = await buildSourceFiles(await fixtureRepository('kustomize'), config);
    const b = await buildSourceFiles(await fixtureRepository('kustomize'), config);
    expect(b).toEqual(a);
  });

  it('a commit touching one overlay rebuilds that overlay only; touching the base rebuilds both; a plain file none', async () => {
    const builder = new SourceBuilder(await fixtureBuildConfig());
    await builder.update(await fixtureRepository('kustomize'));
    expect(builder.lastBuilds).toBe(3);
    const eu = await builder.update([{ path: 'apps/web/overlays/eu/image.yaml', text: imagePatch('registry.eu.example.com/nginx:1.28') }]);
    expect(builder.lastBuilds).toBe(1);
    expect(eu.map((c) => c.path)).toEqual(['apps/web/overlays/eu/(kustomize build)']);
    expect(eu[0]!.text).toContain('nginx:1.28');
    await builder.update([{ path: 'apps/web/base/settings.properties', text: 'greeting=hi\n' }]);
    expect(builder.lastBuilds).toBe(2);
    const plain = await builder.update([
      { path: 'fleet.yaml', text: (await fixtureRepository('kustomize')).find((f) => f.path === 'fleet.yaml')!.text + '\n' },
    ]);
    expect(builder.lastBuilds).toBe(0);
    expect(plain.map((c) => c.path)).toEqual(['fleet.yaml']);
  });

  it('a broken kustomization is a BUILD_FAILED error at the file kustomize names, with its message and no scratch path', async () => {
    const files = await buildSourceFiles(
      [
        { path: 'app/kustomization.yaml', text: 'resources: [deployment.yaml]\npatches: [{path: missing-patch.yaml}]\n' },
        { path: 'app/deployment.yaml', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n' },
      ],
      defaultBuildConfig(),
    );
    const result = renderFleet({ files, revision: 'worktree' });
    expect(result.diagnostics).toHaveLength(1);
    const d = result.diagnostics[0]!;
    expect([d.severity, d.code, d.file, d.line]).toEqual(['error', 'BUILD_FAILED', 'app/kustomization.yaml', 1]);
    expect(d.message).toMatch(/^kustomize build of app: kubectl exited with status 1: .*missing-patch\.yaml/s);
    expect(d.message).not.toContain(tmpdir());
    // No klog timestamp: the same failure is the same diagnostic on the next pass.
    expect(d.message).not.toMatch(/\d\d:\d\d:\d\d\.\d+/);
  });

  it('a remote base is refused before kustomize runs (BUILD_REMOTE_RESOURCE)', async () => {
    const files = await buildSourceFiles(
      [{ path: 'app/kustomization.yaml', text: 'resources:\n  - https://github.com/example/fleet//base?ref=v1\n' }],
      defaultBuildConfig(),
    );
    const [d] = renderFleet({ files, revision: 'worktree' }).diagnostics;
    expect([d!.code, d!.file]).toEqual(['BUILD_REMOTE_RESOURCE', 'app/kustomization.yaml']);
  });
});

function imagePatch(image: string): string {
  return (
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n' +
    `      containers:\n        - name: web\n          image: ${image}\n`
  );
}

describe('generators', () => {
  it('a generator that hangs is stopped at its timeout, with what it started, and reported as BUILD_TIMEOUT', async () => {
    const started = Date.now();
    const gen = await script('echo starting >&2\nsleep 60\necho never');
    const files = await buildSourceFiles(MARKED, generator([gen], { timeoutSeconds: 1 }));
    expect(Date.now() - started).toBeLessThan(8000);
    const [d] = renderFleet({ files, revision: 'worktree' }).diagnostics;
    expect([d!.severity, d!.code, d!.file]).toEqual(['error', 'BUILD_TIMEOUT', 'app/Marker']);
    expect(d!.message).toContain('stopped after 1 s');
    expect(d!.message).toContain('starting');
  });

  it('a generator that floods its output is stopped at maxOutputBytes (BUILD_OUTPUT_LIMIT)', async () => {
    const gen = await script('while :; do echo "data: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done');
    const files = await buildSourceFiles(MARKED, generator([gen], { maxOutputBytes: 64 * 1024 }));
    const [d] = renderFleet({ files, revision: 'worktree' }).diagnostics;
    expect([d!.code, d!.file]).toEqual(['BUILD_OUTPUT_LIMIT', 'app/Marker']);
    expect(d!.message).toContain('passed 65536 bytes');
  });

  it('a failing generator is BUILD_FAILED with its standard error', async () => {
    const gen = await script('echo "template: values.txt:1: function \\"oops\\" not defined" >&2\nexit 3');
    const files = await buildSourceFiles(MARKED, generator([gen]));
    const [d] = renderFleet({ files, revision: 'worktree' }).diagnostics;
    expect([d!.code, d!.file]).toEqual(['BUILD_FAILED', 'app/values.txt']);
    expect(d!.message).toMatch(
      /^generator test in app: \S+gen\.sh exited with status 3: template: values\.txt:1: function "oops" not defined$/,
    );
  });

  it('runs in a copy of the folder as working directory, with only PATH, a scratch HOME and the named variables', async () => {
    const repo = await mkdtemp(path.join(tmpdir(), 'flotilla-checkout-'));
    scratch.push(repo);
    await writeFile(path.join(repo, 'Marker'), '');
    const gen = await script(
      [
        'touch written-by-generator ../outside',
        'echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: env}"; echo "data:"',
        'echo "  values: \\"$(cat values.txt)\\""',
        "echo \"  names: \\\"$(env | cut -d= -f1 | grep -v '^PWD$' | grep -v '^SHLVL$' | grep -v '^_$' | sort | tr '\\n' ' ')\\\"\"",
      ].join('\n'),
    );
    const config = generator([gen], { env: ['ALLOWED_TOKEN'] });
    const builder = new SourceBuilder(config, { env: { ALLOWED_TOKEN: 'a', OTHER_SECRET: 'b' } });
    await builder.update(MARKED);
    const result = renderFleet({ files: builder.current(), revision: 'worktree' });
    const cm = result.model.resources.find((r) => r.name === 'env')!.object as { data: Record<string, string> };
    expect(cm.data.values).toBe('v');
    expect(cm.data.names!.trim().split(' ')).toEqual(['ALLOWED_TOKEN', 'HOME', 'PATH']);
    // The builder works on its own copy: the checkout it was read from is untouched.
    expect(await readdir(repo)).toEqual(['Marker']);
  });

  it('the fake helm generator renders the chart folder (a test script standing in for helm template)', async () => {
    const files = await buildSourceFiles(
      (await fixtureRepository('kustomize')).filter((f) => f.path.startsWith('charts/')),
      await fixtureBuildConfig(),
    );
    expect(files.map((f) => f.path)).toEqual(['charts/cache/(generator helm)']);
    expect(files[0]!.text).toContain('name: cache\n  namespace: web\ndata:\n  size: "128"');
  });
});

describe.skipIf(!withKustomize)('what a build produces is judged and placed like the folder it comes from', () => {
  it('the scope of the overlay folder judges the overlay build (SCOPE_DENIED for web-eu only)', async () => {
    const files = await buildSourceFiles(await fixtureRepository('kustomize'), await fixtureBuildConfig());
    const { config } = parseConfig(
      'source: {url: /x}\nscope:\n  paths:\n    - {path: apps/web/overlays/eu, namespaces: {allow: ["eu-*"]}}\n',
      { env: null, baseDir: '/' },
    );
    const denied = withScope(renderFleet({ files, revision: 'worktree' }), config.scope).diagnostics.filter(
      (d) => d.code === 'SCOPE_DENIED',
    );
    expect(new Set(denied.map((d) => d.file))).toEqual(new Set(['apps/web/overlays/eu/(kustomize build)']));
    expect(denied.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!withKustomize)('a kustomization of one scope path naming another path’s folder as its base', () => {
  const platform = [
    { path: 'platform/kustomization.yaml', text: 'resources: [guard.yaml]\n' },
    {
      path: 'platform/guard.yaml',
      text:
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n' +
        'metadata: {name: deny-all, namespace: payments}\nspec: {podSelector: {}}\n',
    },
  ];
  // The team's overlay of the platform's folder, deleting its guard.
  const overlay = {
    path: 'teams/web/kustomization.yaml',
    text:
      'resources: [../../platform]\npatches:\n- patch: |\n    $patch: delete\n    apiVersion: networking.k8s.io/v1\n' +
      '    kind: NetworkPolicy\n    metadata: {name: deny-all, namespace: payments}\n',
  };
  const built = async (paths: string[]) =>
    (await buildSourceFiles([...platform, overlay], { ...(await fixtureBuildConfig()), scopePaths: paths.map((path) => ({ path })) })).map(
      (f) => f.path,
    );

  it('does not stop that folder’s own build: the team cannot take the platform’s objects out of the render', async () => {
    expect(await built(['teams/web'])).toEqual(['platform/(kustomize build)', 'teams/web/(kustomize build)']);
  });

  it('under the same scope path (or without scope paths) the base is built only as part of the overlay, as before', async () => {
    expect(await built([])).toEqual(['teams/web/(kustomize build)']);
    // The team's own base, under its own path.
    const own = [...platform.map((f) => ({ ...f, path: f.path.replace('platform/', 'teams/web/base/') })), overlay].map((f) =>
      f === overlay ? { path: 'teams/web/overlays/eu/kustomization.yaml', text: 'resources: [../../base]\n' } : f,
    );
    const files = await buildSourceFiles(own, { ...(await fixtureBuildConfig()), scopePaths: [{ path: 'teams/web' }] });
    expect(files.map((f) => f.path)).toEqual(['teams/web/overlays/eu/(kustomize build)']);
  });
});

describe('what a build may read', () => {
  const problems = async (files: Array<{ path: string; text: string }>, paths: string[]) =>
    (await buildSourceFiles(files, { ...defaultBuildConfig(), scopePaths: paths.map((path) => ({ path })) }))
      .filter((f) => f.problem)
      .map((f) => `${f.problem!.code} ${f.problem!.file}: ${f.problem!.message.split(': ').slice(1).join(': ')}`);
  const cm = (name: string, namespace: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\n`;

  it('a resource path that leaves the repository is BUILD_OUTSIDE_REPOSITORY, before kustomize runs', async () => {
    const files = [{ path: 'teams/web/kustomization.yaml', text: 'resources: [../../../../host/dir]\n' }];
    expect(await problems(files, [])).toEqual([
      'BUILD_OUTSIDE_REPOSITORY teams/web/kustomization.yaml: "../../../../host/dir" leaves the repository; ' +
        'flotilla builds only what the repository holds',
    ]);
  });

  it("reading another scope path's files is BUILD_ACROSS_SCOPE_PATHS: the platform's aggregator of team folders", async () => {
    const files = [
      { path: 'teams/kustomization.yaml', text: 'resources: [web, payments]\n' },
      { path: 'teams/web/kustomization.yaml', text: 'resources: [cm.yaml]\n' },
      { path: 'teams/web/cm.yaml', text: cm('web', 'web') },
      { path: 'teams/payments/kustomization.yaml', text: 'resources: [cm.yaml]\n' },
      { path: 'teams/payments/cm.yaml', text: cm('payments', 'payments') },
    ];
    expect(await problems(files, ['teams/web', 'teams/payments'])).toEqual([
      'BUILD_ACROSS_SCOPE_PATHS teams/kustomization.yaml: it would read teams/payments/cm.yaml, which another scope path ' +
        "governs; a build reads only its own scope path's files (and scope.default's), since everything it makes is judged " +
        "by its own path's rule",
    ]);
  });

  it("and a team's folder holding a folder another path governs (the platform's guardrails inside it)", async () => {
    const files = [
      { path: 'teams/web/kustomization.yaml', text: 'resources: [cm.yaml]\n' },
      { path: 'teams/web/cm.yaml', text: cm('web', 'web') },
      { path: 'teams/web/guardrails/guard.yaml', text: cm('guard', 'web') },
    ];
    expect((await problems(files, ['teams/web', 'teams/web/guardrails']))[0]).toMatch(
      /^BUILD_ACROSS_SCOPE_PATHS teams\/web\/kustomization.yaml: it would read teams\/web\/guardrails\/guard.yaml/,
    );
  });
});

describe('Kurator Application sync policies that are not kustomizations', () => {
  const fleet = { path: 'fleet.yaml', text: duplicatedFleet(['member-a', 'member-b']).replace('name: f,', 'name: quickstart,') };
  const helmApp = {
    path: 'app.yaml',
    text: [
      'apiVersion: apps.kurator.dev/v1alpha1',
      'kind: Application',
      'metadata: {name: helmrepo-helmrelease-demo, namespace: default}',
      'spec:',
      '  source:',
      '    helmRepository: {interval: 5m, url: "https://charts.example.com/podinfo"}',
      '  syncPolicies:',
      '    - destination: {fleet: quickstart}',
      '      helm:',
      '        releaseName: podinfo',
      '        chart: {spec: {chart: podinfo, version: 6.5.0}}',
      '        values: {replicaCount: 3}',
      '',
    ].join('\n'),
  };

  it("a helm policy runs the operator's helm generator with the release, chart and values, and is placed on the fleet", async () => {
    const gen = await script(
      [
        'echo "apiVersion: v1"; echo "kind: ConfigMap"',
        'echo "metadata: {name: $FLOTILLA_HELM_RELEASE, namespace: $FLOTILLA_HELM_NAMESPACE}"',
        'echo "data: {chart: \\"$FLOTILLA_HELM_CHART@$FLOTILLA_HELM_VERSION from $FLOTILLA_HELM_REPO_URL\\","',
        'echo "  values: \\"$(cat $FLOTILLA_HELM_VALUES)\\"}"',
      ].join('\n'),
    );
    const config = generator([gen]);
    config.generators[0]!.name = 'helm';
    const result = renderFleet({ files: await buildSourceFiles([fleet, helmApp], config), revision: 'worktree' });
    expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    const cm = manifestOn(result, 'member-b', 'ConfigMap', 'podinfo')!;
    expect(cm.data).toEqual({ chart: 'podinfo@6.5.0 from https://charts.example.com/podinfo', values: 'replicaCount: 3' });
    expect(split(result, 'ConfigMap', 'podinfo')).toEqual({ 'member-a': null, 'member-b': null });
  });

  it('without a helm generator the policy is UNSUPPORTED_SOURCE at the Application; a missing fleet is INVALID_POLICY', async () => {
    const unsupported = renderFleet({ files: await buildSourceFiles([fleet, helmApp], defaultBuildConfig()), revision: 'worktree' });
    expect(unsupported.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.file, d.line])).toEqual([
      ['UNSUPPORTED_SOURCE', 'app.yaml', 1],
    ]);
    expect(unsupported.diagnostics.find((d) => d.code === 'UNSUPPORTED_SOURCE')!.message).toContain('generator named "helm"');
    const noFleet = renderFleet({
      files: await buildSourceFiles(
        [fleet, { ...helmApp, text: helmApp.text.replace('fleet: quickstart', 'fleet: elsewhere') }],
        defaultBuildConfig(),
      ),
      revision: 'worktree',
    });
    expect(noFleet.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['INVALID_POLICY']);
  });
});

describe.skipIf(!withKustomize)('an Application over the fleet repository itself', () => {
  it('builds its path from that repository, and the path is not also built on its own (no duplicates)', async () => {
    const files = {
      'fleet.yaml': duplicatedFleet(['member-a', 'member-b']).replace('name: f,', 'name: quickstart,'),
      'deploy/kustomization.yaml': 'resources: [settings.yaml]\n',
      'deploy/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: "1"}\n',
    };
    const { dir, commit } = await makeRepo(files);
    const application = [
      'apiVersion: apps.kurator.dev/v1alpha1',
      'kind: Application',
      'metadata: {name: self, namespace: default}',
      'spec:',
      `  source: {gitRepository: {url: ${dir}, ref: {branch: main}}}`,
      '  syncPolicies: [{destination: {fleet: quickstart}, kustomization: {path: ./deploy, prune: true}}]',
      '',
    ].join('\n');
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'flotilla-app-cache-'));
    scratch.push(cacheDir);
    const builder = new SourceBuilder(defaultBuildConfig(), { applications: { fleetUrl: dir, cacheDir } });
    await builder.update([...Object.entries(files).map(([p, text]) => ({ path: p, text })), { path: 'app.yaml', text: application }]);
    expect(builder.current().map((f) => f.path)).toEqual(['app.yaml', 'app.yaml (Application default/self self-0)', 'fleet.yaml']);
    expect(builder.applicationRevisions()).toEqual([
      { application: 'default/self', file: 'app.yaml', url: dir, ref: 'branch main', revision: commit },
    ]);
    const result = renderFleet({ files: builder.current(), revision: 'worktree' });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(split(result, 'ConfigMap', 'settings')).toEqual({ 'member-a': null, 'member-b': null });

    // An Application under another scope path than the folder does not take the folder's own build over.
    const scoped = new SourceBuilder(
      { ...defaultBuildConfig(), scopePaths: [{ path: 'teams/web' }] },
      { applications: { fleetUrl: dir, cacheDir } },
    );
    await scoped.update([
      ...Object.entries(files).map(([p, text]) => ({ path: p, text })),
      { path: 'teams/web/app.yaml', text: application },
    ]);
    expect(scoped.current().map((f) => f.path)).toEqual([
      'deploy/(kustomize build)',
      'fleet.yaml',
      'teams/web/app.yaml',
      'teams/web/app.yaml (Application default/self self-0)',
    ]);

    // Over the fleet repository, it reads only its own scope path's folders (and scope.default's).
    const across = new SourceBuilder(
      { ...defaultBuildConfig(), scopePaths: [{ path: 'teams/web' }, { path: 'deploy' }] },
      { applications: { fleetUrl: dir, cacheDir } },
    );
    await across.update([
      ...Object.entries(files).map(([p, text]) => ({ path: p, text })),
      { path: 'teams/web/app.yaml', text: application },
    ]);
    expect(across.current().find((f) => f.path.includes('(Application'))?.problem).toMatchObject({
      code: 'BUILD_ACROSS_SCOPE_PATHS',
      file: 'teams/web/app.yaml',
      message: expect.stringContaining('it would read deploy/kustomization.yaml, which another scope path governs'),
    });

    // A local path other than the fleet repository's own is not fetched: it would read the host's repositories.
    const elsewhere = new SourceBuilder(defaultBuildConfig(), { applications: { fleetUrl: `${dir}-other`, cacheDir } });
    await elsewhere.update([...Object.entries(files).map(([p, text]) => ({ path: p, text })), { path: 'app.yaml', text: application }]);
    expect(elsewhere.current().find((f) => f.path.includes('(Application'))?.problem).toMatchObject({
      code: 'UNSUPPORTED_SOURCE',
      message: expect.stringContaining("a local path is fetched only when it is the fleet repository's own"),
    });
  });
});
