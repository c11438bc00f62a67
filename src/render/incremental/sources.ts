// The load stage of incremental rendering: the current file set, each file parsed on its own and
// cached until it changes, and the rule that says when per-file results are not what parsing the
// whole revision at once (parseFleetFiles over every file) would give.
import { makeFieldLocator, parseFleetFiles, type BuildProblem, type SourceFile } from '../../load/parse.js';
import { apiGroup, clusterScopedKindOfCrd } from '../../objects/scope.js';
import { DiagnosticSink, type Diagnostic, type FieldLocator } from '../../model/diagnostics.js';
import type { Manifest } from '../../model/types.js';
import { rememberSchemaFindings, schemaFindings, type SchemaFinding } from '../../validate/builtin-schema.js';
import { compareStrings } from '../../model/order.js';

/** One file of a new revision; `text: null` means the file was deleted. */
export interface FileChange {
  path: string;
  /** null = deleted. */
  text: string | null;
  /** Size in bytes when the text was not read (over the size limit), as SourceFile.size. */
  size?: number;
  /** A folder build that failed (SourceFile.problem). */
  problem?: BuildProblem;
}

/** The SourceFile a change sets. */
export function fileOfChange(change: FileChange & { text: string }): SourceFile {
  const file: SourceFile = { path: change.path, text: change.text };
  if (change.size !== undefined) file.size = change.size;
  if (change.problem) file.problem = change.problem;
  return file;
}

function sameProblem(a: BuildProblem | undefined, b: BuildProblem | undefined): boolean {
  return a === b || (!!a && !!b && a.code === b.code && a.message === b.message && a.file === b.file && a.line === b.line);
}

/** A file parsed on its own. */
interface ParsedFile {
  file: SourceFile;
  /** Bumped on every change of the file, so anything located in it can tell it is stale. */
  version: number;
  manifests: Manifest[];
  diagnostics: Diagnostic[];
  /** "group/Kind" of the cluster-scoped kinds its CRDs declare. */
  scopes: ReadonlySet<string>;
  /**
   * True when every diagnostic of the file is about a document that could not have become a
   * manifest (broken YAML, alias bombs, oversize files, kustomizations). Any other problem — a
   * missing name, a bad namespace, a duplicate inside the file — drops a document that a whole
   * parse would still read for CRD scopes, so it forces a whole parse.
   */
  selfContained: boolean;
}

/** Diagnostic codes of parseFleetFiles for documents never considered for CRD scopes (parse.ts). */
const SELF_CONTAINED_CODES = new Set([
  'YAML_PARSE',
  'YAML_DUPLICATE_KEY',
  'YAML_ALIAS_LIMIT',
  'YAML_WARNING',
  'FILE_TOO_LARGE',
  'UNSUPPORTED_KIND',
  // A failed folder build: the file holds no documents.
  'BUILD_FAILED',
  'BUILD_TIMEOUT',
  'BUILD_OUTPUT_LIMIT',
  'BUILD_REMOTE_RESOURCE',
  'BUILD_OUTSIDE_REPOSITORY',
  'BUILD_ACROSS_SCOPE_PATHS',
  'UNSUPPORTED_SOURCE',
  'SOURCE_FETCH_FAILED',
  'INVALID_POLICY',
]);

/**
 * A file's parse as kept across processes (the render index, issue 13): the file's text with what
 * parsing it alone gave. It is used only for a file of exactly that path and text (no size, no
 * build problem), so it stands for parsing it again; only results that JSON carries exactly are kept.
 */
export interface ParsedFileRecord {
  path: string;
  text: string;
  manifests: Manifest[];
  diagnostics: Diagnostic[];
  scopes: string[];
  selfContained: boolean;
  /**
   * Per manifest, what the built-in schema check found in it (validate/builtin-schema.ts): a pure
   * function of the manifest, kept so that a restart does not walk every manifest of the fleet again.
   */
  schema: ReadonlyArray<readonly SchemaFinding[]>;
}

/** Whether JSON.parse(JSON.stringify(value)) gives back `value` exactly: plain data, finite numbers (no -0), no undefined. */
export function jsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !jsonExact(value[i])) return false;
    return true;
  }
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const [k, v] of Object.entries(value)) if (k === '__proto__' || !jsonExact(v)) return false;
  return true;
}

