// The directory target acts only inside its root and only on files it wrote: a symbolic link
// planted in the output folder must not redirect a write or a delete elsewhere, and a file a
// person put where an object would go is reported, not overwritten or adopted.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryTarget, INVENTORY_FILE } from '../../src/targets/directory.js';
import { nodeTargetFs } from '../../src/targets/fs.js';
import { blobOid } from '../../src/source/objects.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { del, plan, write, inventoryOf } from './plan-fixtures.js';

afterAll(cleanupRepos);

/** An output root and, beside it, a victim folder holding a file that must never change. */
async function rootAndVictim() {
  const root = await makeTempDir('flotilla-out-');
  const victim = await makeTempDir('flotilla-victim-');
  await fs.writeFile(path.join(victim, 'cm.yaml'), 'precious\n');
  return { root, victim };
}

describe('directory target: symbolic links never lead it outside its root', () => {
  it(
    'a linked namespace folder (hz/kurator-system → victim): the write is refused, the victim ' +
      'file keeps its text, other clusters are written',
    async () => {
      const { root, victim } = await rootAndVictim();
      await fs.mkdir(path.join(root, 'hz'));
      await fs.symlink(victim, path.join(root, 'hz/kurator-system'));
      const r = await new DirectoryTarget(root, nodeTargetFs).apply(
        plan({ 'hz/kurator-system/cm.yaml': 'x: 1\n', 'sh/default/cm.yaml': 'y: 1\n' }, [
          write('hz/kurator-system/cm.yaml', 'x: 1\n'),
          write('sh/default/cm.yaml', 'y: 1\n'),
        ]),
      );
      expect(r).toMatchObject({ ok: false, created: 1, failed: 1, failedClusters: ['hz'] });
      expect(r.message).toContain('hz/kurator-system is a symbolic link');
      expect(await fs.readFile(path.join(victim, 'cm.yaml'), 'utf8')).toBe('precious\n');
      expect(await fs.readFile(path.join(root, 'sh/default/cm.yaml'), 'utf8')).toBe('y: 1\n');
      expect(await inventoryOf(root)).toEqual({ 'sh/default/cm.yaml': blobOid('y: 1\n') });
    },
  );

  it('a folder replaced by a link after flotilla wrote into it: neither the delete nor the full pass removes the victim file', async () => {
    const { root, victim } = await rootAndVictim();
    const target = new DirectoryTarget(root, nodeTargetFs);
    await target.apply(plan({ 'hz/ns/cm.yaml': 'x\n' }, [write('hz/ns/cm.yaml', 'x\n')], true));
    await fs.rm(path.join(root, 'hz/ns'), { recursive: true });
    await fs.symlink(victim, path.join(root, 'hz/ns'));

    const r = await target.apply(plan({}, [del('hz/ns/cm.yaml')]));
    expect(r).toMatchObject({ ok: false, deleted: 0, failed: 1, failedClusters: ['hz'] });
    expect(r.message).toContain('not deleting: hz/ns is a symbolic link');
    const full = await new DirectoryTarget(root, nodeTargetFs).apply(plan({}, [], true));
    expect(full).toMatchObject({ ok: false, deleted: 0, failed: 1 });
    expect(await fs.readFile(path.join(victim, 'cm.yaml'), 'utf8')).toBe('precious\n');
    // Still recorded: once the link is gone, a later pass deletes what flotilla wrote.
    expect(Object.keys(await inventoryOf(root))).toEqual(['hz/ns/cm.yaml']);
  });

  it('the object file itself replaced by a link to a victim file: the update is refused and the victim keeps its text', async () => {
    const { root, victim } = await rootAndVictim();
    const target = new DirectoryTarget(root, nodeTargetFs);
    await target.apply(plan({ 'a/n/cm.yaml': 'v1\n' }, [write('a/n/cm.yaml', 'v1\n')], true));
    await fs.rm(path.join(root, 'a/n/cm.yaml'));
    await fs.symlink(path.join(victim, 'cm.yaml'), path.join(root, 'a/n/cm.yaml'));
    for (const full of [false, true]) {
      const r = await target.apply(plan({ 'a/n/cm.yaml': 'v2\n' }, [write('a/n/cm.yaml', 'v2\n', 'configured')], full));
      expect(r).toMatchObject({ ok: false, configured: 0, failed: 1, failedClusters: ['a'] });
      expect(await fs.readFile(path.join(victim, 'cm.yaml'), 'utf8')).toBe('precious\n');
    }
  });

  it('an empty folder outside the root, reached through a linked cluster folder, is not pruned', async () => {
    const { root, victim } = await rootAndVictim();
    const target = new DirectoryTarget(root, nodeTargetFs);
    await target.apply(plan({ 'hz/ns/cm.yaml': 'x\n' }, [write('hz/ns/cm.yaml', 'x\n')], true));
    await fs.rm(path.join(root, 'hz'), { recursive: true });
    await fs.mkdir(path.join(victim, 'ns'));
    await fs.symlink(victim, path.join(root, 'hz'));
    await target.apply(plan({}, [del('hz/ns/cm.yaml')]));
    expect((await fs.readdir(victim)).sort()).toEqual(['cm.yaml', 'ns']);
  });

  it("a link planted at the inventory's temporary file is not written through", async () => {
    const { root, victim } = await rootAndVictim();
    await fs.symlink(path.join(victim, 'cm.yaml'), path.join(root, `${INVENTORY_FILE}.tmp`));
    await new DirectoryTarget(root, nodeTargetFs).apply(plan({ 'a/n/x.yaml': 'x\n' }, [write('a/n/x.yaml', 'x\n')])).catch(() => null);
    expect(await fs.readFile(path.join(victim, 'cm.yaml'), 'utf8')).toBe('precious\n');
  });
});

