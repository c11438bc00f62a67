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
  'CLUSTER_LABEL_CONFLICT',
  'DEPRECATED_FIELD',
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
  'SCHEDULE_FAILED',
  'SELECTOR_MATCHES_NOTHING',
  'SPREAD_CONSTRAINT_IGNORED',
  'SYMLINK_SKIPPED',
  'UNKNOWN_CLUSTER',
  'UNKNOWN_FIELD',
  'UNSAFE_FIELD',
  'UNSUPPORTED_FIELD',
  'UNSUPPORTED_KIND',
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
  'KUBECONFIG_INVALID',
  'KUBECONFIG_UNREADABLE',
  'NON_FAST_FORWARD',
  'NOT_A_REPOSITORY',
  'NOT_FOUND',
  'PATH_NOT_FOUND',
  'PATH_OUTSIDE_OUTPUT',
  'PATH_OUTSIDE_REPO',
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
    this.items.push(d);
    return d;
  }

  error(code: DiagnosticCode, message: string, where?: Location): Diagnostic {
    return this.report('error', code, message, where);
  }

  warn(code: DiagnosticCode, message: string, where?: Location): Diagnostic {
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
