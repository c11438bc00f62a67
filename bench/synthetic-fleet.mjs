// A synthetic fleet for benchmarks: C clusters over 5 regions and 20 slots (label `slot`), W
// workloads each with a ConfigMap, and 20 ClusterPropagationPolicies, one per workload group, each
// placing its group on the clusters of two slots (10 of 100 clusters) with one of five strategies:
// Duplicated, static weights, dynamic weights, Aggregated, region spread. Like a real fleet, every
// workload is scheduled against all clusters but lands on a few of them.
// Deterministic: the same (clusters, workloads) always gives the same files.

const REGIONS = ['asia-east', 'asia-south', 'eu-central', 'us-east', 'us-west'];
const STRATEGIES = ['duplicated', 'static', 'dynamic', 'aggregated', 'spread'];
const SLOTS = 20;

/**
 * Files of a synthetic fleet: [{ path, text }]. `span`: how many of the 20 slots each policy places
 * its group on (default 2, a tenth of the clusters); more slots, more rendered objects per workload.
 */
export function syntheticFleet(clusters, workloads, { span = 2 } = {}) {
  const files = [];
  const clusterDocs = [];
  for (let i = 0; i < clusters; i++) {
    const region = REGIONS[Math.floor(i / SLOTS) % REGIONS.length];
    const tainted = i % 17 === 0;
    clusterDocs.push(`apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: member-${String(i).padStart(3, '0')}
  labels:
    tier: ${i % 3 === 0 ? 'gold' : 'silver'}
    slot: s${i % SLOTS}
    env: production
spec:
  provider: ${i % 2 === 0 ? 'aws' : 'gcp'}
  region: ${region}
  zones: [${region}-${(i % 3) + 1}]
${tainted ? '  taints:\n  - key: maintenance\n    effect: NoSchedule\n' : ''}status:
  resourceSummary:
    allocatable: {cpu: "${64 + (i % 7) * 16}", memory: 256Gi, pods: "${110 * (1 + (i % 4))}"}
    allocated: {cpu: "${(i % 5) * 4}", memory: 16Gi, pods: "${(i % 9) * 3}"}
`);
  }
  files.push({ path: 'clusters/members.yaml', text: clusterDocs.join('---\n') });

  const policies = [];
  for (let k = 0; k < SLOTS; k++) {
    const s = STRATEGIES[k % STRATEGIES.length];
    const affinity = `    clusterAffinity:
      labelSelector:
        matchExpressions:
        - {key: slot, operator: In, values: [${Array.from({ length: span }, (_, j) => `s${(k + j) % SLOTS}`).join(', ')}]}
`;
    const strategy = {
      duplicated: '',
      static: `    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - targetCluster: {labelSelector: {matchLabels: {tier: gold}}}
          weight: 2
        - targetCluster: {labelSelector: {matchLabels: {tier: silver}}}
          weight: 1
`,
      dynamic: `    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        dynamicWeight: AvailableReplicas
`,
      aggregated: `    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Aggregated
`,
      spread: `    spreadConstraints:
    - spreadByField: region
      maxGroups: 3
      minGroups: 2
    - spreadByField: cluster
      maxGroups: 4
      minGroups: 2
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        dynamicWeight: AvailableReplicas
`,
    }[s];
    policies.push(`apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: group-${k}-${s}
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    labelSelector:
      matchLabels: {group: g${k}}
  - apiVersion: v1
    kind: ConfigMap
    labelSelector:
      matchLabels: {group: g${k}}
  placement:
${affinity}${strategy}`);
  }
  files.push({ path: 'policies/strategies.yaml', text: policies.join('---\n') });

  for (let w = 0; w < workloads; w++) {
    const group = `g${w % SLOTS}`;
    const ns = `team-${w % 20}`;
    const name = `app-${String(w).padStart(5, '0')}`;
    files.push({
      path: `apps/${ns}/${name}.yaml`,
      text: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}, group: ${group}}
spec:
  replicas: ${1 + (w % 24)}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: registry.example.com/${name}:1.${w % 10}
        resources:
          requests: {cpu: ${100 + (w % 8) * 50}m, memory: ${128 + (w % 4) * 128}Mi}
        env:
        - {name: MODE, value: production}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-config
  namespace: ${ns}
  labels: {app: ${name}, group: ${group}}
data:
  settings.yaml: |
    logLevel: info
    featureFlags: [a, b, c]
`,
    });
  }
  return files;
}
