// Behaviour of the test API server (test/kube/server), the kube-apiserver test double that the
// apply, failover, leader-election and sharding tests run against.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startFleetApiServers } from '../helpers/kube.js';
import { fromFieldsV1, pathString, startTestApiServer, type KubeObject, type TestApiServer } from './server/index.js';

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One HTTP request to a test server, with its bearer token unless `token` says otherwise. */
async function call(
  server: TestApiServer,
  method: string,
  path: string,
  opts: { body?: unknown; type?: string; token?: string | null; accept?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? server.token : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  if (opts.accept) headers.accept = opts.accept;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(server.url + path, { method, headers, body, signal: opts.signal });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text (health endpoints)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Server-side apply as flotilla sends it: PATCH application/apply-patch+yaml with a field manager. */
function apply(
  server: TestApiServer,
  path: string,
  obj: object,
  manager: string,
  opts: { force?: boolean; dryRun?: boolean } = {},
): Promise<Answer> {
  const q = new URLSearchParams({ fieldManager: manager });
  if (opts.force) q.set('force', 'true');
  if (opts.dryRun) q.set('dryRun', 'All');
  return call(server, 'PATCH', `${path}?${q}`, { body: YAML.stringify(obj), type: 'application/apply-patch+yaml' });
}

const DEPLOY_PATH = '/apis/apps/v1/namespaces/default/deployments/web';

/** A Deployment as a user writes it. */
function deployment(
  opts: { replicas?: number; image?: string; env?: { name: string; value: string }[]; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: opts.labels ?? { app: 'web' } },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: opts.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }], ...(opts.env ? { env: opts.env } : {}) },
          ],
        },
      },
    },
  };
}

function configMap(
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = { a: '1' },
  namespace = 'default',
): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data };
}

/** The paths a manager owns, as the API server prints them. */
function owned(obj: KubeObject, manager: string): string[] {
  const entry = obj.metadata?.managedFields?.find((e) => e.manager === manager);
  return entry ? [...fromFieldsV1(entry.fieldsV1).values()].map(pathString).sort() : [];
}

let server: TestApiServer;
beforeEach(async () => {
  server = await startTestApiServer({ name: 'east' });
});
afterEach(async () => {
  await server.close();
});

