// The status for a terminal: what `flotilla status`, `reconcile --once` and the demo print.
import { countDiagnostics } from '../model/diagnostics-format.js';
import { describeObjects, type ReconcileStatus } from './document.js';

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** A few lines and two tables: phase, revisions, clusters, targets, error diagnostics. */
export function formatStatusText(s: ReconcileStatus, opts: { commit?: string | null } = {}): string {
  const lines: string[] = [];
  lines.push(`phase:          ${s.phase}${s.stage ? ` (stage ${s.stage}: ${s.reason})` : ''}`);
  lines.push(`revision:       ${s.sourceRevision}`);
  lines.push(`last good:      ${s.lastGoodRevision ?? '(none)'}`);
  lines.push(`reconciled at:  ${s.reconciledAt}`);
  if (opts.commit) lines.push(`status commit:  ${opts.commit}`);
  lines.push(`objects:        ${describeObjects(s.objects)}`);
  lines.push(`message:        ${s.message}`);
  const out = [lines.join('\n'), ''];
  const names = Object.keys(s.clusters).sort();
  // Live clusters (kubernetes target) carry readiness, health and drift as well.
  const live = names.some((n) => s.clusters[n]!.ready !== undefined);
  if (names.length > 0) {
    const rows = [
      ['CLUSTER', 'REACHABLE', 'APPLIED', 'UNCHANGED', 'DELETED', 'FAILED', ...(live ? ['READY', 'HEALTH', 'DRIFTED', 'MESSAGE'] : [])],
    ];
    for (const n of names) {
      const c = s.clusters[n]!;
      const extra = live
        ? [
            c.ready === null || c.ready === undefined ? '-' : c.ready ? 'yes' : 'no',
            c.health ?? '-',
            String(c.drifted ?? 0),
            c.message ?? '',
          ]
        : [];
      rows.push([n, c.reachable ? 'yes' : 'no', String(c.applied), String(c.unchanged), String(c.deleted), String(c.failed), ...extra]);
    }
    out.push(table(rows));
  }
  const evictions = s.failover?.evictions ?? [];
  if (evictions.length > 0) {
    out.push('application failover evictions:');
    for (const e of evictions) out.push(`  ${evictionLine(e)}`);
    out.push('');
  }
  const events = s.failover?.events ?? [];
  if (events.length > 0) {
    out.push('failover events:');
    for (const e of events.slice(-5)) out.push(`  ${new Date(e.at).toISOString()} ${e.cluster} ${e.type}: ${e.message}`);
    out.push('');
  }
  if (s.targets.length > 0) {
    const rows = [['TARGET', 'RESULT', 'CREATED', 'CONFIGURED', 'DELETED', 'FAILED', 'MESSAGE']];
    for (const t of s.targets)
      rows.push([t.name, t.phase, String(t.created), String(t.configured), String(t.deleted), String(t.failed), t.message ?? '']);
    out.push(table(rows));
  }
  const errors = s.diagnostics.filter((d) => d.severity === 'error');
  const counts = countDiagnostics(s.diagnostics); // a truncation summary counts as what it left out
  const others = counts.warning + counts.info;
  out.push(`diagnostics: ${counts.error} error${counts.error === 1 ? '' : 's'}, ${others} other`);
  for (const d of errors) out.push(`  ${d.file ?? ''}${d.line ? `:${d.line}` : ''}${d.file ? ': ' : ''}${d.code}: ${d.message}`);
  return out.join('\n') + '\n';
}

/** One eviction task of application failover, for people: what, from where, since when, why. */
export function evictionLine(e: NonNullable<NonNullable<ReconcileStatus['failover']>['evictions']>[number]): string {
  const what = `${e.resource.kind} ${e.resource.namespace ? `${e.resource.namespace}/` : ''}${e.resource.name}`;
  return (
    `${what} evicted from ${e.cluster} at ${new Date(e.evictedAt).toISOString()} ` +
    `(unhealthy since ${new Date(e.unhealthySince).toISOString()}: ${e.reason}; purgeMode ${e.purgeMode})` +
    (e.ended ? `; ended at ${new Date(e.ended.at).toISOString()}, ${e.cluster} held out until its placement or replicas change` : '')
  );
}
