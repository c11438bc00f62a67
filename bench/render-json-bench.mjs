// npm run bench (render JSON part) — `flotilla render --format json` against the parse floor, both
// as whole processes on the same 100-cluster × 2,000-workload fleet written to a directory:
//   parse floor  — a process that reads every *.yaml file and parses it with flotilla's options, nothing else;
//   render json  — `node bin/flotilla.js render --repo DIR --format json`, stdout to a file.
// Rounds alternate the two so machine load hits both alike. Each process reports its own CPU time and
// peak RSS at exit (loaded with --import); medians of wall and CPU time, and their ratios (goal ≤ 2.5×).
// CPU time moves less than wall time when other work shares the machine. Also prints the output's
// size and SHA-256, so a change that must keep the bytes can be checked against a run before it.
// Run after `npm run build`; results go to BENCHMARKS.md by hand with the command.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { syntheticFleet } from './synthetic-fleet.mjs';

const CLUSTERS = 100;
const WORKLOADS = 2000;
const ROUNDS = 5;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** The parse floor's child: read and parse every YAML file under `dir`, as flotilla's loader does. */
async function parseOnly(dir) {
  const { LineCounter, parseAllDocuments } = await import('yaml');
  let docs = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.yaml')) continue;
    const text = readFileSync(path.join(e.parentPath, e.name), 'utf8');
    const lineCounter = new LineCounter();
    for (const d of parseAllDocuments(text, { version: '1.1', lineCounter, uniqueKeys: true, logLevel: 'error' })) {
      d.toJS({ maxAliasCount: 100 });
      docs++;
    }
  }
  console.log(docs);
}

/** Loaded with --import into each measured process: its CPU time and peak RSS, printed to stderr at exit. */
const USAGE_REPORTER = `process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write('\\nUSAGE ' + JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMiB: u.maxRSS / 1024 }) + '\\n');
});
`;

/** One child process with stdout to `outFile`: wall time, CPU time (user + system) and peak RSS. */
function run(reporter, args, outFile) {
  const fd = openSync(outFile, 'w');
  try {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', reporter, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    const wallMs = performance.now() - t;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { wallMs, ...JSON.parse(/USAGE (.*)/.exec(r.stderr)[1]) };
  } finally {
    closeSync(fd);
  }
}

const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

if (process.argv[2] === '--parse') {
  await parseOnly(process.argv[3]);
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-render-json-bench-'));
  try {
    const fleet = path.join(dir, 'fleet');
    for (const f of syntheticFleet(CLUSTERS, WORKLOADS)) {
      const p = path.join(fleet, f.path);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, f.text);
    }
    const reporter = pathToFileURL(path.join(dir, 'usage.mjs')).href;
    writeFileSync(new URL(reporter), USAGE_REPORTER);
    const out = path.join(dir, 'render.json');
    const parse = [];
    const render = [];
    for (let round = 0; round < ROUNDS; round++) {
      parse.push(run(reporter, [fileURLToPath(import.meta.url), '--parse', fleet], path.join(dir, 'parse.out')));
      render.push(run(reporter, [path.join(ROOT, 'bin/flotilla.js'), 'render', '--repo', fleet, '--format', 'json'], out));
    }
    const bytes = readFileSync(out);
    const m = (runs, key) => median(runs.map((x) => x[key]));
    console.log(
      `render --format json benchmark (node ${process.version}, ${CLUSTERS} clusters × ${WORKLOADS} workloads, whole processes, ` +
        `median of ${ROUNDS}, alternating)\n`,
    );
    console.log('| process | wall ms | CPU ms (user + system) | peak RSS MiB |');
    console.log('|---|---|---|---|');
    console.log(`| parse floor | ${m(parse, 'wallMs').toFixed(0)} | ${m(parse, 'cpuMs').toFixed(0)} | ${m(parse, 'rssMiB').toFixed(0)} |`);
    console.log(
      `| render --format json | ${m(render, 'wallMs').toFixed(0)} | ${m(render, 'cpuMs').toFixed(0)} | ${m(render, 'rssMiB').toFixed(0)} |`,
    );
    const wallRatio = ratio(m(render, 'wallMs'), m(parse, 'wallMs'));
    console.log(`| render json / parse floor | ${wallRatio} | ${ratio(m(render, 'cpuMs'), m(parse, 'cpuMs'))} | |`);
    const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    console.log(`\noutput: ${(bytes.length / 1048576).toFixed(1)} MiB, sha256 ${sha}…`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
