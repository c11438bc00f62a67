// Reconciler benchmark (issue 3). Needs the compiled dist/ (`npx tsc -p .`) and the git CLI.
//   1. fetch of one new commit: isomorphic-git (flotilla's source adapter, over smart HTTP through
//      `git http-backend`) against `git fetch` on the same served repository — target ≤ 3×;
//   2. a full reconcile of syntheticFleet(100, 5000) — 10,000 objects in the repository — into a
//      directory target with a status commit, then one-file commits — target ≤ 10% of the full
//      pass and under 1 s. The first one-file pass after the full one reschedules everything once
//      (the placements just became Karmada's `previous`), so the steady state is reported too;
//   3. the same over smart HTTP (`git http-backend`): the source fetched and the status branch
//      pushed by flotilla, as a daemon with a remote repository runs.
// Each part runs in its own child process (own heap, own RSS). Prints a table with the ratios.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { editOne, git, gitEnv, makeFleetRepo } from './fleet-repo.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLUSTERS = 100;
const WORKLOADS = 5000;
const FETCH_ROUNDS = 7;
const dist = (p) => import(path.join(ROOT, 'dist', p));

/** The git CLI without blocking the event loop: needed whenever it talks to the server in this process. */
const gitAsync = (cwd, ...args) =>
  new Promise((resolve, reject) =>
    execFile('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 26 }, (err, out, errOut) =>
      err ? reject(new Error(`git ${args.join(' ')}: ${errOut || err.message}`)) : resolve(String(out).trim()),
    ),
  );
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) =>
  x >= 10000 ? `${(x / 1000).toFixed(1)} s` : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;

