// The object store answers its path, commit, ancestry and tree-difference questions with its own
// reads (src/source/objects.ts: pack reader, loose objects, parseTree, parseCommit), not with
// isomorphic-git, whose first read of a packed object loads the whole packfile into memory (a
// restart's read of status.yaml from a repacked cache cost most of a second at fleet scale).
// What they answer must be what git and isomorphic-git answer, loose and after `git gc` (the files
// two commits differ in: what `git diff --name-status` lists).
import path from 'node:path';
import git from 'isomorphic-git';
import fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readRevisionFiles } from '../../src/source/git-revision.js';
import { ObjectStore, parseCommit } from '../../src/source/objects.js';
import { cleanupRepos, commitFiles, git as gitCli, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

/** A history with a merge, a folder that becomes a file and back, a symlink, a delete and a signed-style header. */
async function history() {
  const { dir, commit: first } = await makeRepo({
    'fleet.yaml': 'kind: Fleet\n',
    'apps/a/deploy.yaml': 'kind: Deployment\n',
    'apps/b/svc.yaml': 'kind: Service\n',
    'gone.yaml': 'kind: Gone\n',
  });
  await gitCli(dir, 'checkout', '-q', '-b', 'side');
  const side = await commitFiles(dir, { 'apps/side.yaml': 'kind: Side\n' }, 'side work');
  await gitCli(dir, 'checkout', '-q', 'main');
  const second = await commitFiles(
    dir,
    { 'apps/b': 'now a file\n', 'gone.yaml': null, 'link.yaml': { symlink: 'fleet.yaml' } },
    'b becomes a file',
  );
  await gitCli(dir, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
  const merge = await gitCli(dir, 'rev-parse', 'HEAD');
  const third = await commitFiles(dir, { 'apps/a/deploy.yaml': 'kind: Deployment\nreplicas: 2\n' }, 'edit');
  // A header continued on lines that start with a space, as a signature is.
  const tree = await gitCli(dir, 'rev-parse', `${third}^{tree}`);
  const signed = await hashCommit(
    dir,
    `tree ${tree}\nparent ${third}\nauthor A <a@x> 1700000000 +0000\ncommitter C <c@x> 1700000100 +0200\n` +
      `gpgsig -----BEGIN SIG-----\n abc\n -----END SIG-----\n\nsigned\n`,
  );
  // A message with carriage returns and blank lines around it, which isomorphic-git normalizes.
  const crlf = await hashCommit(
    dir,
    `tree ${tree}\nparent ${third}\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 2 +0000\n\n\n\r\nfirst\r\n\r\nbody\r\n\n\n`,
  );
  // A submodule entry (a gitlink) is a changed file to isomorphic-git's walk, and no blob.
  await gitCli(dir, 'update-index', '--add', '--cacheinfo', `160000,${'a'.repeat(40)},apps/sub`);
  await gitCli(dir, 'commit', '-q', '-m', 'submodule');
  const linked = await gitCli(dir, 'rev-parse', 'HEAD');
  await gitCli(dir, 'tag', '-a', '-m', 'v1', 'v1', merge);
  await gitCli(dir, 'update-ref', 'refs/heads/signed', signed);
  await gitCli(dir, 'update-ref', 'refs/heads/crlf', crlf);
  return { dir, first, side, second, merge, third, signed, crlf, linked, tag: await gitCli(dir, 'rev-parse', 'v1') };
}

/** `git diff --name-status` between two commits as changedPaths reports it (a type change is a modify). */
async function gitDiff(dir: string, from: string, to: string) {
  const out = await gitCli(dir, 'diff', '--no-renames', '--name-status', from, to);
  const ops: Record<string, string> = { A: 'add', D: 'delete', M: 'modify', T: 'modify' };
  return out === '' ? [] : out.split('\n').map((l) => ({ path: l.slice(2), op: ops[l[0]!] }));
}

async function hashCommit(dir: string, text: string): Promise<string> {
  const file = path.join(dir, '.git', 'commit-text');
  await fs.promises.writeFile(file, text);
  return gitCli(dir, 'hash-object', '-t', 'commit', '-w', file);
}

async function expectAnswersOfGit(dir: string, h: Awaited<ReturnType<typeof history>>) {
  const gitdir = path.join(dir, '.git');
  const store = new ObjectStore(gitdir);
  const tree = async (c: string) => gitCli(dir, 'rev-parse', `${c}^{tree}`);
  // Paths in a commit.
  expect(await store.readTextAt(h.third, 'apps/a/deploy.yaml')).toBe('kind: Deployment\nreplicas: 2\n');
  expect(await store.readTextAt(h.second, 'apps/b')).toBe('now a file\n');
  expect(await store.readTextAt(h.second, 'apps/b/svc.yaml')).toBeNull(); // through a file
  expect(await store.readTextAt(h.first, 'missing.yaml')).toBeNull();
  expect(await store.readTextAt('0'.repeat(40), 'fleet.yaml')).toBeNull();
  expect(await store.treeOf(h.tag, 'apps')).toBe(await gitCli(dir, 'rev-parse', `${h.merge}:apps`));
  expect(await store.treeOf(h.first)).toBe(await gitCli(dir, 'rev-parse', `${h.first}^{tree}`));
  expect(await store.treeOf(h.first, 'nothing')).toBeNull();
  await expect(store.treeOf(h.second, 'apps/b')).rejects.toThrow(/apps\/b at [0-9a-f]{40} is a blob, not a folder/);
  // Commits, as isomorphic-git's readCommit reads them.
  for (const c of [h.first, h.side, h.second, h.merge, h.third, h.signed, h.crlf, h.linked, h.tag]) {
    const theirs = (await git.readCommit({ fs, gitdir, oid: c })).commit;
    expect(await store.readCommit(c), c).toEqual({
      message: theirs.message,
      parents: theirs.parent,
      tree: theirs.tree,
      timestamp: theirs.committer.timestamp,
    });
  }
  expect((await store.readCommit(h.merge)).parents).toEqual([h.second, h.side]);
  expect((await store.readCommit(h.crlf)).message).toBe('first\n\nbody\n');
  expect((await store.readCommit(h.signed)).timestamp).toBe(1700000100);
  // Ancestry, through both parents of the merge.
  expect(await store.isAncestor(h.side, h.third)).toBe(true);
  expect(await store.isAncestor(h.first, h.signed)).toBe(true);
  expect(await store.isAncestor(h.third, h.first)).toBe(false);
  expect(await store.isAncestor(h.second, h.side)).toBe(false);
  expect(await store.isAncestor('0'.repeat(40), h.third)).toBe(false);
  // Files changed between commits, as isomorphic-git's walk gives them.
  for (const [from, to] of [
    [h.first, h.second],
    [h.second, h.first],
    [h.first, h.third],
    [h.side, h.merge],
    [h.third, h.third],
    [h.third, h.linked],
    [h.linked, h.first],
  ] as const) {
    expect(await store.changedPaths(from, to), `${from}..${to}`).toEqual(await gitDiff(dir, from, to));
  }
  expect(await store.changedPaths(h.first, h.second)).toEqual([
    { path: 'apps/b', op: 'add' },
    { path: 'apps/b/svc.yaml', op: 'delete' },
    { path: 'gone.yaml', op: 'delete' },
    { path: 'link.yaml', op: 'add' },
  ]);
  expect(await store.changedPaths(h.third, h.linked)).toEqual([{ path: 'apps/sub', op: 'add' }]);
  expect(await store.changedBlobs(await tree(h.third), await tree(h.linked))).toEqual(new Map());
  // Every blob of a tree, and the blobs two trees differ in.
  const listed = (await gitCli(dir, 'ls-tree', '-r', h.third)).split('\n').map((l) => l.split(/\s+/));
  expect([...(await store.listTree(await tree(h.third)))]).toEqual(listed.map((f) => [f[3], f[2]]));
  expect(await store.changedBlobs(await tree(h.first), await tree(h.third))).toEqual(
    new Map([
      ['apps/a/deploy.yaml', await gitCli(dir, 'rev-parse', `${h.third}:apps/a/deploy.yaml`)],
      ['apps/b', await gitCli(dir, 'rev-parse', `${h.third}:apps/b`)],
      ['apps/b/svc.yaml', null],
      ['apps/side.yaml', await gitCli(dir, 'rev-parse', `${h.third}:apps/side.yaml`)],
      ['gone.yaml', null],
      ['link.yaml', await gitCli(dir, 'rev-parse', `${h.third}:link.yaml`)],
    ]),
  );
  // A tree edited from a base read from the packs: git reads it back, fsck finds nothing wrong.
  const blob = await store.writeBlob('kind: New\n');
  const edited = await store.editTree(await tree(h.third), new Map([['apps/new/x.yaml', blob]]));
  const after = await gitCli(dir, 'ls-tree', '-r', '--name-only', edited);
  expect(after.split('\n')).toEqual(['apps/a/deploy.yaml', 'apps/b', 'apps/new/x.yaml', 'apps/side.yaml', 'fleet.yaml', 'link.yaml']);
  expect(await gitCli(dir, 'ls-tree', edited, 'link.yaml')).toMatch(/^120000 blob /);
  await gitCli(dir, 'fsck', '--no-dangling');
}

describe('object store reads of paths, commits and changes', () => {
  it('answers as git and isomorphic-git do, from loose objects and after git gc', async () => {
    const h = await history();
    await expectAnswersOfGit(h.dir, h);
    await gitCli(h.dir, 'reflog', 'expire', '--expire=now', '--all');
    await gitCli(h.dir, 'gc', '-q', '--prune=now');
    expect((await gitCli(h.dir, 'count-objects', '-v')).split('\n')).toContain('count: 0');
    await expectAnswersOfGit(h.dir, h);
  });

  it('after git gc, none of these reads goes through isomorphic-git (which would load the whole pack)', async () => {
    const h = await history();
    await gitCli(h.dir, 'gc', '-q', '--prune=now');
    const store = new ObjectStore(path.join(h.dir, '.git'));
    const spies = (['readObject', 'readTree', 'readCommit', 'readBlob', 'walk', 'isDescendent'] as const).map((name) =>
      vi.spyOn(git, name),
    );
    try {
      const tree = await store.treeOf(h.third);
      expect(await store.readTextAt(h.third, 'apps/a/deploy.yaml')).toBe('kind: Deployment\nreplicas: 2\n');
      expect((await store.readCommit(h.merge)).parents).toHaveLength(2);
      expect(await store.isAncestor(h.first, h.third)).toBe(true);
      expect((await store.changedPaths(h.first, h.third)).length).toBeGreaterThan(0);
      expect((await store.changedBlobs(await store.treeOf(h.first), tree)).size).toBeGreaterThan(0);
      expect((await store.listTree(tree!)).size).toBe(5);
      await store.editTree(tree, new Map([['apps/new.yaml', await store.writeBlob('kind: New\n')]]));
      const files = await store.withPackReader(() => readRevisionFiles({ dir: h.dir, commit: h.third, objects: store }));
      expect(files.map((f) => f.path)).toContain('apps/a/deploy.yaml');
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('refuses a commit whose first header is not its tree, or that names no committer', () => {
    expect(() => parseCommit('c', 'parent x\ntree y\n\nm\n')).toThrow('commit c is damaged: its first header is not its tree');
    expect(() => parseCommit('c', `tree ${'a'.repeat(40)}\nauthor A <a@x> 1 +0000\n\nm\n`)).toThrow(
      'commit c is damaged: it names no committer',
    );
  });
});
