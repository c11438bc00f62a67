import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import {
  appliedHash,
  contentHash,
  diffDesired,
  normalizeForDiff,
  objectPatch,
  objectsToRead,
  stateFromObjects,
  stateObjects,
  type AppliedState,
  type DesiredDiff,
} from '../../src/state/change-set.js';
import { blobOid } from '../../src/source/objects.js';
import { layoutManifests } from '../../src/objects/layout.js';
import { toSortedJson, toStableYaml } from '../../src/objects/serialize.js';
import { REVISION_ANNOTATION } from '../../src/objects/tracking.js';

const obj = (
  kind: string,
  name: string,
  extra: Record<string, unknown> = {},
  revision = 'r1',
  apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1',
) => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'default', annotations: { [REVISION_ANNOTATION]: revision } },
  ...extra,
});

function apply(manifests: Record<string, Array<Record<string, unknown>>>, previous: AppliedState = new Map()) {
  return diffDesired({ previous, manifests });
}

describe('diffDesired', () => {
  it('first state: everything created, paths as layoutManifests, oids of the stable YAML', () => {
    const d = apply({ east: [obj('Deployment', 'web', { spec: { replicas: 2 } }), obj('ConfigMap', 'cfg')] });
    expect(d.counts).toEqual({ created: 2, configured: 0, unchanged: 0, deleted: 0 });
    expect(d.changes.map((c) => c.path).sort()).toEqual(['east/default/configmap-cfg.yaml', 'east/default/deployment-web.yaml']);
    const web = d.changes.find((c) => c.ref.name === 'web')!;
    expect(web.text).toBe(toStableYaml(obj('Deployment', 'web', { spec: { replicas: 2 } })));
    expect(web.oid).toBe(blobOid(web.text!));
  });

  it('a new revision that changes nothing but the revision annotation: 0 writes', () => {
    const first = apply({ east: [obj('Deployment', 'web', { spec: { replicas: 2 } })] });
    const second = apply({ east: [obj('Deployment', 'web', { spec: { replicas: 2 } }, 'r2')] }, first.next);
    expect(second.changes).toEqual([]);
    expect(second.counts.unchanged).toBe(1);
    // The file keeps the text it was written with.
    expect([...stateObjects(second.next)][0]!.oid).toBe([...stateObjects(first.next)][0]!.oid);
  });

  it('replicas 2 → 3 on one of two clusters: 1 configured with the JSON patch, 1 unchanged', () => {
    const first = apply({
      east: [obj('Deployment', 'web', { spec: { replicas: 2 } })],
      west: [obj('Deployment', 'web', { spec: { replicas: 2 } })],
    });
    const second = apply(
      {
        east: [obj('Deployment', 'web', { spec: { replicas: 3 } }, 'r2')],
        west: [obj('Deployment', 'web', { spec: { replicas: 2 } }, 'r2')],
      },
      first.next,
    );
    expect(second.counts).toEqual({ created: 0, configured: 1, unchanged: 1, deleted: 0 });
    expect(second.changes).toHaveLength(1);
    expect(second.changes[0]).toMatchObject({
      action: 'configured',
      cluster: 'east',
      path: 'east/default/deployment-web.yaml',
      patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    expect(second.perCluster.get('west')).toEqual({ created: 0, configured: 0, unchanged: 1, deleted: 0 });
  });

  it('an object that leaves the desired state is deleted at the path it was written to', () => {
    const first = apply({ east: [obj('ConfigMap', 'a'), obj('ConfigMap', 'b')] });
    const second = apply({ east: [obj('ConfigMap', 'a')] }, first.next);
    expect(second.changes).toEqual([expect.objectContaining({ action: 'deleted', path: 'east/default/configmap-b.yaml' })]);
    expect([...stateObjects(second.next)]).toHaveLength(1);
  });

  it('a name clash appearing moves the first object to its group-qualified name', () => {
    const first = apply({ east: [obj('Deployment', 'web')] });
    const second = apply({ east: [obj('Deployment', 'web'), obj('Deployment', 'web', {}, 'r1', 'example.com/v1')] }, first.next);
    const byAction = Object.fromEntries(second.changes.map((c) => [c.action, c]));
    expect(byAction.moved).toMatchObject({
      path: 'east/default/deployment.apps-web.yaml',
      previousPath: 'east/default/deployment-web.yaml',
    });
    expect(byAction.created).toMatchObject({ path: 'east/default/deployment.example.com-web.yaml' });
  });

  it('a cluster whose rendered list holds the same objects is unchanged as a whole (shared, not copied)', () => {
    const list = [obj('ConfigMap', 'a'), obj('ConfigMap', 'b')];
    const first = diffDesired({ previous: new Map(), manifests: { east: list, west: [obj('ConfigMap', 'c')] } });
    const second = diffDesired({
      previous: first.next,
      manifests: { east: [...list], west: [obj('ConfigMap', 'c', { data: { k: 'v' } })] },
      previousLists: first.lists,
    });
    expect(second.next.get('east')).toBe(first.next.get('east'));
    expect(second.counts).toEqual({ created: 0, configured: 1, unchanged: 2, deleted: 0 });
  });

  it('a cluster that disappears: all its objects are deleted', () => {
    const first = apply({ east: [obj('ConfigMap', 'a')], west: [obj('ConfigMap', 'b')] });
    const second = apply({ east: [obj('ConfigMap', 'a')] }, first.next);
    expect(second.changes).toEqual([
      expect.objectContaining({ action: 'deleted', cluster: 'west', path: 'west/default/configmap-b.yaml' }),
    ]);
    expect([...second.next.keys()]).toEqual(['east']);
  });

  it('identity cache: an object the renderer reuses is unchanged without comparing', () => {
    const identity = new WeakMap();
    const web = obj('Deployment', 'web', { spec: { replicas: 2 } });
    const first = diffDesired({ previous: new Map(), manifests: { east: [web] }, identity });
    const second = diffDesired({ previous: first.next, manifests: { east: [web] }, identity });
    expect(second.changes).toEqual([]);
    expect([...stateObjects(second.next)][0]).toBe([...stateObjects(first.next)][0]);
  });

  it('normalizeForDiff drops only the volatile annotation', () => {
    const o = obj('ConfigMap', 'a', {}, 'r9');
    (o.metadata.annotations as Record<string, string>)['keep'] = 'me';
    expect(normalizeForDiff(o).metadata).toEqual({ name: 'a', namespace: 'default', annotations: { keep: 'me' } });
    expect(o.metadata.annotations[REVISION_ANNOTATION]).toBe('r9');
  });

  it('property: next-state paths equal layoutManifests of the new manifests, whatever the previous state', () => {
    // Valid Kubernetes identities only: layoutManifests cannot tell apart names that differ only in
    // case within the core group, which the API server never accepts anyway.
    const kinds = fc.constantFrom(
      ['apps/v1', 'Deployment'],
      ['example.com/v1', 'Deployment'],
      ['other.io/v2', 'Deployment'],
      ['v1', 'ConfigMap'],
    );
    const objects = fc.array(fc.record({ k: kinds, name: fc.constantFrom('a', 'b'), cluster: fc.constantFrom('east', 'west') }), {
      maxLength: 8,
    });
    const toManifests = (list: Array<{ k: readonly string[]; name: string; cluster: string }>) => {
      const m: Record<string, Array<Record<string, unknown>>> = {};
      const seen = new Set<string>();
      for (const o of list) {
        const id = `${o.cluster}|${o.k.join('|')}|${o.name}`;
        if (seen.has(id)) continue;
        seen.add(id);
        (m[o.cluster] ??= []).push({ apiVersion: o.k[0], kind: o.k[1], metadata: { name: o.name, namespace: 'default' } });
      }
      return m;
    };
    fc.assert(
      fc.property(objects, objects, (a, b) => {
        const first = apply(toManifests(a));
        const manifests = toManifests(b);
        const second = apply(manifests, first.next);
        const expected = layoutManifests(manifests)
          .map((e) => e.path)
          .sort();
        expect([...stateObjects(second.next)].map((o) => o.path).sort()).toEqual(expected);
        // Applying the changes to the first state's files gives exactly the second state's files.
        const files = new Map([...stateObjects(first.next)].map((o) => [o.path, o.oid]));
        for (const c of second.changes) {
          if (c.previousPath) files.delete(c.previousPath);
          if (c.action === 'deleted') files.delete(c.path);
        }
        for (const c of second.changes) if (c.action !== 'deleted') files.set(c.path, c.oid!);
        expect(new Map([...files].sort())).toEqual(
          new Map([...stateObjects(second.next)].map((o) => [o.path, o.oid] as [string, string]).sort()),
        );
      }),
    );
  });

  it('property: after a restart (applied objects as hashes), the diff is the one of a process that never stopped', () => {
    const item = fc.record({
      kind: fc.constantFrom('ConfigMap', 'Secret', 'Deployment'),
      name: fc.constantFrom('a', 'b', 'c'),
      cluster: fc.constantFrom('east', 'west'),
      value: fc.constantFrom('1', '2'),
    });
    const objects = fc.array(item, { maxLength: 10 });
    type Item = { kind: string; name: string; cluster: string; value: string };
    // The commit after the restart: often the same objects in the same order with a few changed, as
    // most commits are (clusters they leave alone are kept whole), otherwise any other set.
    const values = fc.array(fc.option(fc.constantFrom('1', '2'), { freq: 3 }), { maxLength: 10 });
    const commits = fc
      .tuple(
        objects,
        fc.oneof(
          objects.map((other) => ({ other })),
          values.map((values) => ({ values })),
        ),
      )
      .map(([a, next]): [Item[], Item[]] =>
        'other' in next ? [a, next.other] : [a, a.map((o, i) => (next.values[i] ? { ...o, value: next.values[i]! } : o))],
      );
    const toManifests = (list: Item[], revision: string) => {
      const m: Record<string, Array<Record<string, unknown>>> = {};
      const seen = new Set<string>();
      for (const o of list) {
        if (seen.has(`${o.cluster}|${o.kind}|${o.name}`)) continue;
        seen.add(`${o.cluster}|${o.kind}|${o.name}`);
        (m[o.cluster] ??= []).push(obj(o.kind, o.name, { data: { v: o.value } }, revision));
      }
      return m;
    };
    const summary = (d: DesiredDiff) =>
      JSON.stringify({ changes: d.changes, counts: d.counts, next: [...stateObjects(d.next)].map((o) => [o.id, o.path, o.oid]) });
    let keptWhole = 0;
    fc.assert(
      fc.property(commits, ([a, b]) => {
        const written = apply(toManifests(a, 'r1')).next;
        const objectOf = new Map([...stateObjects(written)].map((o) => [o.id, o.object!]));
        const manifests = toManifests(b, 'r2');
        const expected = diffDesired({ previous: written, manifests });
        // As a restart restores it: content hashes only, objects read back when the diff needs them.
        const previous = stateFromObjects([...stateObjects(written)].map((o) => ({ ...o, hash: appliedHash(o), object: null })));
        const identity = new WeakMap();
        const { toRead, lists } = objectsToRead(previous, manifests, identity);
        for (const o of toRead) o.object = objectOf.get(o.id)!;
        const got = diffDesired({ previous, manifests, identity, previousLists: lists });
        expect(summary(got)).toBe(summary(expected));
        expect(toRead.length).toBe(expected.counts.configured);
        // A cluster kept whole is the restored map itself, holding the rendered objects.
        for (const [cluster, list] of lists) {
          expect(got.next.get(cluster)).toBe(previous.get(cluster));
          expect([...got.next.get(cluster)!.values()].map((o) => o.object)).toEqual(list);
          keptWhole++;
        }
      }),
      { numRuns: 300 },
    );
    expect(keptWhole).toBeGreaterThan(50);
  });

  it('after a restart, a cluster whose objects are the rendered list in another order is diffed object by object, unchanged', () => {
    const written = apply({
      east: [obj('ConfigMap', 'a', { data: { v: '1' } }, 'r1'), obj('ConfigMap', 'b', { data: { v: '1' } }, 'r1')],
    }).next;
    const previous = stateFromObjects([...stateObjects(written)].map((o) => ({ ...o, hash: appliedHash(o), object: null })));
    const swapped = { east: [obj('ConfigMap', 'b', { data: { v: '1' } }, 'r2'), obj('ConfigMap', 'a', { data: { v: '1' } }, 'r2')] };
    const { toRead, lists } = objectsToRead(previous, swapped);
    expect(toRead).toEqual([]);
    expect(lists.size).toBe(0);
    const got = diffDesired({ previous, manifests: swapped, previousLists: lists });
    expect(got.changes).toEqual([]);
    expect(got.counts).toEqual({ created: 0, configured: 0, unchanged: 2, deleted: 0 });
  });
});

describe('contentHash', () => {
  // The hashes render indexes written by earlier builds hold.
  it('is the first 32 base64url characters of the SHA-256 of the sorted JSON, volatile annotations left out', () => {
    const o = obj('ConfigMap', 'app-00211-config', { data: { b: '2', a: '1' } }, 'r9');
    const stable = {
      apiVersion: 'v1',
      data: { a: '1', b: '2' },
      kind: 'ConfigMap',
      metadata: { annotations: {}, name: 'app-00211-config', namespace: 'default' },
    };
    const expected = createHash('sha256').update(toSortedJson(stable)!).digest('base64url').slice(0, 32);
    expect(contentHash(o)).toBe(expected);
    expect(contentHash(obj('ConfigMap', 'app-00211-config', { data: { a: '1', b: '2' } }, 'r10'))).toBe(expected);
    expect(contentHash(obj('ConfigMap', 'app-00211-config', { data: { a: '1', b: '3' } }))).not.toBe(expected);
  });

  it('tells apart objects that differ only in a __proto__ member (a ConfigMap key, as YAML reads it)', () => {
    const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keys, namespace: default}\ndata:\n  a: "1"\n';
    const withProto = (value: string | null) => parse(`${head}${value === null ? '' : `  __proto__: ${value}\n`}`);
    const [one, two, none] = [withProto('one'), withProto('two'), withProto(null)];
    expect(Object.keys(one.data)).toEqual(['a', '__proto__']);
    expect(new Set([contentHash(one), contentHash(two), contentHash(none)]).size).toBe(3);
    // And the diff shows the member that changed.
    expect(objectPatch(one, two)).toEqual([{ op: 'replace', path: '/data/__proto__', value: 'two' }]);
  });
});
