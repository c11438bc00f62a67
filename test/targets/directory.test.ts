import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryTarget, INVENTORY_FILE, INVENTORY_JOURNAL } from '../../src/targets/directory.js';
import { nodeTargetFs, type TargetFs } from '../../src/targets/fs.js';
import { blobOid } from '../../src/source/objects.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { del, inventoryOf, plan, write } from './plan-fixtures.js';
import type { ObjectChange } from '../../src/state/change-set.js';

afterAll(cleanupRepos);

describe('directory target', () => {
  it('a suspended object (spec.suspension) keeps its last version on disk, and one never written stays absent', async () => {
    const root = await makeTempDir();
    const target = new DirectoryTarget(root, nodeTargetFs);
    const v1 = 'kind: ConfigMap\nmetadata:\n  name: x\ndata: {v: "1"}\n';
    await target.apply(plan({ 'a/default/x.yaml': v1 }, [write('a/default/x.yaml', v1)], true));
    const held = (v: string) =>
      `kind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n    flotilla.dev/suspended: "true"\ndata: {v: "${v}"}\n`;
    const r = await target.apply(
      plan({ 'a/default/x.yaml': held('2'), 'b/default/x.yaml': held('2') }, [
        write('a/default/x.yaml', held('2')),
        write('b/default/x.yaml', held('2')),
      ]),
    );
    expect(r).toMatchObject({ ok: true, created: 0, configured: 0, deleted: 0 });
    expect(await fs.readFile(path.join(root, 'a/default/x.yaml'), 'utf8')).toBe(v1);
    await expect(fs.stat(path.join(root, 'b'))).rejects.toThrow();
    // Lifted: the object as rendered now is written.
    const v3 = 'kind: ConfigMap\nmetadata:\n  name: x\ndata: {v: "3"}\n';
    expect(await target.apply(plan({ 'a/default/x.yaml': v3 }, [write('a/default/x.yaml', v3)]))).toMatchObject({ configured: 1 });
    expect(await fs.readFile(path.join(root, 'a/default/x.yaml'), 'utf8')).toBe(v3);
  });

  it('the inventory of many files is one JSON document, a sorted "path","oid" pair a line', async () => {
    const root = await makeTempDir();
    const target = new DirectoryTarget(root, nodeTargetFs);
    // Enough files for the inventory to span several of the pieces it is made of (16 KiB each).
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`c${i % 3}/default/cm-${String(599 - i).padStart(3, '0')}.yaml`] = `v: ${i}\n`;
    await target.apply(
      plan(
        files,
        Object.entries(files).map(([p, t]) => write(p, t)),
        true,
      ),
    );
    const text = await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8');
    const lines = text.split('\n');
    expect(lines[1]).toBe('"pathsAndOids":[');
    const pairs = lines.slice(2, -2);
    const sorted = Object.keys(files).sort();
    expect(pairs).toEqual(sorted.map((p, i) => `"${p}","${blobOid(files[p]!)}"${i < sorted.length - 1 ? ',' : ''}`));
    expect(lines.slice(-2)).toEqual([']}', '']);
    expect(JSON.parse(text)).toMatchObject({ kind: 'Inventory', pathsAndOids: sorted.flatMap((p) => [p, blobOid(files[p]!)]) });
  });

  it.each([false, true])(
    'an object whose file name changed is counted as configured, its old file removed but not counted deleted (full: %s)',
    async (full) => {
      const root = await makeTempDir();
      const target = new DirectoryTarget(root, nodeTargetFs);
      const text = 'kind: Deployment\n';
      const old = 'a/web/deployment-web.yaml';
      const moved = 'a/web/deployment.apps-web.yaml';
      await target.apply(plan({ [old]: text, 'a/web/cm.yaml': 'x\n' }, [write(old, text), write('a/web/cm.yaml', 'x\n')], true));
      // Another kind named web came (its file is another change); this one's name is now qualified by its group.
      const move: ObjectChange = { ...write(moved, text, 'configured'), previousPath: old };
      const r = await target.apply(plan({ [moved]: text, 'a/web/cm.yaml': 'x\n' }, [move], full));
      expect(r).toMatchObject({ ok: true, created: 0, configured: 1, deleted: 0, unchanged: 1 });
      expect((await fs.readdir(path.join(root, 'a/web'))).sort()).toEqual(['cm.yaml', 'deployment.apps-web.yaml']);
      expect(await inventoryOf(root)).toEqual({ [moved]: blobOid(text), 'a/web/cm.yaml': blobOid('x\n') });
    },
  );

  it('writes, records an inventory, and deletes only what it wrote (never a file a person added)', async () => {
    const root = await makeTempDir();
    const target = new DirectoryTarget(root, nodeTargetFs);
    const r1 = await target.apply(
      plan(
        { 'a/default/x.yaml': 'x: 1\n', 'a/default/y.yaml': 'y: 1\n' },
        [write('a/default/x.yaml', 'x: 1\n'), write('a/default/y.yaml', 'y: 1\n')],
        true,
      ),
    );
    expect(r1).toMatchObject({ ok: true, created: 2, configured: 0, deleted: 0 });
    expect(await inventoryOf(root)).toEqual({ 'a/default/x.yaml': blobOid('x: 1\n'), 'a/default/y.yaml': blobOid('y: 1\n') });
    await fs.writeFile(path.join(root, 'a/default/notes.yaml'), 'mine\n');
    // A change set that (wrongly) names a file flotilla never wrote: it stays.
    const r2 = await target.apply(plan({ 'a/default/x.yaml': 'x: 1\n' }, [del('a/default/y.yaml'), del('a/default/notes.yaml')]));
    expect(r2).toMatchObject({ ok: true, deleted: 1 });
    expect((await fs.readdir(path.join(root, 'a/default'))).sort()).toEqual(['notes.yaml', 'x.yaml']);
  });

  it('full mode after a restart: restores a file deleted by hand, removes files that left the state, prunes empty folders', async () => {
    const root = await makeTempDir();
    await new DirectoryTarget(root, nodeTargetFs).apply(
      plan(
        { 'a/default/x.yaml': 'x\n', 'b/default/y.yaml': 'y\n' },
        [write('a/default/x.yaml', 'x\n'), write('b/default/y.yaml', 'y\n')],
        true,
      ),
    );
    await fs.rm(path.join(root, 'a/default/x.yaml'));
    const restarted = new DirectoryTarget(root, nodeTargetFs);
    const r = await restarted.apply(plan({ 'a/default/x.yaml': 'x\n' }, [], true));
    expect(r).toMatchObject({ ok: true, created: 0, configured: 1, deleted: 1 });
    expect(await fs.readFile(path.join(root, 'a/default/x.yaml'), 'utf8')).toBe('x\n');
    await expect(fs.stat(path.join(root, 'b'))).rejects.toThrow();
  });

  it('a failing write reports the target Failed with its cluster, keeps what was written, and never throws', async () => {
    const root = await makeTempDir();
    const failing: TargetFs = {
      ...nodeTargetFs,
      writeFile: async (f, t) => (f.includes('/b/') ? Promise.reject(new Error('disk full')) : nodeTargetFs.writeFile(f, t)),
    };
    const r = await new DirectoryTarget(root, failing).apply(
      plan({ 'a/n/x.yaml': 'x\n', 'b/n/y.yaml': 'y\n' }, [write('a/n/x.yaml', 'x\n'), write('b/n/y.yaml', 'y\n')]),
    );
    expect(r).toMatchObject({ ok: false, created: 1, failed: 1, failedClusters: ['b'] });
    expect(r.message).toContain('disk full');
    expect(await inventoryOf(root)).toEqual({ 'a/n/x.yaml': blobOid('x\n') });
  });

  it('refuses paths that climb out of the directory, even from a tampered inventory', async () => {
    const root = await makeTempDir();
    await fs.writeFile(path.join(root, INVENTORY_FILE), JSON.stringify({ files: { '../outside.yaml': 'x', 'a/../../evil': 'y' } }));
    const target = new DirectoryTarget(root, nodeTargetFs);
    expect([...(await target.readInventory()).keys()]).toEqual([]);
    const r = await target.apply(plan({ '../escape.yaml': 'x\n' }, [write('../escape.yaml', 'x\n')]));
    expect(r.ok).toBe(false);
    await expect(fs.stat(path.join(root, '..', 'escape.yaml'))).rejects.toThrow();
  });

  it('a corrupt inventory is an error that says how to recover, not a silent "delete nothing"', async () => {
    const root = await makeTempDir();
    await fs.writeFile(path.join(root, INVENTORY_FILE), '{not json');
    await expect(new DirectoryTarget(root, nodeTargetFs).readInventory()).rejects.toMatchObject({ code: 'INVENTORY_CORRUPT' });
  });

  it('reads an inventory of the earlier format and deletes what it lists; the next write records the current format', async () => {
    const root = await makeTempDir();
    await fs.mkdir(path.join(root, 'a/n'), { recursive: true });
    await fs.writeFile(path.join(root, 'a/n/old.yaml'), 'old\n');
    await fs.writeFile(path.join(root, 'a/n/mine.yaml'), 'mine\n');
    const files = { 'a/n/old.yaml': blobOid('old\n') };
    await fs.writeFile(
      path.join(root, INVENTORY_FILE),
      JSON.stringify({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'Inventory', revision: 'q', files }),
    );
    const r = await new DirectoryTarget(root, nodeTargetFs).apply(plan({ 'a/n/x.yaml': 'x\n' }, [], true));
    expect(r).toMatchObject({ ok: true, created: 1, deleted: 1 });
    expect((await fs.readdir(path.join(root, 'a/n'))).sort()).toEqual(['mine.yaml', 'x.yaml']);
    expect(await inventoryOf(root)).toEqual({ 'a/n/x.yaml': blobOid('x\n') });
  });

  it('a restart whose full compare changes nothing leaves the inventory file as it is (format 1 is rewritten once)', async () => {
    const root = await makeTempDir();
    const inventoryWrites: string[] = [];
    const counting: TargetFs = {
      ...nodeTargetFs,
      writeFile: async (f, t, o) => {
        if (f.includes(INVENTORY_FILE)) inventoryWrites.push(f);
        return nodeTargetFs.writeFile(f, t, o);
      },
    };
    const desired = { 'a/n/x.yaml': 'x\n', 'b/n/y.yaml': 'y\n' };
    await new DirectoryTarget(root, counting).apply(plan(desired, [write('a/n/x.yaml', 'x\n'), write('b/n/y.yaml', 'y\n')], true));
    expect(inventoryWrites).toHaveLength(1);
    const text = await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8');
    expect(await new DirectoryTarget(root, counting).apply(plan(desired, [], true))).toMatchObject({ ok: true, unchanged: 2 });
    expect(inventoryWrites).toHaveLength(1);
    expect(await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8')).toBe(text);
    // The same files recorded in the earlier format: the full compare rewrites it in the current one.
    await fs.writeFile(path.join(root, INVENTORY_FILE), JSON.stringify({ files: await inventoryOf(root) }));
    expect(await new DirectoryTarget(root, counting).apply(plan(desired, [], true))).toMatchObject({ ok: true, unchanged: 2 });
    expect(inventoryWrites).toHaveLength(2);
    expect(await inventoryOf(root)).toEqual({ 'a/n/x.yaml': blobOid('x\n'), 'b/n/y.yaml': blobOid('y\n') });
  });

  it('a tampered entry of the current format is dropped, and the full compare records the inventory again without it', async () => {
    const root = await makeTempDir();
    await fs.mkdir(path.join(root, 'a/n'), { recursive: true });
    await fs.writeFile(path.join(root, 'a/n/x.yaml'), 'x\n');
    const pathsAndOids = ['../outside.yaml', 'x', 'a/n/x.yaml', blobOid('x\n'), 'a/n/y.yaml', 7];
    await fs.writeFile(path.join(root, INVENTORY_FILE), JSON.stringify({ kind: 'Inventory', version: 2, revision: 'q', pathsAndOids }));
    const target = new DirectoryTarget(root, nodeTargetFs);
    expect(Object.fromEntries(await target.readInventory())).toEqual({ 'a/n/x.yaml': blobOid('x\n') });
    expect(await target.apply(plan({ 'a/n/x.yaml': 'x\n' }, [], true))).toMatchObject({
      ok: true,
      unchanged: 1,
      created: 0,
      configured: 0,
    });
    expect(await inventoryOf(root)).toEqual({ 'a/n/x.yaml': blobOid('x\n') });
  });
});

