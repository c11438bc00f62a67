// The code lists of model/diagnostics.ts hold no stale entry: a type keeps every reported code in
// them, and this keeps every listed code reported somewhere.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, ERROR_CODES } from '../../src/model/diagnostics.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const code = fs
  .readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && f !== path.join('model', 'diagnostics.ts'))
  .map((f) => fs.readFileSync(path.join(src, f), 'utf8'))
  .join('\n');

describe('diagnostic and error codes', () => {
  it('every listed code is used in src/, and no code is listed twice', () => {
    for (const list of [DIAGNOSTIC_CODES, ERROR_CODES]) {
      expect(list.filter((c) => !code.includes(`'${c}'`))).toEqual([]);
      expect(new Set(list).size).toBe(list.length);
    }
  });
});
