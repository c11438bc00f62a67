// `flotilla reconcile --config F --once` through the CLI against live clusters (test API servers):
// every cluster of the seed fleet reachable — by a context named like the cluster, by the config's
// contexts mapping, or by an AttachedCluster's secretRef in the secrets directory.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeReconcileCommand } from '../../src/cli/commands/reconcile.js';
import { makeStatusCommand } from '../../src/cli/commands/status.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { SEED_CLUSTERS, startSeedFleet, writeFleetCredentials, writes } from '../kube/harness.js';
import { seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

describe('flotilla reconcile --once with a kubernetes target', () => {
  it(
    'applies the seed fleet to 8 clusters (contexts, a context mapping, a secretRef), exits 0 ' + 'Synced, and a second run writes nothing',
    async () => {
      // cluster-zone-a's context is called edge-a (mapped in the config); production-cluster-01 is
      // reached only through its AttachedCluster secretRef cluster-01-kubeconfig.
      const fleet = await startSeedFleet([...SEED_CLUSTERS, 'edge-a', 'cluster-zone-b', 'prod-01']);
      try {
        const { dir, commit } = await makeRepo(await seedFiles());
        const base = await makeTempDir('flotilla-cli-kube-');
        await writeFleetCredentials(fleet, base);
        const config = path.join(base, 'flotilla.yaml');
        await fs.writeFile(
          config,
          `source: {url: ${dir}, cacheDir: cache}
targets:
  - kubernetes:
      kubeconfig: kubeconfig
      contexts: {cluster-zone-a: edge-a}
      secretsDir: secrets
      timeoutSeconds: 5
`,
        );
        const io = fakeIO();
        const code = await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io);
        expect(io.out).toContain('phase:          Synced');
        expect(code).toBe(0);
        expect(io.out).toMatch(/cluster-hangzhou\s+yes\s+10\s+0\s+0\s+0\s+yes\s+Healthy\s+0/);
        expect(io.out).toMatch(/cluster-zone-a\s+yes\s+1\s+0\s+0\s+0\s+yes\s+Healthy/);
        expect(io.out).toMatch(/production-cluster-01\s+yes\s+0\s+0\s+0\s+0\s+yes\s+-/);
        expect(
          (fleet.servers.get('edge-a')!.getObject('apps/v1', 'Deployment', 'default', 'large-scale-app') as { spec: { replicas: number } })
            .spec.replicas,
        ).toBe(4);
        expect(fleet.servers.get('prod-01')!.requests.some((r) => r.path === '/readyz')).toBe(true);
        expect(await git(dir, 'log', '-1', '--format=%s', 'flotilla-status')).toBe(`flotilla: Synced at ${commit}`);
        const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml'));
        expect(status.health).toBe('Healthy');
        expect(Object.keys(status.clusters)).toHaveLength(8);

        // A second process: the inventory in the cache and the live state agree, so nothing is written.
        for (const s of fleet.servers.values()) s.clearRequests();
        const again = fakeIO();
        expect(await makeReconcileCommand({ env: {} })(['--config', config, '--once'], again)).toBe(0);
        expect(writes(fleet)).toEqual([]);

        // `flotilla status` shows the live columns.
        const st = fakeIO();
        await makeStatusCommand({ env: {} })(['--config', config], st);
        expect(st.out).toMatch(/CLUSTER\s+REACHABLE\s+APPLIED\s+UNCHANGED\s+DELETED\s+FAILED\s+READY\s+HEALTH\s+DRIFTED\s+MESSAGE/);
      } finally {
        await fleet.close();
      }
    },
  );
});
