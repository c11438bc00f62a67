// Renders every kustomize overlay under deploy/ with `kubectl kustomize` and checks the objects a
// user relies on: least-privilege RBAC, probes, a restrictive securityContext, the config, and the
// HA overlay's replicas, sharding and PodDisruptionBudget, the persistent-cache overlay's claim, and
// the ha-persistent-cache overlay's StatefulSet (the HA pod template, each replica's cache on a claim).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../../deploy');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };

function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAS_KUBECTL = kubectlAvailable();
if (!HAS_KUBECTL)
  console.warn('test/deploy: kubectl not found; the kustomize overlays are not rendered (install kubectl to run these tests)');

function render(overlay: string): Obj[] {
  const text = execFileSync('kubectl', ['kustomize', path.join(ROOT, overlay)], { encoding: 'utf8' });
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}
const find = (objs: Obj[], kind: string, name?: string) =>
  objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

const overlays = fs
  .readdirSync(ROOT)
  .filter((d) => fs.existsSync(path.join(ROOT, d, 'kustomization.yaml')))
  .sort();

describe.skipIf(!HAS_KUBECTL)('deploy/ overlays (kubectl kustomize)', () => {
  it('the overlays are base, ha, ha-persistent-cache and persistent-cache', () => {
    expect(overlays).toEqual(['base', 'ha', 'ha-persistent-cache', 'persistent-cache']);
  });

  for (const overlay of overlays) {
    describe(overlay, () => {
      const objs = HAS_KUBECTL ? render(overlay) : [];
      // The pods' owner: a Deployment, or the StatefulSet of ha-persistent-cache.
      const deployment = (find(objs, 'Deployment', 'flotilla') ?? find(objs, 'StatefulSet', 'flotilla'))!;
      const pod = deployment?.spec.template.spec;
      const container = pod?.containers[0];

      it(
        'every namespaced object is in flotilla-system; Namespace, ServiceAccount, Role, ' +
          'RoleBinding, one Deployment or StatefulSet, Service and ConfigMap are there',
        () => {
          for (const kind of ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Service', 'ConfigMap'])
            expect(find(objs, kind), kind).toBeDefined();
          expect(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')).toEqual([deployment]);
          for (const o of objs)
            if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('flotilla-system');
        },
      );

      it(
        'RBAC is least privilege: no ClusterRole, one rule — Leases of its own namespace, ' +
          'get/list/create/update only (no watch, no delete, no Secrets)',
        () => {
          expect(objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
          const role = find(objs, 'Role')!;
          expect(role.rules).toEqual([
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update'] },
          ]);
          const binding = find(objs, 'RoleBinding')!;
          expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'flotilla', namespace: 'flotilla-system' }]);
        },
      );

      it('the kubeconfig Secret reaches the pod as a read-only volume (the ServiceAccount cannot read it)', () => {
        const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'flotilla-kubeconfigs');
        expect(volume).toBeDefined();
        expect(container.volumeMounts.find((m: any) => m.name === volume.name)).toMatchObject({ readOnly: true });
      });

      it('the pod runs as non-root with a read-only root file system, no privilege escalation, all capabilities dropped', () => {
        expect(pod.serviceAccountName).toBe('flotilla');
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        });
        // The only writable paths are volumes: the cache and /tmp.
        expect(
          container.volumeMounts
            .filter((m: any) => !m.readOnly)
            .map((m: any) => m.mountPath)
            .sort(),
        ).toEqual(['/tmp', '/var/cache/flotilla']);
      });

      it('probes: liveness /healthz, readiness /readyz; resources requested; grace period above the 25 s shutdown bound', () => {
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits.memory).toBeDefined();
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(25);
      });

      it('the ConfigMap holds flotilla.yaml (mounted where the container reads it) and the Service targets the http port', () => {
        const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('flotilla-config'))!;
        const config = parse(cm.data['flotilla.yaml']);
        expect(config.source.cacheDir).toBe('/var/cache/flotilla');
        expect(config.server.listen).toMatch(/:8080$/);
        const configVolume = pod.volumes.find((v: any) => v.configMap);
        expect(configVolume.configMap.name).toBe(cm.metadata.name);
        expect(container.args).toEqual(['reconcile', '--config', '/etc/flotilla/flotilla.yaml']);
        const service = find(objs, 'Service')!;
        expect(service.spec.ports[0].targetPort).toBe('http');
        expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      });

      if (overlay === 'base') {
        it('base: one replica, Recreate (two unsharded replicas would both apply everything), no ha section', () => {
          expect(deployment.spec.replicas).toBe(1);
          expect(deployment.spec.strategy.type).toBe('Recreate');
          const cm = objs.find((o) => o.kind === 'ConfigMap')!;
          expect(parse(cm.data['flotilla.yaml']).ha).toBeUndefined();
        });
      }
      if (overlay === 'persistent-cache') {
        it('persistent-cache: the cache on a ReadWriteOnce claim held by one replica at a time (Recreate), the rest as the base', () => {
          const cache = pod.volumes.find((v: any) => v.name === 'cache');
          expect(cache).toEqual({ name: 'cache', persistentVolumeClaim: { claimName: 'flotilla-cache' } });
          const claim = find(objs, 'PersistentVolumeClaim', 'flotilla-cache')!;
          expect(claim.metadata.namespace).toBe('flotilla-system');
          expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
          expect(deployment.spec.replicas).toBe(1);
          expect(deployment.spec.strategy.type).toBe('Recreate');
          expect(pod.volumes.find((v: any) => v.name === 'tmp').emptyDir).toBeDefined();
        });
      }
      if (overlay === 'ha' || overlay === 'ha-persistent-cache') {
        it('ha: 3 replicas spread over nodes, sharding on in the config, a PodDisruptionBudget of maxUnavailable 1', () => {
          expect(deployment.spec.replicas).toBe(3);
          expect(pod.topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
          const cm = objs.find((o) => o.kind === 'ConfigMap')!;
          const ha = parse(cm.data['flotilla.yaml']).ha;
          expect(ha.shards).toBeGreaterThanOrEqual(3);
          expect(ha.leaseNamespace).toBe('flotilla-system');
          expect(ha.leaseDurationSeconds).toBeGreaterThan(ha.renewDeadlineSeconds);
          const pdb = find(objs, 'PodDisruptionBudget')!;
          expect(pdb.spec.maxUnavailable).toBe(1);
          expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
        });
      }
      if (overlay === 'ha-persistent-cache') {
        it('ha-persistent-cache: the ha pod template in a StatefulSet, each replica its cache on a ReadWriteOnce claim', () => {
          expect(deployment.kind).toBe('StatefulSet');
          expect(deployment.spec.replicas).toBe(3);
          expect(deployment.spec.podManagementPolicy).toBe('Parallel');
          expect(deployment.spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
          expect(find(objs, 'Service', deployment.spec.serviceName)).toBeDefined();
          // The template is the ha Deployment's, bar the emptyDir cache the claim template replaces.
          const ha = find(render('ha'), 'Deployment', 'flotilla')!.spec.template;
          const { volumes, ...rest } = ha.spec;
          expect(deployment.spec.template).toEqual({
            ...ha,
            spec: { ...rest, volumes: volumes.filter((v: any) => v.name !== 'cache') },
          });
          expect(pod.volumes.find((v: any) => v.name === 'cache')).toBeUndefined();
          expect(deployment.spec.volumeClaimTemplates).toHaveLength(1);
          const claim = deployment.spec.volumeClaimTemplates[0];
          expect(claim.metadata.name).toBe('cache');
          expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
          expect(container.volumeMounts.find((m: any) => m.name === 'cache').mountPath).toBe('/var/cache/flotilla');
          // A replica's stable name is its lease identity.
          const cm = objs.find((o) => o.kind === 'ConfigMap')!;
          const config = parse(cm.data['flotilla.yaml']);
          expect(config.ha.identityEnv).toBe('POD_NAME');
          expect(container.env.find((e: any) => e.name === 'POD_NAME').valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
          expect(find(objs, 'PodDisruptionBudget')!.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
          expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
        });
      }
    });
  }
});

describe('deploy/Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  it('multi-stage on Node 20, npm ci then npm prune --omit=dev, runs as a numeric non-root user', () => {
    const froms = text.split('\n').filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:20[-.]/);
    expect(text.indexOf('npm ci')).toBeLessThan(text.indexOf('npm prune --omit=dev'));
    expect(text).toMatch(/\nUSER [1-9][0-9]*:[1-9][0-9]*\n/);
  });
});
