// Builds the typed FleetModel from parsed manifests: clusters first (every other kind refers to
// them), then fleets, policies and tuning; everything else is a resource to propagate. Problems are
// diagnostics at the field's line; objects Karmada would reject are left out of the model.
import { clusterNameProblem } from '../objects/names.js';
import type { DiagnosticSink } from '../model/diagnostics.js';
import type { Cluster, Fleet, FleetModel, Manifest, OverridePolicy, PropagationPolicy, Tuning } from '../model/types.js';
import { mergeClusters, readAttachedCluster, readKarmadaCluster, readKuratorCluster, type ClusterDeclaration } from './clusters.js';
import { ManifestReader } from '../model/fields.js';
import { readFleetMembers, resolveFleet, type FleetMembers } from './fleet.js';
import { roleOf } from './kinds.js';
import { APPLICATION_SPEC_SHAPE, checkObjectFields, checkShape } from './known-fields.js';
import { parseOverridePolicy } from './overrides.js';
import { parsePropagationPolicy } from './policies.js';
import { DEFAULT_TUNING, readTuning } from './tuning.js';
import { compareStrings } from '../model/order.js';

function byNamespaceName<T extends { namespace: string; name: string }>(a: T, b: T): number {
  return compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}

/** Builds the fleet model; every problem goes to `sink` (construct it with makeFieldLocator for field lines). */
export function buildFleetModel(manifests: readonly Manifest[], sink: DiagnosticSink): FleetModel {
  const byRole = new Map<string, Manifest[]>();
  const controlPlane: Manifest[] = [];
  for (const m of manifests) {
    const role = roleOf(m);
    const list = byRole.get(role) ?? [];
    list.push(m);
    byRole.set(role, list);
    // What flotilla neither implements nor places (Unsupported) steers nothing.
    if (role !== 'Resource' && role !== 'Unsupported') controlPlane.push(m);
  }
  const of: ManifestsOf = (role) => byRole.get(role) ?? [];

  // Pass 1: every cluster declaration, so references and affinities can be checked against them.
  const { declarations, fleetMembers } = readClusterDeclarations(of, sink);
  const declared = new Set(declarations.map((d) => d.name));
  const clusters = mergeClusters(declarations, sink);

  // Pass 2: fleets (membership, default placement) and policies, with UNKNOWN_CLUSTER checks.
  const fleets = resolveFleets(fleetMembers, clusters, declared, sink);
  const policies = readPolicies(of, declared, sink);
  const tuning = readFirstTuning(of('KarmadaConfig'), sink);
  for (const m of of('Application')) checkApplicationFields(new ManifestReader(m, sink));
  for (const m of of('Unsupported')) {
    new ManifestReader(m, sink).warn(
      'UNSUPPORTED_KIND',
      `${m.apiVersion} ${m.kind} is not implemented by flotilla; it is neither applied nor propagated`,
      ['kind'],
    );
  }
  const resources = [...of('Resource')].sort(byIdentity);
  return { clusters, fleets, ...policies, resources, controlPlane: controlPlane.sort(byIdentityThenSource), tuning };
}

function byIdentity(a: Manifest, b: Manifest): number {
  return (
    compareStrings(a.apiVersion, b.apiVersion) ||
    compareStrings(a.kind, b.kind) ||
    compareStrings(a.namespace, b.namespace) ||
    compareStrings(a.name, b.name)
  );
}

/** Documents one identity may have several of (a cluster declared twice) in a stable order too: by file and place in it. */
function byIdentityThenSource(a: Manifest, b: Manifest): number {
  return byIdentity(a, b) || compareStrings(a.source.file, b.source.file) || a.source.docIndex - b.source.docIndex;
}

/** The manifests of one role (roleOf), in input order. */
type ManifestsOf = (role: string) => Manifest[];

