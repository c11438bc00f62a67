// Every YAML block of the seed article (fixtures/seed-article, copied verbatim) must load with no
// error diagnostics; its quirks come out as the documented warnings.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFleetDirectory } from '../../src/load/files.js';
import { makeFieldLocator, parseFleetFiles } from '../../src/load/parse.js';
import { buildFleetModel } from '../../src/fleet/build.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';
import type { FleetModel } from '../../src/model/types.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/seed-article');
let model: FleetModel;
let sink: DiagnosticSink;

beforeAll(async () => {
  const files = await readFleetDirectory(DIR);
  sink = new DiagnosticSink(makeFieldLocator(files));
  model = buildFleetModel(parseFleetFiles(files, sink), sink);
});

const at = (code: string) => sink.items.filter((d) => d.code === code).map((d) => `${d.file}:${d.line}`);

describe('seed article YAML', () => {
  it('loads with no error diagnostics', () => {
    expect(sink.items.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('the Fleet declares 3 clusters whose region/provider come from labels', () => {
    expect(model.clusters.map((c) => [c.name, c.region, c.provider, c.fleets.join()])).toEqual([
      ['cluster-frankfurt', 'eu-central', 'aws', 'global-production'],
      ['cluster-hangzhou', 'asia-east', 'alibaba', 'global-production'],
      ['cluster-shanghai', 'asia-east', 'huawei', 'global-production'],
      ['production-cluster-01', 'asia-east', 'alibaba', ''],
    ]);
    expect(model.clusters[3]!.secretRef).toEqual({ namespace: 'kurator-system', name: 'cluster-01-kubeconfig' });
  });

  it('the Fleet default placement: a bare {maxGroups: 2, minGroups: 1} spreads by cluster; preferred asia-east weight 60', () => {
    const fleet = model.fleets[0]!;
    expect(fleet.placement!.spreadConstraints).toEqual([{ spreadByField: 'cluster', minGroups: 1, maxGroups: 2 }]);
    expect(fleet.placement!.clusterAffinity!.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 60, preference: { matchExpressions: [{ key: 'region', operator: 'In', values: ['asia-east'] }] } },
    ]);
  });

  it('policies without metadata.namespace land in default; replicaScheduling without a type is Divided/Weighted', () => {
    expect(model.propagationPolicies.map((p) => `${p.namespace}/${p.name}`)).toEqual([
      'default/cost-optimization',
      'default/hierarchical-scheduling',
      'default/inference-workload',
      'default/nginx-propagation',
      'default/reviews-canary',
    ]);
    const nginx = model.propagationPolicies.find((p) => p.name === 'nginx-propagation')!;
    expect(nginx.resourceSelectors).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: 'default' }]);
    expect(nginx.placement.replicaScheduling?.replicaSchedulingType).toBe('Divided');
    expect(nginx.placement.replicaScheduling?.weightPreference?.staticWeightList?.map((w) => w.weight)).toEqual([60, 40]);
  });

  it('hierarchical-scheduling: region/zone spread without cluster ⇒ warning, unlimited cluster constraint, maxSkew kept', () => {
    const p = model.propagationPolicies.find((x) => x.name === 'hierarchical-scheduling')!;
    expect(at('SPREAD_CONSTRAINT_IGNORED')).toEqual(['09-propagation-hierarchical-scheduling.yaml:15']);
    expect(p.placement.spreadConstraints).toHaveLength(1);
    expect(p.placement.spreadConstraints[0]).toMatchObject({ spreadByField: 'cluster', minGroups: 1 });
    expect(p.placement.spreadConstraints[0]!.maxGroups).toBeGreaterThanOrEqual(1_000_000);
    expect(p.placement.skewConstraints).toEqual([
      { field: 'region', maxSkew: 2 },
      { field: 'zone', maxSkew: 1 },
    ]);
  });

  it('hierarchical-scheduling is Duplicated, so both maxSkew values are MAXSKEW_NOT_APPLICABLE warnings (lines 17 and 19)', () => {
    expect(at('MAXSKEW_NOT_APPLICABLE')).toEqual([
      '09-propagation-hierarchical-scheduling.yaml:17',
      '09-propagation-hierarchical-scheduling.yaml:19',
    ]);
  });

  it('hierarchical-scheduling: `tolerations` is read as clusterTolerations with a FIELD_ALIAS warning at line 20', () => {
    const p = model.propagationPolicies.find((x) => x.name === 'hierarchical-scheduling')!;
    expect(p.placement.clusterTolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'special', effect: 'NoSchedule' }]);
    expect(at('FIELD_ALIAS')).toEqual(['09-propagation-hierarchical-scheduling.yaml:20']);
  });

  it('KarmadaConfig: parallelism 10, estimator timeout "30s" → 30 s, other settings noted as not applicable', () => {
    expect(model.tuning).toEqual({ parallelism: 10, estimatorTimeoutSeconds: 30 });
    const note = sink.items.find((d) => d.code === 'NOT_APPLICABLE' && d.file === '10-karmadaconfig-performance-tuning.yaml')!;
    expect(note.severity).toBe('info');
    expect(note.message).toContain('spec.scheduler.cacheSyncTimeout, spec.scheduler.percentOfNodesToScore');
  });

  it('IntelligentScheduler is an UNSUPPORTED_KIND warning and not a resource', () => {
    expect(at('UNSUPPORTED_KIND')).toEqual(['13-intelligentscheduler.yaml:3']);
    expect(model.resources.some((r) => r.kind === 'IntelligentScheduler')).toBe(false);
  });

  it('resources are the workloads, services and config, sorted by apiVersion, kind, namespace, name', () => {
    expect(model.resources.map((r) => `${r.apiVersion} ${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'apps/v1 Deployment default/nginx',
      'autoscaling/v2 HorizontalPodAutoscaler default/cost-aware-hpa',
      'networking.istio.io/v1beta1 VirtualService default/cross-cluster-route',
      'networking.istio.io/v1beta1 VirtualService default/reviews-route',
      'v1 ConfigMap kurator-system/network-config',
    ]);
  });

  it('clusters the article names but never declares are UNKNOWN_CLUSTER warnings at their lines', () => {
    expect(at('UNKNOWN_CLUSTER')).toContain('09-propagation-hierarchical-scheduling.yaml:13');
    expect(at('UNKNOWN_CLUSTER')).toContain('11-propagation-cost-optimization.yaml:15');
    expect(sink.items.filter((d) => d.code === 'UNKNOWN_CLUSTER').every((d) => d.severity === 'warning')).toBe(true);
  });

  it('the OverridePolicy keeps its two rules with their manifest paths', () => {
    const op = model.overridePolicies[0]!;
    expect(op.name).toBe('cross-cloud-config');
    expect(op.rules.map((r) => r.path)).toEqual([
      ['spec', 'overrideRules', 0],
      ['spec', 'overrideRules', 1],
    ]);
    expect(op.rules[1]!.overriders.commandOverrider).toEqual([
      { containerName: 'app', operator: 'add', value: ['--region=eu-central', '--compliance=gdpr'] },
    ]);
  });
});
