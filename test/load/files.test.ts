import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFleetDirectory } from '../../src/load/files.js';
import { DiagnosticSink, FlotillaError } from '../../src/model/diagnostics.js';

let root: string;
let outside: string;

async function put(rel: string, text = 'a: 1\n', base = root): Promise<void> {
  await mkdir(path.dirname(path.join(base, rel)), { recursive: true });
  await writeFile(path.join(base, rel), text);
}

beforeEach(async () => {
  const tmp = await mkdtemp(path.join(tmpdir(), 'flotilla-files-'));
  root = path.join(tmp, 'repo');
  outside = path.join(tmp, 'outside');
  await mkdir(root);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(path.dirname(root), { recursive: true, force: true });
});

describe('readFleetDirectory', () => {
  it('reads *.yaml and *.yml recursively, skipping dot-directories, node_modules and other files, sorted by posix path', async () => {
    await put('z.yaml');
    await put('apps/web/deploy.yml');
    await put('apps/api.yaml');
    await put('apps/README.md');
    await put('.github/workflows/ci.yaml');
    await put('node_modules/pkg/x.yaml');
    await put('apps/.hidden/x.yaml');
    await put('.flotilla.yaml');
    const files = await readFleetDirectory(root);
    expect(files.map((f) => f.path)).toEqual(['.flotilla.yaml', 'apps/api.yaml', 'apps/web/deploy.yml', 'z.yaml']);
    expect(files[0]!.text).toBe('a: 1\n');
  });

  it('a subpath limits the walk; paths stay relative to the root', async () => {
    await put('clusters/a.yaml');
    await put('apps/b.yaml');
    expect((await readFleetDirectory(root, 'apps')).map((f) => f.path)).toEqual(['apps/b.yaml']);
  });

  it('a subpath outside the root is PATH_OUTSIDE_REPO; a missing one PATH_NOT_FOUND', async () => {
    await expect(readFleetDirectory(root, '../outside')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_REPO' });
    await expect(readFleetDirectory(root, '/etc')).rejects.toBeInstanceOf(FlotillaError);
    await expect(readFleetDirectory(root, 'nope')).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
  });

  it('a subpath that is a symlink leaving the root is PATH_OUTSIDE_REPO', async () => {
    await put('secret.yaml', 'a: 1\n', outside);
    await symlink(outside, path.join(root, 'escape'));
    await expect(readFleetDirectory(root, 'escape')).rejects.toMatchObject({ code: 'PATH_OUTSIDE_REPO' });
  });

  it('symlinks are not followed, inside the root or out (SYMLINK_SKIPPED), as git reads them', async () => {
    await put('secret.yaml', 'stolen: true\n', outside);
    await put('real/a.yaml');
    await put('zeta/b.yaml');
    await symlink(path.join(outside, 'secret.yaml'), path.join(root, 'leak.yaml'));
    await symlink(outside, path.join(root, 'leakdir'));
    await symlink(path.join(root, 'real', 'a.yaml'), path.join(root, 'alias.yaml'));
    // A link in one folder to another folder, walked first (it sorts first), used to read that folder as its own.
    await symlink('../zeta', path.join(root, 'real', 'aaa'));
    const sink = new DiagnosticSink();
    const files = await readFleetDirectory(root, '.', { sink });
    expect(files.map((f) => f.path)).toEqual(['real/a.yaml', 'zeta/b.yaml']);
    expect(sink.items.map((d) => `${d.severity} ${d.code} ${d.file}`)).toEqual([
      'warning SYMLINK_SKIPPED alias.yaml',
      'warning SYMLINK_SKIPPED leak.yaml',
      'warning SYMLINK_SKIPPED leakdir',
      'warning SYMLINK_SKIPPED real/aaa',
    ]);
  });

  it('a symlink loop (dir → its parent) terminates', async () => {
    await put('a/x.yaml');
    await symlink(root, path.join(root, 'a', 'loop'));
    const files = await readFleetDirectory(root);
    expect(files.map((f) => f.path)).toEqual(['a/x.yaml']);
  });

  it('a file over maxFileBytes is returned with its size and empty text, never read', async () => {
    await put('big.yaml', 'x'.repeat(100));
    await put('small.yaml', 'y: 1\n');
    const files = await readFleetDirectory(root, '.', { maxFileBytes: 50 });
    expect(files).toEqual([
      { path: 'big.yaml', text: '', size: 100 },
      { path: 'small.yaml', text: 'y: 1\n' },
    ]);
  });
});
