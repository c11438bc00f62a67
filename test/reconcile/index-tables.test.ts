// The render index's tables (src/reconcile/index-tables.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Interner, jsonString, readTables, stringAt } from '../../src/reconcile/index-tables.js';

describe('the render index tables', () => {
  it('a string written without JSON.stringify is the same JSON text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a"b', 'a\\b', '\u2028', 'x\ny')), (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s));
      }),
    );
  });

  it('interned strings are numbered once each, and only numbers of the table name one', () => {
    const strings = new Interner();
    const ids = ['a', 'b', 'a', 'c', 'b'].map((s) => strings.of(s));
    expect(ids).toEqual([0, 1, 0, 2, 1]);
    const tables = readTables(strings.list, [])!;
    expect([0, 1, 2].map((i) => stringAt(tables, i))).toEqual(['a', 'b', 'c']);
    for (const bad of [3, -1, 1.5, '0', null]) expect(stringAt(tables, bad)).toBeUndefined();
    expect(readTables(['a', 1], [])).toBeNull();
    expect(readTables('a', [])).toBeNull();
  });
});
