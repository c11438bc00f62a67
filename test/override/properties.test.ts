import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { PlaintextOverrider } from '../../src/model/types.js';
import { formatImageReference, parseImageReference } from '../../src/override/image-reference.js';
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
