import { describe, it, expect } from 'vitest';
import { normalizeObject, redactSecret, redactSecretPair } from '../../src/objects/normalize.js';
import { identityKey } from '../../src/objects/identity.js';
import { fieldChanges, describeFieldChange } from '../../src/diff/fields.js';
import { liveStateFromFiles } from '../../src/state/applied-files.js';

describe('normalizeObject', () => {
  it('drops status, server metadata and the per-commit revision annotation; keeps everything else', () => {
    const o = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'a',
        uid: 'u',
        resourceVersion: '1',
        generation: 2,
        creationTimestamp: 't',
        managedFields: [],
        annotations: { 'flotilla.dev/source-revision': 'abc', 'flotilla.dev/policy': 'p' },
      },
      spec: { replicas: 3 },
      status: { readyReplicas: 3 },
    };
    expect(normalizeObject(o)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'a', annotations: { 'flotilla.dev/policy': 'p' } },
      spec: { replicas: 3 },
    });
    expect(o.metadata.uid).toBe('u'); // the input is not modified
  });

  it('an annotation map left empty is dropped, so {} and no annotations compare equal', () => {
    expect(normalizeObject({ kind: 'X', metadata: { name: 'a', annotations: { 'flotilla.dev/source-revision': 'x' } } })).toEqual({
      kind: 'X',
      metadata: { name: 'a' },
    });
  });
});

describe('redactSecret, redactSecretPair', () => {
  it('hides data and stringData values behind <redacted>: nothing shown is a function of the value', () => {
    const s = redactSecret({ apiVersion: 'v1', kind: 'Secret', data: { a: 'c2VjcmV0', b: 'YQ==' }, stringData: { c: 'plain' } });
    expect(s.data).toEqual({ a: '<redacted>', b: '<redacted>' });
    expect(s.stringData).toEqual({ c: '<redacted>' });
  });

  it('a pair: unchanged values are <redacted> on both sides; a changed one is <redacted, changed> on the desired side only', () => {
    const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', data });
    const { before, after } = redactSecretPair(
      secret({ same: 'YQ==', rotated: 'b2xk', gone: 'eA==' }),
      secret({ same: 'YQ==', rotated: 'bmV3', added: 'eQ==' }),
    );
    expect(before!.data).toEqual({ same: '<redacted>', rotated: '<redacted>', gone: '<redacted>' });
    expect(after!.data).toEqual({ same: '<redacted>', rotated: '<redacted, changed>', added: '<redacted>' });
  });

  it('two different Secrets with the same keys redact to the same text when compared with themselves', () => {
    const a = redactSecretPair(
      { apiVersion: 'v1', kind: 'Secret', data: { p: 'MQ==' } },
      { apiVersion: 'v1', kind: 'Secret', data: { p: 'MQ==' } },
    );
    const b = redactSecretPair(
      { apiVersion: 'v1', kind: 'Secret', data: { p: 'Mg==' } },
      { apiVersion: 'v1', kind: 'Secret', data: { p: 'Mg==' } },
    );
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('leaves ConfigMaps (and Secrets of other API groups) alone', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'x' } };
    expect(redactSecret(cm)).toBe(cm);
    expect(redactSecretPair(cm, cm)).toEqual({ before: cm, after: cm });
  });
});

describe('identityKey', () => {
  it('an apiVersion bump keeps the identity (group, kind, namespace, name)', () => {
    const a = { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' } };
    expect(identityKey(a)).toBe(identityKey({ ...a, apiVersion: 'networking.istio.io/v1' }));
  });
});

describe('fieldChanges', () => {
  it('replicas 6 → 5 and a label added, in path order', () => {
    const changes = fieldChanges(
      { spec: { replicas: 6 }, metadata: { labels: {} } },
      { spec: { replicas: 5 }, metadata: { labels: { 'app.kubernetes.io/name': 'x' } } },
    );
    expect(changes.map(describeFieldChange)).toEqual(['metadata.labels["app.kubernetes.io/name"]: added "x"', 'spec.replicas: 6 → 5']);
  });

  it('a scalar list losing its first item is one removal, not a shift of every item', () => {
    expect(fieldChanges({ c: ['a', 'b', 'c'] }, { c: ['b', 'c'] }).map(describeFieldChange)).toEqual(['c[0]: removed (was "a")']);
  });
});

describe('liveStateFromFiles', () => {
  it('reads status.yaml sourceRevision and objects under manifests/<cluster>/; reports unreadable files', () => {
    const state = liveStateFromFiles([
      { path: 'status.yaml', text: 'sourceRevision: abc\nphase: Synced\n' },
      { path: 'manifests/c1/default/configmap-a.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n' },
      { path: 'manifests/c1/default/broken.yaml', text: 'a: [' },
      { path: 'README.md', text: '# status' },
    ]);
    expect(state.sourceRevision).toBe('abc');
    expect(state.objects.map((o) => [o.clusterSegment, o.path])).toEqual([['c1', 'c1/default/configmap-a.yaml']]);
    expect(state.problems).toHaveLength(1);
    expect(state.problems[0]).toMatch(/^manifests\/c1\/default\/broken.yaml: /);
  });

  it('after an Invalid revision, manifests/ hold lastGoodRevision, which is the revision reported', () => {
    expect(
      liveStateFromFiles([{ path: 'status.yaml', text: 'sourceRevision: bad\nlastGoodRevision: good\nphase: Invalid\n' }]).sourceRevision,
    ).toBe('good');
  });
});
