// Shared set-up of the reconciler tests: configs, a clock that never really sleeps, a file
// system that counts writes, a logger that keeps its lines.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { Clock } from '../../src/reconcile/reconciler.js';
import { startReconciler } from '../../src/reconcile/start.js';
import { nodeTargetFs, type TargetFs } from '../../src/targets/fs.js';
import { INVENTORY_FILE, INVENTORY_JOURNAL } from '../../src/targets/directory.js';
import { decodeGunzipped, RENDER_INDEX_VERSION, renderIndexFile, type RenderIndex } from '../../src/reconcile/render-index.js';
import { treeOidOfFiles } from '../../src/source/tree-oid.js';
import { stateObjects, type AppliedState } from '../../src/state/change-set.js';
import { configMapYaml, duplicatedFleet } from '../helpers/fleet.js';
import { makeRepo, makeTempDir } from '../helpers/git.js';

/** A clock at a fixed start that advances by what it is asked to sleep, plus 1 s per reading step. */
export function fakeClock(start = Date.UTC(2024, 0, 1)): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => (now += 1000),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** The real file system, counting manifest writes and deletes (the inventory file aside). */
export function countingFs(): TargetFs & { writes: string[]; removals: string[]; reset(): void } {
  const writes: string[] = [];
  const removals: string[] = [];
  return {
    writes,
    removals,
    reset() {
      writes.length = 0;
      removals.length = 0;
    },
    ...nodeTargetFs,
    async writeFile(file, text) {
      if (!file.includes(INVENTORY_FILE) && !file.includes(INVENTORY_JOURNAL)) writes.push(file);
      await nodeTargetFs.writeFile(file, text);
    },
    async removeFile(file) {
      removals.push(file);
      await nodeTargetFs.removeFile(file);
    },
  };
}

/** A logger whose JSON lines are kept in `lines`. */
export function captureLogger(secrets: string[] = []): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ json: true, write: (l) => lines.push(l), secrets, level: 'debug' }), lines };
}

/** Parses a config given as YAML text; relative paths resolve against `baseDir`. */
export function configFrom(text: string, baseDir: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return parseConfig(text, { env, baseDir });
}

/** A reconciler over `config`, with the fake clock and counting fs. */
export async function reconcilerFor(loaded: LoadedConfig, extra: { clock?: Clock; fs?: TargetFs; log?: Logger } = {}) {
  const clock = extra.clock ?? fakeClock();
  const fsAdapter = extra.fs ?? countingFs();
  const log = extra.log ?? captureLogger().log;
  const { reconciler, git } = await startReconciler(loaded, { log, fs: fsAdapter, clock });
  return { reconciler, git, clock, fs: fsAdapter, log };
}

/** Every file under `dir` (relative posix paths → text), the inventory left out. */
export async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.name !== INVENTORY_FILE && e.name !== INVENTORY_JOURNAL)
        out[path.relative(dir, abs).split(path.sep).join('/')] = await fs.readFile(abs, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

/** The seed fleet's files (fixtures/seed) as a path → text map for commitFiles. */
export async function seedFiles(): Promise<Record<string, string>> {
  const dir = path.resolve(import.meta.dirname, '../../fixtures/seed');
  const out: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) out[name] = await fs.readFile(path.join(dir, name), 'utf8');
  return out;
}

/**
 * A reconcile config for `dir` with one kubernetes target over `kubeconfig`: 2 s request timeouts and
 * failover after a 1 s toleration, so failover tests run in seconds. `failoverExtra` is appended to
 * the failover block (e.g. `rebalanceOnRecovery: true`).
 */
export function kubernetesConfigYaml(dir: string, kubeconfig: string, failoverExtra = ''): string {
  return `source: {url: ${dir}, cacheDir: cache}
targets:
  - kubernetes:
      kubeconfig: ${kubeconfig}
      timeoutSeconds: 2
      failover: {failureThresholdSeconds: 0, tolerationSeconds: 1, recoveryThresholdSeconds: 0${failoverExtra ? `, ${failoverExtra}` : ''}}
`;
}

/** A ConfigMap `name` whose one data value is `value` (commits change it to make one-file edits). */
export const versionedConfigMap = (name: string, value: string) => configMapYaml(name).replace('{k: v}', `{k: ${value}}`);

/**
 * A new folder holding `repo/` (`count` ConfigMaps cm-0… at v1, duplicated to `clusters`) and a
 * flotilla.yaml rendering it into `out/` with its cache in `cache/`. The paths are relative to the
 * folder, so a copy of it is byte for byte the same fleet (the render index tests compare passes
 * over a folder and its copy).
 */
export async function configMapFleetFolder(clusters: readonly string[], count: number, prefix: string): Promise<string> {
  const files: Record<string, string> = { 'fleet.yaml': duplicatedFleet(clusters) };
  for (let i = 0; i < count; i++) files[`cm-${i}.yaml`] = versionedConfigMap(`cm-${i}`, 'v1');
  const repo = await makeRepo(files);
  const base = await makeTempDir(prefix);
  await fs.rename(repo.dir, path.join(base, 'repo'));
  await fs.writeFile(path.join(base, 'flotilla.yaml'), 'source: {url: ./repo, cacheDir: cache}\ntargets:\n  - directory: {path: out}\n');
  return base;
}

/** A copy of a fleet folder (configMapFleetFolder): the same fleet, for a pass to compare with. */
export async function copyOf(base: string): Promise<string> {
  const copy = await makeTempDir('flotilla-index-copy-');
  await fs.cp(base, copy, { recursive: true });
  return copy;
}

/** The render index file of a fleet folder made by configMapFleetFolder. */
export function indexPath(base: string): string {
  return renderIndexFile(path.join(base, 'cache'), { url: './repo', branch: 'main', path: '' }, 'flotilla-status');
}

/** A copy of a fleet folder without its render index: a restart as it was before the index, to compare passes with. */
export async function copyWithoutIndex(base: string): Promise<string> {
  const copy = await copyOf(base);
  await fs.rm(indexPath(copy));
  return copy;
}

/** A render index file's text with a valid header for `body` (what another writer, or one with a bug, could leave). */
export function indexFileText(body: string, version = RENDER_INDEX_VERSION): string {
  const sha256 = createHash('sha256').update(body).digest('hex');
  return `${JSON.stringify({ format: 'flotilla.dev/render-index', version, sha256 })}\n${body}`;
}

/** The render index file of a fleet folder as text: its header line and its document (JSON). */
export async function readIndexFile(base: string): Promise<{ header: string; body: string }> {
  const text = gunzipSync(await fs.readFile(indexPath(base))).toString('utf8');
  const nl = text.indexOf('\n');
  return { header: text.slice(0, nl), body: text.slice(nl + 1) };
}

/** The index in a render index file's bytes, as a restart reads it (gunzipped, then decoded), or why it is not one. */
export function decodeIndexFile(data: Buffer): RenderIndex | { problem: string } {
  return decodeGunzipped(gunzipSync(data));
}

/** Replaces a fleet folder's render index with `body` under a valid header (indexFileText). */
export async function writeIndexBody(base: string, body: string): Promise<void> {
  await fs.writeFile(indexPath(base), gzipSync(indexFileText(body)));
}

/** The manifests/ tree an index over `state` names (null: no objects): encodeRenderIndex writes an index only for its very files. */
export function manifestsTreeOf(state: AppliedState): string | null {
  const files = [...stateObjects(state)].map((o) => [o.path, o.oid] as const);
  return files.length === 0 ? null : treeOidOfFiles(files);
}
