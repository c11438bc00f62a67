// The directory target writes, deletes and compares many files at once: whatever fails in the
// middle of a batch, the inventory records exactly what is on disk and the report says what
// happened; a restart's full compare (one listing per folder) reaches the verdicts one lstat per
// file reached.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryTarget, INVENTORY_FILE, INVENTORY_JOURNAL } from '../../src/targets/directory.js';
import { nodeTargetFs, type TargetFs } from '../../src/targets/fs.js';
import { blobOid } from '../../src/source/objects.js';
import type { TargetPlan } from '../../src/targets/target.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { plan, write, inventoryOf } from './plan-fixtures.js';

afterAll(cleanupRepos);

/** Every file under `root` but the inventory and its journal, as layout path → blob oid of its bytes. */
async function onDisk(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!f.isFile() || f.name === INVENTORY_FILE || f.name === INVENTORY_JOURNAL) continue;
    const abs = path.join(f.parentPath, f.name);
    out[path.relative(root, abs)] = blobOid(await fs.readFile(abs));
  }
  return out;
}

/** 40 clusters × 2 namespaces × 3 objects: many writes into each new folder at once. */
const fleetFiles = (version = 1) => {
  const files: Record<string, string> = {};
  for (let c = 0; c < 40; c++)
    for (const ns of ['default', 'kube-system'])
      for (let i = 0; i < 3; i++) files[`c${c}/${ns}/cm-${i}.yaml`] = `name: cm-${i}\ncluster: c${c}\nv: ${version}\n`;
  return files;
};

const WORDS: Record<string, string> = { EACCES: 'permission denied', ENOSPC: 'no space left on device' };
const ioError = (code: string, file: string) => Object.assign(new Error(`${code}: ${WORDS[code]}, open '${file}'`), { code });

describe('directory target: many files at once', () => {
  it('two hundred new files across new folders: all written, counted and recorded', async () => {
    const root = await makeTempDir();
    const files = fleetFiles();
    const r = await new DirectoryTarget(root, nodeTargetFs).apply(
      plan(
        files,
        Object.entries(files).map(([p, t]) => write(p, t)),
        true,
      ),
    );
    expect(r).toMatchObject({ ok: true, created: 240, configured: 0, unchanged: 0, failed: 0 });
    const expected = Object.fromEntries(Object.entries(files).map(([p, t]) => [p, blobOid(t)]));
    expect(await onDisk(root)).toEqual(expected);
    expect(await inventoryOf(root)).toEqual(expected);
  });

  it(
    'I/O errors in the middle of a batch (one truncating its file): the others written, the failed named in ' +
      'path order, the inventory true to the disk',
    async () => {
      const root = await makeTempDir();
      await new DirectoryTarget(root, nodeTargetFs).apply(plan(fleetFiles(1), [], true));
      const failing: TargetFs = {
        ...nodeTargetFs,
        async writeFile(file, text) {
          if (file.endsWith('c7/default/cm-1.yaml')) {
            await nodeTargetFs.writeFile(file, text.slice(0, 3)); // ENOSPC part-way
            throw ioError('ENOSPC', file);
          }
          if (file.endsWith('c3/kube-system/cm-2.yaml')) throw ioError('EACCES', file);
          return nodeTargetFs.writeFile(file, text);
        },
      };
      const files = fleetFiles(2);
      const r = await new DirectoryTarget(root, failing).apply(
        plan(
          files,
          Object.entries(files).map(([p, t]) => write(p, t, 'configured')),
        ),
      );
      expect(r).toMatchObject({ ok: false, created: 0, configured: 238, unchanged: 0, failed: 2, failedClusters: ['c3', 'c7'] });
      expect(r.message).toBe(
        `${root}: 2 object(s) failed: c3/kube-system/cm-2.yaml: cannot write: permission denied (EACCES); ` +
          'c7/default/cm-1.yaml: cannot write: no space left on device (ENOSPC)',
      );
      const inventory = await inventoryOf(root);
      const disk = await onDisk(root);
      // A file still there after a failed write is flotilla's with unknown content (the next pass rewrites it).
      expect(inventory['c7/default/cm-1.yaml']).toBe('');
      expect(inventory['c3/kube-system/cm-2.yaml']).toBe('');
      expect(Object.keys(inventory).sort()).toEqual(Object.keys(disk).sort());
      for (const [p, oid] of Object.entries(inventory)) if (oid !== '') expect(disk[p], p).toBe(oid);
      // The next full pass writes just those two.
      expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan(files, [], true))).toMatchObject({
        ok: true,
        configured: 2,
        unchanged: 238,
      });
    },
  );

  it('a blob that cannot be read stops the pass: what was written stays recorded, the rest is reported failed', async () => {
    const root = await makeTempDir();
    const files = fleetFiles();
    const base = plan(files, [], true);
    const broken = blobOid(files['c20/default/cm-0.yaml']!);
    const interrupted: TargetPlan = {
      ...base,
      readText: async (oid) => (oid === broken ? Promise.reject(new Error('object store unreadable')) : base.readText(oid)),
    };
    const r = await new DirectoryTarget(root, nodeTargetFs).apply(interrupted);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('object store unreadable');
    expect(r.created + r.failed).toBe(240);
    expect(r.failed).toBeGreaterThan(0);
    expect(r.created).toBeGreaterThan(0); // files before the failure (and in flight beside it) were written
    const written = Object.keys(await onDisk(root));
    expect(written.length).toBe(r.created);
    expect(Object.keys(await inventoryOf(root)).sort()).toEqual(written.sort());
    // The next full pass writes the rest.
    expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan(files, [], true))).toMatchObject({
      ok: true,
      created: 240 - written.length,
      unchanged: written.length,
    });
  });
});

