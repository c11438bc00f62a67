// One Lease held the way client-go's leader election holds it (tools/leaderelection): acquire or
// renew with a resourceVersion compare-and-swap, never trust another node's clock. A lease held by
// someone else counts as expired only when *this* replica has seen its record unchanged for the
// record's leaseDurationSeconds (client-go's observedTime), so clock skew between replicas does
// not matter. The holder stops acting on a lease renewDeadline after its last successful renewal
// began — strictly before anybody else may take it (leaseDuration) — which is what keeps two
// replicas from ever applying the same shard at once.
import { isConflict, type LeaseClient, type LeaseRecord, type StoredLease } from './lease.js';

/** client-go's three timings (LeaderElectionConfig). */
export interface LeaseTiming {
  /** How long others wait after the last change they saw before taking the lease (client-go default 15 s). */
  leaseDurationMs: number;
  /** The holder gives up acting when it has not renewed for this long (default 10 s; < leaseDuration). */
  renewDeadlineMs: number;
  /** How often every replica tries to acquire or renew (default 2 s). */
  retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** Throws when the timings cannot keep holders apart (client-go's NewLeaderElector checks). */
export function checkTiming(t: LeaseTiming): void {
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) throw new RangeError('leaseDuration must be greater than renewDeadline');
  if (!(t.renewDeadlineMs > 1.2 * t.retryPeriodMs))
    throw new RangeError('renewDeadline must be greater than 1.2 × retryPeriod (client-go JitterFactor)');
  if (!(t.retryPeriodMs > 0)) throw new RangeError('retryPeriod must be positive');
}

/** When each lease was last seen to change, by this replica's own clock. */
export class LeaseObserver {
  private readonly seen = new Map<string, { resourceVersion: string; record: LeaseRecord; at: number }>();

  /** Records what a read returned (null: the lease does not exist). */
  observe(name: string, lease: StoredLease | null, now: number): void {
    if (!lease) {
      this.seen.delete(name);
      return;
    }
    const prev = this.seen.get(name);
    if (!prev || prev.resourceVersion !== lease.resourceVersion)
      this.seen.set(name, { resourceVersion: lease.resourceVersion, record: lease.record, at: now });
  }

  /** The holder as last seen ('' when released or unknown). */
  holder(name: string): string {
    return this.seen.get(name)?.record.holderIdentity ?? '';
  }

  /**
   * Whether `name` may be taken now: missing, released, or unchanged for its lease duration
   * since this replica first saw its current version.
   */
  isFree(name: string, now: number): boolean {
    const s = this.seen.get(name);
    if (!s || s.record.holderIdentity === '') return true;
    return s.at + s.record.leaseDurationSeconds * 1000 <= now;
  }

  /** Names of leases last seen held by someone and not expired. */
  live(now: number, prefix: string): string[] {
    return [...this.seen.keys()].filter((n) => n.startsWith(prefix) && !this.isFree(n, now)).sort();
  }
}

export class LeaseLock {
  /** Local time at which the last successful acquire/renew request started; null: not held. */
  private renewedAt: number | null = null;
  private current: StoredLease | null = null;
  /** Calls on this lock run one at a time: a renewal racing another renewal of the same replica would 409 itself out. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: LeaseClient,
    readonly name: string,
    readonly identity: string,
    private readonly timing: LeaseTiming,
    private readonly labels: Record<string, string>,
    private readonly observer: LeaseObserver,
    private readonly now: () => number,
  ) {}

  /** Whether this replica may act on the lease at `now` (renewed within the renew deadline). */
  held(now = this.now()): boolean {
    return this.renewedAt !== null && now < this.renewedAt + this.timing.renewDeadlineMs;
  }

  /** Until when the lease may be acted on (0 when not held). */
  validUntil(): number {
    return this.renewedAt === null ? 0 : this.renewedAt + this.timing.renewDeadlineMs;
  }

  /**
   * client-go's tryAcquireOrRenew: creates the lease, renews it when held, takes it when free.
   * `known` is a fresh read of the lease (saves a GET); undefined reads it now. Returns whether
   * the lease is held afterwards. Never throws: a failed call leaves `held()` to run out.
   */
  tryAcquireOrRenew(known?: StoredLease | null): Promise<boolean> {
    // A read made before a queued call ran may be stale by then: read again.
    // So may one that predates this replica's own last write (a round's list racing a batch's
    // renewal): renewing from it would 409 and drop a lease this replica still holds.
    return this.serial(() =>
      this.attempt(
        this.queueDepth > 1 || (known && this.current && known.resourceVersion !== this.current.resourceVersion) ? undefined : known,
      ),
    );
  }

  private queueDepth = 0;

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.queueDepth++;
    const run = this.queue.then(fn).finally(() => this.queueDepth--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async attempt(known?: StoredLease | null): Promise<boolean> {
    const started = this.now();
    try {
      const lease = known === undefined ? await this.client.get(this.name) : known;
      this.observer.observe(this.name, lease, started);
      const durationSeconds = Math.ceil(this.timing.leaseDurationMs / 1000);
      if (!lease) {
        this.current = await this.client.create(
          this.name,
          {
            holderIdentity: this.identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: started,
            renewTime: started,
            leaseTransitions: 0,
          },
          this.labels,
        );
        this.renewedAt = started;
        this.observer.observe(this.name, this.current, started);
        return true;
      }
      const r = lease.record;
      const mine = r.holderIdentity === this.identity;
      if (!mine && !this.observer.isFree(this.name, started)) {
        this.renewedAt = null; // someone else holds it: stop acting at once
        return false;
      }
      const record: LeaseRecord = {
        holderIdentity: this.identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine && r.acquireTime !== null ? r.acquireTime : started,
        renewTime: started,
        leaseTransitions: mine ? r.leaseTransitions : r.leaseTransitions + 1,
      };
      this.current = await this.client.update(lease, record);
      this.renewedAt = started;
      this.observer.observe(this.name, this.current, started);
      return true;
    } catch (e) {
      // Conflict: another replica wrote first — it is theirs now. Other errors: keep acting only
      // until the renew deadline runs out.
      if (isConflict(e)) this.renewedAt = null;
      return this.held();
    }
  }

  /** Gives the lease up at once (client-go's release: holder '', duration 1 s) so others need not wait. */
  release(): Promise<void> {
    return this.serial(() => this.giveUp());
  }

  private async giveUp(): Promise<void> {
    const wasHeld = this.renewedAt !== null;
    this.renewedAt = null;
    if (!wasHeld) return;
    try {
      const lease = await this.client.get(this.name);
      if (!lease || lease.record.holderIdentity !== this.identity) return;
      const now = this.now();
      await this.client.update(lease, {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: lease.record.leaseTransitions,
      });
    } catch {
      // Not released: others take it when it expires.
    }
  }
}
