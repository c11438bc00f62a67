// render --out and the layout's bounds (issue 10 item 11): a valid 251-character object name (a
// file name over the 255-byte limit) is written under a name shortened with a hash, and a file that
// cannot be written fails that object alone.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEGMENT_BYTES } from '../../src/objects/layout.js';
import { flotilla } from '../helpers/cli.js';
import { LONG_NAME, longNameFleetFiles } from '../helpers/long-name.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flotilla-render-out-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function longNameFleet(): string {
  const dir = path.join(tmp, `long-${readdirSync(tmp).length}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(longNameFleetFiles())) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('render --out', () => {
  it('a valid 251-character object name: its file name is shortened to 255 bytes with a hash, the same on every run', async () => {
    const fleet = longNameFleet();
    const out = path.join(tmp, 'long-out');
    const r = await flotilla(['render', '--repo', fleet, '--out', out]);
    expect(r.stderr).toBe(`wrote 2 manifests for 1 clusters to ${out}\n`);
    expect(r.code).toBe(0);
    const files = readdirSync(path.join(out, 'member/default')).sort();
    expect(files).toHaveLength(2);
    const long = files.find((f) => f !== 'configmap-short.yaml')!;
    expect(Buffer.byteLength(long)).toBe(MAX_SEGMENT_BYTES);
    expect(long).toMatch(new RegExp(`^configmap-${LONG_NAME.slice(0, 200)}.*~[0-9a-f]{16}\\.yaml$`));
    expect(readFileSync(path.join(out, 'member/default', long), 'utf8')).toContain(`name: ${LONG_NAME}`);
    const again = path.join(tmp, 'long-out-again');
    await flotilla(['render', '--repo', fleet, '--out', again]);
    expect(readdirSync(path.join(again, 'member/default')).sort()).toEqual(files);
  });

  it('a folder where one file goes: that object fails with its path, the other is written, exit 1', async () => {
    const fleet = longNameFleet();
    const out = path.join(tmp, 'blocked-out');
    mkdirSync(path.join(out, 'member/default/configmap-short.yaml'), { recursive: true });
    const r = await flotilla(['render', '--repo', fleet, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot write ${path.join(out, 'member/default/configmap-short.yaml')}: illegal operation on a directory (EISDIR)\n`,
    );
    expect(r.stderr).toContain(`wrote 1 manifests for 1 clusters to ${out}; 1 could not be written\n`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(path.join(out, 'member/default'))).toHaveLength(2);
  });

  it.skipIf(process.getuid?.() === 0)('a folder without write permission: its objects fail, named, exit 1', async () => {
    const fleet = longNameFleet();
    const out = path.join(tmp, 'readonly-out');
    mkdirSync(path.join(out, 'member/default'), { recursive: true });
    chmodSync(path.join(out, 'member/default'), 0o555);
    try {
      const r = await flotilla(['render', '--repo', fleet, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot write ${path.join(out, 'member/default/configmap-short.yaml')}: permission denied (EACCES)\n`);
      expect(r.stderr).toContain('; 2 could not be written\n');
    } finally {
      chmodSync(path.join(out, 'member/default'), 0o755);
    }
  });
});
