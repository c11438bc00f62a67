// Which folders of a fleet repository are built as one unit (docs/guide/fleet-repository.md
// "Kustomize folders and generators"), and which files each build reads. Pure: the same file set
// and the same generators give the same units, so a build's content hash is a function of them.
import { parseDocument } from 'yaml';
import { isMap } from '../objects/json.js';
import type { GeneratorConfig } from '../config/schema.js';
import { scopeEntryFor } from '../config/scope.js';

/** The file names kustomize recognises as a kustomization, in its order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** A file as the builder sees it: any file of the repository, not only YAML. */
export interface BuildFile {
  path: string;
  text: string;
  /** Set when the file was over the size limit and not read. */
  size?: number;
}

/** A folder built as one unit. */
export interface BuildUnit {
  /** Posix folder relative to the repository root ('' = the root). */
  folder: string;
  /** The marker file that made it a unit (its kustomization or the generator's `match`). */
  marker: string;
  /** kustomize, or the operator's generator. */
  tool: { kind: 'kustomize' } | { kind: 'generator'; generator: GeneratorConfig };
  /** The folders the build reads: its own and, for a kustomization, the local bases it names (transitively). */
  folders: string[];
  /** A resource kustomize would fetch from the network (the build is refused: it must be a function of the repository). */
  remote: string | null;
  /** A resource named by a path that leaves the repository (the build is refused: it would read the host's files). */
  outside: string | null;
  /**
   * A file the build would read that lies under another scope path than the unit's own (and not
   * under `scope.default`): the build is refused, since all it makes is judged by the unit's rule.
   */
  foreign: string | null;
}

/**
 * How a unit's build output is named in diagnostics and in the rendered objects' source annotation:
 * inside its folder, so the operator's scope for the folder (config/scope.ts) judges what it builds.
 */
