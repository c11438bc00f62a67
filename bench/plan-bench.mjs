// npm run bench (plan part) — `flotilla plan` on a 50-cluster × 1,000-workload repository whose
// second commit changes a policy touching a third of the workloads. Measures the whole process
// (`node bin/flotilla.js plan --base HEAD~1 --head HEAD`), as CI runs it. Target: < 5 s.
// Run after `npm run build`; prints one markdown table row per format, for BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from './fleet-repo.mjs';
import { syntheticFleet } from './synthetic-fleet.mjs';

const CLUSTERS = 50;
const WORKLOADS = 1000;
const ROUNDS = 3;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function write(dir, files) {
  for (const f of files) {
    const p = path.join(dir, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, f.text);
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-plan-bench-'));
try {
  git(dir, 'init', '-q', '-b', 'main');
  const files = syntheticFleet(CLUSTERS, WORKLOADS);
  write(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'synthetic fleet');

  // The second commit: a ClusterPropagationPolicy with a higher priority (and preemption: Always,
  // else the claims already made keep their workloads, as Karmada's do) takes every third
  // workload (selected by name, the most specific selector) and spreads it over two regions by
  // available replicas. Built from the workloads' names only, so it follows synthetic-fleet changes.
  const deployments = files
    .map((f) => /kind: Deployment\nmetadata:\n {2}name: (\S+)\n {2}namespace: (\S+)/.exec(f.text))
    .filter(Boolean)
    .map((m) => ({ name: m[1], namespace: m[2] }));
  const taken = deployments.filter((_, i) => i % 3 === 0);
  const selectors = taken.map((d) => `  - {apiVersion: apps/v1, kind: Deployment, namespace: ${d.namespace}, name: ${d.name}}`).join('\n');
  write(dir, [
    {
      path: 'policies/zz-two-regions.yaml',
      text: `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: two-regions
spec:
  priority: 100
  preemption: Always
  resourceSelectors:
${selectors}
  placement:
    spreadConstraints:
    - {spreadByField: region, maxGroups: 2, minGroups: 2}
    - {spreadByField: cluster, maxGroups: 4, minGroups: 2}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}
`,
    },
  ]);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `policy two-regions takes ${taken.length} of ${deployments.length} workloads`);

  console.log(
    `plan benchmark (node ${process.version}, ${CLUSTERS} clusters × ${WORKLOADS} workloads, ` +
      `second commit: a policy taking every third workload; whole process, median of ${ROUNDS})\n`,
  );
  console.log('| format | exit | wall time ms | output KiB | resources changing placement | objects added / removed / changed |');
  console.log('|---|---|---|---|---|---|');
  // The git CLI's commits are loose objects; a CI checkout is packed: json once more after `git gc`.
  for (const format of ['json', 'markdown', 'text', 'json (after git gc)']) {
    if (format.endsWith('(after git gc)')) git(dir, 'gc', '-q', '--prune=now');
    const times = [];
    let last;
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      last = spawnSync(
        process.execPath,
        [path.join(ROOT, 'bin/flotilla.js'), 'plan', '--repo', dir, '--base', 'HEAD~1', '--head', 'HEAD', '--format', format.split(' ')[0]],
        { encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      times.push(performance.now() - t);
      if (last.status !== 2) {
        process.stderr.write(last.stderr);
        throw new Error(`plan exited ${last.status}, expected 2 (changes)`);
      }
    }
    const ms = [...times].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
    let counts = '';
    if (format.startsWith('json')) {
      const s = JSON.parse(last.stdout).summary;
      counts = `${s.workloadsChanged} | ${s.objectsAdded} / ${s.objectsRemoved} / ${s.objectsChanged}`;
    } else counts = ' | ';
    console.log(`| ${format} | ${last.status} | ${ms.toFixed(0)} | ${(last.stdout.length / 1024).toFixed(0)} | ${counts} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
