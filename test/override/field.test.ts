import { describe, it, expect } from 'vitest';
import type { FieldOverrider } from '../../src/model/types.js';
import { override } from './fixtures.js';

function configMap(data: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test1', namespace: 'default' }, data };
}

function run(data: Record<string, unknown>, fieldOverrider: FieldOverrider[]) {
  return override(configMap(data), { fieldOverrider });
}

describe('fieldOverrider, YAML', () => {
  it('Karmada ApplyFieldOverriderPolicies_YAML: key.key1 value → updated_value, re-marshalled', () => {
    const r = run({ 'test.yaml': '\nkey: \n  key1: value\n' }, [
      { fieldPath: '/data/test.yaml', yaml: [{ subPath: '/key/key1', operator: 'replace', value: 'updated_value' }] },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.object.data).toEqual({ 'test.yaml': 'key:\n  key1: updated_value\n' });
  });

  it('keys come out sorted and comments are dropped: "# c\\nz: 1\\na: 2" add /m 3 → "a: 2\\nm: 3\\nz: 1\\n"', () => {
    const r = run({ 'c.yaml': '# c\nz: 1\na: 2\n' }, [{ fieldPath: '/data/c.yaml', yaml: [{ subPath: '/m', operator: 'add', value: 3 }] }]);
    expect((r.object.data as any)['c.yaml']).toBe('a: 2\nm: 3\nz: 1\n');
  });

  it('YAML 1.1 like kubectl: "on: yes" reads as true; "port: 22:22" and a date stay strings', () => {
    const r = run({ 'c.yaml': 'enabled: yes\nport: 22:22\nday: 2001-12-14\nlist:\n  - a\n' }, [
      { fieldPath: '/data/c.yaml', yaml: [{ subPath: '/list/-', operator: 'add', value: 'yes' }] },
    ]);
    expect(r.problems).toEqual([]);
    expect((r.object.data as any)['c.yaml']).toBe('day: "2001-12-14"\nenabled: true\nlist:\n- a\n- "yes"\nport: "22:22"\n');
  });

  it('remove a nested key: db.password removed from db {host, password}', () => {
    const r = run({ 'db.yaml': 'db:\n  host: h\n  password: p\n' }, [
      { fieldPath: '/data/db.yaml', yaml: [{ subPath: '/db/password', operator: 'remove' }] },
    ]);
    expect((r.object.data as any)['db.yaml']).toBe('db:\n  host: h\n');
  });
});

describe('fieldOverrider, JSON', () => {
  it('Karmada ApplyJSONOverridePolicies_JSON: {"key":{"key1":"value"}} → {"key":{"key1":"updated_value"}}', () => {
    const r = run({ 'test.json': '{"key":{"key1":"value"}}' }, [
      { fieldPath: '/data/test.json', json: [{ subPath: '/key/key1', operator: 'replace', value: 'updated_value' }] },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.object.data).toEqual({ 'test.json': '{"key":{"key1":"updated_value"}}' });
  });

  it('output is compact and keeps key order: {\\n "b": 1, "a": 2 } add /c → {"b":1,"a":2,"c":{"x":[1]}}', () => {
    const r = run({ 'c.json': '{\n  "b": 1,\n  "a": 2\n}' }, [
      { fieldPath: '/data/c.json', json: [{ subPath: '/c', operator: 'add', value: { x: [1] } }] },
    ]);
    expect((r.object.data as any)['c.json']).toBe('{"b":1,"a":2,"c":{"x":[1]}}');
  });

  it('several ops in order: add /a 1, replace /a 2, add /b [] → {"a":2,"b":[]}', () => {
    const r = run({ 'c.json': '{}' }, [
      {
        fieldPath: '/data/c.json',
        json: [
          { subPath: '/a', operator: 'add', value: 1 },
          { subPath: '/a', operator: 'replace', value: 2 },
          { subPath: '/b', operator: 'add', value: [] },
        ],
      },
    ]);
    expect((r.object.data as any)['c.json']).toBe('{"a":2,"b":[]}');
  });

  it('a fieldPath with "~1": /metadata/annotations/example.com~1config is edited', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { 'example.com/config': '{"a":1}' } } };
    const r = override(obj, {
      fieldOverrider: [
        { fieldPath: '/metadata/annotations/example.com~1config', json: [{ subPath: '/a', operator: 'replace', value: 5 }] },
      ],
    });
    expect((r.object.metadata as any).annotations['example.com/config']).toBe('{"a":5}');
  });
});

describe('fieldOverrider failures abort with OVERRIDE_FAILED and leave the object unchanged', () => {
  const cases: Array<[string, Record<string, unknown>, FieldOverrider, RegExp, Array<string | number>]> = [
    [
      'fieldPath value is a number',
      { n: 5 },
      { fieldPath: '/data/n', json: [{ subPath: '/a', operator: 'add', value: 1 }] },
      /a number, not a string/,
      ['fieldPath'],
    ],
    [
      'fieldPath does not exist',
      {},
      { fieldPath: '/data/missing', json: [{ subPath: '/a', operator: 'add', value: 1 }] },
      /does not resolve/,
      ['fieldPath'],
    ],
    [
      'value is not JSON',
      { c: 'a: 1' },
      { fieldPath: '/data/c', json: [{ subPath: '/a', operator: 'add', value: 1 }] },
      /not valid JSON/,
      ['fieldPath'],
    ],
    [
      'value is not YAML',
      { c: 'a: [1' },
      { fieldPath: '/data/c', yaml: [{ subPath: '/a', operator: 'add', value: 1 }] },
      /not valid YAML/,
      ['fieldPath'],
    ],
    [
      'replace of a missing subPath',
      { c: '{"a":1}' },
      { fieldPath: '/data/c', json: [{ subPath: '/b', operator: 'replace', value: 1 }] },
      /replace \/b failed: the path does not exist/,
      ['json', 0],
    ],
    [
      'remove of a missing subPath (2nd op)',
      { c: 'a: 1\n' },
      {
        fieldPath: '/data/c',
        yaml: [
          { subPath: '/a', operator: 'replace', value: 2 },
          { subPath: '/x/y', operator: 'remove' },
        ],
      },
      /remove \/x\/y failed/,
      ['yaml', 1],
    ],
  ];
  for (const [what, data, fo, message, tail] of cases) {
    it(`${what} → OVERRIDE_FAILED at fieldOverrider[0].${tail.join('.')}`, () => {
      const obj = configMap(data);
      const r = override(obj, { fieldOverrider: [fo] });
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({
        severity: 'error',
        code: 'OVERRIDE_FAILED',
        path: ['spec', 'overrideRules', 0, 'overriders', 'fieldOverrider', 0, ...tail],
      });
      expect(r.problems[0]!.message).toMatch(message);
      expect(r.object).toBe(obj);
      expect(obj.data).toEqual(data);
    });
  }
});
