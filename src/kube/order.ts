// The order objects are applied in (Flux's ssa.SortableUnstructureds, Helm's install order):
// Namespaces and CRDs first, because everything else may live in them or be one of their kinds;
// admission webhooks last, because a webhook whose service is not running yet would reject the
// very objects that start it. Deletion runs the reverse order. Pure and stable.
import { compareStrings } from '../model/order.js';

/** Apply phase of a kind: 0 = first (Namespace, CRD), 1 = everything else, 2 = last (webhooks). */
export function applyPhase(apiVersion: string, kind: string): 0 | 1 | 2 {
  if (kind === 'Namespace' && apiVersion === 'v1') return 0;
  if (kind === 'CustomResourceDefinition' && apiVersion.startsWith('apiextensions.k8s.io/')) return 0;
  if (
    (kind === 'MutatingWebhookConfiguration' ||
      kind === 'ValidatingWebhookConfiguration' ||
      kind === 'ValidatingAdmissionPolicy' ||
      kind === 'ValidatingAdmissionPolicyBinding') &&
    apiVersion.startsWith('admissionregistration.k8s.io/')
  )
    return 2;
  return 1;
}

/** Rank inside phase 0: CRDs before Namespaces would be just as right; Flux puts CRDs first. */
function rankInPhase(kind: string): number {
  return kind === 'CustomResourceDefinition' ? 0 : kind === 'Namespace' ? 1 : 2;
}

interface Identified {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Sorts for applying: phase, then kind rank, then apiVersion, kind, namespace, name. */
export function compareForApply(a: Identified, b: Identified): number {
  return (
    applyPhase(a.apiVersion, a.kind) - applyPhase(b.apiVersion, b.kind) ||
    rankInPhase(a.kind) - rankInPhase(b.kind) ||
    compareStrings(a.apiVersion, b.apiVersion) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.name, b.name)
  );
}

/** The items in apply order (a sorted copy). */
export function sortForApply<T>(items: readonly T[], ref: (t: T) => Identified): T[] {
  return [...items].sort((a, b) => compareForApply(ref(a), ref(b)));
}

/** The items in delete order: the exact reverse of apply order. */
export function sortForDelete<T>(items: readonly T[], ref: (t: T) => Identified): T[] {
  return sortForApply(items, ref).reverse();
}
