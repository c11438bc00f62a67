// Loading fixture fleets for tests, with in-memory edits for scenario variants.
import fs from 'node:fs/promises';
import path from 'node:path';
import { readFleetDirectory } from '../../src/load/files.js';
import type { SourceFile } from '../../src/load/parse.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

/** Reads a fixture fleet directory (relative to fixtures/). */
export async function fixtureFiles(name: string): Promise<SourceFile[]> {
  return readFleetDirectory(path.join(FIXTURES, name));
}

/** Every file of a fixture folder (not only YAML), by posix path relative to `dir`: what makeRepo and serveFleet take. */
export async function folderFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, abs).split(path.sep).join('/')] = await fs.readFile(abs, 'utf8');
  }
  return out;
}

/** Replaces text in one file of a fleet (throws if the text is not there, so edits cannot silently miss). */
export function editFile(files: readonly SourceFile[], file: string, from: string, to: string): SourceFile[] {
  return files.map((f) => {
    if (f.path !== file) return f;
    if (!f.text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
    return { ...f, text: f.text.replace(from, to) };
  });
}

/** Renders files as a worktree revision. */
export function render(files: readonly SourceFile[]): RenderResult {
  return renderFleet({ files, revision: 'worktree' });
}

/** name → replicas of one placement, for compact assertions. */
export function split(r: RenderResult, kind: string, name: string, namespace = 'default'): Record<string, number | null> {
  const p = r.placements.find((x) => x.resource.kind === kind && x.resource.name === name && x.resource.namespace === namespace);
  if (!p) throw new Error(`no placement for ${kind} ${namespace}/${name}`);
  if (p.error) throw new Error(`${kind} ${name} failed to schedule: ${p.error}`);
  return Object.fromEntries(p.clusters.map((c) => [c.name, c.replicas]));
}

/** The rendered object of a resource on a cluster. */
export function manifestOn(r: RenderResult, cluster: string, kind: string, name: string): Record<string, any> | undefined {
  return r.manifests[cluster]?.find((o) => o.kind === kind && (o.metadata as { name?: string })?.name === name) as
    Record<string, any> | undefined;
}

/**
 * A Kurator Fleet of `clusters` (all labelled env=prod) and one PropagationPolicy duplicating the
 * given kinds (default: ConfigMaps) onto every one of them: the reconcile tests' smallest fleet.
 */
export function duplicatedFleet(clusters: readonly string[], selectors = '{apiVersion: v1, kind: ConfigMap}'): string {
  return `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: default}
spec:
  clusters:
${clusters.map((n) => `  - name: ${n}\n    labels: {env: prod}`).join('\n')}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: p, namespace: default}
spec:
  resourceSelectors: [${selectors}]
  placement:
    clusterAffinity: {labelSelector: {matchLabels: {env: prod}}}
    replicaScheduling: {replicaSchedulingType: Duplicated}
`;
}

/** A ConfigMap in `default` with one key. */
export const configMapYaml = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata: {k: v}\n`;

/** A Kurator Fleet of unlabelled clusters (the reconcile tests' fleet when a test's policies name clusters). */
export function kuratorFleetYaml(clusters: readonly string[], name = 'fleet', namespace = 'kurator-system'): string {
  return `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  clusters:
${clusters.map((n) => `  - name: ${n}\n`).join('')}`;
}

/** Karmada Cluster declarations with nothing but a name, one document each. */
export function karmadaClustersYaml(names: readonly string[]): string {
  return names.map((n) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${n}}\n`).join('---\n');
}

/** A Deployment labelled app=`name` with one container (named `name`, running `image`). */
export function deploymentYaml(
  name: string,
  { namespace = 'default', replicas = 2, image = 'nginx' }: { namespace?: string; replicas?: number; image?: string } = {},
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: ${image}}]}
`;
}
