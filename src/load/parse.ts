// Turning the fleet repository's YAML files into Manifests. Every problem becomes a diagnostic at
// file:line:column and loading goes on with the next document, so one run reports everything.
import { Composer, LineCounter, Parser, type Document } from 'yaml';
import type { DiagnosticSink, FieldLocator } from '../model/diagnostics.js';
import { describeValue } from '../model/fields.js';
import type { FieldPath, Manifest, ManifestSource } from '../model/types.js';
import { dns1123LabelProblem, objectNameProblem } from '../objects/names.js';
import { apiGroup, clusterScopedKindOfCrd, isClusterScoped } from '../objects/scope.js';
import {
  documentStart,
  locateInDocument,
  isUnclosedError,
  unclosedOpenerOffset,
  YAML_PARSE_OPTIONS,
  type Position,
} from './yaml-position.js';
import { isMap } from '../objects/json.js';
import { describeRef, objectKey } from '../objects/identity.js';

/** One file of the fleet repository. */
export interface SourceFile {
  /** Posix path relative to the fleet root. */
  path: string;
  text: string;
  /**
   * Size in bytes when known without the text: readFleetDirectory sets it (and leaves `text` empty)
   * for files over the size limit so they are never read into memory.
   */
  size?: number;
  /**
   * Set on the output of a folder build (src/generate/) that failed: reported as an error at the
   * file and line it names, and nothing of the file is loaded.
   */
  problem?: BuildProblem;
}

/** Why a folder's build gave no manifests (docs/reference/diagnostics.md "Building folders"). */
export interface BuildProblem {
  code:
    | 'BUILD_FAILED'
    | 'BUILD_TIMEOUT'
    | 'BUILD_OUTPUT_LIMIT'
    | 'BUILD_REMOTE_RESOURCE'
    | 'BUILD_OUTSIDE_REPOSITORY'
    | 'BUILD_ACROSS_SCOPE_PATHS'
    | 'UNSUPPORTED_SOURCE'
    | 'SOURCE_FETCH_FAILED'
    | 'INVALID_POLICY'
    | 'ROLLOUT_INVALID';
  message: string;
  /** The repository file to fix: the kustomization, the generator's marker, the Application. */
  file: string;
  line: number;
}

export interface ParseOptions {
  /** Files larger than this many bytes are skipped with FILE_TOO_LARGE. Default 10 MiB. */
  maxFileBytes?: number;
}

/** Default size limit of one YAML file: larger ones are almost certainly not hand-written manifests. */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** yaml's alias expansion limit (docs/design/libraries.md §3: 100 is the library default; never -1). */
const MAX_ALIAS_COUNT = 100;

/**
 * A YAML document that parsed into a JS value. Its syntax tree is not kept: held for every file until
 * the last one is parsed, the trees were most of the load's memory and garbage collection, and only
 * a rejected manifest needs one again (positionOf re-parses its file).
 */
interface ParsedDocument {
  file: string;
  docIndex: number;
  start: Position;
  value: unknown;
}

/** Parses every file and returns the manifests in file order, reporting problems to `sink`. */
export function parseFleetFiles(files: readonly SourceFile[], sink: DiagnosticSink, options: ParseOptions = {}): Manifest[] {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const parsed: ParsedDocument[] = [];
  for (const file of files) {
    if (file.problem) {
      sink.error(file.problem.code, file.problem.message, { file: file.problem.file, line: file.problem.line, column: 1 });
      continue;
    }
    const size = file.size ?? Buffer.byteLength(file.text, 'utf8');
    if (size > maxBytes) {
      sink.error('FILE_TOO_LARGE', `file is ${size} bytes, over the ${maxBytes}-byte limit; it was not read`, {
        file: file.path,
        line: 1,
        column: 1,
      });
      continue;
    }
    parsed.push(...parseDocuments(file, sink));
  }

  // CRDs anywhere in the repository decide the scope of their kinds everywhere, so collect them first.
  const customClusterScoped = new Set<string>();
  for (const d of parsed) {
    if (!isMap(d.value)) continue;
    const { apiVersion, kind } = d.value;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
    const key = clusterScopedKindOfCrd(apiVersion, kind, d.value);
    if (key) customClusterScoped.add(key);
  }

  const manifests: Manifest[] = [];
  const firstByIdentity = new Map<string, Manifest>();
  let locator: FieldLocator | null = null;
  const locate: FieldLocator = (source, path) => (locator ??= makeFieldLocator(files))(source, path);
  for (const d of parsed) {
    const m = toManifest(d, customClusterScoped, sink, locate);
    if (!m) continue;
    // Kubernetes identity: apps/v1 and apps/v1beta1 Deployments are the same object; and kinds that
    // differ only in case (Resourcequota) name one file of the layout, which lowercases the kind.
    const identity = objectKey({ ...m, kind: m.kind.toLowerCase() });
    const first = firstByIdentity.get(identity);
    if (first) {
      sink.error(
        'DUPLICATE_RESOURCE',
        `${describeRef(m)} is already declared at ${first.source.file}:${first.source.line}; this declaration is ignored`,
        { source: m.source },
      );
      continue;
    }
    firstByIdentity.set(identity, m);
    manifests.push(m);
  }
  return manifests;
}

