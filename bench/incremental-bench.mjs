// Incremental render benchmark (issue 3): a full update of a ~10,000-object repository, then a
// one-file commit (one Deployment's replicas) and a one-policy commit, through IncrementalRenderer.
// Targets: one-file commit ≤ 10% of the full update and under 1 s. Each round runs in its own
// process so heaps do not add up; the median of ROUNDS is reported. Run `npx tsc -p .` first
// (imports dist/).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { syntheticFleet } from './synthetic-fleet.mjs';

const CLUSTERS = 100;
const WORKLOADS = 5000; // a Deployment and a ConfigMap each: 10,000 objects
const ROUNDS = 3;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

/** One round: renderFleet, the engine's full update, a one-file commit and a one-policy commit. */
async function round() {
  const { renderFleet } = await import('../dist/render/render-fleet.js');
  const { IncrementalRenderer } = await import('../dist/render/incremental.js');
  const files = syntheticFleet(CLUSTERS, WORKLOADS);
  const reference = time(() => renderFleet({ files, revision: 'a'.repeat(40) }));
  const objects = reference.value.model.resources.length;
  const rendered = Object.values(reference.value.manifests).reduce((n, l) => n + l.length, 0);
  reference.value = null; // let it go before the engine builds its own

  const engine = new IncrementalRenderer();
  const full = time(() => engine.update({ revision: 'b'.repeat(40), changes: files }));

  const app = files.find((f) => f.path.startsWith('apps/'));
  const edited = app.text.replace(/replicas: (\d+)/, (_, n) => `replicas: ${Number(n) + 3}`);
  const oneFile = time(() => engine.update({ revision: 'c'.repeat(40), changes: [{ path: app.path, text: edited }] }));

  const policyFile = files.find((f) => f.path.startsWith('policies/'));
  const policyText = policyFile.text.replace(/weight: 2\b/, 'weight: 3');
  if (policyText === policyFile.text) throw new Error(`no static weight to edit in ${policyFile.path}`);
  const onePolicy = time(() => engine.update({ revision: 'd'.repeat(40), changes: [{ path: policyFile.path, text: policyText }] }));

  return {
    objects,
    rendered,
    renderFleetMs: reference.ms,
    fullMs: full.ms,
    oneFileMs: oneFile.ms,
    oneFileStats: oneFile.value.stats,
    onePolicyMs: onePolicy.ms,
    onePolicyStats: onePolicy.value.stats,
  };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await round()));
} else {
  const self = fileURLToPath(import.meta.url);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = spawnSync(process.execPath, [self, '--child'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    rounds.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const m = (k) => median(rounds.map((r) => r[k]));
  const last = rounds[rounds.length - 1];
  const full = m('fullMs');
  const oneFile = m('oneFileMs');
  const onePolicy = m('onePolicyMs');
  const ratio = median(rounds.map((r) => r.oneFileMs / r.fullMs));
  const policyRatio = median(rounds.map((r) => r.onePolicyMs / r.fullMs));
  console.log(
    `incremental render benchmark (node ${process.version}, ${CLUSTERS} clusters × ` +
      `${WORKLOADS} workloads: ${last.objects} objects, ${last.rendered} rendered; median of ` +
      `${ROUNDS} rounds, each in its own process)\n`,
  );
  console.log('| update | ms | / full | parsed files | rescheduled | re-rendered objects |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| renderFleet (reference) | ${m('renderFleetMs').toFixed(0)} | | | | |`);
  console.log(`| full (first update) | ${full.toFixed(0)} | 100% | | | |`);
  const s1 = last.oneFileStats;
  console.log(
    `| one-file commit (one Deployment's replicas) | ${oneFile.toFixed(0)} | ` +
      `${(ratio * 100).toFixed(1)}% | ${s1.reparsedFiles} | ${s1.rescheduled} | ${s1.rerenderedObjects} |`,
  );
  const s2 = last.onePolicyStats;
  console.log(
    `| one-policy commit (a static weight) | ${onePolicy.toFixed(0)} | ` +
      `${(policyRatio * 100).toFixed(1)}% | ${s2.reparsedFiles} | ${s2.rescheduled} | ` +
      `${s2.rerenderedObjects} |`,
  );
  const ok = ratio <= 0.1 && oneFile < 1000;
  console.log(
    `\none-file commit: ${(ratio * 100).toFixed(1)}% of full (target ≤ 10%), ` +
      `${oneFile.toFixed(0)} ms (target < 1000 ms): ${ok ? 'met' : 'NOT MET'}`,
  );
}
