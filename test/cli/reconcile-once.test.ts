// One pass through the command line (issue 10: defect 8, and `reconcile --once` that says by its
// exit status whether the revision was applied), against three test API servers (test doubles of
// kube-apiserver): --once exits 0 applied, 1 failed or invalid, 3 degraded; --wait keeps
// reconciling until every applied workload is Healthy (4 when the time runs out); --dry-run sends
// only server-side dry runs, writes no file and commits no status.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeReconcileCommand } from '../../src/cli/commands/reconcile.js';
import { main } from '../../src/cli/main.js';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { WAIT_INTERVAL_MS } from '../../src/reconcile/wait.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { writes } from '../kube/harness.js';
import { readTree } from '../reconcile/harness.js';
import { configMapYaml, deploymentYaml, duplicatedFleet } from '../helpers/fleet.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;
const CLUSTERS = ['a', 'b', 'c'];

const FLEET = duplicatedFleet(CLUSTERS, '{apiVersion: v1, kind: ConfigMap}, {apiVersion: apps/v1, kind: Deployment}');
const CONFIG_MAP = configMapYaml('settings');
const DEPLOYMENT = deploymentYaml('web');

/** flotilla.yaml for the repository with a kubernetes target over the fleet (`kube` adds to its settings) and more targets. */
function configText(dir: string, fleet: TestFleet, kube = '', more = ''): string {
  return `source: {url: ${dir}, cacheDir: cache}
targets:
  - kubernetes: {kubeconfig: ${fleet.kubeconfigPath}, timeoutSeconds: 2${kube}}
${more}`;
}

/** A clock the test owns: sleeping moves it on at once; `onWait` runs at each --wait interval. */
function testClock(onWait: (n: number) => void = () => undefined): Clock {
  let now = Date.parse('2026-03-01T10:00:00Z');
  let waits = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      if (ms === WAIT_INTERVAL_MS) onWait(++waits);
    },
  };
}

/** What a Deployment controller would write once the rollout is done. */
function markRolledOut(fleet: TestFleet, name: string): void {
  for (const s of fleet.servers.values()) {
    const d = s.getObject('apps/v1', 'Deployment', 'default', name) as Obj;
    const n = d.spec.replicas;
    s.putObject({
      ...d,
      status: {
        observedGeneration: d.metadata.generation,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
        conditions: [{ type: 'Available', status: 'True' }],
      },
    });
  }
}

