// Plan fixture pairs: base = fixtures/seed, head = seed with fixtures/plan/<scenario>/head/ laid
// over it (files there replace or add seed files), each committed to a real repository.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, CommandIO } from '../../src/cli/io.js';
import { commitFiles, makeRepo, type FileSpec } from '../helpers/git.js';
import { FIXTURES } from '../helpers/fleet.js';

/** Every scenario under fixtures/plan, sorted. */
export const PLAN_SCENARIOS = readdirSync(path.join(FIXTURES, 'plan')).sort();

/** The files of a fixture directory, by relative path. */
export function readTree(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, readTree(p, `${prefix}${e.name}/`));
    else out[`${prefix}${e.name}`] = readFileSync(p, 'utf8');
  }
  return out;
}

/** The seed fleet's files. */
export function seedFiles(): Record<string, string> {
  return readTree(path.join(FIXTURES, 'seed'));
}

/** The head overlay of a scenario. */
export function scenarioOverlay(name: string): Record<string, FileSpec> {
  return readTree(path.join(FIXTURES, 'plan', name, 'head'));
}

/** A repository whose first commit is the seed and whose second applies the scenario's overlay. */
export async function scenarioRepo(name: string): Promise<{ dir: string; base: string; head: string }> {
  const { dir, commit: base } = await makeRepo(seedFiles(), { message: 'seed fleet' });
  const head = await commitFiles(dir, scenarioOverlay(name), `plan scenario ${name}`);
  return { dir, base, head };
}

/** Runs a command function with captured output, as main would with a non-TTY. */
export async function runCommand(command: Command, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), isTTY: false };
  const code = await command(argv, io);
  return { code, stdout, stderr };
}
