// Issue 3's property: drive random commit sequences (edits, adds, deletes, renames, policy,
// override and cluster changes, broken files) through the reconciler and check, after every
// commit, that what it wrote equals a full render of that commit — or, for an invalid commit,
// still equals the last good one.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import git from 'isomorphic-git';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { previousFromJson, placementJson } from '../../src/render/contract.js';
import { layoutManifests } from '../../src/objects/layout.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { sortKeysDeep } from '../../src/objects/serialize.js';
import { normalizeForDiff } from '../../src/state/change-set.js';
import { ObjectStore } from '../../src/source/objects.js';
import type { PreviousPlacement } from '../../src/model/types.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';
import { captureLogger, configFrom, readTree, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

type Files = Map<string, string>;

const cluster = (i: number, tier: string) =>
  `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: c${i}\n  ` +
  `labels: {tier: ${tier}}\nspec:\n  provider: p${i % 2}\n  region: r${i % 2}\n`;
const deployment = (k: number, group: number, replicas: number) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d${k}\n  namespace: ` +
  `ns${k % 2}\n  labels: {group: g${group}}\nspec:\n  replicas: ${replicas}\n  selector: ` +
  `{matchLabels: {app: d${k}}}\n  template:\n    metadata: {labels: {app: d${k}}}\n    ` +
  `spec:\n      containers: [{name: main, image: example.com/d${k}:1.0}]\n---\napiVersion: ` +
  `v1\nkind: ConfigMap\nmetadata: {name: d${k}-config, namespace: ns${k % 2}, labels: ` +
  `{group: g${group}}}\ndata: {k: "${k}"}\n`;
const policy = (j: number, tier: string, divided: boolean, w0: number, w1: number) =>
  `apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\nmetadata: {name: ` +
  `p${j}}\nspec:\n  resourceSelectors:\n  - {apiVersion: apps/v1, kind: Deployment, ` +
  `labelSelector: {matchLabels: {group: g${j}}}}\n  - {apiVersion: v1, kind: ConfigMap, ` +
  `labelSelector: {matchLabels: {group: g${j}}}}\n  placement:\n    clusterAffinity: ` +
  `{labelSelector: {matchLabels: {tier: ${tier}}}}\n` +
  (divided
    ? `    replicaScheduling:\n      replicaSchedulingType: Divided\n      ` +
      `replicaDivisionPreference: Weighted\n      weightPreference:\n        staticWeightList:\n ` +
      `       - {targetCluster: {labelSelector: {matchLabels: {tier: gold}}}, weight: ${w0}}\n   ` +
      `     - {targetCluster: {labelSelector: {matchLabels: {tier: silver}}}, weight: ${w1}}\n`
    : '');
const override = (tag: string) =>
  `apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterOverridePolicy\nmetadata: {name: ` +
  `o0}\nspec:\n  resourceSelectors:\n  - {apiVersion: apps/v1, kind: Deployment, ` +
  `labelSelector: {matchLabels: {group: g0}}}\n  overrideRules:\n  - targetCluster: ` +
  `{clusterNames: [c0]}\n    overriders:\n      imageOverrider:\n      - {component: Tag, ` +
  `operator: replace, value: "${tag}"}\n`;

function initialFleet(): Files {
  const files: Files = new Map();
  for (let i = 0; i < 3; i++) files.set(`clusters/c${i}.yaml`, cluster(i, i === 0 ? 'gold' : 'silver'));
  files.set('policies/p0.yaml', policy(0, 'gold', false, 1, 1));
  files.set('policies/p1.yaml', policy(1, 'silver', true, 2, 1));
  for (let k = 0; k < 4; k++) files.set(`apps/d${k}.yaml`, deployment(k, k % 2, 1 + k));
  files.set('overrides/o0.yaml', override('1.1'));
  return files;
}

/** One edit of the fleet repository, as a user would push it. */
type Op = (files: Files) => void;
const pick = (files: Files, n: number, prefix = ''): string | undefined => {
  const keys = [...files.keys()].filter((k) => k.startsWith(prefix)).sort();
  return keys.length ? keys[n % keys.length] : undefined;
};
const opArb: fc.Arbitrary<{ name: string; op: Op }> = fc.oneof(
  fc
    .record({ k: fc.nat(5), g: fc.nat(1), r: fc.integer({ min: 0, max: 9 }) })
    .map(({ k, g, r }) => ({ name: `set d${k} g${g} ×${r}`, op: (f: Files) => void f.set(`apps/d${k}.yaml`, deployment(k, g, r)) })),
  fc.nat(20).map((n) => ({ name: `delete #${n}`, op: (f: Files) => void f.delete(pick(f, n, 'apps/') ?? '') })),
  fc.nat(20).map((n) => ({
    name: `rename #${n}`,
    op: (f: Files) => {
      const from = pick(f, n);
      if (!from) return;
      const text = f.get(from)!;
      f.delete(from);
      f.set(from.replace(/\.yaml$/, `-moved.yaml`).replace(/^([^/]+)\//, 'moved/$1-'), text);
    },
  })),
  fc
    .record({
      j: fc.nat(1),
      tier: fc.constantFrom('gold', 'silver'),
      divided: fc.boolean(),
      w0: fc.integer({ min: 1, max: 4 }),
      w1: fc.integer({ min: 1, max: 4 }),
    })
    .map(({ j, tier, divided, w0, w1 }) => ({
      name: `policy p${j} ${tier} ${divided ? `${w0}:${w1}` : 'dup'}`,
      op: (f: Files) => {
        const existing = pick(f, 0, `policies/p${j}`) ?? `policies/p${j}.yaml`;
        f.set(existing, policy(j, tier, divided, w0, w1));
      },
    })),
  fc.record({ i: fc.nat(4), tier: fc.constantFrom('gold', 'silver', 'bronze'), remove: fc.boolean() }).map(({ i, tier, remove }) => ({
    name: `${remove ? 'remove' : 'set'} cluster c${i} ${tier}`,
    op: (f: Files) => (remove ? void f.delete(`clusters/c${i}.yaml`) : void f.set(`clusters/c${i}.yaml`, cluster(i, tier))),
  })),
  fc
    .constantFrom('1.2', '2.0', '3.1')
    .map((tag) => ({ name: `override tag ${tag}`, op: (f: Files) => void f.set('overrides/o0.yaml', override(tag)) })),
  fc.nat(20).map((n) => ({ name: `break #${n}`, op: (f: Files) => void f.set(`broken/b${n % 2}.yaml`, 'kind: [unclosed\n') })),
  fc.nat(1).map((n) => ({ name: `fix b${n}`, op: (f: Files) => void f.delete(`broken/b${n}.yaml`) })),
);

/** Commits the whole file set on main of a bare repository, without the git CLI (fast). */
async function commitAll(store: ObjectStore, files: Files, parent: string | null, n: number): Promise<string> {
  const edits = new Map<string, string | null>();
  for (const [p, text] of files) edits.set(p, await store.writeBlob(text));
  const tree = await store.editTree(null, edits);
  const commit = await store.writeCommit({
    tree,
    parents: parent ? [parent] : [],
    message: `commit ${n}`,
    author: { name: 't', email: 't@t', timestamp: 1704067200 + n },
  });
  await git.writeRef({ fs, gitdir: store.gitdir, ref: 'refs/heads/main', value: commit, force: true });
  return commit;
}

/** Expected directory content: a full render's layout, each object without volatile annotations. */
function expectedLayout(manifests: Record<string, Record<string, unknown>[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path: p, object } of layoutManifests(manifests)) out[p] = sortKeysDeep(normalizeForDiff(object));
  return out;
}

function actualLayout(tree: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [p, text] of Object.entries(tree))
    out[p] = sortKeysDeep(normalizeForDiff(parse(text, { version: '1.1' }) as Record<string, unknown>));
  return out;
}

