import { describe, expect, it } from 'vitest';
import { normalizeObject } from '../../src/objects/normalize.js';
import { compareWithLive, differingFields, ownedFieldsDropped } from '../../src/kube/normalize.js';

const desired = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'flotilla.dev/source-revision': 'abc' } },
  spec: {
    replicas: 3,
    template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { requests: { cpu: '0.5', memory: '1Gi' } } }] } },
  },
};
/** What a real API server returns: defaults, server metadata, status, other managers' labels. */
const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 2,
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web', 'team.example/owner': 'x' },
    annotations: { 'flotilla.dev/source-revision': 'def', 'deployment.kubernetes.io/revision': '2' },
    managedFields: [
      {
        manager: 'flotilla',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {}, 'f:template': {} } },
      },
    ],
  },
  spec: {
    replicas: 3,
    progressDeadlineSeconds: 600,
    strategy: { type: 'RollingUpdate' },
    template: {
      spec: {
        restartPolicy: 'Always',
        containers: [
          {
            name: 'web',
            image: 'nginx:1.25',
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            resources: { requests: { cpu: '500m', memory: '1Gi' } },
          },
        ],
      },
    },
  },
  status: { replicas: 3 },
};

describe('normalize and compare only the fields flotilla sends', () => {
  it('server defaults, server metadata, status, other labels and the revision annotation are no difference', () => {
    expect(compareWithLive(desired, live)).toEqual({ differs: false, fields: [] });
  });
  it('cpu "0.5" equals the canonical "500m" the server stores', () => {
    expect(differingFields({ resources: { requests: { cpu: '0.5' } } }, { resources: { requests: { cpu: '500m' } } })).toEqual([]);
    expect(differingFields({ resources: { requests: { cpu: '0.5' } } }, { resources: { requests: { cpu: '600m' } } })).toEqual([
      'resources.requests.cpu',
    ]);
  });
  it('a live change of replicas 3 → 5 is reported at spec.replicas', () => {
    const changed = structuredClone(live);
    changed.spec.replicas = 5;
    expect(compareWithLive(desired, changed).fields).toEqual(['spec.replicas']);
  });
  it('a changed image inside a list is reported with its index', () => {
    const changed = structuredClone(live);
    changed.spec.template.spec.containers[0]!.image = 'nginx:1.26';
    expect(compareWithLive(desired, changed).fields).toEqual(['spec.template.spec.containers[0].image']);
  });
  it('a sidecar container and an env var another manager injected are no difference (keyed lists: only what flotilla sends)', () => {
    const changed = structuredClone(live) as Record<string, any>;
    changed.spec.template.spec.containers[0].env = [{ name: 'INJECTED', value: 'x' }];
    changed.spec.template.spec.containers.unshift({ name: 'istio-proxy', image: 'envoy:1' });
    expect(compareWithLive(desired, changed)).toEqual({ differs: false, fields: [] });
  });
  it('keyed items match by name wherever they sit live: web moved to index 1 with image 1.26 → containers[0].image (desired index)', () => {
    const changed = structuredClone(live) as Record<string, any>;
    changed.spec.template.spec.containers[0].image = 'nginx:1.26';
    changed.spec.template.spec.containers.unshift({ name: 'istio-proxy', image: 'envoy:1' });
    expect(compareWithLive(desired, changed).fields).toEqual(['spec.template.spec.containers[0].image']);
  });
  it('a container flotilla sends that is gone live differs at its desired index', () => {
    const two = structuredClone(desired) as Record<string, any>;
    two.spec.template.spec.containers.push({ name: 'worker', image: 'worker:1' });
    expect(compareWithLive(two, live).fields).toEqual(['spec.template.spec.containers[1]']);
  });
  it('env: desired A=1 against live [INJECTED=x, A=2] → env[0].value; injected B alone is no difference', () => {
    const d = { env: [{ name: 'A', value: '1' }] };
    expect(
      differingFields(d, {
        env: [
          { name: 'INJECTED', value: 'x' },
          { name: 'A', value: '2' },
        ],
      }),
    ).toEqual(['env[0].value']);
    expect(
      differingFields(d, {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      }),
    ).toEqual([]);
  });
  it(
    'ports key by containerPort+protocol (TCP by default): 80 matches 80/TCP, an injected 15090 ' + 'is ignored, 80/UDP is another port',
    () => {
      const d = { ports: [{ containerPort: 80, name: 'http' }] };
      expect(
        differingFields(d, {
          ports: [
            { containerPort: 15090, protocol: 'TCP', name: 'envoy' },
            { containerPort: 80, protocol: 'TCP', name: 'http' },
          ],
        }),
      ).toEqual([]);
      expect(differingFields(d, { ports: [{ containerPort: 80, protocol: 'UDP', name: 'http' }] })).toEqual(['ports[0]']);
      expect(differingFields(d, { ports: [{ containerPort: 80, protocol: 'TCP', name: 'web' }] })).toEqual(['ports[0].name']);
    },
  );
  it('Service ports key by port+protocol; volumeMounts by mountPath (one volume mounted at two paths)', () => {
    expect(
      differingFields(
        { ports: [{ port: 443, targetPort: 8443 }] },
        {
          ports: [
            { port: 80, protocol: 'TCP', targetPort: 8080 },
            { port: 443, protocol: 'TCP', targetPort: 8443 },
          ],
        },
      ),
    ).toEqual([]);
    const mounts = {
      volumeMounts: [
        { name: 'cfg', mountPath: '/a', subPath: 'a' },
        { name: 'cfg', mountPath: '/b', subPath: 'b' },
      ],
    };
    expect(
      differingFields(mounts, {
        volumeMounts: [
          { name: 'tok', mountPath: '/var/run/secrets' },
          { name: 'cfg', mountPath: '/b', subPath: 'b' },
          { name: 'cfg', mountPath: '/a', subPath: 'a' },
        ],
      }),
    ).toEqual([]);
    expect(
      differingFields(mounts, {
        volumeMounts: [
          { name: 'cfg', mountPath: '/b', subPath: 'x' },
          { name: 'cfg', mountPath: '/a', subPath: 'a' },
        ],
      }),
    ).toEqual(['volumeMounts[1].subPath']);
  });
  it('unkeyed lists (tolerations) compare by index: an extra live item is ignored, a changed or missing one differs', () => {
    const d = { tolerations: [{ key: 'gpu', operator: 'Exists' }] };
    expect(
      differingFields(d, {
        tolerations: [
          { key: 'gpu', operator: 'Exists' },
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        ],
      }),
    ).toEqual([]);
    expect(differingFields(d, { tolerations: [{ key: 'spot', operator: 'Exists' }] })).toEqual(['tolerations[0].key']);
    expect(differingFields({ args: ['a', 'b'] }, { args: ['a'] })).toEqual(['args']);
  });
  it('a container flotilla owned (managedFields k:{"name":"old"}) that the repository dropped must be sent again', () => {
    const withOld = structuredClone(live) as Record<string, any>;
    withOld.spec.template.spec.containers.push({ name: 'old', image: 'old:1' });
    withOld.metadata.managedFields[0].fieldsV1['f:spec']['f:template'] = {
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} },
          'k:{"name":"old"}': { '.': {}, 'f:name': {}, 'f:image': {} },
        },
      },
    };
    expect(compareWithLive(desired, withOld)).toEqual({ differs: true, fields: ['spec.template.spec.containers'] });
    // the same list where "old" belongs to another manager: nothing to send
    delete withOld.metadata.managedFields[0].fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"old"}'];
    expect(compareWithLive(desired, withOld)).toEqual({ differs: false, fields: [] });
  });
  it('a field flotilla owns inside a matched container (env) that the repository dropped is reported inside that container', () => {
    const owned = structuredClone(live) as Record<string, any>;
    owned.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
    owned.metadata.managedFields[0].fieldsV1['f:spec']['f:template'] = {
      'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {}, 'f:env': { 'k:{"name":"A"}': { 'f:value': {} } } } } },
    };
    expect(ownedFieldsDropped(desired, owned)).toEqual(['spec.template.spec.containers[0].env']);
  });
  it('omitempty: desired "", false and 0 equal the field the API server leaves out; a live true is still drift', () => {
    const d = {
      spec: {
        hostNetwork: false,
        priority: 0,
        containers: [{ name: 'c', env: [{ name: 'EMPTY', value: '' }], volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: false }] }],
      },
    };
    const l = { spec: { containers: [{ name: 'c', env: [{ name: 'EMPTY' }], volumeMounts: [{ name: 'v', mountPath: '/v' }] }] } };
    expect(differingFields(d, l)).toEqual([]);
    expect(differingFields(d, { spec: { ...l.spec, hostNetwork: true } })).toEqual(['spec.hostNetwork']);
    expect(differingFields({ value: '' }, { value: 'x' })).toEqual(['value']);
  });
  it('a quantity under a dotted key: limits."nvidia.com/gpu" "1000m" equals "1", "2" differs (path printed quoted)', () => {
    const d = { resources: { limits: { 'nvidia.com/gpu': '1000m', cpu: '1000m' } } };
    expect(differingFields(d, { resources: { limits: { 'nvidia.com/gpu': '1', cpu: '1' } } })).toEqual([]);
    expect(differingFields(d, { resources: { limits: { 'nvidia.com/gpu': '2', cpu: '1' } } })).toEqual([
      'resources.limits."nvidia.com/gpu"',
    ]);
  });
  it('a label flotilla sends that was removed live differs', () => {
    const changed = structuredClone(live);
    delete (changed.metadata.labels as Record<string, string>).app;
    expect(compareWithLive(desired, changed).fields).toEqual(['metadata.labels.app']);
  });
  it('empty maps and lists equal absent ones', () => {
    expect(differingFields({ metadata: { annotations: {} }, spec: { args: [] } }, { metadata: {}, spec: {} })).toEqual([]);
  });
  it('a field flotilla owns (managedFields) that the repository dropped must be sent again, so SSA removes it', () => {
    const withoutReplicas = structuredClone(desired) as Record<string, any>;
    delete withoutReplicas.spec.replicas;
    expect(ownedFieldsDropped(withoutReplicas, live)).toEqual(['spec.replicas']);
    expect(compareWithLive(withoutReplicas, live)).toEqual({ differs: true, fields: ['spec.replicas'] });
  });
  it('another manager\'s fields are never "dropped" by flotilla', () => {
    const other = structuredClone(live);
    other.metadata.managedFields[0]!.manager = 'kubectl';
    const withoutReplicas = structuredClone(desired) as Record<string, any>;
    delete withoutReplicas.spec.replicas;
    expect(ownedFieldsDropped(withoutReplicas, other)).toEqual([]);
  });
  it('normalizeObject drops status and server metadata, keeps what the user wrote', () => {
    const n = normalizeObject(live) as Record<string, any>;
    expect(n.status).toBeUndefined();
    expect(Object.keys(n.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
    expect(n.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
  });
});
