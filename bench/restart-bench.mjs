// Restart benchmark (issue 13): the reconciler at fleet scale, each pass in its own process, as a
// deploy, a crash, a shard hand-over or `reconcile --once` runs it. Needs the compiled dist/ and git.
//   1. a full first reconcile of syntheticFleet(C, W) — directory target, status branch, cache
//      folder — in a new process: its time, stage timings, peak RSS and the heap it keeps after the
//      pass (after two full collections; each pass is run with --expose-gc); then the file-creation
//      floor: the same files' sizes written by plain node, to read the write stage against;
//   2. one-file commit, then a reconcile in a NEW process with the render index the first left in
//      the cache (src/reconcile/render-index.ts): time / full, and peak RSS;
//   3. another one-file commit in a new process: the index on disk is now a commit behind (a
//      process that started from an index leaves the next write for later) and is rolled forward;
//   4. `git gc` of the repository (as maintenance repacks a remote source's cache: every object in
//      a pack), another one-file commit in a new process, the index two commits behind;
//   5. another one-file commit in a new process whose index another flotilla build with the same
//      renderer wrote (a deploy that changed only the service, the targets or the dashboard): all
//      of the index is used (rendererBuild in src/reconcile/build-identity.ts);
//   6. another one-file commit in a new process whose index a build with another renderer wrote (a
//      deploy that changed how flotilla parses, schedules or renders): its applied state is used,
//      not its parses and seeds;
//   7. the same one-file commit pass in a new process with the index deleted (what a restart cost
//      before the index): time / full.
// Default size 100 × 1,000 (a few minutes on 2 cores, with `npm run bench`);
// FLOTILLA_BENCH_SCALE=full runs the issue's 100 × 5,000. FLOTILLA_BENCH_WARM=1 runs one more
// one-file commit pass (new process, with the index) between 1 and 2: the restart then follows a
// steady pass, whose placements were scheduled with a previous result, as most restarts do.
// FLOTILLA_BENCH_SPAN=N places each policy's group on N of the 20 slots (syntheticFleet's span; 2 by
// default, 71,370 rendered objects at full scale; 6 renders 174,721, the issue's "170k rendered objects").
// FLOTILLA_BENCH_HEAP_MB=N runs every pass with V8's heap capped at N MiB (--max-old-space-size),
// as the shipped Deployment runs it. Each pass starts after sync(1), with what the passes before it
// wrote on disk (not in the kernel's write-back queue).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { editOne, git, makeFleetRepo } from './fleet-repo.mjs';
import { passInNewProcess, reconcilePass } from './reconcile-pass.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FULL = process.env.FLOTILLA_BENCH_SCALE === 'full';
const CLUSTERS = 100;
const WORKLOADS = FULL ? 5000 : 1000;
const WARM = process.env.FLOTILLA_BENCH_WARM === '1';
const SPAN = process.env.FLOTILLA_BENCH_SPAN ? Number(process.env.FLOTILLA_BENCH_SPAN) : 2;
// The V8 heap cap each pass runs with, in MiB (the shipped Deployment's NODE_OPTIONS sets one); none by default.
const HEAP_MB = process.env.FLOTILLA_BENCH_HEAP_MB ? Number(process.env.FLOTILLA_BENCH_HEAP_MB) : null;
const dist = (p) => import(path.join(ROOT, 'dist', p));

const ms = (x) =>
  Number.isNaN(x) ? 'failed' : x >= 10000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
/** A pass's peak RSS, and the heap it keeps once the pass is over (live data, not garbage). */
const memory = (pass) => (pass.failed ? 'failed' : `${mib(pass.maxRssKiB)} (${(pass.keptHeapBytes / 1e6).toFixed(1)} MB)`);
const mib = (kib) => (Number.isNaN(kib) ? 'failed' : `${Math.round(kib / 1024)} MiB`);

/** One pass in this process (the child): its outcome, time and peak RSS. */
async function passPart(dir) {
  const { time, outcome: o } = await reconcilePass(path.join(ROOT, 'dist'), dir);
  const maxRssKiB = process.resourceUsage().maxRSS;
  // What the process keeps between passes (the parent runs it with --expose-gc): the heap after two
  // full collections, measured after the pass so its time is not touched.
  globalThis.gc?.();
  globalThis.gc?.();
  return { time, timings: o.timings, counts: o.counts, stats: o.renderStats, maxRssKiB, keptHeapBytes: process.memoryUsage().heapUsed };
}

