// Live heap of a full first reconcile (docs/guide/deploy.md "Sizing"): syntheticFleet(100, 5000,
// {span}) for each span, one full pass in a new process with the shipped heap cap and --trace-gc,
// and the largest heap a full collection (Mark-Compact) left: the live data the cap must hold.
// Needs the compiled dist/ and git.
//   FLOTILLA_BENCH_SPANS=2,4,6     the spans (71,370 / 125,735 / 174,721 rendered objects)
//   FLOTILLA_BENCH_HEAP_MB=448     the heap cap (the base Deployment's NODE_OPTIONS)
//   FLOTILLA_BENCH_OVERRIDE=1      adds a ClusterOverridePolicy that labels every Deployment
// A pass that runs out of heap is reported as such, not as the end of the bench.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, makeFleetRepo } from './fleet-repo.mjs';
import { reconcilePass } from './reconcile-pass.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPANS = (process.env.FLOTILLA_BENCH_SPANS ?? '2,4,6').split(',').map(Number);
const HEAP_MB = Number(process.env.FLOTILLA_BENCH_HEAP_MB ?? 448);
const OVERRIDE = process.env.FLOTILLA_BENCH_OVERRIDE === '1';

const LABEL_EVERY_DEPLOYMENT = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: everywhere
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
  overrideRules:
    - overriders:
        labelsOverrider:
          - operator: add
            value:
              fleet: synthetic
`;

/** The largest heap after a Mark-Compact in --trace-gc output, in MB as V8 prints it (null: none). */
function largestLiveAfterFullGc(text) {
  let max = null;
  for (const m of text.matchAll(/Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/g)) max = Math.max(max ?? 0, Number(m[1]));
  return max;
}

if (process.argv[2] === '--child') {
  const { time, outcome } = await reconcilePass(path.join(ROOT, 'dist'), process.argv[3]);
  const maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ time, objects: outcome.counts.created, maxRssKiB }) + '\n');
} else {
  const what = OVERRIDE ? ', a label override on every Deployment' : '';
  console.log(`live heap benchmark: syntheticFleet(100, 5000, {span}), heap capped at ${HEAP_MB} MiB${what}, Node ${process.version}\n`);
  const rows = [['span', 'rendered objects', 'full pass', 'peak RSS', 'largest live heap after a full GC']];
  for (const span of SPANS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-live-'));
    try {
      const { work } = makeFleetRepo(dir, 100, 5000, { span });
      if (OVERRIDE) {
        fs.writeFileSync(path.join(work, 'everywhere-override.yaml'), LABEL_EVERY_DEPLOYMENT);
        git(work, 'add', '-A');
        git(work, 'commit', '-q', '-m', 'label every Deployment');
      }
      const r = spawnSync(
        process.execPath,
        [`--max-old-space-size=${HEAP_MB}`, '--trace-gc', fileURLToPath(import.meta.url), '--child', dir],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      const live = largestLiveAfterFullGc(r.stdout ?? '');
      if (r.status !== 0) {
        const oom = /heap out of memory|Reached heap limit/.test(r.stderr ?? '');
        rows.push([
          String(span),
          '',
          oom ? 'out of heap' : `failed (exit ${r.status ?? r.signal})`,
          '',
          live === null ? '' : `${live} MB before`,
        ]);
        continue;
      }
      const pass = JSON.parse(r.stdout.trim().split('\n').pop());
      rows.push([
        String(span),
        String(pass.objects),
        `${(pass.time / 1000).toFixed(1)} s`,
        `${Math.round(pass.maxRssKiB / 1024)} MiB`,
        `${live} MB`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log([line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n'));
}
