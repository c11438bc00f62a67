// Diagnostics for people (text), machines (json) and GitHub Actions (workflow commands).
import type { Diagnostic } from './diagnostics.js';

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

/** "2 errors, 1 warning". */
export function summarizeDiagnostics(items: readonly Diagnostic[]): string {
  const errors = items.filter((d) => d.severity === 'error').length;
  const warnings = items.filter((d) => d.severity === 'warning').length;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
}
