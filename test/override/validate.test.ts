import { describe, it, expect } from 'vitest';
import type { Overriders } from '../../src/model/types.js';
import { validateOverridePolicy } from '../../src/override/validate.js';
import { policy } from './fixtures.js';

function problems(overriders: Overriders, targetCluster?: Parameters<typeof policy>[1][number]['targetCluster']) {
  return validateOverridePolicy(policy('p', [{ overriders }, ...(targetCluster ? [{ targetCluster, overriders: {} }] : [])])).map((p) => ({
    code: p.code,
    path: p.path.slice(4).join('.'),
    message: p.message,
  }));
}

describe('validateOverridePolicy', () => {
  it('the cross-cloud-config overriders are valid → no problems', () => {
    expect(
      problems({
        imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'registry.cn-hangzhou.aliyuncs.com/company' }],
        commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--region=asia-east'] }],
        labelsOverrider: [{ operator: 'add', value: { 'example.com/tier': 'gold' } }],
        annotationsOverrider: [{ operator: 'remove', value: { 'Example.com/Note': '' } }],
        fieldOverrider: [
          {
            fieldPath: '/data/config.yaml',
            yaml: [
              { subPath: '/a', operator: 'replace', value: 1 },
              { subPath: '/b', operator: 'remove' },
            ],
          },
        ],
        plaintext: [
          { path: '/spec/replicas', operator: 'replace', value: 2 },
          { path: '/metadata/labels/x', operator: 'remove' },
        ],
      }),
    ).toEqual([]);
  });

  const cases: Array<[string, Overriders, Array<[string, string, RegExp]>]> = [
    [
      'plaintext add without value',
      { plaintext: [{ path: '/spec/x', operator: 'add' }] },
      [['OVERRIDE_INVALID', 'plaintext.0', /value is required for add/]],
    ],
    [
      'plaintext replace with null value',
      { plaintext: [{ path: '/spec/x', operator: 'replace', value: null }] },
      [['OVERRIDE_INVALID', 'plaintext.0', /value is required for replace/]],
    ],
    [
      'plaintext remove with a value',
      { plaintext: [{ path: '/spec/x', operator: 'remove', value: 1 }] },
      [['OVERRIDE_INVALID', 'plaintext.0.value', /not allowed for remove/]],
    ],
    [
      'plaintext path without leading "/"',
      { plaintext: [{ path: 'spec/x', operator: 'remove' }] },
      [['OVERRIDE_INVALID', 'plaintext.0.path', /must be a JSON pointer/]],
    ],
    [
      'plaintext unknown operator "move"',
      { plaintext: [{ path: '/spec/x', operator: 'move' as any, value: 1 }] },
      [['OVERRIDE_INVALID', 'plaintext.0.operator', /"move" is not one of add, remove, replace/]],
    ],
    [
      'plaintext path through __proto__',
      { plaintext: [{ path: '/__proto__/x', operator: 'add', value: 1 }] },
      [['OVERRIDE_UNSAFE_PATH', 'plaintext.0.path', /__proto__/]],
    ],
    [
      'fieldOverrider with both json and yaml',
      {
        fieldOverrider: [
          { fieldPath: '/data/c', json: [{ subPath: '/a', operator: 'remove' }], yaml: [{ subPath: '/a', operator: 'remove' }] },
        ],
      },
      [['OVERRIDE_INVALID', 'fieldOverrider.0', /only one is allowed/]],
    ],
    [
      'fieldOverrider with neither json nor yaml',
      { fieldOverrider: [{ fieldPath: '/data/c' }] },
      [['OVERRIDE_INVALID', 'fieldOverrider.0', /either json or yaml/]],
    ],
    [
      'fieldOverrider fieldPath without "/"',
      { fieldOverrider: [{ fieldPath: 'data/c', json: [{ subPath: '/a', operator: 'remove' }] }] },
      [['OVERRIDE_INVALID', 'fieldOverrider.0.fieldPath', /JSON pointer/]],
    ],
    [
      'fieldOverrider subPath through constructor',
      { fieldOverrider: [{ fieldPath: '/data/c', json: [{ subPath: '/constructor/prototype', operator: 'add', value: 1 }] }] },
      [['OVERRIDE_UNSAFE_PATH', 'fieldOverrider.0.json.0.subPath', /constructor/]],
    ],
    [
      'fieldOverrider yaml op add without value',
      { fieldOverrider: [{ fieldPath: '/data/c', yaml: [{ subPath: '/a', operator: 'add' }] }] },
      [['OVERRIDE_INVALID', 'fieldOverrider.0.yaml.0', /value is required for add/]],
    ],
    [
      'fieldOverrider json op remove with value',
      { fieldOverrider: [{ fieldPath: '/data/c', json: [{ subPath: '/a', operator: 'remove', value: 'x' }] }] },
      [['OVERRIDE_INVALID', 'fieldOverrider.0.json.0.value', /not allowed for remove/]],
    ],
    [
      'imageOverrider unknown component "Digest"',
      { imageOverrider: [{ component: 'Digest' as any, operator: 'replace', value: 'x' }] },
      [['OVERRIDE_INVALID', 'imageOverrider.0.component', /"Digest" is not one of Registry, Repository, Tag/]],
    ],
    [
      'imageOverrider unknown operator "set"',
      { imageOverrider: [{ component: 'Tag', operator: 'set' as any, value: 'x' }] },
      [['OVERRIDE_INVALID', 'imageOverrider.0.operator', /"set"/]],
    ],
    [
      'imageOverrider predicate path without "/"',
      { imageOverrider: [{ predicate: { path: 'spec/containers/0/image' }, component: 'Tag', operator: 'remove' }] },
      [['OVERRIDE_INVALID', 'imageOverrider.0.predicate.path', /JSON pointer/]],
    ],
    [
      'commandOverrider operator replace',
      { commandOverrider: [{ containerName: 'app', operator: 'replace' as any, value: ['x'] }] },
      [['OVERRIDE_INVALID', 'commandOverrider.0.operator', /not one of add, remove/]],
    ],
    [
      'argsOverrider without containerName',
      { argsOverrider: [{ containerName: '', operator: 'add', value: ['x'] }] },
      [['OVERRIDE_INVALID', 'argsOverrider.0.containerName', /required/]],
    ],
    [
      'labelsOverrider invalid key and value',
      { labelsOverrider: [{ operator: 'add', value: { 'bad key': 'ok', good: 'not ok!' } }] },
      [
        ['OVERRIDE_INVALID', 'labelsOverrider.0.value.bad key', /not a valid label key/],
        ['OVERRIDE_INVALID', 'labelsOverrider.0.value.good', /not a valid label value/],
      ],
    ],
    [
      'annotationsOverrider invalid key, unknown operator',
      { annotationsOverrider: [{ operator: 'upsert' as any, value: { '/nope': 'x' } }] },
      [
        ['OVERRIDE_INVALID', 'annotationsOverrider.0.operator', /"upsert"/],
        ['OVERRIDE_INVALID', 'annotationsOverrider.0.value./nope', /not a valid annotation key/],
      ],
    ],
  ];
  for (const [what, overriders, expected] of cases) {
    it(`${what} → ${expected.map(([code, path]) => `${code} at ${path}`).join(', ')}`, () => {
      const got = problems(overriders);
      expect(got.map((p) => [p.code, p.path])).toEqual(expected.map(([code, path]) => [code, path]));
      got.forEach((p, i) => expect(p.message).toMatch(expected[i]![2]));
    });
  }

  it('an invalid targetCluster labelSelector → OVERRIDE_INVALID at overrideRules[1].targetCluster.labelSelector', () => {
    const p = policy('p', [
      { overriders: {} },
      { targetCluster: { labelSelector: { matchExpressions: [{ key: 'region', operator: 'Near', values: ['eu'] }] } }, overriders: {} },
    ]);
    const got = validateOverridePolicy(p);
    expect(got.map((x) => [x.code, x.path])).toEqual([
      ['OVERRIDE_INVALID', ['spec', 'overrideRules', 1, 'targetCluster', 'labelSelector']],
    ]);
    expect(got[0]!.policy).toBe(p);
    expect(got[0]!.severity).toBe('error');
  });
});