/** The manifests of the current revision, in file order, and the load stage's diagnostics. */
export interface LoadedRevision {
  manifests: Manifest[];
  diagnostics: Diagnostic[];
  /** The files were parsed together because per-file results would differ (CRD scopes, duplicates). */
  whole: boolean;
}

/** The current file set of a fleet repository, parsed file by file. */
export class SourceCache {
  private readonly entries = new Map<string, ParsedFile>();
  /** Whether a parse's manifests and diagnostics are JSON-exact, per parse (it never changes; records() runs after every pass). */
  private readonly exact = new WeakMap<ParsedFile, boolean>();
  private readonly locators = new Map<string, { version: number; locate: FieldLocator }>();
  /** Cross-file duplicate checks by the versions of the files involved. */
  private duplicateChecks = new Map<string, boolean>();
  private sortedPaths: string[] | null = [];
  private nextVersion = 1;
  /** Parses kept by an earlier process, by path; each is used at most once, then dropped. */
  private readonly seeds: Map<string, ParsedFileRecord>;

  constructor(seeds: Iterable<ParsedFileRecord> = []) {
    this.seeds = new Map([...seeds].map((r) => [r.path, r]));
  }

  /** Applies a revision's changed files; returns how many files were parsed. */
  apply(changes: readonly FileChange[]): number {
    let parsed = 0;
    for (const change of changes) {
      const old = this.entries.get(change.path);
      if (change.text === null) {
        if (old) {
          this.entries.delete(change.path);
          this.sortedPaths = null;
        }
        continue;
      }
      if (old && old.file.text === change.text && old.file.size === change.size && sameProblem(old.file.problem, change.problem)) continue;
      const file = fileOfChange({ ...change, text: change.text });
      const seeded = this.seeded(file, this.nextVersion);
      this.entries.set(change.path, seeded ?? parseOne(file, this.nextVersion));
      this.nextVersion++;
      if (!old) this.sortedPaths = null;
      if (!seeded) parsed++;
    }
    return parsed;
  }

  /** The kept parse of `file` when it is of exactly this path and text (the seed is dropped either way). */
  private seeded(file: SourceFile, version: number): ParsedFile | null {
    const seed = this.seeds.get(file.path);
    if (seed === undefined) return null;
    this.seeds.delete(file.path);
    if (seed.text !== file.text || file.size !== undefined || file.problem !== undefined) return null;
    const { manifests, diagnostics, scopes, selfContained } = seed;
    manifests.forEach((m, i) => rememberSchemaFindings(m, seed.schema[i]!));
    return { file, version, manifests, diagnostics, scopes: new Set(scopes), selfContained };
  }

  /** The parse of every current file that a record carries exactly (files with a size or a build problem are left out). */
  records(): ParsedFileRecord[] {
    const out: ParsedFileRecord[] = [];
    for (const p of this.paths()) {
      const entry = this.entries.get(p)!;
      const { file, manifests, diagnostics, scopes, selfContained } = entry;
      if (file.size !== undefined || file.problem !== undefined) continue;
      let exact = this.exact.get(entry);
      if (exact === undefined) this.exact.set(entry, (exact = jsonExact({ manifests, diagnostics })));
      // path, text and scopes are strings and selfContained a boolean: JSON carries them exactly.
      // Schema findings are plain strings and field paths (names and indexes): JSON carries them exactly.
      if (exact) {
        const schema = manifests.map(schemaFindings);
        out.push({ path: p, text: file.text, manifests, diagnostics, scopes: [...scopes], selfContained, schema });
      }
    }
    return out;
  }

  /** The current files, sorted by path like readFleetDirectory and readRevisionFiles. */
  files(): SourceFile[] {
    return this.paths().map((p) => this.entries.get(p)!.file);
  }

  /** The current file at `path`, if any. */
  file(path: string): SourceFile | undefined {
    return this.entries.get(path)?.file;
  }

  /** The version of a file (0 if absent): changes whenever its text does. */
  version(path: string): number {
    return this.entries.get(path)?.version ?? 0;
  }

