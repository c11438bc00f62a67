// `flotilla diff` output: a unified diff for people and patch viewers, JSON for tools, and GitHub
// workflow commands (diagnostics as annotations on file:line, one collapsible group per cluster).
import { createHash } from 'node:crypto';
import { formatDiagnosticsGithub, summarizeDiagnostics } from '../model/diagnostics-format.js';
import type { DiffReport, ObjectDiff } from './compute.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function short(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** "2 objects differ on 1 cluster: 1 added, 1 changed; 12 unchanged". */
export function diffSummary(report: DiffReport): string {
  if (report.liveClusters) return liveSummary(report, report.liveClusters);
  const s = report.summary;
  const applied = report.live?.sourceRevision ? ` (applied ${short(report.live.sourceRevision)})` : '';
  const against = report.live ? `${report.live.ref} at ${short(report.live.commit)}${applied}` : 'no status branch';
  if (report.objects.length === 0)
    return `no differences: desired ${short(report.desiredRevision)} matches ${against} (${plural(s.unchanged, 'object')})`;
  return `${differences(report)}; ${s.unchanged} unchanged (desired ${short(report.desiredRevision)} against ${against})`;
}

/** "2 objects differ on 1 cluster: 1 added, 1 changed". */
function differences(report: DiffReport): string {
  const s = report.summary;
  const parts = [s.added ? `${s.added} added` : '', s.removed ? `${s.removed} removed` : '', s.changed ? `${s.changed} changed` : '']
    .filter(Boolean)
    .join(', ');
  const n = report.objects.length;
  return `${plural(n, 'object')} ${n === 1 ? 'differs' : 'differ'} on ${plural(s.clusters, 'cluster')}: ${parts}`;
}

/**
 * Against live clusters the summary speaks only for the clusters it compared: how many of them, and
 * which were not compared. "No differences" is never said over a cluster that was not reached.
 */
function liveSummary(report: DiffReport, clusters: NonNullable<DiffReport['liveClusters']>): string {
  const desired = short(report.desiredRevision);
  const missed = clusters.filter((c) => c.error !== null).map((c) => c.cluster);
  const compared = clusters.length - missed.length;
  const scope = `${compared} of ${plural(clusters.length, 'cluster')} reached, server-side dry run`;
  const notCompared = missed.length > 0 ? `; not compared: ${missed.join(', ')}` : '';
  if (compared === 0 && clusters.length > 0) return `nothing compared: desired ${desired} against live clusters (${scope}${notCompared})`;
  const unchanged = plural(report.summary.unchanged, 'object');
  if (report.objects.length === 0) {
    if (missed.length === 0) return `no differences: desired ${desired} matches live clusters (${scope}) (${unchanged})`;
    const on = `no differences on the ${plural(compared, 'cluster')} compared`;
    return `${on}: desired ${desired} matches them (${scope}${notCompared}) (${unchanged})`;
  }
  const against = `live clusters (${scope}${notCompared})`;
  return `${differences(report)}; ${report.summary.unchanged} unchanged (desired ${desired} against ${against})`;
}

/** Clusters and objects a live diff could not compute: each one an error line. */
function liveErrors(report: DiffReport): string[] {
  return [
    ...(report.liveClusters ?? []).filter((c) => c.error !== null).map((c) => `cluster ${c.cluster} not diffed: ${c.error}`),
    ...(report.liveFailures ?? []).map((f) => `cluster ${f.cluster}: ${f.object}: dry run failed: ${f.message}`),
  ];
}

function byCluster(objects: readonly ObjectDiff[]): Map<string, ObjectDiff[]> {
  const out = new Map<string, ObjectDiff[]>();
  for (const o of objects) out.set(o.cluster, [...(out.get(o.cluster) ?? []), o]);
  return out;
}

function clusterHeader(cluster: string, list: readonly ObjectDiff[]): string {
  const n = (c: ObjectDiff['change']) => list.filter((o) => o.change === c).length;
  const parts = [
    n('added') ? `${n('added')} added` : '',
    n('removed') ? `${n('removed')} removed` : '',
    n('changed') ? `${n('changed')} changed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `cluster ${cluster}: ${parts}`;
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' } as const;

function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) =>
      l.startsWith('---') || l.startsWith('+++')
        ? `${ANSI.bold}${l}${ANSI.reset}`
        : l.startsWith('@@')
          ? `${ANSI.cyan}${l}${ANSI.reset}`
          : l.startsWith('-')
            ? `${ANSI.red}${l}${ANSI.reset}`
            : l.startsWith('+')
              ? `${ANSI.green}${l}${ANSI.reset}`
              : l,
    )
    .join('\n');
}

/** Unified diffs grouped by cluster (`# cluster …` lines between them) and a `# summary` line; diagnostics go to stderr. */
export function formatDiffText(report: DiffReport, options: { color?: boolean } = {}): string {
  const out: string[] = [];
  if (report.note) out.push(`# note: ${report.note}`);
  for (const p of report.liveProblems) out.push(`# warning: status branch file skipped: ${p}`);
  for (const e of liveErrors(report)) out.push(`# error: ${e}`);
  for (const [cluster, list] of byCluster(report.objects)) {
    out.push(`# ${clusterHeader(cluster, list)}`);
    for (const o of list) out.push(options.color ? colorDiff(o.diff).replace(/\n$/, '') : o.diff.replace(/\n$/, ''));
  }
  const text = out.length > 0 ? out.join('\n') + '\n' : '';
  // The diagnostics' count is the render's; the clusters' own errors (a dry run refused, a cluster
  // not diffed) are counted beside it, or the summary would say "0 errors" under them.
  const live = liveErrors(report).length;
  const liveCount = live === 0 ? '' : `; ${live} cluster error${live === 1 ? '' : 's'} (above)`;
  return text + `# ${diffSummary(report)}; ${summarizeDiagnostics(report.diagnostics)}${liveCount}\n`;
}

/** The report as one JSON document with the exit status. */
export function formatDiffJson(report: DiffReport, exitCode: number): string {
  return JSON.stringify({ exitCode, ...report }, null, 2) + '\n';
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** GitHub Actions: annotations for diagnostics, a notice with the summary, each cluster's diffs in a log group. */
export function formatDiffGithub(report: DiffReport): string {
  let text = formatDiagnosticsGithub(report.diagnostics);
  if (report.note) text += `::notice title=flotilla diff::${escapeData(report.note)}\n`;
  for (const p of report.liveProblems) text += `::warning title=flotilla diff::${escapeData(`status branch file skipped: ${p}`)}\n`;
  for (const e of liveErrors(report)) text += `::error title=flotilla diff::${escapeData(e)}\n`;
  text += `::notice title=flotilla diff::${escapeData(diffSummary(report))}\n`;
  for (const [cluster, list] of byCluster(report.objects)) {
    text += `::group::${escapeData(clusterHeader(cluster, list))}\n`;
    // Diff lines come from the repository: one starting with "::" would be run as a workflow
    // command. Command parsing stops inside the group; the resume token is a hash of the group's
    // text, so the text cannot contain it (and the output stays byte-stable).
    const body = list.map((o) => o.diff).join('');
    const token = `flotilla-${createHash('sha256').update(body).digest('hex').slice(0, 24)}`;
    text += `::stop-commands::${token}\n${body}::${token}::\n::endgroup::\n`;
  }
  return text;
}
