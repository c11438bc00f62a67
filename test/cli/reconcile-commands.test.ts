// flotilla reconcile / status / doctor / demo, called as Command functions with a fake CommandIO.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeReconcileCommand } from '../../src/cli/commands/reconcile.js';
import { makeStatusCommand } from '../../src/cli/commands/status.js';
import { makeDoctorCommand } from '../../src/cli/commands/doctor.js';
import { demoReconcileCommand } from '../../src/cli/commands/demo-reconcile.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { seedFiles } from '../reconcile/harness.js';
import { ENV, PASSWORD, remoteConfig, serveFleet, type ServedFleet } from '../reconcile/remote-harness.js';

const servers: ServedFleet[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.server.close()));
});
afterAll(cleanupRepos);

async function localSetup(targets = '  - directory: {path: rendered}') {
  const { dir, commit } = await makeRepo(await seedFiles());
  const base = await makeTempDir('flotilla-cli-');
  const config = path.join(base, 'flotilla.yaml');
  await fs.writeFile(config, `source:\n  url: ${dir}\n  branch: main\n  schedule: "* * * * * *"\ntargets:\n${targets}\n`);
  return { dir, commit, base, config };
}

describe('flotilla reconcile', () => {
  it('--once: one pass, the summary on stdout, JSON log lines on stderr, exit 0 when Synced', async () => {
    const { dir, commit, base, config } = await localSetup();
    const io = fakeIO(false);
    const code = await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io);
    expect(code).toBe(0);
    expect(io.out).toContain('phase:          Synced');
    expect(io.out).toContain(`revision:       ${commit}`);
    expect(io.out).toMatch(/cluster-hangzhou\s+yes\s+10/);
    const firstLog = JSON.parse(io.err.split('\n')[0]!);
    expect(firstLog).toMatchObject({ app: 'flotilla', level: 30 });
    expect(await git(dir, 'log', '-1', '--format=%s', 'flotilla-status')).toBe(`flotilla: Synced at ${commit}`);
    expect(await fs.readFile(path.join(base, 'rendered/cluster-hangzhou/default/deployment-nginx.yaml'), 'utf8')).toContain('replicas: 6');
  });

  it('--once on a terminal: human log lines, no JSON', async () => {
    const { config } = await localSetup();
    const io = fakeIO(true);
    await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io);
    expect(io.err).toMatch(/^\d\d:\d\d:\d\d INFO {2}/m);
    expect(io.err).not.toContain('{"level"');
  });

  it('--once on an invalid revision: exit 1, the error with file:line', async () => {
    const { dir, config } = await localSetup();
    await commitFiles(dir, { 'broken.yaml': 'kind: [\n' }, 'broken');
    const io = fakeIO();
    expect(await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io)).toBe(1);
    expect(io.out).toContain('phase:          Invalid (stage load: InvalidRevision)');
    expect(io.out).toMatch(/broken\.yaml:\d+: YAML_PARSE/);
  });

  it('a kubernetes target whose kubeconfig cannot be read fails the start, before anything is reconciled', async () => {
    const { dir, config } = await localSetup('  - kubernetes: {kubeconfig: /nonexistent/kubeconfig}\n  - directory: {path: rendered}');
    await expect(makeReconcileCommand({ env: {} })(['--config', config, '--once'], fakeIO())).rejects.toMatchObject({
      code: 'KUBECONFIG_UNREADABLE',
      message: expect.stringContaining('/nonexistent/kubeconfig'),
    });
    await expect(git(dir, 'rev-parse', '--verify', '-q', 'flotilla-status')).rejects.toThrow();
  });

  it('an invalid config: every problem with its dot-path in one INVALID_CONFIG error', async () => {
    const base = await makeTempDir('flotilla-cli-');
    const config = path.join(base, 'bad.yaml');
    await fs.writeFile(
      config,
      'source:\n  url: https://git.example.com/fleet.git\n  schedule: "61 * * * *"\n  auth: ' +
        '{passwordEnv: NOPE_UNSET}\ntargets:\n  - git: {}\n  - bogus: {}\nsafety: {maxDeletePercent: 150}\n',
    );
    const err = await makeReconcileCommand({ env: {} })(['--config', config, '--once'], fakeIO()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    const message = (err as Error).message;
    for (const p of ['source.schedule', 'source.auth.passwordEnv', 'targets[0].git.branch', 'targets[1]', 'safety.maxDeletePercent'])
      expect(message).toContain(`  ${p}: `);
  });

  it('daemon mode polls on the schedule until stopped', async () => {
    const { dir, config } = await localSetup();
    const io = fakeIO();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const running = makeReconcileCommand({ env: {}, stopSignal: () => stopped })(['--config', config], io);
    // Wait for the first status commit, then push and wait for the schedule to pick it up.
    const waitFor = async (pred: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await pred()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(() =>
      git(dir, 'rev-parse', '--verify', '-q', 'flotilla-status').then(
        () => true,
        () => false,
      ),
    );
    const next = await commitFiles(
      dir,
      { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n' },
      'extra',
    );
    await waitFor(() => git(dir, 'log', '-1', '--format=%s', 'flotilla-status').then((s) => s.includes(next)));
    stop();
    expect(await running).toBe(0);
    expect(await git(dir, 'log', '-1', '--format=%s', 'flotilla-status')).toBe(`flotilla: Synced at ${next}`);
    expect(io.err).toContain('reconciler started');
  });
});

describe('flotilla status', () => {
  it('--repo DIR reads the status branch: text, json; exit 0 when Synced', async () => {
    const { dir, commit, config } = await localSetup();
    await makeReconcileCommand({ env: {} })(['--config', config, '--once'], fakeIO());
    const text = fakeIO();
    expect(await makeStatusCommand({ env: {} })(['--repo', dir], text)).toBe(0);
    expect(text.out).toContain(`revision:       ${commit}`);
    expect(text.out).toContain('directory:');
    const json = fakeIO();
    await makeStatusCommand({ env: {} })(['--repo', dir, '--format', 'json'], json);
    const doc = JSON.parse(json.out);
    expect(doc).toMatchObject({ phase: 'Synced', sourceRevision: commit, lastGoodRevision: commit });
    expect(doc.placements.find((p: { resource: { name: string } }) => p.resource.name === 'nginx').clusters).toEqual([
      { name: 'cluster-hangzhou', replicas: 6 },
      { name: 'cluster-shanghai', replicas: 4 },
    ]);
  });

  it('no status branch: a clear STATUS_NOT_FOUND', async () => {
    const { dir } = await makeRepo({ 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' });
    await expect(makeStatusCommand({ env: {} })(['--repo', dir], fakeIO())).rejects.toMatchObject({ code: 'STATUS_NOT_FOUND' });
  });

  it('--config reads the status branch of the remote source', async () => {
    const fleet = await serveFleet(await seedFiles());
    servers.push(fleet);
    const base = await makeTempDir('flotilla-cli-');
    const config = path.join(base, 'flotilla.yaml');
    await fs.writeFile(config, remoteConfig(fleet.url));
    await makeReconcileCommand({ env: ENV })(['--config', config, '--once'], fakeIO());
    const io = fakeIO();
    expect(await makeStatusCommand({ env: ENV })(['--config', config], io)).toBe(0);
    expect(io.out).toContain('phase:          Synced');
  });
});

describe('flotilla doctor', () => {
  it('local source after a reconcile: every check passes', async () => {
    const { config } = await localSetup();
    await makeReconcileCommand({ env: {} })(['--config', config, '--once'], fakeIO());
    const io = fakeIO();
    expect(await makeDoctorCommand({ env: {} })(['--config', config], io)).toBe(0);
    expect(io.out).toContain('✓ config:');
    expect(io.out).toContain('✓ schedule: "* * * * * *" is a valid cron expression');
    // kubectl's built-in kustomize is on the project's machines (v5.5.0 with kubectl 1.32).
    expect(io.out).toMatch(/✓ kustomize: \S+ \S+ \(kustomize v\d+\.\d+\.\d+/);
    expect(io.out).toContain('✓ git reachable:');
    expect(io.out).toMatch(/✓ source branch: main at [0-9a-f]{40}/);
    expect(io.out).toMatch(/✓ last reconcile: .*Synced at [0-9a-f]{40}/);
  });

  it('wrong password over HTTP: reachable, auth fails naming the URL and never the secret', async () => {
    const fleet = await serveFleet(await seedFiles());
    servers.push(fleet);
    const base = await makeTempDir('flotilla-cli-');
    const config = path.join(base, 'flotilla.yaml');
    await fs.writeFile(config, remoteConfig(fleet.url));
    const io = fakeIO();
    const wrong = 'Not-The-Password-7';
    expect(await makeDoctorCommand({ env: { ...ENV, FLEET_PASSWORD: wrong } })(['--config', config], io)).toBe(1);
    expect(io.out).toContain('✓ git reachable:');
    expect(io.out).toContain(`✗ auth: authentication failed for ${fleet.url}`);
    expect(io.out).not.toContain(wrong);
    expect(io.out).not.toContain(PASSWORD);
  });

  it('an invalid config is reported, not thrown', async () => {
    const base = await makeTempDir('flotilla-cli-');
    const config = path.join(base, 'c.yaml');
    await fs.writeFile(config, 'source: {url: ., schedule: "not cron"}\n');
    const io = fakeIO();
    expect(await makeDoctorCommand({ env: {} })(['--config', config], io)).toBe(1);
    expect(io.out).toContain('✗ config:');
    expect(io.out).toContain('source.schedule');
  });
});

describe('flotilla demo (reconciler)', () => {
  it('makes a repository from fixtures/seed, reconciles once into a directory, commits status', async () => {
    const dir = await makeTempDir('flotilla-demo-test-');
    const io = fakeIO();
    expect(await demoReconcileCommand(['--dir', dir], io)).toBe(0);
    expect(io.out).toContain('phase:          Synced');
    expect(io.out).toContain('28 manifests written');
    expect(await git(path.join(dir, 'fleet'), 'show', 'flotilla-status:README.md')).toContain('# flotilla status: ✅ Synced');
    expect(await fs.readFile(path.join(dir, 'rendered/cluster-shanghai/default/deployment-nginx.yaml'), 'utf8')).toContain('replicas: 4');
  });
});
