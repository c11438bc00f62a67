// Reading parsed JSON and YAML (Kubernetes objects, config documents) whose shape is not known yet.

/** A JSON object: not null, not an array. */
export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A shallow copy of a JSON object, members in the same order (what `{ ...o }` gives). Spreading
 * objects of many shapes at one site made V8 give each copy a hidden class of its own (about 240
 * bytes of map and descriptors per object, a sixth of the heap at fleet scale); copies assigned
 * member by member share hidden classes. `__proto__` is defined as an own member, as a spread does.
 */
export function copyMembers(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    if (k === '__proto__') Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
    else out[k] = o[k];
  }
  return out;
}
