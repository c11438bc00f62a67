// The one place that turns errors into messages and exit statuses (docs/reference/contract.md).
import { FlotillaError } from '../model/diagnostics.js';
import { demoRenderCommand } from './commands/demo.js';
import { demoReconcileCommand } from './commands/demo-reconcile.js';
import { doctorCommand } from './commands/doctor.js';
import { reconcileCommand } from './commands/reconcile.js';
import { statusCommand } from './commands/status.js';
import { diffCommand } from './commands/diff.js';
import { explainCommand } from './commands/explain.js';
import { getCommand } from './commands/get.js';
import { planCommand } from './commands/plan.js';
import { renderCommand } from './commands/render.js';
import { validateCommand } from './commands/validate.js';
import { Exit, type Command, type CommandIO } from './io.js';

/** `npm run demo`: the reconciler once over the bundled fleet, then how it placed things and why. */
const demoCommand: Command = async (argv, io) => {
  const reconciled = await demoReconcileCommand(argv, io);
  io.stdout('\n');
  const rendered = await demoRenderCommand([], io);
  return Math.max(reconciled, rendered);
};

const COMMANDS: Record<string, Command> = {
  demo: demoCommand,
  diff: diffCommand,
  doctor: doctorCommand,
  explain: explainCommand,
  get: getCommand,
  plan: planCommand,
  reconcile: reconcileCommand,
  render: renderCommand,
  status: statusCommand,
  validate: validateCommand,
};

const HELP = `flotilla: GitOps for a fleet of Kubernetes clusters, with Karmada's placement semantics

usage: flotilla <command> [flags]

  render     placements and per-cluster manifests of a revision (--format yaml|json, --out DIR)
  explain    why each cluster was chosen or filtered out: explain KIND/NAMESPACE/NAME
  validate   load and schedule, print diagnostics (--format text|json|github)
  get        get clusters | get placements
  plan       pull-request review: where replicas go, base → head (--base REF --head REF, --format markdown|text|json)
  diff       CI dry run: desired state against the status branch, or live clusters (--kubeconfig), as a unified diff
  reconcile  the reconciler: reconcile --config FILE [--once]
  status     the last reconcile, read from the status branch (--repo DIR or --config FILE)
  doctor     checks git access, auth, the schedule and the last reconcile (--config FILE)
  demo       reconcile the bundled seed fleet once into a directory, then explain its placements

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
