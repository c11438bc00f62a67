import { describe, expect, it } from 'vitest';
import { applyPhase, sortForApply, sortForDelete } from '../../src/kube/order.js';

const r = (apiVersion: string, kind: string, name: string, namespace = '') => ({ apiVersion, kind, name, namespace });
const items = [
  r('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'guard'),
  r('apps/v1', 'Deployment', 'web', 'shop'),
  r('v1', 'Namespace', 'shop'),
  r('networking.istio.io/v1beta1', 'VirtualService', 'route', 'shop'),
  r('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'virtualservices.networking.istio.io'),
  r('v1', 'ConfigMap', 'cfg', 'shop'),
];

describe('apply order', () => {
  it('CRDs, then Namespaces, then everything else by apiVersion/kind/name, webhooks last', () => {
    expect(sortForApply(items, (x) => x).map((x) => x.kind)).toEqual([
      'CustomResourceDefinition',
      'Namespace',
      'Deployment',
      'VirtualService',
      'ConfigMap',
      'ValidatingWebhookConfiguration',
    ]);
  });
  it('delete order is the reverse: webhooks first, Namespaces and CRDs last', () => {
    expect(sortForDelete(items, (x) => x).map((x) => x.kind)).toEqual([
      'ValidatingWebhookConfiguration',
      'ConfigMap',
      'VirtualService',
      'Deployment',
      'Namespace',
      'CustomResourceDefinition',
    ]);
  });
  it('only the real kinds are special: a CRD-defined kind named Namespace is an ordinary object', () => {
    expect(applyPhase('example.com/v1', 'Namespace')).toBe(1);
    expect(applyPhase('v1', 'Namespace')).toBe(0);
  });
});
