// The push flotilla speaks itself (src/source/receive-pack.ts) and the pack it sends
// (ObjectStore.packSince): git itself must accept the pack as the objects a commit adds, and the
// protocol's answers must be read as git-receive-pack writes them.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ObjectStore } from '../../src/source/objects.js';
import {
  parseReceiveAdvertisement,
  parseReceiveReport,
  readPktLines,
  sendReceivePack,
  type GitHttpClient,
} from '../../src/source/receive-pack.js';
import { isTransient } from '../../src/source/retry.js';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const pkt = (text: string) => `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`;

/** Feeds `pack` to `git index-pack --stdin` in `gitdir`: git's own check of every object and the pack's checksum. */
function indexPack(gitdir: string, pack: readonly Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['index-pack', '--stdin', '--strict'], { cwd: gitdir }, (err, out, errOut) =>
      err ? reject(new Error(String(errOut))) : resolve(String(out).trim()),
    );
    child.stdin!.end(Buffer.concat(pack));
  });
}

/** A receiver holding `base` (a bare clone of its history), or nothing (a new empty repository). */
async function receiver(dir: string, base: string | null): Promise<string> {
  const bare = path.join(await makeTempDir(), 'receiver.git');
  if (base === null) await git(path.dirname(bare), 'init', '-q', '--bare', bare);
  else {
    await git(path.dirname(bare), 'clone', '-q', '--bare', '--no-local', dir, bare);
    await git(bare, 'update-ref', 'refs/heads/main', base);
  }
  return bare;
}

describe('ObjectStore.packSince', () => {
  it('a one-file commit sends its commit, the trees on the path and the blob; git finds nothing missing', async () => {
    const { dir, commit: base } = await makeRepo({
      'fleet.yaml': 'kind: Fleet\n',
      'manifests/a/x.yaml': 'kind: X\n',
      'manifests/b/y.yaml': 'kind: Y\n',
    });
    const bare = await receiver(dir, base);
    const next = await commitFiles(dir, { 'manifests/a/x.yaml': 'kind: X\nreplicas: 2\n' }, 'one file');
    const store = new ObjectStore(path.join(dir, '.git'));
    const { pack, count } = await store.packSince(next, base);
    // commit, root tree, manifests/, manifests/a/, the blob
    expect(count).toBe(5);
    await indexPack(bare, pack);
    await git(bare, 'update-ref', 'refs/heads/main', next, base);
    await git(bare, 'fsck', '--strict', '--no-dangling');
    expect(await git(bare, 'show', 'main:manifests/a/x.yaml')).toBe('kind: X\nreplicas: 2');
  });

  it('with no base, sends the whole history; with a base two commits back, both commits', async () => {
    const { dir, commit: first } = await makeRepo({ 'a.yaml': 'kind: A\n', 'sub/b.yaml': 'kind: B\n', 'link.yaml': { symlink: 'a.yaml' } });
    const second = await commitFiles(dir, { 'sub/c.yaml': 'kind: C\n' }, 'second');
    const third = await commitFiles(dir, { 'a.yaml': null, 'sub/b.yaml': 'kind: B2\n' }, 'third');
    const store = new ObjectStore(path.join(dir, '.git'));

    const empty = await receiver(dir, null);
    await indexPack(empty, (await store.packSince(third, null)).pack);
    await git(empty, 'update-ref', 'refs/heads/main', third);
    await git(empty, 'fsck', '--strict', '--no-dangling');
    expect((await git(empty, 'rev-list', 'main')).split('\n')).toEqual([third, second, first]);

    const behind = await receiver(dir, first);
    await indexPack(behind, (await store.packSince(third, first)).pack);
    await git(behind, 'update-ref', 'refs/heads/main', third, first);
    await git(behind, 'fsck', '--strict', '--no-dangling');
    expect(await git(behind, 'show', 'main:sub/b.yaml')).toBe('kind: B2');
  });

  it('after git gc reads the same objects from the pack', async () => {
    const { dir, commit: base } = await makeRepo({ 'a/b/c.yaml': 'kind: C\n', 'd.yaml': 'kind: D\n' });
    const next = await commitFiles(dir, { 'a/b/c.yaml': 'kind: C2\n' }, 'next');
    const loose = await new ObjectStore(path.join(dir, '.git')).packSince(next, base);
    await git(dir, 'gc', '-q', '--prune=now');
    const packed = await new ObjectStore(path.join(dir, '.git')).packSince(next, base);
    expect(packed.count).toBe(loose.count);
    expect(Buffer.concat(packed.pack).equals(Buffer.concat(loose.pack))).toBe(true);
  });
});

