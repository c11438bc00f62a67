// What flotilla observed on its live clusters, written as Karmada `Cluster` documents
// (cluster.karmada.io/v1alpha1) so that the ordinary loader merges it into the fleet model:
// readiness as the Ready condition, failover's not-ready taints in spec.taints (taints are a union
// of every declaration), capacity in status.resourceSummary. The same file, recorded on the status
// branch, lets `render` in CI reproduce the reconciler's split (SEMANTICS.md, first table). Pure.
import type { ResourceSummary, Taint } from '../model/types.js';
import { toStableYaml } from '../render/serialize.js';

/**
 * Path of the observed-clusters file among the fleet's files. It sorts before any ordinary path
 * ('(' < '.', digits and letters), and the loader takes the first declared resourceSummary, so
 * observed capacity wins over a capacity declared in the repository.
 */
export const OBSERVED_CLUSTERS_FILE = '(observed)/clusters.yaml';

export interface ObservedCluster {
  name: string;
  ready: boolean;
  /** Why it is not ready (shown in the condition message). */
  message?: string | null;
  taints: readonly Taint[];
  /** Absent when capacity could not be read (the repository's declaration, if any, stays in force). */
  resourceSummary?: ResourceSummary | null;
}

/** One Karmada Cluster document per observed cluster, sorted by name. */
export function observedClusterObjects(clusters: readonly ObservedCluster[]): Array<Record<string, unknown>> {
  return [...clusters]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => {
      const spec: Record<string, unknown> = {};
      if (c.taints.length > 0) spec.taints = c.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }));
      const status: Record<string, unknown> = {
        conditions: [{ type: 'Ready', status: c.ready ? 'True' : 'False', ...(c.message ? { message: c.message } : {}) }],
      };
      if (c.resourceSummary) status.resourceSummary = c.resourceSummary;
      return { apiVersion: 'cluster.karmada.io/v1alpha1', kind: 'Cluster', metadata: { name: c.name }, spec, status };
    });
}

/** The observed-clusters file (multi-document YAML), ready to add to a render's files. */
export function observedClustersFile(clusters: readonly ObservedCluster[]): { path: string; text: string } {
  const docs = observedClusterObjects(clusters).map((o) => toStableYaml(o));
  return { path: OBSERVED_CLUSTERS_FILE, text: `# Observed by flotilla on the live clusters; generated, do not edit.\n${docs.join('---\n')}` };
}
