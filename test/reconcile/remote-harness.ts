// A fleet repository served over smart HTTP (git http-backend, test/helpers/git-http.ts) with a
// work tree that pushes to it with the git CLI, as a user would.
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
