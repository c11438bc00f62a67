// Safety rules end to end on a local repository: mass deletions are held back, invalid revisions
// keep the last good state, and recover once fixed.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { configFrom, countingFs, readTree, reconcilerFor, seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

async function setup(extra = '') {
  const seed = await seedFiles();
  const { dir } = await makeRepo(seed);
  const base = await makeTempDir('flotilla-safety-');
  const fs = countingFs();
  const loaded = configFrom(`source: {url: ${dir}}\n${extra}targets:\n  - directory: {path: out}\n`, base);
  const run = await reconcilerFor(loaded, { fs });
  return { ...run, dir, seed, base, fs, out: path.join(base, 'out') };
}

describe('mass-deletion guard', () => {
  it('deleting 10 of 13 files (26 of 28 objects, 92.86%) is held back: Degraded, nothing deleted, reported', async () => {
    const { dir, seed, fs, reconciler, out } = await setup();
    const first = await reconciler.reconcileOnce();
    const before = await readTree(out);
    fs.reset();
    const keep = ['01-fleet-global-production.yaml', '05-nginx.yaml', '07-attached-cluster.yaml'];
    const gone = await commitFiles(
      dir,
      Object.fromEntries(
        Object.keys(seed)
          .filter((f) => !keep.includes(f))
          .map((f) => [f, null]),
      ),
      'remove most of the fleet',
    );
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Degraded', stage: 'diff', reason: 'DeletionHeldBack', revision: gone });
    expect(o.message).toContain('would delete 26 of 28 objects (92.86%), over safety.maxDeletePercent 50%');
    expect(fs.writes).toEqual([]);
    expect(fs.removals).toEqual([]);
    expect(await readTree(out)).toEqual(before);
    const status = await git(dir, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain('phase: Degraded');
    expect(status).toMatch(/heldBack:\n\s+deleted: 26\n\s+held: true\n\s+limitPercent: 50\n\s+percent: 92.86\n\s+total: 28/);
    expect(status).toContain(`lastGoodRevision: ${first.revision}`);
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('## Held back');
    // Polling again does not add commits while nothing changes.
    const again = await reconciler.reconcileOnce();
    expect(again.skipped).toBe(true);
    expect(await git(dir, 'rev-list', '--count', 'flotilla-status')).toBe('2');
  });

  it('with safety.maxDeletePercent: 100 the same deletion is applied and only flotilla’s files go', async () => {
    const { dir, seed, fs, reconciler, out } = await setup('safety: {maxDeletePercent: 100}\n');
    await reconciler.reconcileOnce();
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(path.join(out, 'cluster-hangzhou/default'), { recursive: true });
    await writeFile(path.join(out, 'cluster-hangzhou/default/my-notes.yaml'), 'mine\n');
    fs.reset();
    await commitFiles(
      dir,
      Object.fromEntries(
        Object.keys(seed)
          .filter((f) => f !== '01-fleet-global-production.yaml' && f !== '05-nginx.yaml')
          .map((f) => [f, null]),
      ),
      'remove most',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect(o.counts.deleted).toBe(26);
    expect(Object.keys(await readTree(out)).sort()).toEqual([
      'cluster-hangzhou/default/deployment-nginx.yaml',
      'cluster-hangzhou/default/my-notes.yaml',
      'cluster-shanghai/default/deployment-nginx.yaml',
    ]);
  });
});

describe('invalid revisions', () => {
  it('an unschedulable workload is Invalid at stage place; fixing it applies the fix', async () => {
    const { dir, reconciler, fs } = await setup();
    await reconciler.reconcileOnce();
    fs.reset();
    const bad = await commitFiles(
      dir,
      {
        'zz-unplaceable.yaml':
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: lonely, namespace: default}\nspec: {replicas: 1, template: {spec: {containers: [{name: a, image: a}]}}}\n---\napiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: lonely, namespace: default}\nspec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: lonely}]\n  placement: {clusterAffinity: {clusterNames: [no-such-cluster]}}\n',
      },
      'unplaceable',
    );
    const o = await reconciler.reconcileOnce();
    expect(o).toMatchObject({ phase: 'Invalid', stage: 'place', revision: bad });
    expect(o.diagnostics.some((d) => d.code === 'SCHEDULE_FAILED' && d.file === 'zz-unplaceable.yaml' && d.line !== null)).toBe(true);
    expect(fs.writes).toEqual([]);
    await commitFiles(dir, { 'zz-unplaceable.yaml': null }, 'remove it');
    const fixed = await reconciler.reconcileOnce();
    expect(fixed.phase).toBe('Synced');
    expect(fs.writes).toEqual([]);
    expect(await git(dir, 'log', '--format=%s', 'flotilla-status')).toMatch(
      /^flotilla: Synced at [0-9a-f]{40}\nflotilla: Invalid at [0-9a-f]{40}\nflotilla: Synced at [0-9a-f]{40}$/,
    );
  });
});
