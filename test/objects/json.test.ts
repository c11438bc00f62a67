import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyMembers, ownCopy } from '../../src/objects/json.js';

describe('copyMembers', () => {
  it('copies members in their order, as a spread does, without sharing the object', () => {
    const source = { name: 'web', namespace: 'shop', labels: { app: 'web' }, 10: 'ten', annotations: {} };
    const copy = copyMembers(source);
    expect(Object.keys(copy)).toEqual(Object.keys({ ...source }));
    expect(JSON.stringify(copy)).toBe(JSON.stringify(source));
    expect(copy).not.toBe(source);
    expect(copy.labels).toBe(source.labels); // shallow: the renderer shares what it does not change
    copy.name = 'api';
    expect(source.name).toBe('web');
  });

  it('keeps a __proto__ member as an own member and leaves the prototype alone', () => {
    const source = JSON.parse('{"name":"x","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const copy = copyMembers(source);
    expect(Object.keys(copy)).toEqual(['name', '__proto__']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...source }));
  });
});

describe('ownCopy', () => {
  // A UTF-8 round trip would replace a lone surrogate.
  it('gives back every string exactly: lone surrogates, NUL and quotes included', () => {
    for (const s of ['', 'app-00211-config', '\ud800', 'x\udc00y', '\u0000"\\\n', '名前-🚀']) expect(ownCopy(s)).toBe(s);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => ownCopy(s) === s));
  });
});
