// The render index's seeds (src/reconcile/render-seeds.ts, src/render/incremental/seeds.ts): a new
// process reuses the placements and knows the content hashes an earlier one computed, so a
// one-file commit after a restart schedules and hashes about what the commit touched — and the pass
// is byte for byte the one a restart without the index makes. Of an index another flotilla version
// wrote (a deploy), only the applied state is used.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PackReader } from '../../src/source/pack-reader.js';
import { cleanupRepos, commitFiles, git, makeTempDir } from '../helpers/git.js';
import { codeHash, flotillaBuild, rendererBuild } from '../../src/reconcile/build-identity.js';
import {
  captureLogger,
  configFrom,
  configMapFleetFolder,
  copyWithoutIndex,
  countingFs,
  fakeClock,
  readIndexFile,
  readTree,
  reconcilerFor,
  versionedConfigMap,
  writeIndexBody,
} from './harness.js';

afterAll(cleanupRepos);

const CLUSTERS = ['c1', 'c2', 'c3'];
const cm = versionedConfigMap;

/** One pass of a new reconciler (a new process) over `base`. */
async function pass(base: string, day: number) {
  const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
  const logs = captureLogger();
  const fsAdapter = countingFs();
  const { reconciler } = await reconcilerFor(loaded, { clock: fakeClock(Date.UTC(2024, 0, day)), fs: fsAdapter, log: logs.log });
  const outcome = await reconciler.reconcileOnce();
  const lines = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    outcome,
    fromIndex: lines.find((l) => l.msg === 'restored state from the status branch')?.fromIndex ?? null,
    problem: (lines.find((l) => String(l.msg).startsWith('render index not used'))?.problem as string | undefined) ?? null,
    writes: fsAdapter.writes.map((w) => path.relative(path.join(base, 'out'), w)).sort(),
    readBack: (lines.find((l) => l.msg === 'read back applied objects for the diff')?.objects as number | undefined) ?? 0,
  };
}

async function result(base: string) {
  const repo = path.join(base, 'repo');
  const show = async (file: string) => (await git(repo, 'show', `flotilla-status:${file}`)).split(base).join('<base>');
  return {
    status: await show('status.yaml'),
    manifests: await git(repo, 'rev-parse', 'flotilla-status:manifests'),
    out: await readTree(path.join(base, 'out')),
  };
}

/** 3 clusters, 20 ConfigMaps: a first pass, then a one-file commit and its pass, each in a new process. */
async function steadyFleet(): Promise<string> {
  const base = await configMapFleetFolder(CLUSTERS, 20, 'flotilla-seeds-');
  expect((await pass(base, 1)).outcome.phase).toBe('Synced');
  await commitFiles(path.join(base, 'repo'), { 'cm-0.yaml': cm('cm-0', 'v2') }, 'first edit');
  expect((await pass(base, 2)).outcome.phase).toBe('Synced');
  return base;
}

