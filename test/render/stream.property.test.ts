// The render streamed a cluster at a time (issue 13) against the whole render: over random fleets
// with overrides that fail on some clusters, objects the scope refuses and clusters named like
// numbers (which a JavaScript object lists first), the streamed manifests, diagnostics, JSON
// document, plan object changes and diff equal the whole render's, byte for byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDocumentChunks, renderJsonChunks } from '../../src/render/contract.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { collectStream, streamFleet } from '../../src/render/stream.js';
import { withScope } from '../../src/validate/scope.js';
import { defaultScope } from '../../src/config/scope.js';
import { objectChanges, streamedObjectChanges } from '../../src/plan/objects.js';
import { computeDiff } from '../../src/diff/compute.js';
import type { SourceFile } from '../../src/load/parse.js';
import { configMapYaml, duplicatedFleet } from '../helpers/fleet.js';

const CLUSTER_NAMES = ['c0', 'c1', '7', '12', 'z-edge'];
const NAMESPACES = ['default', 'team-a', 'team-b', 'kube-system'];

const clusterYaml = (name: string, gold: boolean) => `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: "${name}"
  labels: {tier: ${gold ? 'gold' : 'silver'}}
spec:
  region: east
`;

const policyArb = (i: number) =>
  fc.record({ names: fc.subarray(CLUSTER_NAMES), divided: fc.boolean() }).map(
    (p) => `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: p${i}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, labelSelector: {matchLabels: {team: t${i}}}}
  - {apiVersion: v1, kind: ConfigMap, labelSelector: {matchLabels: {team: t${i}}}}
  placement:
    clusterAffinity: {clusterNames: [${p.names.map((n) => `"${n}"`).join(', ')}]}
${p.divided ? '    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}\n' : ''}`,
  );

/** An override that labels every copy, and on some clusters replaces a field that is not there: an error there. */
const overrideArb = fc.record({ failOn: fc.subarray(CLUSTER_NAMES), namespace: fc.constantFrom(...NAMESPACES) }).map(
  (o) => `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: o
  namespace: ${o.namespace}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment}
  overrideRules:
  - overriders:
      labelsOverrider: [{operator: add, value: {overridden: "yes"}}]
${
  o.failOn.length > 0
    ? `  - targetCluster: {clusterNames: [${o.failOn.map((n) => `"${n}"`).join(', ')}]}
    overriders:
      plaintext: [{path: /spec/missing/field, operator: replace, value: 1}]
`
    : ''
}`,
);

const workloadArb = (i: number) =>
  fc
    .record({
      replicas: fc.integer({ min: 0, max: 9 }),
      team: fc.integer({ min: 0, max: 2 }),
      namespace: fc.constantFrom(...NAMESPACES),
      configMap: fc.boolean(),
    })
    .map(
      (w) =>
        `apiVersion: apps/v1
kind: Deployment
metadata:
  name: w${i}
  namespace: ${w.namespace}
  labels: {team: t${w.team}}
spec:
  replicas: ${w.replicas}
  selector: {matchLabels: {app: w${i}}}
  template:
    metadata: {labels: {app: w${i}}}
    spec:
      containers: [{name: main, image: "w${i}:1"}]
` +
        (w.configMap
          ? `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w${i}\n  namespace: ${w.namespace}\n  labels: {team: t${w.team}}\n`
          : ''),
    );

/** A random fleet as files. */
const fleetArb = fc
  .record({
    clusters: fc.subarray(CLUSTER_NAMES, { minLength: 1 }),
    policies: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    overrides: fc.option(overrideArb, { nil: undefined }),
    workloads: fc.integer({ min: 1, max: 6 }),
  })
  .chain((f) =>
    fc.record({
      clusters: fc.constant(f.clusters.map((n, i) => clusterYaml(n, i % 2 === 0))),
      policies: fc.tuple(...f.policies.map((_, i) => policyArb(i))),
      overrides: fc.constant(f.overrides),
      workloads: fc.tuple(...Array.from({ length: f.workloads }, (_, i) => workloadArb(i))),
    }),
  )
  .map(({ clusters, policies, overrides, workloads }): SourceFile[] => [
    { path: 'clusters.yaml', text: clusters.join('---\n') },
    { path: 'policies.yaml', text: policies.join('---\n') },
    ...(overrides ? [{ path: 'overrides.yaml', text: overrides }] : []),
    ...workloads.map((text, i) => ({ path: `apps/w${i}.yaml`, text })),
  ]);

