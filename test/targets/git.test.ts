// The git target on a local repository: a rendered-manifests branch, one folder per cluster,
// a commit only when the content changed, the source revision in its message.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { configFrom, reconcilerFor, seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

describe('git target', () => {
  it('renders onto flotilla-rendered: the layout per cluster, same tree as the status manifests, commits only on change', async () => {
    const { dir, commit } = await makeRepo(await seedFiles());
    const base = await makeTempDir();
    const { reconciler } = await reconcilerFor(configFrom(`source: {url: ${dir}}\ntargets:\n  - git: {branch: flotilla-rendered}\n`, base));
    const o = await reconciler.reconcileOnce();
    expect(o.targets).toEqual([expect.objectContaining({ name: 'git:flotilla-rendered', phase: 'Applied', created: 28 })]);
    expect(await git(dir, 'log', '--format=%s', 'flotilla-rendered')).toBe(`flotilla: render ${commit}`);
    expect((await git(dir, 'ls-tree', '--name-only', 'flotilla-rendered')).split('\n')).toEqual([
      'cluster-frankfurt',
      'cluster-hangzhou',
      'cluster-shanghai',
      'cluster-zone-a',
      'cluster-zone-b',
      'ondemand-cluster',
      'spot-cluster',
    ]);
    expect(await git(dir, 'rev-parse', 'flotilla-rendered^{tree}')).toBe(await git(dir, 'rev-parse', 'flotilla-status:manifests'));
    expect(await git(dir, 'show', 'flotilla-rendered:cluster-hangzhou/default/deployment-nginx.yaml')).toContain('replicas: 6');

    // A commit that renders the same objects: no new rendered commit.
    await commitFiles(dir, { 'README.md': '# fleet\n' }, 'docs only');
    const same = await reconciler.reconcileOnce();
    expect(same.targets[0]).toMatchObject({ phase: 'Unchanged' });
    expect(await git(dir, 'rev-list', '--count', 'flotilla-rendered')).toBe('1');

    const nginx = (await seedFiles())['05-nginx.yaml']!.replace('replicas: 10', 'replicas: 20');
    const changed = await commitFiles(dir, { '05-nginx.yaml': nginx }, 'nginx 20');
    const c = await reconciler.reconcileOnce();
    expect(c.targets[0]).toMatchObject({ phase: 'Applied', configured: 2, created: 0, deleted: 0 });
    expect(await git(dir, 'log', '-1', '--format=%B', 'flotilla-rendered')).toContain(
      `flotilla: render ${changed}\n\n0 created, 2 configured, 0 deleted, 26 unchanged.`,
    );
    expect(await git(dir, 'rev-list', '--merges', 'flotilla-rendered')).toBe('');
    expect(await git(dir, 'fsck', '--strict', '--no-dangling')).toBe('');
    void path;
  });
});
