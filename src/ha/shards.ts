// Shard ownership across replicas, on Leases only (no home-made consensus): every replica holds a
// member lease (so all can count the live replicas) and tries, every retry period, to hold its fair
// share ceil(shards / live replicas) of the shard leases — taking free or expired ones in its own
// rendezvous-preference order, releasing the surplus when replicas join. A replica that dies stops
// renewing; the others see its leases unchanged for the lease duration and take them over.
//
// The reconciler asks before each apply batch (acquireBatch): held leases are renewed first, and
// only clusters of shards renewed just now are handed out; a shard in use by a batch is never
// released until the batch ends.
import type { Logger } from 'pino';
import { assignShards, preference } from './consistent-hash.js';
import { LEASE_GROUP_LABEL, type LeaseClient, type StoredLease } from './lease.js';
import { DEFAULT_LEASE_TIMING, LeaseLock, LeaseObserver, type LeaseTiming } from './lease-lock.js';
import { requestBudgetMs } from './request-bound.js';

/** What an apply stage needs from sharding. */
export interface ClusterGate {
  /**
   * Renews this replica's leases and returns which of `clusters` (the whole fleet, every replica
   * passes the same set) it may apply now. Shards of the batch stay held until done().
   */
  acquireBatch(clusters: readonly string[]): Promise<ClusterBatch>;
  /**
   * The longest one request to a cluster may take (request-bound.ts), when ownership can move
   * between replicas; undefined: no bound (a single replica).
   */
  readonly requestBudgetMs?: number;
}

export interface ClusterBatch {
  /** The clusters this replica applies in this batch, sorted. */
  clusters: string[];
  /** Clusters of the fleet that other replicas apply. */
  others: string[];
  /** Whether `cluster` may be started: its shard's lease is within its renew deadline and no shutdown began. */
  stillOwns(cluster: string): boolean;
  /**
   * Whether the lease of `cluster`'s shard is still within its renew deadline (asked before every
   * write; a shutdown lets started clusters finish, so it does not count here). Default: stillOwns.
   */
  stillHolds?(cluster: string): boolean;
  done(): void;
}

/** A gate for a single replica without leases: everything is always ours. */
export const SOLE_REPLICA: ClusterGate = {
  async acquireBatch(clusters) {
    return { clusters: [...clusters].sort(), others: [], stillOwns: () => true, done: () => undefined };
  },
};

export interface ShardManagerOptions {
  client: LeaseClient;
  /** Lease name prefix and group label value, e.g. "flotilla". */
  group: string;
  /** This replica's name (the pod name); unique among replicas. */
  identity: string;
  shards: number;
  timing?: LeaseTiming;
  loadFactor?: number;
  now?: () => number;
  log: Logger;
  /** Called after a tick when the set of held shards changed (e.g. to trigger a reconcile). */
  onChange?(owned: number[], gained: number[], lost: number[]): void;
}

/** A lease name segment from an identity (DNS-1123: lower case, digits, '-'). */
export function leaseNameSegment(identity: string): string {
  const s = identity
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return (s || 'replica').slice(0, 50);
}

export class ShardManager implements ClusterGate {
  readonly timing: LeaseTiming;
  private readonly observer = new LeaseObserver();
  private readonly member: LeaseLock;
  private readonly locks: LeaseLock[];
  private readonly busy = new Map<number, number>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private ticks = 0;
  private stopped = false;
  private draining = false;
  private lastOwned: number[] = [];
  /** Live replicas counted at the last tick (this one included). */
  liveReplicas = 1;

  constructor(private readonly opts: ShardManagerOptions) {
    if (!Number.isInteger(opts.shards) || opts.shards < 1) throw new RangeError(`shards must be a positive integer, got ${opts.shards}`);
    this.timing = opts.timing ?? DEFAULT_LEASE_TIMING;
    this.now = opts.now ?? Date.now;
    const labels = { [LEASE_GROUP_LABEL]: opts.group };
    this.member = new LeaseLock(
      opts.client,
      `${opts.group}-member-${leaseNameSegment(opts.identity)}`,
      opts.identity,
      this.timing,
      labels,
      this.observer,
      this.now,
    );
    this.locks = Array.from(
      { length: opts.shards },
      (_, i) => new LeaseLock(opts.client, this.shardLeaseName(i), opts.identity, this.timing, labels, this.observer, this.now),
    );
  }

