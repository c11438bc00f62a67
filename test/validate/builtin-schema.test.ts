// Built-in Kubernetes kinds are schema-checked for every resource, claimed or not (issue 10 item 5):
// what an API server refuses on every cluster is an error at the offending field's file:line.
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { readFleetDirectory } from '../../src/load/files.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { apiClasses, kindRegistry, modelNamed, QUANTITY_FIELDS, shapeOf, unversionedName } from '../../src/validate/builtin-registry.js';
import { API_SERVER_RULES } from '../../src/validate/builtin-rules.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

const CLUSTERS = `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: east}
spec: {region: us-east}
`;

function render(files: Record<string, string>) {
  return renderFleet({ files: Object.entries(files).map(([p, text]) => ({ path: p, text })), revision: 'worktree' });
}

/** "severity CODE file:line" of every schema diagnostic (and INVALID_FIELD_TYPE, its scheduler twin). */
function schemaDiagnostics(files: Record<string, string>): string[] {
  return render({ 'clusters.yaml': CLUSTERS, ...files })
    .diagnostics.filter((d) => d.code.startsWith('SCHEMA_') || d.code === 'INVALID_FIELD_TYPE')
    .map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`);
}

function messages(files: Record<string, string>): string[] {
  return render({ 'clusters.yaml': CLUSTERS, ...files })
    .diagnostics.filter((d) => d.code.startsWith('SCHEMA_'))
    .map((d) => d.message);
}

const deployment = (spec: string, container = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
${spec}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: nginx:1.27
${container}`;

const CLAIM_WEB = `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [east]}}
`;

describe('the registry: built-in kinds from @kubernetes/client-node, derived, not listed', () => {
  it('covers the built-in groups (89 kinds in client-node 1.4.0), clashing kinds by their prefixed classes', () => {
    const registry = kindRegistry();
    expect(registry.size).toBeGreaterThanOrEqual(89);
    expect(Object.fromEntries([...registry].filter(([k]) => /^(apps|autoscaling|policy|batch)\//.test(k)))).toMatchObject({
      'apps/v1/Deployment': 'V1Deployment',
      'apps/v1/StatefulSet': 'V1StatefulSet',
      'autoscaling/v1/HorizontalPodAutoscaler': 'V1HorizontalPodAutoscaler',
      'autoscaling/v2/HorizontalPodAutoscaler': 'V2HorizontalPodAutoscaler',
      'batch/v1/CronJob': 'V1CronJob',
      'policy/v1/PodDisruptionBudget': 'V1PodDisruptionBudget',
    });
    expect(registry.get('/v1/ConfigMap')).toBe('V1ConfigMap');
    expect(registry.get('/v1/Event')).toBe('CoreV1Event');
    expect(registry.get('events.k8s.io/v1/Event')).toBe('EventsV1Event');
    expect(registry.get('resource.k8s.io/v1/ResourceClaim')).toBe('ResourceV1ResourceClaim');
    expect(registry.get('rbac.authorization.k8s.io/v1/ClusterRole')).toBe('V1ClusterRole');
    expect(registry.get('networking.k8s.io/v1/Ingress')).toBe('V1Ingress');
    expect(registry.get('apiextensions.k8s.io/v1/CustomResourceDefinition')).toBe('V1CustomResourceDefinition');
    expect(registry.get('storage.k8s.io/v1/StorageClass')).toBe('V1StorageClass');
    expect(registry.get('scheduling.k8s.io/v1/PriorityClass')).toBe('V1PriorityClass');
  });

  it("each API class's group is the one its requests go to (the library's own URLs)", async () => {
    const urls: string[] = [];
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration('http://server', {}),
      httpApi: {
        send(request) {
          urls.push(request.getUrl());
          return new k8s.Observable(Promise.reject(new Error('not sent')));
        },
      },
      authMethods: {},
    });
    const classes = apiClasses();
    expect(classes.length).toBeGreaterThan(30);
    for (const api of classes) {
      const Api = (k8s as unknown as Record<string, new (c: typeof config) => { getAPIResources(): Promise<unknown> }>)[api.className]!;
      await new Api(config).getAPIResources().catch(() => undefined);
      expect(urls.pop(), api.className).toBe(`http://server/${api.group ? `apis/${api.group}` : 'api'}/${api.version}`);
    }
  });

  it('every type reachable from a registered kind is understood: only `any` and `object` accept anything', () => {
    const seen = new Set<string>();
    const loose: string[] = [];
    const pending = [...kindRegistry().values()];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const attributes = (k8s as unknown as Record<string, { getAttributeTypeMap(): Array<{ baseName: string; type: string }> }>)[name]!;
      for (const a of attributes.getAttributeTypeMap()) {
        const inner = a.type.replace(/^Array<(.+)>$/, '$1').replace(/^\{ \[key: string\]: (.+); \}$/, '$1');
        if (modelNamed(inner)) pending.push(inner);
        else if (JSON.stringify(shapeOf(inner, '')) === '{"kind":"any"}' && inner !== 'any' && inner !== 'object')
          loose.push(`${name}.${a.baseName}: ${a.type}`);
      }
    }
    expect(seen.size).toBeGreaterThan(500);
    expect(loose).toEqual([]);
  });

  it('every quantity field names a string-typed field of the library (in some version)', () => {
    const classes = Object.keys(k8s).filter((n) => modelNamed(n));
    for (const [model, fields] of Object.entries(QUANTITY_FIELDS)) {
      const versions = classes.filter((n) => unversionedName(n) === model);
      expect(versions.length, model).toBeGreaterThan(0);
      for (const field of fields) {
        const shapes = versions.map((v) => modelNamed(v)!.fields.get(field)).filter((s) => s !== undefined);
        expect(shapes.length, `${model}.${field}`).toBeGreaterThan(0);
        for (const s of shapes) expect(JSON.stringify(s), `${model}.${field}`).toContain('"quantity"');
      }
    }
  });

  it('every API server rule names models the library has', () => {
    const unversioned = new Set(
      Object.keys(k8s)
        .filter((n) => modelNamed(n))
        .map(unversionedName),
    );
    for (const [name, rule] of Object.entries(API_SERVER_RULES))
      for (const m of rule.models) expect(unversioned.has(m), `${name}: ${m}`).toBe(true);
  });
});

