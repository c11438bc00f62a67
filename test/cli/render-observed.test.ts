// `render --observed auto --previous auto` in CI reproduces the reconciler's split: the status
// branch is made by a real reconcile against test API servers (test doubles of kube-apiserver),
// with a cluster failed over, and render must give the placements the reconciler recorded.
import { parse } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { renderCommand } from '../../src/cli/commands/render.js';
import { planCommand } from '../../src/cli/commands/plan.js';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import type { TestFleet } from '../helpers/kube.js';
import { startSeedFleet } from '../kube/harness.js';
import { runCommand } from '../plan/scenarios.js';
import { configFrom, kubernetesConfigYaml, reconcilerFor, seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;

function manualClock(start = Date.parse('2026-03-01T10:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: async () => undefined, advance: (ms) => void (now += ms) };
}

const nginxOf = (placements: Obj[]) => placements.find((p) => p.resource.name === 'nginx')!.clusters;

/** `flotilla render --repo dir --ref ref …flags --format json`: its exit code and parsed document. */
async function renderAt(dir: string, ref: string, ...flags: string[]): Promise<{ code: number; doc: Obj }> {
  const r = await runCommand(renderCommand, ['--repo', dir, '--ref', ref, ...flags, '--format', 'json']);
  return { code: r.code, doc: JSON.parse(r.stdout) as Obj };
}

describe('render --observed auto --previous auto (status branch of a real reconcile, shanghai failed over)', () => {
  let fleet: TestFleet;
  afterEach(async () => {
    await fleet?.close();
  });

  it(
    'gives the placements the reconciler recorded (nginx hangzhou 10); without them render says ' +
      '6/4; no status branch → silently the plain render',
    async () => {
      fleet = await startSeedFleet();
      const { dir } = await makeRepo(await seedFiles());
      const plain = (await renderAt(dir, 'HEAD', '--observed', 'auto', '--previous', 'auto')).doc;
      expect(nginxOf(plain.placements)).toEqual([
        { name: 'cluster-hangzhou', replicas: 6 },
        { name: 'cluster-shanghai', replicas: 4 },
      ]);

      const clock = manualClock();
      const config = configFrom(kubernetesConfigYaml(dir, fleet.kubeconfigPath), await makeTempDir('flotilla-render-observed-'));
      const { reconciler } = await reconcilerFor(config, { clock });
      await reconciler.reconcileOnce();
      await fleet.servers.get('cluster-shanghai')!.goDown();
      clock.advance(30_000);
      await reconciler.reconcileOnce();
      clock.advance(1_000);
      await reconciler.reconcileOnce();
      reconciler.close();
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as Obj;
      expect(nginxOf(status.placements)).toEqual([{ name: 'cluster-hangzhou', replicas: 10 }]);

      const { code, doc } = await renderAt(dir, status.sourceRevision, '--observed', 'auto', '--previous', 'auto');
      expect(doc.placements).toEqual(status.placements);
      // reviews-v2 may only run on shanghai: the reconciler keeps it (a warning there); render reports the error.
      expect(code).toBe(1);
      expect(doc.diagnostics.filter((d: Obj) => d.severity === 'error').map((d: Obj) => d.code)).toEqual(['SCHEDULE_FAILED']);

      // The observation alone (NoSchedule + NoExecute on shanghai) without the recorded placements also moves nginx.
      const observedOnly = (await renderAt(dir, 'HEAD', '--observed', 'auto')).doc;
      expect(nginxOf(observedOnly.placements)).toEqual([{ name: 'cluster-hangzhou', replicas: 10 }]);
      // Without the flags, render does not know about the live clusters.
      const offline = (await renderAt(dir, 'HEAD')).doc;
      expect(nginxOf(offline.placements)).toEqual([
        { name: 'cluster-hangzhou', replicas: 6 },
        { name: 'cluster-shanghai', replicas: 4 },
      ]);

      // A file works too (the same file the status branch holds), and plan accepts it for both sides.
      const file = `${await makeTempDir('flotilla-observed-file-')}/observed.yaml`;
      await import('node:fs/promises').then((fs) =>
        git(dir, 'show', 'flotilla-status:observed-clusters.yaml').then((t) => fs.writeFile(file, t)),
      );
      const fromFile = (await renderAt(dir, 'HEAD', '--observed', file, '--previous', 'auto')).doc;
      expect(fromFile.placements).toEqual(status.placements);
      const plan = await runCommand(planCommand, [
        '--repo',
        dir,
        '--base',
        'HEAD',
        '--head',
        'HEAD',
        '--observed',
        'auto',
        '--previous',
        'auto',
        '--format',
        'json',
      ]);
      expect(plan.code).toBe(1);
      expect(JSON.parse(plan.stdout).summary).toBeDefined();
    },
  );

  it('--observed with a file that does not exist is a usage error', async () => {
    const { dir } = await makeRepo(await seedFiles());
    await expect(runCommand(renderCommand, ['--repo', dir, '--observed', '/nonexistent/observed.yaml'])).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
