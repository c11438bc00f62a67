// One object's I/O error is that object's failure, never the pass's (issue 10 item 11): the
// directory target writes and deletes everything else, names the failed path and why, and its
// inventory records only what is on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryTarget, INVENTORY_FILE } from '../../src/targets/directory.js';
import { nodeTargetFs, type TargetFs } from '../../src/targets/fs.js';
import { blobOid } from '../../src/source/objects.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { del, plan, write, inventoryOf } from './plan-fixtures.js';

afterAll(cleanupRepos);

/** An error as node:fs throws it. */
function systemError(code: string, words: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${words}, ${syscall} '${file}'`), { code, syscall, path: file });
}

/** The real file system, except that `fail(file)` makes the write (or the removal) of `file` throw. */
function failingFs(op: 'writeFile' | 'removeFile', fail: (file: string) => NodeJS.ErrnoException | null, partial = false): TargetFs {
  return {
    ...nodeTargetFs,
    async [op](file: string, text?: string) {
      const e = fail(file);
      if (!e) return op === 'writeFile' ? nodeTargetFs.writeFile(file, text!) : nodeTargetFs.removeFile(file);
      // A write that fails part-way (ENOSPC, EIO) has already truncated or created the file.
      if (partial) await nodeTargetFs.writeFile(file, text!.slice(0, 2));
      throw e;
    },
  };
}

describe('directory target: an I/O error fails one object', () => {
  it('EACCES on the first of three files: the others are written, the path is named, the inventory has what was written', async () => {
    const root = await makeTempDir();
    const target = new DirectoryTarget(
      root,
      failingFs('writeFile', (f) => (f.includes('/a/') ? systemError('EACCES', 'permission denied', 'open', f) : null)),
    );
    const r = await target.apply(
      plan({ 'a/n/x.yaml': 'x\n', 'b/n/y.yaml': 'y\n', 'c/n/z.yaml': 'z\n' }, [
        write('a/n/x.yaml', 'x\n'),
        write('b/n/y.yaml', 'y\n'),
        write('c/n/z.yaml', 'z\n'),
      ]),
    );
    expect(r).toMatchObject({ ok: false, created: 2, failed: 1, failedClusters: ['a'], unchanged: 0 });
    expect(r.message).toBe(`${root}: 1 object(s) failed: a/n/x.yaml: cannot write: permission denied (EACCES)`);
    expect(await fs.readFile(path.join(root, 'c/n/z.yaml'), 'utf8')).toBe('z\n');
    expect(await inventoryOf(root)).toEqual({ 'b/n/y.yaml': blobOid('y\n'), 'c/n/z.yaml': blobOid('z\n') });

    // Once the path can be written, the next (full) pass writes it and nothing else.
    const healed = await new DirectoryTarget(root, nodeTargetFs).apply(
      plan({ 'a/n/x.yaml': 'x\n', 'b/n/y.yaml': 'y\n', 'c/n/z.yaml': 'z\n' }, [], true),
    );
    expect(healed).toMatchObject({ ok: true, created: 1, configured: 0, unchanged: 2 });
  });

  it('a write failing after truncating: flotilla’s, content unknown; rewritten next pass, deleted when its object goes', async () => {
    const root = await makeTempDir();
    await new DirectoryTarget(root, nodeTargetFs).apply(plan({ 'a/n/x.yaml': 'x: 1\n' }, [write('a/n/x.yaml', 'x: 1\n')], true));
    const failing = failingFs(
      'writeFile',
      (f) => (f.endsWith('x.yaml') ? systemError('ENOSPC', 'no space left on device', 'write', f) : null),
      true,
    );
    const r = await new DirectoryTarget(root, failing).apply(
      plan({ 'a/n/x.yaml': 'x: 2\n', 'a/n/new.yaml': 'n\n' }, [write('a/n/x.yaml', 'x: 2\n', 'configured'), write('a/n/new.yaml', 'n\n')]),
    );
    expect(r).toMatchObject({ ok: false, created: 1, configured: 0, failed: 1 });
    expect(r.message).toContain('a/n/x.yaml: cannot write: no space left on device (ENOSPC)');
    // Not the old oid: the file no longer holds x: 1.
    expect(await inventoryOf(root)).toEqual({ 'a/n/new.yaml': blobOid('n\n'), 'a/n/x.yaml': '' });

    const next = new DirectoryTarget(root, nodeTargetFs);
    expect(await next.apply(plan({ 'a/n/x.yaml': 'x: 2\n', 'a/n/new.yaml': 'n\n' }, [], true))).toMatchObject({ ok: true, configured: 1 });
    expect(await fs.readFile(path.join(root, 'a/n/x.yaml'), 'utf8')).toBe('x: 2\n');

    // A new object whose failed write left a partial file: flotilla's, so deleting the object removes it.
    const partialNew = await new DirectoryTarget(
      root,
      failingFs('writeFile', (f) => (f.endsWith('p.yaml') ? systemError('EIO', 'i/o error', 'write', f) : null), true),
    ).apply(plan({ 'a/n/x.yaml': 'x: 2\n', 'a/n/new.yaml': 'n\n', 'a/n/p.yaml': 'p\n' }, [write('a/n/p.yaml', 'p\n')]));
    expect(partialNew).toMatchObject({ ok: false, failed: 1 });
    expect((await inventoryOf(root))['a/n/p.yaml']).toBe('');
    const gone = await new DirectoryTarget(root, nodeTargetFs).apply(plan({ 'a/n/x.yaml': 'x: 2\n', 'a/n/new.yaml': 'n\n' }, [], true));
    expect(gone).toMatchObject({ ok: true, deleted: 1 });
    await expect(fs.stat(path.join(root, 'a/n/p.yaml'))).rejects.toThrow();
  });

  it('a delete that fails: the other deletes happen, the failed file stays recorded so a later pass deletes it', async () => {
    const root = await makeTempDir();
    const files = { 'a/n/x.yaml': 'x\n', 'a/n/y.yaml': 'y\n', 'a/n/z.yaml': 'z\n' };
    await new DirectoryTarget(root, nodeTargetFs).apply(
      plan(
        files,
        Object.entries(files).map(([p, t]) => write(p, t)),
        true,
      ),
    );
    const failing = failingFs('removeFile', (f) =>
      f.endsWith('x.yaml') ? systemError('EPERM', 'operation not permitted', 'unlink', f) : null,
    );
    const r = await new DirectoryTarget(root, failing).apply(plan({}, [del('a/n/x.yaml'), del('a/n/y.yaml'), del('a/n/z.yaml')]));
    expect(r).toMatchObject({ ok: false, deleted: 2, failed: 1, failedClusters: ['a'] });
    expect(r.message).toContain('a/n/x.yaml: cannot delete: operation not permitted (EPERM)');
    expect(await inventoryOf(root)).toEqual({ 'a/n/x.yaml': blobOid('x\n') });
    expect(await new DirectoryTarget(root, nodeTargetFs).apply(plan({}, [], true))).toMatchObject({ ok: true, deleted: 1 });
  });

  it('an inventory that cannot be saved fails the target with the reason, after writing every object', async () => {
    const root = await makeTempDir();
    const failing = failingFs('writeFile', (f) =>
      f.includes(INVENTORY_FILE) ? systemError('EROFS', 'read-only file system', 'open', f) : null,
    );
    const r = await new DirectoryTarget(root, failing).apply(plan({ 'a/n/x.yaml': 'x\n' }, [write('a/n/x.yaml', 'x\n')]));
    expect(r).toMatchObject({ ok: false, created: 1, failed: 0 });
    expect(r.message).toBe(`${root}: cannot record ${INVENTORY_FILE}: read-only file system (EROFS)`);
    expect(await fs.readFile(path.join(root, 'a/n/x.yaml'), 'utf8')).toBe('x\n');
  });
});
