// `flotilla doctor` with a kubernetes target: one line per member cluster of the seed fleet —
// credentials (a context named like it, a mapped context, an AttachedCluster secretRef file, or
// none) and /readyz within a short timeout — against test API servers (test doubles of
// kube-apiserver), one of them down and one hanging; neither keeps the others from being checked.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDoctorCommand } from '../../src/cli/commands/doctor.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, makeRepo, makeTempDir } from '../helpers/git.js';
import { SEED_CLUSTERS, startSeedFleet, writeFleetCredentials } from '../kube/harness.js';
import { seedFiles } from '../reconcile/harness.js';

afterAll(cleanupRepos);

describe('flotilla doctor with a kubernetes target', () => {
  it(
    'reports every cluster: reachable, down (ECONNREFUSED), hanging (timeout), no credentials; ' +
      'by context, mapping and secretRef; exit 1',
    async () => {
      // edge-a is cluster-zone-a's context (mapped in the config); prod-01 is reached only through
      // production-cluster-01's secretRef; cluster-zone-b has no credentials at all.
      const fleet = await startSeedFleet([...SEED_CLUSTERS, 'edge-a', 'prod-01']);
      try {
        const { dir } = await makeRepo(await seedFiles());
        const base = await makeTempDir('flotilla-doctor-kube-');
        await writeFleetCredentials(fleet, base);
        const config = path.join(base, 'flotilla.yaml');
        await fs.writeFile(
          config,
          `source: {url: ${dir}, cacheDir: cache}
targets:
  - kubernetes: {kubeconfig: kubeconfig, secretsDir: secrets, contexts: {cluster-zone-a: edge-a}, timeoutSeconds: 1}
`,
        );
        await fleet.servers.get('cluster-shanghai')!.goDown();
        fleet.servers.get('spot-cluster')!.addFault({ action: 'hang', path: /readyz/ });

        const io = fakeIO();
        const started = Date.now();
        expect(await makeDoctorCommand({ env: {} })(['--config', config], io)).toBe(1);
        // The hanging cluster costs one short timeout, not one per cluster.
        expect(Date.now() - started).toBeLessThan(5_000);
        const lines = io.out.split('\n').filter((l) => l.includes(' cluster ') || l.includes('clusters:'));
        expect(lines).toEqual([
          expect.stringMatching(
            new RegExp(
              '^✓ cluster cluster-frankfurt: credentials from context cluster-frankfurt; ' +
                'http://127\\.0\\.0\\.1:\\d+ answers /readyz \\(\\d+ ms\\)$',
            ),
          ),
          expect.stringMatching(/^✓ cluster cluster-hangzhou: credentials from context cluster-hangzhou; .* answers \/readyz/),
          expect.stringMatching(
            /^✗ cluster cluster-shanghai: credentials from context cluster-shanghai; http:\/\/127\.0\.0\.1:\d+ unreachable: .*ECONNREFUSED/,
          ),
          expect.stringMatching(/^✓ cluster cluster-zone-a: credentials from context edge-a; .* answers \/readyz/),
          expect.stringMatching(
            /^✗ cluster cluster-zone-b: no credentials: no connection: the kubeconfig has no context named cluster-zone-b/,
          ),
          expect.stringMatching(/^✓ cluster ondemand-cluster: credentials from context ondemand-cluster; /),
          expect.stringMatching(
            /^✓ cluster production-cluster-01: credentials from secret kurator-system\/cluster-01-kubeconfig; .* answers \/readyz/,
          ),
          expect.stringMatching(
            /^✗ cluster spot-cluster: credentials from context spot-cluster; .* unreachable: .*timed out after 1000 ms/,
          ),
          '! clusters: 5 of 8 reachable',
        ]);
        // The other checks still ran.
        expect(io.out).toMatch(/✓ source branch: main at [0-9a-f]{40}/);
        expect(io.out).not.toContain('token-');
      } finally {
        await fleet.close();
      }
    },
  );
});
