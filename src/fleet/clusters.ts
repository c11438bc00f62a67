// Member clusters: every declaration of a cluster (a Fleet's inline entry, a Kurator AttachedCluster
// or Cluster, a Karmada Cluster) merged by name (docs/reference/contract.md "Input": labels union, explicit fields
// win over labels; docs/reference/semantics.md: labels fill provider/region/zones).
import { isValidLabelKey } from '../objects/label-selector.js';
import type {
  APIEnablement,
  Cluster,
  FieldPath,
  ManifestSource,
  ResourceList,
  ResourceSummary,
  Taint,
  TaintEffect,
} from '../model/types.js';
import type { DiagnosticSink } from '../model/diagnostics.js';
import { formatPath, has, type ManifestReader } from '../model/fields.js';
import { isMap } from '../objects/json.js';
import { checkInside, checkObjectFields, KARMADA_CLUSTER_UNUSED_SPEC, KURATOR_CLUSTER_SPEC_FIELDS } from './known-fields.js';

/** One declaration of a cluster; several merge into one Cluster. */
export interface ClusterDeclaration {
  name: string;
  source: ManifestSource;
  labels: Record<string, string>;
  /** Where each label was declared, for conflict warnings. */
  labelPaths: Record<string, FieldPath>;
  provider?: string;
  region?: string;
  zones?: string[];
  taints?: Taint[];
  /** False when a Ready condition says False. */
  ready?: boolean;
  deleting?: boolean;
  apiEnablements?: APIEnablement[];
  resourceSummary?: ResourceSummary;
  secretRef?: SecretKeyRef;
}