/** The render index file's modification time in the cache folder (null: none): whether a pass wrote it. */
function indexStamp(dir) {
  const cache = path.join(dir, 'cache');
  if (!fs.existsSync(cache)) return null;
  const f = fs.readdirSync(cache).find((n) => /^render-index-[0-9a-f]+\.json\.gz$/.test(n));
  return f ? fs.statSync(path.join(cache, f)).mtimeMs : null;
}

function child(dir) {
  const before = indexStamp(dir);
  const heap = HEAP_MB ? [`--max-old-space-size=${HEAP_MB}`] : [];
  const pass = passInNewProcess(fileURLToPath(import.meta.url), [dir], [...heap, '--expose-gc']);
  // A pass that ran out of heap (the cap is the point of FLOTILLA_BENCH_HEAP_MB) is a result, not the end of the bench.
  if (pass === null)
    return { failed: true, time: NaN, timings: {}, counts: { configured: NaN }, stats: null, maxRssKiB: NaN, wroteIndex: false };
  return { ...pass, wroteIndex: indexStamp(dir) !== before };
}

/**
 * What creating the full pass's files costs this machine's file system right now: the same number
 * of files, of the same sizes, in the same folders, written by plain node (fs.writeFile with a
 * callback, the cheapest of node's ways, 32 at a time through the pool the directory target uses;
 * fs.promises.writeFile before run 52) into a new folder beside them. On this
 * VM, file creation in the minute after a large delete ran 4-10x slower (BENCHMARKS.md, runs 40-41),
 * so the full pass's write stage is read against this floor, measured in the same run. The folder
 * stays until the bench ends.
 */
async function fileCreationFloor(dir) {
  const from = path.join(dir, 'rendered');
  const to = path.join(dir, 'floor');
  const files = [];
  for (const rel of fs.readdirSync(from, { recursive: true })) {
    const st = fs.lstatSync(path.join(from, String(rel)));
    if (st.isFile() && !String(rel).startsWith('.flotilla-')) files.push([String(rel), st.size]);
  }
  for (const folder of new Set(files.map(([rel]) => path.dirname(rel)))) fs.mkdirSync(path.join(to, folder), { recursive: true });
  const pad = Buffer.alloc(
    files.reduce((max, [, n]) => Math.max(max, n), 0),
    'x',
  );
  spawnSync('sync', { stdio: 'ignore' });
  const { mapLimit } = await dist('kube/limit.js');
  const t0 = performance.now();
  const create = (file, bytes) =>
    new Promise((resolve, reject) => fs.writeFile(file, bytes, { flag: 'wx' }, (e) => (e ? reject(e) : resolve())));
  await mapLimit(files, 32, ([rel, n]) => create(path.join(to, rel), pad.subarray(0, n)));
  return { time: performance.now() - t0, files: files.length, bytes: files.reduce((a, [, n]) => a + n, 0) };
}

/** The render index file in the cache folder. */
function indexFile(dir) {
  const cache = path.join(dir, 'cache');
  const f = fs.readdirSync(cache).find((n) => /^render-index-[0-9a-f]+\.json\.gz$/.test(n));
  if (!f) throw new Error('no render index in the cache folder');
  return path.join(cache, f);
}

/**
 * Makes the render index one another flotilla build wrote, as after a deploy (its checksum kept
 * valid): a build with this renderer, or with another one when `otherRenderer`.
 */
function markOtherBuild(dir, otherRenderer) {
  const file = indexFile(dir);
  const text = gunzipSync(fs.readFileSync(file)).toString('utf8');
  const nl = text.indexOf('\n');
  const doc = JSON.parse(text.slice(nl + 1));
  doc.seeds.flotilla = '0.0.0-previous';
  if (otherRenderer) doc.seeds.rendering = 'renderer:0000000000000000';
  const body = JSON.stringify(doc);
  const header = { ...JSON.parse(text.slice(0, nl)), sha256: createHash('sha256').update(body).digest('hex') };
  fs.writeFileSync(file, gzipSync(`${JSON.stringify(header)}\n${body}`, { level: 1 }));
}

