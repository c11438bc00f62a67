// A fleet repository served over smart HTTP (git http-backend, test/helpers/git-http.ts) with a
// work tree that pushes to it with the git CLI, as a user would.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { commitFiles, git, gitWithEnv, makeRepo, makeTempDir, type FileSpec } from '../helpers/git.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http.js';

export const USER = 'fleet-bot';
export const PASSWORD = 's3cret-Passw0rd-42';

export interface ServedFleet {
  server: GitHttpServer;
  /** Clone URL without credentials (what the config names). */
  url: string;
  /** The user's work tree. */
  work: string;
  /** The served bare repository (to inspect with the git CLI). */
  bare: string;
  /** Commits `files` in the work tree and pushes main with the git CLI; returns the commit. */
  push(files: Record<string, FileSpec>, message: string): Promise<string>;
}

let counter = 0;

/** Starts a server on a fresh root holding one repository made of `files`. */
export async function serveFleet(files: Record<string, FileSpec>, opts: { auth?: boolean } = {}): Promise<ServedFleet> {
  const root = await makeTempDir('flotilla-served-');
  const { dir } = await makeRepo(files);
  const name = `fleet-${++counter}.git`;
  const bare = path.join(root, name);
  await git(root, 'clone', '-q', '--bare', dir, bare);
  const auth = opts.auth ?? true;
  const server = await startGitHttpServer(root, auth ? { user: USER, password: PASSWORD } : {});
  const url = `${server.url}/${name}`;
  const pushUrl = auth ? url.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`) : url;
  await git(dir, 'remote', 'add', 'origin', pushUrl);
  return {
    server,
    url,
    work: dir,
    bare,
    async push(changes, message) {
      const commit = await commitFiles(dir, changes, message);
      await gitWithEnv(dir, {}, 'push', '-q', 'origin', 'main');
      return commit;
    },
  };
}

/** The config text for a served fleet. */
export function remoteConfig(
  url: string,
  extra: { targets?: string; retry?: string; timeoutSeconds?: number; auth?: boolean; cacheDir?: string } = {},
): string {
  return [
    'source:',
    `  url: ${url}`,
    '  branch: main',
    extra.auth === false ? '' : '  auth: {usernameEnv: FLEET_USER, passwordEnv: FLEET_PASSWORD}',
    `  timeoutSeconds: ${extra.timeoutSeconds ?? 10}`,
    `  retry: ${extra.retry ?? '{attempts: 3, initialDelayMs: 100, maxDelayMs: 1000}'}`,
    extra.cacheDir ? `  cacheDir: ${extra.cacheDir}` : '',
    'targets:',
    extra.targets ?? '  - directory: {path: rendered}',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

export const ENV = { FLEET_USER: USER, FLEET_PASSWORD: PASSWORD };

/**
 * Makes the next `times` pushes to flotilla-status meet a concurrent writer: the served
 * repository's pre-receive hook, run after flotilla's pack arrived and before the ref is updated,
 * commits "concurrent writer N" on top of the branch, so the server refuses flotilla's update as
 * real servers do when another push lands between a client's ref discovery and its update
 * ("failed to update ref"). `times` 0 removes the writer.
 */
export async function raceStatusPushes(bare: string, times: number): Promise<void> {
  const hook = path.join(bare, 'hooks', 'pre-receive');
  if (times === 0) {
    await fsp.rm(hook, { force: true });
    return;
  }
  await fsp.writeFile(path.join(bare, 'race-left'), `${times}\n`);
  await fsp.writeFile(path.join(bare, 'race-done'), '0\n');
  const script = `#!/bin/sh
while read old new ref; do
  [ "$ref" = refs/heads/flotilla-status ] || continue
  left=$(cat race-left); [ "$left" -gt 0 ] || continue
  done=$(( $(cat race-done) + 1 ))
  echo $(( left - 1 )) > race-left; echo $done > race-done
  # Outside the push's quarantine, as another client's push would be.
  unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
  tip=$(git rev-parse refs/heads/flotilla-status)
  commit=$(echo "concurrent writer $done" | git commit-tree "$tip^{tree}" -p "$tip")
  git update-ref refs/heads/flotilla-status "$commit" "$tip"
done
exit 0
`;
  await fsp.writeFile(hook, script, { mode: 0o755 });
}
