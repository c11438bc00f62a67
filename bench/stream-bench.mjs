// npm run bench (streaming part, issue 13) — `flotilla validate` and `flotilla render` rendering a
// cluster at a time, as whole processes on synthetic fleets written to a directory:
//   validate, three sizes   — the same clusters and policies with no workload (the fixed cost of a
//                             process), then two sizes (workloads ×4): CPU time per rendered object
//                             over the fixed cost at both (their ratio near 1 is time linear in
//                             objects) and peak RSS;
//   whole render, large size — a process that renders the whole fleet at once (renderFleet then
//                             withScope, every object in memory: what validate did before) and counts
//                             the objects: the peak RSS validate no longer pays;
//   render --format json / yaml / --out, large size — peak RSS of the streamed outputs.
// Each process reports its CPU time and peak RSS at exit (loaded with --import). One round per row:
// the point is the ratios within a run. Default sizes keep `npm run bench` short on 2 cores;
// FLOTILLA_BENCH_SCALE=full runs issue 13's sizes (1,000 clusters × 2,500 and 10,000 workloads, each
// policy on 6 of the 20 slots: about 3M rendered objects at 10,000 workloads) for validate, the whole
// render and render --format json only, which takes many minutes (FLOTILLA_BENCH_ONLY=validate: validate only).
// Run after `npm run build`; results go to BENCHMARKS.md by hand with the command.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticFleet } from './synthetic-fleet.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FULL = process.env.FLOTILLA_BENCH_SCALE === 'full';
/** FLOTILLA_BENCH_ONLY=validate: the three validate rows alone (a full-size run in minutes, not half an hour). */
const ONLY_VALIDATE = process.env.FLOTILLA_BENCH_ONLY === 'validate';
const SIZES = FULL
  ? { clusters: 1000, base: 0, small: 2500, large: 10000, span: 6 }
  : { clusters: 200, base: 0, small: 500, large: 2000, span: 6 };

/** Loaded with --import into each measured process: its CPU time and peak RSS, printed to stderr at exit. */
const USAGE_REPORTER = `process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write('\\nUSAGE ' + JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMiB: u.maxRSS / 1024 }) + '\\n');
});
`;

/** The whole render in one process, every object held (the path validate took before issue 13). */
async function wholeRender(dir) {
  const { readFleetDirectory } = await import('../dist/load/files.js');
  const { renderFleet } = await import('../dist/render/render-fleet.js');
  const { withScope } = await import('../dist/validate/scope.js');
  const { defaultScope } = await import('../dist/config/scope.js');
  const r = withScope(renderFleet({ files: await readFleetDirectory(dir), revision: 'worktree' }), defaultScope());
  console.log(Object.values(r.manifests).reduce((n, l) => n + l.length, 0));
}

/**
 * One child process, stdout kept (or to /dev/null): wall time, CPU time and peak RSS; `failed`, with
 * its stderr's last line, when it did not exit 0.
 */
function run(reporter, args, keepStdout = true) {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', reporter, ...args], {
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const wallMs = performance.now() - t;
  const usage = /USAGE (.*)/.exec(r.stderr ?? '');
  const failed =
    r.status === 0
      ? null
      : `exit ${r.status ?? r.signal}: ${(r.stderr ?? '')
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('USAGE'))
          .at(-1)}`;
  return { wallMs, stdout: r.stdout ?? '', failed, ...(usage ? JSON.parse(usage[1]) : { cpuMs: NaN, rssMiB: NaN }) };
}

function writeFleet(dir, workloads) {
  for (const f of syntheticFleet(SIZES.clusters, workloads, { span: SIZES.span })) {
    const p = path.join(dir, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, f.text);
  }
}

const objectsOf = (validateOut) => Number(/, (\d+) rendered objects/.exec(validateOut)[1]);

if (process.argv[2] === '--whole') {
  await wholeRender(process.argv[3]);
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-stream-bench-'));
  try {
    const reporter = pathToFileURL(path.join(dir, 'usage.mjs')).href;
    writeFileSync(new URL(reporter), USAGE_REPORTER);
    const fleets = {};
    for (const size of ['base', 'small', 'large']) writeFleet((fleets[size] = path.join(dir, size)), SIZES[size]);
    const bin = path.join(ROOT, 'bin/flotilla.js');
    const rows = [];
    const row = (what, size, r, objects) => rows.push({ what, size: SIZES[size], objects, ...r });
    // The fixed cost of a process (Node, the modules, the clusters and policies): the per-object figures leave it out.
    for (const size of ['base', 'small', 'large']) {
      const r = run(reporter, [bin, 'validate', '--repo', fleets[size]]);
      row('validate', size, r, objectsOf(r.stdout));
    }
    const objects = rows[2].objects;
    const whole = ONLY_VALIDATE ? null : run(reporter, [fileURLToPath(import.meta.url), '--whole', fleets.large]);
    if (whole) row('whole render in memory (before)', 'large', whole, objects);
    if (!ONLY_VALIDATE)
      row('render --format json', 'large', run(reporter, [bin, 'render', '--repo', fleets.large, '--format', 'json'], false), objects);
    if (!FULL && !ONLY_VALIDATE) {
      row('render (yaml)', 'large', run(reporter, [bin, 'render', '--repo', fleets.large], false), objects);
      row('render --out', 'large', run(reporter, [bin, 'render', '--repo', fleets.large, '--out', path.join(dir, 'out')], false), objects);
    }

    console.log(
      `streaming benchmark (node ${process.version}, ${SIZES.clusters} clusters, policies on ${SIZES.span} of 20 slots, ` +
        `whole processes, one run${FULL ? ', FLOTILLA_BENCH_SCALE=full' : ''})\n`,
    );
    const base = rows[0];
    console.log('| process | workloads | rendered objects | wall ms | CPU ms | CPU µs per object over the fixed cost | peak RSS MiB |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const perObject = r === base ? '(fixed cost)' : (((r.cpuMs - base.cpuMs) * 1000) / (r.objects - base.objects)).toFixed(1);
      const rss = r.failed ? `${r.failed}` : r.rssMiB.toFixed(0);
      console.log(`| ${r.what} | ${r.size} | ${r.objects} | ${r.wallMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${perObject} | ${rss} |`);
    }
    const rssOver = (r) => r.rssMiB - base.rssMiB;
    const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
    const per = (r) => (r.cpuMs - base.cpuMs) / (r.objects - base.objects);
    console.log(
      `\nvalidate CPU per object over the fixed cost, large / small: ${(per(rows[2]) / per(rows[1])).toFixed(2)}× (1.00× is linear)`,
    );
    console.log(`validate peak RSS over the fixed cost's, large / small: ${(rssOver(rows[2]) / rssOver(rows[1])).toFixed(2)}×`);
    if (whole) {
      const wholeRss = whole.failed ? `the whole render ${whole.failed}` : ratio(rows[2].rssMiB, whole.rssMiB);
      console.log(`validate peak RSS / whole render's, large: ${wholeRss}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
