// Impersonation (issue 11): with `impersonate:` every request to a member cluster carries the
// Impersonate-User / Impersonate-Group headers, and an object of a scope path with its own identity
// is written as that identity — so the member cluster's RBAC decides. Checked on the test API
// server's request log, and against its stand-in RBAC (test/kube/server/impersonation.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import type { Impersonation } from '../../src/config/scope.js';
import { DEFAULT_KUBE_API_OPTIONS, KubeApi } from '../../src/kube/api.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { kubeconfigTransport, requestIdentity } from '../../src/kube/transport.js';
import { OVERRIDDEN_BY_ANNOTATION, SOURCE_ANNOTATION } from '../../src/objects/tracking.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';

let fleet: TestFleet | null = null;
afterEach(async () => {
  await fleet?.close();
  fleet = null;
});

const PLAN: Impersonation = {
  identity: { user: 'flotilla-deployer', groups: ['flotilla', 'deployers'] },
  paths: [
    { path: 'teams/payments', identity: { user: 'payments-deployer', groups: [] } },
    { path: 'teams/payments/shared', identity: null },
  ],
};

function configMap(namespace: string, name: string, source: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, annotations: { [SOURCE_ANNOTATION]: source } }, data: {} };
}

async function clientFor(imp: Impersonation | null, policy?: Parameters<typeof startFleetApiServers>[1]) {
  fleet = await startFleetApiServers(['c1'], { ...policy, namespaceDeletionDelayMs: 0 });
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfigText);
  const retry = { attempts: 1, initialDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
  const api = new KubeApi('c1', kubeconfigTransport(kc, { impersonation: imp }), { ...DEFAULT_KUBE_API_OPTIONS, timeoutMs: 2000, retry });
  return { api, server: fleet.servers.get('c1')! };
}

const apply = { fieldManager: 'flotilla', force: false, dryRun: false };

