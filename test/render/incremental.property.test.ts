// Property: after every commit of a random sequence, the incremental renderer's result equals
// renderFleet over the whole file set, byte for byte (issue 3: "incremental output == full output
// after every commit").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PreviousPlacement } from '../../src/model/types.js';
import { IncrementalRenderer, type ParsedFileRecord } from '../../src/render/incremental.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { versionedKey as resourceKey } from '../../src/objects/identity.js';
import { applyEdit, changesBetween, fleetFiles, initialFleet, sourceFiles } from './incremental-fleet.js';
import { fleetEdit } from './incremental-edits.js';
import { defaultBuildConfig } from '../../src/config/schema.js';
import { buildSourceFiles, SourceBuilder } from '../../src/generate/builder.js';
import { duplicatedFleet } from '../helpers/fleet.js';
import { kustomizeAvailable } from '../helpers/kustomize.js';

const withKustomize = await kustomizeAvailable();

/** A commit: one to three edits, and whether the reconciler passes the last placements as `previous`. */
const commit = fc.record({ edits: fc.array(fleetEdit, { minLength: 1, maxLength: 3 }), withPrevious: fc.boolean() });

function previousOf(r: RenderResult): Map<string, PreviousPlacement> {
  return new Map(r.placements.map((p) => [resourceKey(p.resource), { clusters: p.clusters, affinityName: p.affinityName ?? null }]));
}

function withoutStats(r: RenderResult & { stats: unknown }): RenderResult {
  const { stats: _stats, ...rest } = r;
  return rest;
}

/** Where two JSON values first differ (a short path), or null when their JSON is identical. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.join('\u0000') !== keysB.join('\u0000'))
      return `${path}: keys ${JSON.stringify(keysA).slice(0, 300)} vs ${JSON.stringify(keysB).slice(0, 300)}`;
    for (const k of keysA) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 300)} vs ${JSON.stringify(b)?.slice(0, 300)}`;
}

/** Asserts incremental == full by JSON, failing with the first difference instead of two huge strings. */
function expectSameRender(incremental: RenderResult & { stats: unknown }, full: RenderResult): void {
  const got = withoutStats(incremental);
  if (JSON.stringify(got) !== JSON.stringify(full)) throw new Error(`incremental differs from full: ${firstDifference(got, full)}`);
}

describe('incremental renderer equals the full render', () => {
  it(
    'after every commit of 50 random 10-commit sequences (edits, adds, deletes, renames, ' +
      'relabels, weights, clusterNames, taints, overrides, broken YAML)',
    () => {
      fc.assert(
        fc.property(fc.array(commit, { minLength: 10, maxLength: 10 }), (commits) => {
          const engine = new IncrementalRenderer();
          let state = initialFleet();
          let files = fleetFiles(state);
          let last = renderFleet({ files: sourceFiles(files), revision: 'rev-0' });
          const first = engine.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
          expectSameRender(first, last);
          commits.forEach((c, i) => {
            for (const e of c.edits) state = applyEdit(state, e);
            const next = fleetFiles(state);
            const revision = `rev-${i + 1}`;
            const previous = c.withPrevious ? previousOf(last) : undefined;
            const got = engine.update({ revision, changes: changesBetween(files, next), previous });
            files = next;
            expect(engine.files()).toEqual(sourceFiles(files));
            last = renderFleet({ files: sourceFiles(files), revision, previous });
            expectSameRender(got, last);
          });
        }),
        { numRuns: 50 },
      );
    },
    90_000,
  ); // 50 sequences of 10 full-vs-incremental renders: about 15 s alone, more on a loaded 2-core machine

  it('in a new process started from the parses an earlier one kept (through JSON), after a commit and every commit after it', () => {
    let seeded = 0;
    fc.assert(
      fc.property(fc.array(commit, { minLength: 1, maxLength: 4 }), fc.array(commit, { minLength: 1, maxLength: 3 }), (before, after) => {
        // The earlier process: renders up to the last commit of `before` and keeps its parses.
        const earlier = new IncrementalRenderer();
        let state = initialFleet();
        let files = fleetFiles(state);
        earlier.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
        before.forEach((c, i) => {
          for (const e of c.edits) state = applyEdit(state, e);
          const next = fleetFiles(state);
          earlier.update({ revision: `rev-${i + 1}`, changes: changesBetween(files, next) });
          files = next;
        });
        const kept = JSON.parse(JSON.stringify(earlier.parsedFiles())) as ParsedFileRecord[];
        // The new process: its first update carries every file of each later revision's head.
        const engine = new IncrementalRenderer(kept);
        let seen = new Map<string, string>();
        after.forEach((c, i) => {
          for (const e of c.edits) state = applyEdit(state, e);
          const next = fleetFiles(state);
          const revision = `rev-after-${i}`;
          const got = engine.update({ revision, changes: changesBetween(seen, next) });
          // Unless the revision had to be parsed whole, only the files the commit changed are parsed.
          if (i === 0 && got.stats.reparsedFiles < next.size) {
            expect(got.stats.reparsedFiles).toBeLessThanOrEqual([...next].filter(([p, text]) => files.get(p) !== text).length);
            seeded++;
          }
          seen = next;
          expectSameRender(got, renderFleet({ files: sourceFiles(next), revision }));
        });
      }),
      { numRuns: 40, seed: 13 },
    );
    expect(seeded).toBeGreaterThan(20);
  }, 90_000);
});

