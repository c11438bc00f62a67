// A valid 251-character object name (issue 10 item 11): `configmap-<name>.yaml` is over the 255-byte
// file-name limit, which aborted the directory target's whole pass. The layout shortens it with a
// hash; the directory target, the git target and the status branch's manifests/ all hold it, a
// restart reads it back without rewriting anything, and `flotilla diff` finds no difference.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffCommand } from '../../src/cli/commands/diff.js';
import { MAX_SEGMENT_BYTES } from '../../src/objects/layout.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { LONG_NAME, longNameFleetFiles } from '../helpers/long-name.js';
import { runCommand } from '../plan/scenarios.js';
import { configFrom, countingFs, reconcilerFor } from '../reconcile/harness.js';

afterAll(cleanupRepos);

describe('a 251-character object name through the reconciler', () => {
  it('directory and git targets write it under a shortened name; a restart rewrites nothing; diff sees no difference', async () => {
    const { dir, commit } = await makeRepo(longNameFleetFiles());
    const base = await makeTempDir('flotilla-long-');
    const loaded = configFrom(
      `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - directory: {path: out}\n  - git: {branch: flotilla-rendered}\n`,
      base,
    );
    const { reconciler } = await reconcilerFor(loaded);
    const o = await reconciler.reconcileOnce();
    expect(o.targets).toEqual([
      expect.objectContaining({ type: 'directory', phase: 'Applied', created: 2, failed: 0 }),
      expect.objectContaining({ type: 'git', phase: 'Applied', created: 2, failed: 0 }),
    ]);
    expect(o).toMatchObject({ phase: 'Synced', revision: commit });

    const written = (await readdir(path.join(base, 'out/member/default'))).sort();
    const long = written.find((f) => f !== 'configmap-short.yaml')!;
    expect(written).toHaveLength(2);
    expect(Buffer.byteLength(long)).toBe(MAX_SEGMENT_BYTES);
    expect(long).toMatch(/~[0-9a-f]{16}\.yaml$/);
    expect(await readFile(path.join(base, 'out/member/default', long), 'utf8')).toContain(`name: ${LONG_NAME}`);
    // The git target's branch and the status branch hold the same shortened name.
    expect((await git(dir, 'ls-tree', '--name-only', 'flotilla-rendered:member/default')).split('\n').sort()).toEqual(written);
    expect((await git(dir, 'ls-tree', '--name-only', 'flotilla-status:manifests/member/default')).split('\n').sort()).toEqual(written);

    // After a restart, manifests/ is read back by the object's identity: nothing is rewritten.
    const fs2 = countingFs();
    const restarted = await reconcilerFor(loaded, { fs: fs2 });
    const again = await restarted.reconciler.reconcileOnce();
    expect(again.phase).toBe('Synced');
    expect(again.counts).toMatchObject({ created: 0, configured: 0, deleted: 0 });
    expect(fs2.writes).toEqual([]);
    expect(again.statusCommit).toBeNull();

    const diff = await runCommand(diffCommand, ['--repo', dir, '--ref', commit]);
    expect(diff.stdout).toMatch(/^# no differences: .*\(2 objects\)/);
    expect(diff.code).toBe(0);
  });
});
