// Loose objects (objects/<2 hex>/<38 hex>) are read by the object store with node's zlib
// (src/source/objects.ts readLoose): a status commit's blobs are loose until a repack, and the
// status.yaml a restart reads first is 5.5 MB at fleet scale. What git wrote must read back byte
// for byte, and a damaged object must be refused by name, never read as something else.
import fs from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/source/objects.js';
import { cleanupRepos, git, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

/** A repository whose objects git wrote loose: a root file, a file in a folder, a large one with bytes of every kind. */
async function looseRepo() {
  const large = Array.from({ length: 20_000 }, (_, i) => `- {"i": ${i}, "s": "é✓ ${'x'.repeat(i % 97)}"}`).join('\n') + '\n';
  const { dir, commit } = await makeRepo({ 'status.yaml': large, 'manifests/c1/cm.yaml': 'kind: ConfigMap\n' });
  const gitdir = path.join(dir, '.git');
  expect((await git(dir, 'count-objects', '-v')).split('\n')).toContain('in-pack: 0');
  return { dir, gitdir, commit, large, store: new ObjectStore(gitdir) };
}

const objectFile = (gitdir: string, oid: string) => path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));

describe('object store: loose objects', () => {
  it('reads what git wrote, by path in a commit and by oid; a path not there is null', async () => {
    const { dir, commit, large, store } = await looseRepo();
    expect(await store.readTextAt(commit, 'status.yaml')).toBe(large);
    expect(await store.readTextAt(commit, 'manifests/c1/cm.yaml')).toBe('kind: ConfigMap\n');
    expect(await store.readTextAt(commit, 'missing.yaml')).toBeNull();
    expect(await store.readTextAt(commit, 'manifests/c2/cm.yaml')).toBeNull();
    await expect(store.readTextAt(commit, 'manifests/c1')).rejects.toThrow(/manifests\/c1 at [0-9a-f]{40} is a tree, not a file/);
    const oid = await git(dir, 'rev-parse', `${commit}:status.yaml`);
    expect(await store.readBlobText(oid)).toBe(large);
  });

  it('refuses a damaged loose object, and an object of another type, by its oid', async () => {
    const { dir, gitdir, commit, store } = await looseRepo();
    const oid = await git(dir, 'rev-parse', `${commit}:manifests/c1/cm.yaml`);
    const file = objectFile(gitdir, oid);
    await fs.rm(file, { force: true });
    // The header claims 5 bytes, the body has 3.
    await fs.writeFile(file, deflateSync(Buffer.from('blob 5\0abc')));
    await expect(store.readBlobText(oid)).rejects.toThrow(`loose object ${oid} is damaged`);
    await fs.rm(file, { force: true });
    await fs.writeFile(file, deflateSync(Buffer.from('no header at all')));
    await expect(store.readBlobText(oid)).rejects.toThrow(`loose object ${oid} is damaged`);
    const tree = await git(dir, 'rev-parse', `${commit}:manifests`);
    await expect(store.readBlobText(tree)).rejects.toThrow(`object ${tree} is a tree, not a blob`);
  });
});
