// The view models the dashboard and the report draw, on the seed fleet and the plan scenarios:
// the same numbers `get placements`, `explain` and `plan` print, never re-derived.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../../src/load/parse.js';
import { computePlan, previousFromRender } from '../../src/plan/compute.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import type { ReconcileStatus } from '../../src/state/document.js';
import { changedPlacements } from '../../src/state/history.js';
import { fleetData, planReportData } from '../../src/view/data.js';
import { fleetMatrix, type MatrixView } from '../../src/view/matrix.js';
import { scriptJson } from '../../src/view/page.js';
import { findRow, workloadView } from '../../src/view/workload.js';
import { FIXTURES, fixtureFiles, render } from '../helpers/fleet.js';

/** Row `ref`'s cells as cluster → replicas (and `was`, when set), for compact assertions. */
function cells(m: MatrixView, ref: string): Record<string, unknown> {
  const row = m.rows.find((r) => r.ref === ref)!;
  return Object.fromEntries(row.cells.map((c) => [m.clusters[c.c]!.name, c.was ? { now: c.placed ? c.r : '-', was: c.was } : c.r]));
}

/** Base (the seed) and head (the seed with fixtures/plan/<scenario>/head laid over it), head scheduled on base. */
async function scenario(name: string): Promise<{ base: RenderResult; head: RenderResult }> {
  const seed = await fixtureFiles('seed');
  const overlayDir = path.join(FIXTURES, 'plan', name, 'head');
  const overlay = new Map<string, string>();
  for (const f of await fixtureFiles(`plan/${name}/head`)) overlay.set(f.path, readFileSync(path.join(overlayDir, f.path), 'utf8'));
  const files: SourceFile[] = seed.map((f) => (overlay.has(f.path) ? { path: f.path, text: overlay.get(f.path)! } : f));
  const base = renderFleet({ files: seed, revision: 'base' });
  const head = renderFleet({ files, revision: 'head', previous: previousFromRender(base) });
  return { base, head };
}

describe('fleetMatrix', () => {
  it('the seed: nginx 6 on cluster-hangzhou and 4 on cluster-shanghai, no replicas for a non-workload, taints', async () => {
    const m = fleetMatrix(render(await fixtureFiles('seed')));
    expect(cells(m, 'Deployment/default/nginx')).toEqual({ 'cluster-hangzhou': 6, 'cluster-shanghai': 4 });
    expect(cells(m, 'VirtualService/default/reviews-route')).toEqual({ 'cluster-hangzhou': null, 'cluster-shanghai': null });
    expect(m.clusters.find((c) => c.name === 'cluster-zone-b')!.taints).toEqual(['dedicated=special:NoSchedule']);
    expect(m.clusters.map((c) => c.name)).toEqual([...m.clusters.map((c) => c.name)].sort());
  });

  it("takes each cluster's health and drift from the status, and a cell's health from the last pass's unhealthy objects", async () => {
    const r = render(await fixtureFiles('seed'));
    const status = {
      clusters: {
        'cluster-hangzhou': { reachable: true, applied: 1, unchanged: 0, deleted: 0, failed: 0, health: 'Degraded', drifted: 2 },
      },
    } as unknown as ReconcileStatus;
    const m = fleetMatrix(r, status, [{ cluster: 'cluster-hangzhou', object: 'Deployment default/nginx', health: 'Progressing' }]);
    expect(m.clusters.find((c) => c.name === 'cluster-hangzhou')).toMatchObject({ health: 'Degraded', drifted: 2, reachable: true });
    expect(m.clusters.find((c) => c.name === 'cluster-shanghai')).toMatchObject({ health: null, drifted: 0, reachable: null });
    const nginx = m.rows.find((r) => r.ref === 'Deployment/default/nginx')!;
    expect(nginx.cells.map((c) => c.health ?? null)).toEqual(['Progressing', null]);
  });

  it('fleetData before the first render: the status and its diagnostics, no matrix; the source URL is not in it', () => {
    const status = {
      phase: 'Failed',
      sourceRevision: 'abc',
      source: { url: 'https://git.example.com/x.git' },
      diagnostics: [],
    } as unknown as ReconcileStatus;
    const data = fleetData(null, status);
    expect(data.matrix).toBeNull();
    expect(data.status?.phase).toBe('Failed');
    expect(JSON.stringify(data)).not.toContain('git.example.com');
  });
});

