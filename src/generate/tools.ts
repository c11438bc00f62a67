// Which kustomize flotilla runs: the configured command, or the standalone `kustomize build` when
// it is on PATH, else kubectl's built-in `kubectl kustomize` (the same engine, vendored by kubectl).
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { runBounded } from './run.js';

/** The first executable named `name` on PATH, or null. */
export async function findOnPath(name: string, pathVar = process.env.PATH ?? ''): Promise<string | null> {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The kustomize command before its folder argument; null when none is configured and none is on PATH. */
export async function kustomizeCommand(configured: readonly string[] | null): Promise<string[] | null> {
  if (configured) return [...configured];
  if (await findOnPath('kustomize')) return ['kustomize', 'build'];
  if (await findOnPath('kubectl')) return ['kubectl', 'kustomize'];
  return null;
}

/** What `doctor` shows: the command and the kustomize version it reports (null when it cannot be run). */
export async function kustomizeVersion(
  configured: readonly string[] | null,
): Promise<{ command: string[] | null; version: string | null }> {
  const command = await kustomizeCommand(configured);
  if (!command) return { command: null, version: null };
  // `kustomize version` prints the version; `kubectl version --client` prints a "Kustomize Version:" line.
  const probe =
    command[0] === 'kubectl' || path.basename(command[0]!) === 'kubectl' ? [command[0]!, 'version', '--client'] : [command[0]!, 'version'];
  const result = await runBounded({
    command: probe,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutMs: 10_000,
    maxOutputBytes: 64 * 1024,
  });
  if (!result.ok) return { command, version: null };
  const line = result.stdout.split('\n').find((l) => /kustomize/i.test(l)) ?? result.stdout.split('\n')[0] ?? '';
  const version = /v?\d+\.\d+\.\d+[^\s]*/.exec(line)?.[0] ?? (line.trim() || null);
  return { command, version };
}