describe('directory target: files a person put in the folder are never touched', () => {
  it(
    'a hand-written file where an object goes: refused with the reason, left as it was, not ' +
      'adopted, and not deleted when the object leaves',
    async () => {
      for (const full of [false, true]) {
        const root = await makeTempDir();
        await fs.mkdir(path.join(root, 'a/default'), { recursive: true });
        await fs.writeFile(path.join(root, 'a/default/cm.yaml'), 'mine\n');
        const target = new DirectoryTarget(root, nodeTargetFs);
        const r = await target.apply(
          plan(
            { 'a/default/cm.yaml': 'x: 1\n', 'b/default/cm.yaml': 'y: 1\n' },
            [write('a/default/cm.yaml', 'x: 1\n'), write('b/default/cm.yaml', 'y: 1\n')],
            full,
          ),
        );
        expect(r).toMatchObject({ ok: false, created: 1, failed: 1, failedClusters: ['a'] });
        expect(r.message).toContain('a/default/cm.yaml: a file flotilla did not write is already there');
        expect(await fs.readFile(path.join(root, 'a/default/cm.yaml'), 'utf8')).toBe('mine\n');
        expect(Object.keys(await inventoryOf(root))).toEqual(['b/default/cm.yaml']);
        // The object leaves the desired state: the person's file stays.
        const gone = await target.apply(plan({ 'b/default/cm.yaml': 'y: 1\n' }, [del('a/default/cm.yaml')], full));
        expect(gone).toMatchObject({ ok: true, deleted: 0 });
        expect(await fs.readFile(path.join(root, 'a/default/cm.yaml'), 'utf8')).toBe('mine\n');
      }
    },
  );

  it(
    'a file already holding exactly the bytes flotilla would write (e.g. a lost inventory) is ' + 'adopted, then managed as its own',
    async () => {
      const root = await makeTempDir();
      await fs.mkdir(path.join(root, 'a/default'), { recursive: true });
      await fs.writeFile(path.join(root, 'a/default/cm.yaml'), 'x: 1\n');
      const target = new DirectoryTarget(root, nodeTargetFs);
      const r = await target.apply(plan({ 'a/default/cm.yaml': 'x: 1\n' }, [], true));
      expect(r).toMatchObject({ ok: true, created: 0, configured: 0, unchanged: 1, failed: 0 });
      expect(await inventoryOf(root)).toEqual({ 'a/default/cm.yaml': blobOid('x: 1\n') });
      const gone = await target.apply(plan({}, [del('a/default/cm.yaml')]));
      expect(gone).toMatchObject({ ok: true, deleted: 1 });
      await expect(fs.stat(path.join(root, 'a/default/cm.yaml'))).rejects.toThrow();
    },
  );

  it('a folder standing where an object file goes is refused, not an error for the whole pass', async () => {
    const root = await makeTempDir();
    await fs.mkdir(path.join(root, 'a/default/cm.yaml'), { recursive: true });
    const r = await new DirectoryTarget(root, nodeTargetFs).apply(
      plan({ 'a/default/cm.yaml': 'x\n', 'b/n/y.yaml': 'y\n' }, [write('a/default/cm.yaml', 'x\n'), write('b/n/y.yaml', 'y\n')]),
    );
    expect(r).toMatchObject({ ok: false, created: 1, failed: 1, failedClusters: ['a'] });
    expect(r.message).toContain('something other than a file is there');
  });
});
