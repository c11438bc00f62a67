// Which flotilla is running, read from its own files once per process (the edge: the render
// index's codec only compares the strings). The package version is what `flotilla version` prints;
// the build tells two builds of one version apart; the renderer build tells whether two builds
// parse, schedule and render alike, for the render index's seeds and parses.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's version: package.json sits two folders above this module in src/ and in dist/. */
export function flotillaVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let build: string | null = null;

/**
 * The exact code this process runs: the package's version and codeHash of its own modules (dist/ or
 * src/, whichever this module was loaded from) and of package-lock.json (a dependency upgrade, e.g.
 * of the yaml parser, is another build too). The version alone did not tell two builds apart: every
 * image built from a changed tree before the next release carried the same one, and would have
 * reused the seeds of code that scheduled differently. When the files cannot be read, the build is
 * one no index can name (this process's own), so a renderer named by it (rendererBuild's fallback)
 * trusts no seed another process kept.
 */
export function flotillaBuild(): string {
  if (build !== null) return build;
  try {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const lock = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
    build = `${flotillaVersion()}+${codeHash(root, [lock])}`;
  } catch {
    build = `${flotillaVersion()}+unread-${process.pid}-${Date.now()}`;
  }
  return build;
}

/**
 * SHA-256 (16 hex digits) of the .js and .ts modules under `root` (not .d.ts, not source maps) —
 * their paths and bytes — and of the `extra` files that exist.
 */
export function codeHash(root: string, extra: readonly string[] = []): string {
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.split(path.sep).join('/'));
  return filesHash(root, files, extra);
}

