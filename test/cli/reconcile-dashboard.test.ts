// `flotilla reconcile` as a real process with `server.dashboard`: the dashboard listens on loopback
// with the token read from its environment variable, serves the reconciled seed fleet, never
// writes the token to its logs, and stops with the process on SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { cleanupRepos, makeRepo, makeTempDir } from '../helpers/git.js';
import { seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

const TOKEN = 'process-dashboard-token-42';

describe('flotilla reconcile with a dashboard', () => {
  it('serves the seed on loopback behind the token, logs no token, and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
    const { dir } = await makeRepo(await seedFiles());
    const base = await makeTempDir('flotilla-dashboard-cli-');
    const config = path.join(base, 'flotilla.yaml');
    await fs.writeFile(
      config,
      `source: {url: ${dir}, schedule: "0 0 1 1 *", cacheDir: cache}
targets:
  - directory: {path: rendered}
server:
  listen: "127.0.0.1:0"
  dashboard: {listen: "127.0.0.1:0", tokenEnv: DASH_TOKEN}
`,
    );
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/flotilla.js'), 'reconcile', '--config', config], {
      cwd: base,
      env: { ...process.env, DASH_TOKEN: TOKEN, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const line = stderr.split('\n').find((l) => l.includes('dashboard listening'));
        const m = line ? /"port":(\d+)/.exec(line) : null;
        if (m) resolve(`http://127.0.0.1:${m[1]}/`);
      });
      void exited.then((code) => reject(new Error(`exited ${code} before the dashboard listened:\n${stderr}`)));
    });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${url}api/fleet`)).status).toBe(401);
    // The first pass starts with the schedule; the view has a status once it is recorded.
    type FleetView = {
      status: { phase: string } | null;
      matrix: { clusters: Array<{ name: string }>; rows: Array<Record<string, any>> } | null;
    };
    let fleet: FleetView;
    const start = Date.now();
    do {
      fleet = (await (await fetch(`${url}api/fleet`, { headers: auth })).json()) as FleetView;
      if (!fleet.status) await new Promise((r) => setTimeout(r, 100));
    } while (!fleet.status && Date.now() - start < 30_000);
    expect(fleet.status?.phase).toBe('Synced');
    const names = fleet.matrix!.clusters.map((c) => c.name);
    const nginx = fleet.matrix!.rows.find((r) => r.ref === 'Deployment/default/nginx')!;
    expect(Object.fromEntries(nginx.cells.map((c: { c: number; r: number }) => [names[c.c], c.r]))).toEqual({
      'cluster-hangzhou': 6,
      'cluster-shanghai': 4,
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('dashboard listening');
    expect(stderr).not.toContain(TOKEN);
    await expect(fetch(`${url}api/fleet`, { headers: auth })).rejects.toThrow();
  });
});
