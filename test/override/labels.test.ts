import { describe, it, expect } from 'vitest';
import type { LabelAnnotationOverrider } from '../../src/model/types.js';
import { deployment, override } from './fixtures.js';

type Target = 'labels' | 'annotations';

function run(target: Target, before: Record<string, string> | undefined, overrider: LabelAnnotationOverrider) {
  const obj = deployment([{ name: 'nginx', image: 'nginx:1' }], before ? { [target]: before } : {});
  return override(obj, target === 'labels' ? { labelsOverrider: [overrider] } : { annotationsOverrider: [overrider] });
}

// Karmada labelannotationoverrider_test.go, as before → after.
for (const target of ['labels', 'annotations'] as const) {
  describe(`${target}Overrider`, () => {
    const cases: Array<[string, Record<string, string> | undefined, LabelAnnotationOverrider, Record<string, string>]> = [
      ['add on missing map creates it', undefined, { operator: 'add', value: { test2: 'test2' } }, { test2: 'test2' }],
      [
        'add sets a new key',
        { foo: 'foo', bar: 'bar' },
        { operator: 'add', value: { test: 'test' } },
        { foo: 'foo', bar: 'bar', test: 'test' },
      ],
      ['add overwrites an existing key', { foo: 'foo' }, { operator: 'add', value: { foo: 'new' } }, { foo: 'new' }],
      [
        'replace only touches existing keys',
        { foo: 'foo', bar: 'bar' },
        { operator: 'replace', value: { foo: 'exist', 'non-exist': 'non-exist' } },
        { foo: 'exist', bar: 'bar' },
      ],
      [
        'replace of a missing key does nothing',
        { foo: 'foo', bar: 'bar' },
        { operator: 'replace', value: { test: 'test' } },
        { foo: 'foo', bar: 'bar' },
      ],
      [
        'remove deletes existing keys, ignoring values',
        { foo: 'foo', bar: 'bar' },
        { operator: 'remove', value: { foo: 'whatever', 'non-exist': 'non-exist' } },
        { bar: 'bar' },
      ],
      ['remove with no keys does nothing', { foo: 'foo', bar: 'bar' }, { operator: 'remove', value: {} }, { foo: 'foo', bar: 'bar' }],
      [
        'remove of a missing key does nothing',
        { foo: 'foo', bar: 'bar' },
        { operator: 'remove', value: { test: 'test' } },
        { foo: 'foo', bar: 'bar' },
      ],
      [
        'add a key containing "/"',
        { foo: 'foo' },
        { operator: 'add', value: { 'testannotation/projectId': 'c-m-lfx9lk92' } },
        { foo: 'foo', 'testannotation/projectId': 'c-m-lfx9lk92' },
      ],
      [
        'remove a key containing "/"',
        { foo: 'foo', 'testannotation/projectId': 'c-m-lfx9lk92' },
        { operator: 'remove', value: { 'testannotation/projectId': '' } },
        { foo: 'foo' },
      ],
      [
        'replace a key containing "/"',
        { 'example.com/tier': 'a' },
        { operator: 'replace', value: { 'example.com/tier': 'b' } },
        { 'example.com/tier': 'b' },
      ],
    ];
    for (const [what, before, overrider, after] of cases) {
      it(
        `${what}: ${JSON.stringify(before ?? null)} ${overrider.operator} ` +
          `${JSON.stringify(overrider.value)} → ${JSON.stringify(after)}`,
        () => {
          const r = run(target, before, overrider);
          expect(r.problems).toEqual([]);
          expect((r.object.metadata as Record<string, unknown>)[target]).toEqual(after);
        },
      );
    }

    it(`replace/remove on missing ${target} leave them missing`, () => {
      for (const operator of ['replace', 'remove'] as const) {
        const r = run(target, undefined, { operator, value: { a: 'b' } });
        expect(r.problems).toEqual([]);
        expect(r.object.metadata).not.toHaveProperty(target);
      }
    });
  });
}

describe('labels and annotations together', () => {
  it('a resource without metadata gets metadata.labels and metadata.annotations on add', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', data: {} };
    const r = override(obj, {
      labelsOverrider: [{ operator: 'add', value: { a: '1' } }],
      annotationsOverrider: [{ operator: 'add', value: { b: '2' } }],
    });
    expect(r.object.metadata).toEqual({ labels: { a: '1' }, annotations: { b: '2' } });
  });

  it('labels (Karmada ApplyLabelAnnotationOverriderPolicies): testLabel + testAddLabel, testAnnotation + testAddAnnotation', () => {
    const obj = deployment([], { labels: { testLabel: 'testLabel' }, annotations: { testAnnotation: 'testAnnotation' } });
    const r = override(obj, {
      labelsOverrider: [{ operator: 'add', value: { testAddLabel: 'testAddLabel' } }],
      annotationsOverrider: [{ operator: 'add', value: { testAddAnnotation: 'testAddAnnotation' } }],
    });
    expect(r.object.metadata).toMatchObject({
      labels: { testLabel: 'testLabel', testAddLabel: 'testAddLabel' },
      annotations: { testAnnotation: 'testAnnotation', testAddAnnotation: 'testAddAnnotation' },
    });
  });
});