export function unitSourceName(unit: Pick<BuildUnit, 'folder' | 'tool'>): string {
  const tool = unit.tool.kind === 'kustomize' ? 'kustomize build' : `generator ${unit.tool.generator.name}`;
  return unit.folder === '' ? `(${tool})` : `${unit.folder}/(${tool})`;
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Whether `p` is `folder` or below it. */
export function isUnder(p: string, folder: string): boolean {
  return folder === '' || p === folder || p.startsWith(folder + '/');
}

/** Normalises `rel` against `dir` (posix); null when it leaves the repository. */
function joinPath(dir: string, rel: string): string | null {
  const parts = dir === '' ? [] : dir.split('/');
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)|\?ref=|\/\/.*\?/i;

/** The resources, bases and components a kustomization names (strings only; kustomize reports the rest). */
function referencedPaths(text: string): string[] {
  let value: unknown;
  try {
    value = parseDocument(text, { logLevel: 'silent' }).toJS({ maxAliasCount: 100 });
  } catch {
    return [];
  }
  if (!isMap(value)) return [];
  const out: string[] = [];
  for (const key of ['resources', 'bases', 'components']) {
    const list = value[key];
    if (Array.isArray(list)) for (const item of list) if (typeof item === 'string') out.push(item);
  }
  return out;
}

/** Every folder that holds a file, directly or below. */
function foldersOf(files: ReadonlyMap<string, BuildFile>): Set<string> {
  const out = new Set<string>();
  for (const p of files.keys()) {
    for (let d = dirOf(p); !out.has(d); d = dirOf(d)) {
      out.add(d);
      if (d === '') break;
    }
  }
  return out;
}

/** The kustomization file of each folder that has one, by kustomize's preference order. */
function kustomizationFiles(files: ReadonlyMap<string, BuildFile>): Map<string, string> {
  const byFolder = new Map<string, string>();
  for (const name of KUSTOMIZATION_FILES) {
    for (const p of files.keys()) {
      if (baseOf(p) === name && !byFolder.has(dirOf(p))) byFolder.set(dirOf(p), p);
    }
  }
  return byFolder;
}

/**
 * Which scope path governs what is built in `folder` (the index of `scopePaths`, -1: none, so
 * `scope.default`), as scopeEntryFor judges the build's output, named inside the folder.
 */
export function scopePathOfFolder(scopePaths: ReadonlyArray<{ path: string }>, folder: string): number {
  return scopeEntryFor(scopePaths, folder === '' ? '(build)' : `${folder}/(build)`);
}

/**
 * The build units of a file set. A kustomization that another kustomization under the same scope
 * path names as a base is built only as part of it; a unit inside another unit's folder belongs to
 * that one. Folders named in `claimed` (an Application's paths) are not roots either: whoever
 * claimed them builds them. A kustomization under another scope path naming a folder as its base
 * does not stop that folder's own build: a team's overlay of the platform's folder (a `$patch:
 * delete`, a namespace of its own) would otherwise take the platform's objects out of the render.
 */
export function findBuildUnits(
  files: ReadonlyMap<string, BuildFile>,
  generators: readonly GeneratorConfig[],
  claimed: ReadonlySet<string> = new Set(),
  scopePaths: ReadonlyArray<{ path: string }> = [],
): { roots: BuildUnit[]; folders: string[] } {
  const kustomizations = kustomizationFiles(files);
  const folderSet = foldersOf(files);
  const referenced = new Set<string>();
  const candidates: BuildUnit[] = [];
  for (const [folder, marker] of kustomizations) {
    const closure = kustomizeClosure(folder, files, kustomizations, folderSet);
    const rule = scopePathOfFolder(scopePaths, folder);
    for (const f of closure.folders) if (f !== folder && scopePathOfFolder(scopePaths, f) === rule) referenced.add(f);
    const { remote, outside } = closure;
    candidates.push({ folder, marker, tool: { kind: 'kustomize' }, folders: closure.folders, remote, outside, foreign: null });
  }
  for (const generator of generators) {
    for (const p of files.keys()) {
      const folder = dirOf(p);
      if (baseOf(p) !== generator.match || kustomizations.has(folder)) continue;
      if (candidates.some((c) => c.folder === folder)) continue;
      candidates.push({
        folder,
        marker: p,
        tool: { kind: 'generator', generator },
        folders: [folder],
        remote: null,
        outside: null,
        foreign: null,
      });
    }
  }
  if (scopePaths.length > 0) for (const unit of candidates) unit.foreign = foreignFile(unit, files, scopePaths);
  // The outermost unit owns its subtree: a nested one is built only if the outer one names it.
  const roots = candidates
    .filter((u) => !referenced.has(u.folder) && !claimed.has(u.folder))
    .filter((u) => !candidates.some((o) => o.folder !== u.folder && isUnder(u.folder, o.folder)))
    .sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
  // Every file under a unit's folder, built or only named as a base, is read by kustomize or the generator, never on its own.
  return { roots, folders: [...new Set(candidates.map((c) => c.folder))].sort() };
}

/**
 * The first file (by path) the unit's build reads that lies under another scope path than the
 * unit's own, other than `scope.default`'s (null: none). A team's overlay may read the platform's
 * base (what it makes is judged by the team's rule), but a build under the platform's rule must not
 * read a team's folder (the team's objects would be judged as the platform's), nor a team's build
 * a folder another path governs inside its own (those objects would leave the render unjudged).
 */
function foreignFile(unit: BuildUnit, files: ReadonlyMap<string, BuildFile>, scopePaths: ReadonlyArray<{ path: string }>): string | null {
  return foreignFileIn(unit.folders, files, scopePaths, scopePathOfFolder(scopePaths, unit.folder));
}

/**
 * The first file under `folders` that lies under another scope path than `own` (an index of
 * `scopePaths`), other than `scope.default`'s; null: none. What a unit's build, or an Application's
 * over the fleet repository, reads must be of its own path (or of the platform's default).
 */
export function foreignFileIn(
  folders: readonly string[],
  files: ReadonlyMap<string, BuildFile>,
  scopePaths: ReadonlyArray<{ path: string }>,
  own: number,
): string | null {
  if (scopePaths.length === 0) return null;
  for (const f of unitFiles({ folders }, files)) {
    const theirs = scopeEntryFor(scopePaths, f.path);
    if (theirs !== own && theirs !== -1) return f.path;
  }
  return null;
}

/** A kustomization's folder and the local folders it names, transitively (kustomize reads nothing else of the repository). */
export function kustomizeClosure(
  folder: string,
  files: ReadonlyMap<string, BuildFile>,
  kustomizations: ReadonlyMap<string, string> = kustomizationFiles(files),
  folderSet?: ReadonlySet<string>,
): { folders: string[]; remote: string | null; outside: string | null } {
  const folders = folderSet ?? foldersOf(files);
  const seen = new Set<string>();
  let remote: string | null = null;
  let outside: string | null = null;
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const file = kustomizations.get(dir);
    if (!file) return;
    for (const ref of referencedPaths(files.get(file)?.text ?? '')) {
      if (REMOTE.test(ref)) {
        remote ??= ref;
        continue;
      }
      const target = joinPath(dir, ref);
      // Climbing above the repository's root reaches, from the build's scratch copy, the host's files.
      if (target === null || ref.startsWith('/')) {
        outside ??= ref;
        continue;
      }
      // A file is read from its own folder's subtree; only a folder outside it widens the build.
      if (target !== null && folders.has(target) && !isUnder(target, dir)) visit(target);
    }
  };
  visit(folder);
  return { folders: [...seen].sort(), remote, outside };
}

/** The files a unit's build reads: everything under its folders. */
export function unitFiles(unit: { readonly folders: readonly string[] }, files: ReadonlyMap<string, BuildFile>): BuildFile[] {
  const out: BuildFile[] = [];
  for (const f of files.values()) if (unit.folders.some((d) => isUnder(f.path, d))) out.push(f);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
