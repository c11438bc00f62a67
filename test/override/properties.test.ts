import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { PlaintextOverrider } from '../../src/model/types.js';
import { formatImageReference, parseImageReference } from '../../src/override/image-reference.js';
import { applyPatchOps } from '../../src/override/json-patch.js';
import { plaintextOps } from '../../src/override/plaintext.js';
import { deployment, override } from './fixtures.js';

const component = fc.stringMatching(/^[a-z0-9]{1,6}([._-][a-z0-9]{1,4})?$/);
const reference = fc.record({
  host: fc.constantFrom('', 'localhost', 'localhost:5000', 'registry.example.com', 'r.io:443', '10.0.0.1:5000'),
  repository: fc.array(component, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
  tag: fc.constantFrom('', 'v1', '1.2.3', 'latest', 'V_2-rc.1'),
  digest: fc.constantFrom('', 'sha256:' + 'a1'.repeat(32)),
});

describe('properties', () => {
  it('format then parse gives the components back (tag wins over digest)', () => {
    fc.assert(
      fc.property(reference, (ref) => {
        // A repository whose first segment looks like a host would be read as one; keep the host explicit.
        fc.pre(ref.host !== '' || !/^[^/]*[.:][^/]*\//.test(ref.repository));
        const expected = { ...ref, digest: ref.tag ? '' : ref.digest };
        const image = formatImageReference(expected);
        const parsed = parseImageReference(ref.tag && ref.digest ? `${image}@${ref.digest}` : image);
        expect(parsed).toEqual({ ok: true, ref: expected });
      }),
    );
  });

  it('an override copies only what it changes: a whole copy patched, the template and other copies as they were', () => {
    // Paths into lists too: an insert before an element a later op replaces must not reach the template's element.
    const path = fc.constantFrom(
      '',
      '/spec',
      '/spec/replicas',
      '/spec/selector/matchLabels/app',
      '/metadata/labels',
      '/metadata/labels/x',
      '/spec/template/spec/containers/-',
      '/spec/template/spec/containers/0',
      '/spec/template/spec/containers/1',
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/1/image',
      '/spec/template/spec/containers/1/args',
      '/spec/template/spec/containers/1/args/0',
      '/spec/template/spec/containers/1/args/-',
    );
    const op: fc.Arbitrary<PlaintextOverrider> = fc.record({
      path,
      operator: fc.constantFrom('add', 'remove', 'replace'),
      value: fc.constantFrom('yes', 3, { name: 'side', image: 'side:1', args: ['--s'] }, ['--x'], { kind: 'Deployment', spec: {} }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4 }), (plaintext) => {
        const obj = deployment(
          [
            { name: 'app', image: 'app:1' },
            { name: 'db', image: 'db:1', args: ['--a', '--b'] },
          ],
          { labels: { a: 'b' } },
        );
        const before = structuredClone(obj);
        const reference = applyPatchOps(obj, plaintextOps(plaintext), ['plaintext'], 'plaintext');
        const first = override(obj, { plaintext });
        const second = override(obj, { plaintext });
        expect(obj).toEqual(before);
        if (first.problems.some((p) => p.severity === 'error')) {
          expect(first.object).toBe(obj);
          return;
        }
        expect(reference.ok).toBe(true);
        if (reference.ok) expect(first.object).toEqual(reference.doc);
        // The second cluster's copy, made after the first from the same template, is the same.
        expect(second.object).toEqual(first.object);
      }),
      { numRuns: 500 },
    );
  });

  it('no plaintext patch, however hostile, mutates the input or Object.prototype', () => {
    const segment = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'spec',
      'metadata',
      'labels',
      'polluted',
      '0',
      '-',
      'template',
    );
    const op: fc.Arbitrary<PlaintextOverrider> = fc.record({
      path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/')),
      operator: fc.constantFrom('add', 'remove', 'replace'),
      value: fc.constantFrom('yes', 1, { polluted: 'yes' }, ['x']),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3 }), (plaintext) => {
        const obj = deployment([{ name: 'app', image: 'app:1' }], { labels: { a: 'b' } });
        const before = structuredClone(obj);
        const r = override(obj, { plaintext });
        expect(obj).toEqual(before);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
        expect(Array.prototype).not.toHaveProperty('polluted');
        if (r.problems.length > 0) expect(r.object).toBe(obj);
      }),
      { numRuns: 300 },
    );
  });
});