  /** A FieldLocator over the current files; each file is re-parsed for positions at most once per version. */
  readonly locate: FieldLocator = (source, path) => {
    const entry = this.entries.get(source.file);
    if (!entry) return null;
    let cached = this.locators.get(source.file);
    if (!cached || cached.version !== entry.version) {
      cached = { version: entry.version, locate: makeFieldLocator([entry.file]) };
      this.locators.set(source.file, cached);
    }
    return cached.locate(source, path);
  };

  /** Every manifest of the revision, exactly as parseFleetFiles over all files would return them. */
  load(): LoadedRevision {
    for (const path of this.locators.keys()) if (!this.entries.has(path)) this.locators.delete(path);
    const ordered = this.paths().map((p) => this.entries.get(p)!);
    if (this.needsWholeParse(ordered)) {
      const sink = new DiagnosticSink();
      const manifests = parseFleetFiles(
        ordered.map((e) => e.file),
        sink,
      );
      return { manifests, diagnostics: sink.items, whole: true };
    }
    const manifests: Manifest[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const e of ordered) {
      for (const m of e.manifests) manifests.push(m);
      for (const d of e.diagnostics) diagnostics.push(d);
    }
    return { manifests, diagnostics, whole: false };
  }

  private paths(): string[] {
    this.sortedPaths ??= [...this.entries.keys()].sort(compareStrings);
    return this.sortedPaths;
  }

  /**
   * parseFleetFiles has two rules that cross files: CRDs anywhere decide the scope of their kinds
   * everywhere, and the first declaration of an identity wins over later files. Per-file results
   * are exact unless one of them applies.
   */
  private needsWholeParse(ordered: readonly ParsedFile[]): boolean {
    const scopes = new Set<string>();
    for (const e of ordered) {
      if (!e.selfContained) return true;
      for (const s of e.scopes) scopes.add(s);
    }
    // A kind made cluster-scoped by another file's CRD was parsed here as namespaced.
    if (scopes.size > 0) {
      for (const e of ordered) {
        for (const m of e.manifests) {
          const key = `${apiGroup(m.apiVersion)}/${m.kind}`;
          if (scopes.has(key) && !e.scopes.has(key)) return true;
        }
      }
    }
    // Candidates for cross-file duplicates by kind/namespace/name (coarser than parse.ts's identity,
    // which also has the API group); parseFleetFiles itself decides whether they are duplicates.
    const firstFile = new Map<string, ParsedFile>();
    const groups = new Map<string, Set<ParsedFile>>();
    for (const e of ordered) {
      for (const m of e.manifests) {
        const key = `${m.kind}\u0000${m.namespace}\u0000${m.name}`;
        const first = firstFile.get(key);
        if (!first) {
          firstFile.set(key, e);
        } else if (first !== e) {
          const group = groups.get(key) ?? new Set([first]);
          group.add(e);
          groups.set(key, group);
        }
      }
    }
    const checks = new Map<string, boolean>();
    let duplicate = false;
    for (const group of groups.values()) {
      const files = [...group].sort((a, b) => compareStrings(a.file.path, b.file.path));
      const id = files.map((f) => `${f.file.path}@${f.version}`).join('\u0000');
      let dup = checks.get(id) ?? this.duplicateChecks.get(id);
      if (dup === undefined) {
        const sink = new DiagnosticSink();
        parseFleetFiles(
          files.map((f) => f.file),
          sink,
        );
        dup = sink.has('DUPLICATE_RESOURCE');
      }
      checks.set(id, dup);
      duplicate ||= dup;
    }
    this.duplicateChecks = checks;
    return duplicate;
  }
}

/** Parses one file on its own. */
function parseOne(file: SourceFile, version: number): ParsedFile {
  const sink = new DiagnosticSink();
  const manifests = parseFleetFiles([file], sink);
  const scopes = new Set<string>();
  for (const m of manifests) {
    const key = clusterScopedKindOfCrd(m.apiVersion, m.kind, m.object);
    if (key) scopes.add(key);
  }
  return {
    file,
    version,
    manifests,
    diagnostics: sink.items,
    scopes,
    selfContained: sink.items.every((d) => SELF_CONTAINED_CODES.has(d.code)),
  };
}
