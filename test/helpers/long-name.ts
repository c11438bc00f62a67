// A fleet holding a valid object name of 251 characters (a DNS-1123 subdomain, the longest kind
// Kubernetes takes is 253): `configmap-<name>.yaml` is 266 bytes, over the 255-byte file-name limit.

export const LONG_NAME = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(59)].join('.');

/** A fleet of one cluster (`member`) holding a ConfigMap named LONG_NAME and one named `short`. */
export function longNameFleetFiles(): Record<string, string> {
  return {
    'fleet.yaml': `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: default}
spec:
  clusters: [{name: member}]
  placement: {}
`,
    'configmaps.yaml': `apiVersion: v1
kind: ConfigMap
metadata: {name: ${LONG_NAME}, namespace: default}
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: short, namespace: default}
data: {a: b}
`,
  };
}
