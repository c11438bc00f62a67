// flotilla status: the last reconcile as recorded on the status branch — of a local repository
// (--repo DIR, reading <branch> or else origin/<branch>) or of the configured source
// (--config FILE, fetching the branch). Exit 0 when Synced, 1 otherwise.
import path from 'node:path';
import { readConfigFile } from '../../config/load.js';
import { DEFAULT_STATUS_BRANCH } from '../../config/schema.js';
import { silentLogger } from '../../log/logger.js';
import { FlotillaError } from '../../model/diagnostics.js';
import { locateGitDirectory } from '../../source/git-revision.js';
import { openSourceRepository } from '../../source/remote.js';
import { readStatusAt, statusBranchTip, type StatusSnapshot } from '../../state/branch.js';
import { serializeStatus } from '../../state/document.js';
import { formatStatusText } from '../../state/summary.js';
import { systemClock } from '../../reconcile/reconciler.js';
import { checkFormat, Exit, parseFlags, type Command, type CommandIO } from '../io.js';

const USAGE = 'flotilla status [--repo DIR | --config FILE] [--branch BRANCH] [--format text|json|yaml]';

/** Reads the status branch of a local repository: the local branch, else its origin/ copy. */
export async function readLocalStatus(dir: string, branch: string): Promise<StatusSnapshot> {
  await locateGitDirectory(dir); // a plain folder is NOT_A_REPOSITORY here, where the `auto` inputs read it as never reconciled
  const tip = await statusBranchTip(dir, branch);
  if (tip) return readStatusAt(tip.objects, tip.commit);
  throw new FlotillaError(
    'STATUS_NOT_FOUND',
    `no status branch "${branch}" in ${dir} (has \`flotilla reconcile\` run against it? fetch it with: git fetch origin ${branch})`,
    { dir, branch },
  );
}

/** The status command with its environment passed in. */
export function makeStatusCommand(deps: { env: NodeJS.ProcessEnv }): Command {
  return async (argv: string[], io: CommandIO) => {
    const { values } = parseFlags(
      argv,
      { repo: { type: 'string' }, config: { type: 'string' }, branch: { type: 'string' }, format: { type: 'string' } },
      USAGE,
    );
    const format = checkFormat(values.format, ['text', 'json', 'yaml'] as const, 'text');
    if (values.repo && values.config) throw new FlotillaError('USAGE', `give --repo or --config, not both\nusage: ${USAGE}`);
    let snapshot: StatusSnapshot;
    if (values.config) {
      const loaded = await readConfigFile(values.config, deps.env);
      const branch = values.branch ?? loaded.config.status.branch;
      const repo = await openSourceRepository({
        source: loaded.config.source,
        credentials: loaded.credentials,
        log: silentLogger(),
        sleep: systemClock.sleep,
      });
      await repo.fetchSource();
      const tip = await repo.fetchBranch(branch);
      if (!tip)
        throw new FlotillaError(
          'STATUS_NOT_FOUND',
          `no status branch "${branch}" in ${repo.displayUrl} (has \`flotilla reconcile\` run?)`,
          { branch },
        );
      snapshot = await readStatusAt(repo.objects, tip);
    } else {
      snapshot = await readLocalStatus(path.resolve(values.repo ?? '.'), values.branch ?? DEFAULT_STATUS_BRANCH);
    }
    const status = snapshot.status;
    if (!status)
      throw new FlotillaError('STATUS_UNREADABLE', `the status branch at ${snapshot.commit} has no readable status.yaml`, {
        commit: snapshot.commit,
      });
    if (format === 'json') io.stdout(JSON.stringify({ commit: snapshot.commit, ...status }, null, 2) + '\n');
    else if (format === 'yaml') io.stdout(serializeStatus(status));
    else io.stdout(formatStatusText(status, { commit: snapshot.commit }));
    return status.phase === 'Synced' ? Exit.OK : Exit.ERRORS;
  };
}

/** `flotilla status`. */
export const statusCommand: Command = (argv, io) => makeStatusCommand({ env: process.env })(argv, io);