describe('issue 10 item 5: each defect is an error at its field, claimed by a policy or not', () => {
  it('HPA minReplicas 28, maxReplicas 21 → SCHEMA_INVALID at minReplicas (line 9)', () => {
    const hpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  metrics:
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}
  minReplicas: 28
  maxReplicas: 21
`;
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: 2'), 'hpa.yaml': hpa })).toEqual(['error SCHEMA_INVALID hpa.yaml:9']);
    expect(messages({ 'hpa.yaml': hpa })).toEqual([
      'HorizontalPodAutoscaler default/web: spec: minReplicas (28) must be less than or equal to maxReplicas (21)',
    ]);
    expect(schemaDiagnostics({ 'hpa.yaml': hpa.replace('minReplicas: 28', 'minReplicas: 0') })).toEqual([
      'error SCHEMA_INVALID hpa.yaml:9',
    ]);
    expect(schemaDiagnostics({ 'hpa.yaml': hpa.replace('  maxReplicas: 21\n', '') })).toEqual(['error SCHEMA_INVALID hpa.yaml:5']);
  });

  it('ConfigMap data.example: 1 (not a string) → SCHEMA_TYPE at data.example (line 5)', () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata:\n  example: 1\n  fine: "1"\n';
    expect(schemaDiagnostics({ 'cm.yaml': cm })).toEqual(['error SCHEMA_TYPE cm.yaml:5']);
    expect(messages({ 'cm.yaml': cm })).toEqual(['ConfigMap default/settings: data.example must be a string, found number 1']);
  });

  it('an unclaimed Deployment with replicas: -3 → SCHEMA_INVALID; replicas: many → SCHEMA_TYPE (line 6)', () => {
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: -3') })).toEqual(['error SCHEMA_INVALID web.yaml:6']);
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: many') })).toEqual(['error SCHEMA_TYPE web.yaml:6']);
    expect(messages({ 'web.yaml': deployment('  replicas: many') })).toEqual([
      'Deployment default/web: spec.replicas must be an integer (int32), found the string "many"',
    ]);
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: 2.5') })).toEqual(['error SCHEMA_TYPE web.yaml:6']);
  });

  it('a claimed Deployment with replicas: -3 is reported once, by the scheduler (INVALID_FIELD_TYPE), not twice', () => {
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: -3'), 'policy.yaml': CLAIM_WEB })).toEqual([
      'error INVALID_FIELD_TYPE web.yaml:6',
    ]);
    // Another problem of the same Deployment is still reported.
    expect(schemaDiagnostics({ 'web.yaml': deployment('  replicas: -3\n  paused: yes please'), 'policy.yaml': CLAIM_WEB })).toEqual([
      'error INVALID_FIELD_TYPE web.yaml:6',
      'error SCHEMA_TYPE web.yaml:7',
    ]);
  });

  it('a misspelled container field → SCHEMA_UNKNOWN_FIELD at its line, with "did you mean"', () => {
    const web = deployment(
      '  replicas: 2',
      '        imagePullPolicyy: Always\n        ports: [{containerPort: 80}]\n        resourcse: {}\n',
    );
    expect(schemaDiagnostics({ 'web.yaml': web, 'policy.yaml': CLAIM_WEB })).toEqual([
      'error SCHEMA_UNKNOWN_FIELD web.yaml:14',
      'error SCHEMA_UNKNOWN_FIELD web.yaml:16',
    ]);
    expect(messages({ 'web.yaml': web })).toEqual([
      'Deployment default/web: spec.template.spec.containers[0].imagePullPolicyy is not a field of Container; did you mean ' +
        'imagePullPolicy?',
      'Deployment default/web: spec.template.spec.containers[0].resourcse is not a field of Container; did you mean resources?',
    ]);
    // No near miss, no hint; metadata and the top level are checked too.
    const far = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labelz: {}}\nspec: {}\ncompletelyDifferent: 1\n';
    expect(messages({ 'cm.yaml': far })).toEqual([
      'ConfigMap default/a: metadata.labelz is not a field of ObjectMeta; did you mean labels?',
      'ConfigMap default/a: spec is not a field of ConfigMap',
      'ConfigMap default/a: completelyDifferent is not a field of ConfigMap',
    ]);
  });

  it('the API server rules: PDB budgets, container names, Service and container ports, Job counts', () => {
    const pdb =
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 1\n  maxUnavailable: 25%\n';
    expect(schemaDiagnostics({ 'pdb.yaml': pdb })).toEqual(['error SCHEMA_INVALID pdb.yaml:6']);
    const twins = deployment(
      '  replicas: 2',
      '      - name: main\n        image: sidecar:1\n      initContainers:\n      - {name: main, image: init:1}\n',
    );
    expect(schemaDiagnostics({ 'web.yaml': twins })).toEqual(['error SCHEMA_INVALID web.yaml:14', 'error SCHEMA_INVALID web.yaml:17']);
    expect(messages({ 'web.yaml': twins })[0]).toBe(
      'Deployment default/web: spec.template.spec: container name "main" is already used by containers[0]',
    );
    const svc =
      'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n' +
      '  - {port: 0}\n  - port: 70000\n  - {port: 80, targetPort: 0}\n  - {port: 81, targetPort: http}\n';
    expect(schemaDiagnostics({ 'svc.yaml': svc })).toEqual(['error SCHEMA_INVALID svc.yaml:6', 'error SCHEMA_INVALID svc.yaml:7']);
    const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      completions: -1
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: busybox, ports: [{containerPort: 0}]}]
`;
    expect(schemaDiagnostics({ 'cron.yaml': cronJob })).toEqual(['error SCHEMA_INVALID cron.yaml:8', 'error SCHEMA_INVALID cron.yaml:12']);
  });
});

