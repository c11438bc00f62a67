// Words shared by the plan formatters: the one-line summary, revision names, matrix cells.
import type { ClusterMove, PlanReport, RevisionSummary } from './types.js';

/** "1 workload" / "2 workloads". */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** A commit shortened to 7 characters, as git prints it; "worktree" stays. */
export function shortRevision(r: RevisionSummary): string {
  return /^[0-9a-f]{40}$/.test(r.revision) ? r.revision.slice(0, 7) : r.revision;
}

/** The summary sentence: what changes, in the order a reviewer reads it. */
export function summaryParts(report: PlanReport): string[] {
  const s = report.summary;
  if (!s.changed) return ['no changes'];
  const parts: string[] = [];
  if (s.workloadsChanged > 0) {
    parts.push(
      `${plural(s.workloadsChanged, 'resource changes', 'resources change')} ` +
        `placement${s.replicasMoved > 0 ? ` (${plural(s.replicasMoved, 'replica moves', 'replicas move')})` : ''}`,
    );
  }
  const objects = [
    s.objectsAdded ? `${s.objectsAdded} added` : '',
    s.objectsRemoved ? `${s.objectsRemoved} removed` : '',
    s.objectsChanged ? `${s.objectsChanged} changed` : '',
  ].filter(Boolean);
  if (objects.length > 0) parts.push(`objects ${objects.join(', ')} on ${plural(s.clustersAffected, 'cluster')}`);
  if (s.policiesChanged) parts.push(`${plural(s.policiesChanged, 'policy', 'policies')} changed`);
  if (s.overridesChanged) parts.push(`${plural(s.overridesChanged, 'override policy', 'override policies')} changed`);
  if (s.clusterDeclarationsChanged)
    parts.push(`${plural(s.clusterDeclarationsChanged, 'cluster or fleet declaration', 'cluster or fleet declarations')} changed`);
  return parts;
}

/** A matrix cell: `6`, `6→5`, `·→3` (not placed before), `✓→·` for a resource without replicas. */
export function cellText(m: ClusterMove): string {
  const side = (placed: boolean, n: number | null) => (!placed ? '·' : n === null ? '✓' : String(n));
  const before = side(m.placedBefore, m.before);
  const after = side(m.placedAfter, m.after);
  return before === after ? before : `${before}→${after}`;
}

/** "+1", "-2", "" for no change or non-workloads. */
export function deltaText(m: ClusterMove): string {
  if (m.delta === 0) return '';
  return m.delta > 0 ? `+${m.delta}` : String(m.delta);
}
