import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseLock, LeaseObserver, checkTiming } from '../../src/ha/lease-lock.js';
import { microTime, type LeaseClient } from '../../src/ha/lease.js';
import type { TestFleet } from '../helpers/kube.js';
import { leaseClient, manualClock, startManagementCluster } from './harness.js';

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
let fleet: TestFleet;
let client: LeaseClient;
let n = 0;

beforeAll(async () => {
  fleet = await startManagementCluster();
  client = leaseClient(fleet);
});
afterAll(() => fleet.close());

function pair(clock: { now: () => number }) {
  const name = `test-lease-${n++}`;
  const a = new LeaseLock(client, name, 'replica-a', timing, { 'flotilla.dev/lease-group': 't' }, new LeaseObserver(), clock.now);
  const b = new LeaseLock(client, name, 'replica-b', timing, { 'flotilla.dev/lease-group': 't' }, new LeaseObserver(), clock.now);
  return { name, a, b };
}

describe('LeaseLock (client-go leader election on coordination.k8s.io/v1 Leases)', () => {
  it('two replicas racing to create the same lease → exactly one holds it', async () => {
    const clock = manualClock();
    const { a, b } = pair(clock);
    const [ra, rb] = await Promise.all([a.tryAcquireOrRenew(), b.tryAcquireOrRenew()]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
  });

  it('a held lease is not taken before the taker has seen it unchanged for 15 s, then it is (transitions 0 → 1)', async () => {
    const clock = manualClock();
    const { name, a, b } = pair(clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false); // first sight at t=0
    clock.advance(14_999);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    clock.advance(1);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    const lease = await client.get(name);
    expect(lease!.record.holderIdentity).toBe('replica-b');
    expect(lease!.record.leaseTransitions).toBe(1);
    // a learns at its next renewal that b has it (409 on its stale resourceVersion or b's holder)
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(a.held()).toBe(false);
  });

  it('renewing every 2 s keeps the lease: the other replica never gets it in 60 s', async () => {
    const clock = manualClock();
    const { a, b } = pair(clock);
    await a.tryAcquireOrRenew();
    for (let t = 0; t < 60_000; t += 2_000) {
      clock.advance(2_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
  });

  it('the holder stops acting 10 s (renew deadline) after its last renewal, 5 s before anyone may take over', async () => {
    const clock = manualClock();
    const { a } = pair(clock);
    await a.tryAcquireOrRenew();
    clock.advance(9_999);
    expect(a.held()).toBe(true);
    clock.advance(1);
    expect(a.held()).toBe(false);
  });

  it('a renewal that fails on the network keeps the lease only until the renew deadline', async () => {
    const clock = manualClock();
    const { a } = pair(clock);
    await a.tryAcquireOrRenew();
    const server = fleet.servers.get('management')!;
    server.failNext(1, 503, { method: 'GET' });
    clock.advance(2_000);
    expect(await a.tryAcquireOrRenew()).toBe(true); // still within 10 s of the last renewal
    clock.advance(8_000);
    expect(a.held()).toBe(false);
  });

  it('release hands the lease over at once: holder "" and the other replica acquires with no wait', async () => {
    const clock = manualClock();
    const { name, a, b } = pair(clock);
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.release();
    expect((await client.get(name))!.record.holderIdentity).toBe('');
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });

  it('updates are compare-and-swap on resourceVersion: a stale write is 409 Conflict', async () => {
    const clock = manualClock();
    const { name, a } = pair(clock);
    await a.tryAcquireOrRenew();
    const stale = (await client.get(name))!;
    clock.advance(2_000);
    await a.tryAcquireOrRenew();
    await expect(client.update(stale, { ...stale.record, holderIdentity: 'thief' })).rejects.toMatchObject({ code: 'KUBE_CONFLICT' });
  });

  it('two renewals of the same replica at once (the tick and an apply batch) do not 409 each other out', async () => {
    const clock = manualClock();
    const { a } = pair(clock);
    await a.tryAcquireOrRenew();
    clock.advance(2_000);
    expect(await Promise.all([a.tryAcquireOrRenew(), a.tryAcquireOrRenew(), a.tryAcquireOrRenew()])).toEqual([true, true, true]);
    expect(a.held()).toBe(true);
  });

  it(
    'a tick renewing from a list read before the batch renewed (stale resourceVersion) keeps ' + 'the lease instead of 409-ing it away',
    async () => {
      const clock = manualClock();
      const { name, a } = pair(clock);
      await a.tryAcquireOrRenew();
      const snapshot = await client.get(name); // the tick's list
      clock.advance(500);
      await a.tryAcquireOrRenew(); // the apply batch renews first
      clock.advance(500);
      expect(await a.tryAcquireOrRenew(snapshot)).toBe(true);
      expect(a.held()).toBe(true);
    },
  );

  it('writes MicroTime with six fractional digits, as the API server stores it', () => {
    expect(microTime(Date.parse('2026-01-01T00:00:00.123Z'))).toBe('2026-01-01T00:00:00.123000Z');
  });

  it('refuses timings that cannot keep holders apart (renewDeadline ≥ leaseDuration)', () => {
    expect(() => checkTiming({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })).toThrow(
      /greater than renewDeadline/,
    );
    expect(() => checkTiming(timing)).not.toThrow();
  });
});
