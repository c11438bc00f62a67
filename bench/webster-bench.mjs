// npm run bench (Webster part) — int32-max replicas (2,147,483,647) over 3 clusters, goal < 50 ms:
//   allocateWebsterSeats  — the apportionment alone, weights 1:2:3 and 1:1:1 (the latter ends on a tie);
//   static division       — divideByStaticWeight, as the scheduler calls it;
//   renderFleet           — a whole render of a 3-cluster fleet whose Deployment asks for that many replicas,
//                           and the same render with 6 replicas as the baseline.
// Median of 5 after one warm-up, in one process. Run after `npm run build`; results go to BENCHMARKS.md by hand.
import { allocateWebsterSeats, tieBreakerByUid } from '../dist/placement/webster.js';
import { divideByStaticWeight } from '../dist/placement/division.js';
import { renderFleet } from '../dist/render/render-fleet.js';

const REPLICAS = 2147483647;
const ROUNDS = 5;
const CLUSTERS = ['member-1', 'member-2', 'member-3'];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(run) {
  let result = run();
  const times = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    result = run();
    times.push(performance.now() - t);
  }
  return { ms: median(times), result };
}

const cluster = (name, weight) => ({ name, labels: { weight: String(weight) } });
const candidates = CLUSTERS.map((name, i) => ({
  cluster: cluster(name, i + 1),
  score: 0,
  allocatableReplicas: 0,
  availableReplicas: 0,
  overflowTier: 1000,
}));
const weights = [1, 2, 3].map((w) => ({ targetCluster: { labelSelector: { matchLabels: { weight: String(w) } } }, weight: w }));

const fleetFiles = (replicas) => [
  {
    path: 'clusters.yaml',
    text: CLUSTERS.map(
      (name) => `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: ${name}
spec:
  provider: aws
  region: eu-central
`,
    ).join('---\n'),
  },
  {
    path: 'app.yaml',
    text: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: huge
  namespace: default
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: huge}}
  template:
    metadata: {labels: {app: huge}}
    spec:
      containers: [{name: app, image: nginx}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: huge
  namespace: default
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: huge}]
  placement:
    clusterAffinity: {clusterNames: [${CLUSTERS.join(', ')}]}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
${CLUSTERS.map((name, i) => `        - {targetCluster: {clusterNames: [${name}]}, weight: ${i + 1}}`).join('\n')}
`,
  },
];

const rows = [
  [
    'allocateWebsterSeats, weights 1:2:3',
    time(() =>
      allocateWebsterSeats(
        REPLICAS,
        CLUSTERS.map((name, i) => ({ name, votes: i + 1 })),
        undefined,
        tieBreakerByUid(''),
      ),
    ),
  ],
  [
    'allocateWebsterSeats, weights 1:1:1 (last seat by tie-break)',
    time(() =>
      allocateWebsterSeats(
        REPLICAS,
        CLUSTERS.map((name) => ({ name, votes: 1 })),
        undefined,
        tieBreakerByUid(''),
      ),
    ),
  ],
  ['divideByStaticWeight, weights 1:2:3', time(() => divideByStaticWeight(REPLICAS, candidates, weights, '').clusters)],
  [
    'renderFleet, 3 clusters, static weights 1:2:3',
    time(() => renderFleet({ files: fleetFiles(REPLICAS), revision: 'worktree' }).placements[0].clusters),
  ],
  // The same render with 6 replicas: what the render costs without any apportionment work.
  [
    'renderFleet, same fleet with 6 replicas (baseline)',
    time(() => renderFleet({ files: fleetFiles(6), revision: 'worktree' }).placements[0].clusters),
  ],
];

console.log(`Webster benchmark (node ${process.version}, ${REPLICAS} replicas over 3 clusters, median of ${ROUNDS} after a warm-up)\n`);
console.log('| measurement | ms | result |');
console.log('|---|---|---|');
for (const [name, { ms, result }] of rows) {
  const text = result.map((r) => `${r.name.replace('member-', '')}: ${r.seats ?? r.replicas}`).join(', ');
  console.log(`| ${name} | ${ms.toFixed(2)} | ${text} |`);
}
