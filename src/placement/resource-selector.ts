// How specifically a policy's resourceSelector matches a resource (Karmada's
// util.ResourceSelectorPriority), shared by propagation claiming and override ordering.
import { matchesLabelSelector, labelSelectorProblem } from '../objects/label-selector.js';
import type { Manifest, ResourceSelector } from '../model/types.js';

/** Implicit priorities, higher is more specific (pkg/apis/policy/v1alpha1 ImplicitPriority). */
export const Priority = {
  MisMatch: 0,
  MatchAll: 1,
  MatchLabelSelector: 2,
  MatchName: 3,
} as const;

export type ImplicitPriority = (typeof Priority)[keyof typeof Priority];

/** The labels of a manifest's metadata, or {}. */
export function labelsOf(m: Manifest): Record<string, string> {
  const meta = m.object.metadata as { labels?: Record<string, string> } | undefined;
  return meta?.labels && typeof meta.labels === 'object' ? meta.labels : {};
}

/** Priority of one selector against a resource. */
export function resourceSelectorPriority(sel: ResourceSelector, m: Manifest): ImplicitPriority {
  if (sel.apiVersion !== m.apiVersion || sel.kind !== m.kind) return Priority.MisMatch;
  if (sel.namespace && sel.namespace !== m.namespace) return Priority.MisMatch;
  if (sel.name) return sel.name === m.name ? Priority.MatchName : Priority.MisMatch;
  if (!sel.labelSelector) return Priority.MatchAll;
  if (labelSelectorProblem(sel.labelSelector)) return Priority.MisMatch;
  return matchesLabelSelector(sel.labelSelector, labelsOf(m)) ? Priority.MatchLabelSelector : Priority.MisMatch;
}

/** A policy's implicit priority: the best over its selectors (MisMatch when none match). */
export function policyImplicitPriority(selectors: readonly ResourceSelector[], m: Manifest): ImplicitPriority {
  let best: ImplicitPriority = Priority.MisMatch;
  for (const s of selectors) {
    const p = resourceSelectorPriority(s, m);
    if (p > best) best = p;
  }
  return best;
}
