// README.md of the status branch: the status for people browsing the branch on a Git host —
// phase first, then clusters × sync state, targets, placements and diagnostics as tables.
import { ALLOW_DELETIONS_TRAILER, describeHeld, type DeletionCheck } from './deletion-guard.js';
import { boundStatus, describeObjects, MANIFESTS_DIR, type ReconcileStatus } from './document.js';
import { describeRef } from '../objects/identity.js';
import { evictionLine } from './summary.js';

const PHASE_MARK: Record<string, string> = { Synced: '✅', Progressing: '🔄', Degraded: '⚠️', Failed: '❌', Invalid: '⛔' };
/** Long tables are cut here; status.yaml has more (up to document.ts STATUS_LIMITS). */
const MAX_ROWS = 200;

/** Escapes text for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A table of `items`, a row each; only the rows shown are made (a status lists up to 10,000 placements). */
function tableOf<T>(header: string[], items: readonly T[], row: (item: T) => string[]): string[] {
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const item of items.slice(0, MAX_ROWS)) out.push(`| ${row(item).map(cell).join(' | ')} |`);
  if (items.length > MAX_ROWS) out.push('', `…and ${items.length - MAX_ROWS} more (see status.yaml).`);
  return out;
}

/** What an older status's heldBack (before the window) lacks. */
const HELD_DEFAULTS: DeletionCheck = {
  held: true,
  deleted: 0,
  scaledToZero: 0,
  windowDeleted: 0,
  windowMinutes: 0,
  total: 0,
  percent: 0,
  limitPercent: 0,
  maxDeletions: Number.MAX_SAFE_INTEGER,
  allowed: null,
  approved: false,
};

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function shortRevision(rev: string | null): string {
  return rev ? rev.slice(0, 12) : '—';
}

/** The Markdown summary of a status, within the same bounds as status.yaml. */
export function statusReadme(status: ReconcileStatus): string {
  const s = boundStatus(status);
  return [
    ...overviewSection(s),
    ...clustersSection(s),
    ...failoverSection(s),
    ...targetsSection(s),
    ...placementsSection(s),
    ...diagnosticsSection(s),
    '',
    `_The rendered manifests of revision \`${shortRevision(s.lastGoodRevision)}\` are in [\`${MANIFESTS_DIR}/\`](${MANIFESTS_DIR}/)._`,
    '',
  ].join('\n');
}

/** Title with the phase, the source, revisions and object counts, the message, and why a revision was held back. */
function overviewSection(s: ReconcileStatus): string[] {
  const lines: string[] = [];
  lines.push(`# flotilla status: ${PHASE_MARK[s.phase] ?? ''} ${s.phase}`, '');
  lines.push(`| | |`, `|---|---|`);
  lines.push(`| Source | ${cell(s.source.url)} \`${cell(s.source.branch)}\`${s.source.path ? ` (path \`${cell(s.source.path)}\`)` : ''} |`);
  lines.push(`| Revision | \`${s.sourceRevision}\` |`);
  lines.push(`| Last good revision | \`${s.lastGoodRevision ?? '—'}\` |`);
  lines.push(`| Reconciled at | ${s.reconciledAt} |`);
  if (s.stage) lines.push(`| Failed stage | ${s.stage} (${cell(s.reason ?? '')}) |`);
  lines.push(`| Objects | ${describeObjects(s.objects)} |`);
  lines.push('', cell(s.message), '');
  if (s.heldBack) {
    lines.push('## Held back', '');
    const held = { ...HELD_DEFAULTS, ...s.heldBack };
    lines.push(
      `${cell(capitalized(describeHeld(held, `\`${shortRevision(s.sourceRevision)}\``)))}. Nothing was applied; revision ` +
        `\`${shortRevision(s.lastGoodRevision)}\` stays in force.`,
      '',
      `To apply it anyway, push a commit whose message ends with the trailer \`${ALLOW_DELETIONS_TRAILER}: ${held.deleted}\` ` +
        "(`git commit --allow-empty` works; with scope paths, a commit that changes scope.default's files and no scope path's).",
      '',
    );
  }
  return lines;
}

