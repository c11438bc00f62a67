// The render index (src/reconcile/render-index.ts): a restart that finds it reconciles exactly as one
// that reads the whole status branch; an older status commit's index is rolled forward, and one that
// cannot be (corrupt, another fleet's, a tree the repository lacks) is ignored and rebuilt.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { duplicatedFleet } from '../helpers/fleet.js';
import { cleanupRepos, commitFiles, git } from '../helpers/git.js';
import {
  encodeRenderIndex,
  INDEX_LAG_LIMIT,
  INDEX_WRITE_INTERVAL_MS,
  filesMismatch,
  indexMismatch,
  RENDER_INDEX_VERSION,
  type RenderIndex,
  hashWhile,
} from '../../src/reconcile/render-index.js';
import { treeOidOfFiles } from '../../src/source/tree-oid.js';
import { contentHash, stateFromObjects, type AppliedObject } from '../../src/state/change-set.js';
import {
  captureLogger,
  configFrom,
  configMapFleetFolder,
  copyOf,
  copyWithoutIndex,
  countingFs,
  decodeIndexFile,
  fakeClock,
  indexFileText,
  indexPath,
  readIndexFile,
  readTree,
  reconcilerFor,
  versionedConfigMap,
  writeIndexBody,
} from './harness.js';

afterAll(cleanupRepos);

const CLUSTERS = ['c1', 'c2', 'c3'];
const cm = versionedConfigMap;

/** A fleet of 3 clusters and 6 ConfigMaps, reconciled once into a directory target, in `base`. */
async function reconciledFleet() {
  const base = await configMapFleetFolder(CLUSTERS, 6, 'flotilla-index-');
  const first = await pass(base, fakeClock(Date.UTC(2024, 0, 1)));
  expect(first.outcome.phase).toBe('Synced');
  return base;
}

/**
 * reconciledFleet, then a one-file commit reconciled by a new process: after a first sync the next
 * pass schedules every resource again (their previous placement went from none to the first), so
 * that process writes a new index. The one on disk is then a steady pass's, as for most restarts.
 */
async function steadyFleet() {
  const base = await reconciledFleet();
  await commitFiles(path.join(base, 'repo'), { 'cm-5.yaml': cm('cm-5', 'v0') }, 'steady');
  const second = await pass(base, fakeClock(Date.UTC(2024, 1, 1)));
  expect(second.outcome.phase).toBe('Synced');
  const tip = await git(path.join(base, 'repo'), 'rev-parse', 'flotilla-status');
  expect((decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex).statusCommit).toBe(tip);
  return base;
}

/** One pass of a new reconciler (a new process) over `base`. */
async function pass(base: string, clock = fakeClock(Date.UTC(2024, 2, 1))) {
  const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
  const logs = captureLogger();
  const fsAdapter = countingFs();
  const { reconciler } = await reconcilerFor(loaded, { clock, fs: fsAdapter, log: logs.log });
  const outcome = await reconciler.reconcileOnce();
  const restoredLine = logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'restored state from the status branch');
  const notUsed = logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => String(l.msg).startsWith('render index not used'));
  const read = logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'read the revision, kept texts reused');
  const rolled = logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'render index rolled forward to the status branch tip');
  return {
    outcome,
    /** Source files the load stage read from their blobs, of all (null: it had no kept texts). */
    sourceReads: read ? { read: read.read, files: read.files } : null,
    fromIndex: restoredLine?.fromIndex ?? null,
    problem: (notUsed?.problem as string | undefined) ?? null,
    /** The files of manifests/ a restore read to roll the index forward (null: it did not). */
    rolled: rolled ? { files: rolled.files } : null,
    writes: fsAdapter.writes,
  };
}

