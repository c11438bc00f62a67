// `flotilla diff --kubeconfig`: the desired state against live clusters (test API servers, test
// doubles of kube-apiserver) through server-side dry runs. The seed fleet is applied first by the
// kubernetes target, then the repository or a live cluster changes and diff must show exactly that.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffCommand } from '../../src/cli/commands/diff.js';
import { cleanupRepos, commitFiles, makeRepo, makeTempDir } from '../helpers/git.js';
import type { TestFleet } from '../helpers/kube.js';
import { CLUSTER_POLICY_CRD, PlanMaker, SEED_CLUSTERS, startSeedFleet, testTarget } from '../kube/harness.js';
import { runCommand, seedFiles } from '../plan/scenarios.js';
import { statusFiles, writeStatusBranch } from '../diff/status-branch.js';

afterAll(cleanupRepos);

type Obj = Record<string, any>;
const ALL_CLUSTERS = [...SEED_CLUSTERS, 'cluster-zone-a', 'cluster-zone-b'].sort();
const SECRET = (v: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: kurator-system\ntype: Opaque\ndata:\n  password: ${v}\n`;

const run = (argv: string[]) => runCommand(diffCommand, argv);

/** Changed lines of a unified diff (no headers). */
function changedLines(text: string): string[] {
  return text.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
}

describe('flotilla diff --kubeconfig (server-side dry run against 7 test API servers)', () => {
  let fleet: TestFleet;
  let dir: string;
  let files: Record<string, string>;

  beforeEach(async () => {
    fleet = await startSeedFleet(ALL_CLUSTERS);
    files = { ...seedFiles(), 'zz-secret.yaml': SECRET('c2VjcmV0MQ==') };
    ({ dir } = await makeRepo(files));
    // The seed applied by the kubernetes target, as the reconciler would.
    const target = testTarget(fleet);
    const { plan } = new PlanMaker().next(Object.entries(files).map(([path, text]) => ({ path, text })));
    const report = await target.apply(plan);
    target.close();
    expect(report.ok).toBe(true);
    for (const s of fleet.servers.values()) s.clearRequests();
  });
  afterEach(async () => {
    await fleet?.close();
  });

  it(
    'freshly applied fleet → "no differences", exit 0: status, managedFields, uid, defaults and ' +
      'the revision annotation never show; nothing written',
    async () => {
      const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath]);
      expect(r.stdout).toMatch(
        /# no differences: desired worktree matches live clusters \(7 of 7 clusters reached, server-side dry run\) \(\d+ objects\)/,
      );
      expect(r.code).toBe(0);
      // Equal objects are not even sent as dry runs, and nothing at all is stored.
      const writes = [...fleet.servers.values()].flatMap((s) => s.writeRequests());
      expect(writes).toEqual([]);
    },
  );

  it(
    'a policy change (nginx 60/40 → 50/50) shows replicas 6→5 and 4→5 only, as live/… +++ ' +
      'desired/…; exit 2; the dry run stores nothing',
    async () => {
      const nginx = files['05-nginx.yaml']!;
      await commitFiles(
        dir,
        { '05-nginx.yaml': nginx.replace('weight: 60', 'weight: 50').replace('weight: 40', 'weight: 50') },
        'nginx 50/50',
      );
      const r = await run(['--repo', dir, '--ref', 'HEAD', '--kubeconfig', fleet.kubeconfigPath]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain(
        '--- live/cluster-hangzhou/default/deployment-nginx.yaml\n+++ desired/cluster-hangzhou/default/deployment-nginx.yaml\n',
      );
      expect(r.stdout).toContain('# cluster cluster-shanghai: 1 changed');
      expect(changedLines(r.stdout)).toEqual(['-  replicas: 6', '+  replicas: 5', '-  replicas: 4', '+  replicas: 5']);
      const writes = [...fleet.servers.values()].flatMap((s) => s.writeRequests().map((w) => `${s.name} ${w.method} dryRun=${w.dryRun}`));
      expect(writes.sort()).toEqual(['cluster-hangzhou PATCH dryRun=true', 'cluster-shanghai PATCH dryRun=true']);
      expect((fleet.servers.get('cluster-hangzhou')!.getObject('apps/v1', 'Deployment', 'default', 'nginx') as Obj).spec.replicas).toBe(6);
    },
  );

  it(
    'a live edit behind flotilla’s back (replicas 6 → 2 by kubectl) shows as a difference to ' +
      'put right; JSON lists the clusters reached',
    async () => {
      const hz = fleet.servers.get('cluster-hangzhou')!;
      const live = hz.getObject('apps/v1', 'Deployment', 'default', 'nginx') as Obj;
      hz.putObject({ ...live, spec: { ...live.spec, replicas: 2 } }, 'kubectl-edit');
      const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--format', 'json']);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.objects.map((o: Obj) => `${o.cluster} ${o.change} ${o.desiredPath}`)).toEqual([
        'cluster-hangzhou changed cluster-hangzhou/default/deployment-nginx.yaml',
      ]);
      expect(changedLines(doc.objects[0].diff)).toEqual(['-  replicas: 2', '+  replicas: 6']);
      expect(doc.liveClusters).toHaveLength(7);
      expect(doc.liveClusters[0]).toEqual({ cluster: 'cluster-frankfurt', reachable: true, via: 'context cluster-frankfurt', error: null });
    },
  );

  it('a kind served cluster-wide that the repository judged namespaced is judged again by --config’s scope: never sent', async () => {
    for (const s of fleet.servers.values()) s.putObject(CLUSTER_POLICY_CRD);
    await commitFiles(
      dir,
      {
        'kyverno.yaml':
          'apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\nmetadata: {name: kyverno}\nspec:\n' +
          '  resourceSelectors: [{apiVersion: kyverno.io/v1, kind: ClusterPolicy}]\n' +
          '  placement: {clusterAffinity: {clusterNames: [cluster-hangzhou]}}\n',
        'teams/web/policy.yaml': 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: everything, namespace: web}\nspec: {}\n',
      },
      'a team policy',
    );
    const config = path.join(await makeTempDir('flotilla-diff-scope-'), 'flotilla.yaml');
    await writeFile(
      config,
      `source: {url: ${dir}}\ntargets: []\nscope:\n  paths:\n    - {path: teams/web/, namespaces: {allow: [web]}, clusterScoped: false}\n`,
    );
    const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--config', config, '--format', 'json']);
    expect(r.code).toBe(1);
    const failures = JSON.parse(r.stdout).liveFailures as Obj[];
    expect(failures.map((f) => `${f.cluster} ${f.object}`)).toEqual(['cluster-hangzhou ClusterPolicy web/everything']);
    expect(failures[0]!.message).toContain('kyverno.io/ClusterPolicy is cluster-scoped and scope.paths[0].clusterScoped is false');
    expect(
      fleet.servers
        .get('cluster-hangzhou')!
        .writeRequests()
        .filter((w) => w.path.includes('clusterpolicies')),
    ).toEqual([]);
  });

  it('one cluster down → reported (exit 1) while the other clusters’ diffs still show', async () => {
    const nginx = files['05-nginx.yaml']!;
    await commitFiles(
      dir,
      { '05-nginx.yaml': nginx.replace('weight: 60', 'weight: 50').replace('weight: 40', 'weight: 50') },
      'nginx 50/50',
    );
    await fleet.servers.get('cluster-shanghai')!.goDown();
    const r = await run(['--repo', dir, '--ref', 'HEAD', '--kubeconfig', fleet.kubeconfigPath, '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/# error: cluster cluster-shanghai not diffed: .*ECONNREFUSED/);
    expect(r.stdout).toContain('--- live/cluster-hangzhou/default/deployment-nginx.yaml');
    expect(changedLines(r.stdout)).toEqual(['-  replicas: 6', '+  replicas: 5']);
    expect(r.stdout).toContain('6 of 7 clusters reached');
    // The summary counts the cluster's error beside the render's diagnostics, not "0 errors" alone.
    expect(r.stdout).toMatch(/; 0 errors, \d+ warnings; 1 cluster error \(above\)\n$/);
  });

  it('every cluster down → no "no differences" summary: it says 0 of 7 clusters were compared and names each (exit 1)', async () => {
    for (const s of fleet.servers.values()) await s.goDown();
    const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('no differences');
    const summary = r.stdout.split('\n').find((l) => l.startsWith('# nothing compared'));
    expect(summary).toContain('0 of 7 clusters reached');
    expect(summary).toContain(`not compared: ${ALL_CLUSTERS.join(', ')}`);
    const github = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--timeout', '2', '--format', 'github']);
    expect(github.stdout).toContain('::notice title=flotilla diff::nothing compared');
  });

  it('one cluster down and nothing to change → "no differences" only for the 6 clusters compared, the 7th named (exit 1)', async () => {
    await fleet.servers.get('cluster-shanghai')!.goDown();
    const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('# no differences:');
    expect(r.stdout).toMatch(
      /# no differences on the 6 clusters compared: .*6 of 7 clusters reached, server-side dry run; not compared: cluster-shanghai\)/,
    );
  });

  it('Secret values are redacted on both sides of a live diff, yet a rotated value shows as a changed line', async () => {
    await commitFiles(dir, { 'zz-secret.yaml': SECRET('c2VjcmV0Mg==') }, 'rotate');
    const r = await run(['--repo', dir, '--ref', 'HEAD', '--kubeconfig', fleet.kubeconfigPath]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('c2VjcmV0');
    // The Secret is placed on two clusters: one removed and one added line on each, neither a function of the value.
    expect(changedLines(r.stdout)).toEqual([
      '-  password: <redacted>',
      '+  password: <redacted, changed>',
      '-  password: <redacted>',
      '+  password: <redacted, changed>',
    ]);
  });

  it('a live Secret value that is not in Git (added behind flotilla’s back) shows only as <redacted>', async () => {
    const hz = fleet.servers.get('cluster-hangzhou')!;
    const live = hz.getObject('v1', 'Secret', 'kurator-system', 'db') as Obj;
    hz.putObject({ ...live, data: { ...live.data, token: 'bGl2ZS1vbmx5LXRva2Vu' } }, 'kubectl-edit');
    await commitFiles(dir, { 'zz-secret.yaml': SECRET('c2VjcmV0Mg==') }, 'rotate');
    const r = await run(['--repo', dir, '--ref', 'HEAD', '--kubeconfig', fleet.kubeconfigPath]);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('bGl2ZS1vbmx5LXRva2Vu');
    expect(r.stdout).toContain(' password: <redacted, changed>\n   token: <redacted>\n');
    expect(r.stdout).not.toMatch(/sha256/);
  });

  it('a cluster without a context is reported, never skipped silently; --context-map maps it to another context', async () => {
    const r = await run(['--repo', dir, '--kubeconfig', fleet.kubeconfigPath, '--context-map', 'cluster-zone-a=nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '# error: cluster cluster-zone-a not diffed: contexts maps cluster-zone-a to "nope", which the kubeconfig does not define',
    );
    const ok = await run([
      '--repo',
      dir,
      '--kubeconfig',
      fleet.kubeconfigPath,
      '--context-map',
      'cluster-zone-a=cluster-zone-a,cluster-zone-b=cluster-zone-b',
    ]);
    expect(ok.code).toBe(0);
  });

  it(
    'an object the status branch records as applied that left the desired state shows as ' +
      'removed (+++ /dev/null), its delete only dry-run',
    async () => {
      const { commit } = await makeRepo(files);
      await writeStatusBranch(dir, statusFiles(files, commit));
      await commitFiles(dir, { 'zz-secret.yaml': null }, 'drop the secret');
      const r = await run(['--repo', dir, '--ref', 'HEAD', '--kubeconfig', fleet.kubeconfigPath, '--format', 'json']);
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary).toMatchObject({ removed: 2, added: 0, changed: 0 });
      expect(doc.objects[0].diff).toMatch(/^--- live\/[\w-]+\/kurator-system\/secret-db\.yaml\n\+\+\+ \/dev\/null\n/);
      expect(doc.objects[0].diff).not.toContain('c2VjcmV0');
      const deletes = [...fleet.servers.values()].flatMap((s) => s.writeRequests().filter((w) => w.method === 'DELETE'));
      expect(deletes.length).toBe(2);
      expect(deletes.every((w) => w.dryRun)).toBe(true);
    },
  );

  it('an unreadable kubeconfig is KUBECONFIG_UNREADABLE; --context-map without --kubeconfig is a usage error', async () => {
    await expect(run(['--repo', dir, '--kubeconfig', '/nonexistent/kubeconfig'])).rejects.toMatchObject({ code: 'KUBECONFIG_UNREADABLE' });
    await expect(run(['--repo', dir, '--context-map', 'a=b'])).rejects.toMatchObject({ code: 'USAGE' });
  });
});
