// isRefOf (src/objects/identity.ts) answers "is this refOfObject(object)?" without making the ref;
// the restart's diff keeps a whole cluster on its word, so it must agree with refOfObject on
// every object, whatever its fields hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRefOf, refOfObject } from '../../src/objects/identity.js';

const field = fc.oneof(fc.constantFrom('v1', 'apps/v1', 'a', '', 'default'), fc.constant(undefined), fc.constant(null), fc.integer());
const object = fc.record(
  {
    apiVersion: field,
    kind: field,
    metadata: fc.oneof(fc.record({ name: field, namespace: field }, { requiredKeys: [] }), fc.constant(undefined)),
  },
  { requiredKeys: [] },
);
const ref = fc.record({
  apiVersion: fc.constantFrom('v1', 'apps/v1', 'a', '', 'null', 'undefined', '0'),
  kind: fc.constantFrom('v1', 'a', '', 'null', '0'),
  namespace: fc.constantFrom('default', 'a', ''),
  name: fc.constantFrom('a', '', 'default'),
});

describe('isRefOf', () => {
  it('property: is true exactly for the ref refOfObject reads from the object', () => {
    fc.assert(
      fc.property(object, ref, (o, r) => {
        const read = refOfObject(o as Record<string, unknown>);
        expect(isRefOf(read, o as Record<string, unknown>)).toBe(true);
        expect(isRefOf(r, o as Record<string, unknown>)).toBe(JSON.stringify(r) === JSON.stringify(read));
      }),
      { numRuns: 2000 },
    );
  });
});
