// flotilla's tracking metadata on every rendered object: how the reconciler finds what it owns
// (label) and how a person finds where an object came from (annotations).
import { isMap } from './json.js';

/** Label on every object flotilla renders; inventory and pruning select by it. */
export const MANAGED_LABEL = 'flotilla.dev/managed-by';
export const MANAGED_VALUE = 'flotilla';
/** The commit the object was rendered from ("worktree" for an uncommitted tree). */
export const REVISION_ANNOTATION = 'flotilla.dev/source-revision';
/** The manifest's file in the fleet repository. */
export const SOURCE_ANNOTATION = 'flotilla.dev/source-path';
/** The policy that placed it: Kind/namespace/name (namespace empty for cluster-scoped kinds). */
export const POLICY_ANNOTATION = 'flotilla.dev/policy';
/** The member cluster the object was rendered for. */
export const CLUSTER_ANNOTATION = 'flotilla.dev/cluster';
/**
 * Set on an object (in the repository or on the cluster) to decide its deletion when the repository
 * drops it: "false" (or "disabled", the older spelling) keeps it, "true" deletes it even when
 * flotilla adopted it (docs/guide/live-clusters.md "Prune").
 */
export const PRUNE_ANNOTATION = 'flotilla.dev/prune';
/**
 * The claiming policy's spec.conflictResolution, set by the render when it is Overwrite: the apply
 * engine may adopt an object already on the cluster that flotilla did not create (absent: Abort).
 * Karmada carries the same per object (work.karmada.io/conflict-resolution on the Work's manifest).
 */
export const CONFLICT_RESOLUTION_ANNOTATION = 'flotilla.dev/conflict-resolution';
/** The claiming policy's spec.preserveResourcesOnDeletion, set by the render when true: released, not deleted, when dropped. */
export const PRESERVE_ANNOTATION = 'flotilla.dev/preserve-resources-on-deletion';
/**
 * Set by the apply engine (never the render) on an object it adopted: flotilla did not create it,
 * so it is released, not deleted, when the repository drops it. On the object itself, so it
 * survives a lost inventory.
 */
export const ADOPTED_ANNOTATION = 'flotilla.dev/adopted';

/**
 * Set by the render on an object whose claiming policy suspends dispatching to its cluster
 * (spec.suspension, docs/reference/semantics.md §2.4): targets neither create, update nor delete it
 * there. It reaches no cluster: a suspended object is never applied.
 */
export const SUSPENDED_ANNOTATION = 'flotilla.dev/suspended';

/** Whether a rendered object is held by a suspension (SUSPENDED_ANNOTATION). */
export function isSuspendedObject(object: { metadata?: unknown }): boolean {
  const annotations = (object.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations;
  return annotations?.[SUSPENDED_ANNOTATION] === 'true';
}

/**
 * Set by the render on an object an override policy changed: the files of those policies, in the
 * order they ran, as a JSON list (Karmada records the same as policy.karmada.io/applied-overrides).
 * The scope judges the object by those files' rules too, and the kubernetes target writes it as the
 * identity of the last of them whose path has one of its own (docs/guide/configuration.md "scope").
 */
export const OVERRIDDEN_BY_ANNOTATION = 'flotilla.dev/overridden-by';

/** The files of OVERRIDDEN_BY_ANNOTATION on a rendered object (none: no override changed it, or not a list). */
export function overridingFiles(object: unknown): string[] {
  const text = annotationsOf(object)[OVERRIDDEN_BY_ANNOTATION];
  if (typeof text !== 'string') return [];
  try {
    const files: unknown = JSON.parse(text);
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

/** An object's metadata.annotations as read (empty when it has none, or they are not a map). */
export function annotationsOf(object: unknown): Readonly<Record<string, unknown>> {
  const metadata = isMap(object) ? object.metadata : undefined;
  return isMap(metadata) && isMap(metadata.annotations) ? metadata.annotations : {};
}

/** The annotations only flotilla sets: a manifest's own values for them are dropped by the render. */
export const OWNERSHIP_ANNOTATIONS: readonly string[] = [
  CONFLICT_RESOLUTION_ANNOTATION,
  PRESERVE_ANNOTATION,
  ADOPTED_ANNOTATION,
  SUSPENDED_ANNOTATION,
  OVERRIDDEN_BY_ANNOTATION,
];
/** Every annotation flotilla puts on an object: what a release removes. */
export const TRACKING_ANNOTATIONS: readonly string[] = [
  REVISION_ANNOTATION,
  SOURCE_ANNOTATION,
  POLICY_ANNOTATION,
  CLUSTER_ANNOTATION,
  ...OWNERSHIP_ANNOTATIONS,
];

/** Annotations that change with every commit, so comparisons of desired state ignore them. */
export const VOLATILE_ANNOTATIONS: readonly string[] = [REVISION_ANNOTATION];