describe('directory target: the inventory journal', () => {
  const text = (i: number, v = 1) => `name: f${i}\nv: ${v}\n`;
  /** A folder with 300 files written and recorded whole (the first save writes the inventory file). */
  async function written(): Promise<{ root: string; desired: Record<string, string> }> {
    const root = await makeTempDir();
    const desired: Record<string, string> = {};
    for (let i = 0; i < 300; i++) desired[`a/n/f${i}.yaml`] = text(i);
    const r = await new DirectoryTarget(root, nodeTargetFs).apply(
      plan(
        desired,
        Object.entries(desired).map(([p, t]) => write(p, t)),
        true,
      ),
    );
    expect(r).toMatchObject({ ok: true, created: 300 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    return { root, desired };
  }
  const journalLines = async (root: string) => (await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8')).split('\n');

  it('a pass that changes a few files appends them to the journal and leaves the inventory file; a restart reads both', async () => {
    const { root, desired } = await written();
    const before = await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8');
    const target = new DirectoryTarget(root, nodeTargetFs);
    const next: Record<string, string> = { ...desired, 'a/n/f1.yaml': text(1, 2), 'a/n/new.yaml': 'new\n' };
    delete next['a/n/f2.yaml'];
    const changes = [write('a/n/f1.yaml', text(1, 2), 'configured'), write('a/n/new.yaml', 'new\n'), del('a/n/f2.yaml')];
    // A restart's full compare, then a pass of the same process.
    expect(await target.apply(plan(next, changes, true))).toMatchObject({ ok: true, created: 1, configured: 1, deleted: 1 });
    expect(
      await target.apply(plan({ ...next, 'a/n/f3.yaml': text(3, 2) }, [write('a/n/f3.yaml', text(3, 2), 'configured')])),
    ).toMatchObject({
      ok: true,
      configured: 1,
    });
    expect(await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8')).toBe(before);
    expect(await journalLines(root)).toHaveLength(1 + 4 + 1); // the header, four entries, the final newline
    const expected = Object.fromEntries(Object.entries({ ...next, 'a/n/f3.yaml': text(3, 2) }).map(([p, t]) => [p, blobOid(t)]));
    expect(await inventoryOf(root)).toEqual(expected);
    expect(Object.fromEntries(await new DirectoryTarget(root, nodeTargetFs).readInventory())).toEqual(expected);
    // A restart that finds nothing to do writes neither.
    const journal = await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8');
    expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan({ ...next, 'a/n/f3.yaml': text(3, 2) }, [], true))).toMatchObject({
      ok: true,
      unchanged: 300,
    });
    expect(await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8')).toBe(journal);
    expect(await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8')).toBe(before);
  });

  it('a journal whose last entry was cut short (a stop mid-append) is read up to it; the next save writes it whole', async () => {
    const { root, desired } = await written();
    const target = new DirectoryTarget(root, nodeTargetFs);
    await target.apply(plan({ ...desired, 'a/n/f1.yaml': text(1, 2) }, [write('a/n/f1.yaml', text(1, 2), 'configured')]));
    // The process stopped while appending the next pass's entry: the file is written, its entry cut short.
    await fs.writeFile(path.join(root, 'a/n/f2.yaml'), text(2, 2));
    await fs.appendFile(path.join(root, INVENTORY_JOURNAL), `["a/n/f2.yaml","${blobOid(text(2, 2)).slice(0, 7)}`);
    const restarted = new DirectoryTarget(root, nodeTargetFs);
    expect((await restarted.readInventory()).get('a/n/f2.yaml')).toBe(blobOid(text(2)));
    expect((await restarted.readInventory()).get('a/n/f1.yaml')).toBe(blobOid(text(1, 2)));
    // The full compare rewrites f2 (its recorded oid is not the desired one) and records everything whole.
    const next = { ...desired, 'a/n/f1.yaml': text(1, 2), 'a/n/f2.yaml': text(2, 2) };
    expect(await restarted.apply(plan(next, [], true))).toMatchObject({ ok: true, configured: 1 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    expect(await inventoryOf(root)).toEqual(Object.fromEntries(Object.entries(next).map(([p, t]) => [p, blobOid(t)])));
  });

  it('a journal left by a rewrite that stopped before removing it follows another generation and is not applied', async () => {
    const { root, desired } = await written();
    const target = new DirectoryTarget(root, nodeTargetFs);
    await target.apply(plan({ ...desired, 'a/n/f1.yaml': text(1, 2) }, [write('a/n/f1.yaml', text(1, 2), 'configured')]));
    const stale = await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8');
    // Many changes at once: the inventory is written whole, and the journal removed...
    const next = Object.fromEntries(Object.keys(desired).map((p) => [p, `${p}: 3\n`]));
    const all = Object.entries(next).map(([p, t]) => write(p, t, 'configured'));
    expect(await target.apply(plan(next, all))).toMatchObject({ ok: true, configured: 300 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    // ...had the removal not happened, the old journal (f1 at v2) must not be applied over it.
    await fs.writeFile(path.join(root, INVENTORY_JOURNAL), stale);
    const expected = Object.fromEntries(Object.entries(next).map(([p, t]) => [p, blobOid(t)]));
    expect(Object.fromEntries(await new DirectoryTarget(root, nodeTargetFs).readInventory())).toEqual(expected);
    // The next full compare records the inventory anew, the stale journal gone.
    expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan(next, [], true))).toMatchObject({ ok: true, unchanged: 300 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    expect(await inventoryOf(root)).toEqual(expected);
  });

  it('a journal removed by hand while the process runs: the next save writes the inventory whole from memory', async () => {
    const { root, desired } = await written();
    const target = new DirectoryTarget(root, nodeTargetFs);
    const v2 = { ...desired, 'a/n/f1.yaml': text(1, 2) };
    await target.apply(plan(v2, [write('a/n/f1.yaml', text(1, 2), 'configured')]));
    await fs.rm(path.join(root, INVENTORY_JOURNAL));
    const v3 = { ...v2, 'a/n/f2.yaml': text(2, 3) };
    expect(await target.apply(plan(v3, [write('a/n/f2.yaml', text(2, 3), 'configured')]))).toMatchObject({ ok: true, configured: 1 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    expect(await inventoryOf(root)).toEqual(Object.fromEntries(Object.entries(v3).map(([p, t]) => [p, blobOid(t)])));
  });

  it('a complete journal line that is not JSON makes the inventory corrupt; a tampered entry is dropped', async () => {
    const { root, desired } = await written();
    await new DirectoryTarget(root, nodeTargetFs).apply(
      plan({ ...desired, 'a/n/f1.yaml': text(1, 2) }, [write('a/n/f1.yaml', text(1, 2), 'configured')]),
    );
    const journal = await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8');
    await fs.writeFile(path.join(root, INVENTORY_JOURNAL), `${journal}["../outside.yaml","x"]\n`);
    const read = await new DirectoryTarget(root, nodeTargetFs).readInventory();
    expect(read.has('../outside.yaml')).toBe(false);
    expect(read.get('a/n/f1.yaml')).toBe(blobOid(text(1, 2)));
    await fs.writeFile(path.join(root, INVENTORY_JOURNAL), `${journal}{not json\n`);
    await expect(new DirectoryTarget(root, nodeTargetFs).readInventory()).rejects.toMatchObject({ code: 'INVENTORY_CORRUPT' });
  });

  it('an inventory of format 2 (no journal) is read, and the first save writes format 3 whole', async () => {
    const { root, desired } = await written();
    const doc = JSON.parse(await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(root, INVENTORY_FILE), JSON.stringify({ ...doc, version: 2, generation: undefined }));
    // A journal beside a format 2 file is not its own: never applied.
    await fs.writeFile(path.join(root, INVENTORY_JOURNAL), `${JSON.stringify({ generation: doc.generation })}\n["a/n/f1.yaml"]\n`);
    const target = new DirectoryTarget(root, nodeTargetFs);
    expect((await target.readInventory()).size).toBe(300);
    expect(await target.apply(plan(desired, [], true))).toMatchObject({ ok: true, unchanged: 300 });
    await expect(fs.access(path.join(root, INVENTORY_JOURNAL))).rejects.toThrow();
    expect(await inventoryOf(root)).toEqual(Object.fromEntries(Object.entries(desired).map(([p, t]) => [p, blobOid(t)])));
  });
});

describe('directory target: the full compare read ahead (prepareFullCompare)', () => {
  const FILES = { 'a/n/x.yaml': 'x\n', 'a/n/y.yaml': 'y\n', 'b/n/z.yaml': 'z\n' };
  const read = (root: string, p: string) => fs.readFile(path.join(root, p), 'utf8').catch(() => null);

  /** FILES written by one process, `a/n/x.yaml` then deleted by hand, and the target of a restarted one (read ahead or not). */
  async function restarted(readAhead: boolean) {
    const root = await makeTempDir();
    const changes = Object.entries(FILES).map(([p, t]) => write(p, t));
    expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan(FILES, changes, true))).toMatchObject({ ok: true, created: 3 });
    await fs.rm(path.join(root, 'a/n/x.yaml'));
    const target = new DirectoryTarget(root, nodeTargetFs);
    if (readAhead) target.prepareFullCompare();
    return { root, target };
  }

  it('a restart read ahead restores a file deleted by hand, rewrites a changed one and deletes one that left, as without', async () => {
    const next = () =>
      plan({ 'a/n/x.yaml': 'x\n', 'a/n/y.yaml': 'y2\n' }, [write('a/n/y.yaml', 'y2\n', 'configured'), del('b/n/z.yaml')], true);
    const results = [];
    for (const readAhead of [false, true]) {
      const { root, target } = await restarted(readAhead);
      const report = await target.apply(next());
      const files = { x: await read(root, 'a/n/x.yaml'), y: await read(root, 'a/n/y.yaml'), z: await read(root, 'b/n/z.yaml') };
      results.push({ report, files, inventory: await inventoryOf(root) });
    }
    expect(results[1]).toEqual(results[0]);
    // y is a plain file listed in the inventory, under its old oid: read ahead or not, it is rewritten.
    expect(results[1]!.files).toEqual({ x: 'x\n', y: 'y2\n', z: null });
    expect(results[1]!.report).toMatchObject({ ok: true, configured: 2, deleted: 1 });
  });

  it('what was read ahead serves the next apply only: a file deleted by hand after it is restored by a later full apply', async () => {
    const root = await makeTempDir();
    const changes = Object.entries(FILES).map(([p, t]) => write(p, t));
    await new DirectoryTarget(root, nodeTargetFs).apply(plan(FILES, changes, true));
    const target = new DirectoryTarget(root, nodeTargetFs);
    target.prepareFullCompare();
    expect(await target.apply(plan(FILES, [], true))).toMatchObject({ ok: true, created: 0, configured: 0, unchanged: 3 });
    await fs.rm(path.join(root, 'a/n/x.yaml'));
    expect(await target.apply(plan(FILES, [], true))).toMatchObject({ ok: true, configured: 1 });
    expect(await read(root, 'a/n/x.yaml')).toBe('x\n');
  });

  it('a read ahead that fails (a corrupt inventory) leaves the apply to read again and report it', async () => {
    const root = await makeTempDir();
    await fs.writeFile(path.join(root, INVENTORY_FILE), '{not json');
    const target = new DirectoryTarget(root, nodeTargetFs);
    target.prepareFullCompare();
    await expect(target.apply(plan(FILES, [], true))).rejects.toMatchObject({ code: 'INVENTORY_CORRUPT' });
  });

  it('a second read ahead (the pass before stopped early) starts only once the first has settled', async () => {
    const root = await makeTempDir();
    const changes = Object.entries(FILES).map(([p, t]) => write(p, t));
    await new DirectoryTarget(root, nodeTargetFs).apply(plan(FILES, changes, true));
    let reads = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowFs: TargetFs = {
      ...nodeTargetFs,
      readFile: async (f) => {
        if (f.endsWith(INVENTORY_FILE) && ++reads === 1) await held;
        return nodeTargetFs.readFile(f);
      },
    };
    const target = new DirectoryTarget(root, slowFs);
    target.prepareFullCompare();
    target.prepareFullCompare();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(1);
    release();
    expect(await target.apply(plan(FILES, [], true))).toMatchObject({ ok: true, unchanged: 3, configured: 0 });
    expect(reads).toBe(2);
  });

  it('a read ahead that fails and is never used (a pass that stopped before its write stage) rejects nothing unhandled', async () => {
    const root = await makeTempDir();
    await fs.writeFile(path.join(root, INVENTORY_FILE), '{not json');
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      new DirectoryTarget(root, nodeTargetFs).prepareFullCompare();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
