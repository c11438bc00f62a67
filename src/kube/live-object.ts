// What flotilla reads from a live object's metadata: whose it is (flotilla's label, its field
// manager's Apply entry in managedFields, the member cluster it was applied for, the prune
// opt-out) and, for a CRD, which kind it defines. Pure.
import { isMap } from '../objects/json.js';
import {
  annotationsOf,
  CLUSTER_ANNOTATION,
  MANAGED_LABEL,
  MANAGED_VALUE,
  PRESERVE_ANNOTATION,
  PRUNE_ANNOTATION,
} from '../objects/tracking.js';
import type { KubeObject } from './api.js';

/** Whether flotilla's field manager has applied this live object before. */
export function managedBy(live: KubeObject, manager: string): boolean {
  const entries = isMap(live.metadata) && Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : [];
  return entries.some((e) => isMap(e) && e.manager === manager && e.operation === 'Apply');
}

/** Whether a live object carries flotilla's tracking label (flotilla created or adopted it). */
export function carriesManagedLabel(live: KubeObject): boolean {
  const labels = isMap(live.metadata) && isMap(live.metadata.labels) ? live.metadata.labels : {};
  return labels[MANAGED_LABEL] === MANAGED_VALUE;
}

/** The member cluster a live object was last applied for (its flotilla.dev/cluster annotation), or null. */
export function appliedForCluster(live: KubeObject): string | null {
  const v = annotationsOf(live)[CLUSTER_ANNOTATION];
  return typeof v === 'string' ? v : null;
}

/** A live object's flotilla.dev/prune annotation: "true", "false", "disabled" (the older "false"), or null. */
export function pruneSetting(live: KubeObject): 'true' | 'false' | 'disabled' | null {
  const v = annotationsOf(live)[PRUNE_ANNOTATION];
  return v === 'true' || v === 'false' || v === 'disabled' ? v : null;
}

/** Whether a live object opted out of pruning (flotilla.dev/prune: "false", or "disabled"). */
export function pruneDisabled(live: KubeObject): boolean {
  const v = pruneSetting(live);
  return v === 'false' || v === 'disabled';
}

/** Whether the policy that last placed a live object said preserveResourcesOnDeletion. */
export function preservedOnDeletion(live: KubeObject): boolean {
  return annotationsOf(live)[PRESERVE_ANNOTATION] === 'true';
}

/** The Namespaces every cluster has; flotilla never deletes them, whoever created them. */
export const PROTECTED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function isProtectedNamespace(name: string): boolean {
  return PROTECTED_NAMESPACES.includes(name);
}

/** The group and kind a CRD object defines, or null when it is not a CRD. */
export function crdDefines(o: KubeObject): { group: string; kind: string } | null {
  if (o.kind !== 'CustomResourceDefinition') return null;
  const spec = isMap(o.spec) ? o.spec : {};
  const names = isMap(spec.names) ? spec.names : {};
  return typeof spec.group === 'string' && typeof names.kind === 'string' ? { group: spec.group, kind: names.kind } : null;
}

/** The API group of an apiVersion ('' for the core group). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

export function uidOf(o: KubeObject | undefined): string | null {
  return o && isMap(o.metadata) && typeof o.metadata.uid === 'string' ? o.metadata.uid : null;
}

/** A Namespace (core v1): deleting it deletes everything in it. */
export function isNamespace(r: { apiVersion: string; kind: string }): boolean {
  return r.kind === 'Namespace' && r.apiVersion === 'v1';
}

/** A CustomResourceDefinition: deleting it deletes every custom resource of its kind. */
export function isCrd(r: { apiVersion: string; kind: string }): boolean {
  return r.kind === 'CustomResourceDefinition' && groupOf(r.apiVersion) === 'apiextensions.k8s.io';
}
