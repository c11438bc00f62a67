// A fleet of N plain clusters with one ConfigMap duplicated to all of them, as source files.
import type { SourceFile } from '../../src/load/parse.js';

/** Cluster names c00, c01, … */
export function clusterNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `c${String(i).padStart(2, '0')}`);
}

/** The fleet files; `version` goes into the ConfigMap so a new version changes one object per cluster. */
export function duplicatedFleet(names: readonly string[], version: string): SourceFile[] {
  const clusters = names
    .map(
      (n) =>
        `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}, labels: ` +
        `{env: prod}}\nspec: {provider: test, region: r1}\n`,
    )
    .join('---\n');
  const policy = `apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: everywhere}
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: ConfigMap}
  placement:
    clusterAffinity: {labelSelector: {matchLabels: {env: prod}}}
`;
  const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: default}\ndata: {version: "${version}"}\n`;
  return [
    { path: 'clusters.yaml', text: clusters },
    { path: 'policy.yaml', text: policy },
    { path: 'configmap.yaml', text: cm },
  ] as SourceFile[];
}
