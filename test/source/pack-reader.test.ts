// PackReader (src/source/pack-reader.ts), how the restore reads every file of the status branch:
// each object git packed — whole, as an offset delta, as a ref delta, through 64-bit idx offsets —
// reads back as `git cat-file` gives it; what is not packed is left to isomorphic-git; a damaged
// pack is an error, never other bytes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/source/objects.js';
import { PackReader, applyDelta } from '../../src/source/pack-reader.js';
import { cleanupRepos, commitFiles, git, gitEnv, makeRepo } from '../helpers/git.js';

afterAll(cleanupRepos);

/** Files alike enough for git to store most as deltas of others: manifests differing in a value. */
function manifests(round: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) {
    const lines = Array.from({ length: 60 }, (_, l) => `  key-${l}: value-${l}-${l % 7 === i % 7 ? round : 0}`);
    files[`c${i % 4}/default/cm-${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n${lines.join('\n')}\n`;
  }
  // Over 64 KiB, so a delta copies it in more than one 0x10000-byte instruction; and an empty file.
  files['big.txt'] = Array.from({ length: 9000 }, (_, l) => `line ${l} ${round === 2 && l === 4500 ? 'changed' : ''}`).join('\n');
  files['empty.txt'] = '';
  return files;
}

/** A repository with three commits of alike files, repacked by git into one pack with deltas. */
async function packedRepo(config: string[] = []): Promise<string> {
  const { dir } = await makeRepo(manifests(0));
  await commitFiles(dir, manifests(1), 'round 1');
  await commitFiles(dir, manifests(2), 'round 2');
  await git(dir, ...config, 'repack', '-a', '-d', '-f', '--window=50', '--depth=20');
  return path.join(dir, '.git');
}

function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function catFile(gitdir: string, ...args: string[]): Buffer {
  return execFileSync('git', [`--git-dir=${gitdir}`, 'cat-file', ...args], { env: gitEnv(), maxBuffer: 1 << 26 });
}

function allObjects(gitdir: string): Array<{ oid: string; type: string }> {
  return catFile(gitdir, '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)')
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [oid, type] = l.split(' ') as [string, string];
      return { oid, type };
    });
}

/** How many entries of the repository's packs git stored as deltas. */
async function deltaCount(gitdir: string): Promise<number> {
  const pack = (await fs.readdir(path.join(gitdir, 'objects', 'pack'))).find((n) => n.endsWith('.idx'))!;
  const listing = execFileSync('git', ['verify-pack', '-v', path.join(gitdir, 'objects', 'pack', pack)], { env: gitEnv() }).toString();
  return listing.split('\n').filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l)).length;
}

async function expectAsGitReads(gitdir: string): Promise<void> {
  const reader = new PackReader(gitdir);
  try {
    for (const { oid, type } of allObjects(gitdir)) {
      const read = await reader.read(oid);
      expect(read?.type, oid).toBe(type);
      expect(read!.body.equals(catFile(gitdir, type, oid)), oid).toBe(true);
    }
  } finally {
    await reader.close();
  }
}

/** Files of this process open on a .pack (Linux's /proc). */
function openPacks(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).endsWith('.pack');
    } catch {
      return false;
    }
  }).length;
}