/** A reference to a Secret (in the cluster declaration's namespace) holding a kubeconfig; `key` names its data key. */
export interface SecretKeyRef {
  namespace: string;
  name: string;
  key?: string;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

const KARMADA_CLUSTER_SPEC_FIELDS = [
  'id',
  'syncMode',
  'apiEndpoint',
  'secretRef',
  'impersonatorSecretRef',
  'insecureSkipTLSVerification',
  'proxyURL',
  'proxyHeader',
  'provider',
  'region',
  'zone',
  'zones',
  'taints',
  'resourceModels',
] as const;

/** Reads a label map, refusing keys and values Kubernetes would reject (they could never be matched). */
export function readClusterLabels(r: ManifestReader, value: unknown, path: FieldPath, into: ClusterDeclaration): void {
  const labels = r.stringMap(value, path);
  if (!labels) return;
  for (const [key, v] of Object.entries(labels)) {
    if (!isValidLabelKey(key)) {
      r.error('INVALID_CLUSTER', `${formatPath(path)}: "${key}" is not a valid label key`, [...path, key]);
      continue;
    }
    if (v.length > 63 || !LABEL_VALUE.test(v)) {
      r.error('INVALID_CLUSTER', `${formatPath(path)}: "${v}" is not a valid label value for "${key}"`, [...path, key]);
      continue;
    }
    into.labels[key] = v;
    into.labelPaths[key] = [...path, key];
  }
}

/** An empty declaration of `name` from the manifest being read. */
export function newDeclaration(name: string, source: ManifestSource): ClusterDeclaration {
  return { name, source, labels: {}, labelPaths: {} };
}

function metadataOf(r: ManifestReader): Record<string, unknown> {
  return isMap(r.manifest.object.metadata) ? r.manifest.object.metadata : {};
}

/**
 * Kurator AttachedCluster: labels in metadata.labels (Kurator's form) or spec.labels (the seed's);
 * its kubeconfig Secret in its namespace.
 */
export function readAttachedCluster(r: ManifestReader): ClusterDeclaration {
  const m = r.manifest;
  checkObjectFields(r);
  const decl = newDeclaration(m.name, m.source);
  readClusterLabels(r, metadataOf(r).labels, ['metadata', 'labels'], decl);
  // Kurator's AttachedClusterStatus: ready false (its controller cannot reach the cluster) is not ready, as a Karmada Ready=False.
  const status = isMap(m.object.status) ? m.object.status : {};
  if (status.ready === false) decl.ready = false;
  const spec = r.record(m.object.spec, ['spec']);
  if (!spec) return decl;
  r.knownFields(spec, ['spec'], ['kubeconfig', 'labels']);
  // spec.labels is read second so it wins over metadata.labels on the same key.
  readClusterLabels(r, spec.labels, ['spec', 'labels'], decl);
  const secretRef = readKubeconfigRef(r, spec.kubeconfig);
  if (secretRef) decl.secretRef = secretRef;
  return decl;
}

/**
 * An AttachedCluster's kubeconfig Secret: Kurator's `spec.kubeconfig: {name, key}` (a SecretKeyRef,
 * both required by its CRD) or the seed article's `spec.kubeconfig.secretRef: {name, key?}`.
 */
function readKubeconfigRef(r: ManifestReader, value: unknown): SecretKeyRef | undefined {
  const path: FieldPath = ['spec', 'kubeconfig'];
  const kubeconfig = r.record(value, path);
  if (!kubeconfig) return undefined;
  r.knownFields(kubeconfig, path, ['name', 'key', 'secretRef']);
  const aliasPath: FieldPath = [...path, 'secretRef'];
  const alias = r.record(kubeconfig.secretRef, aliasPath);
  if (alias) r.knownFields(alias, aliasPath, ['name', 'key']);
  const direct = has(kubeconfig, 'name') || has(kubeconfig, 'key');
  if (direct && alias) {
    r.error('INVALID_CLUSTER', 'spec.kubeconfig takes either {name, key} (Kurator) or secretRef (the seed article), not both', aliasPath);
    return undefined;
  }
  const at = direct ? path : aliasPath;
  const ref = direct ? kubeconfig : alias;
  if (!ref) return undefined;
  const name = r.string(ref.name, [...at, 'name']);
  const key = r.string(ref.key, [...at, 'key']);
  if (!name) {
    r.error(
      'INVALID_CLUSTER',
      `${formatPath([...at, 'name'])} is required: the name of the Secret holding the kubeconfig`,
      has(ref, 'name') ? [...at, 'name'] : at,
    );
    return undefined;
  }
  if (direct && !key) {
    r.error(
      'INVALID_CLUSTER',
      `${formatPath([...at, 'key'])} is required: the key of Secret ${name} holding the kubeconfig`,
      has(ref, 'key') ? [...at, 'key'] : at,
    );
  }
  return { namespace: r.manifest.namespace, name, ...(key ? { key } : {}) };
}

/** Kurator's own (Cluster API) Cluster: only its name and metadata.labels matter for placement. */
export function readKuratorCluster(r: ManifestReader): ClusterDeclaration {
  checkObjectFields(r);
  const spec = r.record(r.manifest.object.spec, ['spec']);
  if (spec) r.knownFields(spec, ['spec'], KURATOR_CLUSTER_SPEC_FIELDS);
  const decl = newDeclaration(r.manifest.name, r.manifest.source);
  readClusterLabels(r, metadataOf(r).labels, ['metadata', 'labels'], decl);
  return decl;
}

function readTaints(r: ManifestReader, value: unknown, path: FieldPath): Taint[] | undefined {
  const items = r.list(value, path);
  if (!items) return undefined;
  const out: Taint[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    r.knownFields(obj, p, ['key', 'value', 'effect', 'timeAdded']);
    const key = r.string(obj.key, [...p, 'key']) ?? '';
    const value = r.string(obj.value, [...p, 'value']);
    const effect = r.string(obj.effect, [...p, 'effect']) ?? '';
    if (key === '' || !isValidLabelKey(key)) {
      r.error(
        'INVALID_CLUSTER',
        `${formatPath([...p, 'key'])} "${key}" is not a valid taint key; the taint is ignored`,
        has(obj, 'key') ? [...p, 'key'] : p,
      );
      return;
    }
    if (!TAINT_EFFECTS.includes(effect)) {
      r.error(
        'INVALID_CLUSTER',
        `${formatPath([...p, 'effect'])}: unsupported taint effect "${effect}", must be ` +
          `NoSchedule, PreferNoSchedule or NoExecute; the taint is ignored`,
        has(obj, 'effect') ? [...p, 'effect'] : p,
      );
      return;
    }
    out.push({ key, ...(value !== undefined && value !== '' ? { value } : {}), effect: effect as TaintEffect });
  });
  return out;
}

