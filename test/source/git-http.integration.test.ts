// Integration: real git over HTTP (git CLI and isomorphic-git against `git http-backend`).
// Run on its own with `npx vitest run integration`.
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import httpNode from 'isomorphic-git/http/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readRevisionFiles, resolveRevision } from '../../src/source/git-revision.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http.js';
import { cleanupRepos, commitFiles, git as gitCli, makeBareClone, makeRepo, makeTempDir } from '../helpers/git.js';

/** isomorphic-git's node client with a whole-request timeout, as the reconciler will wrap it. */
const timedHttp = (ms: number) => ({
  request: (r: Parameters<typeof httpNode.request>[0]) =>
    httpNode.request({ ...r, signal: r.signal ?? AbortSignal.timeout(ms) } as typeof r),
});

/** isomorphic-git's types demand `dir` for clone, but a gitdir-only clone with noCheckout works (docs/design/libraries.md §1). */
const gitdirOnly = (args: Omit<Parameters<typeof git.clone>[0], 'dir'>) => args as Parameters<typeof git.clone>[0];

let work: { dir: string; commit: string };
let root: string;
let server: GitHttpServer;
let secured: GitHttpServer;

beforeAll(async () => {
  work = await makeRepo({ 'fleet.yaml': 'kind: Fleet\n', 'apps/web.yaml': 'kind: Deployment\n' });
  const bare = await makeBareClone(work.dir, 'fleet');
  root = path.dirname(bare);
  server = await startGitHttpServer(root);
  secured = await startGitHttpServer(root, { user: 'bot', password: 's3cret' });
});

afterEach(() => {
  server.setFault(null);
  server.requests.length = 0;
});

afterAll(async () => {
  await server?.close();
  await secured?.close();
  await cleanupRepos();
});

