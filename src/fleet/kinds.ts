// What role a manifest plays in the fleet model, from its API group and kind (docs/reference/contract.md "Input").
import { apiGroup } from '../objects/scope.js';
import type { Manifest } from '../model/types.js';

export type ManifestRole =
  | 'Fleet'
  | 'AttachedCluster'
  | 'KuratorCluster'
  | 'KarmadaCluster'
  | 'PropagationPolicy'
  | 'OverridePolicy'
  | 'KarmadaConfig'
  | 'Application'
  | 'Unsupported'
  | 'Resource';

function inGroupFamily(group: string, domain: string): boolean {
  return group === domain || group.endsWith(`.${domain}`);
}

/**
 * The role of a manifest. Kinds of Kurator's and Karmada's API groups that flotilla does not
 * implement (the seed's IntelligentScheduler, ResourceBindings, Kurator Applications…) are
 * Unsupported: propagating them to member clusters would be wrong, ignoring them silently worse.
 */
export function roleOf(m: Manifest): ManifestRole {
  const group = apiGroup(m.apiVersion);
  switch (`${group}/${m.kind}`) {
    case 'fleet.kurator.dev/Fleet':
      return 'Fleet';
    case 'cluster.kurator.dev/AttachedCluster':
      return 'AttachedCluster';
    case 'cluster.kurator.dev/Cluster':
      return 'KuratorCluster';
    case 'cluster.karmada.io/Cluster':
      return 'KarmadaCluster';
    case 'policy.karmada.io/PropagationPolicy':
    case 'policy.karmada.io/ClusterPropagationPolicy':
      return 'PropagationPolicy';
    case 'apps.kurator.dev/Application':
      // Built from its source and placed by src/generate/ before the model is built; here only its fields are checked.
      return 'Application';
    case 'policy.karmada.io/OverridePolicy':
    case 'policy.karmada.io/ClusterOverridePolicy':
      return 'OverridePolicy';
  }
  if (m.kind === 'KarmadaConfig' && inGroupFamily(group, 'karmada.io')) return 'KarmadaConfig';
  if (inGroupFamily(group, 'karmada.io') || inGroupFamily(group, 'kurator.dev')) return 'Unsupported';
  return 'Resource';
}
