// The real kubectl against the test API server: proof that the double speaks the Kubernetes wire
// protocol (discovery, server-side apply, get, delete, CRDs, conflicts) well enough for client-go.
// Servers run with tls: true because client-go sends a kubeconfig's token only to https servers.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startFleetApiServers, type TestFleet } from '../helpers/kube.js';

/** Is kubectl on PATH? */
function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

const HAVE_KUBECTL = kubectlAvailable();
if (!HAVE_KUBECTL) console.warn('kubectl is not installed on this machine: the kubectl tests of the test API server are skipped');

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80}]
          env: [{name: MODE, value: "prod"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop, labels: {app: x}}
data: {colour: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: shop, labels: {app: cache}}
data: {colour: red}
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: propagationpolicies.policy.karmada.io
spec:
  group: policy.karmada.io
  names: {kind: PropagationPolicy, plural: propagationpolicies, singular: propagationpolicy, shortNames: [pp]}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

const POLICY = `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: shop}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [east, west]}}
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe.skipIf(!HAVE_KUBECTL)('kubectl against the test API server', () => {
  let fleet: TestFleet;
  let dir: string;

  /** Runs kubectl with the fleet's kubeconfig, a private HOME and discovery cache. */
  const kubectl = (context: string, ...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', fleet.kubeconfigPath, '--context', context, '--cache-dir', path.join(dir, 'cache'), ...args],
        { env: { ...process.env, HOME: dir, KUBECONFIG: '' }, timeout: 10000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  const file = async (name: string, text: string): Promise<string> => {
    const p = path.join(dir, name);
    await writeFile(p, text);
    return p;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'flotilla-kubectl-'));
    fleet = await startFleetApiServers(['east', 'west'], { tls: true });
  });
  afterAll(async () => {
    await fleet?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('apply --server-side --validate=false creates every object in the chosen context only, owned by manager "kubectl"', async () => {
    const run = await kubectl('east', 'apply', '--server-side', '--validate=false', '-f', await file('app.yaml', MANIFESTS));
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      'namespace/shop serverside-applied',
      'deployment.apps/web serverside-applied',
      'configmap/settings serverside-applied',
      'configmap/other serverside-applied',
    ]);
    const east = fleet.servers.get('east')!;
    const web = east.getObject('apps/v1', 'Deployment', 'shop', 'web')!;
    expect(web.metadata?.managedFields?.map((e) => [e.manager, e.operation])).toEqual([['kubectl', 'Apply']]);
    expect(east.writeRequests().map((r) => [r.method, r.contentType, r.manager])).toEqual(
      Array(4).fill(['PATCH', 'application/apply-patch+yaml', 'kubectl']),
    );
    expect(fleet.servers.get('west')!.getObject('apps/v1', 'Deployment', 'shop', 'web')).toBeUndefined();
  });

  it('get deploy web -o yaml shows the applied fields and the managedFields manager', async () => {
    const run = await kubectl('east', 'get', 'deploy', 'web', '-n', 'shop', '-o', 'yaml', '--show-managed-fields');
    expect(run.code).toBe(0);
    const web = YAML.parse(run.stdout);
    expect(web).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', generation: 1 },
      spec: { replicas: 2 },
    });
    expect(web.spec.template.spec.containers[0]).toMatchObject({
      name: 'web',
      image: 'nginx:1.27',
      env: [{ name: 'MODE', value: 'prod' }],
    });
    expect(web.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' });
    expect(web.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas']).toEqual({});
  });

  it('get cm -l app=x lists only the matching ConfigMap', async () => {
    const run = await kubectl('east', 'get', 'cm', '-n', 'shop', '-l', 'app=x');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['settings']);
    expect((await kubectl('east', 'get', 'cm', '-A', '-l', 'app', '-o', 'name')).stdout.trim().split('\n')).toEqual([
      'configmap/other',
      'configmap/settings',
    ]);
  });

  it("a conflicting apply by another field manager fails with kubectl's conflict error; --force-conflicts takes the field", async () => {
    const changed = await file('scaled.yaml', MANIFESTS.replace('replicas: 2', 'replicas: 5'));
    const run = await kubectl('east', 'apply', '--server-side', '--validate=false', '--field-manager=autoscaler', '-f', changed);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
    expect(run.stderr).toContain('Please review the fields above--they currently have other managers');
    expect(fleet.servers.get('east')!.getObject('apps/v1', 'Deployment', 'shop', 'web')?.spec).toMatchObject({ replicas: 2 });
    const forced = await kubectl(
      'east',
      'apply',
      '--server-side',
      '--validate=false',
      '--field-manager=autoscaler',
      '--force-conflicts',
      '-f',
      changed,
    );
    expect(forced.code).toBe(0);
    const web = YAML.parse((await kubectl('east', 'get', 'deploy', 'web', '-n', 'shop', '-o', 'yaml', '--show-managed-fields')).stdout);
    expect(web.spec.replicas).toBe(5);
    const replicasOwners = web.metadata.managedFields
      .filter((e: { fieldsV1: { 'f:spec'?: Record<string, unknown> } }) => e.fieldsV1['f:spec']?.['f:replicas'])
      .map((e: { manager: string }) => e.manager);
    expect(replicasOwners).toEqual(['autoscaler']);
  });

  it('apply --server-side of a CRD, then of a custom resource of it in a later invocation', async () => {
    const crd = await kubectl('east', 'apply', '--server-side', '--validate=false', '-f', await file('crd.yaml', CRD));
    expect(crd.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/propagationpolicies.policy.karmada.io serverside-applied',
    );
    const cr = await kubectl('east', 'apply', '--server-side', '--validate=false', '-f', await file('policy.yaml', POLICY));
    expect(cr.stderr).toBe('');
    expect(cr.stdout.trim()).toBe('propagationpolicy.policy.karmada.io/web serverside-applied');
    const got = YAML.parse((await kubectl('east', 'get', 'pp', 'web', '-n', 'shop', '-o', 'yaml')).stdout);
    expect(got.spec.placement.clusterAffinity.clusterNames).toEqual(['east', 'west']);
  });

  it('delete -f removes the objects', async () => {
    const run = await kubectl('east', 'delete', '-f', path.join(dir, 'app.yaml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('deployment.apps "web" deleted');
    expect(run.stdout).toContain('namespace "shop" deleted');
    const east = fleet.servers.get('east')!;
    expect(east.getObject('apps/v1', 'Deployment', 'shop', 'web')).toBeUndefined();
    expect(east.listObjects('v1', 'ConfigMap', 'shop')).toEqual([]);
    expect((await kubectl('east', 'get', 'deploy', '-A')).stderr.trim()).toBe('No resources found');
  });

  it('over plain http client-go sends no token, so the server answers 401 (why these servers use tls)', async () => {
    const plain = await startFleetApiServers(['plain']);
    try {
      const run = await new Promise<Run>((resolve) =>
        execFile(
          'kubectl',
          ['--kubeconfig', plain.kubeconfigPath, '--context', 'plain', '--cache-dir', path.join(dir, 'cache'), 'get', 'cm'],
          { env: { ...process.env, HOME: dir }, timeout: 10000 },
          (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('You must be logged in to the server');
    } finally {
      await plain.close();
    }
  });
});
