// The --out layout (src/objects/layout.ts): one file per object of a cluster. layoutClashes finds the
// objects the layout would write to one file (so neither is placed), whether or not it remembers the
// objects (kept: the reconciler's), and says so again when a kept list it found clear before comes
// back with one object changed.
import { describe, expect, it } from 'vitest';
import { layoutClashes, layoutManifests } from '../../src/objects/layout.js';

const obj = (apiVersion: string, kind: string, name: string, namespace = 'web') => ({ apiVersion, kind, metadata: { name, namespace } });

describe.each([false, true])('layoutClashes, kept %s', (kept) => {
  it('finds objects the layout writes to one file, however their kinds and names meet', () => {
    const quota = obj('v1', 'ResourceQuota', 'web-quota');
    const crafted = obj('v1', 'ResourceQuota-web', 'quota');
    const cm = obj('v1', 'ConfigMap', 'settings');
    expect(layoutClashes([quota, cm], kept)).toEqual([]);
    expect(layoutClashes([quota, cm, crafted], kept)).toEqual([{ path: 'web/resourcequota-web-quota.yaml', objects: [quota, crafted] }]);
    // Both qualified by their groups, and a core kind spelled as the qualified name of one.
    const np = obj('networking.k8s.io/v1', 'NetworkPolicy', 'deny-all');
    const other = obj('evil.example.com/v1', 'NetworkPolicy', 'deny-all');
    const spelled = obj('v1', 'NetworkPolicy.networking.k8s.io-deny', 'all');
    const paths = layoutManifests({ c: [np, other, spelled] }).map((e) => e.path);
    expect(paths).toEqual([
      'c/web/networkpolicy.networking.k8s.io-deny-all.yaml',
      'c/web/networkpolicy.evil.example.com-deny-all.yaml',
      'c/web/networkpolicy.networking.k8s.io-deny-all.yaml',
    ]);
    expect(layoutClashes([np, other, spelled], kept).map((c) => c.objects)).toEqual([[np, spelled]]);
    // Kinds that differ in case are one file.
    expect(layoutClashes([quota, obj('v1', 'Resourcequota', 'web-quota')], kept)).toHaveLength(1);
  });

  it('a list found clear, then the same list with an object replaced or added, is looked at again', () => {
    const first = obj('v1', 'ConfigMap', 'a');
    const list = [first, obj('v1', 'ResourceQuota', 'web-quota'), obj('v1', 'ConfigMap', 'b')];
    expect(layoutClashes(list, kept)).toEqual([]);
    expect(layoutClashes([...list], kept)).toEqual([]);
    const replaced = [first, list[1]!, obj('v1', 'ResourceQuota-web', 'quota')];
    expect(layoutClashes(replaced, kept)).toHaveLength(1);
    expect(layoutClashes([...list, obj('v1', 'configmap', 'a')], kept)).toHaveLength(1);
  });
});
