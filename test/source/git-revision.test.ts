import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFleetFiles } from '../../src/load/parse.js';
import { DiagnosticSink, FlotillaError } from '../../src/model/diagnostics.js';
import { locateGitDirectory, readRevisionFiles, resolveRevision } from '../../src/source/git-revision.js';
import { ObjectStore } from '../../src/source/objects.js';
import { cleanupRepos, commitFiles, git, gitEnv, makeBareClone, makeRepo, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

/** The error a promise rejects with, so a test can assert its code and message. */
async function rejection(promise: Promise<unknown>): Promise<FlotillaError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(FlotillaError);
    return err as FlotillaError;
  }
  throw new Error('expected a rejection');
}

const paths = (files: Array<{ path: string }>) => files.map((f) => f.path);

describe('resolveRevision', () => {
  let dir: string;
  let first: string;
  let second: string;
  let third: string;

  beforeAll(async () => {
    ({ dir, commit: first } = await makeRepo({ 'app.yaml': 'kind: A\n' }));
    await git(dir, 'tag', 'v1');
    second = await commitFiles(dir, { 'app.yaml': 'kind: B\n' }, 'second');
    await git(dir, 'tag', '-a', 'v2', '-m', 'release 2');
    await git(dir, 'branch', 'feature', first);
    third = await commitFiles(dir, { 'app.yaml': 'kind: C\n' }, 'third');
    await git(dir, 'update-ref', 'refs/remotes/origin/main', second);
  });

  it('HEAD, "@" and the branch name main all give the newest commit', async () => {
    expect(await resolveRevision({ dir, ref: 'HEAD' })).toBe(third);
    expect(await resolveRevision({ dir, ref: '@' })).toBe(third);
    expect(await resolveRevision({ dir, ref: 'main' })).toBe(third);
    expect(await resolveRevision({ dir, ref: 'refs/heads/main' })).toBe(third);
  });

  it('another branch, a lightweight tag and an annotated tag (peeled to its commit)', async () => {
    expect(await resolveRevision({ dir, ref: 'feature' })).toBe(first);
    expect(await resolveRevision({ dir, ref: 'v1' })).toBe(first);
    expect(await resolveRevision({ dir, ref: 'v2' })).toBe(second);
  });

  it('a remote-tracking ref written origin/main', async () => {
    expect(await resolveRevision({ dir, ref: 'origin/main' })).toBe(second);
  });

  it('a full oid and a 7- and 4-hex abbreviation', async () => {
    expect(await resolveRevision({ dir, ref: first })).toBe(first);
    expect(await resolveRevision({ dir, ref: first.slice(0, 7) })).toBe(first);
    expect(await resolveRevision({ dir, ref: second.slice(0, 4) })).toBe(second);
  });

  it('ancestry steps: HEAD~1 → second, HEAD~2 and main^^ → first, HEAD^0 → HEAD', async () => {
    expect(await resolveRevision({ dir, ref: 'HEAD~1' })).toBe(second);
    expect(await resolveRevision({ dir, ref: 'HEAD~2' })).toBe(first);
    expect(await resolveRevision({ dir, ref: 'main^^' })).toBe(first);
    expect(await resolveRevision({ dir, ref: 'HEAD^0' })).toBe(third);
  });

  it('an unknown branch is UNKNOWN_REF naming the ref and the directory', async () => {
    const err = await rejection(resolveRevision({ dir, ref: 'no-such-branch' }));
    expect(err.code).toBe('UNKNOWN_REF');
    expect(err.message).toBe(`unknown revision "no-such-branch" in ${dir}`);
  });

  it('an unknown full oid, too-short hex, past-the-root ancestry and ../ names are UNKNOWN_REF', async () => {
    for (const ref of ['0'.repeat(40), first.slice(0, 3), 'HEAD~3', '../../HEAD', 'main..feature', '']) {
      expect((await rejection(resolveRevision({ dir, ref }))).code).toBe('UNKNOWN_REF');
    }
  });

  it('a tree oid is UNKNOWN_REF saying it is not a commit', async () => {
    const tree = await git(dir, 'rev-parse', 'HEAD^{tree}');
    const err = await rejection(resolveRevision({ dir, ref: tree }));
    expect(err.code).toBe('UNKNOWN_REF');
    expect(err.message).toContain('is a tree, not a commit');
  });

  it('refs packed into packed-refs still resolve', async () => {
    const { dir: packed, commit } = await makeRepo({ 'a.yaml': 'a: 1\n' });
    await git(packed, 'tag', 'packed-tag');
    await git(packed, 'pack-refs', '--all');
    await git(packed, 'gc', '-q');
    await expect(fs.stat(path.join(packed, '.git/refs/tags/packed-tag'))).rejects.toThrow();
    expect(await resolveRevision({ dir: packed, ref: 'packed-tag' })).toBe(commit);
    expect(await resolveRevision({ dir: packed, ref: commit.slice(0, 6) })).toBe(commit);
  });

  it('a directory that is no repository is NOT_A_REPOSITORY', async () => {
    const plain = await makeTempDir();
    expect((await rejection(resolveRevision({ dir: plain, ref: 'HEAD' }))).code).toBe('NOT_A_REPOSITORY');
    const missing = path.join(plain, 'missing');
    expect((await rejection(resolveRevision({ dir: missing, ref: 'HEAD' }))).code).toBe('NOT_A_REPOSITORY');
  });

  it('HEAD of a repository without commits is UNKNOWN_REF', async () => {
    const empty = await makeTempDir();
    await git(empty, 'init', '-q', '-b', 'main');
    expect((await rejection(resolveRevision({ dir: empty, ref: 'HEAD' }))).code).toBe('UNKNOWN_REF');
  });

  it('a linked worktree resolves its own HEAD, not the main work tree’s', async () => {
    const linked = path.join(await makeTempDir(), 'wt');
    await git(dir, 'worktree', 'add', '-q', linked, 'feature');
    expect(await resolveRevision({ dir: linked, ref: 'HEAD' })).toBe(first);
    expect(await resolveRevision({ dir: linked, ref: 'main' })).toBe(third);
    const files = await readRevisionFiles({ dir: linked, commit: 'HEAD' });
    expect(files).toEqual([{ path: 'app.yaml', text: 'kind: A\n' }]);
  });
});

