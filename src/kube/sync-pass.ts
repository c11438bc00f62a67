// What the stages of one cluster's sync pass share: the kinds discovery mapped in this pass, and
// how a stage stops the pass — a cluster that cannot be used now (unreachable, unauthorized, a
// transient failure of a read) or a replica that lost the cluster's shard lease (shouldContinue).
import { resourcePath, type Discovery, type ResourceMapping } from './discovery.js';
import { KubeApiError } from './errors.js';
import type { ObjectRef, SyncOptions } from './sync-types.js';

/** Errors that mean the cluster itself is not usable now: stop instead of failing object after object. */
export function isClusterWide(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && (e.code === 'KUBE_UNREACHABLE' || (e.code === 'KUBE_FORBIDDEN' && e.status === 401));
}

/** Thrown inside a stage to abandon the cluster's pass; the stage returns `cause` as its abort. */
export class ClusterAbort extends Error {
  constructor(override readonly cause: KubeApiError) {
    super(cause.message);
  }
}

/**
 * What a guarded read threw when the cluster answered for that kind or object only (a 403 or 404 of
 * its own): that object fails, the pass goes on. Null for a ClusterAbort (the pass stops) or a bug.
 */
export function ownReadFailure(e: unknown): KubeApiError | null {
  return e instanceof KubeApiError ? e : null;
}

/** The KubeApiError of a ClusterAbort; anything else is rethrown (a bug, not the cluster's doing). */
export function abortCause(e: unknown): KubeApiError {
  if (e instanceof ClusterAbort) return e.cause;
  throw e;
}

export const STOPPED_REASON = 'PassStopped';

/** Why a pass stopped when SyncOptions.shouldContinue said no. */
export function stoppedError(): KubeApiError {
  return new KubeApiError(
    'KUBE_API',
    "stopped before writing: this replica no longer holds the lease of the cluster's shard",
    null,
    STOPPED_REASON,
  );
}

/** Whether SyncOptions.shouldContinue says to stop writing now. */
export function toldToStop(options: SyncOptions): boolean {
  return options.shouldContinue !== undefined && !options.shouldContinue();
}

/** Runs a read; a cluster-wide failure (unreachable, unauthorized) aborts the cluster's pass. */
export async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (isClusterWide(e) || (e instanceof KubeApiError && e.transient)) throw new ClusterAbort(e as KubeApiError);
    throw e;
  }
}

/**
 * The resource mapping of each kind the pass looked up, asked of discovery once per pass (null:
 * the cluster does not serve the kind). The prune's cascade check also lists every namespaced kind
 * seen here, since those are the kinds flotilla itself uses.
 */
export class PassMappings {
  private readonly byKind = new Map<string, ResourceMapping | null>();

  constructor(private readonly discovery: Discovery) {}

  async of(ref: { apiVersion: string; kind: string }): Promise<ResourceMapping | null> {
    const key = `${ref.apiVersion}|${ref.kind}`;
    if (!this.byKind.has(key)) this.byKind.set(key, await this.discovery.lookup(ref.apiVersion, ref.kind));
    return this.byKind.get(key)!;
  }

  /** Forgets a kind's mapping, so the next lookup asks discovery again (its CRD was just applied). */
  forget(ref: { apiVersion: string; kind: string }): void {
    this.byKind.delete(`${ref.apiVersion}|${ref.kind}`);
  }

  /** The namespaced kinds looked up so far (served ones). */
  namespaced(): ResourceMapping[] {
    return [...this.byKind.values()].filter((x): x is ResourceMapping => x !== null && x.namespaced);
  }
}

/** The URL path of an object. */
export function objectPath(m: ResourceMapping, ref: ObjectRef): string {
  return resourcePath(m, ref.namespace, ref.name);
}