describe('flotilla reconcile --once / --wait / --dry-run (3 test API servers)', () => {
  let fleet: TestFleet;
  let dir: string;
  let base: string;
  let config: string;

  const run = async (argv: string[], clock: Clock = testClock()) => {
    const io = fakeIO();
    const code = await makeReconcileCommand({ env: {}, clock })(['--config', config, ...argv], io);
    return { code, out: io.out, err: io.err };
  };

  beforeEach(async () => {
    fleet = await startFleetApiServers(CLUSTERS);
    ({ dir } = await makeRepo({ 'fleet.yaml': FLEET, 'settings.yaml': CONFIG_MAP }));
    base = await makeTempDir('flotilla-once-');
    config = path.join(base, 'flotilla.yaml');
    await fs.writeFile(config, configText(dir, fleet, '', '  - directory: {path: out}\n'));
  });
  afterEach(async () => {
    await fleet?.close();
  });

  it('--once exits 0 Synced, 1 when every cluster is down (Failed), 3 when one is (Degraded), 1 for an invalid revision', async () => {
    expect((await run(['--once'])).code).toBe(0);
    await commitFiles(dir, { 'more.yaml': CONFIG_MAP.replace('settings', 'more') }, 'more');
    await fleet.servers.get('c')!.goDown();
    const degraded = await run(['--once']);
    expect(degraded.out).toContain('phase:          Degraded (stage write: TargetWriteFailed)');
    expect(degraded.code).toBe(3);
    for (const s of fleet.servers.values()) if (!s.isDown) await s.goDown();
    await commitFiles(dir, { 'other.yaml': CONFIG_MAP.replace('settings', 'other') }, 'other');
    // The directory target still takes it: Degraded. Without it, nothing is applied at all: Failed.
    await fs.writeFile(config, configText(dir, fleet));
    const failed = await run(['--once']);
    expect(failed.out).toContain('phase:          Failed (stage write: TargetWriteFailed)');
    expect(failed.code).toBe(1);
    for (const s of fleet.servers.values()) await s.comeBack();
    await commitFiles(dir, { 'broken.yaml': 'kind: [\n' }, 'broken');
    const invalid = await run(['--once']);
    expect(invalid.out).toContain('phase:          Invalid');
    expect(invalid.code).toBe(1);
  });

  it('--once exits 0 while a rollout is in progress (Progressing); --wait reconciles until the Deployment is Healthy: Synced', async () => {
    await commitFiles(dir, { 'web.yaml': DEPLOYMENT }, 'web');
    const progressing = await run(['--once']);
    expect(progressing.out).toContain('phase:          Progressing');
    expect(progressing.code).toBe(0);

    // The "controller" finishes the rollout during the second wait.
    const waited = await run(
      ['--once', '--wait=2m'],
      testClock((n) => n === 2 && markRolledOut(fleet, 'web')),
    );
    expect(waited.out).toContain('phase:          Synced');
    expect(waited.out).toContain('wait: every applied workload is Healthy (10s, 2 more passes)');
    expect(waited.code).toBe(0);
    expect(await git(dir, 'log', '-1', '--format=%s', 'flotilla-status')).toMatch(/^flotilla: Synced at /);
  });

  it('--wait=30s with a Deployment that never becomes ready: exit 4, naming it and why on every cluster', async () => {
    await commitFiles(dir, { 'web.yaml': DEPLOYMENT }, 'web');
    const r = await run(['--once', '--wait=30s']);
    expect(r.code).toBe(4);
    expect(r.out).toContain('phase:          Progressing');
    expect(r.out).toContain('wait: not healthy after 30s (30s, 6 more passes):');
    for (const c of CLUSTERS) expect(r.out).toMatch(new RegExp(`\\n  ${c}: Deployment default/web: Progressing \\(.+\\)`));
    // A bare --wait is 5 minutes.
    const bare = await run(['--once', '--wait']);
    expect(bare.out).toContain('wait: not healthy after 5m0s');
  });

  it('--dry-run: only server-side dry runs reach the clusters, no file written, no status commit; it says what it would do', async () => {
    const r = await run(['--dry-run']);
    expect(r.code).toBe(0);
    expect(writes(fleet).filter((w) => !w.dryRun)).toEqual([]);
    expect(writes(fleet).filter((w) => w.dryRun).length).toBeGreaterThan(0);
    for (const s of fleet.servers.values()) expect(s.getObject('v1', 'ConfigMap', 'default', 'settings')).toBeUndefined();
    expect(await readTree(path.join(base, 'out'))).toEqual({});
    expect(existsSync(path.join(base, 'cache/kubernetes-inventory.json'))).toBe(false);
    await expect(git(dir, 'rev-parse', '--verify', 'flotilla-status')).rejects.toThrow();
    expect(r.out).toContain('dry run: nothing was written to the targets and no status was committed');
    expect(r.out).toMatch(/kubernetes:\S+: would create 3, configure 0, delete 0 — server-side dry run/);
    for (const c of CLUSTERS) expect(r.out).toContain(`  ${c}  create     ConfigMap default/settings`);
    expect(r.out).toContain('directory:');
    expect(r.out).toContain('  create     a/default/configmap-settings.yaml');
    expect(r.out).toContain('last good:      (none)');
    expect(r.out).toMatch(/^dry run: nothing was written/);
    expect(r.out).toMatch(/message: +revision [0-9a-f]{40} would be in force/);
  });

  it('--dry-run with an experimental config that cannot reach a cluster: exit 3, and the shared status branch does not move', async () => {
    expect((await run(['--once'])).code).toBe(0);
    const tip = await git(dir, 'rev-parse', 'flotilla-status');
    await commitFiles(dir, { 'settings.yaml': CONFIG_MAP.replace('k: v', 'k: w') }, 'change');
    await fs.writeFile(config, configText(dir, fleet, ', contexts: {c: nope}'));
    for (const s of fleet.servers.values()) s.clearRequests();
    const r = await run(['--dry-run']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/ {2}c {2}not reached: .*nope/);
    expect(r.out).toMatch(/ {2}a {2}configure +ConfigMap default\/settings/);
    expect(await git(dir, 'rev-parse', 'flotilla-status')).toBe(tip);
    expect(writes(fleet).filter((w) => !w.dryRun)).toEqual([]);
    expect((fleet.servers.get('a')!.getObject('v1', 'ConfigMap', 'default', 'settings') as Obj).data).toEqual({ k: 'v' });
  });

  it('--wait goes with --once only, and wants a duration', async () => {
    for (const argv of [['--wait'], ['--dry-run', '--wait=1m'], ['--once', '--wait=soon'], ['--once', '--wait=0s']]) {
      const io = fakeIO();
      expect(await main(['reconcile', '--config', config, ...argv], io, {}), argv.join(' ')).toBe(1);
      expect(io.err).toContain('[USAGE]');
    }
  });
});
