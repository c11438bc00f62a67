// plaintext overriders (Karmada overridemanager.go parseJSONPatchesByPlaintext): raw RFC 6902 ops on
// the whole object. All plaintext entries of one Overriders block form a single patch, as in Karmada.
import type { PlaintextOverrider } from '../model/types.js';
import type { PatchOp } from './json-patch.js';

/** The JSON-patch ops of a block of plaintext overriders, in order. */
export function plaintextOps(overriders: readonly PlaintextOverrider[]): PatchOp[] {
  return overriders.map((o) =>
    o.operator === 'remove' ? { op: o.operator, path: o.path } : { op: o.operator, path: o.path, value: o.value },
  );
}
