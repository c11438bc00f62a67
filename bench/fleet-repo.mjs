// Git helpers shared by the benchmarks that reconcile a synthetic fleet from a real repository
// (reconcile-bench.mjs, restart-bench.mjs, restart-ab.mjs, plan-bench.mjs): a git CLI isolated from the user's configuration, a work
// tree holding syntheticFleet(C, W) committed on main, and one-file commits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { syntheticFleet } from './synthetic-fleet.mjs';

/** The environment every git call of a benchmark runs in: no inherited GIT_* variables, no user or system configuration. */
export const gitEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@flotilla.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@flotilla.invalid',
};

/** Runs the git CLI in `cwd`; its trimmed output. */
export const git = (cwd, ...args) =>
  execFileSync('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 26 })
    .toString()
    .trim();

/**
 * A work tree under `dir` holding syntheticFleet(clusters, workloads, options), committed on main;
 * with its workload files.
 */
export function makeFleetRepo(dir, clusters, workloads, options = {}) {
  const work = path.join(dir, 'work');
  fs.mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'config', 'gc.auto', '0'); // no background gc racing the benchmark (or its clean-up)
  const files = syntheticFleet(clusters, workloads, options);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(work, f.path)), { recursive: true });
    fs.writeFileSync(path.join(work, f.path), f.text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'synthetic fleet');
  return { work, files: files.filter((f) => f.path.startsWith('apps/')) };
}

/** Changes one workload's replicas and commits; returns the commit. */
export function editOne(work, file, round) {
  const target = path.join(work, file.path);
  const text = fs.readFileSync(target, 'utf8').replace(/replicas: (\d+)/, (_, n) => `replicas: ${Number(n) + 1 + (round % 3)}`);
  fs.writeFileSync(target, text);
  git(work, 'commit', '-q', '-am', `bench edit ${round}`);
  return git(work, 'rev-parse', 'HEAD');
}
