// Turns a repository's files into the files the renderer reads: plain YAML files pass through, and
// every Kustomize or generator folder becomes one file holding its build output (or the build's
// problem). A build is a function of the files it reads and of the config, so its output is cached
// by their content hash: a commit that touches one folder rebuilds that folder only, and the
// renderer downstream re-parses only the outputs that changed.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scopeEntryFor } from '../config/scope.js';
import type { BuildConfig } from '../config/schema.js';
import type { BuildProblem, SourceFile } from '../load/parse.js';
import type { FileChange } from '../render/incremental/sources.js';
import { expandApplications } from './app-expand.js';
import type { ApplicationFetchOptions, ApplicationRevision } from './app-source.js';
import { findApplications, normalizePath, type Application } from './application.js';
import { runBounded, type RunResult } from './run.js';
import { kustomizeCommand } from './tools.js';
import { findBuildUnits, isUnder, scopePathOfFolder, unitFiles, unitSourceName, type BuildFile, type BuildUnit } from './units.js';

/** One changed file of the repository (any file, not only YAML); `text: null` = deleted. */
export interface RepositoryChange {
  path: string;
  text: string | null;
  size?: number;
}

const KLOG_PREFIX = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]\s]+\] /gm;

/** Builds run at once: the machine's cores are shared with the renderer and the appliers. */
const PARALLEL_BUILDS = 2;

const YAML_FILE = /\.ya?ml$/;

/** The output of one build, as the renderer reads it. */
export interface Built {
  text: string;
  problem?: BuildProblem;
}

export interface BuilderOptions {
  /** Folders an Application builds itself (not roots here). */
  claimed?: ReadonlySet<string>;
  /** The environment generators' `env:` names are read from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** How Kurator Applications' sources are fetched; `fleetUrl` is the fleet repository's own URL. */
  applications?: ApplicationFetchOptions;
}

/** A repository's current files and the builds of its folders. */
export class SourceBuilder {
  private readonly files = new Map<string, BuildFile>();
  private cache = new Map<string, Built>();
  private emitted = new Map<string, SourceFile>();
  private revisions: ApplicationRevision[] = [];
  private applicationFiles = new Map<string, { text: string; apps: Application[] }>();
  /** Builds actually run (cache misses) by the last update: what a test of incrementality counts. */
  lastBuilds = 0;

  constructor(
    private readonly config: BuildConfig,
    private readonly options: BuilderOptions = {},
  ) {}

