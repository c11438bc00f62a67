// Diagnostics for people (text), machines (json) and GitHub Actions (workflow commands).
import type { Diagnostic, Severity } from './diagnostics.js';

function where(d: Diagnostic): string {
  if (!d.file) return '';
  return `${d.file}${d.line ? `:${d.line}` : ''}${d.line && d.column ? `:${d.column}` : ''}: `;
}

/** `file:line:col: error CODE: message`, one per line. */
export function formatDiagnosticsText(items: readonly Diagnostic[]): string {
  return items.map((d) => `${where(d)}${d.severity} ${d.code}: ${d.message}\n`).join('');
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub workflow commands, so diagnostics show as annotations on the pull request's files. */
export function formatDiagnosticsGithub(items: readonly Diagnostic[]): string {
  return items
    .map((d) => {
      const level = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const props = [
        d.file ? `file=${escapeProperty(d.file)}` : '',
        d.line ? `line=${d.line}` : '',
        d.column ? `col=${d.column}` : '',
        `title=${escapeProperty(d.code)}`,
      ]
        .filter(Boolean)
        .join(',');
      return `::${level} ${props}::${escapeData(d.message)}\n`;
    })
    .join('');
}

/**
 * How many errors, warnings and notes a list stands for: a DIAGNOSTICS_TRUNCATED summary counts as
 * the diagnostics it left out, not as one more.
 */
export function countDiagnostics(items: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of items) {
    if (d.code === 'DIAGNOSTICS_TRUNCATED' && Array.isArray(d.omitted)) for (const o of d.omitted) counts[o.severity] += o.count;
    else counts[d.severity]++;
  }
  return counts;
}

/** "2 errors, 1 warning", counting what a truncation summary left out. */
export function summarizeDiagnostics(items: readonly Diagnostic[]): string {
  const { error: errors, warning: warnings } = countDiagnostics(items);
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
