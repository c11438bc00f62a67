// Sticky claims through the reconciler (docs/reference/semantics.md §2.2): the claim recorded on the
// status branch is the previous claim of the next pass — also after a restart, which reads it back
// — and `explain --previous auto` reads the same record. A higher-priority policy without
// preemption leaves the resource where it is; with preemption: Always it takes it.
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { configMapYaml } from '../helpers/fleet.js';
import { captureLogger, configFrom, fakeClock, readTree, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

const CLUSTERS = ['a', 'b'].map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\n`).join('---\n');
const policy = (name: string, cluster: string, extra = '') =>
  `apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: ${name}, namespace: default}\nspec:\n${extra}` +
  `  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: one}]\n  placement:\n    clusterAffinity: {clusterNames: [${cluster}]}\n`;

describe('sticky claims in the reconciler', () => {
  it('keeps the recorded claim across passes and a restart; preemption: Always takes it', async () => {
    const { dir, commit: r0 } = await makeRepo({
      'clusters.yaml': CLUSTERS,
      'low.yaml': policy('low', 'a'),
      'one.yaml': configMapYaml('one'),
    });
    const base = await makeTempDir('flotilla-claims-');
    const config = configFrom(
      `source: {url: ${dir}, cacheDir: cache}\nsafety: {maxDeletePercent: 100}\ntargets:\n  - directory: {path: out}\n`,
      base,
    );
    const start = async () => (await reconcilerFor(config, { clock: fakeClock(), log: captureLogger().log })).reconciler;
    const placement = async () => (parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as { placements: any[] }).placements[0];
    const out = async () => Object.keys(await readTree(`${base}/out`)).filter((p) => p.includes('configmap-one'));

    const first = await start();
    expect((await first.reconcileOnce()).phase).toBe('Synced');
    expect(await placement()).toMatchObject({ policy: { name: 'low' }, claimedSince: r0 });

    await commitFiles(dir, { 'high.yaml': policy('high', 'b', '  priority: 10\n') }, 'add a higher-priority policy');
    expect((await first.reconcileOnce()).phase).toBe('Synced');
    expect(await placement()).toMatchObject({ policy: { name: 'low' }, claimedSince: r0 });
    expect(await out()).toEqual(['a/default/configmap-one.yaml']);
    first.close();

    // A new process reads the claim back from the status branch.
    const restarted = await start();
    await commitFiles(dir, { 'two.yaml': configMapYaml('two') }, 'unrelated');
    expect((await restarted.reconcileOnce()).phase).toBe('Synced');
    expect(await placement()).toMatchObject({ policy: { name: 'low' }, claimedSince: r0 });
    const io = fakeIO();
    expect(await explainCommand(['ConfigMap/default/one', '--repo', dir, '--previous', 'auto'], io)).toBe(0);
    expect(io.out).toContain(
      `claim:    kept by PropagationPolicy default/low since revision ${r0.slice(0, 7)}; ` +
        'PropagationPolicy default/high (priority 10) does not preempt (preemption: Never)',
    );

    const json = fakeIO();
    await explainCommand(['ConfigMap/default/one', '--repo', dir, '--previous', 'auto', '--format', 'json'], json);
    expect(JSON.parse(json.out)).toMatchObject({
      claimedSince: r0,
      claim: { change: 'kept', since: r0, notPreempting: [{ name: 'high' }] },
    });

    const r3 = await commitFiles(dir, { 'high.yaml': policy('high', 'b', '  priority: 10\n  preemption: Always\n') }, 'preempt');
    const o3 = await restarted.reconcileOnce();
    expect(o3.phase).toBe('Synced');
    expect(await placement()).toMatchObject({ policy: { name: 'high' }, claimedSince: r3 });
    expect(await out()).toEqual(['b/default/configmap-one.yaml']);
    restarted.close();
  });
});