  /** Applies repository changes; returns the changes of the renderer's file set. */
  async update(changes: readonly RepositoryChange[]): Promise<FileChange[]> {
    for (const c of changes) {
      if (c.text === null) this.files.delete(c.path);
      else this.files.set(c.path, c.size === undefined ? { path: c.path, text: c.text } : { path: c.path, text: c.text, size: c.size });
    }
    const next = await this.expand();
    const out: FileChange[] = [];
    for (const [p, f] of next) {
      const old = this.emitted.get(p);
      if (old && old.text === f.text && old.size === f.size && JSON.stringify(old.problem) === JSON.stringify(f.problem)) continue;
      out.push(f);
    }
    for (const p of this.emitted.keys()) if (!next.has(p)) out.push({ path: p, text: null });
    this.emitted = next;
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The renderer's current file set, sorted by path. */
  current(): SourceFile[] {
    return [...this.emitted.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async expand(): Promise<Map<string, SourceFile>> {
    const { scopePaths } = this.config;
    const { roots, folders } = findBuildUnits(this.files, this.config.generators, this.options.claimed, scopePaths);
    const out = new Map<string, SourceFile>();
    for (const f of this.files.values()) {
      if (!YAML_FILE.test(f.path) || folders.some((d) => isUnder(f.path, d))) continue;
      out.set(f.path, f.size === undefined ? { path: f.path, text: f.text } : { path: f.path, text: f.text, size: f.size });
    }
    const apps = this.applicationsOf(out);
    // An Application over the fleet repository itself builds its paths; they are not also built on their own.
    const own = this.options.applications?.fleetUrl;
    // Only a folder under the Application's own scope path: one of another path is built on its own too.
    const claimed = new Set(
      apps.flatMap((a) =>
        a.source.kind === 'git' && own !== undefined && a.source.url === own
          ? a.policies.flatMap((p) => {
              const folder = p.kind === 'kustomization' ? (normalizePath(p.path) ?? '') : null;
              const same = folder !== null && scopePathOfFolder(scopePaths, folder) === scopeEntryFor(scopePaths, a.file);
              return same ? [folder] : [];
            })
          : [],
      ),
    );
    const used = new Map<string, Built>();
    let builds = 0;
    const buildCached = async (unit: BuildUnit, files: readonly BuildFile[], env: Record<string, string> = {}) => {
      const key = this.hashOf(unit, files, env);
      let built = used.get(key) ?? this.cache.get(key);
      if (!built) {
        builds++;
        built = await this.build(unit, files, env);
      }
      // A build stopped by its time bound may pass on a less loaded machine: it is tried again next time.
      if (built.problem?.code !== 'BUILD_TIMEOUT') used.set(key, built);
      return built;
    };
    const jobs = roots
      .filter((unit) => !claimed.has(unit.folder))
      .map((unit) => async () => {
        const built = await buildCached(unit, unitFiles(unit, this.files));
        const name = unitSourceName(unit);
        out.set(name, built.problem ? { path: name, text: '', problem: built.problem } : { path: name, text: built.text });
      });
    await runLimited(jobs, PARALLEL_BUILDS);
    this.revisions = await expandApplications(apps, out, {
      build: buildCached,
      fleetFiles: this.files,
      config: this.config,
      fetch: this.options.applications ?? {},
    });
    // Only what this revision uses stays cached: a folder's older outputs are not worth their memory.
    this.cache = used;
    this.lastBuilds = builds;
    return out;
  }

  /** The Applications of the plain files, each file read again only when its text changed. */
  private applicationsOf(plain: ReadonlyMap<string, SourceFile>): Application[] {
    const next = new Map<string, { text: string; apps: Application[] }>();
    for (const f of plain.values()) {
      const old = this.applicationFiles.get(f.path);
      next.set(f.path, old && old.text === f.text ? old : { text: f.text, apps: findApplications([f]) });
    }
    this.applicationFiles = next;
    // By file and line: the status records them in this order, whatever order the files changed in.
    return [...next.values()].flatMap((e) => e.apps).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  }

  /** The pinned revision of every Application source of the last update (recorded on the status branch). */
  applicationRevisions(): ApplicationRevision[] {
    return this.revisions;
  }

  private hashOf(unit: BuildUnit, files: readonly BuildFile[], env: Record<string, string>): string {
    const h = createHash('sha256');
    h.update(JSON.stringify({ folder: unit.folder, tool: unit.tool, kustomize: this.config.kustomize, env }));
    for (const f of files) h.update(`\0${f.path}\0${f.size ?? ''}\0${f.text}`);
    return h.digest('hex');
  }

  /** Runs one build in a scratch copy of the files it reads, so nothing it does reaches the checkout. */
  private async build(unit: BuildUnit, files: readonly BuildFile[], extraEnv: Record<string, string>): Promise<Built> {
    const at = { file: unit.marker, line: 1 };
    const what =
      unit.tool.kind === 'kustomize'
        ? `kustomize build of ${unit.folder || '.'}`
        : `generator ${unit.tool.generator.name} in ${unit.folder || '.'}`;
    if (unit.remote !== null) {
      const message =
        `${what}: "${unit.remote}" is a remote resource; ` +
        'flotilla builds only what the repository holds (vendor it into the repository)';
      return { text: '', problem: { code: 'BUILD_REMOTE_RESOURCE', message, ...at } };
    }
    if (unit.outside !== null) {
      const message = `${what}: "${unit.outside}" leaves the repository; flotilla builds only what the repository holds`;
      return { text: '', problem: { code: 'BUILD_OUTSIDE_REPOSITORY', message, ...at } };
    }
    if (unit.foreign !== null) {
      const message =
        `${what}: it would read ${unit.foreign}, which another scope path governs; a build reads only its own scope ` +
        "path's files (and scope.default's), since everything it makes is judged by its own path's rule";
      return { text: '', problem: { code: 'BUILD_ACROSS_SCOPE_PATHS', message, ...at } };
    }
    const tooLarge = files.find((f) => f.size !== undefined);
    if (tooLarge)
      return { text: '', problem: { code: 'BUILD_FAILED', message: `${what}: ${tooLarge.path} is over the size limit`, ...at } };
    const scratch = await mkdtemp(path.join(tmpdir(), 'flotilla-build-'));
    try {
      const tree = path.join(scratch, 'repo');
      for (const f of files) {
        const target = path.join(tree, ...f.path.split('/'));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, f.text);
      }
      const home = path.join(scratch, 'home');
      await mkdir(home);
      const cwd = path.join(tree, ...unit.folder.split('/').filter(Boolean));
      await mkdir(cwd, { recursive: true });
      const result = await this.run(unit, cwd, home, extraEnv);
      if (result.ok) return { text: result.stdout };
      return { text: '', problem: describeFailure(what, result, tree, unit, files) };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async run(unit: BuildUnit, cwd: string, home: string, extraEnv: Record<string, string>): Promise<RunResult> {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...extraEnv };
    if (unit.tool.kind === 'kustomize') {
      const k = this.config.kustomize;
      const command = await kustomizeCommand(k.command);
      if (!command) return { ok: false, why: 'spawn', code: null, stderr: '', message: 'neither kustomize nor kubectl is on PATH' };
      return runBounded({ command: [...command, '.'], cwd, env, timeoutMs: k.timeoutSeconds * 1000, maxOutputBytes: k.maxOutputBytes });
    }
    const g = unit.tool.generator;
    const source = this.options.env ?? process.env;
    for (const name of g.env) if (source[name] !== undefined) env[name] = source[name]!;
    return runBounded({ command: g.command, cwd, env, timeoutMs: g.timeoutSeconds * 1000, maxOutputBytes: g.maxOutputBytes });
  }
}

/** The diagnostic of a failed build: the tool's own words with the scratch paths taken out, at the file they name when they name one. */
function describeFailure(
  what: string,
  result: Extract<RunResult, { ok: false }>,
  tree: string,
  unit: BuildUnit,
  files: readonly BuildFile[],
): BuildProblem {
  // The message goes to the status branch: no scratch path, no klog timestamp (kubectl's "E1202 15:58:48.13 1010 run.go:72]"),
  // so the same failure is the same diagnostic on every pass.
  const stderr = result.stderr
    .split(tree + path.sep)
    .join('')
    .split(tree)
    .join('.')
    .replace(KLOG_PREFIX, '');
  const detail = stderr ? `: ${stderr.length > 2000 ? stderr.slice(0, 2000) + '…' : stderr}` : '';
  const code = result.why === 'timeout' ? 'BUILD_TIMEOUT' : result.why === 'output' ? 'BUILD_OUTPUT_LIMIT' : 'BUILD_FAILED';
  // The tool names the file it could not read or decode, from the repository root (kustomize) or from
  // the folder (a generator's working directory): point at the longest such name of the folder's files.
  const named = files
    .filter((f) => f.path !== unit.marker && isUnder(f.path, unit.folder))
    .filter((f) => stderr.includes(f.path) || mentions(stderr, unit.folder === '' ? f.path : f.path.slice(unit.folder.length + 1)))
    .sort((a, b) => b.path.length - a.path.length)[0];
  return { code, message: `${what}: ${result.message}${detail}`, file: named?.path ?? unit.marker, line: 1 };
}

/** Whether `text` names `name` as a whole path (not as the tail of a longer name). */
function mentions(text: string, name: string): boolean {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
    const before = i === 0 ? '' : text[i - 1]!;
    if (!/[\w./-]/.test(before)) return true;
  }
  return false;
}

async function runLimited(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

/** Every file of a repository in one go, expanded: what the rendering commands read. */
export async function buildSourceFiles(
  files: readonly RepositoryChange[],
  config: BuildConfig,
  options: BuilderOptions = {},
): Promise<SourceFile[]> {
  const builder = new SourceBuilder(config, options);
  await builder.update(files);
  return builder.current();
}
