// Invariants of the whole pipeline over random fleets (fast-check): determinism, independence from
// file and document order, replicas conserved for Divided, filtered clusters never chosen, and
// scheduling without details placing exactly as with them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { previousFromJson, renderJson, renderJsonChunks } from '../../src/render/contract.js';
import { placeFleet, renderFleet } from '../../src/render/render-fleet.js';
import type { PlacementResult } from '../../src/model/types.js';
import type { SourceFile } from '../../src/load/parse.js';

const REGIONS = ['east', 'west', 'north'];

const clusterArb = (i: number) =>
  fc
    .record({
      region: fc.constantFrom(...REGIONS),
      tainted: fc.boolean(),
      pods: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    })
    .map(
      (c) => `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: c${i}
  labels: {tier: ${i % 2 ? 'gold' : 'silver'}}
spec:
  region: ${c.region}
${c.tainted ? '  taints:\n  - {key: maint, effect: NoSchedule}\n' : ''}${
        c.pods !== undefined ? `status:\n  resourceSummary:\n    allocatable: {pods: "${c.pods}"}\n` : ''
      }`,
    );

const strategyArb = fc.oneof(
  fc.constant(''),
  fc.constant('    replicaScheduling: {replicaSchedulingType: Duplicated}\n'),
  fc
    .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
    .map(
      (ws) =>
        `    replicaScheduling:\n      replicaSchedulingType: Divided\n      weightPreference:\n        staticWeightList:\n${ws
          .map((w, i) => `        - targetCluster: {clusterNames: [c${i}]}\n          weight: ${w}\n`)
          .join('')}`,
    ),
  fc.constant(
    '    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: ' +
      'Weighted, weightPreference: {dynamicWeight: AvailableReplicas}}\n',
  ),
  fc.constant('    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}\n'),
);

const policyArb = (i: number) =>
  fc
    .record({
      strategy: strategyArb,
      names: fc.option(fc.subarray(['c0', 'c1', 'c2', 'c3', 'c4']), { nil: undefined }),
      // clusterAffinities terms, tried in order (used when `names` gives no clusterAffinity).
      terms: fc.option(fc.array(fc.subarray(['c0', 'c1', 'c2', 'c3', 'c4'], { minLength: 1 }), { minLength: 1, maxLength: 3 }), {
        nil: undefined,
      }),
      tolerate: fc.boolean(),
      spread: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    })
    .map(
      (p) => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: p${i}
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, labelSelector: {matchLabels: {team: t${i}}}}
  - {apiVersion: v1, kind: ConfigMap, labelSelector: {matchLabels: {team: t${i}}}}
  placement:
