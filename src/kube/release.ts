// Releasing an object: what flotilla does instead of deleting an object it did not create (or must
// never delete) when the repository drops it — the object stays exactly as it is, and flotilla's
// claim on it goes: its field manager's entries in metadata.managedFields, its managed-by label
// and its tracking annotations, as Karmada's execution controller removes its claim metadata when
// a policy preserves resources on deletion. Pure: the merge patch, from the live object.
//
// A real API server takes metadata.managedFields from a non-apply write as given ("Clearing
// managedFields" in Kubernetes' server-side apply documentation): the entries left are what the
// patch sends, and a list holding one empty entry clears them all (an empty list changes nothing,
// on purpose). The patch names the live resourceVersion, so a concurrent write makes it a 409 and
// the release is tried again on the next pass instead of overwriting someone's managedFields.
import { isMap } from '../objects/json.js';
import { MANAGED_LABEL, TRACKING_ANNOTATIONS } from '../objects/tracking.js';
import type { KubeObject } from './api.js';

/** The merge patch that releases `live` from `fieldManager`; null when nothing of flotilla's is left on it. */
export function releasePatch(live: KubeObject, fieldManager: string): KubeObject | null {
  const meta = isMap(live.metadata) ? live.metadata : {};
  const entries = Array.isArray(meta.managedFields) ? meta.managedFields : [];
  const others = entries.filter((e) => !(isMap(e) && e.manager === fieldManager));
  const labels = isMap(meta.labels) ? meta.labels : {};
  const annotations = isMap(meta.annotations) ? meta.annotations : {};
  const patch: Record<string, unknown> = {};
  if (others.length !== entries.length) patch.managedFields = others.length > 0 ? others : [{}];
  if (MANAGED_LABEL in labels) patch.labels = { [MANAGED_LABEL]: null };
  const tracked = TRACKING_ANNOTATIONS.filter((k) => k in annotations);
  if (tracked.length > 0) patch.annotations = Object.fromEntries(tracked.map((k) => [k, null]));
  if (Object.keys(patch).length === 0) return null;
  if (typeof meta.resourceVersion === 'string') patch.resourceVersion = meta.resourceVersion;
  return { metadata: patch };
}
