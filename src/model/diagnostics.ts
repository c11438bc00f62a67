// Diagnostics: every problem flotilla finds in a fleet repository, with a stable code and the
// file:line:column a user must fix. Loading and scheduling go on past a diagnostic so one run
// reports every problem.
import type { FieldPath, ManifestSource } from './types.js';

export type Severity = 'error' | 'warning' | 'info';

/**
 * Every code a diagnostic can carry, so a typo in one is a type error and a documented list of
 * codes can be checked against this one. OVERRIDE_* are override/json-patch.ts OverrideCode's:
 * model/ is a leaf, so they are listed here and OverrideCode is checked against them.
 */
export const DIAGNOSTIC_CODES = [
  'BUILD_ACROSS_SCOPE_PATHS',
  'BUILD_FAILED',
  'BUILD_OUTPUT_LIMIT',
  'BUILD_OUTSIDE_REPOSITORY',
  'BUILD_REMOTE_RESOURCE',
  'BUILD_TIMEOUT',
  'CLUSTER_LABEL_CONFLICT',
  'DEPENDENCY_IS_CREDENTIAL',
  'DEPENDENCY_NOT_FOUND',
  'DEPENDENT_OVERRIDE_NOT_FOUND',
  'DEPRECATED_FIELD',
  'DIAGNOSTICS_TRUNCATED',
  'DUPLICATE_CLUSTER',
  'DUPLICATE_RESOURCE',
  'DUPLICATE_TUNING',
  'FIELD_ALIAS',
  'FILE_TOO_LARGE',
  'HPA_TARGET_NOT_FOUND',
  'INVALID_CLUSTER',
  'INVALID_CONFIG',
  'INVALID_FIELD_TYPE',
  'INVALID_NAME',
  'INVALID_POLICY',
  'INVALID_SELECTOR',
  'INVALID_WEIGHT',
  'MANIFEST_LIST',
  'MANIFEST_MISSING_FIELD',
  'MANIFEST_NOT_OBJECT',
  'MAXSKEW_NOT_APPLICABLE',
  'NOT_APPLICABLE',
  'NOT_PROPAGATED',
  'OVERRIDE_FAILED',
  'OVERRIDE_INVALID',
  'OVERRIDE_NO_CONTAINER',
  'OVERRIDE_UNSAFE_PATH',
  'POLICY_SHADOWED',
  'ROLLOUT_INVALID',
  'SCHEDULE_FAILED',
  'SCHEMA_INVALID',
  'SCHEMA_TYPE',
  'SCHEMA_UNKNOWN_FIELD',
  'SCOPE_DENIED',
  'SELECTOR_MATCHES_NOTHING',
  'SOURCE_FETCH_FAILED',
  'SPREAD_CONSTRAINT_IGNORED',
  'SYMLINK_SKIPPED',
  'TRAFFIC_INVALID',
  'UNKNOWN_CLUSTER',
  'UNKNOWN_FIELD',
  'UNSAFE_FIELD',
  'UNSUPPORTED_FIELD',
  'UNSUPPORTED_KIND',
  'UNSUPPORTED_SOURCE',
  'VS_INVALID_ROUTE',
  'VS_SUBSET_UNBACKED',
  'VS_WEIGHTS',
  'YAML_ALIAS_LIMIT',
  'YAML_DUPLICATE_KEY',
  'YAML_PARSE',
  'YAML_TOO_MANY_DOCUMENTS',
  'YAML_WARNING',
] as const;
export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

