import { describe, expect, it } from 'vitest';
import { compareWithLive, differingFields, normalizeLive, ownedFieldsDropped } from '../../src/kube/normalize.js';

const desired = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'flotilla.dev/source-revision': 'abc' } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: { requests: { cpu: '0.5', memory: '1Gi' } } }] } } },
};
/** What a real API server returns: defaults, server metadata, status, other managers' labels. */
const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '42', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web', 'team.example/owner': 'x' },
    annotations: { 'flotilla.dev/source-revision': 'def', 'deployment.kubernetes.io/revision': '2' },
    managedFields: [{ manager: 'flotilla', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {}, 'f:template': {} } } }],
  },
  spec: {
    replicas: 3, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate' },
    template: { spec: { restartPolicy: 'Always', containers: [{ name: 'web', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] } },
  },
  status: { replicas: 3 },
};

describe('normalize and compare only the fields flotilla sends', () => {
  it('server defaults, server metadata, status, other labels and the revision annotation are no difference', () => {
    expect(compareWithLive(desired, live)).toEqual({ differs: false, fields: [] });
  });
  it('cpu "0.5" equals the canonical "500m" the server stores', () => {
    expect(differingFields({ resources: { requests: { cpu: '0.5' } } }, { resources: { requests: { cpu: '500m' } } })).toEqual([]);
    expect(differingFields({ resources: { requests: { cpu: '0.5' } } }, { resources: { requests: { cpu: '600m' } } })).toEqual(['resources.requests.cpu']);
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
  it('a list of different length differs as a whole', () => {
    const changed = structuredClone(live);
    changed.spec.template.spec.containers.push({ ...changed.spec.template.spec.containers[0]!, name: 'sidecar' });
    expect(compareWithLive(desired, changed).fields).toEqual(['spec.template.spec.containers']);
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
  it('normalizeLive drops status and server metadata, keeps what the user wrote', () => {
    const n = normalizeLive(live) as Record<string, any>;
    expect(n.status).toBeUndefined();
    expect(Object.keys(n.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
    expect(n.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
  });
});
