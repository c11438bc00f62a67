// Diagnostics: every problem flotilla finds in a fleet repository, with a stable code and the
// file:line:column a user must fix. Loading and scheduling go on past a diagnostic so one run
// reports every problem.
import type { FieldPath, ManifestSource } from './types.js';

export type Severity = 'error' | 'warning' | 'info';

/** The JSON shape of docs/reference/contract.md (`diagnostics[]`). */
export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
}

/** Finds the position of a field inside a document; falls back to the document start. */
export type FieldLocator = (source: ManifestSource, path: FieldPath) => { line: number; column: number } | null;

/** Where a diagnostic points: a document (and optionally a field in it), or a bare file/line. */
export type Location =
  { source: ManifestSource; path?: FieldPath } | { file: string; line?: number | null; column?: number | null } | null | undefined;

/** Collects diagnostics, resolving field paths to lines through the locator. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(private readonly locate: FieldLocator = () => null) {}

  report(severity: Severity, code: string, message: string, where?: Location): Diagnostic {
    const d: Diagnostic = { severity, code, message, file: null, line: null, column: null };
    if (where && 'source' in where) {
      d.file = where.source.file;
      const pos = where.path && where.path.length > 0 ? this.locate(where.source, where.path) : null;
      d.line = pos?.line ?? where.source.line;
      d.column = pos?.column ?? where.source.column;
    } else if (where) {
      d.file = where.file;
      d.line = where.line ?? null;
      d.column = where.column ?? null;
    }
    this.items.push(d);
    return d;
  }

  error(code: string, message: string, where?: Location): Diagnostic {
    return this.report('error', code, message, where);
  }

  warn(code: string, message: string, where?: Location): Diagnostic {
    return this.report('warning', code, message, where);
  }

  hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Diagnostics sorted by file, line, column, code: output never depends on discovery order. */
export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => [d.file ?? '', d.line ?? 0, d.column ?? 0, d.code, d.message] as const;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! < kb[i]!) return -1;
      if (ka[i]! > kb[i]!) return 1;
    }
    return 0;
  });
}

/** Typed error for failures outside the fleet's content (bad flags, unreadable repository, bugs). */
export class FlotillaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FlotillaError';
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, data: this.data };
  }
}
