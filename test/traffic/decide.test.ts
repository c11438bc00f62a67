// One pass of traffic decisions over a rendered fleet (fixtures/traffic/fleet): effective weights
// from readings written into the VirtualService, and a canary's objects rendered step by step.
import { describe, expect, it } from 'vitest';
import { DiagnosticSink } from '../../src/model/diagnostics.js';
import { applyTraffic, renderedTemplates } from '../../src/traffic/apply.js';
import { trafficDeclarations } from '../../src/traffic/declarations.js';
import { decideTraffic, readingKey, trafficNeeds, type TrafficRecord, type WorkloadReading } from '../../src/traffic/decide.js';
import { fixtureFiles, manifestOn, render, editFile } from '../helpers/fleet.js';

async function pass(
  files: Awaited<ReturnType<typeof fixtureFiles>>,
  readings: Record<string, number>,
  previous: TrafficRecord | null,
  now: number,
) {
  const r = render(files);
  const declarations = trafficDeclarations(r.model, new DiagnosticSink());
  const needs = trafficNeeds({ model: r.model, placements: r.placements, declarations, previous });
  const map = new Map<string, WorkloadReading>(
    needs.workloads.map((w) => [readingKey(w.cluster, w.ref), { ready: readings[`${w.cluster}/${w.ref.name}`] ?? 0, error: null }]),
  );
  const templates = new Map(declarations.rollouts.map((d) => [d.key, renderedTemplates(r.manifests, d.key)]));
  const decision = decideTraffic({
    model: r.model,
    placements: r.placements,
    declarations,
    templates,
    readings: map,
    metrics: new Map(),
    previous,
    now,
  });
  return { r, needs, decision, manifests: applyTraffic(r.manifests, decision.routes, decision.canaries) };
}

const ALL_READY = { 'cluster-a/reviews-v1': 2, 'cluster-b/reviews-v1': 2, 'cluster-b/reviews-v2': 2 };

describe('decideTraffic', () => {
  it('reads the backing workloads where the route reaches, and writes 90/10, then 100/0 when v2 is not ready', async () => {
    const files = await fixtureFiles('traffic/fleet');
    const first = await pass(files, ALL_READY, null, 0);
    expect(first.r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(first.needs.workloads.map((w) => `${w.cluster}/${w.ref.name}`).sort()).toEqual([
      'cluster-a/reviews-v1',
      'cluster-b/reviews-v1',
      'cluster-b/reviews-v2',
    ]);
    const weights = (m: typeof first.manifests, c: string) =>
      (manifestOn({ ...first.r, manifests: m }, c, 'VirtualService', 'reviews-route')!.spec.http[0].route as Array<{ weight: number }>).map(
        (d) => d.weight,
      );
    expect(weights(first.manifests, 'cluster-a')).toEqual([90, 10]);
    const down = await pass(files, { ...ALL_READY, 'cluster-b/reviews-v2': 0 }, first.decision.record, 1000);
    expect(weights(down.manifests, 'cluster-a')).toEqual([100, 0]);
    expect(down.decision.record.routes[0]).toMatchObject({
      virtualService: 'default/reviews-route',
      route: 'http[0]',
      destinations: [
        { name: 'reviews.prod.svc.cluster.local/v1', declared: 90, ready: 4, desired: 4, effective: 100 },
        { name: 'reviews.prod.svc.cluster.local/v2', declared: 10, ready: 0, desired: 2, effective: 0 },
      ],
    });
    // The renderer's own objects are not changed.
    expect(weights(down.r.manifests, 'cluster-a')).toEqual([90, 10]);
  });

  it('a new image starts a canary: podinfo-canary on cluster-a only at 10%, primary keeps the stable template', async () => {
    const files = await fixtureFiles('traffic/fleet');
    const first = await pass(files, ALL_READY, null, 0);
    expect(first.decision.record.canaries[0]).toMatchObject({ phase: 'Promoted', canaryHash: null });
    const podinfo = (p: typeof first, c: string, name = 'podinfo') => manifestOn({ ...p.r, manifests: p.manifests }, c, 'Deployment', name);
    expect(podinfo(first, 'cluster-a')!.spec.template.metadata.labels).toEqual({ app: 'podinfo', 'flotilla.dev/variant': 'primary' });
    const v2 = editFile(files, '03-podinfo.yaml', 'podinfo:6.0.0', 'podinfo:6.0.1');
    const started = await pass(v2, ALL_READY, first.decision.record, 1000);
    expect(started.decision.record.canaries[0]).toMatchObject({ phase: 'Progressing', step: 0, weight: 10 });
    expect(podinfo(started, 'cluster-a')!.spec.template.spec.containers[0].image).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    expect(podinfo(started, 'cluster-a', 'podinfo-canary')!.spec.template.spec.containers[0].image).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    expect(podinfo(started, 'cluster-a', 'podinfo-canary')!.spec.selector.matchLabels).toEqual({
      app: 'podinfo',
      'flotilla.dev/variant': 'canary',
    });
    expect(podinfo(started, 'cluster-b', 'podinfo-canary')).toBeUndefined();
    const vs = manifestOn({ ...started.r, manifests: started.manifests }, 'cluster-b', 'VirtualService', 'podinfo')!;
    expect(
      vs.spec.http[0].route.map((d: { destination: { host: string }; weight: number }) => `${d.destination.host}=${d.weight}`),
    ).toEqual(['podinfo-primary=90', 'podinfo-canary=10']);
    expect(manifestOn({ ...started.r, manifests: started.manifests }, 'cluster-a', 'Service', 'podinfo-canary')!.spec.selector).toEqual({
      app: 'podinfo',
      'flotilla.dev/variant': 'canary',
    });
    // The canary's pods are read next pass; not ready → a failed check.
    const next = await pass(v2, ALL_READY, started.decision.record, 61_000);
    expect(next.needs.workloads.map((w) => `${w.cluster}/${w.ref.name}`)).toContain('cluster-a/podinfo-canary');
    expect(next.decision.record.canaries[0]).toMatchObject({
      failedChecks: 1,
      message: expect.stringContaining('canary pods not ready: cluster-a 0/2'),
    });
  });
});

describe('decideTraffic and a commit changing the declared weights', () => {
  it('applies the new declared weights at once, whatever the hysteresis band', async () => {
    const files = await fixtureFiles('traffic/fleet');
    const first = await pass(files, ALL_READY, null, 0);
    const edited = editFile(editFile(files, '02-reviews.yaml', 'weight: 90', 'weight: 88'), '02-reviews.yaml', 'weight: 10', 'weight: 12');
    const next = await pass(edited, ALL_READY, first.decision.record, 1000);
    expect(next.decision.record.routes[0]!.destinations.map((d) => d.effective)).toEqual([88, 12]);
  });
});
