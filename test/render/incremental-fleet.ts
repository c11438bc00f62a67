// A small fleet as plain data, written out as files, for the incremental renderer's tests: four
// clusters, propagation policies (Duplicated, static and dynamic weights; the Divided ones with
// propagateDeps), an OverridePolicy, Deployments with ConfigMaps (their own, and a shared one no
// policy selects) and HPAs that follow them. Commits are edits of this data; the files
// that differ between two states are the commit's changes.
import type { FileChange } from '../../src/render/incremental.js';
import type { SourceFile } from '../../src/load/parse.js';

export const CLUSTERS = ['member-a', 'member-b', 'member-c', 'member-d'] as const;
export const GROUPS = ['g0', 'g1', 'g2'] as const;
export const NAMESPACES = ['team-a', 'team-b'] as const;

export type Mode = 'duplicated' | 'static' | 'dynamic';

export interface Policy {
  name: string;
  kind: 'PropagationPolicy' | 'ClusterPropagationPolicy';
  group: (typeof GROUPS)[number];
  mode: Mode;
  clusterNames: string[];
  /** Static weight per cluster of clusterNames. */
  weights: number[];
}

export interface App {
  name: string;
  namespace: (typeof NAMESPACES)[number];
  group: (typeof GROUPS)[number];
  replicas: number;
  path: string;
  hpa: boolean;
}

export interface FleetState {
  taints: boolean[];
  policies: Policy[];
  apps: App[];
  overrideRegistry: string;
  overrideCluster: string;
  /** Files whose YAML is broken on purpose. */
  broken: string[];
  /** Counter for fresh names. */
  serial: number;
}

/** The starting fleet: one policy per group, two apps per group. */
export function initialFleet(): FleetState {
  const policies: Policy[] = [
    {
      name: 'place-g0',
      kind: 'ClusterPropagationPolicy',
      group: 'g0',
      mode: 'duplicated',
      clusterNames: ['member-a', 'member-b'],
      weights: [1, 1],
    },
    {
      name: 'place-g1',
      kind: 'PropagationPolicy',
      group: 'g1',
      mode: 'static',
      clusterNames: ['member-a', 'member-b', 'member-c'],
      weights: [2, 1, 1],
    },
    {
      name: 'place-g2',
      kind: 'ClusterPropagationPolicy',
      group: 'g2',
      mode: 'dynamic',
      clusterNames: [...CLUSTERS],
      weights: [1, 1, 1, 1],
    },
  ];
  const apps: App[] = [];
  let n = 0;
  for (const group of GROUPS) {
    for (const namespace of NAMESPACES) {
      const name = `app-${n}`;
      apps.push({ name, namespace, group, replicas: 2 + n, path: `apps/${namespace}/${name}.yaml`, hpa: n % 3 === 0 });
      n++;
    }
  }
  return {
    taints: [false, false, false, false],
    policies,
    apps,
    overrideRegistry: 'registry.example.com',
    overrideCluster: 'member-b',
    broken: [],
    serial: n,
  };
}

function clustersYaml(s: FleetState): string {
  return CLUSTERS.map(
    (name, i) => `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: ${name}
  labels: {tier: ${i % 2 === 0 ? 'gold' : 'silver'}}
spec:
  provider: aws
  region: ${i < 2 ? 'eu-central' : 'us-east'}
${s.taints[i] ? '  taints:\n  - {key: maintenance, effect: NoSchedule}\n' : ''}status:
  resourceSummary:
    allocatable: {cpu: "${8 * (i + 1)}", memory: 64Gi, pods: "110"}
`,
  ).join('---\n');
}

function policyYaml(p: Policy): string {
  const names = p.clusterNames.length > 0 ? p.clusterNames : ['member-a'];
  const scheduling =
    p.mode === 'duplicated'
      ? ''
      : p.mode === 'static'
        ? `    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
${names.map((c, i) => `        - targetCluster: {clusterNames: [${c}]}\n          weight: ${p.weights[i] ?? 1}\n`).join('')}`
        : `    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        dynamicWeight: AvailableReplicas
`;
  return `apiVersion: policy.karmada.io/v1alpha1
kind: ${p.kind}
metadata:
  name: ${p.name}
${p.kind === 'PropagationPolicy' ? '  namespace: team-a\n' : ''}spec:
${p.mode === 'duplicated' ? '' : '  propagateDeps: true\n'}  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    labelSelector: {matchLabels: {group: ${p.group}}}
  - apiVersion: v1
    kind: ConfigMap
    labelSelector: {matchLabels: {group: ${p.group}}}
  placement:
    clusterAffinity:
      clusterNames: [${names.join(', ')}]
${scheduling}`;
}

function overrideYaml(s: FleetState): string {
  return `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: registry
  namespace: team-a
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    labelSelector: {matchLabels: {group: g1}}
  overrideRules:
  - targetCluster: {clusterNames: [${s.overrideCluster}]}
    overriders:
      imageOverrider:
      - {component: Registry, operator: replace, value: ${s.overrideRegistry}}
`;
}