describe('impersonation headers', () => {
  it('requestIdentity: writes of a path with an identity use it; reads, deletes and other paths use the target’s', () => {
    const body = (source: string) => JSON.stringify(configMap('payments', 'x', source));
    const who = (req: Parameters<typeof requestIdentity>[1]) => requestIdentity(PLAN, req)?.user ?? null;
    expect(who({ method: 'PATCH', body: body('teams/payments/app.yaml') })).toBe('payments-deployer');
    expect(who({ method: 'PATCH', body: body('teams/payments/shared/cm.yaml') })).toBe('flotilla-deployer');
    expect(who({ method: 'PATCH', body: body('apps/web.yaml') })).toBe('flotilla-deployer');
    expect(who({ method: 'PATCH', body: body('(generated)') })).toBe('flotilla-deployer');
    expect(who({ method: 'GET' })).toBe('flotilla-deployer');
    expect(who({ method: 'DELETE' })).toBe('flotilla-deployer');
    expect(who({ method: 'PATCH', body: 'not json' })).toBe('flotilla-deployer');
    expect(requestIdentity(null, { method: 'PATCH', body: body('teams/payments/app.yaml') })).toBeNull();
  });

  it('requestIdentity: an object changed by overrides (flotilla.dev/overridden-by) of a path with an identity (red team)', () => {
    const plan: Impersonation = { ...PLAN, paths: [...PLAN.paths, { path: 'platform', identity: { user: 'platform-admin', groups: [] } }] };
    const who = (source: string, overriddenBy: string[]) => {
      const object = configMap('payments', 'x', source);
      (object.metadata as { annotations: Record<string, string> }).annotations[OVERRIDDEN_BY_ANNOTATION] = JSON.stringify(overriddenBy);
      return requestIdentity(plan, { method: 'PATCH', body: JSON.stringify(object) })?.user ?? null;
    };
    // An object of a path without an identity of its own, a team's override changed: the team's change, the team's identity.
    expect(who('apps/limits.yaml', ['teams/payments/loosen.yaml'])).toBe('payments-deployer');
    expect(who('apps/limits.yaml', ['teams/payments/loosen.yaml', 'platform/stamp.yaml'])).toBe('platform-admin');
    expect(who('apps/limits.yaml', ['apps/registry.yaml'])).toBe('flotilla-deployer');
    // An object whose path has an identity keeps it: the platform's policy does not lend the team its own.
    expect(who('teams/payments/app.yaml', ['platform/stamp.yaml'])).toBe('payments-deployer');
  });

  it('every request carries them — discovery, reads, applies, deletes, /readyz — each with its identity', async () => {
    const { api, server } = await clientFor(PLAN);
    server.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
    expect((await api.readyz(2000)).ok).toBe(true);
    await api.getJson('/api/v1');
    await api.apply('/api/v1/namespaces/payments/configmaps/app', configMap('payments', 'app', 'teams/payments/app.yaml'), apply);
    await api.apply('/api/v1/namespaces/default/configmaps/web', configMap('default', 'web', 'apps/web.yaml'), apply);
    await api.get('/api/v1/namespaces/payments/configmaps/app');
    await api.delete('/api/v1/namespaces/default/configmaps/web', { dryRun: false });
    api.close();
    expect(server.requests.map((r) => `${r.method} ${r.path} as ${r.impersonate?.user} [${r.impersonate?.groups.join(',')}]`)).toEqual([
      'GET /readyz as flotilla-deployer [flotilla,deployers]',
      'GET /api/v1 as flotilla-deployer [flotilla,deployers]',
      'PATCH /api/v1/namespaces/payments/configmaps/app as payments-deployer []',
      'PATCH /api/v1/namespaces/default/configmaps/web as flotilla-deployer [flotilla,deployers]',
      'GET /api/v1/namespaces/payments/configmaps/app as flotilla-deployer [flotilla,deployers]',
      'DELETE /api/v1/namespaces/default/configmaps/web as flotilla-deployer [flotilla,deployers]',
    ]);
    // The credentials are still the kubeconfig's: impersonation is on top of them.
    expect(server.requests.every((r) => r.credentials)).toBe(true);
  });

  it('without impersonation no header is sent', async () => {
    const { api, server } = await clientFor(null);
    await api.getJson('/api/v1');
    api.close();
    expect(server.requests.map((r) => r.impersonate)).toEqual([undefined]);
  });

  it("the cluster's RBAC decides: a write outside the impersonated identity's namespaces is 403, KUBE_FORBIDDEN", async () => {
    const { api, server } = await clientFor(PLAN, {
      impersonation: {
        require: true,
        rules: [
          { user: 'payments-deployer', namespaces: ['payments'] },
          { user: 'flotilla-deployer', namespaces: ['default'], clusterScoped: true },
        ],
      },
    });
    server.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } });
    server.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'orders' } });
    await api.apply('/api/v1/namespaces/payments/configmaps/app', configMap('payments', 'app', 'teams/payments/app.yaml'), apply);
    const refused = await api
      .apply('/api/v1/namespaces/orders/configmaps/app', configMap('orders', 'app', 'teams/payments/app.yaml'), apply)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect(refused).toMatchObject({ code: 'KUBE_FORBIDDEN' });
    expect((refused as Error).message).toContain(
      'configmaps "app" is forbidden: User "payments-deployer" cannot patch resource "configmaps" in API group "" in the namespace ' +
        '"orders"',
    );
    expect(server.getObject('v1', 'ConfigMap', 'orders', 'app')).toBeUndefined();
    expect(server.getObject('v1', 'ConfigMap', 'payments', 'app')).toBeDefined();
    api.close();
  });

  it('with require, a write that is not impersonated is refused (the kubeconfig user only reads)', async () => {
    const { api, server } = await clientFor(null, { impersonation: { require: true, rules: [] } });
    const refused = await api
      .apply('/api/v1/namespaces/default/configmaps/web', configMap('default', 'web', 'apps/web.yaml'), apply)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'KUBE_FORBIDDEN' });
    expect(await api.get('/api/v1/namespaces/default/configmaps/web')).toBeNull();
    expect(server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 403', 'GET 404']);
    api.close();
  });
});
