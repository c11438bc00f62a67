// propagateDeps through the reconciler into live clusters (Kubernetes test API servers): Karmada's
// documentation example ends with the ConfigMap on both member clusters, and when the workload
// moves, its ConfigMap moves with it (created on the new cluster, pruned from the old one).
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRepos, commitFiles, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { startFleetApiServers } from '../helpers/kube.js';
import { captureLogger, configFrom, fakeClock, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

const FLEET = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: default}
spec:
  clusters:
  - {name: member1, labels: {env: prod}}
  - {name: member2, labels: {env: prod}}
  - {name: member3, labels: {env: prod}}
`;
const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: my-nginx, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: my-nginx}}
  template:
    metadata: {labels: {app: my-nginx}}
    spec:
      containers:
      - {name: my-nginx, image: nginx, volumeMounts: [{name: configmap, mountPath: /configmap}]}
      volumes:
      - {name: configmap, configMap: {name: my-nginx-config}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: my-nginx-config, namespace: default}
data: {nginx.properties: 'proxy-connect-timeout: "10s"'}
`;
const policy = (clusters: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: my-nginx-propagation, namespace: default}
spec:
  propagateDeps: true
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: my-nginx}]
  placement:
    clusterAffinity: {clusterNames: [${clusters}]}
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
`;

describe('reconcile with propagateDeps (3 test API servers)', () => {
  it('the ConfigMap follows the Deployment to member1 and member2, then moves with it to member3', async () => {
    const fleet = await startFleetApiServers(['member1', 'member2', 'member3']);
    try {
      const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'app.yaml': APP, 'policy.yaml': policy('member1, member2') });
      const base = await makeTempDir('flotilla-deps-');
      const config = configFrom(
        `source: {url: ${dir}, cacheDir: cache}\ntargets:\n  - kubernetes: {kubeconfig: ${fleet.kubeconfigPath}, timeoutSeconds: 2}\n`,
        base,
      );
      const { reconciler } = await reconcilerFor(config, { clock: fakeClock(), log: captureLogger().log });
      const configOn = (cluster: string) => fleet.servers.get(cluster)!.getObject('v1', 'ConfigMap', 'default', 'my-nginx-config');
      const first = await reconciler.reconcileOnce();
      expect(first.phase).toBe('Progressing'); // applied everywhere; the test servers run no Deployment controller
      expect(['member1', 'member2', 'member3'].map((c) => !!configOn(c))).toEqual([true, true, false]);
      const status = parse(await git(dir, 'show', 'flotilla-status:status.yaml')) as { placements: Array<Record<string, any>> };
      const recorded = status.placements.find((p) => p.resource.kind === 'ConfigMap')!;
      expect(recorded.clusters.map((c: { name: string }) => c.name)).toEqual(['member1', 'member2']);

      await commitFiles(dir, { 'policy.yaml': policy('member2, member3') }, 'move my-nginx to member2 and member3');
      const second = await reconciler.reconcileOnce();
      expect(second.phase).toBe('Progressing');
      expect(['member1', 'member2', 'member3'].map((c) => !!configOn(c))).toEqual([false, true, true]);
      reconciler.close();
    } finally {
      await fleet.close();
    }
  });
});
