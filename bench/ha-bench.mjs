// HA benchmark (issue 6): 500 clusters sharded over 3 replicas — time to the first full sync and
// to converge after losing a replica. Needs the compiled dist/ (`npx tsc -p .`).
//
// What is real: ShardManager (leases, fair share, takeover with client-go's default timings
// 15 s / 10 s / 2 s), ShardedTarget (per-cluster targets, renew before each batch, parallelism 10
// per replica) and bounded-load hashing (12 shards). What is simulated, plainly: the management
// cluster's Lease API is an in-memory store with 3 ms per request and the same compare-and-swap
// rules as the API server; each member cluster's apply is a simulated target that takes 40–120 ms
// (a list + compare of ~20 objects over a WAN round trip) — 500 in-process test API servers
// would measure the test double, not flotilla. A replica "killed" stops renewing and applying
// without releasing anything, as kill -9 would.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(ROOT, 'dist', p));
const { ShardManager } = await dist('ha/shards.js');
const { ShardedTarget } = await dist('ha/sharded-target.js');
const { KubeApiError } = await dist('kube/errors.js');
const { silentLogger } = await dist('log/logger.js');

const CLUSTERS = Number(process.env.HA_BENCH_CLUSTERS ?? 500);
const SHARDS = 12;
const REPLICAS = 3;
const POLL_MS = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An in-memory Lease API with resourceVersion compare-and-swap, 3 ms per call. */
function leaseStore() {
  const leases = new Map();
  let rv = 0;
  const conflict = (m) => new KubeApiError('KUBE_CONFLICT', m, 409, 'Conflict');
  const copy = (l) => (l ? structuredClone(l) : null);
  return (cut) => ({
    namespace: 'flotilla-system',
    async get(name) {
      await sleep(3);
      if (cut.cut) throw new KubeApiError('KUBE_UNREACHABLE', 'down', null, null);
      return copy(leases.get(name));
    },
    async list(group) {
      await sleep(3);
      if (cut.cut) throw new KubeApiError('KUBE_UNREACHABLE', 'down', null, null);
      return [...leases.values()].filter((l) => l.labels['flotilla.dev/lease-group'] === group).map(copy);
    },
    async create(name, record, labels) {
      await sleep(3);
      if (cut.cut) throw new KubeApiError('KUBE_UNREACHABLE', 'down', null, null);
      if (leases.has(name)) throw conflict('AlreadyExists');
      const l = { name, resourceVersion: String(++rv), record: { ...record }, labels };
      leases.set(name, l);
      return copy(l);
    },
    async update(lease, record) {
      await sleep(3);
      if (cut.cut) throw new KubeApiError('KUBE_UNREACHABLE', 'down', null, null);
      const cur = leases.get(lease.name);
      if (!cur || cur.resourceVersion !== lease.resourceVersion) throw conflict('stale resourceVersion');
      const l = { ...cur, resourceVersion: String(++rv), record: { ...record } };
      leases.set(lease.name, l);
      return copy(l);
    },
    async delete() {
      return true;
    },
  });
}

const names = Array.from({ length: CLUSTERS }, (_, i) => `member-${String(i).padStart(3, '0')}`);
const files = new Map(names.map((c) => [`${c}/default/configmap-app.yaml`, 'oid']));
const plan = {
  revision: 'r1',
  changes: [],
  files: () => files,
  total: files.size,
  manifestsTree: null,
  previousManifestsTree: null,
  readText: async () => '',
  full: false,
  clusterOf: (p) => p.split('/')[0],
};

const appliedBy = new Map(); // cluster → [{ replica, at }]
let concurrentViolations = 0;
const inFlight = new Map();

function replica(i, store) {
  const cut = { cut: false };
  const manager = new ShardManager({
    client: store(cut),
    group: 'flotilla',
    identity: `flotilla-${i}`,
    shards: SHARDS,
    log: silentLogger(),
  });
  const target = new ShardedTarget({
    name: 'kubernetes:sim',
    type: 'kubernetes',
    gate: manager,
    parallelism: 10,
    log: silentLogger(),
    clusterTarget: (cluster) => ({
      name: cluster,
      type: 'kubernetes',
      async apply() {
        const other = inFlight.get(cluster);
        if (other !== undefined && other !== i) concurrentViolations++;
        inFlight.set(cluster, i);
        await sleep(40 + Math.random() * 80);
        inFlight.delete(cluster);
        const list = appliedBy.get(cluster) ?? [];
        list.push({ replica: i, at: Date.now() });
        appliedBy.set(cluster, list);
        return { created: 0, configured: 0, unchanged: 1, deleted: 0, failed: 0, failedClusters: [], ok: true, message: null };
      },
    }),
  });
  let alive = true;
  const loop = (async () => {
    while (alive) {
      const started = Date.now();
      await target.apply(plan);
      await sleep(Math.max(0, POLL_MS - (Date.now() - started)));
    }
  })();
  return {
    manager,
    cut,
    kill() {
      alive = false;
      cut.cut = true;
    },
    async stop() {
      alive = false;
      await loop;
      await manager.stop();
    },
    loop,
  };
}

const store = leaseStore();
const t0 = Date.now();
const rs = Array.from({ length: REPLICAS }, (_, i) => replica(i, store));
for (const r of rs) r.manager.start();
while (names.some((c) => !appliedBy.has(c))) await sleep(20);
const firstSync = Date.now() - t0;
const perReplica = rs.map((r) => r.manager.ownedShards().length);
await sleep(3 * POLL_MS);

const victim = rs[REPLICAS - 1];
const victimShards = victim.manager.ownedShards();
const assignment = victim.manager.assignment(names);
const orphaned = names.filter((c) => victimShards.includes(assignment.get(c)));
const killedAt = Date.now();
victim.kill();
await victim.loop;
const survivorsHave = (c) => (appliedBy.get(c) ?? []).some((a) => a.at > killedAt && a.replica !== REPLICAS - 1);
while (orphaned.some((c) => !survivorsHave(c))) await sleep(20);
const converge = Date.now() - killedAt;
const shardsAtConverge = rs.slice(0, -1).map((r) => r.manager.ownedShards().length);
await sleep(4_000); // two more retry periods: the last shard taken, fair share settled
const shardsAfter = rs.slice(0, -1).map((r) => r.manager.ownedShards().length);
await Promise.all(rs.slice(0, -1).map((r) => r.stop()));
await victim.manager.stop().catch(() => undefined);

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`);
console.log(
  `HA: ${CLUSTERS} clusters, ${SHARDS} shards, ${REPLICAS} replicas (simulated cluster ` +
    `applies 40–120 ms, parallelism 10 per replica; leases 15 s / 10 s / 2 s)`,
);
console.log(`| measurement | value |`);
console.log(`|---|---|`);
console.log(`| time to first full sync (start → every cluster applied once) | ${fmt(firstSync)} |`);
console.log(`| shards per replica after start | ${perReplica.join(' / ')} |`);
console.log(`| clusters of the killed replica | ${orphaned.length} (${victimShards.length} shards) |`);
console.log(`| converge after losing a replica (kill → all its clusters applied by the others) | ${fmt(converge)} |`);
console.log(`| shards per survivor at convergence / 4 s later | ${shardsAtConverge.join(' / ')} → ${shardsAfter.join(' / ')} |`);
console.log(`| same cluster applied by two replicas at once | ${concurrentViolations} |`);