/** Every code of a FlotillaError: what a caller branches on and what `--format json` prints. */
export const ERROR_CODES = [
  'AMBIGUOUS',
  'AMBIGUOUS_REF',
  'AUTH_FAILED',
  'BRANCH_NOT_FOUND',
  'CONFIG_NOT_FOUND',
  'GIT_FAILED',
  'GIT_READ_FAILED',
  'INTERNAL',
  'INVALID_CONFIG',
  'INVALID_OBSERVED',
  'INVALID_PREVIOUS',
  'INVALID_QUANTITY',
  'INVALID_WEBSTER_INPUT',
  'INVENTORY_CORRUPT',
  'METRICS_QUERY_FAILED',
  'KUBECONFIG_INVALID',
  'KUBECONFIG_UNREADABLE',
  'NON_FAST_FORWARD',
  'NOT_A_REPOSITORY',
  'NOT_FOUND',
  'PATH_NOT_FOUND',
  'PATH_OUTSIDE_OUTPUT',
  'PATH_OUTSIDE_REPO',
  'REPORT_UNWRITABLE',
  'REPOSITORY_NOT_FOUND',
  'SOURCE_UNREACHABLE',
  'STATUS_NOT_FOUND',
  'STATUS_UNREADABLE',
  'UNKNOWN_REF',
  'USAGE',
  // kube/errors.ts KubeErrorCode: a cluster's API server failed (KubeApiError).
  'KUBE_UNREACHABLE',
  'KUBE_RETRY_LATER',
  'KUBE_CONFLICT',
  'KUBE_INVALID',
  'KUBE_FORBIDDEN',
  'KUBE_NOT_FOUND',
  'KUBE_UNKNOWN_KIND',
  'KUBE_API',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The JSON shape of docs/reference/contract.md (`diagnostics[]`). */
export interface Diagnostic {
  severity: Severity;
  /** A DiagnosticCode when this version reported it; typed string, as diagnostics are also read back from status.yaml. */
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  /** Only on the DIAGNOSTICS_TRUNCATED summary: how many diagnostics of each severity and code were left out. */
  omitted?: OmittedDiagnostics[];
}

/** One line of a truncation summary: `count` diagnostics of this severity and code were left out. */
export interface OmittedDiagnostics {
  severity: Severity;
  code: string;
  count: number;
}

/**
 * Diagnostics kept per revision; the rest are counted in one DIAGNOSTICS_TRUNCATED summary. Nobody
 * reads past the first thousand problems (they fix the pattern and run again), 1,000 diagnostics are
 * about 200 KB of status.yaml or text, and it bounds memory and output whatever the repository holds:
 * 20,000 broken files gave 20,000 diagnostics in every output, a status.yaml in the tens of MB.
 */
export const MAX_DIAGNOSTICS = 1000;

const TRUNCATED: DiagnosticCode = 'DIAGNOSTICS_TRUNCATED';
const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Finds the position of a field inside a document; falls back to the document start. */
export type FieldLocator = (source: ManifestSource, path: FieldPath) => { line: number; column: number } | null;

/** Where a diagnostic points: a document (and optionally a field in it), or a bare file/line. */
export type Location =
  { source: ManifestSource; path?: FieldPath } | { file: string; line?: number | null; column?: number | null } | null | undefined;

/**
 * Collects diagnostics, resolving field paths to lines through the locator. It keeps at most
 * `limit`: errors first, then warnings, then notes, each by file, line, column, code — so which
 * ones are kept never depends on discovery order — and counts the others by severity and code for
 * one DIAGNOSTICS_TRUNCATED summary (its severity the worst left out: a revision whose errors were
 * all left out is still invalid). Summaries added to a sink merge, so bounded parts combine exactly.
 */
export class DiagnosticSink {
  /** Kept diagnostics with their report order; up to twice the limit between compactions. */
  private kept: Array<{ d: Diagnostic; seq: number }> = [];
  private seq = 0;
  /** Left out, by `severity code`. */
  private readonly dropped = new Map<string, OmittedDiagnostics>();

  constructor(
    private readonly locate: FieldLocator = () => null,
    readonly limit: number = MAX_DIAGNOSTICS,
  ) {}

  /** The kept diagnostics in report order, then the truncation summary when some were left out. */
  get items(): Diagnostic[] {
    this.compact();
    const out = [...this.kept].sort((a, b) => a.seq - b.seq).map((e) => e.d);
    const summary = this.summary();
    if (summary) out.push(summary);
    return out;
  }

  /** The kept diagnostics sorted for output (sortDiagnostics), then the truncation summary. */
  sorted(): Diagnostic[] {
    this.compact();
    const out = sortDiagnostics(this.kept.map((e) => e.d));
    const summary = this.summary();
    if (summary) out.push(summary);
    return out;
  }

  report(severity: Severity, code: DiagnosticCode, message: string, where?: Location): Diagnostic {
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
    this.add(d);
    return d;
  }

  error(code: DiagnosticCode, message: string, where?: Location): Diagnostic {
    return this.report('error', code, message, where);
  }

  warn(code: DiagnosticCode, message: string, where?: Location): Diagnostic {
    return this.report('warning', code, message, where);
  }

  /** Adds a diagnostic made elsewhere; a truncation summary adds its counts to this sink's. */
  add(d: Diagnostic): void {
    if (d.code === TRUNCATED && Array.isArray(d.omitted)) {
      for (const o of d.omitted) this.drop(o.severity, o.code, o.count);
      return;
    }
    this.kept.push({ d, seq: this.seq++ });
    if (this.kept.length >= 2 * this.limit) this.compact();
  }

  hasErrors(): boolean {
    return this.kept.some((e) => e.d.severity === 'error') || [...this.dropped.values()].some((o) => o.severity === 'error');
  }

  /** Whether a diagnostic with this code was reported, kept or not. */
  has(code: DiagnosticCode): boolean {
    return this.kept.some((e) => e.d.code === code) || [...this.dropped.values()].some((o) => o.code === code);
  }

  private drop(severity: Severity, code: string, count: number): void {
    const key = `${severity} ${code}`;
    const entry = this.dropped.get(key);
    if (entry) entry.count += count;
    else this.dropped.set(key, { severity, code, count });
  }

  /** Keeps the `limit` first by severity and position; counts the others. */
  private compact(): void {
    if (this.kept.length <= this.limit) return;
    this.kept.sort((a, b) => SEVERITY_RANK[a.d.severity] - SEVERITY_RANK[b.d.severity] || compareDiagnostics(a.d, b.d));
    for (const e of this.kept.splice(this.limit)) this.drop(e.d.severity, e.d.code, 1);
  }

  private summary(): Diagnostic | null {
    if (this.dropped.size === 0) return null;
    const omitted = [...this.dropped.values()]
      .map((o) => ({ ...o }))
      .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    const total = omitted.reduce((n, o) => n + o.count, 0);
    const bySeverity = (['error', 'warning', 'info'] as const)
      .map((severity) => {
        const of = omitted.filter((o) => o.severity === severity);
        if (of.length === 0) return '';
        const n = of.reduce((sum, o) => sum + o.count, 0);
        return `${plural(n, severity === 'info' ? 'note' : severity)} (${of.map((o) => `${o.count} ${o.code}`).join(', ')})`;
      })
      .filter(Boolean);
    return {
      severity: omitted[0]!.severity,
      code: TRUNCATED,
      message: `${plural(total, 'more diagnostic')} not shown (at most ${this.limit} are kept): ${bySeverity.join('; ')}`,
      file: null,
      line: null,
      column: null,
      omitted,
    };
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A revision's diagnostics as every output shows them: at most `limit` (MAX_DIAGNOSTICS), sorted by
 * file, line, column, code, then one DIAGNOSTICS_TRUNCATED summary of the rest. Summaries among
 * `items` (from bounded parts, or read back from status.yaml) are merged into it, so bounding twice
 * changes nothing.
 */
export function boundDiagnostics(items: Iterable<Diagnostic>, limit = MAX_DIAGNOSTICS): Diagnostic[] {
  const sink = new DiagnosticSink(undefined, limit);
  for (const d of items) sink.add(d);
  return sink.sorted();
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  const ka = [a.file ?? '', a.line ?? 0, a.column ?? 0, a.code, a.message] as const;
  const kb = [b.file ?? '', b.line ?? 0, b.column ?? 0, b.code, b.message] as const;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

/** Diagnostics sorted by file, line, column, code: output never depends on discovery order. */
export function sortDiagnostics(items: readonly Diagnostic[]): Diagnostic[] {
  return [...items].sort(compareDiagnostics);
}

/** Typed error for failures outside the fleet's content (bad flags, unreadable repository, bugs). */
export class FlotillaError extends Error {
  constructor(
    readonly code: ErrorCode,
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