function readResourceList(r: ManifestReader, value: unknown, path: FieldPath): ResourceList | undefined {
  const obj = r.record(value, path);
  if (!obj) return undefined;
  const out: ResourceList = {};
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (typeof v !== 'string' && typeof v !== 'number') {
      r.error('INVALID_FIELD_TYPE', `${formatPath([...path, key])} must be a quantity, found ${typeof v}`, [...path, key]);
      continue;
    }
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readApiEnablements(r: ManifestReader, value: unknown, path: FieldPath): APIEnablement[] | undefined {
  const items = r.list(value, path);
  if (!items) return undefined;
  const out: APIEnablement[] = [];
  items.forEach((item, i) => {
    const p = [...path, i];
    const obj = r.record(item, p);
    if (!obj) return;
    const groupVersion = r.string(obj.groupVersion, [...p, 'groupVersion']) ?? '';
    const resources: APIEnablement['resources'] = [];
    (r.list(obj.resources, [...p, 'resources']) ?? []).forEach((res, j) => {
      const rp = [...p, 'resources', j];
      const robj = r.record(res, rp);
      if (!robj) return;
      resources.push({ name: r.string(robj.name, [...rp, 'name']) ?? '', kind: r.string(robj.kind, [...rp, 'kind']) ?? '' });
    });
    out.push({ groupVersion, resources });
  });
  return out;
}

/** One note for the Karmada Cluster fields flotilla reads nothing from (docs/reference/semantics.md §1.4). */
function noteUnusedClusterSpec(r: ManifestReader, spec: Record<string, unknown>): void {
  checkInside(r, spec, ['spec'], KARMADA_CLUSTER_UNUSED_SPEC);
  const connection = ['apiEndpoint', 'secretRef', 'impersonatorSecretRef', 'insecureSkipTLSVerification', 'proxyURL', 'proxyHeader'];
  const used = connection.filter((f) => has(spec, f));
  if (used.length > 0) {
    r.unsupported(
      'info',
      ['spec', used[0]!],
      'flotilla connects to clusters through the kubernetes target’s kubeconfig, contexts or secretsDir, ' +
        `never through spec.${used.join(', spec.')}`,
    );
  }
  if (has(spec, 'resourceModels'))
    r.unsupported('info', ['spec', 'resourceModels'], 'there is no resource-model estimation (semantics §3.3)');
}

/** Karmada Cluster (docs/reference/semantics.md §1.4): provider/region/zones/taints, readiness, API enablements, capacity. */
export function readKarmadaCluster(r: ManifestReader): ClusterDeclaration {
  const m = r.manifest;
  checkObjectFields(r);
  const decl = newDeclaration(m.name, m.source);
  const metadata = metadataOf(r);
  readClusterLabels(r, metadata.labels, ['metadata', 'labels'], decl);
  if (has(metadata, 'deletionTimestamp')) decl.deleting = true;

  const spec = r.record(m.object.spec, ['spec']);
  if (spec) {
    r.knownFields(spec, ['spec'], KARMADA_CLUSTER_SPEC_FIELDS);
    noteUnusedClusterSpec(r, spec);
    // ValidateClusterSpec: provider, region and zones are label values (they are matched as labels).
    const labelValue = (value: string | undefined, path: FieldPath): string | undefined => {
      if (value === undefined || value === '') return undefined;
      if (value.length <= 63 && LABEL_VALUE.test(value)) return value;
      r.error('INVALID_CLUSTER', `${formatPath(path)} "${value}" is not a valid label value`, path);
      return undefined;
    };
    const provider = labelValue(r.string(spec.provider, ['spec', 'provider']), ['spec', 'provider']);
    if (provider) decl.provider = provider;
    const region = labelValue(r.string(spec.region, ['spec', 'region']), ['spec', 'region']);
    if (region) decl.region = region;
    const zones = (r.stringList(spec.zones, ['spec', 'zones']) ?? []).flatMap((z, i) => labelValue(z, ['spec', 'zones', i]) ?? []);
    if (zones.length > 0) decl.zones = zones;
    if (has(spec, 'zone') && has(spec, 'zones')) r.error('INVALID_CLUSTER', 'spec.zone and spec.zones cannot co-exist', ['spec', 'zone']);
    else if (has(spec, 'zone')) {
      // Karmada's field selectors and zone spreading read spec.zones only (docs/reference/semantics.md §1.3).
      r.info('NOT_APPLICABLE', 'spec.zone is deprecated and not used for matching or spreading; use spec.zones', ['spec', 'zone']);
    }
    const taints = readTaints(r, spec.taints, ['spec', 'taints']);
    if (taints) decl.taints = taints;
  }

  const status = r.record(m.object.status, ['status']);
  if (status) {
    const conditions = r.list(status.conditions, ['status', 'conditions']) ?? [];
    conditions.forEach((c, i) => {
      const obj = r.record(c, ['status', 'conditions', i]);
      if (obj && obj.type === 'Ready' && obj.status === 'False') decl.ready = false;
    });
    const apiEnablements = readApiEnablements(r, status.apiEnablements, ['status', 'apiEnablements']);
    if (apiEnablements) decl.apiEnablements = apiEnablements;
    const summary = r.record(status.resourceSummary, ['status', 'resourceSummary']);
    if (summary) {
      const rs: ResourceSummary = {};
      for (const key of ['allocatable', 'allocating', 'allocated'] as const) {
        const list = readResourceList(r, summary[key], ['status', 'resourceSummary', key]);
        if (list) rs[key] = list;
      }
      decl.resourceSummary = rs;
    }
  }
  return decl;
}

function compareSources(a: ManifestSource, b: ManifestSource): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.docIndex - b.docIndex || a.line - b.line || a.column - b.column;
}

