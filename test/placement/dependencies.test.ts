// Which objects a workload depends on, as Karmada's default resource interpreter finds them
// (dependencies.go, helper.GetDependenciesFromPodTemplate and the lifted pod visitors).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Manifest } from '../../src/model/types.js';
import { dependenciesOf, hasDependencyInterpreter } from '../../src/placement/dependencies.js';

function manifest(yaml: string): Manifest {
  const object = parse(yaml) as Record<string, any>;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata?.namespace ?? 'default',
    name: object.metadata.name,
    object,
    source: { file: 'w.yaml', docIndex: 0, line: 1, column: 1 },
  } as Manifest;
}

const refs = (m: Manifest) => dependenciesOf(m).map((d) => `${d.ref.kind}/${d.ref.namespace}/${d.ref.name}`);

const POD_SPEC = `
      serviceAccountName: runner
      imagePullSecrets: [{name: registry}]
      initContainers:
      - name: init
        envFrom: [{configMapRef: {name: init-env}}]
      containers:
      - name: main
        envFrom: [{secretRef: {name: env-secret}}, {configMapRef: {name: env-config, optional: true}}]
        env:
        - {name: A, valueFrom: {configMapKeyRef: {name: key-config, key: a}}}
        - {name: B, valueFrom: {secretKeyRef: {name: key-secret, key: b}}}
        - {name: C, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
      volumes:
      - {name: v1, configMap: {name: vol-config}}
      - {name: v2, secret: {secretName: vol-secret}}
      - {name: v3, persistentVolumeClaim: {claimName: data}}
      - name: v4
        projected:
          sources:
          - configMap: {name: proj-config}
          - secret: {name: proj-secret}
          - serviceAccountToken: {path: token}
      - {name: v5, csi: {driver: d, nodePublishSecretRef: {name: csi-secret}}}
      - {name: v6, azureFile: {secretName: azure-secret, shareName: s}}
      - {name: v7, cephfs: {monitors: [m], secretRef: {name: ceph-secret}}}
      - {name: v8, emptyDir: {}}
`;

describe('dependenciesOf: a pod template’s ConfigMaps, Secrets, ServiceAccount and PersistentVolumeClaims', () => {
  it('a Deployment: every kind of reference, by kind as Karmada lists them, then in the order written, each once', () => {
    const m = manifest(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:${POD_SPEC}`);
    expect(refs(m)).toEqual([
      'ConfigMap/shop/init-env',
      'ConfigMap/shop/env-config',
      'ConfigMap/shop/key-config',
      'ConfigMap/shop/vol-config',
      'ConfigMap/shop/proj-config',
      'Secret/shop/env-secret',
      'Secret/shop/key-secret',
      'Secret/shop/vol-secret',
      'Secret/shop/proj-secret',
      'Secret/shop/csi-secret',
      'Secret/shop/azure-secret',
      'Secret/shop/ceph-secret',
      'Secret/shop/registry',
      'ServiceAccount/shop/runner',
      'PersistentVolumeClaim/shop/data',
    ]);
    const optional = dependenciesOf(m).find((d) => d.ref.name === 'env-config')!;
    expect(optional).toMatchObject({
      optional: true,
      path: ['spec', 'template', 'spec', 'containers', 0, 'envFrom', 1, 'configMapRef', 'name'],
    });
  });

  it.each([
    ['apps/v1', 'StatefulSet', 'spec:\n  template:\n    spec:'],
    ['apps/v1', 'DaemonSet', 'spec:\n  template:\n    spec:'],
    ['batch/v1', 'Job', 'spec:\n  template:\n    spec:'],
    ['batch/v1', 'CronJob', 'spec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:'],
    ['v1', 'Pod', 'spec:'],
  ])('%s %s: the pod spec where that kind keeps it', (apiVersion, kind, prefix) => {
    const indent = prefix.split('\n').pop()!.match(/^ */)![0].length + 2;
    const body = `\n${' '.repeat(indent)}volumes: [{name: v, configMap: {name: cfg}}]\n${' '.repeat(indent)}serviceAccountName: sa\n`;
    const m = manifest(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: w}\n${prefix}${body}`);
    expect(hasDependencyInterpreter(apiVersion, kind)).toBe(true);
    expect(refs(m)).toEqual(['ConfigMap/default/cfg', 'ServiceAccount/default/sa']);
  });

  it('the "default" ServiceAccount, empty names and kinds without an interpreter (ReplicaSet) have no dependencies', () => {
    const dep = manifest(`apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  template:
    spec:
      serviceAccountName: default
      volumes: [{name: v, configMap: {name: ""}}]
`);
    expect(refs(dep)).toEqual([]);
    const rs = manifest(`apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: w}
spec: {template: {spec: {volumes: [{name: v, configMap: {name: cfg}}]}}}
`);
    expect(hasDependencyInterpreter('apps/v1', 'ReplicaSet')).toBe(false);
    expect(refs(rs)).toEqual([]);
  });

  it('an Ingress: its TLS Secrets (Karmada’s getIngressDependencies)', () => {
    const m = manifest(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: shop}
spec:
  tls: [{secretName: tls-a}, {hosts: [x]}]
`);
    expect(refs(m)).toEqual(['Secret/shop/tls-a']);
  });
});