describe('readRevisionFiles', () => {
  let dir: string;
  let older: string;
  let newer: string;

  beforeAll(async () => {
    ({ dir, commit: older } = await makeRepo({
      'fleet.yaml': 'kind: Fleet\n',
      'apps/web.yaml': 'kind: Deployment\nmetadata: {name: web}\n',
    }));
    newer = await commitFiles(
      dir,
      {
        'apps/web.yaml': 'kind: Deployment\nmetadata: {name: web2}\n',
        'apps/api/deploy.yml': 'kind: Deployment\n',
        'apps/api/deep/er/policy.yaml': 'kind: PropagationPolicy\n',
        'apps/README.md': '# not yaml\n',
        'apps/values.json': '{}\n',
        'apps/.hidden.yaml': 'kind: ConfigMap\n',
        '.github/workflows/ci.yaml': 'on: push\n',
        'apps/.cache/x.yaml': 'kind: Skipped\n',
        'node_modules/pkg/chart.yaml': 'kind: Skipped\n',
        'apps/link.yaml': { symlink: 'web.yaml' },
        'clusters/east.yaml': 'kind: Cluster\n',
      },
      'grow',
    );
  });

  it('reads every yaml/yml blob, nested included, sorted by path; skips dot-dirs, node_modules, non-yaml and symlinks', async () => {
    const files = await readRevisionFiles({ dir, commit: newer });
    expect(paths(files)).toEqual([
      'apps/.hidden.yaml',
      'apps/api/deep/er/policy.yaml',
      'apps/api/deploy.yml',
      'apps/web.yaml',
      'clusters/east.yaml',
      'fleet.yaml',
    ]);
    expect(files.find((f) => f.path === 'apps/api/deep/er/policy.yaml')?.text).toBe('kind: PropagationPolicy\n');
  });

  it('an older commit gives the files as they were then, not as at HEAD', async () => {
    expect(await readRevisionFiles({ dir, commit: older })).toEqual([
      { path: 'apps/web.yaml', text: 'kind: Deployment\nmetadata: {name: web}\n' },
      { path: 'fleet.yaml', text: 'kind: Fleet\n' },
    ]);
    const atHead = await readRevisionFiles({ dir, commit: newer });
    expect(atHead.find((f) => f.path === 'apps/web.yaml')?.text).toBe('kind: Deployment\nmetadata: {name: web2}\n');
  });

  it('ignores uncommitted changes in the work tree', async () => {
    await fs.writeFile(path.join(dir, 'fleet.yaml'), 'kind: Dirty\n');
    await fs.writeFile(path.join(dir, 'untracked.yaml'), 'kind: New\n');
    const files = await readRevisionFiles({ dir, commit: newer });
    expect(files.find((f) => f.path === 'fleet.yaml')?.text).toBe('kind: Fleet\n');
    expect(paths(files)).not.toContain('untracked.yaml');
    await git(dir, 'checkout', '-q', '--', 'fleet.yaml');
    await fs.rm(path.join(dir, 'untracked.yaml'));
  });

  it('subpath apps/api keeps repository-root paths and nothing outside it', async () => {
    for (const subpath of ['apps/api', './apps/api/', 'apps//api']) {
      expect(paths(await readRevisionFiles({ dir, commit: newer, subpath }))).toEqual([
        'apps/api/deep/er/policy.yaml',
        'apps/api/deploy.yml',
      ]);
    }
  });

  it('subpath "." is the whole repository; a missing subpath is empty', async () => {
    expect(await readRevisionFiles({ dir, commit: newer, subpath: '.' })).toHaveLength(6);
    expect(await readRevisionFiles({ dir, commit: newer, subpath: 'nowhere' })).toEqual([]);
  });

  it('a subpath naming a dot-directory is read, since the user asked for it', async () => {
    expect(paths(await readRevisionFiles({ dir, commit: newer, subpath: '.github' }))).toEqual(['.github/workflows/ci.yaml']);
  });

  it('a subpath escaping the root is PATH_OUTSIDE_REPO', async () => {
    for (const subpath of ['..', '../other', 'apps/../../x', '/etc']) {
      expect((await rejection(readRevisionFiles({ dir, commit: newer, subpath }))).code).toBe('PATH_OUTSIDE_REPO');
    }
  });

  it('a file over maxFileBytes (20 > 16) is flagged tooLarge with its size and no text; 16 bytes passes', async () => {
    const { dir: repo, commit } = await makeRepo({ 'big.yaml': 'x'.repeat(20), 'edge.yaml': 'y'.repeat(16) });
    expect(await readRevisionFiles({ dir: repo, commit, maxFileBytes: 16 })).toEqual([
      { path: 'big.yaml', text: '', tooLarge: true, bytes: 20, size: 20 },
      { path: 'edge.yaml', text: 'y'.repeat(16) },
    ]);
  });

  it('known texts stand for a file only when they are its blob: the result is what reading every blob gives', async () => {
    const files = { 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 2\n', 'c.yaml': 'c: \ufffd\n', 'd.yaml': 'd'.repeat(20), 'e.yaml': 'e: 5\n' };
    const { dir: repo, commit } = await makeRepo(files);
    const known = {
      texts: new Map([
        ['a.yaml', 'a: 1\n'], // the file's text: not read
        ['b.yaml', 'b: 1\n'], // an older text: read
        ['c.yaml', 'c: \ud800\n'], // a lone surrogate, whose UTF-8 is that blob's, yet no reading gives it: read
        ['d.yaml', 'd'.repeat(20)], // the file's text, but over the size limit: read (too large)
        ['x.yaml', 'e: 5\n'], // another path's: e.yaml is read
      ]),
      reused: 0,
    };
    const plain = await readRevisionFiles({ dir: repo, commit, maxFileBytes: 16 });
    expect(await readRevisionFiles({ dir: repo, commit, maxFileBytes: 16, known })).toEqual(plain);
    expect(plain.find((f) => f.path === 'c.yaml')?.text).toBe('c: \ufffd\n');
    expect(known.reused).toBe(1);
  });

  it('the load stage reports an oversize file read at a revision as FILE_TOO_LARGE', async () => {
    const { dir: repo, commit } = await makeRepo({ 'big.yaml': 'kind: ConfigMap\n' + '#'.repeat(40) + '\n' });
    const sink = new DiagnosticSink();
    const files = await readRevisionFiles({ dir: repo, commit, maxFileBytes: 32 });
    expect(parseFleetFiles(files, sink, { maxFileBytes: 32 })).toEqual([]);
    expect(sink.items.map((d) => [d.code, d.file])).toEqual([['FILE_TOO_LARGE', 'big.yaml']]);
  });

  it('UTF-8 content survives byte for byte', async () => {
    const text = 'labels: {owner: "Zoë", city: 杭州}\n';
    const { dir: repo, commit } = await makeRepo({ 'u.yaml': text });
    expect(await readRevisionFiles({ dir: repo, commit })).toEqual([{ path: 'u.yaml', text }]);
  });

  it('accepts a ref as well as a commit id, and reports an unknown one as UNKNOWN_REF', async () => {
    expect(paths(await readRevisionFiles({ dir, commit: 'HEAD~1' }))).toEqual(['apps/web.yaml', 'fleet.yaml']);
    expect((await rejection(readRevisionFiles({ dir, commit: 'f'.repeat(40) }))).code).toBe('UNKNOWN_REF');
  });

  it('a bare repository reads the same as its work tree, sharing one cache across calls', async () => {
    const bare = await makeBareClone(dir);
    const cache = {};
    expect(await resolveRevision({ dir: bare, ref: 'main', cache })).toBe(newer);
    expect(await readRevisionFiles({ dir: bare, commit: newer, cache })).toEqual(await readRevisionFiles({ dir, commit: newer }));
    expect(await readRevisionFiles({ dir: bare, commit: older, cache })).toHaveLength(2);
  });
});

/** ObjectStore.changedPaths between two revisions of a repository (a work tree or a bare one), each resolved by git. */
async function changedPaths(opts: { dir: string; from: string; to: string }) {
  const store = new ObjectStore(await locateGitDirectory(opts.dir));
  return store.changedPaths(await git(opts.dir, 'rev-parse', opts.from), await git(opts.dir, 'rev-parse', opts.to));
}

describe("changedPaths (the object store, as the reconciler lists a commit's changes)", () => {
  let dir: string;
  let base: string;

  beforeAll(async () => {
    ({ dir, commit: base } = await makeRepo({
      'fleet.yaml': 'kind: Fleet\n',
      'apps/web/deploy.yaml': 'replicas: 1\n',
      'apps/web/service.yaml': 'kind: Service\n',
      'apps/api/deploy.yaml': 'replicas: 2\n',
      'stable/a/b/c.yaml': 'untouched\n',
      'old-name.yaml': 'kind: ConfigMap\n',
      thing: 'a file that becomes a directory\n',
    }));
  });

  it('add, modify, delete, rename (= delete + add) and nested paths, sorted by path', async () => {
    const head = await commitFiles(
      dir,
      {
        'apps/web/deploy.yaml': 'replicas: 3\n',
        'apps/web/service.yaml': null,
        'apps/web/hpa/hpa.yaml': 'kind: HorizontalPodAutoscaler\n',
        'old-name.yaml': null,
        'new-name.yaml': 'kind: ConfigMap\n',
      },
      'change',
    );
    expect(await changedPaths({ dir, from: base, to: head })).toEqual([
      { path: 'apps/web/deploy.yaml', op: 'modify' },
      { path: 'apps/web/hpa/hpa.yaml', op: 'add' },
      { path: 'apps/web/service.yaml', op: 'delete' },
      { path: 'new-name.yaml', op: 'add' },
      { path: 'old-name.yaml', op: 'delete' },
    ]);
    // The same walk the other way round swaps adds and deletes.
    expect(await changedPaths({ dir, from: head, to: base })).toEqual([
      { path: 'apps/web/deploy.yaml', op: 'modify' },
      { path: 'apps/web/hpa/hpa.yaml', op: 'delete' },
      { path: 'apps/web/service.yaml', op: 'add' },
      { path: 'new-name.yaml', op: 'delete' },
      { path: 'old-name.yaml', op: 'add' },
    ]);
    await git(dir, 'reset', '-q', '--hard', base);
  });

  it('a file replaced by a directory is a delete of the file and adds below it', async () => {
    const head = await commitFiles(dir, { thing: null, 'thing/inner.yaml': 'x: 1\n' }, 'file to dir');
    expect(await changedPaths({ dir, from: 'main~1', to: 'main' })).toEqual([
      { path: 'thing', op: 'delete' },
      { path: 'thing/inner.yaml', op: 'add' },
    ]);
    expect(await changedPaths({ dir, from: head, to: base })).toEqual([
      { path: 'thing', op: 'add' },
      { path: 'thing/inner.yaml', op: 'delete' },
    ]);
    await git(dir, 'reset', '-q', '--hard', base);
  });

  it('the same commit on both sides, or a commit with an identical tree, has no changes', async () => {
    expect(await changedPaths({ dir, from: base, to: base })).toEqual([]);
    const empty = await commitFiles(dir, {}, 'empty');
    expect(await changedPaths({ dir, from: base, to: empty })).toEqual([]);
    await git(dir, 'reset', '-q', '--hard', base);
  });

  it('an unchanged subtree is not descended: its objects may even be missing', async () => {
    // Copy the repository and delete the blob and trees under stable/ from the copy: a walk that
    // descended into stable/a would fail to read them. Only the top tree entry stable/ is needed.
    const head = await commitFiles(dir, { 'apps/api/deploy.yaml': 'replicas: 5\n' }, 'scale api');
    const copy = path.join(await makeTempDir(), 'copy');
    await git(path.dirname(copy), 'clone', '-q', '--no-local', '--bare', dir, copy);
    const stableA = await git(copy, 'rev-parse', `${head}:stable/a`);
    const stableB = await git(copy, 'rev-parse', `${head}:stable/a/b`);
    const blob = await git(copy, 'rev-parse', `${head}:stable/a/b/c.yaml`);
    // Explode the pack into loose objects, then remove the three objects under stable/a.
    const packDir = path.join(copy, 'objects/pack');
    const packs = (await fs.readdir(packDir)).filter((f) => f.endsWith('.pack'));
    for (const pack of packs) {
      const data = await fs.readFile(path.join(packDir, pack));
      await fs.rm(path.join(packDir, pack));
      await fs.rm(path.join(packDir, pack.replace(/\.pack$/, '.idx')));
      await gitStdin(copy, data, 'unpack-objects', '-q');
    }
    for (const oid of [stableA, stableB, blob]) await fs.rm(path.join(copy, 'objects', oid.slice(0, 2), oid.slice(2)));
    expect(await changedPaths({ dir: copy, from: base, to: head })).toEqual([{ path: 'apps/api/deploy.yaml', op: 'modify' }]);
    // Proof that the objects are really gone: reading the whole tree now fails.
    expect((await rejection(readRevisionFiles({ dir: copy, commit: head }))).code).toBe('GIT_READ_FAILED');
    await git(dir, 'reset', '-q', '--hard', base);
  });

  it('a commit not in the repository on either side is refused, not read as no change', async () => {
    const store = new ObjectStore(path.join(dir, '.git'));
    const missing = 'f'.repeat(40);
    await expect(store.changedPaths(missing, base)).rejects.toThrow();
    await expect(store.changedPaths(base, missing)).rejects.toThrow();
  });
});

/** Runs git with `input` on stdin (unpack-objects reads a pack from stdin). */
async function gitStdin(dir: string, input: Buffer, ...args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', args, { cwd: dir, env: gitEnv(), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${stderr}`))));
    child.stdin.end(input);
  });
}

describe('test helper makeRepo', () => {
  it('the same files give the same commit id in two fresh repositories (fixed identity and dates)', async () => {
    const a = await makeRepo({ 'x.yaml': 'x: 1\n' });
    const b = await makeRepo({ 'x.yaml': 'x: 1\n' });
    expect(a.commit).toBe(b.commit);
    expect(await commitFiles(a.dir, { 'x.yaml': null }, 'rm')).toBe(await commitFiles(b.dir, { 'x.yaml': null }, 'rm'));
    expect(await git(a.dir, 'log', '-1', '--format=%at %an')).toBe('1704067201 Flotilla Test');
  });
});
