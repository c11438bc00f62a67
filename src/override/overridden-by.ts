// Which override policies changed a rendered object (issue 11's scope, after a red-team review):
// an OverridePolicy of one path may rewrite an object another path wrote (a namespaced one every
// object of its namespace, a cluster-wide one any object), and the result is then judged by the
// rule of the path that changed it too, not only by the object's own (validate/scope.ts). Kept
// beside the object, keyed by it, so nothing of it is rendered or written.
import type { Manifest, OverridePolicy } from '../model/types.js';

const changedBy = new WeakMap<object, { policies: readonly OverridePolicy[]; template: Manifest }>();

/** One record per policy list (a resource's copies share it): a record per copy cost ~3 MB at 87,000 overridden copies. */
const records = new WeakMap<readonly OverridePolicy[], { policies: readonly OverridePolicy[]; template: Manifest }>();

/** Notes that `policies` applied a rule to `object` (the render's own copy for one cluster of `template`). */
export function recordOverriddenBy(object: object, policies: readonly OverridePolicy[], template: Manifest): void {
  if (policies.length === 0) return;
  let record = records.get(policies);
  if (record?.template !== template) records.set(policies, (record = { policies, template }));
  changedBy.set(object, record);
}

/** The override policies that changed `object`, in the order they ran, and the template it was rendered from (undefined: none). */
export function overrideOf(object: object): { policies: readonly OverridePolicy[]; template: Manifest } | undefined {
  return changedBy.get(object);
}
