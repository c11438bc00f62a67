// Kurator Fleet: the seed's inline form (`spec.clusters[].name/labels` declares clusters) and
// Kurator's reference form (`spec.clusters[]{name, kind}` names an AttachedCluster/Cluster declared
// elsewhere); `spec.placement` is flotilla's default placement for the fleet (docs/reference/semantics.md extensions).
import { clusterNameProblem } from '../objects/names.js';
import type { FieldPath, Fleet } from '../model/types.js';
import { newDeclaration, readClusterLabels, type ClusterDeclaration } from './clusters.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { isMap } from '../objects/json.js';
import { parsePlacement } from './placement.js';
import { checkObjectFields, FLEET_PLUGIN_FIELDS } from './known-fields.js';

/** A member entry of a fleet, in list order. */
export interface FleetMember {
  name: string;
  path: FieldPath;
  /** True for Kurator's reference form: the cluster must be declared elsewhere. */
  reference: boolean;
}

/** What the first pass learns from a Fleet: its members and the clusters its inline entries declare. */
export interface FleetMembers {
  members: FleetMember[];
  declarations: ClusterDeclaration[];
}

const MEMBER_FIELDS = ['name', 'kind', 'labels', 'namespace', 'apiVersion', 'uid', 'resourceVersion', 'fieldPath'] as const;
const MEMBER_KINDS = ['AttachedCluster', 'Cluster'];

/** First pass over a Fleet: member entries; inline entries (no `kind`, or with labels) declare clusters. */
export function readFleetMembers(r: ManifestReader): FleetMembers {
  const m = r.manifest;
  checkObjectFields(r);
  const out: FleetMembers = { members: [], declarations: [] };
  const spec = r.record(m.object.spec, ['spec']);
  if (!spec) return out;
  r.knownFields(spec, ['spec'], ['clusters', 'placement', 'plugin']);
  if (has(spec, 'plugin')) {
    const plugin = r.record(spec.plugin, ['spec', 'plugin']);
    if (plugin) r.knownFields(plugin, ['spec', 'plugin'], FLEET_PLUGIN_FIELDS);
    // Kurator's fleet manager installs plugins; the same Fleet may be served to it, so this is a note.
    r.unsupported(
      'info',
      ['spec', 'plugin'],
      'Kurator fleet plugins (monitoring, policy, backup…) are installed by Kurator, not by flotilla',
    );
  }
  const path: FieldPath = ['spec', 'clusters'];
  (r.list(spec.clusters, path) ?? []).forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, MEMBER_FIELDS);
    const name = r.string(obj.name, [...p, 'name']);
    if (name === undefined || name === '') {
      if (!has(obj, 'name')) r.error('INVALID_NAME', `${formatPath([...p, 'name'])} is required`, p);
      else if (name === '') r.error('INVALID_NAME', `${formatPath([...p, 'name'])} is empty`, [...p, 'name']);
      return;
    }
    const problem = clusterNameProblem(name);
    if (problem) {
      r.error('INVALID_NAME', `cluster name "${name}" ${problem}`, [...p, 'name']);
      return;
    }
    const kind = r.string(obj.kind, [...p, 'kind']);
    if (kind && !MEMBER_KINDS.includes(kind)) {
      r.warn('UNSUPPORTED_KIND', `${formatPath([...p, 'kind'])} "${kind}" is not a cluster kind (AttachedCluster or Cluster)`, [
        ...p,
        'kind',
      ]);
    }
    const reference = !!kind && !has(obj, 'labels');
    if (!reference) {
      const decl = newDeclaration(name, m.source);
      readClusterLabels(r, obj.labels, [...p, 'labels'], decl);
      out.declarations.push(decl);
    }
    if (out.members.some((x) => x.name === name)) {
      r.warn('DUPLICATE_CLUSTER', `cluster "${name}" is listed twice in this fleet`, [...p, 'name']);
      return;
    }
    out.members.push({ name, path: [...p, 'name'], reference });
  });
  return out;
}

/**
 * Second pass, once every declaration is known: references to undeclared clusters are
 * UNKNOWN_CLUSTER warnings (and not members), and the default placement is parsed. A placement with
 * errors is dropped; the fleet itself stays.
 */
export function resolveFleet(r: ManifestReader, members: FleetMembers, declared: ReadonlySet<string>): Fleet {
  const m = r.manifest;
  const clusters: string[] = [];
  for (const member of members.members) {
    if (member.reference && !declared.has(member.name)) {
      r.warn(
        'UNKNOWN_CLUSTER',
        `fleet member "${member.name}" refers to a cluster that no AttachedCluster or Cluster declares; it is not a member`,
        member.path,
      );
      continue;
    }
    clusters.push(member.name);
  }
  const fleet: Fleet = { name: m.name, namespace: m.namespace, clusters: clusters.sort(), source: m.source };
  const spec = m.object.spec;
  if (isMap(spec) && has(spec, 'placement')) {
    const before = r.errors;
    const placement = parsePlacement(r, spec.placement, ['spec', 'placement']);
    if (r.errors === before) fleet.placement = placement;
  }
  return fleet;
}
