// One reconcile pass over a bench fleet folder (fleet-repo.mjs's `work` repository, a directory
// target, the cache folder), shared by the benchmarks that run each pass in a new process
// (restart-bench.mjs, restart-ab.mjs): the pass in this process, and a pass in a new one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** One pass of the compiled build in `dist` over `dir`, timed from the reconciler's start; throws unless it ends Synced. */
export async function reconcilePass(dist, dir) {
  const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
  const { parseConfig } = await load('config/load.js');
  const { startReconciler } = await load('reconcile/start.js');
  const { silentLogger } = await load('log/logger.js');
  const yaml = `source: {url: "${path.join(dir, 'work')}", cacheDir: cache}\ntargets:\n  - directory: {path: rendered}\n`;
  const loaded = parseConfig(yaml, { env: {}, baseDir: dir });
  const t0 = performance.now();
  const { reconciler } = await startReconciler(loaded, { log: silentLogger() });
  const outcome = await reconciler.reconcileOnce();
  const time = performance.now() - t0;
  if (outcome.phase !== 'Synced') throw new Error(`pass ended ${outcome.phase}: ${outcome.message}`);
  return { time, outcome };
}

/**
 * `node <nodeFlags> <script> --child <args>` in a new process, after sync(1) (the last pass's
 * writes are on disk, not in the kernel's write-back queue, which the new process would be timed
 * for): the JSON of its last line of output, or null when it failed (its stderr is shown).
 */
export function passInNewProcess(script, args, nodeFlags = []) {
  spawnSync('sync', { stdio: 'ignore' });
  const r = spawnSync(process.execPath, [...nodeFlags, script, '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) {
    console.error(`${path.basename(script)} child failed (exit ${r.status ?? r.signal})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
