// `flotilla reconcile` as a single-replica service, as a real process: when the shutdown bound runs
// out (a member cluster hangs mid-apply), the process exits 1 within the bound instead of lingering,
// the abandoned pass leaves no status commit, and the next start converges (issue 6, lifecycle).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterNames, duplicatedFleet } from '../ha/fleet.js';
import { flotilla, ROOT } from '../helpers/cli.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';

const NAMES = clusterNames(2);
let members: TestFleet;

beforeAll(async () => {
  members = await startFleetApiServers(NAMES, { autoReady: true });
});
afterAll(async () => {
  await members?.close();
  await cleanupRepos();
});

const versionOn = (cluster: string) =>
  (members.servers.get(cluster)!.getObject('v1', 'ConfigMap', 'default', 'app-config') as { data?: { version?: string } } | undefined)?.data
    ?.version;

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('flotilla reconcile: shutdown bound', () => {
  it(
    'SIGTERM while a cluster hangs mid-apply: exit 1 within the 1 s bound (+ ≤ 1 s), no status commit; the restart converges, Synced',
    { timeout: 60_000 },
    async () => {
      const { dir } = await makeRepo(Object.fromEntries(duplicatedFleet(NAMES, 'v1').map((f) => [f.path, f.text])));
      const base = await makeTempDir('flotilla-daemon-');
      const config = path.join(base, 'flotilla.yaml');
      await fs.writeFile(
        config,
        `source: {url: ${dir}, schedule: "0 0 1 1 *", cacheDir: cache}
targets:
  - kubernetes: {kubeconfig: ${members.kubeconfigPath}, timeoutSeconds: 30}
server: {listen: "127.0.0.1:0", shutdownTimeoutSeconds: 1}
`,
      );
      // c01 never answers its apply (until the fault is cleared).
      members.servers.get('c01')!.addFault({ action: 'hang', method: 'PATCH' });
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/flotilla.js'), 'reconcile', '--config', config], {
        cwd: base,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
        child.once('exit', (code) => resolve({ code, at: Date.now() })),
      );
      try {
        await until(
          'c00 applied and c01 hanging on its PATCH',
          () => versionOn('c00') === 'v1' && members.servers.get('c01')!.requests.some((r) => r.method === 'PATCH' && r.status === 0),
          15_000,
        );
        const termAt = Date.now();
        child.kill('SIGTERM');
        const exit = await exited;
        expect(exit.code).toBe(1);
        expect(exit.at - termAt).toBeLessThan(2_000);
        const lines = stderr
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { msg: string; clean?: boolean });
        expect(lines.map((l) => l.msg)).toContain(
          'shutdown bound ran out; exiting with the pass unfinished (the next start catches up from the status branch)',
        );
        expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ clean: false });
        // The abandoned pass recorded nothing: no status branch yet.
        await expect(git(dir, 'rev-parse', '--verify', 'refs/heads/flotilla-status')).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await exited;
      }

      // The restart: c01 answers again, one pass applies it and records Synced.
      members.servers.get('c01')!.clearFaults();
      const again = await flotilla(['reconcile', '--config', config, '--once']);
      expect(again.code, again.stderr).toBe(0);
      expect(NAMES.map(versionOn)).toEqual(['v1', 'v1']);
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml'));
      expect(status).toMatchObject({ phase: 'Synced', objects: { total: 2 } });
    },
  );
});
