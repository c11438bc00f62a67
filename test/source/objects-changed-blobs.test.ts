// ObjectStore.changedBlobs (src/source/objects.ts), what rolling the render index forward reads:
// for any two trees it names exactly the blobs `git diff-tree -r` names, with their new oids, and
// reads only the subtrees that differ.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/source/objects.js';
import { cleanupRepos, commitFiles, git, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

/** What git says changed from `a` to `b`: path → new blob oid, or null where `b` has none. */
async function gitChanges(dir: string, a: string, b: string): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const listing = await git(dir, 'diff-tree', '-r', '-z', '--no-renames', a, b);
  const fields = listing.split('\0').filter((f) => f !== '');
  for (let i = 0; i < fields.length; i += 2) {
    const [, , , newOid, status] = fields[i]!.split(' ') as [string, string, string, string, string];
    out.set(fields[i + 1]!, status === 'D' ? null : newOid);
  }
  return out;
}

const sorted = (m: Map<string, string | null>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('ObjectStore.changedBlobs', () => {
  it('names the blobs git diff-tree names: edits, additions, deletions, a file turned folder and back', async () => {
    const repo = await makeRepo({
      'c1/default/cm-a.yaml': 'a: 1\n',
      'c1/default/cm-b.yaml': 'b: 1\n',
      'c1/_cluster/ns.yaml': 'ns\n',
      'c2/default/cm-a.yaml': 'a: 1\n',
      'c3/x': 'a file that becomes a folder\n',
      'c3/y/z.yaml': 'a folder that becomes a file\n',
      'same/deep/er/file.yaml': 'never changes\n',
    });
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const first = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    await commitFiles(
      repo.dir,
      {
        'c1/default/cm-a.yaml': 'a: 2\n',
        'c1/_cluster/ns.yaml': null,
        'c2/default/cm-new.yaml': 'new\n',
        'c3/x': null,
        'c3/x/inside.yaml': 'now a folder\n',
        'c3/y': 'now a file\n',
        'c4/default/cm.yaml': 'a whole new cluster\n',
      },
      'second',
    );
    const second = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    expect(sorted(await store.changedBlobs(first, second))).toEqual(sorted(await gitChanges(repo.dir, first, second)));
    expect(sorted(await store.changedBlobs(second, first))).toEqual(sorted(await gitChanges(repo.dir, second, first)));
    expect((await store.changedBlobs(first, second)).get('c1/_cluster/ns.yaml')).toBeNull();
    expect((await store.changedBlobs(first, second)).has('same/deep/er/file.yaml')).toBe(false);
    expect((await store.changedBlobs(first, first)).size).toBe(0);
  });

  it('from no tree every blob is new, to no tree every blob is gone', async () => {
    const repo = await makeRepo({ 'c1/a.yaml': 'a\n', 'c2/b/c.yaml': 'c\n' });
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const tree = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    const all = await store.changedBlobs(null, tree);
    expect(sorted(all)).toEqual(sorted(new Map(await store.listTree(tree))));
    expect(sorted(await store.changedBlobs(tree, null))).toEqual([
      ['c1/a.yaml', null],
      ['c2/b/c.yaml', null],
    ]);
  });

  it('fails when a tree is not in the repository (the roll-forward then reads the whole state)', async () => {
    const repo = await makeRepo({ 'a.yaml': 'a\n' });
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const tree = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    await expect(store.changedBlobs('1'.repeat(40), tree)).rejects.toThrow();
  });
});
