// `flotilla reconcile --once` on Kurator's own forms (fixtures/kurator) against live clusters (test
// API servers): each AttachedCluster is reached only through its `spec.kubeconfig: {name, key}`
// Secret, mounted in the secrets directory as Kubernetes mounts a Secret — a folder with one file
// per key — with no kubeconfig of the operator's at all.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeReconcileCommand } from '../../src/cli/commands/reconcile.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, makeRepo, makeTempDir } from '../helpers/git.js';
import { fleetKubeconfig, startFleetApiServers } from '../helpers/kube.js';

const KURATOR = path.resolve(import.meta.dirname, '../../fixtures/kurator');

afterAll(cleanupRepos);

describe('flotilla reconcile with Kurator AttachedClusters', () => {
  it('applies podinfo 4 + 2 to kurator-member1 and kurator-member2 through <secretsDir>/<namespace>/<name>/<key>', async () => {
    const fleet = await startFleetApiServers(['kurator-member1', 'kurator-member2'], { autoReady: true });
    try {
      // The attached clusters only: the provisioned one (04) has no credentials anywhere.
      const files: Record<string, string> = {};
      for (const f of ['01-attached-clusters.yaml', '02-fleet.yaml', '03-podinfo.yaml'])
        files[f] = await fs.readFile(path.join(KURATOR, f), 'utf8');
      const { dir } = await makeRepo(files);
      const base = await makeTempDir('flotilla-kurator-');
      for (const [name, server] of fleet.servers) {
        await fs.mkdir(path.join(base, 'secrets/default', name), { recursive: true });
        await fs.writeFile(path.join(base, 'secrets/default', name, `${name}.config`), fleetKubeconfig([server]));
      }
      const config = path.join(base, 'flotilla.yaml');
      await fs.writeFile(
        config,
        `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {secretsDir: secrets, timeoutSeconds: 5}\n`,
      );

      const io = fakeIO();
      const code = await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io);
      expect(io.out).toContain('phase:          Synced');
      expect(code).toBe(0);
      const replicas = (name: string) =>
        (fleet.servers.get(name)!.getObject('apps/v1', 'Deployment', 'webapp', 'podinfo') as { spec: { replicas: number } }).spec.replicas;
      expect([replicas('kurator-member1'), replicas('kurator-member2')]).toEqual([4, 2]);
    } finally {
      await fleet.close();
    }
  });
});
