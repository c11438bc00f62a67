// The kept parses as the render index writes them (src/reconcile/render-index.ts): a file's parse
// as a row [path, text, manifests, diagnostics, scopes, selfContained (0/1), schema], each manifest
// as [apiVersion, kind, name, namespace, docIndex, line, column, object] with its four names in the
// strings table and its file the record's path; `schema` is 0 when no manifest has a schema
// finding (nearly always), else each manifest's list of them. Written as objects, the field names
// and the repeated file name were a fifth of the parses' JSON.
import { isMap } from '../objects/json.js';
import type { Manifest } from '../model/types.js';
import type { ParsedFileRecord } from '../render/incremental/sources.js';
import type { SchemaFinding } from '../validate/builtin-schema.js';
import { stringAt, type ReadTables, type WriteTables } from './index-tables.js';

const MANIFEST_KEYS = 'apiVersion,kind,name,namespace,object,source';
const SOURCE_KEYS = 'file,docIndex,line,column';

/** A manifest as written: a row when it is a plain one of `file` (these keys, in this order), else as it is. */
function manifestRow(t: WriteTables, m: Manifest, file: string): unknown {
  const s = m.source;
  if (Object.keys(m).join() !== MANIFEST_KEYS || Object.keys(s).join() !== SOURCE_KEYS || s.file !== file) return m;
  const str = (v: string) => t.strings.of(v);
  return [str(m.apiVersion), str(m.kind), str(m.name), str(m.namespace), s.docIndex, s.line, s.column, m.object];
}

/** A kept parse as written (one JSON.stringify of it), its strings interned into `t`. */
export function parsedJson(t: WriteTables, r: ParsedFileRecord): string {
  const manifests = r.manifests.map((m) => manifestRow(t, m, r.path));
  const schema = r.schema.every((f) => f.length === 0) ? 0 : r.schema;
  return JSON.stringify([r.path, r.text, manifests, r.diagnostics, r.scopes, r.selfContained ? 1 : 0, schema]);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isDiagnostic = (d: unknown): boolean =>
  isMap(d) && isString(d.severity) && isString(d.code) && isString(d.message) && (d.file === null || isString(d.file));

const SCHEMA_CODES: ReadonlySet<unknown> = new Set<SchemaFinding['code']>(['SCHEMA_UNKNOWN_FIELD', 'SCHEMA_TYPE', 'SCHEMA_INVALID']);
const isFinding = (f: unknown): boolean =>
  isMap(f) &&
  SCHEMA_CODES.has(f.code) &&
  isString(f.message) &&
  Array.isArray(f.path) &&
  f.path.every((s: unknown) => isString(s) || (isInt(s) && s >= 0));

/** Each of `count` manifests' schema findings as written (0: none at all), or null when they are not. */
function schemaOf(written: unknown, count: number): SchemaFinding[][] | null {
  if (written === 0) return Array.from({ length: count }, () => []);
  if (!Array.isArray(written) || written.length !== count) return null;
  return written.every((list) => Array.isArray(list) && list.every(isFinding)) ? (written as SchemaFinding[][]) : null;
}

/** The manifest a written one stands for in the file at `file`, or null when it is not one. */
function manifestOf(tables: ReadTables, w: unknown, file: string): Manifest | null {
  if (isMap(w)) {
    const s = w.source;
    const ok = [w.apiVersion, w.kind, w.name, w.namespace].every(isString) && isMap(w.object) && isMap(s) && s.file === file;
    return ok && [s.docIndex, s.line, s.column].every(isInt) ? (w as unknown as Manifest) : null;
  }
  if (!Array.isArray(w) || w.length !== 8) return null;
  const [apiVersion, kind, name, namespace] = [0, 1, 2, 3].map((i) => stringAt(tables, w[i]));
  const [docIndex, line, column, object] = [w[4], w[5], w[6], w[7]] as unknown[];
  if (apiVersion === undefined || kind === undefined || name === undefined || namespace === undefined) return null;
  if (!isInt(docIndex) || !isInt(line) || !isInt(column) || !isMap(object)) return null;
  return { apiVersion, kind, name, namespace, object, source: { file, docIndex, line, column } };
}

/** The kept parse a written row stands for, or null when it is not one. */
export function parsedRecordOf(tables: ReadTables, w: unknown): ParsedFileRecord | null {
  if (!Array.isArray(w) || w.length !== 7) return null;
  const [path, text, written, diagnostics, scopes, selfContained, writtenSchema] = w as unknown[];
  if (!isString(path) || !isString(text) || !Array.isArray(written) || !(selfContained === 0 || selfContained === 1)) return null;
  if (!Array.isArray(diagnostics) || !diagnostics.every(isDiagnostic) || !Array.isArray(scopes) || !scopes.every(isString)) return null;
  const manifests: Manifest[] = [];
  for (const m of written) {
    const manifest = manifestOf(tables, m, path);
    if (manifest === null) return null;
    manifests.push(manifest);
  }
  const schema = schemaOf(writtenSchema, manifests.length);
  if (schema === null) return null;
  return {
    path,
    text,
    manifests,
    diagnostics: diagnostics as ParsedFileRecord['diagnostics'],
    scopes,
    selfContained: selfContained === 1,
    schema,
  };
}
