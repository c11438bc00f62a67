// toSortedJson writes, without a sorted copy, the bytes JSON.stringify(sortKeysDeep(value), null, 2) wrote:
// the render JSON document (docs/reference/contract.md) depends on it byte for byte. toStableYaml's
// fast writer writes the bytes the yaml library writes: every file of the status branch and of the
// targets, and the blob oids the reconciler compares, depend on it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  fastStableYaml,
  isPlainText,
  libraryYaml,
  sortKeysDeep,
  sortedKeys,
  toSortedJson,
  toSortedJsonLine,
  toStableYaml,
} from '../../src/objects/serialize.js';
import { fixtureFiles, render } from '../helpers/fleet.js';
import { awkwardKey, yamlValue } from '../helpers/yaml-arbitraries.js';

const reference = (value: unknown) => JSON.stringify(sortKeysDeep(value), null, 2) as string | undefined;

/** Re-indents a reference text written at depth 0 as the lines of a value nested `depth` levels deep. */
const nested = (text: string, depth: number) => text.replaceAll('\n', `\n${'  '.repeat(depth)}`);

const leaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.constant(-0),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constant('\ud800 lone surrogate'),
  fc.date({ noInvalidDate: true }),
);

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(awkwardKey, fc.string()), tie('value'), { maxKeys: 6 }),
}));