describe('discovery and health', () => {
  it('serves /version, /api, /apis and group versions with name, singularName, namespaced, kind and verbs', async () => {
    expect((await call(server, 'GET', '/version')).body.gitVersion).toMatch(/^v1\.32\./);
    expect((await call(server, 'GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await call(server, 'GET', '/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining([
        'apps',
        'batch',
        'autoscaling',
        'networking.k8s.io',
        'rbac.authorization.k8s.io',
        'coordination.k8s.io',
        'apiextensions.k8s.io',
      ]),
    );
    const apps = (await call(server, 'GET', '/apis/apps/v1')).body;
    expect(apps.resources).toContainEqual(
      expect.objectContaining({
        name: 'deployments',
        singularName: 'deployment',
        namespaced: true,
        kind: 'Deployment',
        verbs: expect.arrayContaining(['get', 'list', 'create', 'update', 'patch', 'delete']),
      }),
    );
    const core = (await call(server, 'GET', '/api/v1')).body;
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'nodes', namespaced: false, kind: 'Node' }));
    expect((await call(server, 'GET', '/apis/coordination.k8s.io/v1')).body.resources[0]).toMatchObject({ name: 'leases', kind: 'Lease' });
    expect((await call(server, 'GET', '/apis/no.such.group/v1')).status).toBe(404);
  });

  it('/readyz, /livez and /healthz answer ok without a token', async () => {
    for (const path of ['/readyz', '/livez', '/healthz'])
      expect(await call(server, 'GET', path, { token: null })).toMatchObject({ status: 200, body: 'ok' });
  });

  it('a missing or wrong bearer token is 401 Unauthorized as a metav1.Status', async () => {
    for (const token of [null, 'token-west']) {
      const answer = await call(server, 'GET', '/api/v1/namespaces', { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  it('a trickle fault serves the right answer, 16 bytes every 20 ms: slow, complete, only for the requests it matches', async () => {
    server.addFault({ action: 'trickle', bytesPerChunk: 16, intervalMs: 20, path: /^\/api\/v1\/namespaces$/ });
    const started = Date.now();
    const slow = await call(server, 'GET', '/api/v1/namespaces');
    const took = Date.now() - started;
    const length = JSON.stringify(slow.body).length;
    expect(slow.status).toBe(200);
    expect(slow.body.items.map((n: KubeObject) => n.metadata!.name)).toContain('kube-system');
    expect(took).toBeGreaterThanOrEqual(Math.floor(length / 16) * 20 * 0.8);
    expect(server.requests.at(-1)!.fault).toBe('trickle');
    const fastStarted = Date.now();
    expect((await call(server, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
    expect(Date.now() - fastStarted).toBeLessThan(took / 2);
  });

  it('watch streams ADDED for current objects, then MODIFIED and DELETED as JSON lines', async () => {
    server.putObject(configMap('a', { app: 'x' }));
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dx`, {
      headers: { authorization: `Bearer ${server.token}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const events: { type: string; name: string }[] = [];
    let buffered = '';
    const next = async (count: number) => {
      while (events.length < count) {
        const { value } = await reader.read();
        buffered += new TextDecoder().decode(value);
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line) events.push({ type: JSON.parse(line).type, name: JSON.parse(line).object.metadata.name });
      }
    };
    await next(1);
    server.putObject(configMap('b', { app: 'y' })); // not selected
    server.putObject(configMap('a', { app: 'x' }, { a: '2' }));
    server.deleteObject('v1', 'ConfigMap', 'default', 'a');
    await next(3);
    controller.abort();
    expect(events).toEqual([
      { type: 'ADDED', name: 'a' },
      { type: 'MODIFIED', name: 'a' },
      { type: 'DELETED', name: 'a' },
    ]);
  });
});

describe('CRUD', () => {
  it('create → 201 with uid, resourceVersion, generation 1 and creationTimestamp; again → 409 AlreadyExists', async () => {
    const created = await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('cfg') });
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({
      name: 'cfg',
      namespace: 'default',
      generation: 1,
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceVersion: expect.stringMatching(/^\d+$/),
      creationTimestamp: expect.stringMatching(/Z$/),
    });
    const again = await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('cfg') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      kind: 'Status',
      reason: 'AlreadyExists',
      code: 409,
      message: 'configmaps "cfg" already exists',
      details: { name: 'cfg', kind: 'configmaps' },
    });
  });

  it('PUT with the current resourceVersion → 200 and a higher resourceVersion; with a stale one → 409 Conflict', async () => {
    const created = (await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('cfg') })).body;
    const updated = await call(server, 'PUT', '/api/v1/namespaces/default/configmaps/cfg', { body: { ...created, data: { a: '2' } } });
    expect(updated.status).toBe(200);
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await call(server, 'PUT', '/api/v1/namespaces/default/configmaps/cfg', { body: { ...created, data: { a: '3' } } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified') });
    expect(server.getObject('v1', 'ConfigMap', 'default', 'cfg')?.data).toEqual({ a: '2' });
  });

  it('GET of a missing object → 404 NotFound naming the resource and group', async () => {
    const answer = await call(server, 'GET', DEPLOY_PATH);
    expect(answer.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'deployments.apps "web" not found',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
  });

  it('DELETE accepts propagationPolicy and returns the object; the object is gone', async () => {
    await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('cfg') });
    const deleted = await call(server, 'DELETE', '/api/v1/namespaces/default/configmaps/cfg', {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
    expect(deleted).toMatchObject({ status: 200, body: { metadata: { name: 'cfg' } } });
    expect((await call(server, 'GET', '/api/v1/namespaces/default/configmaps/cfg')).status).toBe(404);
  });

  it('creating in a missing namespace → 404; a deleted namespace is Terminating, then goes with its objects', async () => {
    expect(
      (await call(server, 'POST', '/api/v1/namespaces/shop/configmaps', { body: configMap('cfg', {}, {}, 'shop') })).body,
    ).toMatchObject({ code: 404, message: 'namespaces "shop" not found' });
    await call(server, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } });
    expect((await call(server, 'POST', '/api/v1/namespaces/shop/configmaps', { body: configMap('cfg', {}, {}, 'shop') })).status).toBe(201);
    expect((await call(server, 'GET', '/api/v1/namespaces/shop')).body.status).toEqual({ phase: 'Active' });
    const deleted = await call(server, 'DELETE', '/api/v1/namespaces/shop');
    expect(deleted.body).toMatchObject({ metadata: { deletionTimestamp: expect.any(String) }, status: { phase: 'Terminating' } });
    // Terminating: existing objects are still there, new ones are refused.
    expect((await call(server, 'GET', '/api/v1/namespaces/shop/configmaps/cfg')).status).toBe(200);
    expect(
      (await call(server, 'POST', '/api/v1/namespaces/shop/configmaps', { body: configMap('new', {}, {}, 'shop') })).body,
    ).toMatchObject({ code: 403, reason: 'Forbidden' });
    await new Promise((resolve) => setTimeout(resolve, 150)); // namespaceDeletionDelayMs defaults to 100
    expect((await call(server, 'GET', '/api/v1/namespaces/shop/configmaps/cfg')).status).toBe(404);
    expect((await call(server, 'GET', '/api/v1/namespaces/shop')).status).toBe(404);
    expect(server.listObjects('v1', 'ConfigMap', 'shop')).toEqual([]);
  });

  it('generation is bumped by a spec change, not by a label change', async () => {
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    const relabelled = await apply(server, DEPLOY_PATH, deployment({ labels: { app: 'web', tier: 'front' } }), 'flotilla');
    expect(relabelled.body.metadata.generation).toBe(1);
    const scaled = await apply(server, DEPLOY_PATH, deployment({ replicas: 3, labels: { app: 'web', tier: 'front' } }), 'flotilla');
    expect(scaled.body.metadata.generation).toBe(2);
  });

  it('status subresource: PUT …/status changes only status, and main-resource writes keep status', async () => {
    const created = (await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).body;
    expect(created.status).toBeUndefined();
    const withStatus = await call(server, 'PUT', `${DEPLOY_PATH}/status`, {
      body: { ...created, spec: { ...created.spec, replicas: 9 }, status: { readyReplicas: 2, observedGeneration: 1 } },
    });
    expect(withStatus.body.status).toEqual({ readyReplicas: 2, observedGeneration: 1 });
    expect(withStatus.body.spec.replicas).toBe(2);
    const mainWrite = await call(server, 'PUT', DEPLOY_PATH, {
      body: { ...withStatus.body, spec: { ...withStatus.body.spec, replicas: 4 }, status: {} },
    });
    expect(mainWrite.body.status).toEqual({ readyReplicas: 2, observedGeneration: 1 });
    expect(
      mainWrite.body.metadata.managedFields.map((e: { manager: string; subresource?: string }) => [e.manager, e.subresource ?? '']),
    ).toContainEqual(['node', 'status']);
  });

  it('422 Invalid for a missing name, a bad name and a selector that does not match the template; 400 for a wrong kind', async () => {
    const noName = await call(server, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    });
    expect(noName.body).toMatchObject({
      reason: 'Invalid',
      code: 422,
      details: { causes: [{ type: 'FieldValueRequired', field: 'metadata.name' }] },
    });
    expect(noName.body.message).toContain('metadata.name: Required value: name or generateName is required');
    const badName = await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: configMap('Bad_Name') });
    expect(badName.body).toMatchObject({ code: 422, details: { causes: [{ type: 'FieldValueInvalid', field: 'metadata.name' }] } });
    const mismatch = deployment();
    (mismatch.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } };
    expect((await apply(server, DEPLOY_PATH, mismatch, 'flotilla')).body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: expect.stringContaining('`selector` does not match template `labels`'),
    });
    const wrongKind = await call(server, 'POST', '/api/v1/namespaces/default/configmaps', { body: { ...configMap('x'), kind: 'Secret' } });
    expect(wrongKind).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
  });
});