describe('types as the API server decodes them', () => {
  const pod = (containerExtra: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n${containerExtra}`;

  it('quantities are numbers or quantity strings; 512MB is not one', () => {
    expect(
      schemaDiagnostics({ 'pod.yaml': pod('    resources: {requests: {cpu: 1, memory: 512Mi}, limits: {cpu: 500m, memory: 1e9}}\n') }),
    ).toEqual([]);
    expect(schemaDiagnostics({ 'pod.yaml': pod('    resources:\n      limits: {memory: 512MB}\n') })).toEqual([
      'error SCHEMA_TYPE pod.yaml:9',
    ]);
  });

  it('int-or-string takes either, not a fraction; a boolean is not "yes please"; env values are strings', () => {
    const strategy = (v: string) => deployment(`  replicas: 2\n  strategy: {rollingUpdate: {maxSurge: ${v}}}`);
    expect(schemaDiagnostics({ 'web.yaml': strategy('25%') })).toEqual([]);
    expect(schemaDiagnostics({ 'web.yaml': strategy('1') })).toEqual([]);
    expect(schemaDiagnostics({ 'web.yaml': strategy('1.5') })).toEqual(['error SCHEMA_TYPE web.yaml:7']);
    expect(schemaDiagnostics({ 'pod.yaml': pod('    env: [{name: PORT, value: 8080}]\n') })).toEqual(['error SCHEMA_TYPE pod.yaml:8']);
    expect(schemaDiagnostics({ 'pod.yaml': pod('    stdin: yes\n    tty: "true"\n') })).toEqual(['error SCHEMA_TYPE pod.yaml:9']);
  });

  it('a Lease renewTime (metav1.MicroTime) is a date-time string', () => {
    const lease = (t: string) => `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l}\nspec:\n  renewTime: ${t}\n`;
    expect(schemaDiagnostics({ 'lease.yaml': lease('"2024-01-01T00:00:00.000000Z"') })).toEqual([]);
    expect(schemaDiagnostics({ 'lease.yaml': lease('12') })).toEqual(['error SCHEMA_TYPE lease.yaml:5']);
  });

  it('Secret data must be base64; stringData is any string', () => {
    const secret = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n${data}`;
    expect(schemaDiagnostics({ 's.yaml': secret('data: {a: aGVsbG8=}\nstringData: {b: "not base64!"}\n') })).toEqual([]);
    expect(schemaDiagnostics({ 's.yaml': secret('data:\n  a: hello world\n') })).toEqual(['error SCHEMA_TYPE s.yaml:5']);
  });

  it('null is absent; status is never checked; unknown kinds and removed versions are skipped', () => {
    const withNulls = deployment('  replicas: null\n  strategy: null').replace(
      'metadata:\n  name: web',
      'metadata:\n  name: web\n  creationTimestamp: null',
    );
    expect(schemaDiagnostics({ 'web.yaml': `${withNulls}status: {whatever: 1, replicas: many}\n` })).toEqual([]);
    const crd = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {anything: [1, 2]}\n';
    const removed = deployment('  replicas: 2')
      .replace('apps/v1', 'apps/v1beta1')
      .replace('  replicas: 2', '  replicas: 2\n  rollbackTo: {}');
    expect(schemaDiagnostics({ 'crd.yaml': crd, 'old.yaml': removed })).toEqual([]);
  });

  it('a CustomResourceDefinition is checked, its openAPIV3Schema included (x-kubernetes-* fields are fields)', () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
        properties:
          spec: {type: object, properties: {size: {type: integer, minimum: 1, maxLenght: 3}}}
`;
    expect(messages({ 'crd.yaml': crd })).toEqual([
      'CustomResourceDefinition widgets.example.com: spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.maxLenght' +
        ' is not a field of JSONSchemaProps; did you mean maxLength?',
    ]);
  });
});

describe('every path sees them', () => {
  it('the incremental renderer (the reconciler) reports the same diagnostics as renderFleet', () => {
    const files = {
      'clusters.yaml': CLUSTERS,
      'web.yaml': deployment('  replicas: many'),
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 1}\n',
    };
    const list = Object.entries(files).map(([p, text]) => ({ path: p, text }));
    const incremental = new IncrementalRenderer().update({
      revision: 'worktree',
      changes: list.map((f) => ({ path: f.path, text: f.text })),
    });
    const full = render(files);
    expect(incremental.diagnostics).toEqual(full.diagnostics);
    expect(full.diagnostics.filter((d) => d.code.startsWith('SCHEMA_')).map((d) => `${d.code} ${d.file}:${d.line}`)).toEqual([
      'SCHEMA_TYPE cm.yaml:4',
      'SCHEMA_TYPE web.yaml:6',
    ]);
  });

  it('a later incremental update that leaves the bad file alone still reports it, at the same line', () => {
    const engine = new IncrementalRenderer();
    const cm = { path: 'cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: 1\n' };
    const web = { path: 'web.yaml', text: deployment('  replicas: 2') };
    const schema = (r: { diagnostics: Array<{ code: string; file: string | null; line: number | null }> }) =>
      r.diagnostics.filter((d) => d.code.startsWith('SCHEMA_')).map((d) => `${d.code} ${d.file}:${d.line}`);
    expect(schema(engine.update({ revision: 'a', changes: [{ path: 'clusters.yaml', text: CLUSTERS }, cm, web] }))).toEqual([
      'SCHEMA_TYPE cm.yaml:5',
    ]);
    const edited = { path: 'web.yaml', text: deployment('  replicas: nine') };
    expect(schema(engine.update({ revision: 'b', changes: [edited] }))).toEqual(['SCHEMA_TYPE cm.yaml:5', 'SCHEMA_TYPE web.yaml:6']);
    expect(schema(engine.update({ revision: 'c', changes: [{ path: 'cm.yaml', text: cm.text.replace('a: 1', 'a: "1"') }] }))).toEqual([
      'SCHEMA_TYPE web.yaml:6',
    ]);
  });

  it('the seed fleets stay clean: no schema diagnostic', async () => {
    for (const dir of ['fixtures/seed', 'fixtures/seed-article']) {
      const files = await readFleetDirectory(path.join(ROOT, dir));
      const r = renderFleet({ files, revision: 'worktree' });
      expect(
        r.diagnostics.filter((d) => d.code.startsWith('SCHEMA_')),
        dir,
      ).toEqual([]);
      expect(r.model.resources.length).toBeGreaterThanOrEqual(5);
    }
  });
});
