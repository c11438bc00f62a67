// The write stage stores the desired state's blobs while the directory target writes its files
// (src/reconcile/stages/write.ts): the target does not wait for the store, a target that reads the
// object database itself (type git) starts only once the blobs are there, and a store that fails
// after the target wrote fails the pass at the write stage — its status saying what the target wrote —
// the next pass completing the rest.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startReconciler } from '../../src/reconcile/start.js';
import type { ObjectStore } from '../../src/source/objects.js';
import type { Target, TargetPlan, TargetReport } from '../../src/targets/target.js';
import { cleanupRepos } from '../helpers/git.js';
import { captureLogger, configFrom, configMapFleetFolder, countingFs, fakeClock, readTree } from './harness.js';

afterAll(cleanupRepos);

type WriteBlobs = ObjectStore['writeBlobs'];

/** A new process's reconciler over `base`; `wrap` may change its targets. */
async function reconcilerOver(base: string, wrap: (ts: readonly Target[]) => Target[] = (ts) => [...ts]) {
  const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
  const logged = captureLogger();
  const files = countingFs();
  const { reconciler, git } = await startReconciler(loaded, { log: logged.log, clock: fakeClock(), fs: files, wrapTargets: wrap });
  return { reconciler, objects: git.objects, lines: logged.lines, files };
}

const untouched = (total: number): TargetReport => ({
  created: 0,
  configured: 0,
  unchanged: total,
  deleted: 0,
  failed: 0,
  failedClusters: [],
  ok: true,
  message: null,
});

describe('blobs stored beside the targets', () => {
  it('the directory target writes while the blobs are stored; a git target starts once they are', async () => {
    const base = await configMapFleetFolder(['c1', 'c2'], 3, 'flotilla-overlap-');
    const events: string[] = [];
    let directoryStarted = () => {};
    const started = new Promise<void>((resolve) => (directoryStarted = resolve));
    let store: ObjectStore | null = null;
    const blobsOf: string[] = [];
    const { reconciler, objects } = await reconcilerOver(base, (ts) => [
      ...ts.map((t): Target => ({
        name: t.name,
        type: t.type,
        async apply(plan) {
          events.push('directory apply');
          directoryStarted();
          const report = await t.apply(plan);
          events.push('directory done');
          return report;
        },
      })),
      {
        name: 'git:probe',
        type: 'git',
        async apply(plan) {
          events.push('git apply');
          // Read from the object database itself, not through plan.readText (which waits for the store).
          for (const c of plan.changes) if (c.oid !== undefined) blobsOf.push(await store!.readBlobText(c.oid));
          return untouched(plan.total);
        },
      },
    ]);
    store = objects;
    const writeBlobs: WriteBlobs = objects.writeBlobs.bind(objects);
    objects.writeBlobs = async (texts, oids) => {
      events.push('store start');
      // Held until the directory target has started (or 5 s): a target that waited for the store would show after it.
      await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 5000))]);
      const out = await writeBlobs(texts, oids);
      events.push('store done');
      return out;
    };
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect(events.indexOf('directory apply')).toBeLessThan(events.indexOf('store done'));
    expect(events.indexOf('store done')).toBeLessThan(events.indexOf('git apply'));
    // Every object's text was in the object database when the git target ran (3 ConfigMaps on 2 clusters).
    expect(blobsOf).toHaveLength(6);
    expect(blobsOf.every((t) => t.includes('kind: ConfigMap'))).toBe(true);
  });

  it('a store that fails after the directory target wrote fails the pass at the write stage; the next pass completes it', async () => {
    const base = await configMapFleetFolder(['c1', 'c2'], 3, 'flotilla-overlap-fail-');
    const { reconciler, objects, lines, files } = await reconcilerOver(base);
    const writeBlobs: WriteBlobs = objects.writeBlobs.bind(objects);
    objects.writeBlobs = async (texts, oids) => {
      // The status commit's blobs are stored: it records the failure.
      if (texts.length < 6) return writeBlobs(texts, oids);
      // The manifests' blobs fail after the target's writes: what the overlap can meet (a disk that fills up as the pack is written).
      for (let waited = 0; waited < 2000 && files.writes.length < 6; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const failed = await reconciler.reconcileOnce();
    expect(failed.phase).toBe('Failed');
    expect(failed.reason).toBe('ObjectWriteFailed');
    expect(failed.message).toContain('no space left on device');
    // What the target wrote is on disk, and the log says so.
    const written = await readTree(path.join(base, 'out'));
    expect(Object.keys(written)).toHaveLength(6);
    const line = lines
      .map((l) => JSON.parse(l) as { msg: string; targets?: unknown })
      .find((l) => l.msg.startsWith('storing the blobs failed'));
    expect(line?.targets).toEqual([{ target: `directory:${path.join(base, 'out')}`, created: 6, configured: 0, deleted: 0 }]);
    // The status committed for the failed pass says so too: the target wrote, it was not left untouched.
    const targetRow = failed.status?.targets[0];
    expect(targetRow).toMatchObject({ phase: 'Applied', created: 6, failed: 0, message: null });
    expect(failed.status?.objects).toMatchObject({ created: 6, failed: 0 });
    expect(failed.statusCommit).toBeTruthy();

    objects.writeBlobs = writeBlobs;
    files.reset();
    const next = await reconciler.reconcileOnce();
    expect([next.phase, next.reason]).toEqual(['Synced', null]);
    // The target's inventory knew the files: nothing written again, and the tree is the same.
    expect(files.writes).toEqual([]);
    expect(await readTree(path.join(base, 'out'))).toEqual(written);
  });

  it('after the write stage a plan gives its texts from the object database: a target that goes on later reads them there', async () => {
    const base = await configMapFleetFolder(['c1', 'c2'], 3, 'flotilla-overlap-later-');
    let kept: TargetPlan | null = null;
    const { reconciler } = await reconcilerOver(base, (ts) =>
      ts.map((t): Target => ({
        name: t.name,
        type: t.type,
        async apply(plan) {
          kept = plan;
          return t.apply(plan);
        },
      })),
    );
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const plan = kept as TargetPlan | null;
    expect(plan?.changes).toHaveLength(6);
    for (const c of plan!.changes) {
      // The change set no longer holds the text (a full pass's texts are most of its heap), the object database does.
      expect(c.text).toBeUndefined();
      expect(await plan!.readText(c.oid!)).toBe(await fs.readFile(path.join(base, 'out', c.path), 'utf8'));
    }
  });
});
