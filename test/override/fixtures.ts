// Shared builders for override tests: typed policies, clusters and manifests as plain data.
import type { Cluster, ClusterAffinity, Manifest, OverridePolicy, Overriders, ResourceSelector } from '../../src/model/types.js';
import { applyOverrides } from '../../src/override/apply.js';

export const source = { file: 'policies/overrides.yaml', docIndex: 0, line: 1, column: 1 };

export function cluster(name: string, labels: Record<string, string> = {}, extra: Partial<Cluster> = {}): Cluster {
  return { name, labels, provider: '', region: '', zones: [], taints: [], ready: true, deleting: false, fleets: [], sources: [], ...extra };
}

export function manifest(object: Record<string, unknown>): Manifest {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    object,
    source: { file: 'apps/app.yaml', docIndex: 0, line: 1, column: 1 },
  };
}

export interface RuleSpec {
  targetCluster?: ClusterAffinity;
  overriders: Overriders;
}

export function policy(
  name: string,
  rules: RuleSpec[],
  opts: { kind?: OverridePolicy['kind']; namespace?: string; resourceSelectors?: ResourceSelector[] } = {},
): OverridePolicy {
  const kind = opts.kind ?? 'OverridePolicy';
  return {
    kind,
    name,
    namespace: kind === 'ClusterOverridePolicy' ? '' : (opts.namespace ?? 'default'),
    resourceSelectors: opts.resourceSelectors ?? [],
    rules: rules.map((r, i) => ({
      ...(r.targetCluster ? { targetCluster: r.targetCluster } : {}),
      overriders: r.overriders,
      path: ['spec', 'overrideRules', i],
    })),
    source,
  };
}

/** Deployment `nginx` in `default` with the given containers. */
export function deployment(containers: Array<Record<string, unknown>>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', ...metadata },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: { containers } },
    },
  };
}

/** Applies one block of overriders (a policy with one untargeted rule) to `object` on cluster `member1`. */
export function override(object: Record<string, unknown>, overriders: Overriders) {
  return applyOverrides(manifest(object), object, cluster('member1'), [policy('p', [{ overriders }])]);
}

/** The images of every container of a pod-template workload. */
export function images(object: Record<string, unknown>): unknown[] {
  const spec = (object.spec as any)?.template?.spec ?? (object.spec as any);
  return (spec.containers as Array<{ image: unknown }>).map((c) => c.image);
}