describe('lists and selectors', () => {
  beforeEach(async () => {
    await call(server, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } } });
    server.putObject(configMap('a', { app: 'x', tier: 'front' }));
    server.putObject(configMap('b', { app: 'y', tier: 'back' }));
    server.putObject(configMap('c', { app: 'x' }, {}, 'shop'));
  });
  const names = async (path: string): Promise<string[]> =>
    (await call(server, 'GET', path)).body.items.map((i: KubeObject) => i.metadata?.name);

  it('namespaced and all-namespaces lists, with the list resourceVersion', async () => {
    expect(await names('/api/v1/namespaces/default/configmaps')).toEqual(['a', 'b']);
    expect(await names('/api/v1/configmaps')).toEqual(['a', 'b', 'c']);
    const list = (await call(server, 'GET', '/api/v1/configmaps')).body;
    expect(list).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(await names('/api/v1/namespaces')).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system', 'shop']);
  });

  it.each([
    ['app=x', ['a', 'c']],
    ['app==x', ['a', 'c']],
    ['app!=x', ['b']],
    ['app in (x,y),tier', ['a', 'b']],
    ['tier notin (front)', ['b', 'c']],
    ['!tier', ['c']],
    ['app=x,tier=front', ['a']],
  ])('labelSelector %s → %j', async (selector, expected) => {
    expect(await names(`/api/v1/configmaps?labelSelector=${encodeURIComponent(selector)}`)).toEqual(expected);
  });

  it('fieldSelector metadata.name and metadata.namespace', async () => {
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names('/api/v1/configmaps?fieldSelector=metadata.namespace%21%3Ddefault')).toEqual(['c']);
  });

  it('limit and continue page through a list of 3 as 2 + 1', async () => {
    const first = (await call(server, 'GET', '/api/v1/configmaps?limit=2')).body;
    expect(first.items.map((i: KubeObject) => i.metadata?.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(1);
    expect(await names(`/api/v1/configmaps?limit=2&continue=${first.metadata.continue}`)).toEqual(['c']);
  });

  it('a Table is served when asked for (kubectl get)', async () => {
    const table = (
      await call(server, 'GET', '/api/v1/namespaces/default/configmaps', {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      })
    ).body;
    expect(table.kind).toBe('Table');
    expect(table.rows.map((r: { cells: unknown[] }) => r.cells[0])).toEqual(['a', 'b']);
  });
});

