// From resolved connections to API clients: one KubeApi (and its cached discovery) per cluster,
// or the reason a cluster has none. Shared by the kubernetes target, `flotilla diff --kubeconfig`
// and `flotilla doctor`, so every command connects exactly as the reconciler does.
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, type KubeApiOptions } from './api.js';
import { resolveConnections, type ConnectionSettings, type ReadTextFile, type KubeconfigSecretRef } from './connections.js';
import { Discovery } from './discovery.js';
import type { ClusterClient } from './fleet.js';
import { kubeconfigTransport, type KubeTransport } from './transport.js';

/** Builds the transport of one cluster (tests pass their own). */
export type TransportFactory = (kc: KubeConfig, cluster: string) => KubeTransport;

/** Clients of the clusters that have a connection, and why the others have none. */
export interface ClusterClients {
  clients: Map<string, ClusterClient>;
  /** cluster → why flotilla cannot connect to it. */
  errors: Map<string, string>;
  /** cluster → how it was found (`context edge-a`, `secret ns/name`): never a credential. */
  via: Map<string, string>;
}

/** Resolves and opens a client per cluster; a problem comes back per cluster, never thrown. */
export function openClusterClients(
  clusters: ReadonlyArray<{ name: string; secretRef?: KubeconfigSecretRef }>,
  settings: ConnectionSettings,
  opts: { readFile: ReadTextFile; apiOptions: KubeApiOptions; transport?: TransportFactory; now?: () => number },
): ClusterClients {
  const out: ClusterClients = { clients: new Map(), errors: new Map(), via: new Map() };
  for (const r of resolveConnections(clusters, settings, opts.readFile)) {
    if (!r.ok) {
      out.errors.set(r.cluster, r.error);
      continue;
    }
    try {
      const transport = (
        opts.transport ?? ((kc) => kubeconfigTransport(kc, { now: opts.now ?? Date.now, impersonation: settings.impersonation ?? null }))
      )(r.endpoint.kubeConfig, r.endpoint.cluster);
      const api = new KubeApi(r.endpoint.cluster, transport, opts.apiOptions);
      out.clients.set(r.endpoint.cluster, { api, discovery: new Discovery(api) });
      out.via.set(r.endpoint.cluster, r.endpoint.via);
    } catch (e) {
      out.errors.set(r.endpoint.cluster, `${r.endpoint.via}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Closes every client's connections. */
export function closeClusterClients(c: ClusterClients): void {
  for (const client of c.clients.values()) client.api.close();
  c.clients.clear();
}

/**
 * The file system adapter of resolveConnections: a file's text, or null when there is no such file
 * (nothing there, a directory, or a path through a file: `<dir>/<secret>/<key>` when the secret is a file).
 */
export function readTextFileOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw e;
  }
}
