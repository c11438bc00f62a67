// flotilla's tracking metadata on every rendered object: how the reconciler finds what it owns
// (label) and how a person finds where an object came from (annotations).

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
/** Set on an object to make flotilla never delete it. */
export const PRUNE_ANNOTATION = 'flotilla.dev/prune';

/** Annotations that change with every commit, so comparisons of desired state ignore them. */
export const VOLATILE_ANNOTATIONS: readonly string[] = [REVISION_ANNOTATION];