/** One row per cluster with its sync state; live clusters (kubernetes target) add readiness, health, drift and why a cluster is failing. */
function clustersSection(s: ReconcileStatus): string[] {
  const lines = ['## Clusters', ''];
  const clusterNames = Object.keys(s.clusters).sort();
  const live = clusterNames.some((n) => s.clusters[n]!.ready !== undefined);
  if (clusterNames.length === 0) lines.push('No clusters.');
  else
    lines.push(
      ...tableOf(
        ['Cluster', 'Sync', 'Applied', 'Unchanged', 'Deleted', 'Failed', ...(live ? ['Ready', 'Health', 'Drifted', 'Message'] : [])],
        clusterNames,
        (n) => {
          const c = s.clusters[n]!;
          const sync = !c.reachable
            ? '❌ unreachable'
            : c.failed > 0
              ? '⚠️ partly failed'
              : s.phase === 'Invalid' || s.heldBack
                ? '⏸ held'
                : '✅ synced';
          const extra = live
            ? [
                c.ready === null || c.ready === undefined ? '—' : c.ready ? 'yes' : 'no',
                c.health ?? '—',
                String(c.drifted ?? 0),
                c.message ?? '',
              ]
            : [];
          return [n, sync, String(c.applied), String(c.unchanged), String(c.deleted), String(c.failed), ...extra];
        },
      ),
    );
  return lines;
}

/** Failover events, newest first; nothing when there were none. */
function failoverSection(s: ReconcileStatus): string[] {
  const events = s.failover?.events ?? [];
  const evictions = s.failover?.evictions ?? [];
  if (events.length === 0 && evictions.length === 0) return [];
  return [
    ...(evictions.length > 0 ? ['', '## Application failover evictions', '', ...evictions.map((e) => `- ${evictionLine(e)}`)] : []),
    '',
    '## Failover',
    '',
    ...tableOf(['When', 'Cluster', 'Event', 'Message'], [...events].reverse(), (e) => [
      new Date(e.at).toISOString(),
      e.cluster,
      e.type,
      e.message,
    ]),
  ];
}

function targetsSection(s: ReconcileStatus): string[] {
  const lines = ['', '## Targets', ''];
  if (s.targets.length === 0) lines.push('No targets: status only.');
  else
    lines.push(
      ...tableOf(['Target', 'Result', 'Created', 'Configured', 'Unchanged', 'Deleted', 'Failed', 'Message'], s.targets, (t) => [
        t.name,
        t.phase,
        String(t.created),
        String(t.configured),
        String(t.unchanged),
        String(t.deleted),
        String(t.failed),
        t.message ?? '',
      ]),
    );
  return lines;
}

function placementsSection(s: ReconcileStatus): string[] {
  const lines = ['', '## Placements', ''];
  if (s.placements.length === 0) lines.push('No placements.');
  else
    lines.push(
      ...tableOf(['Resource', 'Policy', 'Replicas', 'Clusters'], s.placements, (p) => {
        const r = p.resource as { kind: string; namespace: string; name: string };
        const pol = p.policy as { kind: string; name: string } | null;
        const clusters = (p.clusters as Array<{ name: string; replicas: number | null }>) ?? [];
        const where = p.error
          ? `error: ${String(p.error)}`
          : clusters.map((c) => (c.replicas === null ? c.name : `${c.name}=${c.replicas}`)).join(', ') || '—';
        return [
          describeRef(r),
          pol ? `${pol.kind}/${pol.name}` : '—',
          p.replicas === null || p.replicas === undefined ? '—' : String(p.replicas),
          where,
        ];
      }),
    );
  return lines;
}

function diagnosticsSection(s: ReconcileStatus): string[] {
  const lines = ['', '## Diagnostics', ''];
  if (s.diagnostics.length === 0) lines.push('None.');
  else
    lines.push(
      ...tableOf(['Severity', 'Code', 'Where', 'Message'], s.diagnostics, (d) => [
        d.severity,
        d.code,
        d.file ? `${d.file}${d.line ? `:${d.line}` : ''}` : '—',
        d.message,
      ]),
    );
  return lines;
}
