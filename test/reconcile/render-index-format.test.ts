// The render index's format (src/reconcile/render-index.ts): what a renderer kept and the applied
// state come back from encode then decode exactly as they went in — interned strings and values,
// rows without the fields they can be told from, hashes named by an applied object's row — and a
// document whose rows name what its tables do not have is refused, never trusted in part.
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PreviousPlacement } from '../../src/model/types.js';
import { versionedKey } from '../../src/objects/identity.js';
import { previousOfPlacement } from '../../src/render/contract.js';
import { IncrementalRenderer, type RendererSeeds } from '../../src/render/incremental.js';
import type { ParsedFileRecord } from '../../src/render/incremental/sources.js';
import type { RenderResult } from '../../src/render/render-fleet.js';
import { encodeRenderIndex, type RenderIndex } from '../../src/reconcile/render-index.js';
import { seedsField } from '../../src/reconcile/render-seeds.js';
import { appliedHash, contentHash, diffDesired, stateObjects, type AppliedState } from '../../src/state/change-set.js';
import { fleetEdit } from '../render/incremental-edits.js';
import { applyEdit, changesBetween, fleetFiles, initialFleet, type FleetEdit } from '../render/incremental-fleet.js';
import { decodeIndexFile, indexFileText, manifestsTreeOf } from './harness.js';

const STATUS = { statusBranch: 'flotilla-status', statusCommit: 'c'.repeat(40) };
/** The index's status commit, with the manifests/ tree of `applied`'s files (the only tree encodeRenderIndex writes it for). */
const statusOf = (applied: AppliedState) => ({ ...STATUS, manifestsTree: manifestsTreeOf(applied) });

function previousOf(r: RenderResult): Map<string, PreviousPlacement> {
  return new Map(r.placements.map((p) => [versionedKey(p.resource), previousOfPlacement(p, r.revision)]));
}

/** What a reconciler keeps after rendering the fleet through `commits` (each with the last placements as previous when asked). */
function renderedFleet(commits: ReadonlyArray<{ edits: FleetEdit[]; withPrevious: boolean }>) {
  const renderer = new IncrementalRenderer([], { details: false });
  let state = initialFleet();
  let files = fleetFiles(state);
  let last = renderer.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
  commits.forEach((c, i) => {
    for (const e of c.edits) state = applyEdit(state, e);
    const next = fleetFiles(state);
    last = renderer.update({
      revision: `rev-${i + 1}`,
      changes: changesBetween(files, next),
      previous: c.withPrevious ? previousOf(last) : undefined,
    });
    files = next;
  });
  const applied = diffDesired({ previous: new Map(), manifests: last.manifests }).next;
  return { applied, kept: renderer.keep(contentHash) };
}

async function roundTrip(
  applied: AppliedState,
  parsed: ParsedFileRecord[],
  seeds: RendererSeeds | null,
): Promise<RenderIndex | { problem: string }> {
  return decodeIndexFile((await encodeRenderIndex(statusOf(applied), applied, undefined, parsed, seedsField(seeds)))!);
}

/** The index a decode should give: applied objects unread, standing for their hash. */
function expectedIndex(applied: AppliedState, parsed: ParsedFileRecord[], seeds: RendererSeeds | null): RenderIndex {
  const objects = [...stateObjects(applied)].map((o) => ({ ...o, object: null, hash: appliedHash(o) }));
  return { ...statusOf(applied), objects, parsed, seeds };
}

/** The document of an index file, edited by `edit`, as a file again (checksum recomputed: only the shape can refuse it). */
function edited(data: Buffer, edit: (doc: Record<string, unknown>) => void): Buffer {
  const text = gunzipSync(data).toString('utf8');
  const nl = text.indexOf('\n');
  const doc = JSON.parse(text.slice(nl + 1)) as Record<string, unknown>;
  edit(doc);
  return gzipSync(indexFileText(JSON.stringify(doc)));
}

