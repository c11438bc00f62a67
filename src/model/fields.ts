// Typed, diagnosed access to the fields of one manifest. Every read names the field path, so a
// wrong type or an unknown key is reported at the exact line (through the sink's FieldLocator).
import type { DiagnosticCode, DiagnosticSink, Severity } from './diagnostics.js';
import type { FieldPath, Manifest } from './types.js';

/** `spec.placement.spreadConstraints[0].maxGroups` for messages. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const s of path) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

/** A short description of a YAML value's type for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, "clsuter"), on
 * lower-cased names so a wrong capital counts as a near miss.
 */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev2: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[y.length]!;
}

/**
 * The known name a misspelt one most likely meant: the nearest within 1 edit for names up to 4
 * characters, 2 beyond (close enough to be a typo, far enough not to pair unrelated short names);
 * on a tie, the one that sorts first. Null when none is that close.
 */
export function closestName(name: string, known: readonly string[]): string | null {
  const limit = name.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of [...known].sort()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Own, enumerable keys only: YAML may legitimately produce a `__proto__` own property. */
export function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined && obj[key] !== null;
}

/**
 * Reads one manifest, counting the errors it reports so a caller can reject an object the way
 * Karmada's webhook would. `null` values count as absent, as in Go's JSON decoding into pointers.
 */
export class ManifestReader {
  errors = 0;
  constructor(
    readonly manifest: Manifest,
    readonly sink: DiagnosticSink,
    /** Declared cluster names, for UNKNOWN_CLUSTER warnings; null disables the check. */
    readonly knownClusters: ReadonlySet<string> | null = null,
  ) {}

  /** Reports an error at a field; counts towards rejecting the object. */
  error(code: DiagnosticCode, message: string, path: FieldPath): void {
    this.errors++;
    this.sink.error(code, `${this.what()}: ${message}`, { source: this.manifest.source, path });
  }

  /** Reports a warning at a field. */
  warn(code: DiagnosticCode, message: string, path: FieldPath): void {
    this.sink.warn(code, `${this.what()}: ${message}`, { source: this.manifest.source, path });
  }

  /** Reports an informational note at a field. */
  info(code: DiagnosticCode, message: string, path: FieldPath): void {
    this.sink.report('info', code, `${this.what()}: ${message}`, { source: this.manifest.source, path });
  }

  /** "PropagationPolicy default/nginx" */
  what(): string {
    const m = this.manifest;
    return `${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
  }

  private typeError(path: FieldPath, expected: string, value: unknown): void {
    this.error('INVALID_FIELD_TYPE', `${formatPath(path)} must be ${expected}, found ${describeValue(value)}`, path);
  }

  /** A mapping, or undefined when absent or of the wrong type (reported). */
  record(value: unknown, path: FieldPath): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    // objects/json.ts isMap, written out: model/ is the leaf objects/ builds on.
    if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.typeError(path, 'a mapping', value);
    return undefined;
  }

  /** A list, or undefined when absent or of the wrong type (reported). */
  list(value: unknown, path: FieldPath): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.typeError(path, 'a list', value);
    return undefined;
  }

  /** A string, or undefined when absent or of the wrong type (reported). */
  string(value: unknown, path: FieldPath): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.typeError(path, 'a string', value);
    return undefined;
  }

  /** An integer, or undefined when absent or of the wrong type (reported). */
  integer(value: unknown, path: FieldPath): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    this.typeError(path, 'an integer', value);
    return undefined;
  }

  /** A boolean, or undefined when absent or of the wrong type (reported). */
  boolean(value: unknown, path: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.typeError(path, 'a boolean', value);
    return undefined;
  }

  /** A list of strings; wrong items are reported and left out. */
  stringList(value: unknown, path: FieldPath): string[] | undefined {
    const items = this.list(value, path);
    if (!items) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = this.string(item, [...path, i]);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** A string→string mapping (labels, matchLabels); wrong values are reported and left out. */
  stringMap(value: unknown, path: FieldPath): Record<string, string> | undefined {
    const obj = this.record(value, path);
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const key of Object.keys(obj).sort()) {
      const v = obj[key];
      if (typeof v !== 'string') {
        this.typeError([...path, key], 'a string', v);
        continue;
      }
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /**
   * Rejects (UNKNOWN_FIELD, an error) every key of `obj` not in `known`, as kubectl's strict field
   * validation does: a misspelt Karmada field silently dropped changes where a workload goes
   * (docs/reference/semantics.md §1.6). The message names the closest known field.
   */
  knownFields(obj: Record<string, unknown>, path: FieldPath, known: readonly string[]): void {
    for (const key of Object.keys(obj).sort()) {
      if (known.includes(key)) continue;
      const near = closestName(key, known);
      const where = path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
      const hint = near !== null ? `did you mean "${near}"?` : `the known fields ${where} are ${[...known].sort().join(', ')}`;
      this.error('UNKNOWN_FIELD', `unknown field ${formatPath([...path, key])}; ${hint}`, [...path, key]);
    }
  }

  /**
   * A real API field flotilla does not implement: an info note (NOT_APPLICABLE) when ignoring it
   * cannot surprise, a warning (UNSUPPORTED_FIELD) when the placement differs from what the field
   * asks for, an error (UNSAFE_FIELD) when acting without it would do what the field forbids
   * (docs/reference/semantics.md §1.1).
   */
  unsupported(severity: Severity, path: FieldPath, why: string): void {
    const message = `${formatPath(path)} is a Karmada/Kurator field flotilla does not implement: ${why}`;
    if (severity === 'error') this.error('UNSAFE_FIELD', message, path);
    else if (severity === 'warning') this.warn('UNSUPPORTED_FIELD', message, path);
    else this.info('NOT_APPLICABLE', `${formatPath(path)} is accepted but has no effect in flotilla: ${why}`, path);
  }

  /** Warns UNKNOWN_CLUSTER for each name that no declaration in the repository defines. */
  checkClusterNames(names: readonly string[] | undefined, path: FieldPath): void {
    if (!names || !this.knownClusters) return;
    names.forEach((name, i) => {
      if (!this.knownClusters!.has(name)) {
        this.warn('UNKNOWN_CLUSTER', `${formatPath(path)} names cluster "${name}", which no Fleet, AttachedCluster or Cluster declares`, [
          ...path,
          i,
        ]);
      }
    });
  }
}
