// spec.dependentOverrides: a policy's resources wait for the named override policies in Karmada;
// flotilla cannot wait, so a missing one makes the revision invalid (the last good state stays).
import { describe, expect, it } from 'vitest';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';

const CLUSTER = 'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: east}\nspec: {region: r}\n';
const CONFIG = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\ndata: {k: v}\n';
const pp = (deps: string, name = 'web') => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: p, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: ${name}}]
  dependentOverrides:
${deps}
`;
const cpp = (deps: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: c}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: web}]
  dependentOverrides:
${deps}
`;
const op = (kind: string, name: string, namespace = 'shop') => `apiVersion: policy.karmada.io/v1alpha1
kind: ${kind}
metadata: {name: ${name}${kind === 'OverridePolicy' ? `, namespace: ${namespace}` : ''}}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
  overrideRules:
  - overriders:
      labelsOverrider: [{operator: add, value: {env: prod}}]
`;

function render(files: Record<string, string>): RenderResult {
  return renderFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision: 'worktree' });
}
const found = (r: RenderResult) =>
  r.diagnostics.filter((d) => d.code === 'DEPENDENT_OVERRIDE_NOT_FOUND').map((d) => `${d.severity} ${d.file}:${d.line}`);

describe('dependentOverrides (Karmada: the policy waits until every named override policy exists)', () => {
  it('every named OverridePolicy in the policy’s namespace exists: no diagnostic, rendered with the overrides', () => {
    const r = render({
      'c.yaml': CLUSTER,
      'cm.yaml': CONFIG,
      'p.yaml': pp('  - a\n  - b'),
      'a.yaml': op('OverridePolicy', 'a'),
      'b.yaml': op('OverridePolicy', 'b'),
    });
    expect(found(r)).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect((r.manifests.east!.find((o) => o.kind === 'ConfigMap')!.metadata as { labels: Record<string, string> }).labels.env).toBe('prod');
  });

  it('a missing one is an error at its entry (the revision is invalid, as waiting leaves the clusters as they were)', () => {
    const r = render({ 'c.yaml': CLUSTER, 'cm.yaml': CONFIG, 'p.yaml': pp('  - a\n  - b'), 'a.yaml': op('OverridePolicy', 'a') });
    expect(found(r)).toEqual(['error p.yaml:8']);
    expect(r.diagnostics.find((d) => d.code === 'DEPENDENT_OVERRIDE_NOT_FOUND')!.message).toContain('OverridePolicy shop/b');
  });

  it('an OverridePolicy of that name in another namespace does not count (Karmada looks in the policy’s namespace)', () => {
    const r = render({ 'c.yaml': CLUSTER, 'cm.yaml': CONFIG, 'p.yaml': pp('  - a'), 'a.yaml': op('OverridePolicy', 'a', 'other') });
    expect(found(r)).toEqual(['error p.yaml:7']);
  });

  it('a ClusterPropagationPolicy waits for ClusterOverridePolicies', () => {
    const withCop = render({ 'c.yaml': CLUSTER, 'cm.yaml': CONFIG, 'p.yaml': cpp('  - a'), 'a.yaml': op('ClusterOverridePolicy', 'a') });
    expect(found(withCop)).toEqual([]);
    const withOp = render({ 'c.yaml': CLUSTER, 'cm.yaml': CONFIG, 'p.yaml': cpp('  - a'), 'a.yaml': op('OverridePolicy', 'a') });
    expect(found(withOp)).toEqual(['error p.yaml:7']);
  });

  it('a policy that claims nothing waits for nothing (Karmada checks only when it matches a resource)', () => {
    const r = render({ 'c.yaml': CLUSTER, 'cm.yaml': CONFIG, 'p.yaml': pp('  - a', 'absent') });
    expect(found(r)).toEqual([]);
  });
});
