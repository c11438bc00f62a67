// A target the reconciler will apply in full (every target of a new process, one that failed) is
// asked to read ahead at the start of the pass (Target.prepareFullCompare): the directory target
// lists its files while the pass fetches and renders. Only those passes ask; what it read serves
// that pass's apply (test/targets/directory.test.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReconciler } from '../../src/reconcile/start.js';
import type { Target, TargetReport } from '../../src/targets/target.js';
import { cleanupRepos, commitFiles } from '../helpers/git.js';
import { captureLogger, configFrom, configMapFleetFolder, fakeClock, versionedConfigMap } from './harness.js';

afterAll(cleanupRepos);

/** A new process's reconciler over `base`, its targets wrapped to record what the passes ask of them. */
async function spiedReconciler(base: string, events: string[], failNext: { apply: boolean }) {
  const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
  const spy = (t: Target): Target => ({
    name: t.name,
    type: t.type,
    prepareFullCompare() {
      events.push('prepare');
      t.prepareFullCompare?.();
    },
    async apply(plan): Promise<TargetReport> {
      events.push(`apply full=${plan.full}`);
      const report = await t.apply(plan);
      if (!failNext.apply) return report;
      failNext.apply = false;
      return { ...report, ok: false, failed: 1, failedClusters: ['c1'], message: 'failed on purpose' };
    },
  });
  const { reconciler } = await startReconciler(loaded, { log: captureLogger().log, clock: fakeClock(), wrapTargets: (ts) => ts.map(spy) });
  return reconciler;
}

describe('the full compare read ahead', () => {
  it('a pass asks a target it will apply in full to read ahead: a new process, and the pass after a failed apply', async () => {
    const base = await configMapFleetFolder(['c1', 'c2'], 2, 'flotilla-prepare-');
    const repo = path.join(base, 'repo');
    const events: string[] = [];
    const failNext = { apply: false };
    const first = await spiedReconciler(base, events, failNext);
    expect((await first.reconcileOnce()).phase).toBe('Synced');
    expect(events.splice(0)).toEqual(['prepare', 'apply full=true']);

    await commitFiles(repo, { 'cm-0.yaml': versionedConfigMap('cm-0', 'v2') }, 'v2');
    failNext.apply = true;
    expect((await first.reconcileOnce()).phase).not.toBe('Synced');
    expect(events.splice(0)).toEqual(['apply full=false']);

    await commitFiles(repo, { 'cm-1.yaml': versionedConfigMap('cm-1', 'v2') }, 'v2 too');
    expect((await first.reconcileOnce()).phase).toBe('Synced');
    expect(events.splice(0)).toEqual(['prepare', 'apply full=true']);

    // A restart (a new process) reads ahead, and its full compare still restores a file deleted by hand.
    const folder = path.join(base, 'out', 'c2', 'default');
    const name = (await fs.readdir(folder)).find((n) => n.includes('cm-0'))!;
    const text = await fs.readFile(path.join(folder, name), 'utf8');
    await fs.rm(path.join(folder, name));
    await commitFiles(repo, { 'cm-1.yaml': versionedConfigMap('cm-1', 'v3') }, 'v3');
    const restarted = await spiedReconciler(base, events, failNext);
    expect((await restarted.reconcileOnce()).phase).toBe('Synced');
    expect(events.splice(0)).toEqual(['prepare', 'apply full=true']);
    expect(await fs.readFile(path.join(folder, name), 'utf8')).toBe(text);
  });
});
