// Real git repositories for tests, made with the git CLI in temporary directories. Commits use a
// fixed identity and fixed dates, so the same files and messages give the same commit ids on every
// machine. The CLI runs with the user's and system's git configuration switched off, and without
// any GIT_* variables inherited from the caller (a test run from a git hook must not touch the
// project's own repository).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A file's content: text, a symbolic link, or null to delete it. */
export type FileSpec = string | { symlink: string } | null;

/** The first commit's date (2024-01-01T00:00:00Z); each later commit is one second after its parent. */
export const BASE_COMMIT_TIME = 1704067200;

const created: string[] = [];

/** Environment for the git CLI: isolated from the user's configuration, never prompting. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Flotilla Test',
    GIT_AUTHOR_EMAIL: 'test@flotilla.invalid',
    GIT_COMMITTER_NAME: 'Flotilla Test',
    GIT_COMMITTER_EMAIL: 'test@flotilla.invalid',
    ...extra,
  };
}

/** Runs `git args…` in `dir`; resolves to stdout without the trailing newline, throws with stderr on failure. */
export function git(dir: string, ...args: string[]): Promise<string> {
  return gitWithEnv(dir, {}, ...args);
}

/** Like `git`, with extra environment variables (dates, credentials). */
export function gitWithEnv(dir: string, extra: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: dir, env: gitEnv(extra), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed in ${dir}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout).replace(/\n$/, ''));
    });
  });
}

/** A fresh empty directory under os.tmpdir(), removed by cleanupRepos(). */
export async function makeTempDir(prefix = 'flotilla-git-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A fresh directory (makeTempDir) holding `files` (path → text, folders made as needed). */
export async function makeTempTree(files: Record<string, string>, prefix?: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  return dir;
}

/** Creates a repository on branch main holding `files` in one commit (message "initial"). */
export async function makeRepo(files: Record<string, FileSpec>, opts: { message?: string } = {}): Promise<{ dir: string; commit: string }> {
  const dir = await makeTempDir('flotilla-repo-');
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'config', 'user.name', 'Flotilla Test');
  await git(dir, 'config', 'user.email', 'test@flotilla.invalid');
  await git(dir, 'config', 'commit.gpgsign', 'false');
  await git(dir, 'config', 'tag.gpgsign', 'false');
  const commit = await commitFiles(dir, files, opts.message ?? 'initial');
  return { dir, commit };
}

/** Writes (or, for null, deletes) `files` in the work tree, commits everything and returns the new commit id. */
export async function commitFiles(dir: string, files: Record<string, FileSpec>, message: string): Promise<string> {
  for (const name of Object.keys(files).sort()) {
    const target = path.join(dir, name);
    const spec = files[name]!;
    await fs.rm(target, { recursive: true, force: true });
    if (spec === null) continue;
    await fs.mkdir(path.dirname(target), { recursive: true });
    if (typeof spec === 'string') await fs.writeFile(target, spec);
    else await fs.symlink(spec.symlink, target);
  }
  const parents = await git(dir, 'rev-list', '--count', 'HEAD').then(Number, () => 0);
  const date = `${BASE_COMMIT_TIME + parents} +0000`;
  await git(dir, 'add', '-A');
  await gitWithEnv(dir, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A bare clone of `dir` (`<tmp>/<name>.git`), as a server or a CI cache would hold it. */
export async function makeBareClone(dir: string, name = 'fleet'): Promise<string> {
  const parent = await makeTempDir('flotilla-bare-');
  const bare = path.join(parent, `${name}.git`);
  await git(parent, 'clone', '-q', '--bare', dir, bare);
  return bare;
}

/** Removes every directory this module created. Call from afterAll. */
export async function cleanupRepos(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
}
