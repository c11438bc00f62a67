// The flotilla.yaml that deploy/base and deploy/ha put into the flotilla-config ConfigMap (kustomize's
// configMapGenerator copies the file verbatim) loads with the config loader, with the environment
// the Deployment gives the container — so `kubectl apply -k deploy/…` starts a reconciler instead
// of a pod that exits on `unknown field`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { FlotillaError } from '../../src/model/diagnostics.js';

const DEPLOY = path.resolve(import.meta.dirname, '../../deploy');
/** What the Deployment's env sets (POD_NAME from the downward API, the two Secrets). */
const POD_ENV = { POD_NAME: 'flotilla-7d9f-abcde', GIT_TOKEN: 'ghp_example_token', WEBHOOK_SECRET: '0123456789abcdef0123456789abcdef' };

async function loadOverlay(overlay: 'base' | 'ha', env: NodeJS.ProcessEnv = POD_ENV) {
  const file = path.join(DEPLOY, overlay, 'flotilla.yaml');
  // The ConfigMap is mounted at /etc/flotilla/flotilla.yaml: relative paths resolve there.
  return parseConfig(await readFile(file, 'utf8'), { file, env, baseDir: '/etc/flotilla' });
}

describe('deploy/ ConfigMaps load with the config loader', () => {
  it('base: one replica, server on 0.0.0.0:8080 with the webhook secret from WEBHOOK_SECRET, no ha, the mounted kubeconfig', async () => {
    const loaded = await loadOverlay('base');
    expect(loaded.config.server).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      shutdownTimeoutSeconds: 25,
      webhook: { secretEnv: 'WEBHOOK_SECRET', allowUnsigned: false },
    });
    expect(loaded.webhookSecret).toBe(POD_ENV.WEBHOOK_SECRET);
    expect(loaded.config.ha).toBeNull();
    expect(loaded.config.targets).toMatchObject([{ type: 'kubernetes', kubeconfig: '/etc/flotilla/kubeconfig/config' }]);
    expect(loaded.config.source.cacheDir).toBe('/var/cache/flotilla');
    expect(loaded.credentials).toEqual({ username: 'x-access-token', password: POD_ENV.GIT_TOKEN });
    // Neither secret is in the config itself (it is logged and printed by doctor).
    expect(JSON.stringify(loaded.config)).not.toContain(POD_ENV.WEBHOOK_SECRET);
  });

  it(
    'ha: 12 shards on Leases in flotilla-system, identity from POD_NAME, client-go timing ' + '15/10/2 s, in-cluster ServiceAccount',
    async () => {
      const { config } = await loadOverlay('ha');
      expect(config.ha).toEqual({
        shards: 12,
        leaseNamespace: 'flotilla-system',
        leaseName: 'flotilla',
        identityEnv: 'POD_NAME',
        kubeconfig: null,
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      });
      expect(config.server).toMatchObject({ port: 8080, webhook: { secretEnv: 'WEBHOOK_SECRET' } });
    },
  );

  it(
    'the shutdown bound (25 s) stays under the pod grace period, and the env names the configs ' + 'use are all set by the Deployment',
    async () => {
      const deployment = parse(await readFile(path.join(DEPLOY, 'base/deployment.yaml'), 'utf8'));
      const pod = deployment.spec.template.spec;
      const envNames = new Set<string>(pod.containers[0].env.map((e: { name: string }) => e.name));
      for (const overlay of ['base', 'ha'] as const) {
        const { config } = await loadOverlay(overlay);
        expect(config.server!.shutdownTimeoutSeconds).toBeLessThan(pod.terminationGracePeriodSeconds);
        const used = [config.server!.webhook!.secretEnv, config.source.auth?.tokenEnv, config.ha?.identityEnv].filter(
          (n): n is string => typeof n === 'string',
        );
        for (const name of used) expect(envNames.has(name), `${overlay}: ${name}`).toBe(true);
      }
    },
  );

  it('the V8 heap is capped (NODE_OPTIONS) well under the memory limit: a pass collects before the container is killed', async () => {
    const deployment = parse(await readFile(path.join(DEPLOY, 'base/deployment.yaml'), 'utf8'));
    const container = deployment.spec.template.spec.containers[0];
    const options = container.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS')?.value as string | undefined;
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(options ?? '')?.[1]);
    const limit = /^(\d+)Gi$/.exec(container.resources.limits.memory);
    expect(limit).not.toBeNull();
    expect(heapMiB).toBeGreaterThan(0);
    expect(heapMiB).toBeLessThanOrEqual((Number(limit![1]) * 1024) / 2);
  });

  it('without the webhook Secret the pod refuses to start, naming the variable (never a secret value)', async () => {
    const { WEBHOOK_SECRET: _, ...withoutHook } = POD_ENV;
    const error = await loadOverlay('ha', withoutHook).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlotillaError);
    expect((error as FlotillaError).data.problems).toEqual([
      { path: 'server.webhook.secretEnv', message: 'environment variable WEBHOOK_SECRET is not set' },
    ]);
  });
});