describe('the render index format', () => {
  it('a rendered fleet’s applied state, kept parses and seeds come back deep-equal', async () => {
    let seeded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ edits: fc.array(fleetEdit, { maxLength: 3 }), withPrevious: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        async (commits) => {
          const { applied, kept } = renderedFleet(commits);
          if ((kept.seeds?.renders.length ?? 0) > 0) seeded++;
          const expected = expectedIndex(applied, kept.parsed, kept.seeds);
          // Encoding reads its inputs only.
          const before = JSON.stringify(expected);
          expect(await roundTrip(applied, kept.parsed, kept.seeds)).toStrictEqual(expected);
          expect(JSON.stringify(expected)).toBe(before);
        },
      ),
      { numRuns: 25, seed: 13 },
    );
    expect(seeded).toBeGreaterThan(20);
  }, 120_000);

  it('rows that cannot be told from their identity are written in full and come back as they were', async () => {
    const { applied, kept } = renderedFleet([{ edits: [], withPrevious: true }]);
    const seeds = structuredClone(kept.seeds)!;
    const parsed = structuredClone(kept.parsed);
    // A placement naming another resource than its key, one with its fields in another order, a hash no applied object has.
    const [s0, s1] = seeds.schedules.filter((s) => s.result !== null);
    s0!.result = { ...s0!.result!, resource: { ...s0!.result!.resource, name: 'elsewhere' } };
    const { resource, ...body } = s1!.result!;
    s1!.result = { ...body, resource };
    seeds.renders[0]!.objects[0] = [seeds.renders[0]!.objects[0]![0], 'not-a-hash-of-any-object'];
    // A manifest with one more field, one with its fields in another order.
    const withManifests = parsed.filter((r) => r.manifests.length > 0);
    Object.assign(withManifests[0]!.manifests[0]!, { extra: true });
    const { source, ...rest } = withManifests[1]!.manifests[0]!;
    withManifests[1]!.manifests[0] = { source, ...rest };
    // A parse whose first manifest has schema findings (written per manifest; a parse with none as 0).
    const findings = [{ code: 'SCHEMA_TYPE' as const, path: ['data', 0, 'k'], message: 'data[0].k must be a string' }];
    withManifests[2]!.schema = withManifests[2]!.manifests.map((_, i) => (i === 0 ? findings : []));
    // An applied object whose path is not under its cluster's folder.
    const objects = [...stateObjects(applied)];
    const moved = new Map(
      [...applied].map(([cluster, byId]) => [
        cluster,
        new Map([...byId].map(([id, o]) => [id, o === objects[0] ? { ...o, path: `elsewhere/${o.path}` } : o])),
      ]),
    );
    const back = await roundTrip(moved, parsed, seeds);
    expect(back).toStrictEqual(expectedIndex(moved, parsed, seeds));
    // Parses and seeds with their fields in the order they had: what JSON of them (the status, a render) shows.
    const { parsed: p, seeds: s } = back as RenderIndex;
    expect(JSON.stringify({ p, s }) === JSON.stringify({ p: parsed, s: seeds })).toBe(true);
  });

  it('a document whose rows name strings, values or objects it does not have is refused with a reason', async () => {
    const { applied, kept } = renderedFleet([{ edits: [], withPrevious: true }]);
    const data = (await encodeRenderIndex(statusOf(applied), applied, undefined, kept.parsed, seedsField(kept.seeds)))!;
    type Seeds = { renderer: { schedules: unknown[]; renders: unknown[] } };
    const seedsOf = (doc: Record<string, unknown>) => (doc.seeds as Seeds).renderer;
    const withManifest = (doc: Record<string, unknown>) => (doc.parsed as unknown[][]).find((r) => (r[2] as unknown[]).length > 0)!;
    const cases: Array<[string, (doc: Record<string, unknown>) => void, RegExp]> = [
      ['a string past the table', (doc) => ((doc.objects as unknown[])[0] = (doc.strings as unknown[]).length), /malformed objects/],
      ['an object row cut short', (doc) => (doc.objects as unknown[]).pop(), /malformed objects/],
      ['no strings table', (doc) => delete doc.strings, /malformed tables/],
      ['a string that is a number', (doc) => (doc.strings as unknown[]).push(1), /malformed tables/],
      ['a value past the table', (doc) => (seedsOf(doc).schedules[5] = (doc.values as unknown[]).length), /malformed seeds/],
      ['a previous placement that is not one', (doc) => (doc.values as unknown[]).fill({ clusters: 'all' }), /malformed seeds/],
      ['a hash row past the objects', (doc) => seedsOf(doc).renders.splice(6, 1, [0, 10 ** 9]), /malformed seeds/],
      ['a parse without its text', (doc) => ((doc.parsed as unknown[][])[0]![1] = null), /malformed parsed files/],
      ['schema findings for no manifest', (doc) => (withManifest(doc)[6] = []), /malformed parsed files/],
      [
        'a schema finding of another code',
        (doc) => {
          const row = withManifest(doc);
          row[6] = (row[2] as unknown[]).map(() => [{ code: 'X', path: [], message: '' }]);
        },
        /malformed parsed files/,
      ],
    ];
    expect(decodeIndexFile(edited(data, () => {}))).toStrictEqual(expectedIndex(applied, kept.parsed, kept.seeds));
    for (const [name, edit, problem] of cases) {
      const decoded = decodeIndexFile(edited(data, edit));
      expect('problem' in decoded ? decoded.problem : 'trusted', name).toMatch(problem);
    }
  });
});