/** The first non-empty label among `keys`. */
function labelValue(labels: Record<string, string>, keys: readonly string[]): string {
  for (const k of keys) {
    const v = Object.prototype.hasOwnProperty.call(labels, k) ? labels[k] : undefined;
    if (v) return v;
  }
  return '';
}

/**
 * Merges declarations by name, in source order: labels union (the first declaration of a key wins,
 * later different values are CLUSTER_LABEL_CONFLICT warnings), explicit Karmada fields over labels.
 */
export function mergeClusters(declarations: readonly ClusterDeclaration[], sink: DiagnosticSink): Cluster[] {
  const byName = new Map<string, ClusterDeclaration[]>();
  for (const d of [...declarations].sort((a, b) => compareSources(a.source, b.source))) {
    const list = byName.get(d.name) ?? [];
    list.push(d);
    byName.set(d.name, list);
  }
  const clusters: Cluster[] = [];
  for (const name of [...byName.keys()].sort()) {
    const decls = byName.get(name)!;
    const labels: Record<string, string> = {};
    const labelOrigin: Record<string, ManifestSource> = {};
    let provider = '';
    let region = '';
    let zones: string[] = [];
    const taints: Taint[] = [];
    let ready = true;
    let deleting = false;
    let apiEnablements: APIEnablement[] | undefined;
    let resourceSummary: ResourceSummary | undefined;
    let secretRef: Cluster['secretRef'];
    for (const d of decls) {
      for (const key of Object.keys(d.labels).sort()) {
        const value = d.labels[key]!;
        if (Object.prototype.hasOwnProperty.call(labels, key)) {
          if (labels[key] !== value) {
            const first = labelOrigin[key]!;
            sink.warn(
              'CLUSTER_LABEL_CONFLICT',
              `cluster ${name}: label ${key}="${value}" conflicts with ${key}="${labels[key]}" declared ` +
                `at ${first.file}:${first.line}; the first declaration wins`,
              { source: d.source, path: d.labelPaths[key] ?? [] },
            );
          }
          continue;
        }
        Object.defineProperty(labels, key, { value, enumerable: true, writable: true, configurable: true });
        labelOrigin[key] = d.source;
      }
      provider ||= d.provider ?? '';
      region ||= d.region ?? '';
      if (zones.length === 0 && d.zones) zones = [...d.zones];
      if (d.taints) taints.push(...d.taints);
      if (d.ready === false) ready = false;
      if (d.deleting) deleting = true;
      apiEnablements ??= d.apiEnablements;
      resourceSummary ??= d.resourceSummary;
      secretRef ??= d.secretRef;
    }
    // Labels stand in for Karmada's explicit fields when those are empty (docs/reference/semantics.md, cluster declarations).
    provider ||= labelValue(labels, ['provider']);
    region ||= labelValue(labels, ['region', 'topology.kubernetes.io/region']);
    if (zones.length === 0) {
      const zone = labelValue(labels, ['zone', 'topology.kubernetes.io/zone']);
      if (zone) zones = [zone];
    }
    const sortedLabels: Record<string, string> = {};
    for (const key of Object.keys(labels).sort()) {
      Object.defineProperty(sortedLabels, key, { value: labels[key], enumerable: true, writable: true, configurable: true });
    }
    const cluster: Cluster = {
      name,
      labels: sortedLabels,
      provider,
      region,
      zones,
      taints,
      ready,
      deleting,
      fleets: [],
      sources: decls.map((d) => d.source),
    };
    if (apiEnablements) cluster.apiEnablements = apiEnablements;
    if (resourceSummary) cluster.resourceSummary = resourceSummary;
    if (secretRef) cluster.secretRef = secretRef;
    clusters.push(cluster);
  }
  return clusters;
}
