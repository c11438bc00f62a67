// A Kurator Application (fixtures/kurator-application, Kurator's gitrepo-kustomization-demo) whose
// repository is served over HTTP by git http-backend: the reconciler fetches it with the fleet
// repository's machinery, builds each sync policy with kustomize, places it on the destination
// fleet's selected clusters, and records the pinned revision on the status branch.
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupRepos, git, makeTempDir } from '../helpers/git.js';
import { FIXTURES, folderFiles } from '../helpers/fleet.js';
import { kustomizeAvailable } from '../helpers/kustomize.js';
import { configFrom, readTree, reconcilerFor } from './harness.js';
import { ENV, remoteConfig, serveFleet, type ServedFleet } from './remote-harness.js';

const withKustomize = await kustomizeAvailable();
const servers: ServedFleet[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.server.close()));
});
afterAll(cleanupRepos);

/** The fleet repository and the application repository, served; the Application names the latter. */
async function serve(application: (text: string) => string = (t) => t) {
  const appRepo = await serveFleet(await folderFiles(path.join(FIXTURES, 'kurator-application', 'app-repo')), { auth: false });
  servers.push(appRepo);
  const fleetFiles = await folderFiles(path.join(FIXTURES, 'kurator-application', 'fleet'));
  fleetFiles['application.yaml'] = application(fleetFiles['application.yaml']!.replace('url: APP_REPOSITORY_URL', `url: ${appRepo.url}`));
  const fleet = await serveFleet(fleetFiles);
  servers.push(fleet);
  const base = await makeTempDir('flotilla-run-');
  const run = await reconcilerFor(configFrom(remoteConfig(fleet.url), base, ENV));
  return { appRepo, fleet, base, out: path.join(base, 'rendered'), ...run };
}

describe.skipIf(!withKustomize)('a Kurator Application over git http-backend (FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)', () => {
  it('builds each sync policy, places it on the fleet (clusterSelector honoured) and records the pinned revision', async () => {
    const { appRepo, fleet, reconciler, out } = await serve();
    const first = await reconciler.reconcileOnce();
    expect(first.phase).toBe('Synced');
    const files = Object.keys(await readTree(out)).sort();
    expect(files).toEqual([
      'kurator-member1/_cluster/namespace-webapp.yaml',
      'kurator-member1/default/configmap-frontend-settings.yaml',
      'kurator-member1/webapp/deployment-backend.yaml',
      'kurator-member2/_cluster/namespace-webapp.yaml',
      'kurator-member2/webapp/deployment-backend.yaml',
    ]);
    const appCommit = await git(appRepo.bare, 'rev-parse', 'main');
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain(
      [
        'applications:',
        '  - application: default/gitrepo-kustomization-demo',
        '    file: application.yaml',
        '    ref: branch main',
        `    revision: ${appCommit}`,
        `    url: ${appRepo.url}`,
      ].join('\n'),
    );

    // A new commit of the application repository is built at the next fleet revision, and recorded.
    const changed = await appRepo.push(
      { 'kustomize/frontend.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frontend-settings\ndata:\n  color: green\n' },
      'green',
    );
    await fleet.push({ 'notes.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n' }, 'a fleet commit');
    const second = await reconciler.reconcileOnce();
    expect(second.phase).toBe('Synced');
    expect((await readTree(out))['kurator-member1/default/configmap-frontend-settings.yaml']).toContain('color: green');
    expect(await git(fleet.bare, 'show', 'flotilla-status:status.yaml')).toContain(`    revision: ${changed}`);
  });

  it('ref.commit pins the revision: a newer commit of the branch is not built', async () => {
    const first = await serveFirstCommitPinned();
    const { appRepo, fleet, reconciler, out, pinned } = first;
    await appRepo.push(
      { 'kustomize/frontend.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frontend-settings}\ndata: {color: red}\n' },
      'red',
    );
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Synced');
    expect((await readTree(out))['kurator-member1/default/configmap-frontend-settings.yaml']).toContain('color: blue');
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toContain(`    ref: commit ${pinned}\n    revision: ${pinned}`);
  });

  it('an unreachable repository is SOURCE_FETCH_FAILED at the Application, the revision Invalid and nothing written', async () => {
    const { reconciler, out, fleet } = await serve((t) => t.replace(/url: .*/, 'url: http://127.0.0.1:9/nowhere.git'));
    const o = await reconciler.reconcileOnce();
    expect(o.phase).toBe('Invalid');
    expect(await readTree(out)).toEqual({});
    const status = await git(fleet.bare, 'show', 'flotilla-status:status.yaml');
    expect(status).toMatch(/code: SOURCE_FETCH_FAILED\n\s+column: 1\n\s+file: application\.yaml\n\s+line: 5/);
  });
});

/** serve(), with the Application pinned to the application repository's first commit. */
async function serveFirstCommitPinned() {
  const served = await serve((t) => t);
  const pinned = await git(served.appRepo.bare, 'rev-parse', 'main');
  await served.fleet.push(
    {
      'application.yaml': (await git(served.fleet.work, 'show', 'HEAD:application.yaml')).replace(
        'branch: main',
        `branch: main\n        commit: ${pinned}`,
      ),
    },
    'pin the application',
  );
  return { ...served, pinned };
}