describe('toSortedJsonLine', () => {
  it('equals JSON.stringify(sortKeysDeep(value)) for any JSON-like value, with or without a memo (property)', () => {
    const memo = new WeakMap<object, string>();
    fc.assert(
      fc.property(value, (v) => {
        const expected = JSON.stringify(sortKeysDeep(v)) as string | undefined;
        expect(toSortedJsonLine(v)).toBe(expected);
        // Twice through one memo: the second write is the remembered text.
        expect(toSortedJsonLine(v, memo)).toBe(expected);
        expect(toSortedJsonLine(v, memo)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes holes, __proto__ and an own toJSON as the sorted copy does, and a shared subtree the same under each parent', () => {
    const shared = { z: 1, a: [{ y: 2, b: 3 }] };
    const values: unknown[] = [
      // eslint-disable-next-line no-sparse-arrays -- a hole is what this checks
      [1, , 3],
      JSON.parse('{"__proto__": {"x": 1}, "b": 2}'),
      { b: 1, toJSON: () => 'own' },
      { second: shared, first: shared },
    ];
    const memo = new WeakMap<object, string>();
    for (const v of values) expect(toSortedJsonLine(v, memo)).toBe(JSON.stringify(sortKeysDeep(v)));
  });

  it('remembers the value and what is directly in it, not what lies deeper (a list entry is written each time)', () => {
    const entry = { replicas: 2, name: 'member-1' };
    const clusters = [entry];
    const policy = { name: 'p', kind: 'ClusterPropagationPolicy' };
    const placement = { policy, clusters };
    const memo = new WeakMap<object, string>();
    const line = toSortedJsonLine(placement, memo);
    expect(line).toBe('{"clusters":[{"name":"member-1","replicas":2}],"policy":{"kind":"ClusterPropagationPolicy","name":"p"}}');
    expect(memo.get(placement)).toBe(line);
    expect(memo.get(clusters)).toBe('[{"name":"member-1","replicas":2}]');
    expect(memo.get(policy)).toBe('{"kind":"ClusterPropagationPolicy","name":"p"}');
    expect(memo.has(entry)).toBe(false);
    // A list shared by another record is written from the memo there: the same text.
    expect(toSortedJsonLine({ clusters, other: 1 }, memo)).toBe('{"clusters":[{"name":"member-1","replicas":2}],"other":1}');
  });
});

describe('toSortedJson', () => {
  it('equals JSON.stringify(sortKeysDeep(value), null, 2) for any JSON-like value, at any depth (property)', () => {
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 4 }), (v, depth) => {
        const expected = reference(v);
        expect(toSortedJson(v, depth)).toBe(expected === undefined ? undefined : nested(expected, depth));
      }),
      { numRuns: 2000 },
    );
  });

  it('shares nothing between calls and leaves its input untouched (the same subtree under two parents)', () => {
    const shared = { z: 1, a: [{ y: 2, b: 3 }] };
    const doc = { second: shared, first: shared };
    const before = JSON.stringify(doc);
    expect(toSortedJson(doc)).toBe(reference(doc));
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('orders array-index keys first, numerically, as the sorted copy enumerates them', () => {
    const object = { b: 1, '10': 2, a: 3, '9': 4, '01': 5, '4294967295': 6 };
    expect(sortedKeys(object)).toEqual(['9', '10', '01', '4294967295', 'a', 'b']);
    expect(toSortedJson(object)).toBe(reference(object));
  });

  it('writes a Date as {} and leaves out undefined members, like the sorted copy', () => {
    const object = { when: new Date(0), gone: undefined, list: [undefined, () => 1] };
    expect(toSortedJson(object)).toBe('{\n  "list": [\n    null,\n    null\n  ],\n  "when": {}\n}');
    expect(toSortedJson(object)).toBe(reference(object));
    expect(toSortedJson(undefined)).toBeUndefined();
  });

  it('writes an own __proto__ member (YAML can make one, a ConfigMap may hold it) as a member, in its place', () => {
    const object = { kind: 'ConfigMap' };
    Object.defineProperty(object, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    expect(Object.keys(object)).toEqual(['kind', '__proto__']);
    expect(toSortedJson(object)).toBe('{\n  "__proto__": {\n    "polluted": true\n  },\n  "kind": "ConfigMap"\n}');
    expect(toSortedJson(object)).toBe(reference(object));
    expect(toSortedJsonLine(object)).toBe('{"__proto__":{"polluted":true},"kind":"ConfigMap"}');
    // The sorted copy holds it as its own member: its prototype stays Object's.
    const sorted = sortKeysDeep(object) as Record<string, unknown>;
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
    expect(Object.keys(sorted)).toEqual(['__proto__', 'kind']);
  });
});

describe('isPlainText', () => {
  // Strings of its alphabet, and words YAML 1.1 reads as booleans or null, in every case, with neighbours.
  const words = [
    'y',
    'n',
    'yes',
    'no',
    'true',
    'false',
    'on',
    'off',
    'null',
    'nulls',
    'yess',
    'of',
    'o',
    'tru',
    'nan',
    'inf',
    'e0',
    'e12',
    'e1x',
  ];
  const cased = fc
    .tuple(fc.constantFrom(...words), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }))
    .map(([w, up]) => [...w].map((c, i) => (up[i % up.length] ? c.toUpperCase() : c)).join(''));
  const candidate = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9._/-]{0,12}$/), cased, fc.string({ maxLength: 6 }));

  it('holds only for strings the library writes bare as key, value and item and reads back as those very strings (property)', () => {
    let plain = 0;
    fc.assert(
      fc.property(candidate, (s) => {
        if (!isPlainText(s)) return;
        plain++;
        expect(libraryYaml({ v: s })).toBe(`v: ${s}\n`);
        expect(libraryYaml({ [s]: null })).toBe(`${s}: null\n`);
        expect(libraryYaml([s])).toBe(`- ${s}\n`);
        expect(parse(`v: ${s}\n`, { version: '1.1' })).toEqual({ v: s });
        expect(Object.keys(parse(`${s}: 0\n`, { version: '1.1' }) as object)).toEqual([s]);
      }),
      { numRuns: 3000 },
    );
    expect(plain).toBeGreaterThan(1000);
  });

  it('does not hold for the words YAML 1.1 reads as booleans or null', () => {
    for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']) {
      expect(isPlainText(w), w).toBe(false);
    }
    const others = ['on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL', 'e0', 'E12', 'E-0'];
    for (const w of [...others, '', '~', '1', '.5', 'a b', 'a:b', 'a#b']) {
      expect(isPlainText(w), w).toBe(false);
    }
    expect(['nginx', 'app.kubernetes.io/name', 'yes-please', 'ON_CALL', 'v1'].every(isPlainText)).toBe(true);
  });
});

describe('toStableYaml', () => {
  it('writes the bytes the yaml library writes, for any JSON-like value (property)', () => {
    fc.assert(
      fc.property(yamlValue, (v) => {
        expect(toStableYaml(v)).toBe(libraryYaml(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('lays out every object of the seed fleet itself, byte for byte as the library', async () => {
    const result = render(await fixtureFiles('seed'));
    let n = 0;
    for (const list of Object.values(result.manifests)) {
      for (const object of list) {
        expect(fastStableYaml(object)).toBe(libraryYaml(object));
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  it('leaves to the library what it does not lay out itself: dates, maps of undefined only, bare scalars', () => {
    for (const v of [{ when: new Date(0) }, { a: { b: undefined } }, [{ a: undefined }], {}, [], 'text']) {
      expect(fastStableYaml(v)).toBeNull();
      expect(toStableYaml(v)).toBe(libraryYaml(v));
    }
  });
});
