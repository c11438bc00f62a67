// `flotilla doctor` for live clusters: can flotilla find credentials for each member cluster
// (the target's contexts mapping, a context named like it, an AttachedCluster's secretRef file —
// the reconciler's own order, connections.ts), and does its API server answer /readyz within a
// short timeout? Every cluster is checked on its own: one that is down or hangs never keeps the
// others from being checked, and the probes run in parallel so a dead cluster costs one timeout.
import { DEFAULT_KUBE_API_OPTIONS } from './api.js';
import { closeClusterClients, openClusterClients, readTextFileOrNull, type TransportFactory } from './clients.js';
import type { ConnectionSettings, ReadTextFile, KubeconfigSecretRef } from './connections.js';
import { mapLimit } from './limit.js';

/** What doctor found out about one cluster. */
export interface ClusterCheck {
  cluster: string;
  /** How its credentials were found (`context edge-a`, `secret kurator-system/cluster-01-kubeconfig`); null: none. */
  via: string | null;
  /** Why no credentials could be resolved (null: resolved). */
  credentialsError: string | null;
  /** The API server's URL (null without credentials). */
  server: string | null;
  /** /readyz answered ok (null: not probed, no credentials). */
  reachable: boolean | null;
  /** Why the probe failed. */
  probeError: string | null;
  /** How long the probe took. */
  probeMs: number | null;
}

/** Resolves every cluster's credentials and probes the ones that have some, `parallelism` at a time. */
export async function checkClusters(
  clusters: ReadonlyArray<{ name: string; secretRef?: KubeconfigSecretRef }>,
  settings: ConnectionSettings,
  opts: { probeTimeoutMs: number; parallelism?: number; readFile?: ReadTextFile; transport?: TransportFactory; now?: () => number },
): Promise<ClusterCheck[]> {
  const now = opts.now ?? Date.now;
  const opened = openClusterClients(clusters, settings, {
    readFile: opts.readFile ?? readTextFileOrNull,
    apiOptions: { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: opts.probeTimeoutMs, now },
    now,
    ...(opts.transport ? { transport: opts.transport } : {}),
  });
  try {
    const names = [...new Set(clusters.map((c) => c.name))].sort();
    return await mapLimit(names, opts.parallelism ?? 10, async (cluster): Promise<ClusterCheck> => {
      const client = opened.clients.get(cluster);
      if (!client)
        return {
          cluster,
          via: null,
          credentialsError: opened.errors.get(cluster) ?? 'no connection',
          server: null,
          reachable: null,
          probeError: null,
          probeMs: null,
        };
      const start = now();
      const probe = await client.api.readyz(opts.probeTimeoutMs);
      return {
        cluster,
        via: opened.via.get(cluster) ?? null,
        credentialsError: null,
        server: client.api.server,
        reachable: probe.ok,
        probeError: probe.error,
        probeMs: Math.max(0, now() - start),
      };
    });
  } finally {
    closeClusterClients(opened);
  }
}

/** One doctor line's mark and text for a cluster: `ok` only when it has credentials and answers. */
export function describeClusterCheck(c: ClusterCheck): { ok: boolean; text: string } {
  if (c.credentialsError !== null) return { ok: false, text: `no credentials: ${c.credentialsError}` };
  if (c.reachable) return { ok: true, text: `credentials from ${c.via}; ${c.server} answers /readyz (${c.probeMs} ms)` };
  return { ok: false, text: `credentials from ${c.via}; ${c.server} unreachable: ${c.probeError ?? 'probe failed'}` };
}