describe('directory target: the full compare after a restart', () => {
  it('reads folders, not files, and keeps the verdicts: a missing file rewritten, a linked file or folder refused', async () => {
    const root = await makeTempDir();
    const victim = await makeTempDir('flotilla-victim-');
    const files = fleetFiles();
    await new DirectoryTarget(root, nodeTargetFs).apply(plan(files, [], true));
    await fs.rm(path.join(root, 'c1/default/cm-0.yaml'));
    // A linked folder holding the same bytes, and a linked file: neither is flotilla's to write through.
    await fs.cp(path.join(root, 'c2/default'), path.join(victim, 'ns'), { recursive: true });
    await fs.rm(path.join(root, 'c2/default'), { recursive: true });
    await fs.symlink(path.join(victim, 'ns'), path.join(root, 'c2/default'));
    await fs.writeFile(path.join(victim, 'file.yaml'), files['c3/default/cm-0.yaml']!);
    await fs.rm(path.join(root, 'c3/default/cm-0.yaml'));
    await fs.symlink(path.join(victim, 'file.yaml'), path.join(root, 'c3/default/cm-0.yaml'));

    const calls = { lstat: 0, list: 0 };
    const counting: TargetFs = {
      ...nodeTargetFs,
      entryKind: (f) => (calls.lstat++, nodeTargetFs.entryKind(f)),
      listFolder: (d) => (calls.list++, nodeTargetFs.listFolder(d)),
    };
    const r = await new DirectoryTarget(root, counting).apply(plan(files, [], true));
    expect(r).toMatchObject({ ok: false, configured: 1, created: 0, failed: 4, failedClusters: ['c2', 'c3'] });
    expect(r.message).toContain('c2/default is a symbolic link');
    expect(r.message).toContain('and 1 more'); // c3/default/cm-0.yaml, after the three c2 files in path order
    expect(await fs.readFile(path.join(victim, 'file.yaml'), 'utf8')).toBe(files['c3/default/cm-0.yaml']);
    expect(await fs.readFile(path.join(root, 'c1/default/cm-0.yaml'), 'utf8')).toBe(files['c1/default/cm-0.yaml']);
    // One listing per folder (root, 40 clusters, 80 namespaces); lstat only on the way to what is rewritten.
    expect(calls.list).toBe(121);
    expect(calls.lstat).toBeLessThan(20);
  });

  it('a folder that cannot be listed falls back to one lstat per file below it, with the same verdicts', async () => {
    const root = await makeTempDir();
    const files = fleetFiles();
    await new DirectoryTarget(root, nodeTargetFs).apply(plan(files, [], true));
    await fs.rm(path.join(root, 'c5/default/cm-2.yaml'));
    const unlistable: TargetFs = {
      ...nodeTargetFs,
      listFolder: (d) => (d.endsWith('c5/default') ? Promise.reject(ioError('EACCES', d)) : nodeTargetFs.listFolder(d)),
    };
    const r = await new DirectoryTarget(root, unlistable).apply(plan(files, [], true));
    expect(r).toMatchObject({ ok: true, configured: 1, unchanged: 239 });
    expect(await fs.readFile(path.join(root, 'c5/default/cm-2.yaml'), 'utf8')).toBe(files['c5/default/cm-2.yaml']);
  });
});
