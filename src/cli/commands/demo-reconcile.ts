// flotilla demo (the reconciler's version): makes a local Git repository from the bundled seed
// fleet, reconciles it once into a directory target, commits status to its flotilla-status
// branch and prints the summary. No cluster, no network, no git CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import git from 'isomorphic-git';
import { parseConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { startReconciler } from '../../reconcile/start.js';
import { formatStatusText } from '../../state/summary.js';
import { bundledFleet } from './demo.js';
import { Exit, parseFlags, type Command } from '../io.js';

const USAGE = 'flotilla demo [--fleet DIR] [--dir DIR] [--verbose]';

/** Copies the YAML files of `from` into a new repository at `repo` and commits them on main. */
async function makeFleetRepository(from: string, repo: string): Promise<string> {
  await fs.promises.mkdir(repo, { recursive: true });
  await git.init({ fs, dir: repo, defaultBranch: 'main' });
  const names = (await fs.promises.readdir(from)).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const name of names) {
    await fs.promises.copyFile(path.join(from, name), path.join(repo, name));
    await git.add({ fs, dir: repo, filepath: name });
  }
  const who = { name: 'flotilla demo', email: 'demo@flotilla.invalid', timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
  return git.commit({ fs, dir: repo, message: 'Seed fleet (fixtures/seed)\n', author: who, committer: who });
}

/** Runs the reconciler once over the bundled fleet and prints what it did. */
export const demoReconcileCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { fleet: { type: 'string' }, dir: { type: 'string' }, verbose: { type: 'boolean' } }, USAGE);
  const fleet = path.resolve(values.fleet ?? bundledFleet());
  const work = values.dir ? path.resolve(values.dir) : await fs.promises.mkdtemp(path.join(os.tmpdir(), 'flotilla-demo-'));
  const repo = path.join(work, 'fleet');
  const rendered = path.join(work, 'rendered');
  const commit = await makeFleetRepository(fleet, repo);
  io.stdout(`flotilla demo: reconciling ${path.relative(process.cwd(), fleet) || '.'} once (no cluster, no network)\n`);
  io.stdout(`  fleet repository: ${repo} (main at ${commit.slice(0, 12)})\n  directory target: ${rendered}\n\n`);

  const loaded = parseConfig(
    [
      'source:',
      `  url: ${JSON.stringify(repo)}`,
      '  branch: main',
      'targets:',
      `  - directory: {path: ${JSON.stringify(rendered)}}`,
      '',
    ].join('\n'),
    { env: {}, baseDir: work },
  );
  const log = createLogger({ json: !io.isTTY, write: io.stderr, level: values.verbose ? 'debug' : 'warn' });
  const { reconciler } = await startReconciler(loaded, { log });
  const outcome = await reconciler.reconcileOnce();
  const status = reconciler.status;
  if (status) io.stdout(formatStatusText(status, { commit: outcome.statusCommit }));
  else io.stdout(`phase: ${outcome.phase}: ${outcome.message}\n`);
  io.stdout(`\n${outcome.counts.created + outcome.counts.configured} manifests written to ${rendered}\n`);
  io.stdout(`status branch:   git -C ${repo} show flotilla-status:README.md\n`);
  io.stdout(`                 npx flotilla status --repo ${repo}\n`);
  return outcome.phase === 'Synced' ? Exit.OK : Exit.ERRORS;
};
