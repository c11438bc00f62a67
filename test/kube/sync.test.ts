// spec.suspension on the Kubernetes test API servers (docs/reference/semantics.md §2.4): a cluster
// where the claiming policy holds dispatching keeps its old object version, and nothing is pruned
// there — neither when the resource changes nor when the placement leaves the cluster; lifting the
// suspension applies (and prunes) again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';
import { PlanMaker, clearRequests, testTarget, writes } from './harness.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { previousFromJson, renderJson } from '../../src/render/contract.js';
import type { KubernetesTarget } from '../../src/targets/kubernetes.js';
import { SUSPENDED_MESSAGE } from '../../src/kube/sync.js';

const CLUSTERS = ['member-a', 'member-b']
  .map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\n`)
  .join('---\n');
const web = (image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 2\n` +
  `  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n` +
  `    spec: {containers: [{name: c, image: ${image}}]}\n`;
const policy = (clusters: string, suspension = '') =>
  `apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: web, namespace: default}\nspec:\n` +
  `  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]\n${suspension}` +
  `  placement:\n    clusterAffinity: {clusterNames: [${clusters}]}\n`;
const ON_B = '  suspension: {dispatchingOnClusters: {clusterNames: [member-b]}}\n';

describe('suspension on live clusters', () => {
  let fleet: TestFleet;
  let target: KubernetesTarget;
  const maker = new PlanMaker();
  let last: RenderResult | null = null;

  /** Renders the next revision on the last one's placements (as the reconciler does) and applies it. */
  async function apply(p: string, w: string, revision: string) {
    const files = [
      { path: 'clusters.yaml', text: CLUSTERS },
      { path: 'policy.yaml', text: p },
      { path: 'web.yaml', text: w },
    ];
    const previous = last ? previousFromJson(JSON.stringify(renderJson(last)), 'previous') : new Map();
    last = renderFleet({ files, revision, previous });
    expect(last.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return target.apply(maker.fromRender(last).plan);
  }
  const image = (cluster: string) =>
    (fleet.servers.get(cluster)!.getObject('apps/v1', 'Deployment', 'default', 'web') as Record<string, any> | undefined)?.spec.template
      .spec.containers[0].image;

  beforeAll(async () => {
    fleet = await startFleetApiServers(['member-a', 'member-b'], { autoReady: true });
    target = testTarget(fleet);
  });
  afterAll(async () => {
    target?.close();
    await fleet?.close();
  });

  it('r1: web goes to both clusters', async () => {
    const report = await apply(policy('member-a, member-b'), web('nginx:1'), 'r1');
    expect(report.ok).toBe(true);
    expect([image('member-a'), image('member-b')]).toEqual(['nginx:1', 'nginx:1']);
  });

  it('r2: member-b suspended, web changed: member-a is updated, member-b keeps the old version with no write', async () => {
    clearRequests(fleet);
    const report = await apply(policy('member-a, member-b', ON_B), web('nginx:2'), 'r2');
    expect(report.ok).toBe(true);
    expect([image('member-a'), image('member-b')]).toEqual(['nginx:2', 'nginx:1']);
    expect(writes(fleet).filter((w) => w.cluster === 'member-b')).toEqual([]);
    const b = target.lastResult!.clusters.find((c) => c.cluster === 'member-b')!;
    expect(b.objects.filter((o) => o.ref.kind === 'Deployment')).toMatchObject([{ action: 'skipped', message: SUSPENDED_MESSAGE }]);
    expect(last!.placements[0]!.suspendedClusters).toEqual(['member-b']);
  });

  it('r3: the placement leaves member-b while it is suspended: nothing is pruned there', async () => {
    clearRequests(fleet);
    const report = await apply(policy('member-a', ON_B), web('nginx:3'), 'r3');
    expect(report).toMatchObject({ ok: true, deleted: 0 });
    expect([image('member-a'), image('member-b')]).toEqual(['nginx:3', 'nginx:1']);
    expect(writes(fleet).filter((w) => w.cluster === 'member-b')).toEqual([]);
    expect(last!.placements[0]!.clusters.map((c) => c.name)).toEqual(['member-a', 'member-b']);
  });

  it('r4: the suspension is lifted: the placement as written applies again, and member-b is pruned', async () => {
    const report = await apply(policy('member-a'), web('nginx:3'), 'r4');
    expect(report).toMatchObject({ ok: true, deleted: 1 });
    expect([image('member-a'), image('member-b')]).toEqual(['nginx:3', undefined]);
  });
});
