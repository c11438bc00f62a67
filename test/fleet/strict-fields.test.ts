// Strict by default (issue 10, defect 4): an unknown or misspelt field of a Karmada or Kurator kind
// is an error naming the field it most likely meant, as kubectl's strict field validation rejects it.
// The scenario of the issue: `clusterAfinity` on a Duplicated policy used to be a warning, `validate`
// exited 0 and the workload went from its 2 clusters to all 5.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeReconcileCommand } from '../../src/cli/commands/reconcile.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { fakeIO } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, makeRepo, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const FLEET = `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata:
  name: fleet
  namespace: default
spec:
  clusters:
  - {name: member-a, labels: {region: east}}
  - {name: member-b, labels: {region: east}}
  - {name: member-c, labels: {region: west}}
  - {name: member-d, labels: {region: west}}
  - {name: member-e, labels: {region: south}}
`;

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`;

/** A Duplicated policy for web on member-a and member-b; `affinity` is the key the user typed. */
const policy = (affinity: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: web
spec:
  resourceSelectors:
    - apiVersion: apps/v1
      kind: Deployment
      name: web
  placement:
    ${affinity}:
      clusterNames: [member-a, member-b]
    replicaScheduling:
      replicaSchedulingType: Duplicated
`;

const files = (affinity: string) => [
  { path: 'fleet.yaml', text: FLEET },
  { path: 'web.yaml', text: WEB },
  { path: 'policy.yaml', text: policy(affinity) },
];

describe('strict fields: the clusterAfinity typo on a Duplicated policy', () => {
  it('spelt right, web runs on its 2 clusters', () => {
    const result = renderFleet({ files: files('clusterAffinity'), revision: 'worktree' });
    expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(result.placements[0]!.clusters.map((c) => c.name)).toEqual(['member-a', 'member-b']);
  });

  it('misspelt, it is an UNKNOWN_FIELD error at the key, naming clusterAffinity, and the policy is left out', () => {
    const result = renderFleet({ files: files('clusterAfinity'), revision: 'worktree' });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([
      {
        severity: 'error',
        code: 'UNKNOWN_FIELD',
        message: 'PropagationPolicy default/web: unknown field spec.placement.clusterAfinity; did you mean "clusterAffinity"?',
        file: 'policy.yaml',
        line: 11,
        column: 5,
      },
    ]);
    expect(result.model.propagationPolicies).toEqual([]);
  });

  it('flotilla validate exits 1 on it (it exited 0 when this was a warning)', async () => {
    const dir = await makeTempDir('flotilla-strict-');
    for (const f of files('clusterAfinity')) await fs.writeFile(path.join(dir, f.path), f.text);
    const io = fakeIO();
    expect(await validateCommand(['--repo', dir], io)).toBe(1);
    expect(io.out).toContain(
      'policy.yaml:11:5: error UNKNOWN_FIELD: PropagationPolicy default/web: ' +
        'unknown field spec.placement.clusterAfinity; did you mean "clusterAffinity"?',
    );
  });

  it('the reconciler keeps web on its 2 clusters: the typo commit is Invalid and no target moves to 5 clusters', async () => {
    const { dir } = await makeRepo(Object.fromEntries(files('clusterAffinity').map((f) => [f.path, f.text])));
    const base = await makeTempDir('flotilla-strict-');
    const config = path.join(base, 'flotilla.yaml');
    await fs.writeFile(config, `source: {url: ${dir}, branch: main, cacheDir: cache}\ntargets:\n  - directory: {path: rendered}\n`);
    const clustersOfWeb = async () => (await fs.readdir(path.join(base, 'rendered'))).filter((c) => c.startsWith('member-')).sort();

    expect(await makeReconcileCommand({ env: {} })(['--config', config, '--once'], fakeIO())).toBe(0);
    expect(await clustersOfWeb()).toEqual(['member-a', 'member-b']);

    await commitFiles(dir, { 'policy.yaml': policy('clusterAfinity') }, 'typo');
    const io = fakeIO();
    expect(await makeReconcileCommand({ env: {} })(['--config', config, '--once'], io)).toBe(1);
    expect(io.out).toContain('Invalid');
    expect(io.out).toMatch(/policy\.yaml:11: UNKNOWN_FIELD/);
    expect(await clustersOfWeb()).toEqual(['member-a', 'member-b']);
  });
});

describe('strict fields: the hint', () => {
  const placement = (body: string) =>
    renderFleet({ files: [...files('clusterAffinity').slice(0, 2), { path: 'p.yaml', text: body }], revision: 'w' });
  const unknown = (body: string) =>
    placement(body)
      .diagnostics.filter((d) => d.code === 'UNKNOWN_FIELD')
      .map((d) => `${d.line}: ${d.message.replace(/^[^:]+: /, '')}`);

  it('names the closest field, transpositions and capitals included; with none close, lists the known fields', () => {
    expect(unknown(policy('clusterAffinity').replace('clusterNames', 'clsuterNames'))).toEqual([
      '12: unknown field spec.placement.clusterAffinity.clsuterNames; did you mean "clusterNames"?',
    ]);
    expect(unknown(policy('clusterAffinity').replace('replicaScheduling:', 'ReplicaScheduling:'))).toEqual([
      '13: unknown field spec.placement.ReplicaScheduling; did you mean "replicaScheduling"?',
    ]);
    expect(unknown(policy('clusterAffinity').replace('clusterNames', 'members'))[0]).toBe(
      '12: unknown field spec.placement.clusterAffinity.members; the known fields in spec.placement.clusterAffinity are ' +
        'clusterNames, exclude, fieldSelector, labelSelector, preferredDuringSchedulingIgnoredDuringExecution',
    );
  });

  it('metadata of Karmada and Kurator kinds is checked too', () => {
    expect(unknown(policy('clusterAffinity').replace('  name: web\nspec', '  name: web\n  lables: {team: a}\nspec'))).toEqual([
      '5: unknown field metadata.lables; did you mean "labels"?',
    ]);
  });
});
