// docs/reference/scenarios.md: every example of the seed article, as the bundled fixture fleet, with its result.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceFile } from '../src/load/parse.js';
import { renderJson, renderJsonChunks } from '../src/render/contract.js';
import type { RenderResult } from '../src/render/render-fleet.js';
import { expectGolden } from './helpers/golden.js';
import { editFile, fixtureFiles, manifestOn, render, split } from './helpers/fleet.js';

let files: SourceFile[];
let seed: RenderResult;

beforeAll(async () => {
  files = await fixtureFiles('seed');
  seed = render(files);
});

const codes = (r: RenderResult, severity?: string) => r.diagnostics.filter((d) => !severity || d.severity === severity).map((d) => d.code);

describe('seed fleet', () => {
  it('renders with no error diagnostics', () => {
    expect(seed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('golden: the whole render document is byte-stable', () => {
    expectGolden('seed-render.json', JSON.stringify(renderJson(seed), null, 2) + '\n');
  });

  it('golden: the render document written piece by piece (as `render --format json` writes it) is the same bytes', () => {
    expectGolden('seed-render.json', [...renderJsonChunks(seed)].join(''));
  });

  it('row 1: a Deployment with no policy (3 replicas) → Duplicated to hangzhou 3 and shanghai 3 by the fleet default', () => {
    expect(split(seed, 'Deployment', 'web-frontend')).toEqual({ 'cluster-hangzhou': 3, 'cluster-shanghai': 3 });
    const p = seed.placements.find((x) => x.resource.name === 'web-frontend')!;
    expect(p.policy).toEqual({ kind: 'Fleet', namespace: 'kurator-system', name: 'global-production' });
    const frankfurt = p.verdicts.find((v) => v.name === 'cluster-frankfurt')!;
    expect(frankfurt.feasible).toBe(true);
    expect(frankfurt.selected).toBe(false);
    expect(frankfurt.reasons.join(' ')).toMatch(/maxGroups 2/);
    expect(p.verdicts.find((v) => v.name === 'cluster-hangzhou')!.score).toBe(60);
  });

  it('row 2: static weights 70/30 with 10 replicas → hangzhou 7, shanghai 3', () => {
    expect(split(seed, 'Deployment', 'ai-inference')).toEqual({ 'cluster-hangzhou': 7, 'cluster-shanghai': 3 });
  });

  it('row 2: 70/30 with 7 replicas → 5/2, with 1 replica → hangzhou 1', () => {
    const seven = render(editFile(files, '02-inference-workload.yaml', 'replicas: 10', 'replicas: 7'));
    expect(split(seven, 'Deployment', 'ai-inference')).toEqual({ 'cluster-hangzhou': 5, 'cluster-shanghai': 2 });
    const one = render(editFile(files, '02-inference-workload.yaml', 'replicas: 10', 'replicas: 1'));
    expect(split(one, 'Deployment', 'ai-inference')).toEqual({ 'cluster-hangzhou': 1 });
  });

  it('row 3: cross-cloud-config rewrites registry and command per cluster, shanghai unchanged', () => {
    const hz = manifestOn(seed, 'cluster-hangzhou', 'Deployment', 'global-app')!;
    const fr = manifestOn(seed, 'cluster-frankfurt', 'Deployment', 'global-app')!;
    const sh = manifestOn(seed, 'cluster-shanghai', 'Deployment', 'global-app')!;
    expect(hz.spec.template.spec.containers[0].image).toBe('registry.cn-hangzhou.aliyuncs.com/company/global-app:2.3');
    expect(hz.spec.template.spec.containers[0].command).toEqual(['/app', 'serve', '--region=asia-east']);
    expect(fr.spec.template.spec.containers[0].image).toBe('registry.eu-central.example.com/company/global-app:2.3');
    expect(fr.spec.template.spec.containers[0].command).toEqual(['/app', 'serve', '--region=eu-central', '--compliance=gdpr']);
    expect(sh.spec.template.spec.containers[0].image).toBe('global-app:2.3');
    expect(sh.spec.template.spec.containers[0].command).toEqual(['/app', 'serve']);
  });

  it('row 4: the VirtualService is propagated unchanged, and the unbacked v2 subset is a warning', () => {
    expect(split(seed, 'VirtualService', 'cross-cluster-route')).toEqual({ 'cluster-hangzhou': null, 'cluster-shanghai': null });
    const vs = manifestOn(seed, 'cluster-hangzhou', 'VirtualService', 'cross-cluster-route')!;
    expect(vs.spec.http[0].route.map((r: any) => r.weight)).toEqual([90, 10]);
    expect(vs.spec.http[0].timeout).toBe('2s');
    const w = seed.diagnostics.find((d) => d.code === 'VS_SUBSET_UNBACKED')!;
    expect(w).toMatchObject({ severity: 'warning', file: '04-cross-cluster-route.yaml' });
    expect(w.message).toMatch(/subset v2/);
    expect(seed.diagnostics.filter((d) => d.code === 'VS_SUBSET_UNBACKED')).toHaveLength(1);
  });

  it('row 4: route weights 90+20 → error VS_WEIGHTS at the route line', () => {
    const bad = render(editFile(files, '04-cross-cluster-route.yaml', 'weight: 10', 'weight: 20'));
    const d = bad.diagnostics.find((x) => x.code === 'VS_WEIGHTS')!;
    expect(d).toMatchObject({ severity: 'error', file: '04-cross-cluster-route.yaml', line: 12 });
    expect(d.message).toMatch(/sum to 110/);
  });

  it('row 5: nginx, replicaScheduling without a type is Divided → hangzhou 6, shanghai 4', () => {
    expect(split(seed, 'Deployment', 'nginx')).toEqual({ 'cluster-hangzhou': 6, 'cluster-shanghai': 4 });
    expect(manifestOn(seed, 'cluster-hangzhou', 'Deployment', 'nginx')!.spec.replicas).toBe(6);
    expect(manifestOn(seed, 'cluster-shanghai', 'Deployment', 'nginx')!.spec.replicas).toBe(4);
  });

  it('row 6: reviews-v2 is Duplicated to cluster-shanghai only (2 replicas)', () => {
    expect(split(seed, 'Deployment', 'reviews-v2')).toEqual({ 'cluster-shanghai': 2 });
    expect(split(seed, 'VirtualService', 'reviews-route')).toEqual({ 'cluster-hangzhou': null, 'cluster-shanghai': null });
  });

  it('row 7: the AttachedCluster is a fourth cluster with its labels and secret reference', () => {
    const c = seed.model.clusters.find((x) => x.name === 'production-cluster-01')!;
    expect(c.labels).toMatchObject({ region: 'asia-east', env: 'production', provider: 'alibaba' });
    expect(c.region).toBe('asia-east');
    expect(c.provider).toBe('alibaba');
    expect(c.secretRef).toEqual({ namespace: 'kurator-system', name: 'cluster-01-kubeconfig' });
  });

  it('row 8: network-config goes by the fleet default, with its namespace', () => {
    expect(split(seed, 'ConfigMap', 'network-config', 'kurator-system')).toEqual({ 'cluster-hangzhou': null, 'cluster-shanghai': null });
    expect(manifestOn(seed, 'cluster-hangzhou', 'Namespace', 'kurator-system')).toBeDefined();
    expect(manifestOn(seed, 'cluster-frankfurt', 'Namespace', 'kurator-system')).toBeUndefined();
  });

  it('row 9: the toleration lets both zone clusters in (4 replicas each); without it only zone-a', () => {
    expect(split(seed, 'Deployment', 'large-scale-app')).toEqual({ 'cluster-zone-a': 4, 'cluster-zone-b': 4 });
    const without = render(
      editFile(
        files,
        '09-hierarchical-scheduling.yaml',
        '    tolerations:\n    - key: dedicated\n      operator: Equal\n      value: special\n      effect: NoSchedule\n',
        '',
      ),
    );
    expect(split(without, 'Deployment', 'large-scale-app')).toEqual({ 'cluster-zone-a': 4 });
    const p = without.placements.find((x) => x.resource.name === 'large-scale-app')!;
    expect(p.verdicts.find((v) => v.name === 'cluster-zone-b')!.reasons.join(' ')).toMatch(/dedicated=special:NoSchedule/);
    const warnings = seed.diagnostics.filter((d) => d.file === '09-hierarchical-scheduling.yaml' && d.severity === 'warning');
    expect(warnings.map((d) => d.code)).toEqual(expect.arrayContaining(['SPREAD_CONSTRAINT_IGNORED', 'FIELD_ALIAS']));
  });

  it('row 10: KarmadaConfig is tuning, never propagated (parallelism 10)', () => {
    expect(seed.placements.some((p) => p.resource.kind === 'KarmadaConfig')).toBe(false);
    expect(seed.model.tuning.parallelism).toBe(10);
  });

  it('row 11: 80/20 with 10 replicas → spot 8, on-demand 2; the HPA follows: spot 2..16, on-demand 1..4', () => {
    expect(split(seed, 'Deployment', 'cost-sensitive-app')).toEqual({ 'ondemand-cluster': 2, 'spot-cluster': 8 });
    const spot = manifestOn(seed, 'spot-cluster', 'HorizontalPodAutoscaler', 'cost-aware-hpa')!;
    const od = manifestOn(seed, 'ondemand-cluster', 'HorizontalPodAutoscaler', 'cost-aware-hpa')!;
    expect([spot.spec.minReplicas, spot.spec.maxReplicas]).toEqual([2, 16]);
    expect([od.spec.minReplicas, od.spec.maxReplicas]).toEqual([1, 4]);
  });

  it('row 12: IntelligentScheduler is not propagated and a warning names the kind', () => {
    expect(seed.placements.some((p) => p.resource.kind === 'IntelligentScheduler')).toBe(false);
    const w = seed.diagnostics.find((d) => d.code === 'UNSUPPORTED_KIND')!;
    expect(w).toMatchObject({ severity: 'warning', file: '12-intelligent-scheduler.yaml' });
    expect(w.message).toMatch(/IntelligentScheduler/);
  });

  it('every rendered object carries the tracking label and annotations', () => {
    for (const objects of Object.values(seed.manifests)) {
      for (const o of objects as any[]) {
        expect(o.metadata.labels['flotilla.dev/managed-by']).toBe('flotilla');
        expect(o.metadata.annotations['flotilla.dev/source-revision']).toBe('worktree');
      }
    }
  });

  it('warns exactly where the article itself is off: unbacked subset, ignored spread, tolerations alias, maxSkew, unsupported kind', () => {
    expect([...new Set(codes(seed, 'warning'))].sort()).toEqual([
      'FIELD_ALIAS',
      'MAXSKEW_NOT_APPLICABLE',
      'SPREAD_CONSTRAINT_IGNORED',
      'UNSUPPORTED_KIND',
      'VS_SUBSET_UNBACKED',
    ]);
  });
});