describe('PackReader', () => {
  it('reads every object of a pack with offset deltas as git cat-file does', async () => {
    const gitdir = await packedRepo();
    expect(await deltaCount(gitdir)).toBeGreaterThan(50);
    await expectAsGitReads(gitdir);
  });

  it('reads ref deltas (a pack written without offset deltas) and 64-bit idx offsets', async () => {
    const gitdir = await packedRepo(['-c', 'repack.useDeltaBaseOffset=false']);
    expect(await deltaCount(gitdir)).toBeGreaterThan(50);
    await expectAsGitReads(gitdir);
    // The same pack indexed with the offsets past 0x20 (all but the first entry's) in the idx's 64-bit table.
    const dir = path.join(gitdir, 'objects', 'pack');
    const pack = (await fs.readdir(dir)).find((n) => n.endsWith('.pack'))!;
    const idx = path.join(dir, pack.replace(/\.pack$/, '.idx'));
    await fs.rm(idx, { force: true });
    execFileSync('git', ['index-pack', '--index-version=2,0x20', '-o', idx, path.join(dir, pack)], { env: gitEnv() });
    const bytes = await fs.readFile(idx);
    const count = bytes.readUInt32BE(8 + 255 * 4);
    const large = Array.from({ length: count }, (_, i) => bytes.readUInt32BE(8 + 256 * 4 + count * 24 + i * 4) >>> 31);
    expect(large.filter((bit) => bit === 1).length).toBe(count - 1);
    await expectAsGitReads(gitdir);
  });

  it('leaves a loose object to isomorphic-git, finds a pack written after its first read, and ObjectStore reads both', async () => {
    const gitdir = await packedRepo();
    const repo = path.dirname(gitdir);
    const reader = new PackReader(gitdir);
    const store = new ObjectStore(gitdir);
    const packed = allObjects(gitdir).find((o) => o.type === 'blob')!.oid;
    expect(await reader.read(packed)).not.toBeNull();
    await commitFiles(repo, { 'loose.txt': 'only loose\n' }, 'loose');
    const loose = await git(repo, 'rev-parse', 'HEAD:loose.txt');
    expect(await reader.read(loose)).toBeNull();
    // ObjectStore reads packed and loose blobs alike within withPackReader, and closes the packs after.
    const packText = catFile(gitdir, 'blob', packed).toString('utf8');
    await store.withPackReader(async () => {
      expect(await store.readBlobText(packed)).toBe(packText);
      expect(await store.readBlobText(loose)).toBe('only loose\n');
      expect(openPacks()).toBeGreaterThan(0);
    });
    await reader.close();
    expect(openPacks()).toBe(0);
    const again = new PackReader(gitdir);
    expect(await again.read(packed)).not.toBeNull();
    await git(repo, 'repack'); // a second pack, holding the new objects
    expect((await again.read(loose))?.body.toString()).toBe('only loose\n');
    await again.close();
  });

  it('reads an entry whose deflated data is far longer than its object (a writer that deflates worse than zlib)', async () => {
    // One blob, deflated as 6,000 empty stored blocks before the one that holds it: a valid stream,
    // 30 kB for 11 bytes, so the reader's first window and its bound both end inside it.
    const body = Buffer.from('far longer\n');
    const empty = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
    const last = Buffer.concat([Buffer.from([0x01, body.length, 0x00, ~body.length & 0xff, 0xff]), body]);
    const adler = Buffer.alloc(4);
    adler.writeUInt32BE(adler32(body));
    const stream = Buffer.concat([Buffer.from([0x78, 0x01]), ...Array.from({ length: 6000 }, () => empty), last, adler]);
    const head = Buffer.from([0x80 | (3 << 4) | (body.length & 0x0f), body.length >> 4]);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(1);
    const content = Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2]), count, head, stream]);
    const { dir } = await makeRepo({ 'a.txt': 'a\n' });
    const packDir = path.join(dir, '.git', 'objects', 'pack');
    const file = path.join(packDir, 'pack-test.pack');
    await fs.writeFile(file, Buffer.concat([content, createHash('sha1').update(content).digest()]));
    execFileSync('git', ['index-pack', file], { env: gitEnv() });
    const oid = execFileSync('git', ['hash-object', '--stdin'], { input: body, env: gitEnv() }).toString().trim();
    const reader = new PackReader(path.join(dir, '.git'));
    const read = await reader.read(oid);
    await reader.close();
    expect(read?.type).toBe('blob');
    expect(read?.body.equals(body)).toBe(true);
  });

  it('a damaged pack is an error, never other bytes', async () => {
    const gitdir = await packedRepo();
    const dir = path.join(gitdir, 'objects', 'pack');
    const pack = path.join(
      dir,
      (await fs.readdir(dir)).find((n) => n.endsWith('.pack'))!,
    );
    const blobs = allObjects(gitdir)
      .filter((o) => o.type === 'blob')
      .map((o) => ({ ...o, body: catFile(gitdir, 'blob', o.oid) }));
    const bytes = Buffer.from(await fs.readFile(pack));
    for (let at = 200; at < bytes.length - 40; at += 97) bytes[at] = bytes[at]! ^ 0x55;
    await fs.chmod(pack, 0o644);
    await fs.writeFile(pack, bytes);
    const reader = new PackReader(gitdir);
    let failed = 0;
    for (const { oid, body } of blobs) {
      const read = await reader.read(oid).catch(() => 'error' as const);
      if (read === 'error') failed++;
      else expect(read?.body.equals(body), oid).toBe(true);
    }
    expect(failed).toBeGreaterThan(blobs.length / 2);
    await reader.close();
  });

  it('an entry cut by the end of its pack is an error saying so, its header read no further than the data', async () => {
    const gitdir = await packedRepo();
    const dir = path.join(gitdir, 'objects', 'pack');
    const pack = path.join(
      dir,
      (await fs.readdir(dir)).find((n) => n.endsWith('.pack'))!,
    );
    const whole = Buffer.from(await fs.readFile(pack));
    // verify-pack -v: oid, type, size, size in pack, offset, and for a delta its depth and base.
    const entries = (await git(gitdir, 'verify-pack', '-v', pack.replace(/\.pack$/, '.idx')))
      .split('\n')
      .map((l) => l.split(/\s+/))
      .filter((f) => /^[0-9a-f]{40}$/.test(f[0]!) && f.length >= 5)
      .map((f) => ({ oid: f[0]!, offset: Number(f[4]), delta: f.length > 5 }));
    // The last delta and whole object whose first header byte says more follow (a size over 15
    // bytes): 1 byte cuts the header, and 2–3 bytes a delta's base offset too, or the data.
    const last = (delta: boolean) =>
      entries.filter((e) => e.delta === delta && (whole[e.offset]! & 0x80) !== 0).sort((a, b) => b.offset - a.offset)[0]!;
    await fs.chmod(pack, 0o644);
    for (const entry of [last(true), last(false)]) {
      for (const kept of [1, 2, 3]) {
        // The pack's data ends `kept` bytes into the entry; its last 20 bytes stand for the checksum.
        await fs.writeFile(pack, Buffer.concat([whole.subarray(0, entry.offset + kept), Buffer.alloc(20)]));
        const reader = new PackReader(gitdir);
        const read = reader.read(entry.oid);
        await expect(read, `${entry.delta ? 'delta' : 'object'}, ${kept} bytes`).rejects.toMatchObject({
          code: 'INTERNAL',
          message: expect.stringMatching(new RegExp(`entry at ${entry.offset} (cut short|does not inflate)`)),
        });
        await reader.close();
      }
    }
    // A delta whose base offset is 0 bytes back (itself) is refused, not followed for ever.
    const delta = last(true);
    let at = delta.offset;
    while (whole[at]! & 0x80) at++;
    const selfBased = Buffer.from(whole);
    selfBased[at + 1] = 0x00;
    await fs.writeFile(pack, selfBased);
    const reader = new PackReader(gitdir);
    await expect(reader.read(delta.oid)).rejects.toThrow(new RegExp(`entry at ${delta.offset} has its base 0 bytes back`));
    await reader.close();
  });

  it('applyDelta refuses a delta that does not fit its base', () => {
    // base size 3, result size 3, copy 4 bytes from offset 0
    expect(() => applyDelta(Buffer.from('abc'), Buffer.from([3, 3, 0x90, 4]))).toThrow(/out of range/);
    expect(() => applyDelta(Buffer.from('abc'), Buffer.from([4, 3, 0x03]))).toThrow(/base size/);
    expect(applyDelta(Buffer.from('abc'), Buffer.from([3, 5, 0x90, 3, 0x02, 0x78, 0x79])).toString()).toBe('abcxy');
  });
});