describe('patches', () => {
  it('merge patch, strategic merge patch (as merge) and JSON patch', async () => {
    server.putObject(configMap('cfg', { app: 'x' }, { a: '1', b: '2' }));
    const merged = await call(server, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      body: { data: { a: null, c: '3' } },
      type: 'application/merge-patch+json',
    });
    expect(merged.body.data).toEqual({ b: '2', c: '3' });
    const strategic = await call(server, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      body: { metadata: { labels: { tier: 'front' } } },
      type: 'application/strategic-merge-patch+json',
    });
    expect(strategic.body.metadata.labels).toEqual({ app: 'x', tier: 'front' });
    const json = await call(server, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      body: [
        { op: 'replace', path: '/data/b', value: '20' },
        { op: 'remove', path: '/metadata/labels/app' },
      ],
      type: 'application/json-patch+json',
    });
    expect(json.body.data).toEqual({ b: '20', c: '3' });
    expect(json.body.metadata.labels).toEqual({ tier: 'front' });
    const failedTest = await call(server, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg', {
      body: [{ op: 'test', path: '/data/b', value: 'nope' }],
      type: 'application/json-patch+json',
    });
    expect(failedTest.status).toBe(422);
  });

  it('a merge patch may rewrite managedFields: one manager removed, its fields stay; [{}] clears all; [] changes nothing', async () => {
    const path = '/api/v1/namespaces/default/configmaps/shared';
    server.putObject(configMap('shared', {}, { a: '1' }), 'kubectl');
    const applied = await apply(server, path, configMap('shared', { team: 'x' }, { a: '1', b: '2' }), 'flotilla', { force: true });
    expect(applied.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['kubectl', 'flotilla']);
    const without = applied.body.metadata.managedFields.filter((e: { manager: string }) => e.manager !== 'flotilla');
    const released = await call(server, 'PATCH', `${path}?fieldManager=flotilla`, {
      body: { metadata: { resourceVersion: applied.body.metadata.resourceVersion, managedFields: without, labels: { team: null } } },
      type: 'application/merge-patch+json',
    });
    expect(released.status).toBe(200);
    // flotilla's entry is gone and the patch (which only removed a label) adds none; the data it applied stays.
    expect(released.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['kubectl']);
    expect(released.body.data).toEqual({ a: '1', b: '2' });
    expect(released.body.metadata.labels ?? {}).toEqual({});
    // A stale resourceVersion is a 409: the rewrite never overwrites a newer managedFields.
    const stale = await call(server, 'PATCH', `${path}?fieldManager=flotilla`, {
      body: { metadata: { resourceVersion: applied.body.metadata.resourceVersion, managedFields: [{}] } },
      type: 'application/merge-patch+json',
    });
    expect(stale.status).toBe(409);
    const empty = await call(server, 'PATCH', path, { body: { metadata: { managedFields: [] } }, type: 'application/merge-patch+json' });
    expect(empty.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['kubectl']);
    const cleared = await call(server, 'PATCH', path, {
      body: { metadata: { managedFields: [{}] } },
      type: 'application/merge-patch+json',
    });
    expect(cleared.body.metadata.managedFields ?? []).toEqual([]);
    // A JSON patch does the same.
    const again = await apply(server, path, configMap('shared', {}, { a: '1' }), 'flotilla');
    expect(again.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['flotilla']);
    const json = await call(server, 'PATCH', path, {
      body: [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }],
      type: 'application/json-patch+json',
    });
    expect(json.body.metadata.managedFields ?? []).toEqual([]);
  });
});

