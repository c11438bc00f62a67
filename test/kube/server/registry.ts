// The kinds the test API server serves — a fixed set of built-ins plus whatever
// CustomResourceDefinitions register — and the discovery documents (/api, /apis, group versions)
// that describe them. Discovery is the legacy, non-aggregated form: client-go asks for aggregated
// discovery first in its Accept header but falls back to plain lists when the answer's
// Content-Type is application/json.
import { isPlainObject, type KubeObject } from './types.js';

/** One served resource in one group version. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name in URLs ("deployments"). */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Has a status subresource: main-resource writes leave status alone. */
  statusSubresource: boolean;
  /** The CRD that registered it (for custom resources). */
  crd?: string;
}

/** `apps/v1`, or `v1` for the core group. */
export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Splits an apiVersion into group and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

type Builtin = [
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[],
  status: boolean,
  all?: boolean,
];

const BUILTINS: Builtin[] = [
  ['', 'v1', 'namespaces', 'Namespace', false, ['ns'], true],
  ['', 'v1', 'configmaps', 'ConfigMap', true, ['cm'], false],
  ['', 'v1', 'secrets', 'Secret', true, [], false],
  ['', 'v1', 'services', 'Service', true, ['svc'], true, true],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], false],
  ['', 'v1', 'pods', 'Pod', true, ['po'], true, true],
  ['', 'v1', 'nodes', 'Node', false, ['no'], true],
  ['', 'v1', 'events', 'Event', true, ['ev'], false],
  ['apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], true, true],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], true, true],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], true, true],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], true, true],
  ['batch', 'v1', 'jobs', 'Job', true, [], true, true],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], true, true],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing'], true],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, [], false],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, [], false],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', true, [], false],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], true],
];

/** Watch is left out on purpose: the double answers watch requests with 405. */
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update'];

/** Orders versions as Kubernetes does: GA before beta before alpha, higher numbers first. */
export function compareVersionPriority(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i += 1) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
}

/** The served kinds of one server. */
export class Registry {
  private readonly builtins: ResourceType[] = BUILTINS.map(([group, version, resource, kind, namespaced, shortNames, status, all]) => ({
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames,
    categories: all ? ['all'] : [],
    statusSubresource: status,
  }));
  private readonly custom = new Map<string, ResourceType[]>();

  /** Every served resource, built-ins first, then CRDs by name. */
  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.keys()].sort().flatMap((name) => this.custom.get(name)!)];
  }

  /** The resource served at group/version/resource, if any. */
  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** The resource for an apiVersion and kind, if served. */
  findKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.all().find((t) => t.group === group && t.version === version && t.kind === kind);
  }

  /**
   * Registers (or re-registers) a CRD's served versions. Returns validation problems instead of
   * registering when the CRD is malformed.
   */
  registerCrd(crd: KubeObject): void {
    const types = crdResourceTypes(crd);
    if (types) this.custom.set(crd.metadata!.name!, types);
  }

  /** Forgets a CRD's kinds (its objects are deleted by the caller). */
  unregisterCrd(name: string): ResourceType[] {
    const types = this.custom.get(name) ?? [];
    this.custom.delete(name);
    return types;
  }

  /** Groups with their versions, preferred version first (built-in core group excluded). */
  private groups(): { name: string; versions: string[] }[] {
    const byGroup = new Map<string, Set<string>>();
    for (const t of this.all()) {
      if (t.group === '') continue;
      if (!byGroup.has(t.group)) byGroup.set(t.group, new Set());
      byGroup.get(t.group)!.add(t.version);
    }
    return [...byGroup.entries()].map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersionPriority) }));
  }

  /** The APIGroup document of one group, or undefined. */
  apiGroup(name: string): Record<string, unknown> | undefined {
    const group = this.groups().find((g) => g.name === name);
    if (!group) return undefined;
    const versions = group.versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
  }

  /** GET /apis: APIGroupList. */
  apiGroupList(): Record<string, unknown> {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups().map((g) => this.apiGroup(g.name)) };
  }

  /** GET /api/v1 or /apis/<group>/<version>: APIResourceList, or undefined if not served. */
  apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
    const types = this.all().filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const resources = types.flatMap((t) => {
      const main = {
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: VERBS,
        ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length > 0 ? { categories: t.categories } : {}),
      };
      const status = {
        name: `${t.resource}/status`,
        singularName: '',
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['get', 'patch', 'update'],
      };
      return t.statusSubresource ? [main, status] : [main];
    });
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
  }
}

/** The resource types a CRD declares (one per served version), or undefined if it is malformed. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] | undefined {
  const spec = crd.spec;
  if (!isPlainObject(spec) || !isPlainObject(spec.names) || !Array.isArray(spec.versions)) return undefined;
  const names = spec.names as Record<string, unknown>;
  const group = String(spec.group ?? '');
  const plural = String(names.plural ?? '');
  const kind = String(names.kind ?? '');
  return spec.versions
    .filter((v): v is Record<string, unknown> => isPlainObject(v) && v.served !== false && typeof v.name === 'string')
    .map((v) => ({
      group,
      version: v.name as string,
      resource: plural,
      singular: String(names.singular ?? kind.toLowerCase()),
      kind,
      namespaced: spec.scope !== 'Cluster',
      shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
      categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
      statusSubresource: isPlainObject(v.subresources) && v.subresources.status !== undefined,
      crd: crd.metadata?.name,
    }));
}
