// The bad-input catalogue (fixtures/bad/README.md): each case is a tiny fleet directory driven
// through readFleetDirectory → parseFleetFiles → buildFleetModel and its resources through the
// built-in schema check (render runs it on every resource); RENDERED cases go through the whole
// renderFleet, for what only placing shows. For each, the exact diagnostics a user sees: code,
// severity (error where Karmada or the API server would reject, warning where it accepts but it is
// likely a mistake) and file:line. Info notes are not part of the assertion.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFleetDirectory } from '../src/load/files.js';
import { makeFieldLocator, parseFleetFiles, type SourceFile } from '../src/load/parse.js';
import { buildSourceFiles } from '../src/generate/builder.js';
import { defaultBuildConfig } from '../src/config/schema.js';
import { buildFleetModel } from '../src/fleet/build.js';
import { DiagnosticSink, sortDiagnostics, type Diagnostic } from '../src/model/diagnostics.js';
import type { FleetModel } from '../src/model/types.js';
import { checkBuiltinKinds } from '../src/validate/builtin-schema.js';
import { renderFleet } from '../src/render/render-fleet.js';

const BAD = path.resolve(import.meta.dirname, '../fixtures/bad');

/** [severity, code, file:line] */
type Expected = ['error' | 'warning', string, string];

/** A case's files as the commands read them: every file, Kustomize folders built (kubectl's kustomize on this machine). */
async function readCase(dir: string): Promise<SourceFile[]> {
  return buildSourceFiles(await readFleetDirectory(dir, '.', { allFiles: true }), defaultBuildConfig());
}

async function load(dir: string): Promise<{ sink: DiagnosticSink; model: FleetModel; seen: Expected[] }> {
  const files = await readCase(dir);
  const sink = new DiagnosticSink(makeFieldLocator(files));
  const model = buildFleetModel(parseFleetFiles(files, sink), sink);
  checkBuiltinKinds(model.resources, sink);
  return { sink, model, seen: problems(sink.items) };
}

function problems(items: readonly Diagnostic[]): Expected[] {
  return sortDiagnostics(items)
    .filter((d) => d.severity !== 'info')
    .map((d): Expected => [d.severity as 'error' | 'warning', d.code, `${d.file}:${d.line}`]);
}

/** Cases whose mistake only placing shows (docs/reference/semantics.md §2.1): loaded through renderFleet. */
const RENDERED = new Set([
  'unselected-resource',
  'selector-matches-nothing',
  'shadowed-policy',
  'dependency-missing',
  'dependent-override-missing',
  'rollout-invalid',
  'traffic-invalid',
]);

