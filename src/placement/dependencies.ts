// The objects a workload depends on, as Karmada's default resource interpreter finds them
// (pkg/resourceinterpreter/default/native/dependencies.go, helper.GetDependenciesFromPodTemplate and
// the Kubernetes pod visitors it lifts): the ConfigMaps, Secrets, ServiceAccounts and
// PersistentVolumeClaims of a pod template, in the workload's namespace; and an Ingress's TLS Secrets.
// docs/reference/semantics.md §1.1 (propagateDeps).
import type { DiagnosticSink } from '../model/diagnostics.js';
import type { FieldPath, FleetModel, Manifest, ObjectRef, PlacementResult, PolicyRef, TargetCluster } from '../model/types.js';
import { describeRef, versionedKey } from '../objects/identity.js';
import { isMap } from '../objects/json.js';
import { policyRefText } from './claim.js';
import { refOf } from './schedule.js';

/** One reference from a workload to an object it needs, and where the workload names it. */
export interface DependencyReference {
  ref: ObjectRef;
  /** The field holding the name, for file:line. */
  path: FieldPath;
  /** The pod runs without it (`optional: true`): Kubernetes starts the pod when it is missing. */
  optional: boolean;
}

type DependentKind = 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'PersistentVolumeClaim';

/** Where each kind keeps its pod spec (Karmada's getAllDefaultDependenciesInterpreter). */
const POD_SPEC_PATHS: Readonly<Record<string, FieldPath>> = {
  'apps/v1/Deployment': ['spec', 'template', 'spec'],
  'apps/v1/StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1/DaemonSet': ['spec', 'template', 'spec'],
  'batch/v1/Job': ['spec', 'template', 'spec'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  'v1/Pod': ['spec'],
};

/** Volume sources whose `secretRef` names a Secret (VisitPodSecretNames). */
const SECRET_REF_VOLUMES = ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'] as const;

/** Whether Karmada's default interpreter computes dependencies for this kind. */
export function hasDependencyInterpreter(apiVersion: string, kind: string): boolean {
  return POD_SPEC_PATHS[`${apiVersion}/${kind}`] !== undefined || (apiVersion === 'networking.k8s.io/v1' && kind === 'Ingress');
}

function at(value: unknown, path: FieldPath): unknown {
  let v = value;
  for (const k of path) {
    if (typeof k === 'number') v = Array.isArray(v) ? v[k] : undefined;
    else v = isMap(v) ? v[k] : undefined;
  }
  return v;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Collects references in visiting order; the first reference to an object wins (it is where the warning points). */
class Collector {
  readonly refs: DependencyReference[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly namespace: string) {}

  add(kind: DependentKind, name: unknown, path: FieldPath, optional = false): void {
    if (typeof name !== 'string' || name === '') return; // skipEmptyNames
    const key = `${kind}/${name}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.refs.push({ ref: { apiVersion: 'v1', kind, namespace: this.namespace, name }, path, optional });
  }
}

const isOptional = (o: unknown): boolean => isMap(o) && o.optional === true;

/** envFrom and env.valueFrom of every init, regular and ephemeral container (VisitContainers). */
function visitContainers(c: Collector, spec: Record<string, unknown>, base: FieldPath): void {
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    list(spec[field]).forEach((container, i) => {
      if (!isMap(container)) return;
      const p = [...base, field, i];
      list(container.envFrom).forEach((from, j) => {
        if (!isMap(from)) return;
        if (isMap(from.configMapRef))
          c.add('ConfigMap', from.configMapRef.name, [...p, 'envFrom', j, 'configMapRef', 'name'], isOptional(from.configMapRef));
        if (isMap(from.secretRef))
          c.add('Secret', from.secretRef.name, [...p, 'envFrom', j, 'secretRef', 'name'], isOptional(from.secretRef));
      });
      list(container.env).forEach((env, j) => {
        const from = isMap(env) && isMap(env.valueFrom) ? env.valueFrom : null;
        if (!from) return;
        const vp = [...p, 'env', j, 'valueFrom'];
        if (isMap(from.configMapKeyRef))
          c.add('ConfigMap', from.configMapKeyRef.name, [...vp, 'configMapKeyRef', 'name'], isOptional(from.configMapKeyRef));
        if (isMap(from.secretKeyRef))
          c.add('Secret', from.secretKeyRef.name, [...vp, 'secretKeyRef', 'name'], isOptional(from.secretKeyRef));
      });
    });
  }
}

/** One volume's ConfigMaps, Secrets and claim (VisitPodConfigmapNames, VisitPodSecretNames, getPVCNames). */
function visitVolume(c: Collector, v: Record<string, unknown>, p: FieldPath): void {
  if (isMap(v.configMap)) c.add('ConfigMap', v.configMap.name, [...p, 'configMap', 'name'], isOptional(v.configMap));
  if (isMap(v.secret)) c.add('Secret', v.secret.secretName, [...p, 'secret', 'secretName'], isOptional(v.secret));
  if (isMap(v.persistentVolumeClaim))
    c.add('PersistentVolumeClaim', v.persistentVolumeClaim.claimName, [...p, 'persistentVolumeClaim', 'claimName']);
  if (isMap(v.azureFile)) c.add('Secret', v.azureFile.secretName, [...p, 'azureFile', 'secretName']);
  if (isMap(v.csi) && isMap(v.csi.nodePublishSecretRef))
    c.add('Secret', v.csi.nodePublishSecretRef.name, [...p, 'csi', 'nodePublishSecretRef', 'name']);
  for (const source of SECRET_REF_VOLUMES) {
    const s = v[source];
    if (isMap(s) && isMap(s.secretRef)) c.add('Secret', s.secretRef.name, [...p, source, 'secretRef', 'name']);
  }
  if (isMap(v.projected)) {
    list(v.projected.sources).forEach((s, k) => {
      if (!isMap(s)) return;
      const sp = [...p, 'projected', 'sources', k];
      if (isMap(s.configMap)) c.add('ConfigMap', s.configMap.name, [...sp, 'configMap', 'name'], isOptional(s.configMap));
      if (isMap(s.secret)) c.add('Secret', s.secret.name, [...sp, 'secret', 'name'], isOptional(s.secret));
    });
  }
}

/**
 * The dependencies of a workload, in Karmada's order (ConfigMaps, Secrets, ServiceAccounts,
 * PersistentVolumeClaims), each once; empty for a kind Karmada's default interpreter does not know.
 */
export function dependenciesOf(m: Manifest): DependencyReference[] {
  const c = new Collector(m.namespace);
  if (m.apiVersion === 'networking.k8s.io/v1' && m.kind === 'Ingress') {
    list(at(m.object, ['spec', 'tls'])).forEach((tls, i) => {
      if (isMap(tls)) c.add('Secret', tls.secretName, ['spec', 'tls', i, 'secretName']);
    });
    return c.refs;
  }
  const base = POD_SPEC_PATHS[`${m.apiVersion}/${m.kind}`];
  const spec = base ? at(m.object, base) : undefined;
  if (!base || !isMap(spec)) return [];
  visitContainers(c, spec, base);
  list(spec.volumes).forEach((v, i) => {
    if (isMap(v)) visitVolume(c, v, [...base, 'volumes', i]);
  });
  list(spec.imagePullSecrets).forEach((s, i) => {
    if (isMap(s)) c.add('Secret', s.name, [...base, 'imagePullSecrets', i, 'name']);
  });
  // The "default" ServiceAccount exists in every namespace: never a dependency (getServiceAccountNames).
  // The API server stores the deprecated serviceAccount as serviceAccountName when that is empty.
  const [saField, sa] = spec.serviceAccountName ? ['serviceAccountName', spec.serviceAccountName] : ['serviceAccount', spec.serviceAccount];
  if (sa !== 'default') c.add('ServiceAccount', sa, [...base, saField]);
  const order: readonly DependentKind[] = ['ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim'];
  return c.refs.sort((a, b) => order.indexOf(a.ref.kind as DependentKind) - order.indexOf(b.ref.kind as DependentKind));
}

/** A workload that takes a dependency along: what it is, its policy, where it goes. */
interface Referrer {
  resource: ObjectRef;
  policy: PolicyRef;
  clusters: readonly TargetCluster[];
}

/**
 * propagateDeps (Karmada's dependencies distributor): every dependency of a workload whose policy
 * sets propagateDeps goes where the workload goes. An object with no claim of its own gets an
 * attached placement — the union of its referrers' clusters; one its own policy (or Fleet) places
 * keeps that placement and adds the referrers' clusters (the binding controller's
 * mergeTargetClusters). A reference to an object the repository lacks is DEPENDENCY_NOT_FOUND at
 * the reference; an AttachedCluster's kubeconfig Secret is never taken along (DEPENDENCY_IS_CREDENTIAL).
 * Replaces the dependencies' entries in `placements` with new objects (the old ones may be cached).
 */
export function attachDependencies(model: FleetModel, placements: Map<string, PlacementResult>, sink: DiagnosticSink): void {
  const deps = new Map(
    [...model.propagationPolicies, ...model.clusterPropagationPolicies].filter((p) => p.propagateDeps).map((p) => [policyRefText(p), p]),
  );
  if (deps.size === 0) return;
  const present = new Set(model.resources.map((m) => versionedKey(refOf(m))));
  const credentials = new Set(model.clusters.flatMap((c) => (c.secretRef ? [`${c.secretRef.namespace}/${c.secretRef.name}`] : [])));
  const referrers = new Map<string, Referrer[]>();
  for (const m of model.resources) {
    if (!hasDependencyInterpreter(m.apiVersion, m.kind)) continue;
    const p = placements.get(versionedKey(refOf(m)));
    if (!p?.policy || !deps.has(policyRefText(p.policy))) continue;
    for (const dep of dependenciesOf(m)) {
      const where = { source: m.source, path: dep.path };
      const key = versionedKey(dep.ref);
      if (!present.has(key)) {
        sink.warn(
          'DEPENDENCY_NOT_FOUND',
          `${describeRef(p.resource)} references ${describeRef(dep.ref)}${dep.optional ? ' (optional)' : ''}, which is not in the ` +
            `repository: propagateDeps of ${policyRefText(p.policy)} cannot take it along`,
          where,
        );
        continue;
      }
      if (dep.ref.kind === 'Secret' && credentials.has(`${dep.ref.namespace}/${dep.ref.name}`)) {
        sink.warn(
          'DEPENDENCY_IS_CREDENTIAL',
          `${describeRef(p.resource)} references ${describeRef(dep.ref)}, which holds an AttachedCluster's kubeconfig: ` +
            'flotilla never propagates it as a dependency',
          where,
        );
        continue;
      }
      const list = referrers.get(key) ?? [];
      list.push({ resource: p.resource, policy: p.policy, clusters: p.clusters });
      referrers.set(key, list);
    }
  }
  for (const [key, list] of referrers) {
    const own = placements.get(key);
    if (own) placements.set(key, withReferrers(own, list));
  }
}