describe('render index seeds', () => {
  it('a restart then a one-file commit reschedules and rehashes only that resource, and equals a restart without the index', async () => {
    const base = await steadyFleet();
    await commitFiles(path.join(base, 'repo'), { 'cm-7.yaml': cm('cm-7', 'v2') }, 'one file');
    const without = await copyWithoutIndex(base);

    const a = await pass(base, 3);
    const b = await pass(without, 3);
    expect(a.fromIndex).toBe(true);
    expect(a.outcome.counts).toEqual({ created: 0, configured: 3, unchanged: 57, deleted: 0 });
    expect(b.outcome.counts).toEqual(a.outcome.counts);
    expect(a.writes).toEqual(CLUSTERS.map((c) => `${c}/default/configmap-cm-7.yaml`));
    // Only the committed resource is scheduled again; the other 19 resources' 57 objects come with their hash.
    expect(a.outcome.renderStats).toMatchObject({ reparsedFiles: 1, rescheduled: 1, knownHashes: 57 });
    // The seeds' hashes are the applied objects' own: only the 3 changed objects are read back to compare.
    expect(a.readBack).toBe(3);
    expect(b.outcome.renderStats).toMatchObject({ rescheduled: 20 });
    expect(await result(base)).toEqual(await result(without));
  });

  /** Rewrites the index at `base` as another writer would: `edit` changes its document; the checksum holds. */
  async function rewriteIndex(
    base: string,
    edit: (doc: { seeds: { flotilla: string; rendering: string }; contentHashes: number }) => void,
  ) {
    const doc = JSON.parse((await readIndexFile(base)).body) as { seeds: { flotilla: string; rendering: string }; contentHashes: number };
    edit(doc);
    await writeIndexBody(base, JSON.stringify(doc));
  }

  /** The index as a build with another renderer wrote it (a deploy that changed how flotilla parses, schedules or renders). */
  const otherRenderer = (doc: { seeds: { flotilla: string; rendering: string } }) => {
    doc.seeds.flotilla = '0.0.0-other';
    doc.seeds.rendering = 'renderer:0000000000000000';
  };

  it('a build with another renderer’s index (deploy): its applied state is used, not its parses or seeds; result as without', async () => {
    const base = await steadyFleet();
    expect(JSON.parse((await readIndexFile(base)).body).seeds.rendering).toBe(rendererBuild());
    await rewriteIndex(base, otherRenderer);
    await commitFiles(path.join(base, 'repo'), { 'cm-7.yaml': cm('cm-7', 'v2') }, 'one file');
    const without = await copyWithoutIndex(base);

    const a = await pass(base, 3);
    const b = await pass(without, 3);
    expect(a.fromIndex).toBe(true);
    expect(a.problem).toBeNull();
    // Every file parsed and every resource scheduled again by this version, no hash taken from seeds...
    expect(a.outcome.renderStats).toMatchObject({ reparsedFiles: 21, rescheduled: 20, knownHashes: 0 });
    // ...but the applied state came from the index: only the committed file is written.
    expect(a.writes).toEqual(CLUSTERS.map((c) => `${c}/default/configmap-cm-7.yaml`));
    expect(a.outcome.counts).toEqual(b.outcome.counts);
    expect(await result(base)).toEqual(await result(without));
    // This version wrote its own index after the pass.
    const written = JSON.parse((await readIndexFile(base)).body) as { seeds: { flotilla: string } };
    expect(written.seeds.flotilla).not.toBe('0.0.0-other');
  });

  it('another build’s index with no new commit (a deploy, nothing pushed): the pass writes this build’s index', async () => {
    const base = await steadyFleet();
    await rewriteIndex(base, otherRenderer);
    const a = await pass(base, 3);
    expect(a.fromIndex).toBe(true);
    expect(a.writes).toEqual([]);
    const written = JSON.parse((await readIndexFile(base)).body) as { seeds: { flotilla: string } };
    expect(written.seeds.flotilla).toBe(flotillaBuild());
    // The next restart reuses this build's seeds: nothing parsed or scheduled again.
    expect((await pass(base, 4)).outcome.renderStats).toMatchObject({ reparsedFiles: 0, rescheduled: 0 });
  });

  it('the index of a release before renderer builds (no `rendering`): its parses and seeds are left out', async () => {
    const base = await steadyFleet();
    await rewriteIndex(base, (doc) => {
      doc.seeds.flotilla = '0.0.0-other';
      delete (doc.seeds as { rendering?: string }).rendering;
    });
    const a = await pass(base, 3);
    expect(a.fromIndex).toBe(true);
    expect(a.outcome.renderStats).toMatchObject({ reparsedFiles: 21, rescheduled: 20, knownHashes: 0 });
  });

  it('another build’s index with this very renderer (a deploy that changed the service only): its parses and seeds are used', async () => {
    const base = await steadyFleet();
    await rewriteIndex(base, (doc) => (doc.seeds.flotilla = '0.0.0-other'));
    await commitFiles(path.join(base, 'repo'), { 'cm-7.yaml': cm('cm-7', 'v2') }, 'one file');
    const without = await copyWithoutIndex(base);

    const a = await pass(base, 3);
    const b = await pass(without, 3);
    expect(a.fromIndex).toBe(true);
    // As a restart of the same build: one file parsed, one resource scheduled, the other objects' hashes from the seeds.
    expect(a.outcome.renderStats).toMatchObject({ reparsedFiles: 1, rescheduled: 1, knownHashes: 57 });
    expect(a.writes).toEqual(CLUSTERS.map((c) => `${c}/default/configmap-cm-7.yaml`));
    expect(a.outcome.counts).toEqual(b.outcome.counts);
    expect(await result(base)).toEqual(await result(without));
    // That index is as good as this build's own: it is not written again at once (only with the usual interval or lag).
    expect(JSON.parse((await readIndexFile(base)).body).seeds.flotilla).toBe('0.0.0-other');
  });

  it('an index whose content hashes another version computed differently is not used: the status branch is read', async () => {
    const base = await steadyFleet();
    await rewriteIndex(base, (doc) => (doc.contentHashes += 1));
    await commitFiles(path.join(base, 'repo'), { 'cm-7.yaml': cm('cm-7', 'v2') }, 'one file');
    const a = await pass(base, 3);
    expect(a.fromIndex).toBe(false);
    expect(a.problem).toMatch(/content hashes of version/);
    expect(a.writes).toEqual(CLUSTERS.map((c) => `${c}/default/configmap-cm-7.yaml`));
  });

  it('a restart with no index reads a packed status branch (600 objects, from the pack) as one with the index', async () => {
    const base = await configMapFleetFolder(CLUSTERS, 200, 'flotilla-seeds-packed-');
    expect((await pass(base, 1)).outcome.phase).toBe('Synced');
    // The first pass stored its 600 manifests (and their trees) as a pack, not as loose objects.
    const packs = (await fs.readdir(path.join(base, 'repo', '.git', 'objects', 'pack'))).filter((n) => n.endsWith('.pack'));
    expect(packs.length).toBeGreaterThan(0);
    await commitFiles(path.join(base, 'repo'), { 'cm-7.yaml': cm('cm-7', 'v2') }, 'one file');
    const without = await copyWithoutIndex(base);

    const a = await pass(base, 2);
    // The restore without the index reads every manifest from the pack itself (PackReader), not by isomorphic-git.
    const packReads = vi.spyOn(PackReader.prototype, 'read');
    const b = await pass(without, 2);
    const packed = (await Promise.all(packReads.mock.results.map((r) => r.value as Promise<unknown>))).filter((o) => o !== null);
    packReads.mockRestore();
    expect(packed.length).toBeGreaterThanOrEqual(600);
    expect(a.fromIndex).toBe(true);
    expect(b.fromIndex).toBe(false);
    expect(b.outcome.counts).toEqual({ created: 0, configured: 3, unchanged: 597, deleted: 0 });
    expect(b.outcome.counts).toEqual(a.outcome.counts);
    expect(b.writes).toEqual(CLUSTERS.map((c) => `${c}/default/configmap-cm-7.yaml`));
    expect(await result(without)).toEqual(await result(base));
  });

  it('a build is told apart by its code, not only by its version: any module changed, added or renamed changes it', async () => {
    const root = await makeTempDir('flotilla-build-');
    await fs.mkdir(path.join(root, 'render'), { recursive: true });
    await fs.writeFile(path.join(root, 'cli.js'), 'export const a = 1;\n');
    await fs.writeFile(path.join(root, 'render', 'schedule.js'), 'export const b = 2;\n');
    const first = codeHash(root);
    expect(codeHash(root)).toBe(first);
    // Type declarations and source maps are not code that runs.
    await fs.writeFile(path.join(root, 'render', 'schedule.d.ts'), 'export declare const b: number;\n');
    await fs.writeFile(path.join(root, 'render', 'schedule.js.map'), '{}');
    expect(codeHash(root)).toBe(first);
    await fs.writeFile(path.join(root, 'render', 'schedule.js'), 'export const b = 3;\n');
    const changed = codeHash(root);
    expect(changed).not.toBe(first);
    await fs.rename(path.join(root, 'render', 'schedule.js'), path.join(root, 'render', 'place.js'));
    expect(codeHash(root)).not.toBe(changed);
    // A dependency upgrade is another build: the lockfile counts, when there is one.
    const lock = path.join(root, 'package-lock.json');
    expect(codeHash(root, [lock])).toBe(codeHash(root));
    await fs.writeFile(lock, '{"yaml": "2.9.1"}');
    const locked = codeHash(root, [lock]);
    await fs.writeFile(lock, '{"yaml": "2.9.2"}');
    expect(codeHash(root, [lock])).not.toBe(locked);
    // This process's build: the package version and the hash of its own modules.
    expect(flotillaBuild()).toMatch(/^\d+\.\d+\.\d+.*\+[0-9a-f]{16}$/);
  });
});
