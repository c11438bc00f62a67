// What flotilla observed on its live clusters, written as Karmada `Cluster` documents
// (cluster.karmada.io/v1alpha1) so that the ordinary loader merges it into the fleet model:
// readiness as the Ready condition, failover's not-ready taints in spec.taints (taints are a union
// of every declaration), capacity in status.resourceSummary. The same file, recorded on the status
// branch, lets `render` in CI reproduce the reconciler's split (docs/reference/semantics.md, first table). Pure.
import { parseAllDocuments, type Document } from 'yaml';
import type { ResourceSummary, Taint } from '../model/types.js';
import { toStableYaml } from '../objects/serialize.js';
import { NOT_READY_TAINT_KEY } from './failover.js';

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
      if (c.taints.length > 0)
        spec.taints = c.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }));
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
  return {
    path: OBSERVED_CLUSTERS_FILE,
    text: `# Observed by flotilla on the live clusters; generated, do not edit.\n${docs.join('---\n')}`,
  };
}

/** A fleet file as the renderer reads it. */
export interface FleetFileText {
  path: string;
  text: string;
}

/** The observation as render input: the observed-clusters file and the repository files rewritten to carry it. */
export interface ObservedOverlay {
  /** Cluster documents for the observed clusters the repository does not declare as Karmada Clusters. */
  file: FleetFileText;
  /** Repository files whose Karmada Cluster documents now carry the observation (path → new text). */
  patched: Map<string, string>;
}

const KARMADA_CLUSTER_GROUP = 'cluster.karmada.io';

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The observation merged into the render's input. The loader treats two Karmada `Cluster`
 * documents of one name as a duplicate (the second is ignored, with an error), so for a cluster the
 * repository declares as a Karmada Cluster the observation is written *into that document*
 * instead of a document of its own: failover's taints join spec.taints (a repository not-ready
 * taint is replaced by the observed ones), the Ready condition is the observed one, and observed
 * capacity replaces status.resourceSummary. Only that document's text changes; every other byte
 * of the file stays as it was. Clusters declared in any other way (Fleet entries, AttachedCluster)
 * get their own document in the observed-clusters file, which merges with them by name.
 */
export function overlayObserved(files: readonly FleetFileText[], clusters: readonly ObservedCluster[]): ObservedOverlay {
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const declared = new Set<string>();
  const patched = new Map<string, string>();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (f.path === OBSERVED_CLUSTERS_FILE || !f.text.includes(KARMADA_CLUSTER_GROUP)) continue;
    let docs: Document[];
    try {
      docs = parseAllDocuments(f.text, { version: '1.1', uniqueKeys: false, logLevel: 'silent' }) as Document[];
    } catch {
      continue;
    }
    const edits: Array<{ start: number; end: number; text: string }> = [];
    for (const doc of docs) {
      if (doc.errors.length > 0) continue;
      const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (
        !isMap(value) ||
        value.kind !== 'Cluster' ||
        typeof value.apiVersion !== 'string' ||
        value.apiVersion.split('/')[0] !== KARMADA_CLUSTER_GROUP
      )
        continue;
      const name = isMap(value.metadata) ? value.metadata.name : undefined;
      if (typeof name !== 'string' || declared.has(name) || !doc.range) continue;
      declared.add(name);
      const c = byName.get(name);
      if (!c) continue;
      const spec = isMap(value.spec) ? value.spec : null;
      const kept = (spec && Array.isArray(spec.taints) ? spec.taints : []).filter((t) => !(isMap(t) && t.key === NOT_READY_TAINT_KEY));
      const taints = [...kept, ...c.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }))];
      if (spec) {
        if (taints.length > 0 || Array.isArray(spec.taints)) doc.setIn(['spec', 'taints'], doc.createNode(taints));
      } else if (taints.length > 0) doc.set('spec', doc.createNode({ taints }));
      const [observed] = observedClusterObjects([c]);
      const observedStatus = observed!.status as { conditions: unknown[]; resourceSummary?: unknown };
      const status = isMap(value.status) ? { ...value.status } : {};
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((x) => !(isMap(x) && x.type === 'Ready'));
      status.conditions = [...conditions, ...observedStatus.conditions];
      if (observedStatus.resourceSummary) status.resourceSummary = observedStatus.resourceSummary;
      doc.set('status', doc.createNode(status));
      const range = doc.range!;
      let text = doc.toString({ lineWidth: 0 });
      // toString() writes the `---` marker only when the source had one; keep the original start.
      if (!f.text.slice(range[0], range[2]).startsWith('---') && text.startsWith('---\n')) text = text.slice(4);
      edits.push({ start: range[0], end: range[2], text });
    }
    if (edits.length === 0) continue;
    let text = f.text;
    for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    patched.set(f.path, text);
  }
  return { file: observedClustersFile(clusters.filter((c) => !declared.has(c.name))), patched };
}

/**
 * The observed clusters back from an observed-clusters file (the status branch's
 * `observed-clusters.yaml`, written by observedClustersFile): readiness from the Ready condition,
 * failover's taints, capacity. Documents that are not Karmada Clusters are skipped.
 */
export function parseObservedClusters(text: string): ObservedCluster[] {
  const out: ObservedCluster[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', logLevel: 'silent' }) as Document[]) {
    if (doc.errors.length > 0) throw new Error(`observed clusters: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (!isMap(value) || value.kind !== 'Cluster' || !isMap(value.metadata) || typeof value.metadata.name !== 'string') continue;
    const spec = isMap(value.spec) ? value.spec : {};
    const status = isMap(value.status) ? value.status : {};
    const ready = (Array.isArray(status.conditions) ? status.conditions : []).find((c) => isMap(c) && c.type === 'Ready') as
      Record<string, unknown> | undefined;
    const taints: Taint[] = (Array.isArray(spec.taints) ? spec.taints : []).flatMap((t) =>
      isMap(t) && typeof t.key === 'string' && typeof t.effect === 'string'
        ? [{ key: t.key, ...(typeof t.value === 'string' ? { value: t.value } : {}), effect: t.effect as Taint['effect'] }]
        : [],
    );
    out.push({
      name: value.metadata.name,
      ready: ready ? ready.status === 'True' : true,
      message: ready && typeof ready.message === 'string' ? ready.message : null,
      taints,
      resourceSummary: isMap(status.resourceSummary) ? (status.resourceSummary as unknown as ResourceSummary) : null,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Clusters whose observation carries failover's NoExecute taint: the reconciler evicts them from the previous placements. */
export function evictedByObservation(clusters: readonly ObservedCluster[]): string[] {
  return clusters
    .filter((c) => c.taints.some((t) => t.key === NOT_READY_TAINT_KEY && t.effect === 'NoExecute'))
    .map((c) => c.name)
    .sort();
}
