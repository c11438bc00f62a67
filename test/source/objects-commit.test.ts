// Status commits are written by the object store itself (src/source/objects.ts commitObject), as
// isomorphic-git's writeCommit wrote them before: the same bytes, so the same oid for the same
// status, and commits git reads and checks.
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { afterAll, describe, expect, it } from 'vitest';
import { EMPTY_TREE, ObjectStore } from '../../src/source/objects.js';
import { cleanupRepos, git as gitCli, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const author = { name: 'flotilla', email: 'flotilla@example.invalid', timestamp: 1_700_000_000 };
const MESSAGES = [
  'flotilla: Synced abc\n',
  'no newline at the end',
  '\n\nblank lines before\nand after\n\n\n',
  'carriage\r\nreturns\r\n',
  'subject\n\nbody line\n\nFlotilla-Allow-Deletions: 3\n',
  'é✓ unicode\n',
];

describe('object store: commits', () => {
  it('writes the commit isomorphic-git wrote (same oid), with 0, 1 or 2 parents, and git fsck accepts them', async () => {
    const dir = await makeTempDir();
    await gitCli(dir, 'init', '-q', '--bare', '-b', 'main', 'r.git');
    const gitdir = path.join(dir, 'r.git');
    const store = new ObjectStore(gitdir);
    expect(await store.editTree(null, new Map())).toBe(EMPTY_TREE); // stored, for fsck
    const parents: string[] = [];
    for (const message of MESSAGES) {
      const spec = { tree: EMPTY_TREE, parents: parents.slice(-2), message, author };
      const expected = await git.writeCommit({
        fs,
        gitdir,
        commit: {
          message: message.endsWith('\n') ? message : `${message}\n`,
          tree: spec.tree,
          parent: spec.parents,
          author: { ...author, timezoneOffset: 0 },
          committer: { ...author, timezoneOffset: 0 },
        },
      });
      expect(await store.writeCommit(spec)).toBe(expected);
      parents.push(expected);
    }
    await gitCli(gitdir, 'update-ref', 'refs/heads/main', parents.at(-1)!);
    await gitCli(gitdir, 'fsck', '--full', '--strict', '--no-dangling');
    expect(await gitCli(gitdir, 'log', '-1', '--format=%an <%ae> %at%n%P%n%B', 'main')).toBe(
      `flotilla <flotilla@example.invalid> 1700000000\n${parents.slice(-3, -1).join(' ')}\né✓ unicode\n`,
    );
    expect((await store.readCommit(parents[2]!)).message).toBe('blank lines before\nand after\n');
  });
});
