// Choosing a set of topology groups, after selectGroups in Karmada's
// pkg/scheduler/core/spreadconstraint/select_groups.go (docs/reference/semantics.md §3.5, "By region", step 3).
import { compareStrings } from '../../model/order.js';

/** A topology group as the search sees it: `value` counts toward the target, `weight` is its score. */
export interface GroupInfo {
  name: string;
  value: number;
  weight: number;
}

/** One combination that satisfies the constraints; `id` is its discovery order (from 1). */
export interface FeasiblePath {
  id: number;
  /** Sorted by weight desc, then name asc. */
  groups: GroupInfo[];
  weight: number;
  value: number;
}

/** Groups in the order Karmada presents a chosen path: weight desc, name asc. */
export function sortByWeight(groups: readonly GroupInfo[]): GroupInfo[] {
  return [...groups].sort((a, b) => b.weight - a.weight || compareStrings(a.name, b.name));
}

/**
 * Every combination, in depth-first order over groups sorted by value asc, weight desc, name asc,
 * whose size is within [minGroups, maxGroups] and whose total value reaches `target`. A combination
 * is recorded the moment it qualifies and is not extended further. Karmada's quirk is kept: when
 * there are exactly minGroups groups, the search stops backtracking after the first branch.
 */
export function findFeasiblePaths(groups: readonly GroupInfo[], minGroups: number, maxGroups: number, target: number): FeasiblePath[] {
  const ordered = [...groups].sort((a, b) => a.value - b.value || b.weight - a.weight || compareStrings(a.name, b.name));
  const paths: FeasiblePath[] = [];
  const path: GroupInfo[] = [];
  let nextId = 0;

  const dfs = (sum: number, begin: number): void => {
    if (sum >= target && path.length >= minGroups && path.length <= maxGroups) {
      const chosen = sortByWeight(path);
      paths.push({
        id: ++nextId,
        groups: chosen,
        weight: chosen.reduce((s, g) => s + g.weight, 0),
        value: chosen.reduce((s, g) => s + g.value, 0),
      });
      return;
    }
    if (path.length >= maxGroups) return;
    for (let i = begin; i < ordered.length; i++) {
      const g = ordered[i]!;
      path.push(g);
      dfs(sum + g.value, i + 1);
      // Karmada: "stop backtracking when we have to traverse all groups to satisfy the minimum
      // constraint" — the group stays on the path and the loop ends.
      if (ordered.length === minGroups) break;
      path.pop();
    }
  };
  dfs(0, 0);
  return paths;
}

/**
 * The best feasible path: highest total weight, then highest total value, then found first; then a
 * later path in that order that is a strict prefix of the current best (both sorted by weight desc,
 * name asc) replaces it, so fewer groups win when they lead with the same groups.
 */
export function prioritizePaths(paths: readonly FeasiblePath[]): FeasiblePath | undefined {
  if (paths.length <= 1) return paths[0];
  const ranked = [...paths].sort((a, b) => b.weight - a.weight || b.value - a.value || a.id - b.id);
  let best = ranked[0]!;
  for (const p of ranked.slice(1)) {
    if (isStrictPrefix(p, best)) best = p;
  }
  return best;
}

function isStrictPrefix(sub: FeasiblePath, of: FeasiblePath): boolean {
  if (sub.groups.length >= of.groups.length) return false;
  return sub.groups.every((g, i) => of.groups[i]!.name === g.name);
}

/**
 * Karmada's selectGroups: the chosen groups (weight desc, name asc), or [] when no combination
 * within [minGroups, maxGroups] reaches `target`. maxGroups may be Infinity (unlimited).
 */
export function selectGroups(groups: readonly GroupInfo[], minGroups: number, maxGroups: number, target: number): GroupInfo[] {
  if (groups.length === 0) return [];
  return prioritizePaths(findFeasiblePaths(groups, minGroups, maxGroups, target))?.groups ?? [];
}