/** A repository with a Kustomize base, two overlays and plain files; each edit changes one of them. */
interface KustomizeRepo {
  baseValue: number;
  baseSecond: boolean;
  suffix: [string, string];
  broken: [boolean, boolean];
  kustomized: [boolean, boolean];
  extra: [boolean, boolean];
  plain: number | null;
}

type KustomizeEdit =
  | { op: 'baseValue'; value: number }
  | { op: 'baseSecond' }
  | { op: 'suffix'; overlay: 0 | 1; suffix: string }
  | { op: 'break'; overlay: 0 | 1 }
  | { op: 'kustomized'; overlay: 0 | 1 }
  | { op: 'extra'; overlay: 0 | 1 }
  | { op: 'plain'; value: number | null };

const kustomizeEdit: fc.Arbitrary<KustomizeEdit> = fc.oneof(
  fc.record({ op: fc.constant('baseValue' as const), value: fc.nat(2) }),
  fc.record({ op: fc.constant('baseSecond' as const) }),
  fc.record({
    op: fc.constant('suffix' as const),
    overlay: fc.constantFrom(0 as const, 1 as const),
    suffix: fc.constantFrom('-a', '-b', '-z'),
  }),
  fc.record({ op: fc.constant('break' as const), overlay: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ op: fc.constant('kustomized' as const), overlay: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ op: fc.constant('extra' as const), overlay: fc.constantFrom(0 as const, 1 as const) }),
  // A plain ConfigMap, sometimes named like an overlay's output (a duplicate across a plain file and a build).
  fc.record({ op: fc.constant('plain' as const), value: fc.option(fc.nat(2)) }),
);

function applyKustomizeEdit(r: KustomizeRepo, e: KustomizeEdit): KustomizeRepo {
  const flip = <T extends [boolean, boolean]>(pair: T, i: 0 | 1): T => (i === 0 ? [!pair[0], pair[1]] : [pair[0], !pair[1]]) as T;
  switch (e.op) {
    case 'baseValue':
      return { ...r, baseValue: e.value };
    case 'baseSecond':
      return { ...r, baseSecond: !r.baseSecond };
    case 'suffix':
      return { ...r, suffix: e.overlay === 0 ? [e.suffix, r.suffix[1]] : [r.suffix[0], e.suffix] };
    case 'break':
      return { ...r, broken: flip(r.broken, e.overlay) };
    case 'kustomized':
      return { ...r, kustomized: flip(r.kustomized, e.overlay) };
    case 'extra':
      return { ...r, extra: flip(r.extra, e.overlay) };
    case 'plain':
      return { ...r, plain: e.value };
  }
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata: {v: "${value}"}\n`;

function kustomizeFiles(r: KustomizeRepo): Map<string, string> {
  const files = new Map<string, string>();
  files.set('fleet.yaml', duplicatedFleet(['member-a', 'member-b']));
  files.set('k/base/kustomization.yaml', `resources: [one.yaml${r.baseSecond ? ', two.yaml' : ''}]\n`);
  files.set('k/base/one.yaml', configMap('one', `base-${r.baseValue}`));
  files.set('k/base/two.yaml', configMap('two', 'second'));
  ['x', 'y'].forEach((name, i) => {
    const dir = `k/${name}`;
    if (r.kustomized[i]) {
      const resources = ['../base', ...(r.extra[i] ? ['extra.yaml'] : []), ...(r.broken[i] ? ['missing.yaml'] : [])];
      files.set(`${dir}/kustomization.yaml`, `resources: [${resources.join(', ')}]\nnameSuffix: ${r.suffix[i]}\n`);
    }
    // Read on its own when the folder has no kustomization; part of the build when it has one.
    if (r.extra[i]) files.set(`${dir}/extra.yaml`, configMap(`extra-${name}`, name));
  });
  if (r.plain !== null) files.set('plain.yaml', configMap(r.plain === 0 ? 'one-a' : `plain-${r.plain}`, 'plain'));
  return files;
}

describe.skipIf(!withKustomize)(
  'incremental renderer equals the full render over Kustomize folders (FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)',
  () => {
    it(
      'after every commit of 4 random 5-commit sequences ' +
        '(base and overlay edits, suffix collisions, broken and removed kustomizations)',
      async () => {
        const config = defaultBuildConfig();
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(kustomizeEdit, { minLength: 1, maxLength: 2 }), { minLength: 5, maxLength: 5 }),
            async (commits) => {
              const builder = new SourceBuilder(config);
              const engine = new IncrementalRenderer();
              let state: KustomizeRepo = {
                baseValue: 0,
                baseSecond: false,
                suffix: ['-a', '-b'],
                broken: [false, false],
                kustomized: [true, true],
                extra: [false, false],
                plain: null,
              };
              let files = new Map<string, string>();
              for (const [i, edits] of [[], ...commits].entries()) {
                for (const e of edits) state = applyKustomizeEdit(state, e);
                const next = kustomizeFiles(state);
                const revision = `rev-${i}`;
                const got = engine.update({ revision, changes: await builder.update(changesBetween(files, next)) });
                files = next;
                // The full side: a fresh build of every folder from the whole file set, then renderFleet.
                const full = await buildSourceFiles(sourceFiles(files), config);
                expect(engine.files()).toEqual(full);
                expectSameRender(got, renderFleet({ files: full, revision }));
              }
            },
          ),
          { numRuns: 4 },
        );
      },
      90_000,
    ); // 4 sequences of 6 renders, each with a fresh full build (2 kubectl runs): about 10 s alone
  },
);