describe('planMatrix', () => {
  it('weight change: exactly the cells computePlan reports carry `was`, with the reason', async () => {
    const { base, head } = await scenario('weight-change');
    const data = planReportData(base, head, computePlan(base, head, { headScheduledOnBase: true }));
    const changed = data.matrix.rows.flatMap((r) => r.cells.filter((c) => c.was).map((c) => `${r.ref}@${data.matrix.clusters[c.c]!.name}`));
    expect(changed).toEqual(['Deployment/default/nginx@cluster-hangzhou', 'Deployment/default/nginx@cluster-shanghai']);
    expect(cells(data.matrix, 'Deployment/default/nginx')).toEqual({
      'cluster-hangzhou': { now: 5, was: { placed: true, r: 6 } },
      'cluster-shanghai': { now: 5, was: { placed: true, r: 4 } },
    });
    const row = data.matrix.rows.find((r) => r.ref === 'Deployment/default/nginx')!;
    expect(row.change).toBe('changed');
    expect(row.cells[0]!.reason).toContain('static weight');
  });

  it("cluster removed: the base's cluster stays a column, and its cells show what leaves it", async () => {
    const { base, head } = await scenario('cluster-removed');
    const m = planReportData(base, head, computePlan(base, head, { headScheduledOnBase: true })).matrix;
    expect(m.clusters.map((c) => c.name)).toContain('cluster-frankfurt');
    // Only the removed cluster's cell is marked: the two that keep their 2 replicas are not.
    expect(cells(m, 'Deployment/default/global-app')).toEqual({
      'cluster-frankfurt': { now: '-', was: { placed: true, r: 2 } },
      'cluster-hangzhou': 2,
      'cluster-shanghai': 2,
    });
  });
});

describe('workloadView', () => {
  it("global-app: explain's policy, steps and verdicts, and per cluster the override rules applied, never their values", async () => {
    const r = render(await fixtureFiles('seed'));
    const w = workloadView(r, findRow(r, 'Deployment/default/global-app')!);
    expect(w.policy).toBe('PropagationPolicy/default/global-app-everywhere');
    expect(w.steps).toEqual(r.placements.find((p) => p.resource.name === 'global-app')!.explanation);
    // cluster-shanghai has no rule of its own, so it is not listed.
    expect(w.overrides.map((o) => [o.cluster, o.applied.map((a) => `${a.policy} rule ${a.rule}: ${a.overriders.join(',')}`)])).toEqual([
      ['cluster-frankfurt', ['OverridePolicy/default/cross-cloud-config rule 1: commandOverrider,imageOverrider']],
      ['cluster-hangzhou', ['OverridePolicy/default/cross-cloud-config rule 0: commandOverrider,imageOverrider']],
    ]);
    expect(JSON.stringify(w)).not.toContain('registry.eu-central.example.com');
    expect(findRow(r, 'Deployment/default/missing')).toBeNull();
  });

  it("lists the last pass's unhealthy objects of this resource only, matched by the name record.ts gives them", async () => {
    const r = render(await fixtureFiles('seed'));
    const unhealthy = [
      { cluster: 'cluster-hangzhou', object: 'Deployment default/nginx', health: 'Progressing', message: '1 of 6 updated' },
      { cluster: 'cluster-hangzhou', object: 'Deployment default/global-app', health: 'Degraded', message: 'crash loop' },
    ];
    const w = workloadView(r, findRow(r, 'Deployment/default/nginx')!, unhealthy);
    expect(w.health).toEqual([{ cluster: 'cluster-hangzhou', health: 'Progressing', message: '1 of 6 updated' }]);
    expect(w.policy).toBe(fleetMatrix(r).rows.find((row) => row.ref === 'Deployment/default/nginx')!.policy);
  });
});

describe('page data', () => {
  it('cannot close its <script> element: "<" is escaped in the embedded JSON', () => {
    expect(scriptJson({ name: '</script><script>alert(1)</script>' })).not.toContain('<');
    expect(JSON.parse(scriptJson({ name: '</script>' }))).toEqual({ name: '</script>' });
  });

  it('history: a resource re-placed, added or removed between two status commits is listed once', () => {
    const p = (name: string, replicas: number) => ({
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name },
      clusters: [{ name: 'a', replicas }],
    });
    expect(changedPlacements([p('same', 1), p('moved', 1), p('gone', 1)], [p('same', 1), p('moved', 2), p('new', 1)])).toEqual([
      'Deployment/default/gone',
      'Deployment/default/moved',
      'Deployment/default/new',
    ]);
    expect(changedPlacements(null, [p('first', 1)])).toEqual(['Deployment/default/first']);
  });
});
