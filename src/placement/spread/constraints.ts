// The spread constraints as the selection algorithms read them (Karmada's spreadConstraintMap in
// pkg/scheduler/core/spreadconstraint/select_clusters.go), with the defaults re-applied defensively.
import type { Placement, SpreadConstraint, SpreadField } from '../../model/types.js';

/** A constraint ready for selection: field known, minGroups ≥ 1, maxGroups possibly unlimited. */
export interface EffectiveConstraint {
  field: SpreadField;
  minGroups: number;
  /** Infinity when not limited (flotilla's maxSkew extension). */
  maxGroups: number;
  /** maxGroups as written (0 when not given), for messages. */
  declaredMaxGroups: number;
  /** True when maxGroups is unlimited because maxSkew was given without it. */
  unlimitedBySkew: boolean;
}

/**
 * Karmada's helper.SetDefaultSpreadConstraints (neither field nor label ⇒ cluster; minGroups 0 ⇒ 1),
 * idempotent, so constraints already defaulted by the loader are unchanged.
 */
export function defaultedConstraint(c: SpreadConstraint): SpreadConstraint {
  const field = c.spreadByField ?? (c.spreadByLabel ? undefined : 'cluster');
  return { ...c, ...(field ? { spreadByField: field } : {}), minGroups: c.minGroups > 0 ? c.minGroups : 1 };
}

/**
 * The constraint of each field. Karmada keys a map by SpreadByField, so with duplicates the last one
 * wins; label constraints (no field) are never used for selection.
 */
export function constraintsByField(placement: Placement): Map<SpreadField, EffectiveConstraint> {
  const out = new Map<SpreadField, EffectiveConstraint>();
  for (const raw of placement.spreadConstraints ?? []) {
    const c = defaultedConstraint(raw);
    if (!c.spreadByField) continue;
    // flotilla extension (docs/reference/semantics.md, extension list): maxSkew without maxGroups does not limit groups.
    const unlimitedBySkew = c.maxSkew !== undefined && c.maxGroups === 0;
    out.set(c.spreadByField, {
      field: c.spreadByField,
      minGroups: c.minGroups,
      maxGroups: unlimitedBySkew ? Infinity : c.maxGroups,
      declaredMaxGroups: c.maxGroups,
      unlimitedBySkew,
    });
  }
  return out;
}
