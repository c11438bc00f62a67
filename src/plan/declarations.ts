// Declarations that changed between two fleet models: propagation policies, override policies,
// clusters and fleets, matched by identity and compared by content (their file position aside).
import type { FleetModel } from '../model/types.js';
import { describeFieldChange, fieldChanges } from '../diff/fields.js';
import type { DeclarationChange } from './types.js';

interface Declared {
  kind: string;
  namespace: string;
  name: string;
  content: unknown;
}

/** The declaration without where it was written: moving a policy between files is no change. */
function content(value: object, drop: readonly string[]): unknown {
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const k of drop) delete copy[k];
  // A JSON round trip drops `undefined` fields, so an absent optional field equals a missing one.
  return JSON.parse(JSON.stringify(copy));
}

function compareDeclared(base: readonly Declared[], head: readonly Declared[], maxFields: number): DeclarationChange[] {
  const key = (d: Declared) => `${d.kind}|${d.namespace}|${d.name}`;
  const before = new Map(base.map((d) => [key(d), d]));
  const after = new Map(head.map((d) => [key(d), d]));
  const out: DeclarationChange[] = [];
  for (const k of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(k);
    const a = after.get(k);
    const d = (a ?? b)!;
    if (!b || !a) {
      out.push({ kind: d.kind, namespace: d.namespace, name: d.name, change: b ? 'removed' : 'added', fields: [], moreFields: 0 });
      continue;
    }
    const changes = fieldChanges(b.content, a.content);
    if (changes.length === 0) continue;
    out.push({
      kind: d.kind,
      namespace: d.namespace,
      name: d.name,
      change: 'changed',
      fields: changes.slice(0, maxFields).map(describeFieldChange),
      moreFields: Math.max(0, changes.length - maxFields),
    });
  }
  return out;
}

/** PropagationPolicies and ClusterPropagationPolicies added, removed or edited (priority, selectors, placement). */
export function policyChanges(base: FleetModel, head: FleetModel, maxFields = 5): DeclarationChange[] {
  const list = (m: FleetModel): Declared[] =>
    [...m.propagationPolicies, ...m.clusterPropagationPolicies].map((p) => ({
      kind: p.kind,
      namespace: p.namespace,
      name: p.name,
      content: content(p, ['source', 'kind', 'name', 'namespace']),
    }));
  return compareDeclared(list(base), list(head), maxFields);
}

/** OverridePolicies and ClusterOverridePolicies added, removed or edited (rules' positions aside). */
export function overrideChanges(base: FleetModel, head: FleetModel, maxFields = 5): DeclarationChange[] {
  const list = (m: FleetModel): Declared[] =>
    [...m.overridePolicies, ...m.clusterOverridePolicies].map((p) => ({
      kind: p.kind,
      namespace: p.namespace,
      name: p.name,
      content: content({ ...p, rules: p.rules.map((r) => content(r, ['path'])) }, ['source', 'kind', 'name', 'namespace']),
    }));
  return compareDeclared(list(base), list(head), maxFields);
}

/** Clusters (merged declarations) and fleets added, removed or edited: labels, taints, capacity, members. */
export function clusterDeclarationChanges(base: FleetModel, head: FleetModel, maxFields = 5): DeclarationChange[] {
  const list = (m: FleetModel): Declared[] => [
    ...m.clusters.map((c) => ({ kind: 'Cluster', namespace: '', name: c.name, content: content(c, ['sources', 'name']) })),
    ...m.fleets.map((f) => ({ kind: 'Fleet', namespace: f.namespace, name: f.name, content: content(f, ['source', 'name', 'namespace']) })),
  ];
  return compareDeclared(list(base), list(head), maxFields);
}