describe('receive-pack protocol', () => {
  it('reads an advertisement: refs, and the capabilities after the first NUL', () => {
    const oid = 'a'.repeat(40);
    const lines = [`${oid} refs/heads/main\0report-status delete-refs ofs-delta\n`, `${'b'.repeat(40)} refs/heads/flotilla-status\n`];
    const text = `${pkt('# service=git-receive-pack\n')}0000${lines.map(pkt).join('')}0000`;
    const ad = parseReceiveAdvertisement(Buffer.from(text));
    expect([...ad.refs]).toEqual([
      ['refs/heads/main', oid],
      ['refs/heads/flotilla-status', 'b'.repeat(40)],
    ]);
    expect(ad.capabilities.has('report-status')).toBe(true);
  });

  it('an empty repository advertises capabilities^{} and no ref', () => {
    const text = `${pkt('# service=git-receive-pack\n')}0000${pkt(`${'0'.repeat(40)} capabilities^{}\0report-status\n`)}0000`;
    const ad = parseReceiveAdvertisement(Buffer.from(text));
    expect(ad.refs.size).toBe(0);
    expect(ad.capabilities.has('report-status')).toBe(true);
  });

  it('skips lines before the first flush; an ERR line is the server’s refusal, in its words', () => {
    const ad = parseReceiveAdvertisement(
      Buffer.from(
        `${pkt('# service=git-receive-pack\n')}${pkt('extra\n')}0000${pkt(`${'c'.repeat(40)} refs/heads/main\0report-status\n`)}0000`,
      ),
    );
    expect([...ad.refs.keys()]).toEqual(['refs/heads/main']);
    expect(() => parseReceiveAdvertisement(Buffer.from(`${pkt('# service=git-receive-pack\n')}0000${pkt('ERR access denied\n')}`))).toThrow(
      'the git server refused: access denied',
    );
  });

  it('an answer cut short or out of framing is retried (transient), as isomorphic-git’s was', () => {
    const errorOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error('no error');
    };
    for (const bad of ['0x0a', '+00a', ' 00a', '00zz', '00ffshort'])
      expect(isTransient(errorOf(() => readPktLines(Buffer.from(bad)))), bad).toBe(true);
    expect(isTransient(errorOf(() => parseReceiveReport(Buffer.from(''), 'refs/heads/main')))).toBe(true);
  });

  it('names the agent only when the server offered one (a client must not send capabilities it was not offered)', async () => {
    const sent: string[] = [];
    const client: GitHttpClient = {
      request: async (r) => {
        sent.push(Buffer.concat((r.body as unknown as Buffer[]) ?? []).toString('latin1'));
        const answer = Buffer.from(`${pkt('unpack ok\n')}${pkt('ok refs/heads/s\n')}0000`);
        return {
          url: r.url,
          method: r.method,
          headers: {},
          statusCode: 200,
          statusMessage: 'OK',
          body: [answer][Symbol.iterator]() as never,
        };
      },
    };
    const update = { ref: 'refs/heads/s', old: '0'.repeat(40), next: 'a'.repeat(40), pack: [Buffer.from('PACK')] };
    await sendReceivePack(client, 'http://x/r.git', {}, { ...update, capabilities: new Set(['report-status']) });
    await sendReceivePack(client, 'http://x/r.git', {}, { ...update, capabilities: new Set(['report-status', 'agent=git/2.39']) });
    expect(sent[0]).toContain('\0report-status0000');
    expect(sent[1]).toContain('\0report-status agent=flotilla0000');
  });

  it('refuses an answer that is not git-receive-pack, and a malformed pkt-line', () => {
    expect(() => parseReceiveAdvertisement(Buffer.from('<html>login</html>'))).toThrow(/malformed pkt-line|did not answer/);
    expect(() => parseReceiveAdvertisement(Buffer.from(`${pkt('# service=git-upload-pack\n')}0000`))).toThrow(
      'did not answer as git-receive-pack',
    );
    expect(() => readPktLines(Buffer.from('00ffshort'))).toThrow('malformed pkt-line at byte 0');
  });

  it('reads the report: ok, a refusal with its reason, an unpack error, and no word of the ref', () => {
    const ref = 'refs/heads/flotilla-status';
    expect(parseReceiveReport(Buffer.from(`${pkt('unpack ok\n')}${pkt(`ok ${ref}\n`)}0000`), ref)).toEqual({ unpack: 'ok', refused: null });
    expect(parseReceiveReport(Buffer.from(`${pkt('unpack ok\n')}${pkt(`ng ${ref} failed to update ref\n`)}0000`), ref)).toEqual({
      unpack: 'ok',
      refused: 'failed to update ref',
    });
    expect(
      parseReceiveReport(Buffer.from(`${pkt('unpack index-pack abnormal exit\n')}${pkt(`ng ${ref} unpacker error\n`)}0000`), ref),
    ).toEqual({
      unpack: 'index-pack abnormal exit',
      refused: 'unpacker error',
    });
    expect(() => parseReceiveReport(Buffer.from(`${pkt('unpack ok\n')}0000`), ref)).toThrow(`does not report ${ref}`);
  });
});
