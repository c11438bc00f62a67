// coordination.k8s.io/v1 Leases in the management cluster: read, list, create, replace with a
// resourceVersion precondition (compare-and-swap: a stale write is 409 Conflict) — exactly the
// verbs deploy/base/rbac.yaml grants (release clears the holder instead of deleting).
// @kubernetes/client-node has no leader-election helper, so this follows client-go's
// tools/leaderelection/resourcelock/leaselock.go: the lease spec is the election record
// (holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions). One attempt
// per call with a short timeout: an election must not sit in retries past its renew deadline.
import { errorFromResponse, KubeApiError, unreachableError } from '../kube/errors.js';
import type { KubeHttpRequest, KubeTransport } from '../kube/transport.js';

/** The label every lease of one flotilla installation carries (one list finds them all). */
export const LEASE_GROUP_LABEL = 'flotilla.dev/lease-group';

/** The election record a Lease holds (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  /** '' when nobody holds it (released). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Milliseconds since the epoch (null when never set). */
  acquireTime: number | null;
  renewTime: number | null;
  leaseTransitions: number;
}

/** A Lease as read from the server: name, record and the resourceVersion a write must match. */
export interface StoredLease {
  name: string;
  resourceVersion: string;
  record: LeaseRecord;
  labels: Record<string, string>;
}

/** MicroTime as Kubernetes writes it: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function parseTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/** The election record of a Lease object. */
export function recordOf(lease: Record<string, unknown>): LeaseRecord {
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  return {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '',
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
    acquireTime: parseTime(spec.acquireTime),
    renewTime: parseTime(spec.renewTime),
    leaseTransitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
  };
}

function specOf(r: LeaseRecord): Record<string, unknown> {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    ...(r.acquireTime !== null ? { acquireTime: microTime(r.acquireTime) } : {}),
    ...(r.renewTime !== null ? { renewTime: microTime(r.renewTime) } : {}),
    leaseTransitions: r.leaseTransitions,
  };
}

function stored(obj: unknown): StoredLease {
  const o = (obj ?? {}) as Record<string, unknown>;
  const meta = (o.metadata ?? {}) as { name?: string; resourceVersion?: string; labels?: Record<string, string> };
  return { name: meta.name ?? '', resourceVersion: meta.resourceVersion ?? '', record: recordOf(o), labels: meta.labels ?? {} };
}

/** Lease reads and writes in one namespace of the management cluster. */
export class LeaseClient {
  constructor(
    private readonly transport: KubeTransport,
    readonly namespace: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private base(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  private async send(req: Omit<KubeHttpRequest, 'timeoutMs'>, allow404 = false): Promise<{ status: number; body: unknown }> {
    let res;
    try {
      res = await this.transport.send({ ...req, timeoutMs: this.timeoutMs });
    } catch (e) {
      throw unreachableError({ method: req.method, path: req.path, server: this.transport.server }, e);
    }
    if ((res.status >= 200 && res.status < 300) || (allow404 && res.status === 404)) return res;
    throw errorFromResponse(req, res.status, res.body, res.headers, Date.now());
  }

  /** The lease, or null when it does not exist. */
  async get(name: string): Promise<StoredLease | null> {
    const res = await this.send({ method: 'GET', path: `${this.base()}/${encodeURIComponent(name)}` }, true);
    return res.status === 404 ? null : stored(res.body);
  }

  /** Every lease carrying `LEASE_GROUP_LABEL=group`. */
  async list(group: string): Promise<StoredLease[]> {
    const res = await this.send({ method: 'GET', path: this.base(), query: { labelSelector: `${LEASE_GROUP_LABEL}=${group}` } });
    const items = ((res.body ?? {}) as { items?: unknown[] }).items ?? [];
    return items.map(stored);
  }

  /** Creates the lease; throws KUBE_CONFLICT (409 AlreadyExists) when someone created it first. */
  async create(name: string, record: LeaseRecord, labels: Record<string, string>): Promise<StoredLease> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: this.namespace, labels },
      spec: specOf(record),
    };
    return stored((await this.send({ method: 'POST', path: this.base(), body: JSON.stringify(body) })).body);
  }

  /** Replaces the record if the lease is still at `resourceVersion`; throws KUBE_CONFLICT otherwise. */
  async update(lease: StoredLease, record: LeaseRecord): Promise<StoredLease> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: lease.name, namespace: this.namespace, resourceVersion: lease.resourceVersion, labels: lease.labels },
      spec: specOf(record),
    };
    return stored(
      (await this.send({ method: 'PUT', path: `${this.base()}/${encodeURIComponent(lease.name)}`, body: JSON.stringify(body) })).body,
    );
  }
}

/** True for the answer "someone else wrote first" (409), which is a lost race, not a failure. */
export function isConflict(e: unknown): boolean {
  return e instanceof KubeApiError && e.code === 'KUBE_CONFLICT';
}