/**
 * Documents per file, bounded: a 700 KB file of `--- {}` lines is 100,000 documents, each worth
 * three diagnostics, enough to exhaust the heap and the status branch. Real files (CRD bundles,
 * rendered charts) hold hundreds.
 */
export const MAX_DOCUMENTS_PER_FILE = 10_000;

class TooManyDocuments extends Error {
  constructor(readonly offset: number) {
    super('too many documents');
  }
}

/** yaml's parseAllDocuments, one document at a time, stopping past the limit. */
function composeDocuments(text: string, lineCounter: LineCounter): Document[] {
  const composer = new Composer({ ...YAML_PARSE_OPTIONS, lineCounter });
  const docs: Document[] = [];
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    if (docs.length === MAX_DOCUMENTS_PER_FILE) throw new TooManyDocuments(doc.range[0]);
    docs.push(doc as Document);
  }
  return docs;
}

/** Parses one file into its non-empty documents; YAML errors are reported and their documents skipped. */
function parseDocuments(file: SourceFile, sink: DiagnosticSink): ParsedDocument[] {
  const lineCounter = new LineCounter();
  const text = file.text.charCodeAt(0) === 0xfeff ? file.text.slice(1) : file.text;
  let docs: Document[];
  try {
    docs = composeDocuments(text, lineCounter);
  } catch (err) {
    if (err instanceof TooManyDocuments) {
      const at = lineCounter.linePos(err.offset);
      sink.error(
        'YAML_TOO_MANY_DOCUMENTS',
        `more than ${MAX_DOCUMENTS_PER_FILE} YAML documents in one file: nothing of it is loaded (split the file)`,
        { file: file.path, line: Math.max(at.line, 1), column: 1 },
      );
      return [];
    }
    // yaml reports resource exhaustion as document errors; anything thrown is still the file's fault.
    sink.error('YAML_PARSE', err instanceof Error ? err.message : String(err), { file: file.path, line: 1, column: 1 });
    return [];
  }
  const out: ParsedDocument[] = [];
  docs.forEach((doc, docIndex) => {
    const start = documentStart(doc, lineCounter);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const opener = isUnclosedError(e.code, e.message) ? unclosedOpenerOffset(text) : null;
        const pos = lineCounter.linePos(opener !== null && opener < e.pos[0] ? opener : e.pos[0]);
        const code = e.code === 'DUPLICATE_KEY' ? 'YAML_DUPLICATE_KEY' : 'YAML_PARSE';
        sink.error(code, `${e.code}: ${e.message}`, { file: file.path, line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) });
      }
      return;
    }
    for (const w of doc.warnings) {
      const pos = lineCounter.linePos(w.pos[0]);
      sink.warn('YAML_WARNING', `${w.code}: ${w.message}`, { file: file.path, line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const aliasLimit = err instanceof ReferenceError && /alias/i.test(message);
      sink.error(
        aliasLimit ? 'YAML_ALIAS_LIMIT' : 'YAML_PARSE',
        aliasLimit ? `too many alias expansions (limit ${MAX_ALIAS_COUNT}): ${message}` : message,
        {
          file: file.path,
          line: start.line,
          column: start.column,
        },
      );
      return;
    }
    // Empty and comment-only documents (`---` alone, trailing separators) are not manifests.
    if (value === null || value === undefined) return;
    out.push({ file: file.path, docIndex, start, value });
  });
  return out;
}

/** Position of a field, falling back to the document start. */
function positionOf(d: ParsedDocument, path: FieldPath, locate: FieldLocator): Position {
  return locate({ file: d.file, docIndex: d.docIndex, line: d.start.line, column: d.start.column }, path) ?? d.start;
}