describe('server-side apply', () => {
  it('creates with 201 and records the manager, operation Apply and FieldsV1 with containers, ports and env keyed', async () => {
    const created = await apply(server, DEPLOY_PATH, deployment({ env: [{ name: 'A', value: '1' }] }), 'flotilla');
    expect(created.status).toBe(201);
    const entry = created.body.metadata.managedFields[0];
    expect(entry).toMatchObject({ manager: 'flotilla', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' });
    const containers = entry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers'];
    expect(containers['k:{"name":"web"}']['.']).toEqual({});
    expect(containers['k:{"name":"web"}']['f:env']['k:{"name":"A"}']).toEqual({ '.': {}, 'f:name': {}, 'f:value': {} });
    expect(containers['k:{"name":"web"}']['f:ports']['k:{"containerPort":80,"protocol":"TCP"}']).toEqual({
      '.': {},
      'f:containerPort': {},
    });
    expect(owned(created.body, 'flotilla')).toContain('.spec.template.spec.containers[name="web"].image');
  });

  it('re-applying the same config is a no-op: same resourceVersion, nothing written', async () => {
    const first = (await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).body;
    const second = (await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).body;
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });

  it('another manager changing an owned field → 409 Conflict listing each field in status.details.causes', async () => {
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    const answer = await apply(server, DEPLOY_PATH, deployment({ replicas: 5, image: 'nginx:1.28' }), 'hpa-tuner');
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(answer.body.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "flotilla":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
    expect(answer.body.details.causes).toEqual([
      { type: 'FieldManagerConflict', message: 'conflict with "flotilla"', field: '.spec.replicas' },
      { type: 'FieldManagerConflict', message: 'conflict with "flotilla"', field: '.spec.template.spec.containers[name="web"].image' },
    ]);
    expect(server.getObject('apps/v1', 'Deployment', 'default', 'web')?.spec).toMatchObject({ replicas: 2 });
  });

  it('applying the same value as the owner is not a conflict: the field becomes co-owned', async () => {
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    const answer = await apply(
      server,
      DEPLOY_PATH,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } },
      'hpa-tuner',
    );
    expect(answer.status).toBe(200);
    expect(owned(answer.body, 'hpa-tuner')).toEqual(['.spec.replicas']);
    expect(owned(answer.body, 'flotilla')).toContain('.spec.replicas');
  });

  it('force=true takes the conflicting fields over: the old owner no longer owns them', async () => {
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    const answer = await apply(
      server,
      DEPLOY_PATH,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 7 } },
      'hpa-tuner',
      { force: true },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.spec.replicas).toBe(7);
    expect(owned(answer.body, 'hpa-tuner')).toEqual(['.spec.replicas']);
    expect(owned(answer.body, 'flotilla')).not.toContain('.spec.replicas');
    // flotilla re-applying replicas: 2 now conflicts with hpa-tuner.
    const back = await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    expect(back.body.details.causes).toEqual([
      { type: 'FieldManagerConflict', message: 'conflict with "hpa-tuner"', field: '.spec.replicas' },
    ]);
  });

  it('fields a manager stops applying are removed (label, env entry, container port) when nobody else owns them', async () => {
    await apply(
      server,
      DEPLOY_PATH,
      deployment({
        labels: { app: 'web', tier: 'front' },
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      }),
      'flotilla',
    );
    const next = deployment({ env: [{ name: 'A', value: '1' }] });
    const containers = (next.spec as any).template.spec.containers;
    delete containers[0].ports;
    const answer = await apply(server, DEPLOY_PATH, next, 'flotilla');
    expect(answer.body.metadata.labels).toEqual({ app: 'web' });
    expect(answer.body.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    expect(answer.body.spec.template.spec.containers[0].ports).toBeUndefined();
  });

  it('a field another manager also owns stays when one manager stops applying it', async () => {
    await apply(server, '/api/v1/namespaces/default/configmaps/cfg', configMap('cfg', {}, { a: '1', b: '2' }), 'flotilla');
    await apply(
      server,
      '/api/v1/namespaces/default/configmaps/cfg',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { b: '2' } },
      'other',
    );
    const answer = await apply(server, '/api/v1/namespaces/default/configmaps/cfg', configMap('cfg', {}, {}), 'flotilla');
    expect(answer.body.data).toEqual({ b: '2' });
  });

  it('a PUT by another writer takes the fields it changed (operation Update); a later apply conflicts with it', async () => {
    const created = (await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).body;
    const edited = await call(server, 'PUT', `${DEPLOY_PATH}?fieldManager=kubectl-edit`, {
      body: { ...created, spec: { ...created.spec, replicas: 3 } },
    });
    expect(owned(edited.body, 'kubectl-edit')).toEqual(['.spec.replicas']);
    expect(owned(edited.body, 'flotilla')).not.toContain('.spec.replicas');
    const answer = await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    expect(answer.body.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas');
  });

  it('fieldManager is required; a body for another kind or name is 400', async () => {
    const noManager = await call(server, 'PATCH', DEPLOY_PATH, {
      body: YAML.stringify(deployment()),
      type: 'application/apply-patch+yaml',
    });
    expect(noManager.status).toBe(400);
    expect((await apply(server, '/apis/apps/v1/namespaces/default/deployments/other', deployment(), 'flotilla')).status).toBe(400);
  });
});

