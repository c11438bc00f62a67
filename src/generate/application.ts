// Kurator `Application`s (apps.kurator.dev/v1alpha1, docs/guide/fleet-repository.md "Kurator
// Applications"): read from the fleet repository's plain files, their Git source fetched with the
// fleet repository's own machinery and pinned to a commit, each sync policy built and placed on
// its destination fleet by a generated ClusterPropagationPolicy. What flotilla cannot build is an
// error naming the Application, never dropped in silence.
import { isMap as isMapNode, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { isMap } from '../objects/json.js';
import type { BuildProblem } from '../load/parse.js';
import { parseRolloutConfig, type RolloutConfig } from '../traffic/rollout-config.js';
import { kustomizeClosure, type BuildFile } from './units.js';
import { compareStrings } from '../model/order.js';

export const APPLICATION_GROUP = 'apps.kurator.dev';

export interface Destination {
  fleet: string;
  matchLabels: Record<string, string>;
}

export type ApplicationSource =
  | { kind: 'git'; url: string; ref: { branch?: string; tag?: string; semver?: string; commit?: string; name?: string } }
  | { kind: 'helm'; url: string }
  | { kind: 'unsupported'; what: string };

export type SyncPolicy =
  | {
      index: number;
      name: string;
      kind: 'kustomization';
      path: string;
      targetNamespace: string | null;
      prune: boolean;
      destination: Destination | null;
    }
  | { index: number; name: string; kind: 'helm'; release: Record<string, unknown>; destination: Destination | null }
  | { index: number; name: string; kind: 'none'; destination: Destination | null };

export interface Application {
  file: string;
  line: number;
  namespace: string;
  name: string;
  source: ApplicationSource;
  policies: SyncPolicy[];
  /** Each sync policy's `rollout` block, parsed (docs/guide/traffic.md "Rollouts of a Kurator Application"). */
  rollouts: ApplicationRollout[];
}

/** A sync policy's `rollout` block: as written (for the workload's annotation), parsed, and its problems at their lines. */
export interface ApplicationRollout {
  index: number;
  /** Line of the `rollout:` block in the Application's file. */
  line: number;
  raw: unknown;
  /** null when the block has problems. */
  config: RolloutConfig | null;
  problems: Array<{ line: number; message: string }>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function readDestination(raw: unknown): Destination | null {
  if (!isMap(raw) || !str(raw.fleet)) return null;
  const labels = isMap(raw.clusterSelector) && isMap(raw.clusterSelector.matchLabels) ? raw.clusterSelector.matchLabels : {};
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) matchLabels[k] = String(v);
  return { fleet: str(raw.fleet)!, matchLabels };
}

function readSource(raw: unknown): ApplicationSource {
  const source = isMap(raw) ? raw : {};
  if (isMap(source.gitRepository)) {
    const git = source.gitRepository;
    const ref = isMap(git.ref) ? git.ref : {};
    return {
      kind: 'git',
      url: str(git.url) ?? '',
      ref: { branch: str(ref.branch), tag: str(ref.tag), semver: str(ref.semver), commit: str(ref.commit), name: str(ref.name) },
    };
  }
  if (isMap(source.helmRepository)) return { kind: 'helm', url: str(source.helmRepository.url) ?? '' };
  if (source.ociRepository !== undefined) return { kind: 'unsupported', what: 'an ociRepository source' };
  return { kind: 'unsupported', what: 'no source (spec.source needs gitRepository or helmRepository)' };
}

function readPolicy(raw: unknown, index: number, appName: string, fallback: Destination | null): SyncPolicy {
  const p = isMap(raw) ? raw : {};
  const name = str(p.name) ?? `${appName}-${index}`;
  const destination = readDestination(p.destination) ?? fallback;
  if (isMap(p.kustomization)) {
    const k = p.kustomization;
    return {
      index,
      name,
      kind: 'kustomization',
      path: str(k.path) ?? '.',
      targetNamespace: str(k.targetNamespace) ?? null,
      prune: k.prune === true,
      destination,
    };
  }
  if (isMap(p.helm)) return { index, name, kind: 'helm', release: p.helm, destination };
  return { index, name, kind: 'none', destination };
}

/** Where the field at `path` starts: its key for a map entry (`rollout:` rather than its first child), else its value; null when absent. */
function keyOffset(doc: Document, path: ReadonlyArray<string | number>): number | null {
  const last = path[path.length - 1];
  const parent = path.length > 0 ? doc.getIn(path.slice(0, -1), true) : null;
  if (isMapNode(parent)) {
    const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
    const range = pair && isScalar(pair.key) ? pair.key.range : null;
    if (range) return range[0];
  }
  const node = doc.getIn(path, true) as { range?: [number, number, number] | null } | undefined;
  return node?.range ? node.range[0] : null;
}

/**
 * A sync policy's `rollout` block through the same parser as the workload annotation. Each problem
 * is at the line of the field it is about, else at the line of the `rollout:` block itself.
 */
function readRollout(
  file: string,
  raw: unknown,
  index: number,
  lineOf: (path: ReadonlyArray<string | number>, fallback: number) => number,
  appLine: number,
): ApplicationRollout {
  const at = ['spec', 'syncPolicies', index, 'rollout'];
  const line = lineOf(at, appLine);
  const { config, problems } = parseRolloutConfig(raw, file);
  const out: ApplicationRollout = {
    index,
    line,
    raw,
    config,
    problems: problems.map((p) => ({
      line: lineOf([...at, ...p.path], line),
      message: `rollout${p.path.length > 0 ? `.${p.path.join('.')}` : ''}: ${p.message}`,
    })),
  };
  if (!isMap(raw) || raw.workload === undefined || raw.workload === null) {
    out.problems.push({ line, message: 'rollout.workload is required: it names the workload of the sync policy the canary is of' });
    out.config = null;
  }
  return out;
}

/** Each document of `text` (YAML 1.1) that parses without error, with its value; the others are skipped. */
function* lenientDocuments(text: string, lineCounter?: LineCounter): Generator<{ doc: Document; value: unknown }> {
  let docs;
  try {
    docs = parseAllDocuments(text, { ...(lineCounter ? { lineCounter } : {}), version: '1.1', logLevel: 'silent' });
  } catch {
    return;
  }
  if (!Array.isArray(docs)) return;
  for (const doc of docs) {
    if (doc.errors.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    yield { doc, value };
  }
}

/** The Applications of the plain files (in file order), read leniently: the strict field check is the fleet model's (src/fleet/). */
export function findApplications(files: readonly BuildFile[]): Application[] {
  const out: Application[] = [];
  for (const f of files) {
    if (!f.text.includes(APPLICATION_GROUP)) continue;
    const lineCounter = new LineCounter();
    for (const { doc, value } of lenientDocuments(f.text, lineCounter)) {
      if (!isMap(value) || value.kind !== 'Application' || typeof value.apiVersion !== 'string') continue;
      if (value.apiVersion.split('/')[0] !== APPLICATION_GROUP) continue;
      const metadata = isMap(value.metadata) ? value.metadata : {};
      const spec = isMap(value.spec) ? value.spec : {};
      const name = str(metadata.name) ?? '';
      const fallback = readDestination(spec.destination);
      const policies = Array.isArray(spec.syncPolicies) ? spec.syncPolicies.map((p, i) => readPolicy(p, i, name, fallback)) : [];
      const start = doc.contents?.range?.[0] ?? 0;
      const line = lineCounter.linePos(start).line || 1;
      const lineOf = (path: ReadonlyArray<string | number>, fallback: number): number => {
        const offset = keyOffset(doc, path);
        return offset === null ? fallback : lineCounter.linePos(offset).line;
      };
      const rollouts = Array.isArray(spec.syncPolicies)
        ? spec.syncPolicies.flatMap((p, index) =>
            isMap(p) && p.rollout !== undefined ? [readRollout(f.path, p.rollout, index, lineOf, line)] : [],
          )
        : [];
      out.push({
        file: f.path,
        line,
        namespace: str(metadata.namespace) ?? 'default',
        name,
        source: readSource(spec.source),
        policies,
        rollouts,
      });
    }
  }
  return out;
}

/** The member cluster names of each Fleet of the plain files, by "namespace/name". */
export function fleetMembers(files: readonly BuildFile[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of files) {
    if (!f.text.includes('fleet.kurator.dev')) continue;
    for (const { value: v } of lenientDocuments(f.text)) {
      if (!isMap(v) || v.kind !== 'Fleet' || typeof v.apiVersion !== 'string' || !v.apiVersion.startsWith('fleet.kurator.dev/')) continue;
      const md = isMap(v.metadata) ? v.metadata : {};
      const spec = isMap(v.spec) ? v.spec : {};
      const names = Array.isArray(spec.clusters) ? spec.clusters.flatMap((c) => (isMap(c) && str(c.name) ? [str(c.name)!] : [])) : [];
      out.set(`${str(md.namespace) ?? 'default'}/${str(md.name) ?? ''}`, names);
    }
  }
  return out;
}

/** Where the diagnostics of an Application point. */
export function problemAt(app: Application, code: BuildProblem['code'], message: string): BuildProblem {
  return { code, message: `Application ${app.namespace}/${app.name}: ${message}`, file: app.file, line: app.line };
}

/** How an Application's sync policy's output is named in diagnostics and source annotations. */
export function policySourceName(app: Application, policy: SyncPolicy): string {
  return `${app.file} (Application ${app.namespace}/${app.name} ${policy.name})`;
}

/** Posix-normalises a sync policy's `path` (`./deploy/webapp` → `deploy/webapp`, `./` → ''); null when it leaves the repository. */
export function normalizePath(p: string): string | null {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return null;
    parts.push(seg);
  }
  return parts.join('/');
}

/** The folder flotilla writes its wrapper kustomization into, inside a build's scratch copy only. */
export const WRAPPER_FOLDER = '.flotilla-application';

/**
 * The files a sync policy's kustomize build reads, plus the wrapper kustomization that applies
 * `targetNamespace` and `prune: false` the way Flux's kustomize-controller does. A path with no
 * kustomization gets one listing its YAML files, as Flux generates it.
 */
export function kustomizationInput(
  repo: ReadonlyMap<string, BuildFile>,
  policy: Extract<SyncPolicy, { kind: 'kustomization' }>,
  folder: string,
): BuildFile[] {
  const files = new Map(repo);
  const hasKustomization = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((n) =>
    files.has(folder === '' ? n : `${folder}/${n}`),
  );
  if (!hasKustomization) {
    const prefix = folder === '' ? '' : `${folder}/`;
    const yaml = [...files.keys()].filter((p) => p.startsWith(prefix) && /\.ya?ml$/.test(p)).map((p) => p.slice(prefix.length));
    files.set(`${prefix}kustomization.yaml`, {
      path: `${prefix}kustomization.yaml`,
      text: `resources:\n${yaml.map((y) => `  - ${JSON.stringify(y)}\n`).join('')}`,
    });
  }
  const wrapper = [`resources:\n  - ${JSON.stringify(folder === '' ? '..' : `../${folder}`)}\n`];
  if (policy.targetNamespace) wrapper.push(`namespace: ${JSON.stringify(policy.targetNamespace)}\n`);
  if (!policy.prune) wrapper.push(`commonAnnotations:\n  flotilla.dev/prune: "false"\n`);
  const wrapperFile = { path: `${WRAPPER_FOLDER}/kustomization.yaml`, text: wrapper.join('') };
  files.set(wrapperFile.path, wrapperFile);
  const closure = kustomizeClosure(WRAPPER_FOLDER, files);
  return [...files.values()]
    .filter((f) => closure.folders.some((d) => d === '' || f.path === d || f.path.startsWith(`${d}/`)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The generated ClusterPropagationPolicy placing a sync policy's objects on its destination fleet's selected clusters. */
export function placementPolicy(app: Application, policy: SyncPolicy, output: string, members: readonly string[]): string {
  const selectors: string[] = [];
  for (const doc of parseAllDocuments(output, { version: '1.1', logLevel: 'silent' }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isMap(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string' || !isMap(v.metadata)) continue;
    const ns = str(v.metadata.namespace);
    selectors.push(
      `    - {apiVersion: ${JSON.stringify(v.apiVersion)}, kind: ${JSON.stringify(v.kind)}, ` +
        `name: ${JSON.stringify(str(v.metadata.name) ?? '')}` +
        (ns ? `, namespace: ${JSON.stringify(ns)}` : '') +
        '}\n',
    );
  }
  const labels = Object.entries(policy.destination?.matchLabels ?? {})
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const name = `kurator-application-${app.namespace}-${app.name}-${policy.index}`;
  return [
    '---\n',
    `# Generated by flotilla for Application ${app.namespace}/${app.name} (syncPolicies[${policy.index}]): ` +
      "its destination fleet's clusters.\n",
    'apiVersion: policy.karmada.io/v1alpha1\n',
    'kind: ClusterPropagationPolicy\n',
    `metadata: {name: ${JSON.stringify(name)}}\n`,
    'spec:\n',
    `  resourceSelectors:\n${selectors.length > 0 ? selectors.join('') : '    []\n'}`.replace(':\n    []\n', ': []\n'),
    '  placement:\n',
    '    clusterAffinity:\n',
    `      clusterNames: [${members.map((m) => JSON.stringify(m)).join(', ')}]\n`,
    labels.length > 0 ? `      labelSelector: {matchLabels: {${labels.join(', ')}}}\n` : '',
  ].join('');
}
