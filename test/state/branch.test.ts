// The status branch's one tip resolver, its manifests/ writer and reader: what the writer writes,
// the restore reads back unchanged.
import fs from 'node:fs';
import path from 'node:path';
import isoGit from 'isomorphic-git';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterObjectId } from '../../src/objects/identity.js';
import { CLUSTER_ANNOTATION } from '../../src/objects/tracking.js';
import { ObjectStore } from '../../src/source/objects.js';
import { appliedObjectOf } from '../../src/state/applied-files.js';
import {
  editManifestsTree,
  hydrateApplied,
  manifestsEdits,
  readAppliedState,
  statusBranchTip,
  storeManifestBlobs,
} from '../../src/state/branch.js';
import {
  appliedHash,
  diffDesired,
  stateFromObjects,
  stateObjects,
  type AppliedObject,
  type AppliedState,
  type ObjectChange,
} from '../../src/state/change-set.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

/** A ConfigMap as the renderer emits it for `cluster`: its tracking annotation names the cluster. */
const cm = (cluster: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', annotations: { [CLUSTER_ANNOTATION]: cluster } },
});

describe('statusBranchTip', () => {
  it('the local branch first, then origin/<branch>; null without either and for a plain folder', async () => {
    const { dir, commit } = await makeRepo({ 'a.yaml': 'a: 1\n' });
    await git(dir, 'update-ref', 'refs/remotes/origin/flotilla-status', commit);
    expect(await statusBranchTip(dir, 'flotilla-status')).toMatchObject({ ref: 'origin/flotilla-status', commit });
    await git(dir, 'branch', 'flotilla-status', commit);
    expect(await statusBranchTip(dir, 'flotilla-status')).toMatchObject({ ref: 'flotilla-status', commit });
    expect(await statusBranchTip(dir, 'elsewhere')).toBeNull();
    expect(await statusBranchTip(await makeTempDir(), 'flotilla-status')).toBeNull();
  });
});

/** The state with every object's content hash filled in (a restored object carries it). */
function withHashes(state: AppliedState): AppliedState {
  for (const o of stateObjects(state)) appliedHash(o);
  return state;
}

describe('manifests/ written and read back', () => {
  it('the applied state the restore reads is the one the change set wrote', async () => {
    const gitdir = path.join(await makeTempDir(), 'r.git');
    await isoGit.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
    const store = new ObjectStore(gitdir);
    // As the write stage stores a change set: its blobs, and manifests/'s tree edited.
    const writeManifestsTree = async (tree: string | null, changes: readonly ObjectChange[]) => {
      await storeManifestBlobs(store, changes);
      return editManifestsTree(store, tree, changes);
    };
    const first = diffDesired({
      previous: new Map(),
      manifests: { east: [cm('east', 'a'), cm('east', 'b')], 'we st': [cm('we st', 'a')] },
    });
    const tree = await writeManifestsTree(null, first.changes);
    const restored = await readAppliedState(store, tree);
    // Restored as content hashes only (the diff reads back what it needs); read back, they are what was written.
    expect([...restored.values()].every((o) => o.object === null && o.hash === appliedHash(first.next.get(o.cluster)!.get(o.id)!))).toBe(
      true,
    );
    await hydrateApplied(store, [...restored.values()]);
    expect(stateFromObjects(restored.values())).toEqual(withHashes(first.next));

    const second = diffDesired({ previous: first.next, manifests: { east: [cm('east', 'a')] } });
    const tree2 = await writeManifestsTree(tree, second.changes);
    const restored2 = [...(await readAppliedState(store, tree2)).values()];
    await hydrateApplied(store, restored2);
    expect(restored2).toEqual([...stateObjects(withHashes(second.next))]);
    expect(await writeManifestsTree(tree2, diffDesired({ previous: second.next, manifests: {} }).changes)).toBeNull();
  });

  it('an apiVersion bump deletes and writes the same path: the path keeps the new blob', () => {
    const change = (action: ObjectChange['action'], oid?: string): ObjectChange =>
      ({
        action,
        id: action,
        cluster: 'c',
        ref: { apiVersion: 'v1', kind: 'X', namespace: '', name: 'x' },
        path: 'c/_cluster/x-x.yaml',
        oid,
      }) as ObjectChange;
    expect(manifestsEdits([change('created', 'new'), change('deleted')])).toEqual(new Map([['c/_cluster/x-x.yaml', 'new']]));
  });

  it('the restore takes one object per file, its cluster from the tracking annotation', () => {
    const annotated = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    ' + `${CLUSTER_ANNOTATION}: we st\n`;
    expect(appliedObjectOf('we%20st/_cluster/configmap-a.yaml', 'oid', annotated)).toMatchObject({ cluster: 'we st', oid: 'oid' });
    // An annotation YAML reads as something other than text (a hand edit) names no cluster: the folder does, in the id too.
    const dated = annotated.replace('we st', '2024-01-01');
    const entry = appliedObjectOf('east/_cluster/configmap-a.yaml', 'oid', dated) as AppliedObject;
    expect(entry.cluster).toBe('east');
    expect(entry.id).toBe(clusterObjectId('east', entry.ref));
    expect(appliedObjectOf('c/x.yaml', 'o', 'kind: A\n---\nkind: B\n')).toEqual({
      problem: 'manifests/c/x.yaml: 2 documents, not one object; it will be rewritten',
    });
    expect(appliedObjectOf('c/x.yaml', 'o', '')).toEqual({ problem: 'manifests/c/x.yaml: not a Kubernetes object; it will be rewritten' });
    expect(appliedObjectOf('c/x.yaml', 'o', 'a: [')).toMatchObject({
      problem: expect.stringMatching(/^manifests\/c\/x.yaml: not YAML \(/),
    });
  });
});