describe('dryRun=All', () => {
  it('create, apply, patch and delete return their result and persist nothing', async () => {
    const before = server.api.store.resourceVersion;
    const created = await call(server, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { body: configMap('cfg') });
    expect(created.status).toBe(201);
    expect(created.body.metadata.uid).toBeDefined();
    expect((await apply(server, DEPLOY_PATH, deployment(), 'flotilla', { dryRun: true })).body.spec.replicas).toBe(2);
    expect(server.getObject('v1', 'ConfigMap', 'default', 'cfg')).toBeUndefined();
    expect(server.getObject('apps/v1', 'Deployment', 'default', 'web')).toBeUndefined();
    expect(server.api.store.resourceVersion).toBe(before);
    server.putObject(configMap('cfg'));
    const patched = await call(server, 'PATCH', '/api/v1/namespaces/default/configmaps/cfg?dryRun=All', {
      body: { data: { a: '9' } },
      type: 'application/merge-patch+json',
    });
    expect(patched.body.data).toEqual({ a: '9' });
    expect((await call(server, 'DELETE', '/api/v1/namespaces/default/configmaps/cfg?dryRun=All')).status).toBe(200);
    expect(server.getObject('v1', 'ConfigMap', 'default', 'cfg')?.data).toEqual({ a: '1' });
    // Invalid objects fail a dry run the same way.
    expect((await call(server, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { body: configMap('Bad_Name') })).status).toBe(
      422,
    );
  });
});

describe('CustomResourceDefinitions', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'virtualservices.networking.istio.io' },
    spec: {
      group: 'networking.istio.io',
      names: { plural: 'virtualservices', singular: 'virtualservice', kind: 'VirtualService', shortNames: ['vs'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
        {
          name: 'v1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
        { name: 'v1alpha3', served: false, storage: false },
      ],
    },
  };

  it('creating a CRD registers its served versions and scope in discovery; deleting it removes kinds and objects', async () => {
    expect((await call(server, 'GET', '/apis/networking.istio.io/v1beta1')).status).toBe(404);
    const created = await apply(server, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd, 'flotilla');
    expect(created.body.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
    expect((await call(server, 'GET', '/apis/networking.istio.io')).body).toMatchObject({
      preferredVersion: { version: 'v1' },
      versions: [{ version: 'v1' }, { version: 'v1beta1' }],
    });
    expect((await call(server, 'GET', '/apis/networking.istio.io/v1alpha3')).status).toBe(404);
    expect((await call(server, 'GET', '/apis/networking.istio.io/v1beta1')).body.resources).toContainEqual(
      expect.objectContaining({ name: 'virtualservices', kind: 'VirtualService', namespaced: true, shortNames: ['vs'] }),
    );
    const vs = {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'web', namespace: 'default' },
      spec: { hosts: ['web'] },
    };
    expect((await apply(server, '/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/web', vs, 'flotilla')).status).toBe(
      201,
    );
    expect((await call(server, 'GET', '/apis/networking.istio.io/v1/namespaces/default/virtualservices/web')).body).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      spec: { hosts: ['web'] },
    });
    await call(server, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    expect((await call(server, 'GET', '/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices/web')).status).toBe(404);
    expect((await call(server, 'GET', '/apis')).body.groups.map((g: { name: string }) => g.name)).not.toContain('networking.istio.io');
  });

  it('a cluster-scoped CRD (policy.karmada.io ClusterPropagationPolicy) serves cluster-scoped objects', async () => {
    await apply(
      server,
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterpropagationpolicies.policy.karmada.io',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'clusterpropagationpolicies.policy.karmada.io' },
        spec: {
          group: 'policy.karmada.io',
          names: { plural: 'clusterpropagationpolicies', kind: 'ClusterPropagationPolicy' },
          scope: 'Cluster',
          versions: [{ name: 'v1alpha1', served: true, storage: true }],
        },
      },
      'flotilla',
    );
    const resources = (await call(server, 'GET', '/apis/policy.karmada.io/v1alpha1')).body.resources;
    expect(resources[0]).toMatchObject({ name: 'clusterpropagationpolicies', namespaced: false });
    const obj = { apiVersion: 'policy.karmada.io/v1alpha1', kind: 'ClusterPropagationPolicy', metadata: { name: 'all' }, spec: {} };
    expect((await apply(server, '/apis/policy.karmada.io/v1alpha1/clusterpropagationpolicies/all', obj, 'flotilla')).status).toBe(201);
    expect((await call(server, 'GET', '/apis/policy.karmada.io/v1alpha1/namespaces/default/clusterpropagationpolicies/all')).status).toBe(
      404,
    );
  });

  it('a malformed CRD (name not plural.group, no storage version) is 422', async () => {
    const bad = { ...crd, metadata: { name: 'wrong' }, spec: { ...crd.spec, versions: [{ name: 'v1', served: true, storage: false }] } };
    const answer = await call(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: bad });
    expect(answer.body.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['metadata.name', 'spec.versions']);
  });
});

