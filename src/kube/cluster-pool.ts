// The connections to a fleet's clusters, opened on first use and kept between passes. One pool
// serves both the kubernetes target's applies and the live fleet's probes (src/live/live-fleet.ts):
// a cluster has one client, and one reason it cannot be reached, whoever asked first.
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_KUBE_API_OPTIONS, type KubeApiOptions } from './api.js';
import { openClusterClients } from './clients.js';
import type { ConnectionSettings, ReadTextFile, KubeconfigSecretRef } from './connections.js';
import type { ClusterClient } from './fleet.js';
import type { KubeRetryPolicy } from './retry.js';
import type { KubeTransport } from './transport.js';

/** Clusters handled at once when neither the settings nor the fleet say (KarmadaConfig's default). */
export const DEFAULT_PARALLELISM = 10;

/** Timeout and retries of one request. */
export interface RequestPolicy {
  timeoutMs: number;
  retry: KubeRetryPolicy;
}

export interface ClusterPoolSettings extends ConnectionSettings {
  /** Per-request timeout. */
  timeoutSeconds: number;
  retry: KubeRetryPolicy;
  /** Clusters handled at once; null = the fleet's parallelism. */
  parallelism: number | null;
}

/** A cluster of the fleet as the pool connects to it (AttachedCluster secretRef, when it has one). */
export interface PoolCluster {
  name: string;
  secretRef?: KubeconfigSecretRef;
}

export interface ClusterPoolDeps {
  readFile: ReadTextFile;
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  /** The fleet as last rendered: its clusters' secretRefs and its parallelism. */
  fleet?(): { clusters: ReadonlyArray<PoolCluster>; parallelism: number } | null;
  /** Defaults to kubeconfigTransport. */
  transport?(kc: KubeConfig, cluster: string): KubeTransport;
  onRetry?: KubeApiOptions['onRetry'];
}

export class ClusterPool {
  private readonly clients = new Map<string, ClusterClient>();
  private readonly errors = new Map<string, string>();
  /** Timeout and retries replacing the settings' for connections opened from now on (limitRequests). */
  private limits: RequestPolicy | null = null;

  constructor(
    private readonly settings: ClusterPoolSettings,
    private readonly deps: ClusterPoolDeps,
  ) {}

  /** Timeout and retries of the pool's requests (what limitRequests may cut down). */
  requestPolicy(): RequestPolicy {
    return this.limits ?? { timeoutMs: this.settings.timeoutSeconds * 1000, retry: this.settings.retry };
  }

  /** Bounds every request of connections opened later (sharding: one write must end before the shard lease can move). */
  limitRequests(p: RequestPolicy): void {
    this.limits = p;
  }

  /** Clusters handled at once: the settings', else the fleet's KarmadaConfig parallelism. */
  parallelism(): number {
    return this.settings.parallelism ?? this.deps.fleet?.()?.parallelism ?? DEFAULT_PARALLELISM;
  }

  private fleetClusters(extra: Iterable<string>): PoolCluster[] {
    const byName = new Map<string, PoolCluster>();
    for (const c of this.deps.fleet?.()?.clusters ?? []) byName.set(c.name, c);
    for (const n of extra) if (!byName.has(n)) byName.set(n, { name: n });
    return [...byName.values()];
  }

  /** Opens connections to the clusters (and the fleet's) not connected yet; a failed one is retried next time. */
  connect(names: Iterable<string>): void {
    const missing = this.fleetClusters(names).filter((c) => !this.clients.has(c.name));
    if (missing.length === 0) return;
    this.errors.clear();
    const apiOptions: KubeApiOptions = {
      ...DEFAULT_KUBE_API_OPTIONS,
      ...this.requestPolicy(),
      sleep: this.deps.sleep,
      random: this.deps.random,
      now: this.deps.now,
      ...(this.deps.onRetry ? { onRetry: this.deps.onRetry } : {}),
    };
    const opened = openClusterClients(missing, this.settings, {
      readFile: this.deps.readFile,
      apiOptions,
      now: this.deps.now,
      ...(this.deps.transport ? { transport: this.deps.transport } : {}),
    });
    for (const [name, client] of opened.clients) this.clients.set(name, client);
    for (const [name, error] of opened.errors) this.errors.set(name, error);
  }

  /** The client of a connected cluster, or why there is none. */
  client(cluster: string): ClusterClient | { error: string } {
    const c = this.clients.get(cluster);
    if (c) return c;
    return { error: this.errors.get(cluster) ?? `no connection for cluster ${cluster}` };
  }

  /** The connected clients among `names`, in the order they were connected. */
  connected(names: readonly string[]): Map<string, ClusterClient> {
    return new Map([...this.clients].filter(([name]) => names.includes(name)));
  }

  /** Why the cluster has no connection (null: connected, or never asked for). */
  connectionError(cluster: string): string | null {
    return this.clients.has(cluster) ? null : (this.errors.get(cluster) ?? null);
  }

  /** Closes every cluster connection. */
  close(): void {
    for (const c of this.clients.values()) c.api.close();
    this.clients.clear();
  }
}
