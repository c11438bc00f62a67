// Which kinds are cluster-scoped (src/objects/scope.ts): the built-in list, kinds named with their
// group where the name alone is common, and the kinds a repository's CRDs declare — never one of
// Kubernetes' own groups, which a CRD cannot define (the scope of every path's objects hangs on it).
import { describe, expect, it } from 'vitest';
import { clusterScopedKindOfCrd, isClusterScoped } from '../../src/objects/scope.js';
import { parseFleetFiles } from '../../src/load/parse.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';

const crd = (group: string, kind: string, scope = 'Cluster') => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.${group}` },
  spec: { group, scope, names: { kind, plural: `${kind.toLowerCase()}s` } },
});

describe('isClusterScoped', () => {
  it('knows the newer built-in kinds by their group, and the same names elsewhere as namespaced', () => {
    const none = new Set<string>();
    for (const [apiVersion, kind] of [
      ['networking.k8s.io/v1', 'ServiceCIDR'],
      ['networking.k8s.io/v1', 'IPAddress'],
      ['certificates.k8s.io/v1beta1', 'ClusterTrustBundle'],
      ['storage.k8s.io/v1beta1', 'VolumeAttributesClass'],
      ['resource.k8s.io/v1', 'DeviceClass'],
      ['resource.k8s.io/v1', 'ResourceSlice'],
      ['v1', 'ComponentStatus'],
      ['policy/v1beta1', 'PodSecurityPolicy'],
      ['networking.k8s.io/v1alpha1', 'ClusterCIDR'],
      ['resource.k8s.io/v1alpha2', 'ResourceClass'],
      ['auditregistration.k8s.io/v1alpha1', 'AuditSink'],
      ['v1', 'Namespace'],
    ] as const)
      expect(isClusterScoped(apiVersion, kind, none), `${apiVersion} ${kind}`).toBe(true);
    expect(isClusterScoped('ipam.cluster.x-k8s.io/v1beta1', 'IPAddress', none)).toBe(false);
    expect(isClusterScoped('cluster.x-k8s.io/v1beta1', 'Cluster', none)).toBe(false);
    expect(isClusterScoped('resource.k8s.io/v1', 'ResourceClaim', none)).toBe(false);
  });
});

describe('clusterScopedKindOfCrd', () => {
  it('takes a cluster-scoped CRD of a group of its own, and none that claims a group Kubernetes serves', () => {
    expect(clusterScopedKindOfCrd('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd('kyverno.io', 'ClusterPolicy'))).toBe(
      'kyverno.io/ClusterPolicy',
    );
    expect(
      clusterScopedKindOfCrd('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd('gateway.networking.k8s.io', 'GatewayClass')),
    ).toBe('gateway.networking.k8s.io/GatewayClass');
    for (const group of ['', 'apps', 'example', 'networking.k8s.io', 'rbac.authorization.k8s.io'])
      expect(clusterScopedKindOfCrd('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd(group, 'ConfigMap')), group).toBeNull();
    expect(
      clusterScopedKindOfCrd('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd('kyverno.io', 'Policy', 'Namespaced')),
    ).toBeNull();
  });

  it("a CRD claiming the core group does not take every path's ConfigMaps out of their namespaces", () => {
    const files = [
      { path: 'teams/web/crd.yaml', text: JSON.stringify(crd('', 'ConfigMap')) },
      { path: 'teams/payments/cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: payments}\n' },
    ];
    const manifests = parseFleetFiles(files, new DiagnosticSink());
    expect(manifests.find((m) => m.kind === 'ConfigMap')?.namespace).toBe('payments');
  });
});
