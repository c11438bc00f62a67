// rolledRowsMismatch (src/state/applied-roll-forward.ts): rows proven to be one manifests/ tree's
// files, rolled forward by the files that changed, are checked against the later tree where they
// changed — on real git trees, against what the whole-tree proof (filesMismatch) says.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesMismatch } from '../../src/reconcile/render-index.js';
import { ObjectStore } from '../../src/source/objects.js';
import { rolledRowsMismatch, type RolledState } from '../../src/state/applied-roll-forward.js';
import type { AppliedObject } from '../../src/state/change-set.js';
import { cleanupRepos, commitFiles, git, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

/** A row for the file at `p` with blob `oid` (its id named after the path, as each file holds one object). */
function row(p: string, oid: string, id = p): AppliedObject {
  const [cluster = '', namespace = '', name = ''] = p.split('/');
  return {
    id,
    cluster,
    ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace, name },
    path: p,
    qualified: false,
    oid,
    object: null,
    hash: 'h',
  };
}

/** The tree's files as rows. */
async function rowsOf(dir: string, tree: string): Promise<AppliedObject[]> {
  const listing = await git(dir, 'ls-tree', '-r', '-z', tree);
  return listing
    .split('\0')
    .filter((l) => l !== '')
    .map((l) => {
      const [meta, p] = l.split('\t') as [string, string];
      return row(p, meta.split(' ')[2]!);
    });
}

describe('rolledRowsMismatch', () => {
  it('rows rolled forward by the changed files are the later tree, and a wrong row where files changed is found', async () => {
    const repo = await makeRepo({
      'c1/default/cm-a.yaml': 'a: 1\n',
      'c1/default/cm-b.yaml': 'b: 1\n',
      'c1/gone/cm.yaml': 'a folder that goes\n',
      'c2/default/cm-a.yaml': 'a: 1\n',
      'c3/default/cm-a.yaml': 'never changes\n',
    });
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const from = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    const proven = await rowsOf(repo.dir, from);
    await commitFiles(
      repo.dir,
      {
        'c1/default/cm-a.yaml': 'a: 2\n',
        'c1/gone/cm.yaml': null,
        'c2/default/cm-new.yaml': 'new\n',
        'c4/default/cm.yaml': 'new cluster\n',
      },
      'second',
    );
    const to = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    const changed = await store.changedBlobs(from, to);
    // What rollAppliedForward does: rows of changed paths replaced or dropped, new ones appended.
    const rolledRows = [
      ...proven.filter((o) => !changed.has(o.path)),
      ...[...changed].filter((e): e is [string, string] => e[1] !== null).map(([p, oid]) => row(p, oid)),
    ];
    const rolled = (objects: AppliedObject[]): RolledState => ({ objects, changedFiles: changed.size, changed });
    expect(filesMismatch(rolledRows, to)).toBeNull();
    expect(await rolledRowsMismatch(store, rolled(rolledRows), to)).toBeNull();

    const newRow = (p: string) => rolledRows.find((o) => o.path === p)!;
    const without = (p: string) => rolledRows.filter((o) => o.path !== p);
    const cases: Array<[string, AppliedObject[], RegExp]> = [
      [
        'a changed file with another blob',
        [...without('c1/default/cm-a.yaml'), row('c1/default/cm-a.yaml', 'f'.repeat(40))],
        /cm-a.yaml is not/,
      ],
      [
        'a file of the same folder with another blob',
        [...without('c1/default/cm-b.yaml'), row('c1/default/cm-b.yaml', 'f'.repeat(40))],
        /cm-b.yaml is not/,
      ],
      ['a new file missing', without('c2/default/cm-new.yaml'), /c2\/default\/cm-new.yaml is not the row's file/],
      [
        'a deleted file kept',
        [...rolledRows, row('c1/gone/cm.yaml', proven.find((o) => o.path === 'c1/gone/cm.yaml')!.oid)],
        /rows in c1\/gone/,
      ],
      ['a file of a new cluster missing', without('c4/default/cm.yaml'), /c4\/default\/cm.yaml is not the row's file/],
      [
        "a row read anew with another row's id",
        [...without('c2/default/cm-new.yaml'), { ...newRow('c2/default/cm-new.yaml'), id: 'c3/default/cm-a.yaml' }],
        /c3\/default\/cm-a.yaml twice/,
      ],
    ];
    for (const [what, rows, problem] of cases) {
      expect(filesMismatch(rows, to), what).not.toBeNull();
      expect(await rolledRowsMismatch(store, rolled(rows), to), what).toMatch(problem);
    }
    // Below a folder with no changed path nothing is read again: those rows stand as the write proved them.
    const untouched = [...without('c3/default/cm-a.yaml'), row('c3/default/cm-a.yaml', 'f'.repeat(40))];
    expect(filesMismatch(untouched, to)).not.toBeNull();
    expect(await rolledRowsMismatch(store, rolled(untouched), to)).toBeNull();
  });

  it('to no tree: every row must be gone', async () => {
    const repo = await makeRepo({ 'c1/default/cm.yaml': 'a\n' });
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const from = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    const rows = await rowsOf(repo.dir, from);
    const changed = await store.changedBlobs(from, null);
    expect(await rolledRowsMismatch(store, { objects: [], changedFiles: 1, changed }, null)).toBeNull();
    expect(await rolledRowsMismatch(store, { objects: rows, changedFiles: 1, changed }, null)).toMatch(/rows in c1\/default/);
  });

  it('reads the trees from the packs by position: after git gc no pack is loaded into the store for the process', async () => {
    const repo = await makeRepo({ 'c1/default/cm-a.yaml': 'a: 1\n', 'c1/default/cm-b.yaml': 'b: 1\n' });
    const from = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    const proven = await rowsOf(repo.dir, from);
    await commitFiles(repo.dir, { 'c1/default/cm-a.yaml': 'a: 2\n' }, 'second');
    const to = await git(repo.dir, 'rev-parse', 'HEAD^{tree}');
    await git(repo.dir, 'gc', '-q');
    const store = new ObjectStore(path.join(repo.dir, '.git'));
    const changed = await store.changedBlobs(from, to);
    const rows = [...proven.filter((o) => !changed.has(o.path)), row('c1/default/cm-a.yaml', changed.get('c1/default/cm-a.yaml')!)];
    expect(await rolledRowsMismatch(store, { objects: rows, changedFiles: 1, changed }, to)).toBeNull();
    // isomorphic-git keeps a pack it read from in the cache object it is given: none was.
    expect(Reflect.ownKeys(store.packCache)).toEqual([]);
  });
});