/** SHA-256 (16 hex digits) of `modules` (paths below `root`, with `/`) — their paths and bytes — and of the `extra` files that exist. */
function filesHash(root: string, modules: readonly string[], extra: readonly string[]): string {
  const hash = createHash('sha256');
  const files = [...modules].sort();
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(path.join(root, f)))
      .update('\0');
  for (const file of extra) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue; // an installed package may come without its lockfile
    }
    hash.update(`${path.basename(file)}\0`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The code a seed is a memo of: the modules that parse, schedule, render and keep what a later
 * process reuses (the render index's parses and seeds), the content hash the seeds hold
 * (state/change-set), and the codecs that write and read them back (reconcile/render-index among
 * them: seeds name their hashes by its object rows); with every module they import, followed.
 */
export const RENDERER_MODULES = [
  'render/incremental',
  'reconcile/renderer',
  'reconcile/index-parses',
  'reconcile/render-seeds',
  'reconcile/index-tables',
  'reconcile/render-index',
  'state/change-set',
] as const;

// The `from` clause of an import or export statement (not of an `import type` or `export type`,
// which load nothing), a module imported for its effects, and an import call whose argument is a
// string literal (in code or in a type). An import call of anything else, require and
// createRequire make the closure unknowable from the text.
const STATIC_IMPORT = /\b(?:import|export)\b(?!\s+type[\s{])[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1|\bimport\s*(['"])([^'"]+)\3/g;
// Calls as the formatter writes them, with no space before the parenthesis: prose in a comment is seldom one.
const LITERAL_IMPORT_CALL = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;
const ANY_IMPORT_CALL = /\bimport\(/g;
const REQUIRE = /\brequire\(|\bcreateRequire\(/;
/** Node's modules that load or run code a module names at run time: a module importing one has a closure the text cannot tell. */
const LOADERS = new Set(['node:module', 'module', 'node:worker_threads', 'worker_threads', 'node:vm', 'vm']);

/** The module specifiers a module's text imports, and whether it also loads code no literal names (`opaque`). */
export function moduleImports(text: string): { specifiers: string[]; opaque: boolean } {
  const specifiers = [...text.matchAll(STATIC_IMPORT)].map((m) => (m[2] ?? m[4])!);
  const calls = [...text.matchAll(LITERAL_IMPORT_CALL)].map((m) => m[2]!);
  const opaque = [...text.matchAll(ANY_IMPORT_CALL)].length > calls.length || REQUIRE.test(text);
  return { specifiers: [...specifiers, ...calls], opaque };
}

/** The package a bare specifier names: `yaml`, `@kubernetes/client-node`, `isomorphic-git` of `isomorphic-git/http/node`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The modules under `root` that `starts` (paths without extension) import, themselves included,
 * following relative imports (`./x.js` is x.js, or x.ts in the sources), sorted; and the packages
 * they load, Node's own (`node:…`) left out. Null when one of them imports what no literal
 * names (moduleImports) or a module that is not there: then the closure is not known.
 */
export function importClosure(root: string, starts: readonly string[]): { files: string[]; packages: string[] } | null {
  const resolve = (stem: string): string | null => {
    for (const ext of ['.js', '.ts']) if (existsSync(path.join(root, stem + ext))) return stem + ext;
    return null;
  };
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo: Array<string | null> = starts.map(resolve);
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (file === null) return null;
    if (seen.has(file)) continue;
    seen.add(file);
    const { specifiers, opaque } = moduleImports(readFileSync(path.join(root, file), 'utf8'));
    if (opaque) return null;
    for (const s of specifiers) {
      if (s.startsWith('./') || s.startsWith('../')) todo.push(resolve(path.posix.join(path.posix.dirname(file), s).replace(/\.js$/, '')));
      else if (s.startsWith('#') || s.startsWith('/') || LOADERS.has(s))
        return null; // package.json "imports" names, paths, code loaded by hand: not followed
      else if (!s.startsWith('node:')) packages.add(packageOf(s));
    }
  }
  return { files: [...seen].sort(), packages: [...packages].sort() };
}

interface LockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
  link?: boolean;
  inBundle?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/**
 * What package-lock.json (lockfile v2 or v3) installs for `names` and everything they depend on,
 * as Node resolves it (a nested node_modules first): each one's location, version, integrity and
 * source, as a stable text. Null when the lock cannot say: a package it does not list, a linked
 * folder (its code is not in the lock), one without an integrity (a git dependency's commit can
 * move under the same version).
 */
export function lockedPackages(lockText: string, names: readonly string[]): string | null {
  let packages: Record<string, LockEntry>;
  try {
    packages = (JSON.parse(lockText) as { packages?: Record<string, LockEntry> }).packages ?? {};
  } catch {
    return null;
  }
  const found = new Map<string, LockEntry>();
  // The location `name` resolves to from the package at `from` ('' for the project).
  const locate = (from: string, name: string): string | null => {
    for (let at = from; ; at = at.slice(0, Math.max(0, at.lastIndexOf('/node_modules/')))) {
      const candidate = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      if (Object.hasOwn(packages, candidate)) return candidate;
      if (at === '') return null;
    }
  };
  const todo: Array<[string, string, boolean]> = names.map((n) => ['', n, true]);
  while (todo.length > 0) {
    const [from, name, required] = todo.pop()!;
    const at = locate(from, name);
    if (at === null) {
      if (required) return null;
      continue; // an optional or peer dependency not installed
    }
    if (found.has(at)) continue;
    const entry = packages[at]!;
    if (entry.link || (entry.integrity === undefined && !entry.inBundle)) return null;
    found.set(at, entry);
    for (const d of Object.keys(entry.dependencies ?? {})) todo.push([at, d, true]);
    for (const d of Object.keys({ ...entry.optionalDependencies, ...entry.peerDependencies })) todo.push([at, d, false]);
  }
  const rows = [...found].sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(rows.map(([at, e]) => [at, e.version ?? null, e.integrity ?? null, e.resolved ?? null]));
}

let renderer: string | null = null;

/**
 * The renderer of the modules under `root` with `lockText` as package-lock.json, on Node `node`:
 * RENDERER_MODULES and every module they import, by path and bytes; what the lock installs for the
 * packages they load, and the Node version (its engine sorts, hashes and parses too). Null when
 * the closure cannot be known (an import no literal names, a missing module) or the lock cannot
 * say (a package it does not list, as this package importing itself; a linked one).
 */
export function rendererOf(root: string, lockText: string | null, node: string): string | null {
  const closure = importClosure(root, RENDERER_MODULES);
  const locked = closure && lockText !== null ? lockedPackages(lockText, closure.packages) : null;
  if (closure === null || locked === null) return null;
  const hash = createHash('sha256')
    .update(filesHash(root, closure.files, []))
    .update(`\0${locked}\0${node}`)
    .digest('hex');
  return `renderer:${hash.slice(0, 16)}`;
}

/**
 * Which renderer this process runs (rendererOf its own modules, lockfile and Node): the same for two
 * builds that differ elsewhere (the service, the targets, the dashboard, a package only those use,
 * the release number), so a deploy of such a build keeps the render index's parses and seeds.
 * When rendererOf cannot tell, or the files cannot be read, the whole build stands for it.
 */
export function rendererBuild(): string {
  if (renderer !== null) return renderer;
  try {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const lockFile = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
    const lock = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : null;
    renderer = rendererOf(root, lock, process.version) ?? `build:${flotillaBuild()}`;
  } catch {
    renderer = `build:${flotillaBuild()}`;
  }
  return renderer;
}