function clusterNames(clusters: readonly TargetCluster[]): string {
  return clusters.length > 0 ? clusters.map((c) => c.name).join(', ') : 'no cluster';
}

/** A dependency's placement: its own (if any) and every referrer's clusters, with why. */
function withReferrers(own: PlacementResult, referrers: readonly Referrer[]): PlacementResult {
  const attachedOnly = own.policy === null;
  const names = new Set(own.clusters.map((c) => c.name));
  for (const r of referrers) for (const c of r.clusters) names.add(c.name);
  const clusters = [...names].sort().map((name) => ({ name, replicas: null }));
  const lines = referrers.map(
    (r) =>
      `dependency of ${describeRef(r.resource)} (propagateDeps of ${policyRefText(r.policy)}): ` +
      `goes where it goes, ${clusterNames(r.clusters)}`,
  );
  const explanation = attachedOnly
    ? [`no policy selects it; propagated as a dependency (Karmada's attached binding)`, ...lines, `→ ${clusterNames(clusters)}`]
    : [...own.explanation, ...lines, `its own clusters and its referrers' together → ${clusterNames(clusters)}`];
  return {
    ...own,
    policy: own.policy ?? referrers[0]!.policy,
    clusters,
    explanation,
    dependency: { requiredBy: referrers.map((r) => ({ resource: r.resource, policy: r.policy })), attachedOnly },
  };
}
