// A fleet of test API servers (test doubles of kube-apiserver, test/kube/server) and one kubeconfig
// for all of them: a context per cluster named after it, http on 127.0.0.1, a bearer token each.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startTestApiServer, type TestApiServer, type TestApiServerOptions } from '../kube/server/index.js';

/** A running fleet and its kubeconfig. */
export interface TestFleet {
  servers: Map<string, TestApiServer>;
  kubeconfigPath: string;
  kubeconfigText: string;
  /** Stops every server and removes the kubeconfig's directory. */
  close(): Promise<void>;
}

/** A kubeconfig with one context (and cluster and user) per server, context name = cluster name. */
export function fleetKubeconfig(servers: Iterable<TestApiServer>): string {
  const list = [...servers];
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': list[0]?.name ?? '',
    clusters: list.map((s) => ({ name: s.name, cluster: { server: s.url, 'insecure-skip-tls-verify': true } })),
    users: list.map((s) => ({ name: `${s.name}-user`, user: s.token === null ? {} : { token: s.token } })),
    contexts: list.map((s) => ({ name: s.name, context: { cluster: s.name, user: `${s.name}-user` } })),
  });
}

/** Starts one test API server per name (options shared, name and token per server) and writes their kubeconfig. */
export async function startFleetApiServers(names: string[], opts: Omit<TestApiServerOptions, 'name' | 'port'> = {}): Promise<TestFleet> {
  const servers = new Map<string, TestApiServer>();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-kube-'));
  try {
    for (const name of names) servers.set(name, await startTestApiServer({ ...opts, name }));
  } catch (error) {
    await Promise.all([...servers.values()].map((s) => s.close()));
    throw error;
  }
  const kubeconfigText = fleetKubeconfig(servers.values());
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigText, { mode: 0o600 });
  return {
    servers,
    kubeconfigPath,
    kubeconfigText,
    close: async () => {
      await Promise.all([...servers.values()].map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
