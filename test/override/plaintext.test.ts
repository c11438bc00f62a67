import { describe, it, expect, afterEach } from 'vitest';
import type { Overriders } from '../../src/model/types.js';
import { deployment, override } from './fixtures.js';

const app = () => deployment([{ name: 'app', image: 'app:1' }], { labels: { app: 'web' } });

describe('plaintext overriders (RFC 6902 on the whole object)', () => {
  it('replace /spec/replicas 1 → 5', () => {
    const r = override(app(), { plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 5 }] });
    expect(r.problems).toEqual([]);
    expect((r.object.spec as any).replicas).toBe(5);
  });

  it('add /metadata/annotations (Karmada TestGetMatchingOverridePolicies overrider) → {"foo": "bar"}', () => {
    const r = override(app(), { plaintext: [{ path: '/metadata/annotations', operator: 'add', value: { foo: 'bar' } }] });
    expect((r.object.metadata as any).annotations).toEqual({ foo: 'bar' });
  });

  it('remove /metadata/labels/app → labels {}', () => {
    const r = override(app(), { plaintext: [{ path: '/metadata/labels/app', operator: 'remove' }] });
    expect((r.object.metadata as any).labels).toEqual({});
  });

  it('add to a list end with "-": containers [app] → [app, sidecar]', () => {
    const r = override(app(), {
      plaintext: [{ path: '/spec/template/spec/containers/-', operator: 'add', value: { name: 'sidecar', image: 'sc:1' } }],
    });
    expect((r.object.spec as any).template.spec.containers.map((c: any) => c.name)).toEqual(['app', 'sidecar']);
  });

  it('entries run in order as one patch: add /spec/paused true, then replace it with false → false', () => {
    const r = override(app(), {
      plaintext: [
        { path: '/spec/paused', operator: 'add', value: true },
        { path: '/spec/paused', operator: 'replace', value: false },
      ],
    });
    expect((r.object.spec as any).paused).toBe(false);
  });

  it('plaintext runs after every other overrider: labels add tier=a, then plaintext replace tier → b', () => {
    const r = override(app(), {
      plaintext: [{ path: '/metadata/labels/tier', operator: 'replace', value: 'b' }],
      labelsOverrider: [{ operator: 'add', value: { tier: 'a' } }],
    });
    expect(r.problems).toEqual([]);
    expect((r.object.metadata as any).labels).toEqual({ app: 'web', tier: 'b' });
  });

  it('a value added by the patch is not shared with the policy: later edits leave the policy value {} untouched', () => {
    const value = {};
    const r = override(app(), {
      plaintext: [
        { path: '/metadata/annotations', operator: 'add', value },
        { path: '/metadata/annotations/x', operator: 'add', value: 'y' },
      ],
    });
    expect((r.object.metadata as any).annotations).toEqual({ x: 'y' });
    expect(value).toEqual({});
  });

  const failures: Array<[string, Overriders['plaintext'], RegExp, number]> = [
    [
      'replace of a missing path',
      [{ path: '/spec/missing', operator: 'replace', value: 1 }],
      /replace \/spec\/missing failed: the path does not exist/,
      0,
    ],
    [
      'remove of a missing path',
      [{ path: '/metadata/labels/nope', operator: 'remove' }],
      /remove \/metadata\/labels\/nope failed: the path does not exist/,
      0,
    ],
    [
      'add under a missing parent (2nd entry)',
      [
        { path: '/spec/paused', operator: 'add', value: true },
        { path: '/spec/a/b', operator: 'add', value: 1 },
      ],
      /add \/spec\/a\/b failed: the parent of the path does not exist/,
      1,
    ],
    ['add without a value', [{ path: '/spec/x', operator: 'add' }], /add \/spec\/x failed: a value is required/, 0],
    ['add past the end of a list', [{ path: '/spec/template/spec/containers/5', operator: 'add', value: {} }], /out of bounds/, 0],
  ];
  for (const [what, plaintext, message, index] of failures) {
    it(`${what} → OVERRIDE_FAILED at plaintext[${index}] with the pointer; object unchanged`, () => {
      const obj = app();
      const before = structuredClone(obj);
      const r = override(obj, { plaintext });
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({
        severity: 'error',
        code: 'OVERRIDE_FAILED',
        path: ['spec', 'overrideRules', 0, 'overriders', 'plaintext', index],
      });
      expect(r.problems[0]!.message).toMatch(message);
      expect(r.object).toBe(obj);
      expect(obj).toEqual(before);
      expect(r.applied).toEqual([]);
    });
  }
});

describe('prototype pollution is refused (OVERRIDE_UNSAFE_PATH)', () => {
  afterEach(() => {
    delete (Object.prototype as any).polluted;
  });

  const attempts: Array<[string, Overriders, Array<string | number>]> = [
    [
      'plaintext add /__proto__/polluted',
      { plaintext: [{ path: '/__proto__/polluted', operator: 'add', value: 'yes' }] },
      ['plaintext', 0],
    ],
    [
      'plaintext add /constructor/prototype/polluted',
      { plaintext: [{ path: '/constructor/prototype/polluted', operator: 'add', value: 'yes' }] },
      ['plaintext', 0],
    ],
    [
      'plaintext replace /metadata/__proto__',
      { plaintext: [{ path: '/metadata/__proto__', operator: 'replace', value: { polluted: 'yes' } }] },
      ['plaintext', 0],
    ],
    [
      'plaintext (2nd entry) add /spec/prototype/polluted',
      {
        plaintext: [
          { path: '/spec/paused', operator: 'add', value: true },
          { path: '/spec/prototype/polluted', operator: 'add', value: 'yes' },
        ],
      },
      ['plaintext', 1],
    ],
    [
      'fieldOverrider subPath /__proto__/polluted',
      {
        fieldOverrider: [
          { fieldPath: '/metadata/annotations/cfg', json: [{ subPath: '/__proto__/polluted', operator: 'add', value: 'yes' }] },
        ],
      },
      ['fieldOverrider', 0, 'json', 0],
    ],
    [
      'fieldOverrider fieldPath /__proto__/polluted',
      { fieldOverrider: [{ fieldPath: '/__proto__/polluted', json: [{ subPath: '/a', operator: 'add', value: 'yes' }] }] },
      ['fieldOverrider', 0, 'fieldPath'],
    ],
    [
      'labels add key __proto__',
      { labelsOverrider: [{ operator: 'add', value: JSON.parse('{"__proto__": "yes"}') }] },
      ['labelsOverrider', 0],
    ],
    [
      'imageOverrider predicate /constructor/prototype',
      { imageOverrider: [{ predicate: { path: '/constructor/prototype/polluted' }, component: 'Tag', operator: 'replace', value: 'v1' }] },
      ['imageOverrider', 0],
    ],
  ];
  for (const [what, overriders, tail] of attempts) {
    it(`${what} → error OVERRIDE_UNSAFE_PATH, object unchanged, ({}).polluted still undefined`, () => {
      const obj = app();
      (obj.metadata as any).annotations = { cfg: '{"a":1}' };
      const before = structuredClone(obj);
      const r = override(obj, overriders);
      expect(r.problems.map((p) => [p.severity, p.code])).toEqual([['error', 'OVERRIDE_UNSAFE_PATH']]);
      expect(r.problems[0]!.path).toEqual(['spec', 'overrideRules', 0, 'overriders', ...tail]);
      expect(r.object).toEqual(before);
      expect(({} as any).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  }
});