type Reconciler = Awaited<ReturnType<typeof reconcilerFor>>['reconciler'];

/** What the next commit is checked against: the last valid full render's placements and layout. */
interface Expected {
  previous: Map<string, PreviousPlacement>;
  lastGood: Record<string, unknown>;
}

/** A full render of `files` at `revision` from `expected.previous`. */
function fullRender(files: Files, revision: string, expected: Expected) {
  const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, text]) => ({ path: p, text }));
  return renderFleet({ files: sorted, revision, previous: expected.previous });
}

/**
 * Checks a pass against the full render of its commit: its phase, the status placements and the
 * target directory (the last valid render's layout when the commit is invalid); moves `expected` on.
 */
async function expectFullRender(
  full: ReturnType<typeof renderFleet>,
  phase: string,
  reconciler: Reconciler,
  outDir: string,
  expected: Expected,
  step: string,
): Promise<void> {
  const valid = !full.diagnostics.some((d) => d.severity === 'error');
  expect(phase, step).toBe(valid ? 'Synced' : 'Invalid');
  if (valid) {
    expected.lastGood = expectedLayout(full.manifests);
    expected.previous = previousFromJson(JSON.stringify({ placements: full.placements.map(placementJson) }), 'full');
    expect(JSON.parse(JSON.stringify(reconciler.status!.placements)), step).toEqual(
      JSON.parse(JSON.stringify(full.placements.map(placementJson))),
    );
  }
  expect(actualLayout(await readTree(outDir)), step).toEqual(expected.lastGood);
}

