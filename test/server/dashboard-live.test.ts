// The dashboard of a reconciler applying to live clusters (the Kubernetes test API server, which
// runs no controllers and, without autoReady, writes no rollout status: a Deployment stays
// Progressing): the cells and the workload page show the health the pass read, and each cluster
// its health roll-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRepos } from '../helpers/git.js';
import { deploymentYaml, duplicatedFleet } from '../helpers/fleet.js';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { startServedDashboard, TOKEN, type ServedDashboard } from './dashboard-harness.js';

const CLUSTERS = ['east', 'west'];
const DEPLOYMENT = deploymentYaml('web', { image: 'nginx:1.27' });

let members: TestFleet;
let served: ServedDashboard;
beforeAll(async () => {
  members = await startFleetApiServers(CLUSTERS, { autoReady: false }); // no rollout ever completes: every Deployment stays Progressing
  served = await startServedDashboard({
    token: true,
    files: { 'fleet.yaml': duplicatedFleet(CLUSTERS, '{apiVersion: apps/v1, kind: Deployment}'), 'web.yaml': DEPLOYMENT },
    targets: `  - kubernetes: {kubeconfig: ${members.kubeconfigPath}, timeoutSeconds: 5}`,
  });
  await served.pass();
});
afterAll(async () => {
  await served?.stop();
  await members?.close();
  await cleanupRepos();
});

const get = async (path: string) =>
  (await fetch(new URL(path, served.url), { headers: { Authorization: `Bearer ${TOKEN}` } })).json() as Promise<Record<string, any>>;

describe('dashboard with live clusters', () => {
  it("colours each cell by the object's health on that cluster, and gives each cluster its roll-up", async () => {
    expect(members.servers.get('east')!.getObject('apps/v1', 'Deployment', 'default', 'web')).toBeDefined();
    const fleet = await get('api/fleet');
    const names: string[] = fleet.matrix.clusters.map((c: { name: string }) => c.name);
    expect(names).toEqual(CLUSTERS);
    const web = fleet.matrix.rows.find((r: { ref: string }) => r.ref === 'Deployment/default/web');
    expect(web.cells.map((c: { c: number; r: number; health?: string }) => [names[c.c], c.r, c.health])).toEqual([
      ['east', 2, 'Progressing'],
      ['west', 2, 'Progressing'],
    ]);
    for (const c of fleet.matrix.clusters) expect(c).toMatchObject({ reachable: true, health: 'Progressing', drifted: 0 });
  });

  it('the workload page lists the objects the pass read as not Healthy, per cluster', async () => {
    const w = await get('api/workload?ref=Deployment/default/web');
    expect(w.health.map((h: { cluster: string; health: string }) => [h.cluster, h.health])).toEqual([
      ['east', 'Progressing'],
      ['west', 'Progressing'],
    ]);
  });
});
