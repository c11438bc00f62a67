// Restart A/B: two builds' restarts, alternating, on one synthetic fleet — each pass in its own
// process, as bench/restart-bench.mjs runs them. One run of that bench moves a restart by up to
// 0.7 s between runs of the same code (BENCHMARKS.md, runs 58–62); alternating the two builds in
// one run, several restarts each, is what tells a change of a tenth of a second apart.
//
//   node bench/restart-ab.mjs <distA> <distB>
//
// distA, distB: compiled dist/ folders of two commits, each in a checkout with its node_modules and
// package-lock.json (the renderer build is read from them), e.g. for the commit before a change:
//   git worktree add .tmp/base <commit> && (cd .tmp/base && npm ci && npm run build)
//   node bench/restart-ab.mjs .tmp/base/dist dist
// Not part of `npm run bench` (it needs two builds). Environment: FLOTILLA_BENCH_WORKLOADS (5,000),
// FLOTILLA_BENCH_SPAN (6: 174,721 rendered objects at 5,000 workloads), FLOTILLA_BENCH_HEAP_MB (448,
// the shipped cap), FLOTILLA_BENCH_ROUNDS (2), FLOTILLA_BENCH_RESTARTS (4, per build and round).
//
// A full first reconcile with distA, then each round, for each build in turn: one pass that leaves
// that build's own render index (the other build's may be of another renderer, which a pass
// rebuilds: not a restart), then RESTARTS restarts, each after a one-file commit. Prints every
// restart, then per build the mean and range of the pass and of each stage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { editOne, makeFleetRepo } from './fleet-repo.mjs';
import { passInNewProcess, reconcilePass } from './reconcile-pass.mjs';

const WORKLOADS = Number(process.env.FLOTILLA_BENCH_WORKLOADS ?? 5000);
const SPAN = Number(process.env.FLOTILLA_BENCH_SPAN ?? 6);
const HEAP_MB = Number(process.env.FLOTILLA_BENCH_HEAP_MB ?? 448);
const ROUNDS = Number(process.env.FLOTILLA_BENCH_ROUNDS ?? 2);
const RESTARTS = Number(process.env.FLOTILLA_BENCH_RESTARTS ?? 4);

/** One pass of the build in `dist` over the fleet folder `dir`, in this process (the child). */
async function passPart(dist, dir) {
  const { time, outcome } = await reconcilePass(dist, dir);
  return { time, timings: outcome.timings, maxRssKiB: process.resourceUsage().maxRSS };
}

/** A pass of the build in `dist` in a new process, with the shipped heap cap. */
function child(dist, dir) {
  const pass = passInNewProcess(fileURLToPath(import.meta.url), [dist, dir], [`--max-old-space-size=${HEAP_MB}`]);
  if (pass === null) throw new Error(`pass of ${dist} failed`);
  return pass;
}

const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const summary = (values) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${fmt(mean)} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
};

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await passPart(path.resolve(process.argv[3]), process.argv[4])) + '\n');
} else {
  const builds = process.argv.slice(2, 4).map((d) => path.resolve(d));
  if (builds.length !== 2 || !builds.every((d) => fs.existsSync(path.join(d, 'reconcile', 'start.js'))))
    throw new Error('usage: node bench/restart-ab.mjs <distA> <distB> (two compiled dist/ folders)');
  const size = `syntheticFleet(100, ${WORKLOADS}, {span: ${SPAN}})`;
  console.log(`flotilla restart A/B: ${size}, ${os.cpus().length} CPUs, Node ${process.version}, heap ${HEAP_MB} MiB`);
  console.log(`A = ${builds[0]}\nB = ${builds[1]}\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-restart-ab-'));
  try {
    const { work, files } = makeFleetRepo(dir, 100, WORKLOADS, { span: SPAN });
    const full = child(builds[0], dir);
    console.log(`full first reconcile (A): ${fmt(full.time)}`);
    let edits = 0;
    const commit = () => editOne(work, files[(edits * 37) % files.length], edits++);
    const restarts = builds.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [b, dist] of builds.entries()) {
        commit();
        child(dist, dir); // leaves this build's own index
        for (let i = 0; i < RESTARTS; i++) {
          commit();
          const pass = child(dist, dir);
          restarts[b].push(pass);
          const stages = Object.entries(pass.timings)
            .map(([k, v]) => `${k} ${Math.round(v)}`)
            .join(', ');
          console.log(`round ${round + 1} ${'AB'[b]}: ${fmt(pass.time)}, peak ${Math.round(pass.maxRssKiB / 1024)} MiB (${stages} ms)`);
        }
      }
    }
    console.log('');
    const stageNames = Object.keys(restarts[0][0].timings);
    for (const [b, list] of restarts.entries()) {
      const stages = stageNames.map((s) => `${s} ${summary(list.map((p) => p.timings[s] ?? 0))}`).join(', ');
      console.log(`${'AB'[b]}: ${list.length} restarts, pass ${summary(list.map((p) => p.time))}; ${stages}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
