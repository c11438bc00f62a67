// The done-when tests of issue 3 against a real Git server over HTTP, pushing with the git CLI.
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupRepos, git, makeTempDir } from '../helpers/git.js';
import fsp from 'node:fs/promises';
import { ReconcileLoop } from '../../src/reconcile/loop.js';
import { cacheFolder, openSourceRepository } from '../../src/source/remote.js';
import { silentLogger } from '../../src/log/logger.js';
import { captureLogger, configFrom, countingFs, fakeClock, readTree, reconcilerFor, seedFiles } from './harness.js';
import { ENV, PASSWORD, raceStatusPushes, remoteConfig, serveFleet, type ServedFleet } from './remote-harness.js';

const servers: ServedFleet[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.server.close()));
});
afterAll(cleanupRepos);

async function setup(opts: { targets?: string; retry?: string; timeoutSeconds?: number; env?: NodeJS.ProcessEnv } = {}) {
  const fleet = await serveFleet(await seedFiles());
  servers.push(fleet);
  const base = await makeTempDir('flotilla-run-');
  const loaded = configFrom(remoteConfig(fleet.url, opts), base, opts.env ?? ENV);
  const logs = captureLogger([PASSWORD]);
  const run = await reconcilerFor(loaded, { log: logs.log });
  return { fleet, base, loaded, logs, ...run, out: path.join(base, 'rendered') };
}

/** A served seed fleet and the source repository flotilla opens on it (cache under a new folder). */
async function servedRepository(opts: { maxPacks?: number } = {}) {
  const fleet = await serveFleet(await seedFiles());
  servers.push(fleet);
  const base = await makeTempDir('flotilla-run-');
  const { config, credentials } = configFrom(remoteConfig(fleet.url), base, ENV);
  const repo = await openSourceRepository({
    source: config.source,
    credentials,
    log: silentLogger(),
    sleep: async () => undefined,
    ...opts,
  });
  return { fleet, config, repo };
}

/** `git log` of the status branch on the server: "<sha> <subject>" lines, newest first. */
function statusLog(fleet: ServedFleet, branch = 'flotilla-status'): Promise<string[]> {
  return git(fleet.bare, 'log', '--format=%H %s', branch).then((s) => s.split('\n'));
}