/** Node http → `git http-backend` (CGI), as docs/design/libraries.md §1; no auth, pushes allowed. */
function serveGit(root) {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const env = {
      ...gitEnv,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] || '',
      REMOTE_USER: 'bench',
      REMOTE_ADDR: '127.0.0.1',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] || '',
      GIT_PROTOCOL: req.headers['git-protocol'] || '',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    const cp = spawn('git', ['http-backend'], { env });
    req.pipe(cp.stdin);
    let head = Buffer.alloc(0);
    let done = false;
    cp.stdout.on('data', (c) => {
      if (done) return void res.write(c);
      head = Buffer.concat([head, c]);
      const i = head.indexOf('\r\n\r\n');
      if (i < 0) return;
      done = true;
      let status = 200;
      const h = {};
      for (const l of head.subarray(0, i).toString().split('\r\n')) {
        const [k, ...v] = l.split(':');
        if (k.toLowerCase() === 'status') status = parseInt(v.join(':'), 10);
        else h[k] = v.join(':').trim();
      }
      res.writeHead(status, h);
      res.write(head.subarray(i + 4));
    });
    cp.stdout.on('end', () => res.end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function fetchPart() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-fetch-'));
  try {
    const { work, files } = makeFleetRepo(dir, CLUSTERS, WORKLOADS);
    const served = path.join(dir, 'served');
    fs.mkdirSync(served);
    git(dir, 'clone', '-q', '--bare', work, path.join(served, 'fleet.git'));
    git(work, 'remote', 'add', 'origin', path.join(served, 'fleet.git'));
    const server = await serveGit(served);
    const url = `http://127.0.0.1:${server.address().port}/fleet.git`;
    const { parseConfig } = await dist('config/load.js');
    const { openSourceRepository } = await dist('source/remote.js');
    const { silentLogger } = await dist('log/logger.js');
    const { config } = parseConfig(`source: {url: "${url}", cacheDir: cache}\n`, { env: {}, baseDir: dir });
    const repo = await openSourceRepository({
      source: config.source,
      credentials: null,
      log: silentLogger(),
      sleep: (t) => new Promise((r) => setTimeout(r, t)),
    });
    let t = performance.now();
    await repo.fetchSource();
    const isoClone = performance.now() - t;
    t = performance.now();
    await gitAsync(dir, 'clone', '-q', '--bare', url, 'cli.git');
    const cliClone = performance.now() - t;
    const iso = [];
    const cli = [];
    for (let round = 0; round < FETCH_ROUNDS; round++) {
      const commit = editOne(work, files[round], round);
      git(work, 'push', '-q', 'origin', 'main');
      const measureIso = async () => {
        const t0 = performance.now();
        const tip = await repo.fetchSource();
        iso.push(performance.now() - t0);
        if (tip !== commit) throw new Error(`isomorphic-git fetched ${tip}, expected ${commit}`);
      };
      const measureCli = async () => {
        const t0 = performance.now();
        await gitAsync(path.join(dir, 'cli.git'), 'fetch', '-q', 'origin', '+refs/heads/main:refs/heads/main');
        cli.push(performance.now() - t0);
      };
      // Alternate who goes first, so neither always meets a warm server.
      if (round % 2 === 0) {
        await measureIso();
        await measureCli();
      } else {
        await measureCli();
        await measureIso();
      }
    }
    server.close();
    return { isoClone, cliClone, iso: median(iso), cli: median(cli), rss: process.memoryUsage().rss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Reconciles a full pass then one-file commits; `overHttp`: the source served by `git http-backend` (fetched, status pushed). */
async function reconcilePart(overHttp) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-reconcile-'));
  let server = null;
  try {
    const { work, files } = makeFleetRepo(dir, CLUSTERS, WORKLOADS);
    let source = `{url: "${work}"}`;
    if (overHttp) {
      const served = path.join(dir, 'served');
      fs.mkdirSync(served);
      git(dir, 'clone', '-q', '--bare', work, path.join(served, 'fleet.git'));
      git(work, 'remote', 'add', 'origin', path.join(served, 'fleet.git'));
      server = await serveGit(served);
      source = `{url: "http://127.0.0.1:${server.address().port}/fleet.git", cacheDir: cache}`;
    }
    const edit = (file, round) => {
      editOne(work, file, round);
      if (overHttp) git(work, 'push', '-q', 'origin', 'main');
    };
    const { parseConfig } = await dist('config/load.js');
    const { startReconciler } = await dist('reconcile/start.js');
    const { silentLogger } = await dist('log/logger.js');
    const loaded = parseConfig(`source: ${source}\ntargets:\n  - directory: {path: rendered}\n`, { env: {}, baseDir: dir });
    const { reconciler } = await startReconciler(loaded, { log: silentLogger() });
    const pass = async () => {
      const t0 = performance.now();
      const o = await reconciler.reconcileOnce();
      const time = performance.now() - t0;
      if (o.phase !== 'Synced') throw new Error(`pass ended ${o.phase}: ${o.message}`);
      return { time, o };
    };
    const full = await pass();
    edit(files[0], 0);
    const first = await pass();
    const steady = [];
    for (let i = 1; i <= 3; i++) {
      edit(files[i * 97], i);
      steady.push(await pass());
    }
    const s = steady.sort((a, b) => a.time - b.time)[1];
    return {
      objects: files.length * 2 + 2,
      rendered: full.o.counts.created,
      full: full.time,
      fullTimings: full.o.timings,
      first: first.time,
      firstStats: first.o.renderStats,
      steady: s.time,
      steadyTimings: s.o.timings,
      steadyStats: s.o.renderStats,
      steadyCounts: s.o.counts,
      rss: process.memoryUsage().rss,
    };
  } finally {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

function child(part) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=6144', fileURLToPath(import.meta.url), '--child', part], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${part} benchmark failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (process.argv[2] === '--child') {
  const part = process.argv[3];
  const result = part === 'fetch' ? await fetchPart() : await reconcilePart(part === 'reconcile-http');
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  console.log(
    `flotilla reconcile benchmark: syntheticFleet(${CLUSTERS}, ${WORKLOADS}), ${os.cpus().length} CPUs, Node ${process.version}\n`,
  );
  const f = child('fetch');
  const r = child('reconcile');
  const h = child('reconcile-http');
  const rows = [
    ['measurement', 'time', 'ratio', 'target'],
    [
      'clone (initial): isomorphic-git / git clone',
      `${ms(f.isoClone)} / ${ms(f.cliClone)}`,
      `${(f.isoClone / f.cliClone).toFixed(1)}×`,
      '',
    ],
    ['fetch 1 new commit: isomorphic-git', ms(f.iso), `${(f.iso / f.cli).toFixed(2)}× git fetch`, '≤ 3×'],
    ['fetch 1 new commit: git fetch', ms(f.cli), '', ''],
    [`reconcile full: ${r.objects} objects → ${r.rendered} rendered`, ms(r.full), '', ''],
    ['reconcile one-file commit, first after full', ms(r.first), `${((r.first / r.full) * 100).toFixed(1)}% of full`, ''],
    ['reconcile one-file commit, steady state', ms(r.steady), `${((r.steady / r.full) * 100).toFixed(1)}% of full`, '≤ 10%, < 1 s'],
    ['over HTTP: reconcile full (status branch pushed)', ms(h.full), '', ''],
    ['over HTTP: reconcile one-file commit, steady state', ms(h.steady), `${((h.steady / h.full) * 100).toFixed(1)}% of full`, ''],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
  const stages = (t) =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ');
  console.log(`\nfull pass stages: ${stages(r.fullTimings)}`);
  console.log(`steady one-file pass stages: ${stages(r.steadyTimings)}`);
  console.log(`over HTTP: full pass stages: ${stages(h.fullTimings)}`);
  console.log(`over HTTP: steady one-file pass stages: ${stages(h.steadyTimings)}`);
  console.log(
    `steady one-file pass: ${r.steadyCounts.configured} objects rewritten; renderer reparsed ` +
      `${r.steadyStats.reparsedFiles} file, rescheduled ${r.steadyStats.rescheduled}, ` +
      `re-rendered ${r.steadyStats.rerenderedObjects}`,
  );
  console.log(`first one-file pass: renderer rescheduled ${r.firstStats.rescheduled} (the placements became Karmada's previous)`);
  const mib = (bytes) => `${Math.round(bytes / 2 ** 20)} MiB`;
  console.log(`peak RSS: fetch ${mib(f.rss)}, reconcile ${mib(r.rss)}, over HTTP ${mib(h.rss)}`);
  const okFetch = f.iso / f.cli <= 3;
  const okReconcile = r.steady / r.full <= 0.1 && r.steady < 1000;
  console.log(`\nfetch ${okFetch ? 'meets' : 'MISSES'} its target; one-file reconcile ${okReconcile ? 'meets' : 'MISSES'} its target.`);
}
