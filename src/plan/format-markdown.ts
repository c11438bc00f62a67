// The plan as a pull-request comment. GitHub caps a comment at 65,536 characters, so the text is
// built from blocks and cut at a block boundary (never inside a table row or a <details>) below
// the limit; the summary and the warnings always stay, followed by a note saying what was cut.
import { trafficLines } from './traffic.js';
import type { PlanReport } from './types.js';
import { policyText } from './placements.js';
import { cellText, plural, shortRevision, summaryParts } from './summary.js';
import { describeRef } from '../objects/identity.js';

/** Marks the comment so CI updates it instead of adding a new one on every push. */
export const PLAN_COMMENT_MARKER = '<!-- flotilla-plan -->';
/** Default size limit of the markdown, below GitHub's 65,536-character comment cap. */
export const MARKDOWN_LIMIT = 60_000;
/** Warnings listed in the summary; the rest are counted (the JSON has them all). */
const SUMMARY_RISKS = 20;

export interface MarkdownOptions {
  /** Maximum length in characters (default 60,000). */
  limit?: number;
}

/** Escapes text for markdown cells and list items: no HTML, no table breaks, one line. */
function md(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

function code(s: string): string {
  const t = s.replace(/\r?\n/g, ' ');
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** The whole comment; `limit` keeps it under the host's cap (summary always included). */
export function formatPlanMarkdown(report: PlanReport, options: MarkdownOptions = {}): string {
  const head = summaryBlocks(report).join('\n');
  const blocks = [
    ...placementBlocks(report),
    ...claimBlocks(report),
    ...suspendedBlocks(report),
    ...trafficBlocks(report),
    ...declarationBlocks(report),
    ...objectBlocks(report),
    ...diagnosticBlocks(report),
  ];
  return fitToLimit(head, blocks, options.limit ?? MARKDOWN_LIMIT);
}

/** Declared vs effective weights and the canaries merging starts (plan/traffic.ts). */
function trafficBlocks(report: PlanReport): string[] {
  if (!report.traffic) return [];
  return [
    `#### Traffic\n\n${trafficLines(report.traffic)
      .map((l) => `- ${md(l)}`)
      .join('\n')}\n`,
  ];
}

/** "head: 1 error, 2 warnings". */
function headDiagnosticsText(report: PlanReport): string {
  return `head: ${plural(report.head.errors, 'error')}, ${plural(report.head.warnings, 'warning')}`;
}

/** The part that always stays: title, summary line, head's errors, notes and risky moves. */
function summaryBlocks(report: PlanReport): string[] {
  const essential: string[] = [];
  essential.push(`${PLAN_COMMENT_MARKER}\n### flotilla plan: \`${shortRevision(report.base)}\` → \`${shortRevision(report.head)}\`\n`);
  essential.push(`**${md(summaryParts(report).join(' · '))}**\n`);
  const schedule = report.headScheduledOnBase
    ? 'head scheduled on top of base’s placements, as the reconciler will'
    : 'head scheduled from scratch';
  essential.push(`<sub>${headDiagnosticsText(report)} · ${schedule} · max move ${Math.round(report.maxMove * 100)}%</sub>\n`);
  if (report.head.errors > 0) {
    const errors = report.diagnostics.filter((d) => d.severity === 'error');
    const lines = errors
      .slice(0, 10)
      .map((d) => `> - ${d.file ? `${code(`${d.file}${d.line ? `:${d.line}` : ''}`)} ` : ''}**${d.code}**: ${md(d.message)}`);
    if (errors.length > 10) lines.push(`> - … and ${errors.length - 10} more`);
    essential.push(
      `> [!CAUTION]\n> **Head has ${plural(report.head.errors, 'error')}**: flotilla will not ` +
        `apply it; what could be computed is shown below.\n${lines.join('\n')}\n`,
    );
  }
  if (report.notes.length > 0) essential.push(`> [!NOTE]\n${report.notes.map((n) => `> ${md(n)}`).join('\n>\n')}\n`);
  if (report.risks.length > 0) {
    const lines = report.risks.slice(0, SUMMARY_RISKS).map((r) => `> - **${r.code}** ${md(r.message)}`);
    if (report.risks.length > SUMMARY_RISKS)
      lines.push(`> - … and ${report.risks.length - SUMMARY_RISKS} more (\`flotilla plan --format json\` lists them all)`);
    essential.push(`> [!WARNING]\n> **${plural(report.risks.length, 'risky move')}**\n${lines.join('\n')}\n`);
  }
  return essential;
}

/** The placement table (a resource per row, a cluster per column) and why each changed cell changed. */
function placementBlocks(report: PlanReport): string[] {
  if (report.workloads.length === 0) return [];
  const blocks: string[] = [];
  const columns = [...new Set(report.workloads.flatMap((w) => w.clusters.map((c) => c.cluster)))].sort();
  blocks.push(`#### Placement (${plural(report.workloads.length, 'resource')})\n`);
  blocks.push(`| resource | ${columns.map(md).join(' | ')} |\n|---|${columns.map(() => ':---:').join('|')}|`);
  for (const w of report.workloads) {
    const byCluster = new Map(w.clusters.map((c) => [c.cluster, c]));
    const cells = columns.map((name) => {
      const m = byCluster.get(name);
      if (!m) return '';
      const t = cellText(m);
      return m.reason ? `**${t}**` : t;
    });
    const tag = w.change === 'added' ? ' 🆕' : w.change === 'removed' ? ' 🗑️' : w.error.after ? ' ❌' : '';
    blocks.push(`| ${md(describeRef(w.resource))}${tag} | ${cells.join(' | ')} |`);
  }
  const why: string[] = [];
  for (const w of report.workloads) {
    const cells = w.clusters.filter((c) => c.reason).map((c) => `  - ${md(c.cluster)} ${cellText(c)}: ${md(c.reason!)}`);
    why.push(
      `- **${md(describeRef(w.resource))}** ` +
        `(${md(policyText(w.policy.after ?? w.policy.before))})` +
        `${w.reasons.length ? `: ${md(w.reasons.join('; '))}` : ''}\n${cells.join('\n')}`,
    );
  }
  blocks.push(`\n<details><summary>Why each cell changed</summary>\n\n${why.join('\n')}\n\n</details>\n`);
  return blocks;
}

/** Claim changes (sticky claims, preemption) with the rule behind each. */
function claimBlocks(report: PlanReport): string[] {
  if (report.claims.length === 0) return [];
  const lines = report.claims.map((c) => {
    const arrow =
      c.change === 'kept' ? `stays with ${md(policyText(c.after))}` : `${md(policyText(c.before))} → ${md(policyText(c.after))}`;
    return `- **${md(describeRef(c.resource))}** ${c.change}: ${arrow} — ${md(c.reason)}`;
  });
  return [`#### Claims (${plural(report.claims.length, 'resource')})\n`, ...lines, ''];
}

/** Resources held by spec.suspension on some clusters. */
function suspendedBlocks(report: PlanReport): string[] {
  if (report.suspended.length === 0) return [];
  const lines = report.suspended.map((s) => `- ⏸️ **${md(describeRef(s.resource))}** on ${s.clusters.map(md).join(', ')}`);
  return [`#### Suspended (${plural(report.suspended.length, 'resource')}): nothing created, updated or deleted there\n`, ...lines, ''];
}

/** Policies, overrides and clusters added, removed or changed, with their changed fields. */
function declarationBlocks(report: PlanReport): string[] {
  const declarations = [...report.policies, ...report.overrides, ...report.clusterDeclarations];
  if (declarations.length === 0) return [];
  const blocks: string[] = [`#### Policies, overrides and clusters\n`];
  const icon = { added: '➕', removed: '➖', changed: '✏️' } as const;
  for (const d of declarations) {
    const fields = d.fields.map((f) => code(f)).join(', ') + (d.moreFields ? ` and ${d.moreFields} more` : '');
    blocks.push(
      `- ${icon[d.change]} ${d.change} ` +
        `**${md(`${d.kind} ${d.namespace ? d.namespace + '/' : ''}${d.name}`)}**${fields ? `: ${fields}` : ''}`,
    );
  }
  blocks.push('');
  return blocks;
}

/** One collapsible list per cluster of the objects it creates, updates and deletes. */
function objectBlocks(report: PlanReport): string[] {
  if (report.objects.length === 0) return [];
  const blocks: string[] = [`#### Objects per cluster\n`];
  for (const c of report.objects) {
    const counts = [
      c.added.length ? `${c.added.length} added` : '',
      c.removed.length ? `${c.removed.length} removed` : '',
      c.changed.length ? `${c.changed.length} changed` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const state = c.state === 'drops-out' ? ' — ⚠️ drops out: everything on it is deleted' : c.state === 'new' ? ' — new' : '';
    const lines = [
      ...c.removed.map((o) => `- ➖ delete ${code(describeRef(o))}`),
      ...c.added.map((o) => `- ➕ create ${code(describeRef(o))}`),
      ...c.changed.map(
        (o) => `- ✏️ update ${code(describeRef(o))}: ${o.fields.map(code).join(', ')}${o.moreFields ? ` and ${o.moreFields} more` : ''}`,
      ),
    ];
    blocks.push(`<details><summary><b>${md(c.cluster)}</b>: ${counts}${state}</summary>\n\n${lines.join('\n')}\n\n</details>\n`);
  }
  return blocks;
}

/** Every diagnostic of the head, collapsed, new ones marked. */
function diagnosticBlocks(report: PlanReport): string[] {
  if (report.diagnostics.length === 0) return [];
  const fresh = report.diagnostics.filter((d) => d.isNew).length;
  const icon = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
  const lines = report.diagnostics.map(
    (d) =>
      `- ${icon[d.severity]} ${d.file ? `${code(`${d.file}${d.line ? `:${d.line}` : ''}`)} ` : ''}**${d.code}**${d.isNew ? ' 🆕' : ''}: ` +
      `${md(d.message)}`,
  );
  return [
    `<details><summary>Diagnostics of ` +
      `${headDiagnosticsText(report)}${fresh ? `, ${fresh} new` : ''}</summary>\n\n${lines.join('\n')}\n\n</details>\n`,
  ];
}

/** The head and as many whole blocks as fit under `limit`, then a note saying what was cut. */
function fitToLimit(head: string, blocks: readonly string[], limit: number): string {
  const full = [head, ...blocks].join('\n') + '\n';
  if (full.length <= limit) return full;
  // Cut at a block boundary, leaving room for the note.
  const kept: string[] = [head];
  let size = head.length + 1;
  let shown = 0;
  const noteFor = (n: number) =>
    `\n> [!NOTE]\n> **Plan truncated** to stay under ${limit.toLocaleString('en-US')} ` +
    `characters: ${blocks.length - n} of ${blocks.length} parts left out ` +
    `(${full.length.toLocaleString('en-US')} characters in full). Run \`flotilla plan --format ` +
    `text\` or \`--format json\` for everything.\n`;
  const reserve = noteFor(0).length + 64;
  for (const b of blocks) {
    if (size + b.length + 1 + reserve > limit) break;
    kept.push(b);
    size += b.length + 1;
    shown++;
  }
  // An open table or list needs a blank line before the note (noteFor starts with one).
  const out = kept.join('\n') + '\n' + noteFor(shown);
  // Last resort, when even the summary is too long (thousands of errors): a hard cut.
  return out.length <= limit ? out : out.slice(0, limit - reserve) + noteFor(shown);
}
