// The one place that turns errors into messages and exit statuses (CONTRACT.md).
import { FlotillaError } from '../model/diagnostics.js';
import { demoCommand } from './commands/demo.js';
import { diffCommand } from './commands/diff.js';
import { explainCommand } from './commands/explain.js';
import { getCommand } from './commands/get.js';
import { planCommand } from './commands/plan.js';
import { renderCommand } from './commands/render.js';
import { validateCommand } from './commands/validate.js';
import { Exit, type Command, type CommandIO } from './io.js';

const COMMANDS: Record<string, Command> = {
  render: renderCommand,
  validate: validateCommand,
  explain: explainCommand,
  get: getCommand,
  demo: demoCommand,
  diff: diffCommand,
  plan: planCommand,
};

const HELP = `flotilla: GitOps for a fleet of Kubernetes clusters, with Karmada's placement semantics

usage: flotilla <command> [flags]

  render     placements and per-cluster manifests of a revision (--format yaml|json, --out DIR)
  explain    why each cluster was chosen or filtered out: explain KIND/NAMESPACE/NAME
  validate   load and schedule, print diagnostics (--format text|json|github)
  get        get clusters | get placements
  plan       pull-request review: where replicas go, base → head (--base REF --head REF, --format markdown|text|json)
  diff       CI dry run: desired state against the last state on the status branch (unified diff)
  demo       render and explain the bundled seed fleet

common flags: --repo DIR (default .)  --ref REF (a Git revision instead of the working tree)
              --path SUBDIR  --previous FILE (last render JSON, for scale up/down)
`;

const processIO: CommandIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
};

/** Runs one command line; returns the exit status. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(HELP);
    return name ? Exit.OK : Exit.ERRORS;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`flotilla: unknown command "${name}"\n\n${HELP}`);
    return Exit.ERRORS;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (e instanceof FlotillaError) {
      io.stderr(`flotilla ${name}: ${e.message} [${e.code}]\n`);
      return Exit.ERRORS;
    }
    io.stderr(`flotilla ${name}: internal error (please report it): ${(e as Error)?.stack ?? String(e)}\n`);
    return Exit.ERRORS;
  }
}