function appYaml(a: App): string {
  let text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${a.name}
  namespace: ${a.namespace}
  labels: {app: ${a.name}, group: ${a.group}}
spec:
  replicas: ${a.replicas}
  selector: {matchLabels: {app: ${a.name}}}
  template:
    metadata: {labels: {app: ${a.name}}}
    spec:
      containers:
      - name: main
        image: docker.io/library/${a.name}:1.0
        resources: {requests: {cpu: 500m, memory: 256Mi}}
        envFrom: [{configMapRef: {name: shared}}]
      volumes: [{name: config, configMap: {name: ${a.name}-config}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${a.name}-config
  namespace: ${a.namespace}
  labels: {group: ${a.group}}
data: {replicas: "${a.replicas}"}
`;
  if (a.hpa) {
    text += `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ${a.name}
  namespace: ${a.namespace}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${a.name}}
  minReplicas: 2
  maxReplicas: ${a.replicas * 2 + 2}
`;
  }
  return text;
}

/** Broken YAML: an unclosed flow sequence appended to an otherwise valid file. */
const BREAKAGE = 'oops: [unclosed\n';

/** The files of a fleet state, by path. */
export function fleetFiles(s: FleetState): Map<string, string> {
  const files = new Map<string, string>();
  files.set('clusters.yaml', clustersYaml(s));
  for (const p of s.policies) files.set(`policies/${p.name}.yaml`, policyYaml(p));
  files.set('overrides/registry.yaml', overrideYaml(s));
  // Selected by no policy: it goes only where the workloads of propagateDeps policies that mount it go.
  files.set(
    'shared.yaml',
    NAMESPACES.map((ns) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: ${ns}}\ndata: {k: v}\n`).join('---\n'),
  );
  for (const a of s.apps) files.set(a.path, appYaml(a));
  for (const path of s.broken) {
    const text = files.get(path);
    if (text !== undefined) files.set(path, `${text}---\n${BREAKAGE}`);
  }
  return files;
}

/** The files as SourceFiles sorted by path. */
export function sourceFiles(files: ReadonlyMap<string, string>): SourceFile[] {
  return [...files].map(([path, text]) => ({ path, text })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The changes from one file set to the next: edited and added files with their text, deleted ones with null. */
export function changesBetween(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): FileChange[] {
  const changes: FileChange[] = [];
  for (const [path, text] of after) if (before.get(path) !== text) changes.push({ path, text });
  for (const path of before.keys()) if (!after.has(path)) changes.push({ path, text: null });
  return changes;
}

/** One edit of the fleet; indexes are taken modulo the current list lengths. */
export type FleetEdit =
  | { op: 'replicas'; app: number; replicas: number }
  | { op: 'add'; namespace: number; group: number; replicas: number; hpa: boolean }
  | { op: 'delete'; app: number }
  | { op: 'rename'; app: number }
  | { op: 'relabel'; app: number; group: number }
  | { op: 'weights'; policy: number; weights: number[] }
  | { op: 'clusterNames'; policy: number; mask: number }
  | { op: 'mode'; policy: number; mode: Mode }
  | { op: 'taint'; cluster: number }
  | { op: 'override'; registry: string; cluster: number }
  | { op: 'break'; app: number }
  | { op: 'fix' };

/** Applies an edit to a copy of the state. */
export function applyEdit(state: FleetState, edit: FleetEdit): FleetState {
  const s: FleetState = structuredClone(state);
  const app = (i: number) => (s.apps.length > 0 ? s.apps[i % s.apps.length]! : undefined);
  const policy = (i: number) => s.policies[i % s.policies.length]!;
  switch (edit.op) {
    case 'replicas': {
      const a = app(edit.app);
      if (a) a.replicas = edit.replicas;
      break;
    }
    case 'add': {
      const namespace = NAMESPACES[edit.namespace % NAMESPACES.length]!;
      const name = `app-${s.serial++}`;
      s.apps.push({
        name,
        namespace,
        group: GROUPS[edit.group % GROUPS.length]!,
        replicas: edit.replicas,
        path: `apps/${namespace}/${name}.yaml`,
        hpa: edit.hpa,
      });
      break;
    }
    case 'delete': {
      const a = app(edit.app);
      if (a) s.apps = s.apps.filter((x) => x !== a);
      break;
    }
    case 'rename': {
      const a = app(edit.app);
      if (a) {
        const from = a.path;
        a.path = `moved/${s.serial++}-${a.name}.yaml`;
        s.broken = s.broken.map((p) => (p === from ? a.path : p));
      }
      break;
    }
    case 'relabel': {
      const a = app(edit.app);
      if (a) a.group = GROUPS[edit.group % GROUPS.length]!;
      break;
    }
    case 'weights':
      policy(edit.policy).weights = edit.weights;
      break;
    case 'clusterNames': {
      const p = policy(edit.policy);
      p.clusterNames = CLUSTERS.filter((_, i) => (edit.mask >> i) & 1);
      p.weights = p.clusterNames.map((_, i) => p.weights[i] ?? 1);
      break;
    }
    case 'mode':
      policy(edit.policy).mode = edit.mode;
      break;
    case 'taint':
      s.taints[edit.cluster % CLUSTERS.length] = !s.taints[edit.cluster % CLUSTERS.length];
      break;
    case 'override':
      s.overrideRegistry = edit.registry;
      s.overrideCluster = CLUSTERS[edit.cluster % CLUSTERS.length]!;
      break;
    case 'break': {
      const a = app(edit.app);
      if (a && !s.broken.includes(a.path)) s.broken.push(a.path);
      break;
    }
    case 'fix':
      s.broken = [];
      break;
  }
  s.broken = s.broken.filter((p) => s.apps.some((a) => a.path === p));
  return s;
}