/** Every cluster declaration: the members fleets declare inline, then the cluster kinds (a bad name is left out). */
function readClusterDeclarations(
  of: ManifestsOf,
  sink: DiagnosticSink,
): { declarations: ClusterDeclaration[]; fleetMembers: Array<{ manifest: Manifest; members: FleetMembers }> } {
  const declarations: ClusterDeclaration[] = [];
  const fleetMembers: Array<{ manifest: Manifest; members: FleetMembers }> = [];
  for (const m of of('Fleet')) {
    const members = readFleetMembers(new ManifestReader(m, sink));
    fleetMembers.push({ manifest: m, members });
    declarations.push(...members.declarations);
  }
  const readers = [
    ['AttachedCluster', readAttachedCluster],
    ['KuratorCluster', readKuratorCluster],
    ['KarmadaCluster', readKarmadaCluster],
  ] as const;
  for (const [role, read] of readers) {
    for (const m of of(role)) {
      const r = new ManifestReader(m, sink);
      const problem = clusterNameProblem(m.name);
      if (problem) {
        r.error('INVALID_NAME', `cluster name "${m.name}" ${problem}`, ['metadata', 'name']);
        continue;
      }
      declarations.push(read(r));
    }
  }
  return { declarations, fleetMembers };
}

/** The fleets, sorted; each member cluster learns (sorted) which fleets it is in. */
function resolveFleets(
  fleetMembers: ReadonlyArray<{ manifest: Manifest; members: FleetMembers }>,
  clusters: readonly Cluster[],
  declared: ReadonlySet<string>,
  sink: DiagnosticSink,
): Fleet[] {
  const fleets: Fleet[] = fleetMembers.map(({ manifest, members }) =>
    resolveFleet(new ManifestReader(manifest, sink, declared), members, declared),
  );
  fleets.sort(byNamespaceName);
  const clusterByName = new Map(clusters.map((c) => [c.name, c]));
  for (const fleet of fleets) {
    for (const name of fleet.clusters) {
      const c = clusterByName.get(name);
      if (c && !c.fleets.includes(fleet.name)) c.fleets.push(fleet.name);
    }
  }
  for (const c of clusters) c.fleets.sort(compareStrings);
  return fleets;
}

/** Propagation and override policies, namespaced and cluster-scoped apart, each list sorted; invalid ones are left out. */
function readPolicies(
  of: ManifestsOf,
  declared: ReadonlySet<string>,
  sink: DiagnosticSink,
): Pick<FleetModel, 'propagationPolicies' | 'clusterPropagationPolicies' | 'overridePolicies' | 'clusterOverridePolicies'> {
  const propagationPolicies: PropagationPolicy[] = [];
  const clusterPropagationPolicies: PropagationPolicy[] = [];
  for (const m of of('PropagationPolicy')) {
    const policy = parsePropagationPolicy(new ManifestReader(m, sink, declared));
    if (!policy) continue;
    (policy.kind === 'PropagationPolicy' ? propagationPolicies : clusterPropagationPolicies).push(policy);
  }
  const overridePolicies: OverridePolicy[] = [];
  const clusterOverridePolicies: OverridePolicy[] = [];
  for (const m of of('OverridePolicy')) {
    const policy = parseOverridePolicy(new ManifestReader(m, sink, declared));
    if (!policy) continue;
    (policy.kind === 'OverridePolicy' ? overridePolicies : clusterOverridePolicies).push(policy);
  }
  return {
    propagationPolicies: propagationPolicies.sort(byNamespaceName),
    clusterPropagationPolicies: clusterPropagationPolicies.sort(byNamespaceName),
    overridePolicies: overridePolicies.sort(byNamespaceName),
    clusterOverridePolicies: clusterOverridePolicies.sort(byNamespaceName),
  };
}

/** The first KarmadaConfig's tuning (the defaults without one); later ones are warned about and ignored. */
function readFirstTuning(configs: readonly Manifest[], sink: DiagnosticSink): Tuning {
  let tuning: Tuning = { ...DEFAULT_TUNING };
  configs.forEach((m, i) => {
    const r = new ManifestReader(m, sink);
    if (i === 0) {
      tuning = readTuning(r);
      return;
    }
    const first = configs[0]!.source;
    r.warn('DUPLICATE_TUNING', `only the first KarmadaConfig (${first.file}:${first.line}) is used; this one is ignored`, []);
  });
  return tuning;
}

/** Strict fields of a Kurator Application (kurator pkg/apis/apps/v1alpha1/types.go); src/generate/ builds and places it. */
function checkApplicationFields(r: ManifestReader): void {
  checkObjectFields(r);
  checkShape(r, r.manifest.object.spec, ['spec'], APPLICATION_SPEC_SHAPE);
}