describe('git http server (integration)', () => {
  it('the git CLI clones the served repository at the same commit', async () => {
    const dest = path.join(await makeTempDir(), 'clone');
    await gitCli(path.dirname(dest), 'clone', '-q', `${server.url}/fleet.git`, dest);
    expect(await gitCli(dest, 'rev-parse', 'HEAD')).toBe(work.commit);
    expect(fs.readFileSync(path.join(dest, 'apps/web.yaml'), 'utf8')).toBe('kind: Deployment\n');
    expect(server.requests.map((r) => r.status)).not.toContain(0);
  });

  it('isomorphic-git clones into a bare gitdir that readRevisionFiles reads at origin/main', async () => {
    const gitdir = path.join(await makeTempDir(), 'fleet.git');
    await git.clone(
      gitdirOnly({ fs, http: httpNode, gitdir, url: `${server.url}/fleet.git`, ref: 'main', singleBranch: true, noCheckout: true }),
    );
    const commit = await resolveRevision({ dir: gitdir, ref: 'origin/main' });
    expect(commit).toBe(work.commit);
    expect(await readRevisionFiles({ dir: gitdir, commit })).toEqual([
      { path: 'apps/web.yaml', text: 'kind: Deployment\n' },
      { path: 'fleet.yaml', text: 'kind: Fleet\n' },
    ]);
  });

  it('a push with the git CLI lands in the served bare repository', async () => {
    const dest = path.join(await makeTempDir(), 'clone');
    await gitCli(path.dirname(dest), 'clone', '-q', `${server.url}/fleet.git`, dest);
    await gitCli(dest, 'config', 'user.name', 'Pusher');
    await gitCli(dest, 'config', 'user.email', 'pusher@flotilla.invalid');
    const pushed = await commitFiles(dest, { 'apps/api.yaml': 'kind: Service\n' }, 'add api');
    await gitCli(dest, 'push', '-q', 'origin', 'HEAD:refs/heads/pushed');
    expect(await gitCli(path.join(root, 'fleet.git'), 'rev-parse', 'refs/heads/pushed')).toBe(pushed);
    expect(server.requests.some((r) => r.method === 'POST' && r.path.endsWith('/git-receive-pack') && r.status === 200)).toBe(true);
  });

  it('with Basic auth: the right password clones, a wrong one gets 401 (git CLI and isomorphic-git)', async () => {
    const ok = path.join(await makeTempDir(), 'ok');
    await gitCli(path.dirname(ok), 'clone', '-q', secured.url.replace('//', '//bot:s3cret@') + '/fleet.git', ok);
    expect(await gitCli(ok, 'rev-parse', 'HEAD')).toBe(work.commit);

    const bad = path.join(await makeTempDir(), 'bad');
    await expect(gitCli(path.dirname(bad), 'clone', '-q', secured.url.replace('//', '//bot:wrong@') + '/fleet.git', bad)).rejects.toThrow(
      /Authentication failed|401/,
    );
    expect(secured.requests.some((r) => r.status === 401)).toBe(true);

    const gitdir = path.join(await makeTempDir(), 'iso.git');
    const err = await git
      .clone(
        gitdirOnly({
          fs,
          http: httpNode,
          gitdir,
          url: `${secured.url}/fleet.git`,
          noCheckout: true,
          onAuth: () => ({ username: 'bot', password: 'wrong' }),
          onAuthFailure: () => ({ cancel: true }),
        }),
      )
      .then(
        () => null,
        (e: unknown) => e as { code?: string },
      );
    expect(err?.code).toBe('UserCanceledError');
    const noAuth = await git.listServerRefs({ http: httpNode, url: `${secured.url}/fleet.git` }).then(
      () => null,
      (e: unknown) => e as { code?: string; data?: { statusCode?: number } },
    );
    expect(noAuth?.code).toBe('HttpError');
    expect(noAuth?.data?.statusCode).toBe(401);
  });

  it('a 503 fault reaches the client, and clears after `times: 1` so the retry succeeds', async () => {
    server.setFault({ status: 503 });
    const err = await git.listServerRefs({ http: httpNode, url: `${server.url}/fleet.git` }).then(
      () => null,
      (e: unknown) => e as { code?: string; data?: { statusCode?: number } },
    );
    expect(err?.data?.statusCode).toBe(503);
    await expect(gitCli(root, 'ls-remote', `${server.url}/fleet.git`)).rejects.toThrow(/503/);

    server.setFault({ status: 503, times: 1 });
    await expect(git.listServerRefs({ http: httpNode, url: `${server.url}/fleet.git` })).rejects.toThrow();
    const refs = await git.listServerRefs({ http: httpNode, url: `${server.url}/fleet.git`, prefix: 'refs/heads/main' });
    expect(refs).toEqual([{ ref: 'refs/heads/main', oid: work.commit }]);
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 503, 200, 200]);
  });

  it('a fault matching git-receive-pack fails pushes but not fetches', async () => {
    server.setFault({ status: 500, match: 'git-receive-pack' });
    const dest = path.join(await makeTempDir(), 'clone');
    await gitCli(path.dirname(dest), 'clone', '-q', `${server.url}/fleet.git`, dest);
    await commitFiles(dest, { 'x.yaml': 'x: 1\n' }, 'x');
    await expect(gitCli(dest, 'push', '-q', 'origin', 'HEAD:refs/heads/blocked')).rejects.toThrow(/500/);
    await expect(gitCli(path.join(root, 'fleet.git'), 'rev-parse', '--verify', '-q', 'refs/heads/blocked')).rejects.toThrow();
  });

  it('a 300 ms delay slows the answer; a hang is cut off by the client’s timeout', async () => {
    server.setFault({ delayMs: 300 });
    const started = Date.now();
    await git.listServerRefs({ http: httpNode, url: `${server.url}/fleet.git` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    server.setFault({ hang: true });
    const hangStart = Date.now();
    await expect(git.listServerRefs({ http: timedHttp(250), url: `${server.url}/fleet.git` })).rejects.toThrow();
    expect(Date.now() - hangStart).toBeLessThan(1500);
    expect(server.requests.at(-1)?.status).toBe(0);
  });

  it('close() returns promptly even while a request hangs', async () => {
    const extra = await startGitHttpServer(root, { fault: { hang: true } });
    const pending = git.listServerRefs({ http: httpNode, url: `${extra.url}/fleet.git` }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await extra.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});
