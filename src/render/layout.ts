// Where each rendered object lives on disk: <cluster>/<namespace or _cluster>/<kind>-<name>.yaml.
// Names come from the fleet repository, so every segment is made safe: nothing can climb out of
// the output directory, whatever a manifest says.
import { refOfObject, type ObjectRef } from '../objects/identity.js';
import { apiGroup } from '../objects/scope.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A path segment that cannot be '.', '..', empty or contain a separator; odd characters are %-encoded. */
export function safeSegment(s: string): string {
  if (SAFE.test(s) && s !== '.' && s !== '..') return s;
  const encoded = [...s]
    .map((ch) => (/[A-Za-z0-9._-]/.test(ch) ? ch : '%' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')))
    .join('');
  return encoded === '' || /^\.+$/.test(encoded) || !/^[A-Za-z0-9]/.test(encoded) ? `_${encoded.replace(/\./g, '%2E')}` : encoded;
}

/** Relative path of one object in the `--out` layout. `qualified` adds the API group (used on name clashes). */
export function manifestPath(cluster: string, ref: ObjectRef, qualified = false): string {
  const ns = ref.namespace ? safeSegment(ref.namespace) : '_cluster';
  const group = apiGroup(ref.apiVersion);
  const kind = ref.kind.toLowerCase() + (qualified && group ? `.${group}` : '');
  return `${safeSegment(cluster)}/${ns}/${safeSegment(`${kind}-${ref.name}`)}.yaml`;
}

/** Paths for every object of every cluster; objects whose kind-name clash in a folder get group-qualified names. */
export function layoutManifests(
  manifests: Record<string, ReadonlyArray<Record<string, unknown>>>,
): Array<{ path: string; object: Record<string, unknown> }> {
  const out: Array<{ path: string; object: Record<string, unknown> }> = [];
  for (const cluster of Object.keys(manifests).sort()) {
    const entries = manifests[cluster]!.map((object) => {
      const ref = refOfObject(object);
      return { ref, object, path: manifestPath(cluster, ref) };
    });
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e.path.toLowerCase(), (counts.get(e.path.toLowerCase()) ?? 0) + 1);
    for (const e of entries)
      out.push({ path: counts.get(e.path.toLowerCase())! > 1 ? manifestPath(cluster, e.ref, true) : e.path, object: e.object });
  }
  return out;
}
