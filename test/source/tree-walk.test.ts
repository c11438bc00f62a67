// A revision's files read with the object store's own tree walk (src/source/objects.ts treeEntries,
// used by the reconciler's repositories) are exactly what isomorphic-git's walk gives
// (readRevisionFiles without `objects`): the same files, texts, sizes and known texts reused,
// loose or packed, with symlinks, submodules, dot-folders, a subpath and a file over the limit.
// A tree entry git would not check out is refused, as isomorphic-git refuses it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ObjectStore } from '../../src/source/objects.js';
import { readRevisionFiles, type KnownTexts } from '../../src/source/git-revision.js';
import { cleanupRepos, git, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

const FILES = {
  'fleet.yaml': 'kind: Fleet\n',
  'apps/a/deploy.yaml': 'kind: Deployment\n',
  'apps/a/notes.txt': 'not yaml\n',
  'apps/b/c/svc.yml': 'kind: Service\n',
  'apps/b/link.yaml': { symlink: '../a/deploy.yaml' },
  'apps/.hidden/x.yaml': 'kind: Hidden\n',
  'apps/node_modules/y.yaml': 'kind: Dep\n',
  '.fleet/z.yaml': 'kind: Dot\n',
  'big.yaml': `data: ${'x'.repeat(3000)}\n`,
  'é/ünï.yaml': 'kind: Unicode\n',
};

/** Both readers over one repository, for each (subpath, allFiles, known texts) case. */
async function compareReaders(dir: string, commit: string) {
  const store = new ObjectStore(path.join(dir, '.git'));
  const cases = [
    { subpath: '', allFiles: false },
    { subpath: '', allFiles: true },
    { subpath: 'apps', allFiles: false },
    { subpath: '.fleet', allFiles: false },
  ];
  for (const c of cases) {
    const knownOf = (): KnownTexts => ({
      texts: new Map([
        ['fleet.yaml', 'kind: Fleet\n'],
        ['apps/a/deploy.yaml', 'kind: Deployment (an older text)\n'],
      ]),
      reused: 0,
    });
    const [k1, k2] = [knownOf(), knownOf()];
    const opts = { dir, commit, subpath: c.subpath, allFiles: c.allFiles, maxFileBytes: 2048 };
    const walked = await readRevisionFiles({ ...opts, known: k1 });
    const native = await store.withPackReader(() => readRevisionFiles({ ...opts, known: k2, objects: store }));
    expect(native, JSON.stringify(c)).toEqual(walked);
    expect(k2.reused).toBe(k1.reused);
    if (c.subpath === '' && !c.allFiles) {
      expect(walked.map((f) => f.path)).toEqual(['apps/a/deploy.yaml', 'apps/b/c/svc.yml', 'big.yaml', 'fleet.yaml', 'é/ünï.yaml']);
      expect(walked.find((f) => f.path === 'big.yaml')).toMatchObject({ tooLarge: true, size: 3007 });
      expect(k1.reused).toBe(1);
    }
  }
}

/** `git mktree` of one entry line; null when git refuses it. */
function mktree(dir: string, line: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = execFile('git', ['mktree'], { cwd: dir }, (err, out) => resolve(err ? null : String(out).trim()));
    child.stdin!.end(line);
  });
}