${p.names ? `    clusterAffinity: {clusterNames: [${p.names.join(', ')}]}\n` : ''}${
        !p.names && p.terms
          ? `    clusterAffinities:\n${p.terms.map((t, k) => `    - {affinityName: t${k}, clusterNames: [${t.join(', ')}]}\n`).join('')}`
          : ''
      }${
        p.tolerate ? '    clusterTolerations: [{key: maint, operator: Exists}]\n' : ''
      }${p.spread ? `    spreadConstraints: [{spreadByField: cluster, minGroups: 1, maxGroups: ${p.spread}}]\n` : ''}${p.strategy}`,
    );

const workloadArb = (i: number) =>
  fc.record({ replicas: fc.integer({ min: 0, max: 30 }), team: fc.integer({ min: 0, max: 3 }), configMap: fc.boolean() }).map(
    (w) =>
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: w${i}
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
        ? `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w${i}-config\n  labels: {team: t${w.team}}\ndata: {k: v}\n`
        : ''),
  );

/** A random fleet as files: clusters in one file, policies in one, each workload in its own. */
const fleetArb = fc
  .record({ clusters: fc.integer({ min: 1, max: 5 }), policies: fc.integer({ min: 1, max: 4 }), workloads: fc.integer({ min: 1, max: 8 }) })
  .chain(({ clusters, policies, workloads }) =>
    fc.record({
      clusters: fc.tuple(...Array.from({ length: clusters }, (_, i) => clusterArb(i))),
      policies: fc.tuple(...Array.from({ length: policies }, (_, i) => policyArb(i))),
      workloads: fc.tuple(...Array.from({ length: workloads }, (_, i) => workloadArb(i))),
    }),
  )
  .map(({ clusters, policies, workloads }): SourceFile[] => [
    { path: 'clusters.yaml', text: clusters.join('---\n') },
    { path: 'policies.yaml', text: policies.join('---\n') },
    ...workloads.map((text, i) => ({ path: `apps/w${i}.yaml`, text })),
  ]);

const render = (files: readonly SourceFile[]) => renderFleet({ files, revision: 'worktree' });
const bytes = (files: readonly SourceFile[]) => JSON.stringify(renderJson(render(files)));

describe('render invariants', () => {
  it('the same input always gives the same bytes', () => {
    fc.assert(
      fc.property(fleetArb, (files) => bytes(files) === bytes(files)),
      { numRuns: 60 },
    );
  });

  it('the streamed document is JSON.stringify(renderJson(r), null, 2) and a newline, byte for byte', () => {
    fc.assert(
      fc.property(fleetArb, (files) => {
        const r = render(files);
        expect([...renderJsonChunks(r)].join('')).toBe(JSON.stringify(renderJson(r), null, 2) + '\n');
      }),
      { numRuns: 60 },
    );
  });

  it('shuffling the order of files changes nothing', () => {
    fc.assert(
      fc.property(
        fleetArb.chain((files) =>
          fc.tuple(fc.constant(files), fc.shuffledSubarray(files, { minLength: files.length, maxLength: files.length })),
        ),
        ([files, shuffled]) => {
          expect(bytes(shuffled)).toBe(bytes(files));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reordering the documents inside a file changes no placement and no manifest', () => {
    fc.assert(
      fc.property(fleetArb, (files) => {
        const reversed = files.map((f) => ({ ...f, text: f.text.split('---\n').reverse().join('---\n') }));
        const a = renderJson(render(files));
        const b = renderJson(render(reversed));
        expect(b.placements).toEqual(a.placements);
        expect(JSON.stringify(b.manifests)).toBe(JSON.stringify(a.manifests));
      }),
      { numRuns: 60 },
    );
  });

  it('Divided workloads conserve replicas; every chosen cluster passed the filters; tainted clusters only with a toleration', () => {
    fc.assert(
      fc.property(fleetArb, (files) => {
        const r = render(files);
        const policies = new Map(r.model.propagationPolicies.map((p) => [p.name, p]));
        for (const p of r.placements) {
          if (p.error || !p.policy) continue;
          const policy = policies.get(p.policy.name)!;
          for (const c of p.clusters) {
            const v = p.verdicts.find((x) => x.name === c.name)!;
            expect(v.feasible).toBe(true);
            const cluster = r.model.clusters.find((x) => x.name === c.name)!;
            if (cluster.taints.length > 0) expect(policy.placement.clusterTolerations.length).toBeGreaterThan(0);
          }
          const divided = policy.placement.replicaScheduling?.replicaSchedulingType === 'Divided';
          if (divided && p.replicas !== null && p.replicas > 0) {
            expect(p.clusters.reduce((s, c) => s + (c.replicas ?? 0), 0)).toBe(p.replicas);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('placing without details gives the same placements and diagnostics, only without verdicts and explanation', () => {
    // Everything of a placement but the two lists explain shows, in the same key order.
    const placed = (p: PlacementResult) => JSON.stringify({ ...p, verdicts: undefined, explanation: undefined });
    fc.assert(
      fc.property(fleetArb, fc.boolean(), (files, withPrevious) => {
        // A previous render's placements bring locality scores, sticky claims and observed affinity terms in.
        const previous = withPrevious ? previousFromJson(JSON.stringify(renderJson(render(files))), 'previous.json') : undefined;
        const input = { files, revision: 'worktree', previous };
        const full = placeFleet(input, { details: true });
        const lean = placeFleet(input, { details: false });
        expect(lean.placements.map(placed)).toEqual(full.placements.map(placed));
        expect(lean.sink.sorted()).toEqual(full.sink.sorted());
        for (const p of lean.placements) {
          // An HPA following its target is not scheduled: its one step is kept either way.
          if (p.resource.kind === 'HorizontalPodAutoscaler') continue;
          expect(p.verdicts).toEqual([]);
          expect(p.explanation).toEqual([]);
        }
        // With details, every placed cluster has a verdict: the switch really switches.
        for (const p of full.placements) for (const c of p.clusters) expect(p.verdicts.some((v) => v.name === c.name)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
