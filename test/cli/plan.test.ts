import { afterAll, describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseMaxMove, planCommand } from '../../src/cli/commands/plan.js';
import { cleanupRepos, commitFiles, makeRepo } from '../helpers/git.js';
import { runCommand, scenarioRepo, seedFiles } from '../plan/scenarios.js';

const run = (argv: string[]) => runCommand(planCommand, argv);

afterAll(cleanupRepos);

describe('flotilla plan: command line and bad input', () => {
  it('unknown --base ref → FlotillaError UNKNOWN_REF naming the flag and the ref (main prints it, exit 1)', async () => {
    const { dir } = await makeRepo(seedFiles());
    await expect(run(['--repo', dir, '--base', 'no-such-branch'])).rejects.toMatchObject({
      code: 'UNKNOWN_REF',
      message: expect.stringContaining('--base no-such-branch: unknown revision "no-such-branch"'),
    });
  });

  it('unknown --head ref names --head', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    await expect(run(['--repo', dir, '--base', commit, '--head', 'deadbeef'])).rejects.toMatchObject({
      code: 'UNKNOWN_REF',
      message: expect.stringContaining('--head deadbeef'),
    });
  });

  it('--base is required; --format and --max-move are checked', async () => {
    await expect(run([])).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('--base is required') });
    await expect(run(['--base', 'HEAD', '--format', 'yaml'])).rejects.toMatchObject({ code: 'USAGE' });
    expect(() => parseMaxMove('150')).toThrow(/between 0 and 100/);
    expect(parseMaxMove('30%')).toBe(0.3);
    expect(parseMaxMove(undefined)).toBe(0.5);
  });

  it('same commit as base and head → "no changes", exit 0', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    const r = await run(['--repo', dir, '--base', commit, '--head', commit]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flotilla plan \w{7} → \w{7}: no changes\n/);
  });

  it('--head omitted plans the working tree (uncommitted weight edit → exit 2)', async () => {
    const { dir, commit } = await makeRepo(seedFiles());
    writeFileSync(
      path.join(dir, '05-nginx.yaml'),
      seedFiles()['05-nginx.yaml']!.replace('weight: 60', 'weight: 50').replace('weight: 40', 'weight: 50'),
    );
    const r = await run(['--repo', dir, '--base', commit, '--format', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.head.revision).toBe('worktree');
    expect(doc.workloads[0].clusters.map((c: { after: number }) => c.after)).toEqual([5, 5]);
  });

  it('head with errors: exit 1, diagnostics printed, and the changes it could compute still shown', async () => {
    const { dir, base, head } = await scenarioRepo('invalid-head');
    const r = await run(['--repo', dir, '--base', base, '--head', head, '--format', 'markdown']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('**Head has 2 errors**');
    expect(r.stdout).toContain('YAML_PARSE');
    expect(r.stdout).toContain('➖ delete `Deployment default/web-frontend`');
  });

  it('--path limits both revisions to a folder', async () => {
    const files = Object.fromEntries(Object.entries(seedFiles()).map(([k, v]) => [`fleet/${k}`, v]));
    const { dir, commit } = await makeRepo({ ...files, 'other/broken.yaml': 'a: [' });
    const next = await commitFiles(
      dir,
      { 'fleet/05-nginx.yaml': files['fleet/05-nginx.yaml']!.replace('replicas: 10', 'replicas: 20') },
      'scale nginx',
    );
    const r = await run(['--repo', dir, '--base', commit, '--head', next, '--path', 'fleet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('cluster-hangzhou  6→12');
  });
});
