// The plan for a terminal or a CI log: the same sections as the markdown, coloured on a TTY.
import { trafficLines } from './traffic.js';
import type { PlanReport } from './types.js';
import { policyText } from './placements.js';
import { cellText, deltaText, plural, shortRevision, summaryParts } from './summary.js';
import { describeRef } from '../objects/identity.js';

export interface TextOptions {
  /** ANSI colours (for a TTY). */
  color?: boolean;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', bold: '\x1b[1m', dim: '\x1b[2m', reset: '\x1b[0m' } as const;

/** The plan as plain text (no truncation: logs have no size limit worth cutting for). */
export function formatPlanText(report: PlanReport, options: TextOptions = {}): string {
  const paint = (color: keyof typeof ANSI, s: string) => (options.color ? `${ANSI[color]}${s}${ANSI.reset}` : s);
  const out: string[] = [];
  out.push(
    paint('bold', `flotilla plan ${shortRevision(report.base)} → ${shortRevision(report.head)}: ${summaryParts(report).join('; ')}`),
  );
  out.push(
    `head: ${plural(report.head.errors, 'error')}, ${plural(report.head.warnings, 'warning')}; ` +
      `${report.headScheduledOnBase ? "head scheduled on top of base's placements" : 'head scheduled from scratch'}; ` +
      `max move ${Math.round(report.maxMove * 100)}%`,
  );
  if (report.head.errors > 0)
    out.push(paint('red', `head has ${plural(report.head.errors, 'error')}: flotilla will not apply it; what could be computed follows`));

  for (const n of report.notes) out.push(paint('dim', `note: ${n}`));
  if (report.risks.length > 0) {
    out.push('', paint('bold', `warnings (${report.risks.length}):`));
    for (const r of report.risks) out.push(paint('yellow', `  ! ${r.code}: ${r.message}`));
  }

  if (report.workloads.length > 0) {
    out.push('', paint('bold', `placement (${plural(report.workloads.length, 'resource')}):`));
    for (const w of report.workloads) {
      const tag = w.change === 'added' ? ' [new]' : w.change === 'removed' ? ' [removed]' : w.error.after ? ' [unschedulable]' : '';
      out.push(`  ${describeRef(w.resource)}${tag}  (${policyText(w.policy.after ?? w.policy.before)})`);
      for (const r of w.reasons) out.push(paint('dim', `    · ${r}`));
      const width = Math.max(...w.clusters.map((c) => c.cluster.length), 0);
      const cellWidth = Math.max(...w.clusters.map((c) => cellText(c).length), 0);
      for (const c of w.clusters) {
        const delta = deltaText(c);
        const line = (
          `    ${c.cluster.padEnd(width)}  ${cellText(c).padEnd(cellWidth)}  ` + `${delta.padEnd(4)}${c.reason ? `  ${c.reason}` : ''}`
        ).trimEnd();
        out.push(c.reason ? paint(c.delta < 0 || (c.placedBefore && !c.placedAfter) ? 'red' : 'green', line) : line);
      }
    }
  }

  out.push(...claimAndSuspendedLines(report, paint));

  const declarations = [...report.policies, ...report.overrides, ...report.clusterDeclarations];
  if (declarations.length > 0) {
    out.push('', paint('bold', 'policies, overrides and clusters:'));
    const mark = { added: '+', removed: '-', changed: '~' } as const;
    const color = { added: 'green', removed: 'red', changed: 'yellow' } as const;
    for (const d of declarations) {
      out.push(paint(color[d.change], `  ${mark[d.change]} ${describeRef(d)} (${d.change})`));
      for (const f of d.fields) out.push(`      ${f}`);
      if (d.moreFields) out.push(`      … ${d.moreFields} more`);
    }
  }

  if (report.objects.length > 0) {
    out.push('', paint('bold', 'objects per cluster:'));
    for (const c of report.objects) {
      const counts = [
        c.added.length ? `${c.added.length} added` : '',
        c.removed.length ? `${c.removed.length} removed` : '',
        c.changed.length ? `${c.changed.length} changed` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const state = c.state === 'drops-out' ? '; drops out: everything on it is deleted' : c.state === 'new' ? '; new' : '';
      out.push(`  ${c.cluster} (${counts}${state})`);
      for (const o of c.removed) out.push(paint('red', `    - delete ${describeRef(o)}`));
      for (const o of c.added) out.push(paint('green', `    + create ${describeRef(o)}`));
      for (const o of c.changed) {
        out.push(paint('yellow', `    ~ update ${describeRef(o)}`));
        for (const f of o.fields) out.push(`        ${f}`);
        if (o.moreFields) out.push(`        … ${o.moreFields} more`);
      }
    }
  }

  if (report.traffic) {
    out.push('', paint('bold', 'traffic:'));
    for (const line of trafficLines(report.traffic)) out.push(`  ${line}`);
  }

  if (report.diagnostics.length > 0) {
    out.push('', paint('bold', 'diagnostics of head:'));
    for (const d of report.diagnostics) {
      const where = d.file ? `${d.file}${d.line ? `:${d.line}` : ''}${d.line && d.column ? `:${d.column}` : ''}: ` : '';
      const line = `  ${where}${d.severity} ${d.code}: ${d.message}${d.isNew ? ' [new]' : ''}`;
      out.push(d.severity === 'error' ? paint('red', line) : line);
    }
  }
  return out.join('\n') + '\n';
}

/** The claims section (sticky claims, preemption) and the suspended section of the text plan. */
function claimAndSuspendedLines(report: PlanReport, paint: (color: keyof typeof ANSI, s: string) => string): string[] {
  const out: string[] = [];
  if (report.claims.length > 0) {
    out.push('', paint('bold', `claims (${plural(report.claims.length, 'resource')}):`));
    for (const c of report.claims) {
      const arrow = c.change === 'kept' ? `stays with ${policyText(c.after)}` : `${policyText(c.before)} → ${policyText(c.after)}`;
      out.push(paint(c.change === 'kept' ? 'dim' : 'yellow', `  ${describeRef(c.resource)} [${c.change}]  ${arrow}`));
      out.push(paint('dim', `    · ${c.reason}`));
    }
  }

  if (report.suspended.length > 0) {
    out.push('', paint('bold', `suspended (${plural(report.suspended.length, 'resource')}: nothing created, updated or deleted there):`));
    for (const s of report.suspended) out.push(paint('dim', `  ${describeRef(s.resource)}  on ${s.clusters.join(', ')}`));
  }
  return out;
}
