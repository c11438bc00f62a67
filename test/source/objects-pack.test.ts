// A large batch of objects is stored as one pack (src/source/packfile.ts): git itself and
// isomorphic-git must read it, a crash between writing the pack and its idx must leave nothing
// half visible, and later writes must not store again what a pack already holds.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobOid, EMPTY_TREE, ObjectStore } from '../../src/source/objects.js';
import { cleanupRepos, git, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const texts = (n: number, from = 0) =>
  Array.from(
    { length: n },
    (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w${from + i}\ndata: {k: "${'v'.repeat((from + i) % 300)}"}\n`,
  );

async function bareRepo() {
  const dir = await makeTempDir();
  await git(dir, 'init', '-q', '--bare', 'r.git');
  const gitdir = path.join(dir, 'r.git');
  return { gitdir, store: new ObjectStore(gitdir) };
}

const packFiles = async (gitdir: string) => (await fs.readdir(path.join(gitdir, 'objects', 'pack'))).sort();
const counts = async (gitdir: string) =>
  Object.fromEntries(
    (await git(gitdir, 'count-objects', '-v')).split('\n').map((l) => {
      const [k, v] = l.split(': ');
      return [k!, Number(v)];
    }),
  );

describe('object store: a large batch becomes one pack', () => {
  it('git and isomorphic-git read every object of it; git fsck --full --strict accepts the commit', async () => {
    const { gitdir, store } = await bareRepo();
    const batch = texts(700);
    const oids = await store.writeBlobs(batch);
    expect(await packFiles(gitdir)).toEqual([
      expect.stringMatching(/^pack-[0-9a-f]{40}\.idx$/),
      expect.stringMatching(/^pack-[0-9a-f]{40}\.pack$/),
    ]);
    expect(await counts(gitdir)).toMatchObject({ count: 0, 'in-pack': 700 });
    expect(await git(gitdir, 'cat-file', '-p', oids[123]!)).toBe(batch[123]!.replace(/\n$/, ''));
    expect(await store.readBlobText(oids[699]!)).toBe(batch[699]);

    const tree = await store.editTree(null, new Map(oids.map((oid, i) => [`c${i % 7}/ns/w${i}.yaml`, oid])));
    const commit = await store.writeCommit({ tree, parents: [], message: 'm', author: { name: 'a', email: 'a@b', timestamp: 1 } });
    await git(gitdir, 'update-ref', 'refs/heads/main', commit);
    await git(gitdir, 'fsck', '--full', '--strict', '--no-dangling');
    expect(await git(gitdir, 'show', `main:c3/ns/w3.yaml`)).toBe(batch[3]!.replace(/\n$/, ''));
    expect((await store.listTree(tree)).size).toBe(700);
  });

  it('what a pack holds is not stored again, in a batch or as a loose object', async () => {
    const { gitdir, store } = await bareRepo();
    await store.writeBlobs(texts(600));
    const packs = await packFiles(gitdir);
    await store.writeBlobs(texts(600));
    await store.writeBlob(texts(1)[0]!);
    expect(await packFiles(gitdir)).toEqual(packs);
    expect(await counts(gitdir)).toMatchObject({ count: 0, 'in-pack': 600 });
    // 300 old, 900 new: the new pack holds the new ones only; a duplicate within a batch is stored once.
    await store.writeBlobs([...texts(1200, 300), ...texts(10, 300)]);
    expect(await counts(gitdir)).toMatchObject({ count: 0, 'in-pack': 1500, packs: 2 });
    // A small batch is written loose, still skipping what is packed.
    await store.writeBlobs([...texts(5, 1495), ...texts(5, 3000)]);
    expect(await counts(gitdir)).toMatchObject({ count: 5, 'in-pack': 1500 });
    await git(gitdir, 'fsck', '--full', '--strict');
  });

  it('a crash between the pack and its idx leaves its objects absent, and the next write stores them whole', async () => {
    const { gitdir, store } = await bareRepo();
    const oids = await store.writeBlobs(texts(600));
    const idx = (await packFiles(gitdir)).find((f) => f.endsWith('.idx'))!;
    await fs.rm(path.join(gitdir, 'objects', 'pack', idx)); // what a crash after the .pack's rename leaves
    const fresh = new ObjectStore(gitdir);
    await expect(fresh.readBlobText(oids[0]!)).rejects.toThrow();
    await expect(git(gitdir, 'cat-file', '-e', oids[0]!)).rejects.toThrow();
    await fresh.writeBlobs(texts(600));
    expect(await fresh.readBlobText(oids[599]!)).toBe(texts(600)[599]);
    expect(await git(gitdir, 'cat-file', '-p', oids[0]!)).toBe(texts(1)[0]!.replace(/\n$/, ''));
    await git(gitdir, 'fsck', '--full', '--strict');
  });

  it('a text that does not hash to the oid its caller computed throws, and no pack of that batch appears', async () => {
    const { gitdir, store } = await bareRepo();
    const batch = texts(600);
    const oids = batch.map((t) => blobOid(t));
    const wrong = [...oids];
    wrong[300] = oids[301]!;
    await expect(store.writeBlobs(batch, wrong)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store.writeBlobs(batch.slice(0, 2), [oids[1]!, oids[0]!])).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await fs.readdir(path.join(gitdir, 'objects', 'pack'))).filter((f) => !f.startsWith('tmp_'))).toEqual([]);
    expect((await fs.readdir(path.join(gitdir, 'objects', 'pack'))).filter((f) => f.startsWith('tmp_'))).toEqual([]);
    expect(await store.writeBlobs(batch, oids)).toEqual(oids);
    expect(await store.readBlobText(oids[300]!)).toBe(batch[300]);
  });

  it('trees sort as git sorts them (a folder as if its name ended in "/"); an emptied tree is the empty tree', async () => {
    const { gitdir, store } = await bareRepo();
    const [blob] = await store.writeBlobs(['x\n']);
    const names = ['a/x', 'a-b', 'a.b', 'a0', 'ab/y', 'a b', 'Z'];
    const tree = await store.editTree(null, new Map(names.map((n) => [n, blob!])));
    // git mktree writes the same listing in git's own order: same bytes, same oid.
    const listing = await git(gitdir, 'ls-tree', tree);
    const again = await new Promise<string>((resolve, reject) => {
      const child = execFile('git', ['mktree'], { cwd: gitdir }, (err, out) => (err ? reject(err) : resolve(out.trim())));
      child.stdin!.end(listing + '\n');
    });
    expect(again).toBe(tree);
    expect(await store.editTree(tree, new Map(names.map((n) => [n, null])))).toBe(EMPTY_TREE);
  });
});
