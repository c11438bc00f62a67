// Diagnostics per revision are bounded (issue 10 item 11): 20,000 broken files give validate
// output of 1,000 diagnostics and one summary of the rest, with the true count, and still fail.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { MAX_DIAGNOSTICS } from '../../src/model/diagnostics.js';
import { flotilla } from '../helpers/cli.js';
import { runCommand } from '../plan/scenarios.js';

const BAD_FILES = 20_000;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flotilla-bounds-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `count` files, each one ConfigMap without apiVersion: one MANIFEST_MISSING_FIELD error per file. */
function badFleet(count: number): string {
  const dir = path.join(tmp, `bad-${count}`);
  mkdirSync(dir);
  for (let i = 0; i < count; i++)
    writeFileSync(path.join(dir, `f${String(i).padStart(5, '0')}.yaml`), `kind: ConfigMap\nmetadata:\n  name: c${i}\ndata: {a: b}\n`);
  return dir;
}

describe(`validate over ${BAD_FILES} broken files`, () => {
  let fleet: string;
  beforeAll(() => {
    fleet = badFleet(BAD_FILES);
  });

  it(`text: ${MAX_DIAGNOSTICS} diagnostics, one summary of the rest, the true count, exit 1`, { timeout: 120_000 }, async () => {
    const r = await flotilla(['validate', '--repo', fleet]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(MAX_DIAGNOSTICS + 2);
    expect(lines[0]).toBe('f00000.yaml:1:1: error MANIFEST_MISSING_FIELD: apiVersion is missing');
    expect(lines[MAX_DIAGNOSTICS]).toBe(
      'error DIAGNOSTICS_TRUNCATED: 19000 more diagnostics not shown (at most 1000 are kept): 19000 errors (19000 MANIFEST_MISSING_FIELD)',
    );
    expect(lines.at(-1)).toBe('invalid: 0 resources, 0 clusters, 0 rendered objects; 20000 errors, 0 warnings');
  });
});

describe('validate --format json|github over 1,200 broken files', () => {
  it('the same bound; the JSON summary carries the counts it left out', { timeout: 60_000 }, async () => {
    const fleet = badFleet(1200);
    const json = await runCommand(validateCommand, ['--repo', fleet, '--format', 'json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(doc.diagnostics.at(-1)).toMatchObject({
      severity: 'error',
      code: 'DIAGNOSTICS_TRUNCATED',
      file: null,
      omitted: [{ severity: 'error', code: 'MANIFEST_MISSING_FIELD', count: 200 }],
    });
    const github = await runCommand(validateCommand, ['--repo', fleet, '--format', 'github']);
    expect(github.code).toBe(1);
    expect(github.stdout.trimEnd().split('\n')).toHaveLength(MAX_DIAGNOSTICS + 1);
  });
});