  /** One request's bound: a write started while the lease is held ends before anyone may take it. */
  get requestBudgetMs(): number {
    return requestBudgetMs(this.timing);
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Name of shard `i`'s lease. */
  shardLeaseName(i: number): string {
    return `${this.opts.group}-shard-${i}`;
  }

  /** Shards whose lease this replica holds now. */
  ownedShards(now = this.now()): number[] {
    return this.locks.flatMap((l, i) => (l.held(now) ? [i] : []));
  }

  /** Holder of every shard as this replica last saw it ('' = nobody). */
  holders(): string[] {
    return this.locks.map((l) => (l.held() ? this.opts.identity : this.observer.holder(l.name)));
  }

  /** Whether this replica leads (holds shard 0): it alone writes fleet-wide targets. */
  isLeader(now = this.now()): boolean {
    return this.locks[0]!.held(now);
  }

  /** The shard of every cluster (the same function on every replica). */
  assignment(clusters: readonly string[]): Map<string, number> {
    return assignShards(clusters, this.opts.shards, this.opts.loadFactor !== undefined ? { loadFactor: this.opts.loadFactor } : {});
  }

  /** Starts ticking every retry period (the first tick right away). */
  start(): void {
    if (this.timer || this.stopped) return;
    const loop = async () => {
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.timing.retryPeriodMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  /** One round: observe all leases, renew ours, take or give up shards toward the fair share. */
  tick(): Promise<void> {
    if (!this.ticking) this.ticking = this.round().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { client, log, group, shards, identity } = this.opts;
    const now = this.now();
    let leases: Map<string, StoredLease>;
    try {
      leases = new Map((await client.list(group)).map((l) => [l.name, l]));
    } catch (e) {
      log.warn({ err: e }, 'could not list leases; held shards are kept until their renew deadline');
      this.report();
      return;
    }
    for (const name of [this.member.name, ...this.locks.map((l) => l.name)]) this.observer.observe(name, leases.get(name) ?? null, now);
    for (const l of leases.values()) this.observer.observe(l.name, l, now);
    await this.member.tryAcquireOrRenew(leases.get(this.member.name) ?? null);
    const members = new Set(this.observer.live(this.now(), `${group}-member-`));
    members.add(this.member.name);
    this.liveReplicas = members.size;
    const fair = Math.ceil(shards / this.liveReplicas);

    for (const lock of this.locks) if (lock.held()) await lock.tryAcquireOrRenew(leases.get(lock.name) ?? null);
    // The first round only announces this replica: replicas starting together see each other
    // before anyone takes shards, instead of the first one taking all and handing them back.
    if (this.ticks++ > 0 && !this.stopped) {
      const byPreference = [...this.locks.keys()].sort((a, b) => preference(identity, b) - preference(identity, a) || a - b);
      let held = byPreference.filter((i) => this.locks[i]!.held());
      if (held.length > fair) {
        for (const i of [...held].reverse()) {
          if (held.length <= fair) break;
          if ((this.busy.get(i) ?? 0) > 0) continue;
          await this.locks[i]!.release();
          held = held.filter((h) => h !== i);
          log.info({ shard: i, fair, replicas: this.liveReplicas }, `released shard ${i}: more replicas share the work now`);
        }
      } else {
        for (const i of byPreference) {
          if (held.length >= fair) break;
          const lock = this.locks[i]!;
          // A lease still recorded as ours (a renewal that failed on the network) may be renewed too.
          if (lock.held() || (!this.observer.isFree(lock.name, this.now()) && this.observer.holder(lock.name) !== identity)) continue;
          if (await lock.tryAcquireOrRenew(leases.get(lock.name) ?? null)) {
            held.push(i);
            log.info({ shard: i, previousHolder: leases.get(lock.name)?.record.holderIdentity || null }, `acquired shard ${i}`);
          }
        }
      }
    }
    this.report();
  }

  private report(): void {
    const owned = this.ownedShards();
    const gained = owned.filter((s) => !this.lastOwned.includes(s));
    const lost = this.lastOwned.filter((s) => !owned.includes(s));
    this.lastOwned = owned;
    if (gained.length > 0 || lost.length > 0) this.opts.onChange?.(owned, gained, lost);
  }

  async acquireBatch(clusters: readonly string[]): Promise<ClusterBatch> {
    const assignment = this.assignment(clusters);
    const needed = new Set(assignment.values());
    // Renew before handing anything out: the batch starts with a full renew deadline ahead.
    for (const i of needed) {
      const lock = this.locks[i]!;
      if (lock.held()) await lock.tryAcquireOrRenew();
    }
    const now = this.now();
    const mine = new Set([...needed].filter((i) => this.locks[i]!.held(now)));
    for (const i of mine) this.busy.set(i, (this.busy.get(i) ?? 0) + 1);
    const names = [...assignment.keys()].sort();
    let open = true;
    return {
      clusters: names.filter((c) => mine.has(assignment.get(c)!)),
      others: names.filter((c) => !mine.has(assignment.get(c)!)),
      stillOwns: (c) => {
        const s = assignment.get(c);
        return s !== undefined && mine.has(s) && !this.draining && this.locks[s]!.held();
      },
      stillHolds: (c) => {
        const s = assignment.get(c);
        return s !== undefined && mine.has(s) && this.locks[s]!.held();
      },
      done: () => {
        if (!open) return;
        open = false;
        for (const i of mine) this.busy.set(i, (this.busy.get(i) ?? 1) - 1);
      },
    };
  }

  /**
   * Shutting down: clusters of a running batch that have not started are left alone (the replica
   * that takes the shard over applies them); leases are still renewed until stop().
   */
  drain(): void {
    this.draining = true;
  }

  /** Stops ticking, waits for a running tick, releases every shard and the member lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => undefined);
    await Promise.all(this.locks.map((l) => l.release()));
    await this.member.release();
    this.report();
  }
}
