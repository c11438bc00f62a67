// The reconciler over a fleet repository with a Kustomize folder, served over HTTP: the folder's
// build is what gets applied, and a kustomization that no longer builds makes the revision Invalid
// with nothing written and nothing deleted.
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupRepos, git, makeTempDir } from '../helpers/git.js';
import { duplicatedFleet } from '../helpers/fleet.js';
import { kustomizeAvailable } from '../helpers/kustomize.js';
import { configFrom, countingFs, readTree, reconcilerFor } from './harness.js';
import { ENV, remoteConfig, serveFleet, type ServedFleet } from './remote-harness.js';

const withKustomize = await kustomizeAvailable();
const servers: ServedFleet[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.server.close()));
});
afterAll(cleanupRepos);

const FILES = {
  'fleet.yaml': duplicatedFleet(['member-a', 'member-b']),
  'app/base/kustomization.yaml': 'resources: [configmap.yaml]\nnamespace: default\n',
  'app/base/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: info}\n',
  'app/prod/kustomization.yaml': 'resources: [../base]\nnameSuffix: -prod\n',
};

describe.skipIf(!withKustomize)('reconcile a Kustomize folder (kubectl kustomize; FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)', () => {
  it('applies the overlay; a broken kustomization is Invalid at its file, nothing written or deleted; a fix applies', async () => {
    const fleet = await serveFleet(FILES);
    servers.push(fleet);
    const base = await makeTempDir('flotilla-run-');
    const { reconciler, fs } = await reconcilerFor(configFrom(remoteConfig(fleet.url), base, ENV));
    const out = path.join(base, 'rendered');
    const counting = fs as ReturnType<typeof countingFs>;

    const good = await reconciler.reconcileOnce();
    expect(good.phase).toBe('Synced');
    const before = await readTree(out);
    expect(Object.keys(before).sort()).toEqual([
      'member-a/default/configmap-settings-prod.yaml',
      'member-b/default/configmap-settings-prod.yaml',
    ]);
    const manifestsBefore = await git(fleet.bare, 'rev-parse', 'flotilla-status:manifests');

    counting.reset();
    const broken = await fleet.push({ 'app/prod/kustomization.yaml': 'resources: [../base, missing.yaml]\nnameSuffix: -prod\n' }, 'break');
    const invalid = await reconciler.reconcileOnce();
    expect(invalid.phase).toBe('Invalid');
    expect(invalid.revision).toBe(broken);
    expect(counting.writes).toEqual([]);
    expect(counting.removals).toEqual([]);
    expect(await readTree(out)).toEqual(before);
    expect(await git(fleet.bare, 'rev-parse', 'flotilla-status:manifests')).toBe(manifestsBefore);
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain(`lastGoodRevision: ${good.revision}`);
    expect(status).toMatch(
      new RegExp(
        String.raw`code: BUILD_FAILED\n\s+column: 1\n\s+file: app/prod/kustomization\.yaml\n\s+line: 1\n` +
          String.raw`\s+message: .*kustomize build of app/prod.*missing\.yaml`,
      ),
    );

    counting.reset();
    const fixed = await fleet.push(
      {
        'app/prod/kustomization.yaml': 'resources: [../base]\nnameSuffix: -prod\n',
        'app/base/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: debug}\n',
      },
      'fix and change the base',
    );
    const again = await reconciler.reconcileOnce();
    expect(again.phase).toBe('Synced');
    expect(again.revision).toBe(fixed);
    expect(counting.removals).toEqual([]);
    const after = await readTree(out);
    expect(after['member-a/default/configmap-settings-prod.yaml']).toContain('level: debug');
  });
});
