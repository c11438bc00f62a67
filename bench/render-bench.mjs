// npm run bench — render performance on synthetic fleets (issue: render engine).
// For each size it runs a child process (so peak RSS is that size's own) that measures, in one run:
//   parse floor  — parsing the same YAML with the same options, nothing else;
//   full render  — renderFleet: load, model, claim, schedule, override, render;
//   scheduling   — scheduleResource over every resource of the built model, per workload;
//   schema check — checkBuiltinKinds (part of the full render) alone, over every resource of the model;
//   peak RSS     — a separate process that renders once, as `flotilla render` does.
// Prints a table and the ratios; results go to BENCHMARKS.md by hand with the command.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseAllDocuments } from 'yaml';
import { syntheticFleet } from './synthetic-fleet.mjs';

const SIZES = [
  { clusters: 100, workloads: 2000 },
  { clusters: 100, workloads: 10000 },
];
const ROUNDS = 3;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(clusters, workloads) {
  const { renderFleet } = await import('../dist/render/render-fleet.js');
  const { parseFleetFiles, makeFieldLocator } = await import('../dist/load/parse.js');
  const { buildFleetModel } = await import('../dist/fleet/build.js');
  const { DiagnosticSink } = await import('../dist/model/diagnostics.js');
  const { buildClaimIndex, claimResource } = await import('../dist/placement/claim.js');
  const { scheduleResource } = await import('../dist/placement/schedule.js');
  const { checkBuiltinKinds } = await import('../dist/validate/builtin-schema.js');

  const files = syntheticFleet(clusters, workloads);
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  const parseTimes = [];
  const renderTimes = [];
  const scheduleTimes = [];
  const schemaTimes = [];
  let result;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    let docs = 0;
    for (const f of files) {
      const lineCounter = new LineCounter();
      for (const d of parseAllDocuments(f.text, { version: '1.1', lineCounter, uniqueKeys: true, logLevel: 'error' })) {
        d.toJS({ maxAliasCount: 100 });
        docs++;
      }
    }
    parseTimes.push(performance.now() - t);

    t = performance.now();
    result = renderFleet({ files, revision: 'worktree' });
    renderTimes.push(performance.now() - t);

    const sink = new DiagnosticSink(makeFieldLocator(files));
    const model = buildFleetModel(parseFleetFiles(files, sink), sink);
    const index = buildClaimIndex(model);
    const claims = model.resources.map((r) => [r, claimResource(index, r)]);
    t = performance.now();
    for (const [resource, claim] of claims) {
      if (claim.kind !== 'policy') continue;
      scheduleResource({ resource, placement: claim.policy.placement, policy: claim.policy, clusters: model.clusters });
    }
    scheduleTimes.push(performance.now() - t);

    t = performance.now();
    checkBuiltinKinds(model.resources, new DiagnosticSink());
    schemaTimes.push(performance.now() - t);
    void docs;
  }
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const objects = Object.values(result.manifests).reduce((n, l) => n + l.length, 0);
  const schedulable = result.placements.length;
  const resources = result.model.resources.length;
  return {
    clusters,
    workloads,
    files: files.length,
    megabytes: +(bytes / 1048576).toFixed(1),
    placements: schedulable,
    renderedObjects: objects,
    errorDiagnostics: errors.length,
    firstError: errors[0]?.message ?? null,
    parseMs: +median(parseTimes).toFixed(0),
    renderMs: +median(renderTimes).toFixed(0),
    renderOverParse: +(median(renderTimes) / median(parseTimes)).toFixed(2),
    scheduleMsPerResource: +(median(scheduleTimes) / schedulable).toFixed(4),
    schemaMs: +median(schemaTimes).toFixed(0),
    schemaMsPerResource: +(median(schemaTimes) / resources).toFixed(4),
  };
}

/** Peak RSS of one render, in a process that does nothing else. */
async function peak(clusters, workloads) {
  const { renderFleet } = await import('../dist/render/render-fleet.js');
  const files = syntheticFleet(clusters, workloads);
  const result = renderFleet({ files, revision: 'worktree' });
  return { peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0), placements: result.placements.length };
}

function child(mode, s) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), mode, String(s.clusters), String(s.workloads)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (process.argv[2] === '--child') {
  const [clusters, workloads] = process.argv.slice(3).map(Number);
  console.log(JSON.stringify(await measure(clusters, workloads)));
} else if (process.argv[2] === '--peak') {
  const [clusters, workloads] = process.argv.slice(3).map(Number);
  console.log(JSON.stringify(await peak(clusters, workloads)));
} else {
  const rows = [];
  for (const s of SIZES) rows.push({ ...child('--child', s), ...child('--peak', s) });
  console.log(`render benchmark (node ${process.version}, median of ${ROUNDS} rounds per size, each size in its own process)\n`);
  console.log(
    '| clusters × workloads | files | MiB | placements | objects rendered | parse floor ms | ' +
      'full render ms | render / parse | schedule ms per resource | schema check ms (per ' +
      'resource) | peak RSS MiB |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.clusters} × ${r.workloads} | ${r.files} | ${r.megabytes} | ${r.placements} | ` +
        `${r.renderedObjects} | ${r.parseMs} | ${r.renderMs} | ${r.renderOverParse}× | ` +
        `${r.scheduleMsPerResource} | ${r.schemaMs} (${r.schemaMsPerResource}) | ${r.peakRssMiB} |`,
    );
    if (r.errorDiagnostics) console.log(`\n!! ${r.errorDiagnostics} error diagnostics, first: ${r.firstError}`);
  }
}