describe('reconcile over HTTP', () => {
  it('push → reconcile → a status commit that names the pushed revision', async () => {
    const { fleet, reconciler, out } = await setup();
    const first = await reconciler.reconcileOnce();
    expect(first.phase).toBe('Synced');
    const pushed = await fleet.push(
      { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\ndata: {k: v}\n' },
      'add extra config',
    );
    const second = await reconciler.reconcileOnce();
    expect(second.revision).toBe(pushed);
    expect(second.phase).toBe('Synced');
    const log = await statusLog(fleet);
    expect(log).toHaveLength(2);
    expect(log[0]).toContain(`flotilla: Synced at ${pushed}`);
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain(`sourceRevision: ${pushed}`);
    expect(status).toContain('phase: Synced');
    // The fleet default duplicates the ConfigMap to the two asia-east clusters.
    const files = await readTree(out);
    expect(
      Object.keys(files)
        .filter((f) => f.endsWith('configmap-extra.yaml'))
        .sort(),
    ).toEqual(['cluster-hangzhou/default/configmap-extra.yaml', 'cluster-shanghai/default/configmap-extra.yaml']);
    expect(await git(fleet.bare, 'ls-tree', '-r', '--name-only', 'flotilla-status', 'manifests/cluster-hangzhou/default/')).toContain(
      'manifests/cluster-hangzhou/default/configmap-extra.yaml',
    );
    // The credentials are nowhere on the status branch.
    await expect(git(fleet.bare, 'grep', '-q', PASSWORD, 'flotilla-status')).rejects.toThrow();
    // What flotilla pushed (its own packs: ObjectStore.packSince) is whole and connected, as git checks it.
    await git(fleet.bare, 'fsck', '--strict', '--no-dangling');
  });

  it('fetches add packs; past the limit the cache is repacked into one and still reads', async () => {
    const { fleet, config, repo } = await servedRepository({ maxPacks: 2 });
    await repo.fetchSource();
    let tip = '';
    for (let i = 0; i < 3; i++) {
      tip = await fleet.push({ [`pack-${i}.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pack-${i}}\n` }, `pack ${i}`);
      expect(await repo.fetchSource()).toBe(tip);
    }
    const packDir = path.join(cacheFolder(config.source), 'repo.git', 'objects', 'pack');
    const packs = async () => (await fsp.readdir(packDir)).filter((f) => f.endsWith('.pack')).length;
    expect(await packs()).toBe(4);
    await repo.maintain();
    expect(await packs()).toBe(1);
    expect((await repo.readFleetFiles(tip, '')).map((f) => f.path)).toContain('pack-2.yaml');
  });

  it('a fetch brings only the objects the cache lacks: a one-file commit is one pack of three objects', async () => {
    const { fleet, config, repo } = await servedRepository();
    await repo.fetchSource();
    const packDir = path.join(cacheFolder(config.source), 'repo.git', 'objects', 'pack');
    const indexes = async () => new Set((await fsp.readdir(packDir)).filter((f) => f.endsWith('.idx')));
    /** Objects in the pack the last fetch added (git verify-pack lists one line per object). */
    const newPackObjects = async (before: Set<string>) => {
      const added = [...(await indexes())].filter((f) => !before.has(f));
      expect(added).toHaveLength(1);
      const listing = await git(packDir, 'verify-pack', '-v', added[0]!);
      return listing.split('\n').filter((l) => /^[0-9a-f]{40} (commit|tree|blob|tag) /.test(l)).length;
    };
    const snapshot = (await git(fleet.bare, 'ls-tree', '-r', '-t', 'main')).split('\n').length + 1;
    expect(snapshot).toBeGreaterThan(5);
    /** A new file at the root: its blob, the root tree and the commit are all the cache lacks. */
    const pushOne = (name: string) =>
      fleet.push({ [`${name}.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n` }, name);

    let before = await indexes();
    const tip = await pushOne('one');
    expect(await repo.fetchSource()).toBe(tip);
    expect(await newPackObjects(before)).toBe(3);

    // Another branch (the status branch's way), known to the cache at that commit, then one ahead.
    await git(fleet.bare, 'branch', 'flotilla-status', tip);
    expect(await repo.fetchBranch('flotilla-status')).toBe(tip);
    before = await indexes();
    const next = await pushOne('two');
    await git(fleet.bare, 'branch', '-f', 'flotilla-status', next);
    expect(await repo.fetchBranch('flotilla-status')).toBe(next);
    expect(await newPackObjects(before)).toBe(3);
  });

  it('publish refuses a branch that moved since the commit was built, even back to an ancestor (never fast-forwarded over)', async () => {
    const { fleet, repo } = await servedRepository();
    const first = await repo.fetchSource();
    const second = await fleet.push({ 'later.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\n' }, 'later');
    await git(fleet.bare, 'branch', 'flotilla-status', second);
    expect(await repo.fetchBranch('flotilla-status')).toBe(second);
    const author = { name: 'flotilla', email: 'flotilla@localhost', timestamp: 1700000000 };
    const next = await repo.objects.writeCommit({
      tree: (await repo.objects.readCommit(second)).tree,
      parents: [second],
      message: 'status\n',
      author,
    });
    // Another writer rewinds the branch to its parent: `next` would still fast-forward it.
    await git(fleet.bare, 'update-ref', 'refs/heads/flotilla-status', first);
    await expect(repo.publish('flotilla-status', next, second)).rejects.toMatchObject({ code: 'NON_FAST_FORWARD' });
    expect(await git(fleet.bare, 'rev-parse', 'flotilla-status')).toBe(first);
    // Built on what the branch now is, it lands.
    await repo.publish(
      'flotilla-status',
      await repo.objects.writeCommit({ tree: (await repo.objects.readCommit(first)).tree, parents: [first], message: 'status\n', author }),
      first,
    );
  });

  it('a remote whose HEAD is unborn (git init --bare, users push main; HEAD names master) is cloned by its branch', async () => {
    const { fleet, repo } = await servedRepository();
    await git(fleet.bare, 'symbolic-ref', 'HEAD', 'refs/heads/master');
    const main = await git(fleet.bare, 'rev-parse', 'refs/heads/main');
    expect(await repo.fetchSource()).toBe(main);
    const next = await fleet.push({ 'later.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\n' }, 'later');
    expect(await repo.fetchSource()).toBe(next);
    // Another branch (the status branch's way) is fetched the same way.
    await git(fleet.bare, 'branch', 'flotilla-status', next);
    expect(await repo.fetchBranch('flotilla-status')).toBe(next);
  });

  it('editing a policy rewrites only the outputs it places (nginx 60/40 → 70/30: 2 files)', async () => {
    const { fleet, reconciler, fs, out } = await setup();
    await reconciler.reconcileOnce();
    const before = await readTree(out);
    (fs as ReturnType<typeof countingFs>).reset();
    const nginx = (await seedFiles())['05-nginx.yaml']!;
    const edited = nginx.replace(/weight: 60/, 'weight: 70').replace(/weight: 40/, 'weight: 30');
    expect(edited).not.toBe(nginx);
    await fleet.push({ '05-nginx.yaml': edited }, 'nginx: 70/30');
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect(o.counts).toMatchObject({ created: 0, configured: 2, deleted: 0 });
    const written = (fs as ReturnType<typeof countingFs>).writes.map((w) => path.relative(out, w)).sort();
    expect(written).toEqual(['cluster-hangzhou/default/deployment-nginx.yaml', 'cluster-shanghai/default/deployment-nginx.yaml']);
    const after = await readTree(out);
    expect(after['cluster-hangzhou/default/deployment-nginx.yaml']).toContain('replicas: 7');
    expect(after['cluster-shanghai/default/deployment-nginx.yaml']).toContain('replicas: 3');
    for (const f of Object.keys(before)) if (!f.includes('deployment-nginx')) expect(after[f]).toBe(before[f]);
  });

  it('broken YAML → Invalid with file:line, outputs untouched, the previous status kept in history', async () => {
    const { fleet, reconciler, fs, out } = await setup();
    const good = await reconciler.reconcileOnce();
    const before = await readTree(out);
    const manifestsBefore = await git(fleet.bare, 'rev-parse', 'flotilla-status:manifests');
    (fs as ReturnType<typeof countingFs>).reset();
    const broken = await fleet.push(
      { '05-nginx.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n   namespace: default\n' },
      'break nginx',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Invalid');
    expect(o.stage).toBe('load');
    expect((fs as ReturnType<typeof countingFs>).writes).toEqual([]);
    expect((fs as ReturnType<typeof countingFs>).removals).toEqual([]);
    expect(await readTree(out)).toEqual(before);
    const log = await statusLog(fleet);
    expect(log.map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      `flotilla: Invalid at ${broken}`,
      `flotilla: Synced at ${good.revision}`,
    ]);
    expect(await git(fleet.bare, 'rev-parse', 'flotilla-status:manifests')).toBe(manifestsBefore);
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain('phase: Invalid');
    expect(status).toContain(`lastGoodRevision: ${good.revision}`);
    expect(status).toMatch(/file: 05-nginx\.yaml\n\s+line: \d+/);
    expect(await git(fleet.bare, 'show', 'flotilla-status~1:status.yaml')).toContain('phase: Synced');
  });

  it('a concurrent status writer: the commit is rebuilt on the new tip, history stays linear', async () => {
    const { fleet, reconciler } = await setup();
    await reconciler.reconcileOnce();
    // Another writer (a person, another flotilla) adds a commit to the status branch.
    const other = await makeTempDir('flotilla-other-');
    const pushUrl = await git(fleet.work, 'remote', 'get-url', 'origin');
    await git(other, 'clone', '-q', '-b', 'flotilla-status', pushUrl, 'st');
    await git(path.join(other, 'st'), 'commit', '-q', '--allow-empty', '-m', 'someone else was here');
    await git(path.join(other, 'st'), 'push', '-q', 'origin', 'flotilla-status');
    const foreign = await git(path.join(other, 'st'), 'rev-parse', 'HEAD');
    const pushed = await fleet.push(
      { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n' },
      'add extra',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect(o.statusCommit).not.toBeNull();
    const log = await statusLog(fleet);
    expect(log[0]).toContain(`Synced at ${pushed}`);
    expect(log[1]).toContain(`${foreign} someone else was here`);
    expect(await git(fleet.bare, 'rev-list', '--merges', 'flotilla-status')).toBe('');
    expect(await git(fleet.bare, 'rev-parse', 'flotilla-status^')).toBe(foreign);
  });

  it('a push landing between flotilla’s fetch and push (server: "failed to update ref"): rebuilt and retried, linear', async () => {
    const { fleet, reconciler, logs } = await setup();
    await reconciler.reconcileOnce();
    const before = await git(fleet.bare, 'rev-parse', 'flotilla-status');
    await raceStatusPushes(fleet.bare, 1);
    const pushed = await fleet.push(
      { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n' },
      'add extra',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    const log = await statusLog(fleet);
    expect(log[0]).toContain(`flotilla: Synced at ${pushed}`);
    expect(log[1]).toMatch(/ concurrent writer 1$/);
    expect(log[2]).toMatch(new RegExp(`^${before} flotilla: Synced at `));
    expect(await git(fleet.bare, 'rev-list', '--merges', 'flotilla-status')).toBe('');
    expect(await git(fleet.bare, 'rev-parse', 'flotilla-status~2')).toBe(before);
    expect(o.statusCommit).toBe(await git(fleet.bare, 'rev-parse', 'flotilla-status'));
    expect(logs.lines.some((l) => l.includes('rebuilding the status commit on the new tip'))).toBe(true);
  });

  it('a status branch that keeps moving: 5 attempts with backoff, then StatusWriteFailed with the server’s reason; no force', async () => {
    const { fleet, reconciler, clock } = await setup();
    await reconciler.reconcileOnce();
    await raceStatusPushes(fleet.bare, 100);
    await fleet.push({ 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n' }, 'add extra');
    const slept = (clock as ReturnType<typeof fakeClock>).slept;
    slept.length = 0;
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Failed');
    expect(o.reason).toBe('StatusWriteFailed');
    expect(o.message).toContain('failed to update ref');
    expect(slept).toEqual([100, 200, 400, 800]);
    // Every concurrent commit is there, one after the other: nothing was overwritten.
    const log = await statusLog(fleet);
    expect(log.slice(0, 5).map((l) => l.split(' ').slice(1).join(' '))).toEqual([5, 4, 3, 2, 1].map((n) => `concurrent writer ${n}`));
    expect(await git(fleet.bare, 'rev-list', '--merges', 'flotilla-status')).toBe('');
    // The writer stops: the next pass commits its status on top.
    await raceStatusPushes(fleet.bare, 0);
    const next = await reconciler.reconcileOnce();
    expect(next.phase).toBe('Synced');
    expect((await statusLog(fleet))[1]).toMatch(/ concurrent writer 5$/);
  });

  it('server 503s: retries with backoff 100, 200 ms, then phase Failed at stage fetch; the next pass recovers', async () => {
    const { fleet, reconciler, clock } = await setup();
    await reconciler.reconcileOnce();
    await fleet.push({ 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: default}\n' }, 'add extra');
    fleet.server.setFault({ status: 503, match: 'git-upload-pack', times: 3 });
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Failed');
    expect(o.stage).toBe('fetch');
    expect(o.reason).toBe('FetchFailed');
    expect(o.message).toMatch(/after 3 attempts.*503/);
    expect((clock as ReturnType<typeof fakeClock>).slept).toEqual([100, 200]);
    expect(fleet.server.requests.filter((r) => r.status === 503)).toHaveLength(3);
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain('phase: Failed');
    expect(status).toContain('stage: fetch');
    const recovered = await reconciler.reconcileOnce();
    expect(recovered.phase).toBe('Synced');
  });

  it('a server that never answers: each attempt times out, then Failed, never a crash', async () => {
    const { fleet, reconciler } = await setup({ timeoutSeconds: 0.4, retry: '{attempts: 2, initialDelayMs: 10, maxDelayMs: 10}' });
    await reconciler.reconcileOnce();
    fleet.server.setFault({ hang: true, match: 'git-upload-pack', times: 2 });
    const started = Date.now();
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Failed');
    expect(o.stage).toBe('fetch');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(o.message).toMatch(/after 2 attempts/);
  });

  it('wrong password: AUTH_FAILED naming the URL, never the secret', async () => {
    const fleet = await serveFleet(await seedFiles());
    servers.push(fleet);
    const base = await makeTempDir('flotilla-run-');
    const wrong = 'wr0ng-Password-99';
    const loaded = configFrom(remoteConfig(fleet.url), base, { FLEET_USER: 'fleet-bot', FLEET_PASSWORD: wrong });
    const logs = captureLogger([wrong]);
    const { reconciler } = await reconcilerFor(loaded, { log: logs.log });
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Failed');
    expect(o.reason).toBe('AuthenticationFailed');
    expect(o.message).toContain(`authentication failed for ${fleet.url}`);
    expect(o.message).toContain('$FLEET_PASSWORD');
    expect(o.message).not.toContain(wrong);
    expect(logs.lines.join('')).not.toContain(wrong);
    expect(logs.lines.join('')).toContain('authentication failed');
    // 401 is not retried.
    expect(fleet.server.requests.length).toBeLessThanOrEqual(3);
  });

  it('a burst of 5 pushes coalesces into one reconcile of the newest commit', async () => {
    const { fleet, reconciler, log } = await setup();
    await reconciler.reconcileOnce();
    let newest = '';
    for (let i = 1; i <= 5; i++)
      newest = await fleet.push(
        { [`burst-${i}.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: burst-${i}, namespace: default}\n` },
        `burst ${i}`,
      );
    let passes = 0;
    const loop = new ReconcileLoop({ reconcileOnce: () => (passes++, reconciler.reconcileOnce()) }, { schedule: '* * * * *', log });
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => loop.trigger()));
    expect(passes).toBe(2);
    expect(outcomes[0]!.revision).toBe(newest);
    expect(outcomes.slice(1).every((o) => o.skipped)).toBe(true);
    const log2 = await statusLog(fleet);
    expect(log2).toHaveLength(2);
    expect(log2[0]).toContain(`Synced at ${newest}`);
  });

  it('state survives a restart (cache dir + status branch): nothing rewritten, then only the change', async () => {
    const { fleet, loaded, reconciler, out } = await setup();
    await reconciler.reconcileOnce();
    const before = await readTree(out);
    const statusBefore = await statusLog(fleet);
    const fs2 = countingFs();
    const restarted = await reconcilerFor(loaded, { fs: fs2 });
    const o = await restarted.reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect(o.counts).toMatchObject({ created: 0, configured: 0, deleted: 0 });
    expect(fs2.writes).toEqual([]);
    expect(o.statusCommit).toBeNull();
    expect(await statusLog(fleet)).toEqual(statusBefore);
    expect(await readTree(out)).toEqual(before);
    // The clone in the cache is reused: one fetch, no second clone.
    await fleet.push(
      { '08-network-config.yaml': (await seedFiles())['08-network-config.yaml']!.replace(/\n$/, '\n  extra: "1"\n') },
      'network config',
    );
    const o2 = await restarted.reconciler.reconcileOnce();
    expect(o2.counts.configured).toBe(2);
    expect(fs2.writes.map((w) => path.relative(out, w)).sort()).toEqual([
      'cluster-hangzhou/kurator-system/configmap-network-config.yaml',
      'cluster-shanghai/kurator-system/configmap-network-config.yaml',
    ]);
  });
});