const scope = defaultScope();
const whole = (files: readonly SourceFile[], revision = 'worktree') => withScope(renderFleet({ files, revision }), scope);
const streamed = (files: readonly SourceFile[], revision = 'worktree') => streamFleet({ files, revision }, scope);

describe('streamed render', () => {
  it('gives the manifests, cluster order and diagnostics of the whole render (with scope)', () => {
    fc.assert(
      fc.property(fleetArb, (files) => {
        const a = whole(files);
        const b = collectStream(streamed(files));
        expect(Object.keys(b.manifests)).toEqual(Object.keys(a.manifests));
        expect(b.manifests).toEqual(a.manifests);
        expect(b.diagnostics).toEqual(a.diagnostics);
        // Placements as the whole render's, without the verdicts and steps only explain and plan show.
        const placed = (ps: typeof a.placements) => ps.map((p) => ({ ...p, verdicts: [], explanation: [] }));
        expect(placed(b.placements)).toEqual(placed(a.placements));
      }),
      { numRuns: 80 },
    );
  });

  it('writes the render document byte for byte as the whole render does', () => {
    fc.assert(
      fc.property(fleetArb, (files) => {
        const s = streamed(files);
        const text = [...renderDocumentChunks({ ...s, manifests: s.manifests(), diagnostics: () => s.diagnostics() })].join('');
        expect(text).toBe([...renderJsonChunks(whole(files))].join(''));
      }),
      { numRuns: 80 },
    );
  });

  it('plan object changes and the diff against a recorded state equal those of the whole renders', () => {
    fc.assert(
      fc.property(fleetArb, fleetArb, (baseFiles, headFiles) => {
        const base = whole(baseFiles, 'a'.repeat(40));
        const head = whole(headFiles, 'b'.repeat(40));
        const streamedChanges = streamedObjectChanges(
          streamed(baseFiles, 'a'.repeat(40)).manifests(),
          streamed(headFiles, 'b'.repeat(40)).manifests(),
        );
        expect(streamedChanges).toEqual(objectChanges(base.manifests, head.manifests));
        // The recorded state: base's objects, as the status branch would hold them.
        const objects = Object.entries(base.manifests).flatMap(([cluster, list]) =>
          list.map((object) => ({ clusterSegment: cluster, path: `${cluster}/x`, object })),
        );
        const live = {
          source: { ref: 'flotilla-status', commit: 'c'.repeat(40) },
          state: { sourceRevision: 'a'.repeat(40), objects, problems: [] },
        };
        const s = streamed(headFiles, 'b'.repeat(40));
        const a = computeDiff({
          desiredRevision: head.revision,
          desired: head.manifests,
          diagnostics: head.diagnostics,
          live: live as never,
        });
        const b = computeDiff({
          desiredRevision: s.revision,
          desired: s.manifests(),
          diagnostics: () => s.diagnostics(),
          live: live as never,
        });
        expect(b).toEqual(a);
      }),
      { numRuns: 40 },
    );
  });

  it('the generator reaches what the property is about: failed overrides, refusals, number-named clusters first', () => {
    const seen = { overrideError: false, refused: false, numberFirst: false };
    fc.assert(
      fc.property(fleetArb, (files) => {
        const r = collectStream(streamed(files));
        if (r.diagnostics.some((d) => d.severity === 'error' && d.message.includes(' on cluster '))) seen.overrideError = true;
        if (r.diagnostics.some((d) => d.code === 'SCOPE_DENIED')) seen.refused = true;
        const names = Object.keys(r.manifests);
        if (names.length > 1 && /^\d+$/.test(names[0]!) && !/^\d+$/.test(names.at(-1)!)) seen.numberFirst = true;
      }),
      { numRuns: 150, seed: 13 },
    );
    expect(seen).toEqual({ overrideError: true, refused: true, numberFirst: true });
  });

  it('can be iterated once, and its diagnostics are asked for only after its manifests', () => {
    const files: SourceFile[] = [
      { path: 'fleet.yaml', text: duplicatedFleet(['c0']) },
      { path: 'cm.yaml', text: configMapYaml('x') },
    ];
    const s = streamed(files);
    expect(() => s.diagnostics()).toThrow(/only after its manifests/);
    expect([...s.manifests()].map(([cluster]) => cluster)).toEqual(['c0']);
    expect(() => [...s.manifests()]).toThrow(/only once/);
  });
});
