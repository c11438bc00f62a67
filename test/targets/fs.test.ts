// The directory target's file system adapter, on real files: what a write creates, replaces and
// refuses. A write never goes through a symbolic link, and an exclusive one never replaces anything.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeTargetFs } from '../../src/targets/fs.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'written',
    (e: unknown) => (e as { code?: string }).code,
  );

describe('nodeTargetFs.writeFile', () => {
  it('creates the missing folders, writes the UTF-8 bytes whole, and replaces a longer file entirely', async () => {
    const root = await makeTempDir();
    const file = path.join(root, 'east', 'team', 'cm.yaml');
    const big = `data: ${'é'.repeat(200_000)}\n`;
    await nodeTargetFs.writeFile(file, big);
    expect(fs.readFileSync(file)).toEqual(Buffer.from(big, 'utf8'));
    await nodeTargetFs.writeFile(file, 'short\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('short\n');
    await nodeTargetFs.writeFile(path.join(root, 'empty.yaml'), '');
    expect(fs.readFileSync(path.join(root, 'empty.yaml'), 'utf8')).toBe('');
  });

  it('exclusive: creates a file, and fails with EEXIST where a file, a folder or a link already is', async () => {
    const root = await makeTempDir();
    const file = path.join(root, 'a', 'new.yaml');
    await nodeTargetFs.writeFile(file, 'one\n', { exclusive: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('one\n');
    expect(await codeOf(nodeTargetFs.writeFile(file, 'two\n', { exclusive: true }))).toBe('EEXIST');
    expect(fs.readFileSync(file, 'utf8')).toBe('one\n');
    fs.mkdirSync(path.join(root, 'folder'));
    expect(await codeOf(nodeTargetFs.writeFile(path.join(root, 'folder'), 'x\n', { exclusive: true }))).toBe('EEXIST');
    const outside = path.join(await makeTempDir(), 'kept.txt');
    fs.writeFileSync(outside, 'kept\n');
    fs.symlinkSync(outside, path.join(root, 'link.yaml'));
    expect(await codeOf(nodeTargetFs.writeFile(path.join(root, 'link.yaml'), 'x\n', { exclusive: true }))).toBe('EEXIST');
    expect(fs.readFileSync(outside, 'utf8')).toBe('kept\n');
  });

  it('never writes through a symbolic link at the file: the write fails and what the link points to is untouched', async () => {
    const root = await makeTempDir();
    const outside = path.join(await makeTempDir(), 'kept.txt');
    fs.writeFileSync(outside, 'kept\n');
    fs.symlinkSync(outside, path.join(root, 'link.yaml'));
    expect(await codeOf(nodeTargetFs.writeFile(path.join(root, 'link.yaml'), 'x\n'))).toBe('ELOOP');
    expect(fs.readFileSync(outside, 'utf8')).toBe('kept\n');
  });
});