const CASES: Record<string, Expected[]> = {
  // YAML syntax: the document is skipped, loading goes on.
  'broken-yaml': [['error', 'YAML_PARSE', 'apps/web.yaml:6']], // the line the bracket opened on
  'unterminated-quote': [['error', 'YAML_PARSE', 'web.yaml:7']], // not the end of the file, where yaml noticed
  'bad-indent': [['error', 'YAML_PARSE', 'web.yaml:5']],
  'duplicate-key': [['error', 'YAML_DUPLICATE_KEY', 'web.yaml:7']],
  'tab-indent': [['error', 'YAML_PARSE', 'web.yaml:4']],
  'alias-bomb': [['error', 'YAML_ALIAS_LIMIT', 'bomb.yaml:1']],
  // Manifest identity.
  'missing-apiversion': [['error', 'MANIFEST_MISSING_FIELD', 'web.yaml:2']],
  'missing-kind': [['error', 'MANIFEST_MISSING_FIELD', 'multi.yaml:6']],
  'missing-name': [['error', 'MANIFEST_MISSING_FIELD', 'web.yaml:1']],
  'name-not-a-string': [['error', 'MANIFEST_MISSING_FIELD', 'web.yaml:4']],
  'document-is-list': [['error', 'MANIFEST_NOT_OBJECT', 'list.yaml:1']],
  'invalid-namespace': [['error', 'INVALID_NAME', 'web.yaml:5']],
  'duplicate-resource': [['error', 'DUPLICATE_RESOURCE', 'b.yaml:3']],
  'attached-cluster-name-traversal': [['error', 'INVALID_NAME', 'clusters.yaml:4']],
  'fleet-cluster-name-traversal': [['error', 'INVALID_NAME', 'fleet.yaml:9']],
  'unsupported-kind': [['warning', 'UNSUPPORTED_KIND', 'scheduler.yaml:2']],
  // Built with kustomize: the file it names is missing, so the build fails and the revision is Invalid.
  kustomization: [['error', 'BUILD_FAILED', 'kustomization.yaml:1']],
  // Cluster declarations.
  'invalid-taint-effect': [['error', 'INVALID_CLUSTER', 'cluster.yaml:10']],
  'unknown-fleet-reference': [['warning', 'UNKNOWN_CLUSTER', 'fleet.yaml:10']],
  'cluster-label-conflict': [['warning', 'CLUSTER_LABEL_CONFLICT', 'zz-cluster.yaml:6']],
  // Built-in kinds against the Kubernetes schema and the API server's cross-field rules.
  'hpa-min-greater-than-max': [['error', 'SCHEMA_INVALID', 'web.yaml:26']],
  'configmap-value-not-string': [['error', 'SCHEMA_TYPE', 'settings.yaml:7']],
  'container-field-typo': [['error', 'SCHEMA_UNKNOWN_FIELD', 'web.yaml:16']],
  // PropagationPolicy placement.
  'wrong-field-type': [['error', 'INVALID_FIELD_TYPE', 'policy.yaml:12']],
  'unknown-cluster': [['warning', 'UNKNOWN_CLUSTER', 'policy.yaml:14']],
  'weight-zero': [['error', 'INVALID_WEIGHT', 'policy.yaml:19']],
  'weight-negative': [['error', 'INVALID_WEIGHT', 'policy.yaml:17']],
  'min-greater-than-max': [['error', 'INVALID_POLICY', 'policy.yaml:14']],
  'negative-min-groups': [['error', 'INVALID_POLICY', 'policy.yaml:13']],
  'both-affinities': [['error', 'INVALID_POLICY', 'policy.yaml:13']],
  'invalid-label-selector': [['error', 'INVALID_SELECTOR', 'policy.yaml:12']],
  'unknown-spread-field': [['error', 'INVALID_POLICY', 'policy.yaml:14']],
  'duplicate-spread-field': [['error', 'INVALID_POLICY', 'policy.yaml:14']],
  'spread-without-cluster': [['warning', 'SPREAD_CONSTRAINT_IGNORED', 'policy.yaml:11']],
  'tolerations-alias': [['warning', 'FIELD_ALIAS', 'policy.yaml:11']],
  'invalid-toleration-operator': [['error', 'INVALID_POLICY', 'policy.yaml:13']],
  'unknown-field': [['error', 'UNKNOWN_FIELD', 'policy.yaml:11']],
  'suspension-unknown-cluster': [['warning', 'UNKNOWN_CLUSTER', 'policy.yaml:12']],
  'overflow-with-duplicated': [['error', 'INVALID_POLICY', 'policy.yaml:14']],
  'duplicate-affinity-name': [['error', 'INVALID_POLICY', 'policy.yaml:14']],
  'invalid-replica-scheduling-type': [['error', 'INVALID_POLICY', 'policy.yaml:12']],
  'preemption-always-without-name': [['error', 'INVALID_POLICY', 'policy.yaml:10']],
  'selector-without-kind': [['error', 'INVALID_POLICY', 'policy.yaml:7']],
  'missing-resource-selectors': [['error', 'INVALID_POLICY', 'policy.yaml:5']],
  'selector-namespace-mismatch': [['error', 'INVALID_POLICY', 'policy.yaml:9']],
  // Placing (RENDERED): what goes nowhere, or to another policy than the one written for it.
  'unselected-resource': [['warning', 'NOT_PROPAGATED', 'web.yaml:1']],
  'selector-matches-nothing': [['warning', 'SELECTOR_MATCHES_NOTHING', 'policy.yaml:7']],
  'shadowed-policy': [['warning', 'POLICY_SHADOWED', 'policy-west.yaml:7']],
  'dependency-missing': [['warning', 'DEPENDENCY_NOT_FOUND', 'web.yaml:18']],
  'dependent-override-missing': [['error', 'DEPENDENT_OVERRIDE_NOT_FOUND', 'web.yaml:18']],
  // OverridePolicy.
  'proto-patch-path': [['error', 'OVERRIDE_UNSAFE_PATH', 'override.yaml:14']],
  'constructor-patch-path': [['error', 'OVERRIDE_UNSAFE_PATH', 'override.yaml:14']],
  'override-rules-and-overriders': [['error', 'INVALID_POLICY', 'override.yaml:16']],
  'invalid-override-operator': [['error', 'OVERRIDE_INVALID', 'override.yaml:15']],
  // Traffic annotations (docs/guide/traffic.md): the object is applied as declared.
  'rollout-invalid': [['error', 'ROLLOUT_INVALID', 'fleet.yaml:22']],
  'traffic-invalid': [['error', 'TRAFFIC_INVALID', 'fleet.yaml:23']],
  // KarmadaConfig.
  'invalid-tuning': [
    ['error', 'INVALID_CONFIG', 'karmada.yaml:7'],
    ['error', 'INVALID_CONFIG', 'karmada.yaml:9'],
  ],
};

