import { afterAll, describe, it, expect } from 'vitest';
import { diffCommand } from '../../src/cli/commands/diff.js';
import { cleanupRepos, commitFiles, makeRepo } from '../helpers/git.js';
import { expectGolden } from '../helpers/golden.js';
import { runCommand, scenarioRepo, seedFiles } from '../plan/scenarios.js';
import { statusFiles, writeStatusBranch } from '../diff/status-branch.js';

afterAll(cleanupRepos);

const run = (argv: string[]) => runCommand(diffCommand, argv);

/** A fleet repo at the scenario's head whose status branch records the seed as applied. */
async function scenarioWithStatus(name: string) {
  const repo = await scenarioRepo(name);
  await writeStatusBranch(repo.dir, statusFiles(seedFiles(), repo.base));
  return repo;
}

describe('flotilla diff against the status branch', () => {
  for (const name of ['weight-change', 'override-change', 'cluster-removed', 'priority-takeover']) {
    it(`${name}: unified diff per object matches test/golden/diff/${name}.txt, exit 2`, async () => {
      const { dir } = await scenarioWithStatus(name);
      const r = await run(['--repo', dir, '--ref', 'HEAD']);
      expect(r.code).toBe(2);
      expectGolden(`diff/${name}.txt`, r.stdout);
    });
  }

  it('weight-change: only spec.replicas lines differ (source-revision annotation and server fields ignored)', async () => {
    const { dir } = await scenarioWithStatus('weight-change');
    const r = await run(['--repo', dir, '--ref', 'HEAD']);
    const changed = r.stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual(['-  replicas: 6', '+  replicas: 5', '-  replicas: 4', '+  replicas: 5']);
    expect(r.stdout).toContain(
      '--- live/cluster-hangzhou/default/deployment-nginx.yaml\n+++ desired/cluster-hangzhou/default/deployment-nginx.yaml\n',
    );
  });

  it('status branch equal to desired → "no differences", exit 0; found as origin/flotilla-status too', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    await writeStatusBranch(dir, statusFiles(seedFiles(), commit), 'refs/remotes/origin/flotilla-status');
    const r = await run(['--repo', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /# no differences: desired worktree matches origin\/flotilla-status at \w{7} \(applied \w{7}\) \(28 objects\)/,
    );
  });

  it('live objects carrying server fields (status, uid, managedFields, resourceVersion) show no difference', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    const files = statusFiles(seedFiles(), commit);
    const p = 'manifests/cluster-hangzhou/default/deployment-nginx.yaml';
    files[p] =
      files[p]!.replace(
        'metadata:\n',
        'metadata:\n  uid: 1234\n  resourceVersion: "99"\n  generation: 3\n  creationTimestamp: ' +
          '"2024-01-01T00:00:00Z"\n  managedFields: [{manager: kubectl}]\n',
      ) + 'status:\n  readyReplicas: 6\n';
    await writeStatusBranch(dir, files);
    const r = await run(['--repo', dir, '--format', 'json']);
    expect(JSON.parse(r.stdout).objects).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('no status branch yet → every object is added, with a note; exit 2', async () => {
    const { dir } = await makeRepo(seedFiles());
    const r = await run(['--repo', dir, '--ref', 'main', '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.note).toContain('no status branch flotilla-status (nor origin/flotilla-status) yet');
    expect(doc.summary).toMatchObject({ added: 28, removed: 0, changed: 0 });
    expect(doc.objects[0].diff.startsWith('--- /dev/null\n+++ desired/')).toBe(true);
  });

  it('--status-branch NAME reads another branch', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    await writeStatusBranch(dir, statusFiles(seedFiles(), commit), 'refs/heads/status-prod');
    expect((await run(['--repo', dir, '--status-branch', 'status-prod'])).code).toBe(0);
    expect((await run(['--repo', dir])).code).toBe(2);
  });

  it('Secret values are redacted on both sides (no function of the value), yet a changed value shows as a changed line', async () => {
    const secret = (v: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: kurator-system\ntype: ` +
      `Opaque\ndata:\n  password: ${v}\nstringData:\n  user: admin\n`;
    const { dir, commit } = await makeRepo({ ...seedFiles(), 'zz-secret.yaml': secret('c2VjcmV0MQ==') });
    await writeStatusBranch(dir, statusFiles({ ...seedFiles(), 'zz-secret.yaml': secret('c2VjcmV0MQ==') }, commit));
    await commitFiles(dir, { 'zz-secret.yaml': secret('c2VjcmV0Mg==') }, 'rotate');
    const r = await run(['--repo', dir, '--ref', 'HEAD']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('c2VjcmV0');
    expect(r.stdout).not.toContain('admin');
    expect(r.stdout).toContain('-  password: <redacted>\n+  password: <redacted, changed>\n');
    expect(r.stdout).not.toMatch(/sha256|[0-9a-f]{8}>/);
    expectGolden('diff/secret-rotated.txt', r.stdout);
  });

  it('invalid desired state: --format github prints ::error annotations on file:line, exit 1', async () => {
    const { dir } = await scenarioWithStatus('invalid-head');
    const r = await run(['--repo', dir, '--ref', 'HEAD', '--format', 'github']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::error file=13-web-frontend.yaml,line=11,col=13,title=YAML_PARSE::');
    expect(r.stdout).toMatch(/::group::cluster cluster-hangzhou: 1 removed\n::stop-commands::flotilla-[0-9a-f]{24}\n/);
    expectGolden('diff/invalid-head.github.txt', r.stdout);
  });

  it('unknown --ref → UNKNOWN_REF', async () => {
    const { dir } = await makeRepo(seedFiles());
    await expect(run(['--repo', dir, '--ref', 'nope'])).rejects.toMatchObject({ code: 'UNKNOWN_REF' });
  });
});