describe('the object store tree walk', () => {
  it('reads what isomorphic-git walk reads, from loose objects and from a pack, a submodule entry skipped', async () => {
    const { dir } = await makeRepo(FILES);
    // A submodule entry (a gitlink): no content of its own at the revision.
    await git(dir, 'update-index', '--add', '--cacheinfo', `160000,${'a'.repeat(40)},apps/sub`);
    await git(dir, 'commit', '-q', '-m', 'submodule');
    const commit = await git(dir, 'rev-parse', 'HEAD');
    await compareReaders(dir, commit);
    await git(dir, 'gc', '-q', '--aggressive', '--prune=now');
    expect((await git(dir, 'count-objects', '-v')).split('\n')).toContain('count: 0');
    await compareReaders(dir, commit);
    // An annotated tag names the commit.
    await git(dir, 'tag', '-a', '-m', 'v1', 'v1');
    const store = new ObjectStore(path.join(dir, '.git'));
    expect(await store.treeOfCommit(await git(dir, 'rev-parse', 'v1'))).toBe(await git(dir, 'rev-parse', 'HEAD^{tree}'));
    // The store resolves a full oid itself: a tag's oid reads its commit's files, a missing one is refused as without it.
    const tag = await git(dir, 'rev-parse', 'v1');
    const tagged = await store.withPackReader(() => readRevisionFiles({ dir, commit: tag, objects: store }));
    expect(tagged).toEqual(await readRevisionFiles({ dir, commit }));
    const refusal = (read: Promise<unknown>) =>
      read.then(
        () => null,
        (e: { code?: string; message?: string }) => [e.code, e.message],
      );
    const missing = 'f'.repeat(40);
    const native = await refusal(store.withPackReader(() => readRevisionFiles({ dir, commit: missing, objects: store })));
    expect(native).toEqual(await refusal(readRevisionFiles({ dir, commit: missing })));
    expect(native![0]).toBe('UNKNOWN_REF');
  });

  it('refuses a tree entry git would not check out (.git in any spelling, a dot-only name), as isomorphic-git does', async () => {
    const { dir } = await makeRepo({ 'a.yaml': 'kind: A\n' });
    const blob = await git(dir, 'rev-parse', 'HEAD:a.yaml');
    for (const name of ['.git', '.GIT.', '.g\u200cit', 'git~1', '..', '. .', '.git:stream']) {
      const bad = await mktree(dir, `100644 blob ${blob}\t${name}\n`);
      if (bad === null) continue; // git itself refused to write it
      const commit = await git(dir, 'commit-tree', bad, '-m', 'bad');
      const store = new ObjectStore(path.join(dir, '.git'));
      const codeOf = (read: Promise<unknown>) =>
        read.then(
          () => 'read',
          (e: { code?: string }) => e.code,
        );
      const walked = await codeOf(readRevisionFiles({ dir, commit }));
      const native = await codeOf(readRevisionFiles({ dir, commit, objects: store }));
      expect([name, native]).toEqual([name, walked]);
      expect([name, native]).toEqual([name, 'GIT_READ_FAILED']);
    }
  });

  it('readFleetFilesAt gives the revision’s files at the paths asked, reading each folder once', async () => {
    const { dir, commit } = await makeRepo(FILES);
    const store = new ObjectStore(path.join(dir, '.git'));
    const treeReads = vi.spyOn(store, 'treeEntries');
    const paths = [
      'apps/a/deploy.yaml',
      'apps/b/c/svc.yml',
      'apps/b/link.yaml',
      'fleet.yaml',
      'apps/a/deploy.yaml/x.yaml',
      'gone/x.yaml',
      'big.yaml',
    ];
    const files = await store.readFleetFilesAt(commit, paths, '', 2048, true);
    const texts = new Map((await readRevisionFiles({ dir, commit, allFiles: true })).map((f) => [f.path, f.text]));
    expect(files).toEqual([
      { path: 'apps/a/deploy.yaml', text: texts.get('apps/a/deploy.yaml') },
      { path: 'apps/b/c/svc.yml', text: texts.get('apps/b/c/svc.yml') },
      null, // a symlink has no content of its own
      { path: 'fleet.yaml', text: 'kind: Fleet\n' },
      null, // through a file
      null, // no such folder
      { path: 'big.yaml', text: '', size: 3007 },
    ]);
    // root, apps, apps/a, apps/b, apps/b/c: each once (the root and apps are shared by four paths)
    expect(treeReads).toHaveBeenCalledTimes(5);
  });
});