/** Removes the render index from the cache folder (a restart as it was before the index). */
function dropIndex(dir) {
  const cache = path.join(dir, 'cache');
  let n = 0;
  for (const f of fs.readdirSync(cache, { recursive: true })) {
    if (/render-index-[0-9a-f]+\.json\.gz$/.test(String(f))) {
      fs.rmSync(path.join(cache, String(f)));
      n++;
    }
  }
  if (n === 0) throw new Error('no render index in the cache folder');
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await passPart(process.argv[3])) + '\n');
} else {
  const cap = HEAP_MB ? `, heap capped at ${HEAP_MB} MiB` : '';
  const size = `syntheticFleet(${CLUSTERS}, ${WORKLOADS}, {span: ${SPAN}})`;
  const load = os.loadavg()[0].toFixed(2);
  console.log(`flotilla restart benchmark: ${size}, ${os.cpus().length} CPUs, Node ${process.version}${cap}, load average ${load}\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-restart-'));
  try {
    const { work, files } = makeFleetRepo(dir, CLUSTERS, WORKLOADS, { span: SPAN });
    const full = child(dir);
    if (full.failed) throw new Error('the full first reconcile failed: nothing to measure the restarts against');
    const floor = await fileCreationFloor(dir);
    const written = fs.readFileSync(indexFile(dir));
    const indexSize = `${(gunzipSync(written).length / 1e6).toFixed(1)} MB (${(written.length / 1e6).toFixed(1)} MB gzipped)`;
    let warm = null;
    if (WARM) {
      editOne(work, files[50], 0);
      warm = child(dir);
    }
    editOne(work, files[0], 0);
    const restart = child(dir);
    editOne(work, files[33], 0);
    const rolled = child(dir);
    git(work, 'gc', '-q');
    editOne(work, files[75], 0);
    const packed = child(dir);
    editOne(work, files[42], 0);
    markOtherBuild(dir, false);
    const service = child(dir);
    editOne(work, files[61], 0);
    markOtherBuild(dir, true);
    const deploy = child(dir);
    editOne(work, files[97], 1);
    dropIndex(dir);
    const cold = child(dir);
    const ratio = (pass) => (pass.failed ? 'failed' : `${(pass.time / full.time).toFixed(3)}× full`);
    const stages = (t) =>
      Object.entries(t)
        .map(([k, v]) => `${k} ${ms(v)}`)
        .join(', ');
    const rows = [
      ['measurement', 'time', 'peak RSS (heap kept after the pass)', 'ratio'],
      [`full first reconcile (${full.counts.created} objects), new process`, ms(full.time), memory(full), ''],
      ['restart, then one-file commit, with the render index', ms(restart.time), memory(restart), ratio(restart)],
      ['restart again, one-file commit, index a commit behind (rolled forward)', ms(rolled.time), memory(rolled), ratio(rolled)],
      [
        'restart after git gc (all objects packed), one-file commit, index two commits behind',
        ms(packed.time),
        memory(packed),
        ratio(packed),
      ],
      [
        'deploy of a build with the same renderer (index of another build), then one-file commit',
        ms(service.time),
        memory(service),
        ratio(service),
      ],
      ['deploy of a build with another renderer, then one-file commit', ms(deploy.time), memory(deploy), ratio(deploy)],
      ['restart, then one-file commit, index deleted', ms(cold.time), memory(cold), ratio(cold)],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    for (const [i, row] of rows.entries()) {
      console.log(`| ${row.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`);
      if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    }
    console.log(`\nfull pass stages: ${stages(full.timings)}`);
    const floorRatio = (full.timings.write / floor.time).toFixed(2);
    console.log(
      `file-creation floor right after it: ${floor.files} files (${(floor.bytes / 1e6).toFixed(1)} MB) written by plain node in ` +
        `${ms(floor.time)}; the full pass's write stage (objects pack, then these files) took ${floorRatio}× that`,
    );
    console.log(`render index after the full pass: ${indexSize}`);
    const wrote = { full, warm, restart, rolled, packed, service, deploy, cold };
    console.log(
      `passes that wrote the render index: ${
        Object.keys(wrote)
          .filter((k) => wrote[k]?.wroteIndex)
          .join(', ') || 'none'
      }`,
    );
    // A pass that failed (out of a capped heap) has no stages to print: its line says so.
    const detail = (pass, extra = '') =>
      pass.failed ? 'failed (its error is above)' : `${stages(pass.timings)}; ${extra}render ${JSON.stringify(pass.stats)}`;
    console.log(`restart pass stages (index): ${detail(restart, `rewritten ${restart.counts.configured}, `)}`);
    console.log(`restart pass stages (index a commit behind): ${detail(rolled)}`);
    console.log(`restart pass stages (after git gc): ${detail(packed)}`);
    console.log(`deploy pass stages (same renderer): ${detail(service)}`);
    console.log(`deploy pass stages (another renderer): ${detail(deploy)}`);
    console.log(`restart pass stages (no index): ${detail(cold)}`);
    if (warm) console.log(`warm-up pass (before the restart): ${warm.failed ? detail(warm) : `${ms(warm.time)}, ${detail(warm)}`}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