describe('bad-input catalogue', () => {
  it('every fixtures/bad case is in the table and vice versa', async () => {
    const { readdir } = await import('node:fs/promises');
    const dirs = (await readdir(BAD, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(`${name} → ${expected.map(([s, c, at]) => `${s} ${c} at ${at}`).join('; ')}`, async () => {
      const dir = path.join(BAD, name);
      const seen = RENDERED.has(name)
        ? problems(renderFleet({ files: await readCase(dir), revision: 'worktree' }).diagnostics)
        : (await load(dir)).seen;
      expect(seen).toEqual(expected);
    });
  }

  it('unknown-field names the field the typo meant, and the policy is left out', async () => {
    const { sink, model } = await load(path.join(BAD, 'unknown-field'));
    expect(sink.items[0]!.message).toBe(
      'PropagationPolicy default/web: unknown field spec.placement.clusterAfinity; did you mean "clusterAffinity"?',
    );
    expect(model.propagationPolicies).toEqual([]);
  });

  it('selector-matches-nothing: the workload falls to the catch-all; the warning names the apiVersion in use', async () => {
    const result = renderFleet({ files: await readFleetDirectory(path.join(BAD, 'selector-matches-nothing')), revision: 'worktree' });
    expect(result.placements[0]!.policy).toEqual({ kind: 'ClusterPropagationPolicy', namespace: '', name: 'every-deployment' });
    expect(result.diagnostics[0]!.message).toMatch(/have apiVersion apps\/v1$/);
  });

  it('a 20 MB file is FILE_TOO_LARGE at big.yaml:1 without being parsed, and the other files still load', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-big-'));
    try {
      const line = 'key: value value value value value value value value value value value\n';
      await writeFile(
        path.join(dir, 'big.yaml'),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ` +
          `big\ndata:\n${'  '.concat(line).repeat(Math.ceil(20_000_000 / (line.length + 2)))}`,
      );
      await writeFile(path.join(dir, 'small.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n');
      const started = Date.now();
      const { seen, model } = await load(dir);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(seen).toEqual([['error', 'FILE_TOO_LARGE', 'big.yaml:1']]);
      expect(model.resources.map((r) => r.name)).toEqual(['small']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('duplicate-resource names the first declaration (a.yaml:1) and keeps it (2 replicas)', async () => {
    const { sink, model } = await load(path.join(BAD, 'duplicate-resource'));
    expect(sink.items[0]!.message).toContain('a.yaml:1');
    expect(model.resources.map((r) => (r.object.spec as { replicas: number }).replicas)).toEqual([2]);
  });

  it('a rejected policy is left out of the model; a warned one stays', async () => {
    expect((await load(path.join(BAD, 'weight-zero'))).model.propagationPolicies).toEqual([]);
    expect((await load(path.join(BAD, 'tolerations-alias'))).model.propagationPolicies.map((p) => p.name)).toEqual(['web']);
  });

  it('the alias bomb does not stop the loading of the same file’s other documents or other files', async () => {
    const { model } = await load(path.join(BAD, 'missing-kind'));
    expect(model.resources.map((r) => r.name)).toEqual(['first']);
  });
});
