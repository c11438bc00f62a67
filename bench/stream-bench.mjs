// npm run bench (streaming part, issue 13) — `flotilla validate` and `flotilla render` rendering a
// cluster at a time, as whole processes on synthetic fleets written to a directory:
//   validate, two sizes     — the same cluster count, workloads ×4: CPU time per rendered object at
//                             both sizes (their ratio near 1 is time linear in objects) and peak RSS;
//   whole render, large size — a process that renders the whole fleet at once (renderFleet then
//                             withScope, every object in memory: what validate did before) and counts
//                             the objects: the peak RSS validate no longer pays;
//   render --format json / yaml / --out, large size — peak RSS of the streamed outputs.
// Each process reports its CPU time and peak RSS at exit (loaded with --import). One round per row:
// the point is the ratios within a run. Default sizes keep `npm run bench` short on 2 cores;
// FLOTILLA_BENCH_SCALE=full runs issue 13's sizes (1,000 clusters × 2,500 and 10,000 workloads, each
// policy on 6 of the 20 slots: 3.0M rendered objects at 10,000 workloads), which takes many minutes.
// Run after `npm run build`; results go to BENCHMARKS.md by hand with the command.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticFleet } from './synthetic-fleet.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FULL = process.env.FLOTILLA_BENCH_SCALE === 'full';
const SIZES = FULL ? { clusters: 1000, small: 2500, large: 10000, span: 6 } : { clusters: 200, small: 500, large: 2000, span: 6 };

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

/** One child process, stdout kept (or to /dev/null): wall time, CPU time and peak RSS. */
function run(reporter, args, keepStdout = true) {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', reporter, ...args], {
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wallMs, stdout: r.stdout ?? '', ...JSON.parse(/USAGE (.*)/.exec(r.stderr)[1]) };
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
    const small = path.join(dir, 'small');
    const large = path.join(dir, 'large');
    writeFleet(small, SIZES.small);
    writeFleet(large, SIZES.large);
    const bin = path.join(ROOT, 'bin/flotilla.js');
    const rows = [];
    const row = (what, size, r, objects) => rows.push({ what, size, objects, ...r });
    const vs = run(reporter, [bin, 'validate', '--repo', small]);
    row('validate', SIZES.small, vs, objectsOf(vs.stdout));
    const vl = run(reporter, [bin, 'validate', '--repo', large]);
    row('validate', SIZES.large, vl, objectsOf(vl.stdout));
    const whole = run(reporter, [fileURLToPath(import.meta.url), '--whole', large]);
    row('whole render in memory (before)', SIZES.large, whole, Number(whole.stdout.trim()));
    const objects = objectsOf(vl.stdout);
    row('render --format json', SIZES.large, run(reporter, [bin, 'render', '--repo', large, '--format', 'json'], false), objects);
    row('render (yaml)', SIZES.large, run(reporter, [bin, 'render', '--repo', large], false), objects);
    const out = path.join(dir, 'out');
    row('render --out', SIZES.large, run(reporter, [bin, 'render', '--repo', large, '--out', out], false), objects);

    console.log(
      `streaming benchmark (node ${process.version}, ${SIZES.clusters} clusters, policies on ${SIZES.span} of 20 slots, ` +
        `whole processes, one run${FULL ? ', FLOTILLA_BENCH_SCALE=full' : ''})\n`,
    );
    console.log('| process | workloads | rendered objects | wall ms | CPU ms | CPU µs per object | peak RSS MiB |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const perObject = ((r.cpuMs * 1000) / r.objects).toFixed(1);
      console.log(
        `| ${r.what} | ${r.size} | ${r.objects} | ${r.wallMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${perObject} | ${r.rssMiB.toFixed(0)} |`,
      );
    }
    const per = (r) => r.cpuMs / r.objects;
    console.log(`\nvalidate CPU per object, large / small: ${(per(rows[1]) / per(rows[0])).toFixed(2)}× (1.00× is linear)`);
    console.log(`validate peak RSS / whole render's, large: ${(rows[1].rssMiB / rows[2].rssMiB).toFixed(2)}×`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