describe('autoReady, leases, nodes and pods', () => {
  it('autoReady: Deployment, StatefulSet, DaemonSet and Job report a finished rollout on write', async () => {
    server.setAutoReady(true);
    const deploy = (await apply(server, DEPLOY_PATH, deployment({ replicas: 3 }), 'flotilla')).body;
    expect(deploy.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const scaled = (await apply(server, DEPLOY_PATH, deployment({ replicas: 4 }), 'flotilla')).body;
    expect(scaled.status).toMatchObject({ observedGeneration: 2, readyReplicas: 4 });
    const job = await call(server, 'POST', '/apis/batch/v1/namespaces/default/jobs', {
      body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' }, spec: { template: { spec: { containers: [] } } } },
    });
    expect(job.body.status.conditions[0]).toMatchObject({ type: 'Complete', status: 'True' });
  });

  it('without autoReady a new Deployment has no status (not ready)', async () => {
    expect((await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).body.status).toBeUndefined();
  });

  it('a Lease is a compare-and-swap on resourceVersion (leader election): the stale holder gets 409', async () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'flotilla', namespace: 'kube-system' },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 15 },
    };
    const created = (await call(server, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', { body: lease })).body;
    const takenByB = await call(server, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/flotilla', {
      body: { ...created, spec: { ...created.spec, holderIdentity: 'b' } },
    });
    expect(takenByB.status).toBe(200);
    const renewByA = await call(server, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/flotilla', {
      body: { ...created, spec: { ...created.spec, renewTime: '2025-01-01T00:00:00.000000Z' } },
    });
    expect(renewByA.body.reason).toBe('Conflict');
  });

  it('seeded nodes carry allocatable; seeded pods carry requests and can be listed per node', async () => {
    server.seedNode('n1', { cpu: '4', memory: '16Gi' });
    server.seedNode('n2', { cpu: '8', memory: '32Gi', labels: { zone: 'b' } });
    server.seedPod('default', 'p1', { nodeName: 'n1', requests: { cpu: '500m', memory: '1Gi' } });
    server.seedPod('default', 'p2', { nodeName: 'n2', requests: { cpu: '1' } });
    const nodes = (await call(server, 'GET', '/api/v1/nodes')).body.items;
    expect(nodes.map((n: KubeObject) => [n.metadata?.name, (n.status as { allocatable: object }).allocatable])).toEqual([
      ['n1', { cpu: '4', memory: '16Gi', pods: '110' }],
      ['n2', { cpu: '8', memory: '32Gi', pods: '110' }],
    ]);
    const onN1 = (await call(server, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1')).body.items;
    expect(onN1.map((p: any) => [p.metadata.name, p.spec.containers[0].resources.requests, p.status.phase])).toEqual([
      ['p1', { cpu: '500m', memory: '1Gi' }, 'Running'],
    ]);
  });
});