/** Checks the identity fields of one document and builds its Manifest, or reports why it cannot. */
function toManifest(
  d: ParsedDocument,
  customClusterScoped: ReadonlySet<string>,
  sink: DiagnosticSink,
  locate: FieldLocator,
): Manifest | null {
  const source: ManifestSource = { file: d.file, docIndex: d.docIndex, line: d.start.line, column: d.start.column };
  const at = (path: FieldPath) => ({ file: d.file, ...positionOf(d, path, locate) });
  const obj = d.value;
  if (!isMap(obj)) {
    sink.error('MANIFEST_NOT_OBJECT', `a manifest must be a mapping, found ${Array.isArray(obj) ? 'a list' : `a ${typeof obj}`}`, at([]));
    return null;
  }

  let ok = true;
  const requireString = (path: FieldPath, value: unknown): string => {
    if (typeof value === 'string' && value !== '') return value;
    ok = false;
    const name = path.join('.');
    const problem = value === undefined ? 'is missing' : value === '' ? 'is empty' : `must be a string, found ${describeValue(value)}`;
    // A key present with a bad value is reported at its line; a missing one at the document start.
    sink.error('MANIFEST_MISSING_FIELD', `${name} ${problem}`, value === undefined ? { file: d.file, ...d.start } : at(path));
    return '';
  };
  const apiVersion = requireString(['apiVersion'], obj.apiVersion);
  const kind = requireString(['kind'], obj.kind);
  // kubectl (and what reads a directory target's files with it) expands a list into the objects in
  // its items, each with its own kind and namespace: flotilla would place, judge and write the list
  // as one object of the list's kind, and what it holds would reach the clusters unjudged.
  if (kind === 'List' || Array.isArray(obj.items)) {
    const what = kind === 'List' ? 'a List' : `${kind} has a top-level items list, so it`;
    sink.error(
      'MANIFEST_LIST',
      `${what} is expanded by kubectl into the objects it holds, which flotilla would not see: write each item as a document of its own`,
      at(kind === 'List' ? ['kind'] : ['items']),
    );
    return null;
  }
  const metadata = obj.metadata;
  if (metadata !== undefined && !isMap(metadata)) {
    sink.error('MANIFEST_MISSING_FIELD', `metadata must be a mapping, found ${describeValue(metadata)}`, at(['metadata']));
    return null;
  }
  // A kustomization.yaml is built with its folder (src/generate/) and never reaches here; one in a
  // file kustomize would not read as a kustomization has no metadata.name and is not placed.
  if (ok && apiGroup(apiVersion) === 'kustomize.config.k8s.io') {
    sink.warn('UNSUPPORTED_KIND', `${kind} (${apiVersion}) is not built by flotilla; the file is ignored`, at(['kind']));
    return null;
  }
  const name = requireString(['metadata', 'name'], metadata?.name);
  if (!ok) return null;

  const nameProblem = objectNameProblem(kind, name);
  if (nameProblem) {
    sink.error('INVALID_NAME', `${kind} name "${name}" ${nameProblem}`, at(['metadata', 'name']));
    return null;
  }

  let namespace = '';
  const rawNamespace = metadata?.namespace;
  if (rawNamespace !== undefined && rawNamespace !== null && typeof rawNamespace !== 'string') {
    sink.error(
      'INVALID_FIELD_TYPE',
      `metadata.namespace must be a string, found ${describeValue(rawNamespace)}`,
      at(['metadata', 'namespace']),
    );
    return null;
  }
  if (!isClusterScoped(apiVersion, kind, customClusterScoped)) {
    // kubectl's behaviour: a namespaced object without a namespace goes to 'default'.
    namespace = rawNamespace || 'default';
    const nsProblem = dns1123LabelProblem(namespace);
    if (nsProblem) {
      sink.error('INVALID_NAME', `namespace "${namespace}" ${nsProblem}`, at(['metadata', 'namespace']));
      return null;
    }
  }
  return { apiVersion, kind, name, namespace, object: obj, source };
}

/**
 * A FieldLocator over `files`: re-parses a file the first time one of its fields is asked for
 * (memoized), then resolves the path inside document `docIndex`.
 */
export function makeFieldLocator(files: readonly SourceFile[]): FieldLocator {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const cache = new Map<string, { docs: Document[]; lineCounter: LineCounter }>();
  return (source, path) => {
    let parsed = cache.get(source.file);
    if (!parsed) {
      const file = byPath.get(source.file);
      if (!file) return null;
      const lineCounter = new LineCounter();
      const text = file.text.charCodeAt(0) === 0xfeff ? file.text.slice(1) : file.text;
      let docs: Document[] = [];
      try {
        docs = composeDocuments(text, lineCounter);
      } catch {
        // Too many documents: the file was not loaded, so nothing in it is located.
      }
      parsed = { docs, lineCounter };
      cache.set(source.file, parsed);
    }
    const doc = parsed.docs[source.docIndex];
    return doc ? locateInDocument(doc, parsed.lineCounter, path) : null;
  };
}