describe('incremental reconcile == full render', () => {
  it('after every commit of random sequences (edits, adds, deletes, renames, policies, clusters, overrides, broken files)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 6 }), async (ops) => {
        const base = await makeTempDir('flotilla-prop-');
        const gitdir = path.join(base, 'fleet.git');
        await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
        const store = new ObjectStore(gitdir);
        const loaded = configFrom(
          `source: {url: fleet.git, branch: main}\nsafety: {maxDeletePercent: 100}\ntargets:\n  - directory: {path: out}\n`,
          base,
        );
        const { reconciler } = await reconcilerFor(loaded, { log: captureLogger().log });
        const files = initialFleet();
        let parent: string | null = null;
        // The reconciler starts from an empty previous result: claims are sticky from its first revision on (§2.2).
        const expected: Expected = { previous: new Map(), lastGood: {} };
        for (let n = 0; n <= ops.length; n++) {
          if (n > 0) ops[n - 1]!.op(files);
          parent = await commitAll(store, files, parent, n);
          const full = fullRender(files, parent, expected);
          const outcome = await reconciler.reconcileOnce();
          const step = `after ${['initial', ...ops.map((o) => o.name)].slice(0, n + 1).join(' → ')}`;
          expect(outcome.revision).toBe(parent);
          await expectFullRender(full, outcome.phase, reconciler, path.join(base, 'out'), expected, step);
        }
      }),
      {
        numRuns: 15,
        // Found by this property: a claim released at an invalid revision must name the revision applied after it.
        examples: [
          [
            [
              { name: 'break #0', op: (f: Files) => void f.set('broken/b0.yaml', 'kind: [unclosed\n') },
              { name: 'set d0 g1 ×0', op: (f: Files) => void f.set('apps/d0.yaml', deployment(0, 1, 0)) },
              { name: 'fix b0', op: (f: Files) => void f.delete('broken/b0.yaml') },
            ],
          ],
        ],
      },
    );
  }, 60_000);

  it('with restarts between commits: a new process starting from the render index equals a full render of the next commit', async () => {
    let seeded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 2, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        async (ops, restarts) => {
          const base = await makeTempDir('flotilla-prop-restart-');
          const gitdir = path.join(base, 'fleet.git');
          await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
          const store = new ObjectStore(gitdir);
          const loaded = configFrom(
            'source: {url: fleet.git, branch: main, cacheDir: cache}\nsafety: {maxDeletePercent: 100}\n' +
              'targets:\n  - directory: {path: out}\n',
            base,
          );
          let { reconciler } = await reconcilerFor(loaded, { log: captureLogger().log });
          const files = initialFleet();
          let parent: string | null = null;
          const expected: Expected = { previous: new Map(), lastGood: {} };
          for (let n = 0; n <= ops.length; n++) {
            if (n > 0) ops[n - 1]!.op(files);
            // A new process (deploy, crash): only the cache folder, the status branch and the target remain.
            if (n > 0 && restarts[n - 1]) ({ reconciler } = await reconcilerFor(loaded, { log: captureLogger().log }));
            parent = await commitAll(store, files, parent, n);
            const full = fullRender(files, parent, expected);
            const outcome = await reconciler.reconcileOnce();
            if (n > 0 && restarts[n - 1] && outcome.renderStats && outcome.renderStats.reparsedFiles < files.size) seeded++;
            const names = ['initial', ...ops.map((o, i) => `${o.name}${restarts[i] ? ' (restart)' : ''}`)];
            const step = `after ${names.slice(0, n + 1).join(' → ')}`;
            await expectFullRender(full, outcome.phase, reconciler, path.join(base, 'out'), expected, step);
          }
        },
      ),
      { numRuns: 10, seed: 13 },
    );
    // Restarts did start from the kept parses (not only from a full parse).
    expect(seeded).toBeGreaterThan(3);
  }, 90_000);
});
