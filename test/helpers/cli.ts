// Runs the real CLI (`node bin/flotilla.js`, built by `npm test`'s tsc step) as a user would.
import { execFile } from 'node:child_process';
import type { CommandIO } from '../../src/cli/io.js';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/flotilla.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns flotilla with `args` in `cwd` (default: the repository root). */
export function flotilla(args: string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A CommandIO that keeps what a command printed, for calling Command functions directly. */
export function fakeIO(isTTY = false): CommandIO & { out: string; err: string } {
  const io = { out: '', err: '', isTTY, stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s) };
  return io;
}
