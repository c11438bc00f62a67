// The one place that turns errors into messages and exit statuses (docs/reference/contract.md).
import { FlotillaError } from '../model/diagnostics.js';
import { commandHelp, completionScript, generalHelp } from './help.js';
import { Exit, type Command, type CommandIO } from './io.js';
import { flotillaVersion } from '../reconcile/build-identity.js';

/** `npm run demo`: the reconciler once over the bundled fleet, then how it placed things and why. */
const demoCommand: Command = async (argv, io) => {
  const { demoReconcileCommand } = await import('./commands/demo-reconcile.js');
  const { demoRenderCommand } = await import('./commands/demo.js');
  const reconciled = await demoReconcileCommand(argv, io);
  io.stdout('\n');
  const rendered = await demoRenderCommand([], io);
  return Math.max(reconciled, rendered);
};

/**
 * Each command is loaded when it runs: the reconciler's dependencies (Kubernetes client, Git,
 * metrics) take seconds to load on a busy machine, and `render` or `validate` needs none of them.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => demoCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  get: async () => (await import('./commands/get.js')).getCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcileCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  render: async () => (await import('./commands/render.js')).renderCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  validate: async () => (await import('./commands/validate.js')).validateCommand,
};

/** A pipe takes writes asynchronously and buffers what its reader has not taken yet: wait until it has (or is gone). */
function stdoutDrained(): Promise<void> {
  if (!process.stdout.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done).off('close', done);
      resolve();
    };
    process.stdout.on('drain', done).on('close', done);
  });
}

const processIO: CommandIO = {
  stdout: (s) => void process.stdout.write(s),
  stdoutDrained,
  stderr: (s) => void process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
};

/** Words for the system errors people meet at the command line. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
};

interface SystemError {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return typeof e === 'object' && e !== null && typeof (e as SystemError).code === 'string' && /^E[A-Z]+$/.test((e as SystemError).code);
}

/** One line for an operating-system error: what was done to which path, and why it failed. */
export function systemErrorMessage(e: SystemError): string {
  const what = e.syscall ? `cannot ${e.syscall}` : 'failed';
  const where = e.path ? ` ${e.path}${e.dest ? ` → ${e.dest}` : ''}` : '';
  return `${what}${where}: ${SYSTEM_ERRORS[e.code] ?? 'system error'} (${e.code})`;
}

/** Help, version and completion: the words that are not commands. */
function metaCommand(name: string, rest: string[], io: CommandIO): number | null {
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`flotilla ${flotillaVersion()}\n`);
    return Exit.OK;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (!topic) {
      io.stdout(generalHelp(flotillaVersion()));
      return Exit.OK;
    }
    const text = commandHelp(topic);
    if (text) io.stdout(text);
    else io.stderr(`flotilla: no command "${topic}"\n\n${generalHelp(flotillaVersion())}`);
    return text ? Exit.OK : Exit.ERRORS;
  }
  if (!(name in COMMANDS) && name !== 'completion') return null;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(commandHelp(name)!);
    return Exit.OK;
  }
  if (name === 'completion') {
    const script = completionScript(rest[0] ?? '');
    if (script) io.stdout(script);
    else io.stderr(`flotilla completion: give bash or zsh\nusage: ${'flotilla completion bash|zsh'}\n`);
    return script ? Exit.OK : Exit.ERRORS;
  }
  return null;
}

/** Colour only for a terminal, and never with --no-color or a non-empty NO_COLOR (no-color.org). */
function withColorChoice(argv: string[], io: CommandIO, env: NodeJS.ProcessEnv): { argv: string[]; io: CommandIO } {
  const off = argv.includes('--no-color') || (env.NO_COLOR ?? '') !== '';
  return { argv: argv.filter((a) => a !== '--no-color'), io: { ...io, color: !off && (io.color ?? io.isTTY) } };
}

/** Runs one command line; returns the exit status. */
export async function main(argv: string[], io: CommandIO = processIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  ({ argv, io } = withColorChoice(argv, io, env));
  const [name, ...rest] = argv;
  if (!name) {
    io.stderr(generalHelp(flotillaVersion()));
    return Exit.ERRORS;
  }
  const meta = metaCommand(name, rest, io);
  if (meta !== null) return meta;
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`flotilla: unknown command "${name}" (flotilla help lists them)\n`);
    return Exit.ERRORS;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (e) {
    if (e instanceof FlotillaError) io.stderr(`flotilla ${name}: ${e.message} [${e.code}]\n`);
    else if (isSystemError(e)) io.stderr(`flotilla ${name}: ${systemErrorMessage(e)}\n`);
    else {
      // A bug: one line for the user, the stack only when asked for.
      const detail = env.FLOTILLA_DEBUG ? `\n${(e as Error)?.stack ?? String(e)}` : ' (FLOTILLA_DEBUG=1 prints the stack)';
      io.stderr(`flotilla ${name}: internal error, please report it: ${(e as Error)?.message ?? String(e)}${detail}\n`);
    }
    return Exit.ERRORS;
  }
}