describe('faults and the request log', () => {
  it('fail next 2 requests with 503, then serve again', async () => {
    server.failNext(2, 503);
    expect((await call(server, 'GET', '/api/v1/namespaces')).body).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    expect((await call(server, 'GET', '/readyz')).status).toBe(503);
    expect((await call(server, 'GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('a fault can match only a method and path: PATCHes of configmaps get 500, GETs are served', async () => {
    server.addFault({ action: 'status', status: 500, method: 'PATCH', path: /\/configmaps\// });
    server.putObject(configMap('cfg'));
    expect((await apply(server, '/api/v1/namespaces/default/configmaps/cfg', configMap('cfg'), 'flotilla')).status).toBe(500);
    expect((await call(server, 'GET', '/api/v1/namespaces/default/configmaps/cfg')).status).toBe(200);
    expect((await apply(server, DEPLOY_PATH, deployment(), 'flotilla')).status).toBe(201);
    server.clearFaults();
    expect((await apply(server, '/api/v1/namespaces/default/configmaps/cfg', configMap('cfg'), 'flotilla')).status).toBe(200);
  });

  it('429 carries Retry-After and status.details.retryAfterSeconds', async () => {
    server.throttleNext(1, 3);
    const answer = await call(server, 'GET', '/api/v1/namespaces');
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3');
    expect(answer.body).toMatchObject({ reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 3 } });
  });

  it('latency delays answers by at least the set milliseconds', async () => {
    server.setLatency(150);
    const start = Date.now();
    await call(server, 'GET', '/readyz');
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  });

  it('dropped connections fail the request; hung requests never answer', async () => {
    server.addFault({ action: 'drop', times: 1 });
    await expect(call(server, 'GET', '/api/v1/namespaces')).rejects.toThrow();
    server.addFault({ action: 'hang', times: 1 });
    await expect(call(server, 'GET', '/api/v1/namespaces', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(server.requests.slice(-2).map((r) => [r.fault, r.status])).toEqual([
      ['drop', 0],
      ['hang', 0],
    ]);
    expect((await call(server, 'GET', '/api/v1/namespaces')).status).toBe(200);
  });

  it('going down refuses connections; coming back serves on the same port with the objects kept', async () => {
    server.putObject(configMap('cfg'));
    const { url } = server;
    await server.goDown();
    expect(server.isDown).toBe(true);
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();
    await server.comeBack();
    expect(server.url).toBe(url);
    expect((await call(server, 'GET', '/api/v1/namespaces/default/configmaps/cfg')).status).toBe(200);
  });

  it('the request log counts writes with method, path, content type, status, manager and whether credentials came', async () => {
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla');
    await call(server, 'GET', DEPLOY_PATH);
    await apply(server, DEPLOY_PATH, deployment(), 'flotilla', { dryRun: true });
    expect(server.writeRequests()).toEqual([
      {
        method: 'PATCH',
        path: DEPLOY_PATH,
        query: { fieldManager: 'flotilla' },
        contentType: 'application/apply-patch+yaml',
        status: 201,
        manager: 'flotilla',
        dryRun: false,
        credentials: true,
      },
      {
        method: 'PATCH',
        path: DEPLOY_PATH,
        query: { fieldManager: 'flotilla', dryRun: 'All' },
        contentType: 'application/apply-patch+yaml',
        status: 200,
        manager: 'flotilla',
        dryRun: true,
        credentials: true,
      },
    ]);
    server.clearRequests();
    expect(server.requests).toEqual([]);
  });
});

describe('startFleetApiServers', () => {
  const fleetPromise = startFleetApiServers(['east', 'west', 'north']);
  afterAll(async () => (await fleetPromise).close());

  it('writes one context per cluster, named after it, with http, insecure-skip-tls-verify and its own token', async () => {
    const fleet = await fleetPromise;
    const config = YAML.parse(fleet.kubeconfigText);
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual(['east', 'west', 'north']);
    for (const cluster of config.clusters) {
      expect(cluster.cluster).toEqual({ server: fleet.servers.get(cluster.name)!.url, 'insecure-skip-tls-verify': true });
      expect(cluster.cluster.server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(new Set(config.users.map((u: { user: { token: string } }) => u.user.token)).size).toBe(3);
  });

  it('each server accepts only its own token, and their objects are separate', async () => {
    const fleet = await fleetPromise;
    const east = fleet.servers.get('east')!;
    const west = fleet.servers.get('west')!;
    expect((await call(east, 'GET', '/api/v1/namespaces', { token: west.token })).status).toBe(401);
    east.putObject(configMap('only-east'));
    expect((await call(west, 'GET', '/api/v1/namespaces/default/configmaps/only-east')).status).toBe(404);
  });
});
