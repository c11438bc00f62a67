// Safety rules end to end on a local repository: mass deletions are held back, invalid revisions
// keep the last good state, and recover once fixed.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { kuratorFleetYaml } from '../helpers/fleet.js';
import { SCOPE_FLEET } from '../helpers/scope-fleet.js';
import { readdir } from 'node:fs/promises';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { captureLogger, configFrom, countingFs, readTree, reconcilerFor, seedFiles } from '../reconcile/harness.js';

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
    expect(o.message).toContain('would delete 26 of 28 objects (92.86%), over safety.maxDeletePercent 50%: held back');
    expect(o.message).toContain('to apply it anyway, push a commit (git commit --allow-empty works) whose message ends with the trailer');
    expect(fs.writes).toEqual([]);
    expect(fs.removals).toEqual([]);
    expect(await readTree(out)).toEqual(before);
    const status = await git(dir, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain('phase: Degraded');
    expect((parse(status) as { heldBack: unknown }).heldBack).toEqual({
      held: true,
      deleted: 26,
      scaledToZero: 0,
      windowDeleted: 0,
      windowMinutes: 60,
      total: 28,
      percent: 92.86,
      limitPercent: 50,
      maxDeletions: 500,
      allowed: null,
      approved: false,
    });
    expect(status).toContain(`lastGoodRevision: ${first.revision}`);
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('## Held back');
    // Polling again does not add commits while nothing changes.
    const again = await reconciler.reconcileOnce();
    expect(again.skipped).toBe(true);
    expect(await git(dir, 'rev-list', '--count', 'flotilla-status')).toBe('2');
  });

  it("with scope paths, only a commit that changes scope.default's files and no scoped path's releases held deletions", async () => {
    const { dir, seed, reconciler, lines } = await (async () => {
      const logs = captureLogger();
      const seedFilesMap = await seedFiles();
      const { dir } = await makeRepo(seedFilesMap);
      const base = await makeTempDir('flotilla-safety-scoped-');
      const scope = 'scope:\n  paths:\n    - {path: teams/web, namespaces: {allow: [web]}}\n';
      const loaded = configFrom(`source: {url: ${dir}}\n${scope}targets:\n  - directory: {path: out}\n`, base);
      const run = await reconcilerFor(loaded, { log: logs.log });
      return { ...run, dir, seed: seedFilesMap, lines: logs.lines };
    })();
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const keep = ['01-fleet-global-production.yaml', '05-nginx.yaml', '07-attached-cluster.yaml'];
    const gone = Object.fromEntries(
      Object.keys(seed)
        .filter((f) => !keep.includes(f))
        .map((f) => [f, null]),
    );
    await commitFiles(dir, gone, 'remove most of the fleet');
    expect(await reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack' });
    // A team's commit under its own path carries the trailer: ignored, and said so.
    const team = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: web}\n';
    await commitFiles(dir, { 'teams/web/x.yaml': team }, 'web: a change\n\nFlotilla-Allow-Deletions: 26');
    expect(await reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack' });
    expect(lines.some((l) => l.includes('Flotilla-Allow-Deletions ignored: the commit changes teams/web/x.yaml'))).toBe(true);
    // An empty commit changes no one's files, so any team could push it: ignored too (red team).
    await commitFiles(dir, {}, 'release\n\nFlotilla-Allow-Deletions: 26');
    expect(await reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack' });
    expect(lines.some((l) => l.includes('Flotilla-Allow-Deletions ignored: the commit changes no file (an empty commit'))).toBe(true);
    // The platform's commit (it changes scope.default's files, no scoped path's) releases them.
    await commitFiles(
      dir,
      { 'platform/retired.txt': 'Most of the fleet, retired on purpose.\n' },
      'release\n\nFlotilla-Allow-Deletions: 26',
    );
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
  });

  describe('with scope paths, a trailer reached through a merge (red team)', () => {
    const cm = (ns: string, name: string, v = 'x') =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata: {v: ${v}}\n`;
    async function fleet() {
      const files: Record<string, string> = { 'fleet.yaml': SCOPE_FLEET };
      for (let i = 0; i < 10; i++) files[`platform/p-${i}.yaml`] = cm('platform', `p-${i}`);
      for (let i = 0; i < 4; i++) files[`teams/payments/t-${i}.yaml`] = cm('payments', `t-${i}`);
      const { dir } = await makeRepo(files);
      const scope = 'scope:\n  paths:\n    - {path: teams/payments/, namespaces: {allow: [payments]}}\nsafety: {maxDeletions: 3}\n';
      const loaded = configFrom(
        `source: {url: ${dir}}\n${scope}targets:\n  - directory: {path: out}\n`,
        await makeTempDir('flotilla-merge-'),
      );
      const { reconciler } = await reconcilerFor(loaded);
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      const retire = Object.fromEntries([0, 1, 2, 3].map((i) => [`teams/payments/t-${i}.yaml`, null]));
      return { dir, reconciler, retire };
    }

    it("a team's merge of main carrying the trailer: against main it changes the team's files, so it is ignored", async () => {
      const { dir, reconciler, retire } = await fleet();
      const base = await git(dir, 'rev-parse', 'HEAD');
      await commitFiles(dir, { 'platform/p-0.yaml': cm('platform', 'p-0', 'two') }, 'platform: a change');
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      await git(dir, 'checkout', '-q', '-b', 'team', base);
      await commitFiles(dir, retire, 'team: retire');
      // Its diff against its first parent is only the platform's change.
      await git(dir, 'merge', '-q', '--no-ff', 'main', '-m', "Merge branch 'main' into team\n\nFlotilla-Allow-Deletions: 100");
      await git(dir, 'checkout', '-q', 'main');
      await git(dir, 'merge', '-q', '--ff-only', 'team');
      expect(await reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack' });
    });

    it('a platform trailer already applied, reached again through a merged branch, does not count again', async () => {
      const { dir, reconciler, retire } = await fleet();
      await commitFiles(dir, { 'platform/p-1.yaml': cm('platform', 'p-1', 'two') }, 'platform: a cleanup\n\nFlotilla-Allow-Deletions: 100');
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      const used = await git(dir, 'rev-parse', 'HEAD');
      await commitFiles(dir, { 'platform/p-0.yaml': cm('platform', 'p-0', 'two') }, 'platform: a change');
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      // The team branches from the commit with the used trailer and merges main with git's default message.
      await git(dir, 'checkout', '-q', '-b', 'team', used);
      await commitFiles(dir, retire, 'team: retire');
      await git(dir, 'merge', '-q', '--no-ff', 'main', '-m', "Merge branch 'main' into team");
      await git(dir, 'checkout', '-q', 'main');
      await git(dir, 'merge', '-q', '--ff-only', 'team');
      expect(await reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack' });
    });
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
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: lonely, namespace: default}\nspec: ' +
          '{replicas: 1, template: {spec: {containers: [{name: a, image: a}]}}}\n---\napiVersion: ' +
          'policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: lonely, namespace: ' +
          'default}\nspec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: ' +
          'lonely}]\n  placement: {clusterAffinity: {clusterNames: [no-such-cluster]}}\n',
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

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(minutes: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (minutes) => void (now += minutes * 60_000) };
}

const FLEET = kuratorFleetYaml(['east']);
const POLICY = (kind: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: all, namespace: default}
spec:
  resourceSelectors: [{apiVersion: ${kind === 'ConfigMap' ? 'v1' : 'apps/v1'}, kind: ${kind}}]
  placement: {clusterAffinity: {clusterNames: [east]}}
`;
const configMap = (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: default}\ndata: {i: "${i}"}\n`;
const names = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `cm-${from + k}.yaml`);

describe('the guard over time', () => {
  async function fleetOf25(clock: Clock) {
    const files: Record<string, string> = { 'fleet.yaml': FLEET, 'policy.yaml': POLICY('ConfigMap') };
    for (let i = 0; i < 25; i++) files[`cm-${i}.yaml`] = configMap(i);
    const { dir } = await makeRepo(files);
    const start = async (clockNow: Clock) => {
      const base = await makeTempDir('flotilla-window-');
      const logger = captureLogger();
      const cfg = configFrom(`source: {url: ${dir}}\ntargets:\n  - directory: {path: out}\n`, base);
      const { reconciler } = await reconcilerFor(cfg, { clock: clockNow, log: logger.log });
      return { reconciler, lines: logger.lines, out: path.join(base, 'out') };
    };
    return { dir, start, first: await start(clock) };
  }
  const drop = (list: string[]) => Object.fromEntries(list.map((f) => [f, null]));

  it('three commits deleting 24% each: the third is held (72% within the hour), also after a restart; a trailer releases it', async () => {
    const clock = manualClock();
    const { dir, start, first } = await fleetOf25(clock);
    const { reconciler } = first;
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');

    clock.advance(10);
    await commitFiles(dir, drop(names(0, 6)), 'retire six');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced'); // 6 of 25: 24%
    clock.advance(10);
    await commitFiles(dir, drop(names(6, 12)), 'retire six more');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced'); // 12 of 25 within the hour: 48%
    let statusDoc = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as { deletions: unknown[] };
    expect(statusDoc.deletions).toHaveLength(2);

    clock.advance(10);
    const third = await commitFiles(dir, drop(names(12, 18)), 'and six more');
    const held = await reconciler.reconcileOnce();
    expect(held).toMatchObject({ phase: 'Degraded', stage: 'diff', reason: 'DeletionHeldBack', revision: third });
    expect(held.message).toContain(
      `revision ${third} would delete 6 objects; with the 12 deleted in the last 60 minutes that is 18 of 25 objects (72%), ` +
        'over safety.maxDeletePercent 50%: held back',
    );
    expect(held.message).toContain('whose message ends with the trailer "Flotilla-Allow-Deletions: 6"');
    // The log says how to release it too.
    expect(first.lines.some((l) => l.includes('DeletionHeldBack') && l.includes('Flotilla-Allow-Deletions: 6'))).toBe(true);
    expect(await git(dir, 'show', 'flotilla-status:README.md')).toContain('`Flotilla-Allow-Deletions: 6`');
    expect(await readdir(path.join(first.out, 'east/default'))).toHaveLength(13); // cm-12…cm-24 still there

    // A restart does not reset the window: the status branch has it.
    clock.advance(5);
    const restarted = await start(clock);
    const again = await restarted.reconciler.reconcileOnce();
    expect(again).toMatchObject({ phase: 'Degraded', reason: 'DeletionHeldBack', revision: third });

    // Released by a commit carrying the trailer.
    clock.advance(5);
    await commitFiles(dir, {}, 'Retire the old config maps\n\nFlotilla-Allow-Deletions: 6');
    const released = await restarted.reconciler.reconcileOnce();
    expect(released.phase).toBe('Synced');
    // The restarted process writes a fresh directory: the revision in force is the one without the 6.
    expect(await readdir(path.join(restarted.out, 'east/default'))).toHaveLength(7);
    expect(await git(dir, 'show', 'flotilla-status:status.yaml')).toContain(`lastGoodRevision: ${await git(dir, 'rev-parse', 'HEAD')}`);
    statusDoc = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as { deletions: unknown[] };
    expect(statusDoc.deletions).toHaveLength(2); // approved deletions do not count against the next ones

    // Within the hour another deletion is held; once the window has passed, a new commit applies it.
    clock.advance(10);
    const fourth = await commitFiles(dir, drop(names(18, 21)), 'three more');
    expect(await restarted.reconciler.reconcileOnce()).toMatchObject({ reason: 'DeletionHeldBack', revision: fourth });
    clock.advance(60);
    await commitFiles(dir, {}, 'retry after the window');
    expect((await restarted.reconciler.reconcileOnce()).phase).toBe('Synced'); // 3 of 7, nothing else in the window
  });

  it('scaling workloads to 0 replicas on every cluster counts as deleting them', async () => {
    const deployment = (name: string, replicas: number) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: ${replicas}\n` +
      `  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n` +
      `    spec: {containers: [{name: main, image: "${name}:1"}]}\n`;
    const files: Record<string, string> = { 'fleet.yaml': FLEET, 'policy.yaml': POLICY('Deployment') };
    for (const n of ['a', 'b', 'c', 'd']) files[`${n}.yaml`] = deployment(n, 3);
    const { dir } = await makeRepo(files);
    const base = await makeTempDir('flotilla-zero-');
    const { reconciler } = await reconcilerFor(configFrom(`source: {url: ${dir}}\ntargets:\n  - directory: {path: out}\n`, base), {
      clock: manualClock(),
    });
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const zero = await commitFiles(
      dir,
      { 'a.yaml': deployment('a', 0), 'b.yaml': deployment('b', 0), 'c.yaml': deployment('c', 0) },
      'scale down',
    );
    const held = await reconciler.reconcileOnce();
    expect(held).toMatchObject({ phase: 'Degraded', reason: 'DeletionHeldBack', revision: zero });
    expect(held.message).toContain(
      'would delete 3 of 4 objects (75%) (3 of them workload objects scaled to 0 replicas on every cluster), ' +
        'over safety.maxDeletePercent 50%',
    );
  });
});
