// What a command may touch of the outside world: output streams. Tests pass their own.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FlotillaError } from '../model/diagnostics.js';

export interface CommandIO {
  stdout(text: string): void;
  /** Resolves when stdout can take more (a pipe's reader has caught up); a command streaming a large output awaits it. */
  stdoutDrained?(): Promise<void>;
  stderr(text: string): void;
  /** Tables and human log lines for people; plain text and JSON for pipes. */
  isTTY: boolean;
  /** Colour (default: isTTY); main() turns it off for --no-color and NO_COLOR. */
  color?: boolean;
}

/** Whether a command may print colour. */
export function useColor(io: CommandIO): boolean {
  return io.color ?? io.isTTY;
}

export type Command = (argv: string[], io: CommandIO) => Promise<number>;

/** Exit statuses of docs/reference/contract.md. */
export const Exit = { OK: 0, ERRORS: 1, CHANGES: 2 } as const;

/**
 * node:util parseArgs, with unknown flags and bad values turned into a FlotillaError USAGE, and so
 * are arguments past the first `positionals` (none unless said): `flotilla validate fleet/` read the
 * current folder and passed, the folder it was given never looked at.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new FlotillaError('USAGE', `${(e as Error).message}\nusage: ${usage}`);
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) {
    const hint = 'repo' in options ? ` (the fleet's folder or repository is --repo ${extra})` : '';
    throw new FlotillaError('USAGE', `unexpected argument "${extra}"${hint}\nusage: ${usage}`);
  }
  return parsed;
}

/** Checks a --format value against the formats a command supports. */
export function checkFormat<F extends string>(value: string | undefined, allowed: readonly F[], fallback: F): F {
  const v = (value ?? fallback) as F;
  if (!allowed.includes(v)) throw new FlotillaError('USAGE', `--format must be one of ${allowed.join(', ')} (got "${value}")`);
  return v;
}

/** Left-aligned columns for `get` tables. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
