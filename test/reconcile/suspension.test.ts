// spec.suspension through the reconciler on two test API servers (docs/reference/semantics.md §2.4):
// the held cluster keeps the old version, and the status says so — the placement's
// suspendedClusters and the cluster's message.
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers } from '../helpers/kube.js';
import { captureLogger, configFrom, fakeClock, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

const CLUSTERS = ['a', 'b'].map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\n`).join('---\n');
const policy = (suspension = '') =>
  `apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p, namespace: default}\nspec:\n${suspension}` +
  `  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: one}]\n  placement:\n    clusterAffinity: {clusterNames: [a, b]}\n`;
const configMap = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: default}\ndata: {v: "${v}"}\n`;

describe('suspension in the reconciler', () => {
  it('a suspended cluster keeps the old version; status.yaml says suspended', async () => {
    const fleet = await startFleetApiServers(['a', 'b']);
    try {
      const { dir } = await makeRepo({ 'clusters.yaml': CLUSTERS, 'p.yaml': policy(), 'one.yaml': configMap('1') });
      const base = await makeTempDir('flotilla-suspension-');
      const config =
        `source: {url: ${dir}, cacheDir: cache}\n` + `targets:\n  - kubernetes: {kubeconfig: ${fleet.kubeconfigPath}, timeoutSeconds: 2}\n`;
      const { reconciler } = await reconcilerFor(configFrom(config, base), { clock: fakeClock(), log: captureLogger().log });
      const data = (c: string) => (fleet.servers.get(c)!.getObject('v1', 'ConfigMap', 'default', 'one') as any)?.data.v;
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      expect([data('a'), data('b')]).toEqual(['1', '1']);

      await commitFiles(
        dir,
        { 'p.yaml': policy('  suspension: {dispatchingOnClusters: {clusterNames: [b]}}\n'), 'one.yaml': configMap('2') },
        'hold b',
      );
      expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
      expect([data('a'), data('b')]).toEqual(['2', '1']);
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as any;
      expect(status.placements[0]).toMatchObject({ suspendedClusters: ['b'] });
      expect(status.clusters.b.message).toBe('1 object suspended (spec.suspension): left as it is');
      expect(status.clusters.a.message ?? null).toBeNull();
      reconciler.close();
    } finally {
      await fleet.close();
    }
  });
});
