// spec.dependentOverrides of a (Cluster)PropagationPolicy (docs/reference/semantics.md §1.1): the
// override policies that must exist before the policy takes effect. Karmada's detector holds the
// resources a policy claims back until every one exists (helper.IsDependentOverridesPresent: an
// OverridePolicy in the PropagationPolicy's namespace; IsDependentClusterOverridesPresent: a
// ClusterOverridePolicy for a ClusterPropagationPolicy), and checks only when the policy claims
// something. A static renderer cannot wait: a missing one is an error, so the revision is invalid
// and the last good state stays, which is what waiting looks like from a member cluster.
import type { DiagnosticSink } from '../model/diagnostics.js';
import type { FleetModel, PlacementResult } from '../model/types.js';
import { policyRefText } from '../placement/claim.js';

/** Reports DEPENDENT_OVERRIDE_NOT_FOUND at each name of a claiming policy's dependentOverrides that the revision lacks. */
export function checkDependentOverrides(model: FleetModel, placements: Iterable<PlacementResult>, sink: DiagnosticSink): void {
  const policies = [...model.propagationPolicies, ...model.clusterPropagationPolicies].filter((p) => p.dependentOverrides.length > 0);
  if (policies.length === 0) return;
  const claiming = new Set<string>();
  for (const p of placements) if (p.policy && !p.dependency?.attachedOnly) claiming.add(policyRefText(p.policy));
  const overrides = new Set(model.overridePolicies.map((o) => `${o.namespace}/${o.name}`));
  const clusterOverrides = new Set(model.clusterOverridePolicies.map((o) => o.name));
  for (const policy of policies) {
    if (!claiming.has(policyRefText(policy))) continue;
    const cluster = policy.kind === 'ClusterPropagationPolicy';
    policy.dependentOverrides.forEach((name, i) => {
      if (cluster ? clusterOverrides.has(name) : overrides.has(`${policy.namespace}/${name}`)) return;
      const wanted = cluster ? `ClusterOverridePolicy ${name}` : `OverridePolicy ${policy.namespace}/${name}`;
      sink.error(
        'DEPENDENT_OVERRIDE_NOT_FOUND',
        `${policy.kind} ${policy.namespace ? `${policy.namespace}/` : ''}${policy.name} depends on ${wanted}, which is not in ` +
          'this revision: Karmada holds its resources back until it exists, so the revision is not applied',
        { source: policy.source, path: ['spec', 'dependentOverrides', i] },
      );
    });
  }
}