/** What a pass leaves, byte for byte: manifests/, status.yaml and README.md (the folder's own path aside), the target's files. */
async function result(base: string) {
  const repo = path.join(base, 'repo');
  const show = async (file: string) => (await git(repo, 'show', `flotilla-status:${file}`)).split(base).join('<base>');
  return {
    manifests: await git(repo, 'rev-parse', 'flotilla-status:manifests'),
    status: await show('status.yaml'),
    readme: await show('README.md'),
    commits: await git(repo, 'rev-list', '--count', 'flotilla-status'),
    out: await readTree(path.join(base, 'out')),
  };
}

describe('render index', () => {
  it('a restart with the index reconciles a one-file commit byte for byte as one without it, rewriting only that file', async () => {
    const base = await steadyFleet();
    expect((await fs.stat(indexPath(base))).size).toBeGreaterThan(0);
    await commitFiles(path.join(base, 'repo'), { 'cm-2.yaml': cm('cm-2', 'v2') }, 'one file');
    const without = await copyWithoutIndex(base);

    const a = await pass(base);
    const b = await pass(without);
    expect(a.fromIndex).toBe(true);
    expect(b.fromIndex).toBe(false);
    expect(a.outcome.counts).toEqual({ created: 0, configured: 3, unchanged: 15, deleted: 0 });
    expect(b.outcome.counts).toEqual(a.outcome.counts);
    // The new process's renderer starts from the parses the index keeps: only the committed file is parsed.
    expect(a.outcome.renderStats?.reparsedFiles).toBe(1);
    expect(b.outcome.renderStats?.reparsedFiles).toBe(7);
    // Its load stage reads one blob, the committed file's: the others are the texts the index kept.
    expect(a.sourceReads).toEqual({ read: 1, files: 7 });
    expect(b.sourceReads).toBeNull();
    expect(a.writes.map((w) => path.relative(path.join(base, 'out'), w)).sort()).toEqual(
      CLUSTERS.map((c) => `${c}/default/configmap-cm-2.yaml`),
    );
    expect(await result(base)).toEqual(await result(without));
    // A process that started from an index leaves writing the next for later (INDEX_WRITE_INTERVAL_MS):
    // the one on disk is a commit behind, and the next restart rolls it forward, reading the 3 files that changed.
    const onDisk = decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex;
    expect(onDisk.statusCommit).not.toBe(await git(path.join(base, 'repo'), 'rev-parse', 'flotilla-status'));
    expect(b.problem).toBeNull();
    for (const dir of [base, without]) await commitFiles(path.join(dir, 'repo'), { 'cm-3.yaml': cm('cm-3', 'v2') }, 'another');
    const c = await pass(base);
    const d = await pass(without);
    expect(c.fromIndex).toBe(true);
    expect(c.rolled).toEqual({ files: 3 });
    expect(c.outcome.counts).toEqual({ created: 0, configured: 3, unchanged: 15, deleted: 0 });
    expect(d.outcome.counts).toEqual(c.outcome.counts);
    expect(await result(base)).toEqual(await result(without));
  });

  it('with kept parses, a commit dropping a cluster, adding a file and breaking another, then its fix, equal passes without', async () => {
    const base = await reconciledFleet();
    await commitFiles(
      path.join(base, 'repo'),
      { 'fleet.yaml': duplicatedFleet(['c1', 'c3']), 'cm-6.yaml': cm('cm-6', 'new'), 'cm-0.yaml': 'apiVersion: v1\nkind: [' },
      'fleet change',
    );
    const without = await copyWithoutIndex(base);
    const a = await pass(base);
    const b = await pass(without);
    expect(a.fromIndex).toBe(true);
    expect(a.outcome.phase).toBe('Invalid');
    expect(a.outcome.renderStats?.reparsedFiles).toBe(3);
    expect(await result(base)).toEqual(await result(without));
    expect(b.outcome.phase).toBe(a.outcome.phase);
    // Fixed: the next restart (index of the Invalid pass's status commit) applies the fleet change alike.
    for (const dir of [base, without]) await commitFiles(path.join(dir, 'repo'), { 'cm-0.yaml': cm('cm-0', 'fixed') }, 'fix');
    const c = await pass(base);
    const d = await pass(without);
    expect(c.outcome.phase).toBe('Synced');
    // The Invalid pass's index kept the broken file's parse too: only the fix is parsed.
    expect(c.fromIndex).toBe(true);
    expect(c.outcome.renderStats?.reparsedFiles).toBe(1);
    expect(d.outcome.counts).toEqual(c.outcome.counts);
    expect(await result(base)).toEqual(await result(without));
  });

  it("an older status commit's index is rolled forward by the files that changed (as is, it would keep a reverted object)", async () => {
    const base = await reconciledFleet();
    const stale = await fs.readFile(indexPath(base));
    await commitFiles(path.join(base, 'repo'), { 'cm-1.yaml': cm('cm-1', 'v2') }, 'change');
    expect((await pass(base)).outcome.phase).toBe('Synced');
    // Revert the change; put back the index of the first status commit, which records cm-1 at v1.
    await commitFiles(path.join(base, 'repo'), { 'cm-1.yaml': cm('cm-1', 'v1') }, 'revert');
    await fs.writeFile(indexPath(base), stale);
    const old = decodeIndexFile(stale) as RenderIndex;
    const entry = old.objects.find((o) => o.path === 'c1/default/configmap-cm-1.yaml')!;
    const onBranch = await git(path.join(base, 'repo'), 'show', 'flotilla-status:manifests/c1/default/configmap-cm-1.yaml');
    expect(onBranch).toContain('k: v2');
    // What keeping its rows as they were would do: its hash is the reverted object's, so the diff would call cm-1 unchanged and keep v2.
    const parsedOnBranch = parse(onBranch) as Record<string, unknown>;
    expect(entry.hash).toBe(contentHash({ ...parsedOnBranch, data: { k: 'v1' } }));
    expect(entry.hash).not.toBe(contentHash(parsedOnBranch));

    const without = await copyWithoutIndex(base);
    const a = await pass(base);
    expect(await fs.readFile(path.join(base, 'out/c1/default/configmap-cm-1.yaml'), 'utf8')).toContain('k: v1');
    expect(a.outcome.counts.configured).toBe(3);
    await pass(without);
    expect(await result(base)).toEqual(await result(without));
    expect(a.fromIndex).toBe(true);
    expect(a.rolled).toEqual({ files: 3 }); // cm-1 on each cluster, read from its blob at the tip
    expect(a.problem).toBeNull();
  });

  it('an index whose manifests/ tree the repository does not have is not rolled forward, and not used', async () => {
    const base = await steadyFleet();
    await commitFiles(path.join(base, 'repo'), { 'cm-1.yaml': cm('cm-1', 'v2') }, 'change');
    expect((await pass(base)).fromIndex).toBe(true); // it leaves the index a status commit behind
    const { header, body } = await readIndexFile(base);
    expect(header).toContain('"sha256"');
    const lost = body.replace(/"manifestsTree":"[0-9a-f]{40}"/, `"manifestsTree":"${'1'.repeat(40)}"`);
    expect(lost).not.toBe(body);
    await writeIndexBody(base, lost);
    await commitFiles(path.join(base, 'repo'), { 'cm-2.yaml': cm('cm-2', 'v2') }, 'another');
    const reference = await copyOf(base);
    await fs.rm(indexPath(reference));
    await pass(reference);
    const a = await pass(base);
    expect(a.fromIndex).toBe(false);
    expect(a.rolled).toBeNull();
    expect(a.problem).toMatch(/^written for status commit /);
    expect(await result(base)).toEqual(await result(reference));
  });

  it("an index rolled forward is proven again: rows that are not the tip's manifests/ tree are not used", async () => {
    const base = await steadyFleet();
    await commitFiles(path.join(base, 'repo'), { 'cm-1.yaml': cm('cm-1', 'v2') }, 'change');
    expect((await pass(base)).fromIndex).toBe(true); // it leaves the index a status commit behind
    // cm-0's blob oid, which the roll forward (cm-1's files) does not read again, made another one; checksum recomputed.
    const index = decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex;
    const oid = index.objects.find((o) => o.path.includes('configmap-cm-0'))!.oid;
    const { body } = await readIndexFile(base);
    await writeIndexBody(base, body.split(`"${oid}"`).join(`"${'0'.repeat(40)}"`));
    await commitFiles(path.join(base, 'repo'), { 'cm-2.yaml': cm('cm-2', 'v2') }, 'another');
    const reference = await copyWithoutIndex(base);
    await pass(reference);
    const a = await pass(base);
    expect(a.rolled).not.toBeNull();
    expect(a.fromIndex).toBe(false);
    expect(a.problem).toBe('its files are not those of the manifests/ tree');
    expect(await result(base)).toEqual(await result(reference));
  });

  it("an index of the format before (6) is used as another build's, its rows proven on load as that format did", async () => {
    const base = await steadyFleet();
    await commitFiles(path.join(base, 'repo'), { 'cm-2.yaml': cm('cm-2', 'v2') }, 'one file');
    const reference = await copyWithoutIndex(base);
    await pass(reference);
    const { body } = await readIndexFile(base);
    const index = decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex;
    const oid = index.objects.find((o) => o.path.includes('configmap-cm-0'))!.oid;
    const tampered = await copyOf(base);
    await fs.writeFile(indexPath(tampered), gzipSync(indexFileText(body.split(`"${oid}"`).join(`"${'0'.repeat(40)}"`), 6)));
    await fs.writeFile(indexPath(base), gzipSync(indexFileText(body, 6)));
    expect((decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex).unproven).toBe(true);

    const a = await pass(base);
    expect(a.fromIndex).toBe(true);
    expect(a.problem).toBeNull();
    expect(a.outcome.renderStats?.reparsedFiles).toBe(7); // its parses and seeds are not this build's
    expect(await result(base)).toEqual(await result(reference));
    const b = await pass(tampered);
    expect(b.fromIndex).toBe(false);
    expect(b.problem).toBe('its files are not those of the manifests/ tree');
    expect(await result(tampered)).toEqual(await result(reference));
  });

  it('a long-running reconciler writes the index every few minutes or changes behind, and stopping writes the last one', async () => {
    const base = await steadyFleet();
    const repo = path.join(base, 'repo');
    const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
    let now = Date.UTC(2024, 2, 1);
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const { reconciler } = await reconcilerFor(loaded, { clock });
    const indexed = async () => (decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex).statusCommit;
    const tip = () => git(repo, 'rev-parse', 'flotilla-status');
    const initial = await indexed();

    await commitFiles(repo, { 'cm-1.yaml': cm('cm-1', 'v2') }, 'one');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect(await tip()).not.toBe(initial);
    expect(await indexed()).toBe(initial); // it started from an index: writing the next is left for later

    now += 60_000;
    await commitFiles(repo, { 'cm-2.yaml': cm('cm-2', 'v2') }, 'two');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect(await indexed()).toBe(initial); // within the interval, 10 changes behind (objects, parsed files, rescheduled resources)

    await reconciler.flushRenderIndex();
    expect(await indexed()).toBe(await tip()); // stopping writes the last one

    now += INDEX_WRITE_INTERVAL_MS;
    await commitFiles(repo, { 'cm-3.yaml': cm('cm-3', 'v2') }, 'three');
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    const third = await tip();
    expect(await indexed()).toBe(third); // past the interval: written again

    // Within the interval, but more than INDEX_LAG_LIMIT objects changed: written at once.
    now += 60_000;
    const many = Math.ceil(INDEX_LAG_LIMIT / CLUSTERS.length) + 1;
    const bulk = Array.from({ length: many }, (_, i) => cm(`bulk-${i}`, 'v1')).join('---\n');
    await commitFiles(repo, { 'bulk.yaml': bulk }, 'bulk');
    const outcome = await reconciler.reconcileOnce();
    expect(outcome.counts.created).toBe(many * CLUSTERS.length);
    expect(await indexed()).not.toBe(third);
    expect(await indexed()).toBe(await tip());
  });

  it('a corrupt or foreign index is ignored, and the pass is the same as without one', async () => {
    const base = await reconciledFleet();
    const good = await fs.readFile(indexPath(base));
    const { header: plain, body } = await readIndexFile(base);
    await commitFiles(path.join(base, 'repo'), { 'cm-4.yaml': cm('cm-4', 'v9') }, 'one file');
    const reference = await copyOf(base);
    await fs.rm(indexPath(reference));
    await pass(reference);
    const expected = await result(reference);

    // Another fleet's index (same layout, other objects), renamed into place.
    const other = await reconciledFleet();
    await commitFiles(path.join(other, 'repo'), { 'cm-5.yaml': cm('cm-5', 'other') }, 'other fleet');
    // Without an index to start from, its pass writes one, for a manifests/ tree this repository never had.
    await fs.rm(indexPath(other));
    await pass(other);
    // The first kept parse's first manifest names an apiVersion past the strings table.
    const foreign = body.replace(/("parsed":\[\["[^"]*","(?:[^"\\]|\\.)*",\[\[)\d+/, '$199999999');
    expect(foreign).not.toBe(body);
    const cases: Record<string, Buffer> = {
      truncated: good.subarray(0, good.length >> 1),
      empty: Buffer.alloc(0),
      'not gzip': Buffer.from('{"format": "flotilla.dev/render-index"}'),
      'edited body': gzipSync(`${plain}\n${body.replace(/,"[A-Za-z0-9_-]{32}",/, ',"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",')}`),
      'future version': gzipSync(`${plain.replace(`"version":${RENDER_INDEX_VERSION}`, '"version":99')}\n${body}`),
      // A kept parse naming a string the index does not have: the checksum holds (recomputed), the record does not.
      'foreign parse': gzipSync(indexFileText(foreign)),
      'another fleet': await fs.readFile(indexPath(other)),
    };
    for (const [name, data] of Object.entries(cases)) {
      const copy = await copyOf(base);
      await fs.writeFile(indexPath(copy), data);
      const run = await pass(copy);
      expect(run.fromIndex, name).toBe(false);
      expect(run.problem, name).not.toBeNull();
      expect(await result(copy), name).toEqual(expected);
    }
  });

  it('a pass whose target failed writes no index for its status commit (the branch records another state than memory)', async () => {
    const base = await reconciledFleet();
    const tip1 = await git(path.join(base, 'repo'), 'rev-parse', 'flotilla-status');
    await commitFiles(path.join(base, 'repo'), { 'cm-3.yaml': cm('cm-3', 'v2') }, 'change');
    // c2's folder replaced by a file: the directory target cannot write there and reports a failure.
    await fs.rm(path.join(base, 'out/c2'), { recursive: true });
    await fs.writeFile(path.join(base, 'out/c2'), 'not a folder');
    const failed = await pass(base);
    expect(failed.outcome.phase).not.toBe('Synced');
    const tip2 = await git(path.join(base, 'repo'), 'rev-parse', 'flotilla-status');
    expect(tip2).not.toBe(tip1);
    expect((decodeIndexFile(await fs.readFile(indexPath(base))) as RenderIndex).statusCommit).toBe(tip1);
    // The next process rolls that index forward to what the branch records, and reconciles as one without it.
    await fs.rm(path.join(base, 'out/c2'));
    const without = await copyWithoutIndex(base);
    const a = await pass(base);
    await pass(without);
    expect(a.fromIndex).toBe(true);
    expect(a.rolled).not.toBeNull();
    expect(a.outcome.phase).toBe('Synced');
    expect(await result(base)).toEqual(await result(without));
  });

  it('an index is written only for rows that are the files of the manifests/ tree it names, and not past its size bound', async () => {
    const objects = [
      {
        id: 'x',
        cluster: 'c1',
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' },
        path: 'c1/default/configmap-a.yaml',
        qualified: false,
        oid: 'a'.repeat(40),
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } },
      },
    ];
    const state = stateFromObjects(objects);
    const tree = treeOidOfFiles([[objects[0]!.path, objects[0]!.oid]])!;
    const expected = { statusBranch: 's', statusCommit: 'c', manifestsTree: tree };
    const encode = (manifestsTree: string | null, objectsOf = state, maxBytes?: number) =>
      encodeRenderIndex({ statusBranch: 's', statusCommit: 'c', manifestsTree }, objectsOf, maxBytes);
    const index = decodeIndexFile((await encode(tree))!) as RenderIndex;
    // As written, it was proven at the write: the load checks only what it names.
    expect(indexMismatch(index, expected)).toBeNull();
    // Rows that are another file's, or none, are never written for the tree: the tree computed from them is not it.
    const otherFile = stateFromObjects([{ ...objects[0]!, oid: 'b'.repeat(40) }]);
    await expect(encode(tree, otherFile)).rejects.toThrow(/render index not written.*not those of the manifests/);
    await expect(encode(tree, stateFromObjects([]))).rejects.toThrow(/not those of the manifests/);
    await expect(encode(null)).rejects.toThrow(/1 objects, there is no manifests/);
    // Rolled forward, its rows are not the ones the write proved: the load proves them again.
    const rolled = { ...index, unproven: true as const };
    expect(indexMismatch({ ...rolled, objects: [{ ...index.objects[0]!, oid: 'b'.repeat(40) }] }, expected)).toMatch(
      /not those of the manifests/,
    );
    expect(indexMismatch({ ...rolled, objects: [...index.objects, index.objects[0]!] }, expected)).toMatch(/ConfigMap\|default\|a twice$/);
    expect(indexMismatch(rolled, expected)).toBeNull();
    expect(filesMismatch([], null)).toBeNull();
    expect(indexMismatch(index, { ...expected, manifestsTree: 'e'.repeat(40) })).toMatch(/another manifests/);
    expect(indexMismatch(index, { ...expected, statusBranch: 'other' })).toMatch(/branch s/);
    expect(indexMismatch(index, { ...expected, statusCommit: 'd' })).toMatch(/status commit c/);
    expect(await encode(tree, state, 100)).toBeNull();
  });
});

describe('content hashes computed while the write stage runs (hashWhile)', () => {
  const objects = (n: number): AppliedObject[] =>
    Array.from({ length: n }, (_, i) => {
      const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: `cm-${i}` };
      const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ref.name, namespace: 'default' }, data: { i: String(i) } };
      return {
        id: `c1/${ref.name}`,
        cluster: 'c1',
        ref,
        path: `c1/default/${ref.name}.yaml`,
        qualified: false,
        oid: '0'.repeat(40),
        object,
      };
    });

  it("hashes every object while the write is under way, as the index write would, and gives the write's result", async () => {
    const list = objects(500);
    const busy = new Promise<string>((resolve) => setTimeout(() => resolve('written'), 300));
    expect(await hashWhile(list, busy)).toBe('written');
    for (const o of list) expect(o.hash).toBe(contentHash(o.object!));
  });

  it('stops once the write is over: the pass does not wait for the hashing (the index write computes the rest)', async () => {
    const list = objects(50_000);
    expect(await hashWhile(list, Promise.resolve('written'))).toBe('written');
    expect(list.filter((o) => o.hash !== undefined).length).toBeLessThan(list.length);
  });
});
