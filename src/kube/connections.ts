// Where each member cluster's API server is and how to authenticate — only from the operator's
// side, never from the fleet repository (issue 4, "Connections"). In order:
//   1. the config's `contexts` mapping (cluster name → context of the kubeconfig);
//   2. a context of the kubeconfig named like the cluster;
//   3. an AttachedCluster's kubeconfig Secret (Kurator's `spec.kubeconfig: {name, key}` or the seed
//      article's `spec.kubeconfig.secretRef`), resolved in the configured secrets directory:
//      `<dir>/<namespace>/<name>/<key>` or `<dir>/<name>/<key>` (the Secret mounted as a volume, one
//      file per key), else `<dir>/<namespace>/<name>` or `<dir>/<name>`, holding a kubeconfig or the
//      Secret manifest itself (its `key`; without one its `value` key, as Kurator stores it, or the only key).
// A cluster none of these names has no connection: it is reported, never silently skipped.
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Impersonation } from '../config/scope.js';

export interface ConnectionSettings {
  /** The kubeconfig's text (null: none configured). */
  kubeconfigText: string | null;
  /** Folder the kubeconfig's relative paths (certificate files) resolve against. */
  kubeconfigDir: string | null;
  /** The kubeconfig's file, only to name it in errors (absent: "the kubeconfig"). */
  kubeconfigFile?: string | null;
  /** cluster → context of the kubeconfig. */
  contexts: Readonly<Record<string, string>>;
  /** Directory of kubeconfig files named by secret (null: not configured). */
  secretsDir: string | null;
  /**
   * Whom every request impersonates, whichever way the cluster was found (the target's identity,
   * and the scope paths' for their objects: transport.ts requestIdentity). Absent or null: the
   * kubeconfig's user acts as itself.
   */
  impersonation?: Impersonation | null;
}

export interface ClusterEndpoint {
  cluster: string;
  /** Only the connection's `name` part is ever logged, never the kubeconfig. */
  via: string;
  kubeConfig: KubeConfig;
}

export type ConnectionResult = { ok: true; endpoint: ClusterEndpoint } | { ok: false; cluster: string; error: string };

/** Reads a file's text, or null when it does not exist (adapter: tests pass a map). */
export type ReadTextFile = (path: string) => string | null;

const SAFE_SEGMENT = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * Why a kubeconfig could not be loaded, without its content. YAML parsers put a code frame of the
 * source into their messages (js-yaml's `mark.snippet`, yaml's `linePos` frame), and the lines
 * around a syntax error are often `token:` or `client-key-data:` — so a parse error says only where
 * (1-based line and column); other errors (client-node's "users[0].name is missing") keep their
 * first line, which names fields, never values.
 */
export function kubeconfigErrorText(e: unknown): string {
  const err = (e ?? {}) as {
    name?: unknown;
    message?: unknown;
    mark?: { line?: unknown; column?: unknown };
    linePos?: Array<{ line?: unknown; col?: unknown }>;
  };
  if (err.mark && typeof err.mark.line === 'number' && typeof err.mark.column === 'number')
    return `YAML syntax error at line ${err.mark.line + 1}, column ${err.mark.column + 1}`;
  const pos = Array.isArray(err.linePos) ? err.linePos[0] : undefined;
  if (pos && typeof pos.line === 'number' && typeof pos.col === 'number') return `YAML syntax error at line ${pos.line}, column ${pos.col}`;
  if (typeof err.name === 'string' && /yaml/i.test(err.name)) return 'YAML syntax error';
  const message = typeof err.message === 'string' ? err.message : String(e);
  return message.split('\n')[0]!;
}

function loadKubeConfig(text: string, dir: string | null): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(text);
  if (dir) kc.makePathsAbsolute(dir);
  return kc;
}

/** A copy of `base` whose current context is `context`. */
function withContext(base: KubeConfig, context: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: base.clusters, users: base.users, contexts: base.contexts, currentContext: context });
  return kc;
}

/** An AttachedCluster's kubeconfig Secret; `key` is the Secret's data key holding the kubeconfig. */
export interface KubeconfigSecretRef {
  namespace: string;
  name: string;
  key?: string;
}

/**
 * The kubeconfig text inside a secret file: the file itself, or a Secret manifest's data at `key`
 * (without one: `value`, `kubeconfig` or its only key).
 */
export function kubeconfigFromSecretFile(text: string, key?: string): string {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch {
    return text;
  }
  if (!doc || typeof doc !== 'object' || (doc as { kind?: unknown }).kind !== 'Secret') return text;
  const s = doc as { data?: Record<string, unknown>; stringData?: Record<string, unknown> };
  const pick = (m: Record<string, unknown> | undefined) => {
    if (!m) return undefined;
    if (key !== undefined) return Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
    return m.value ?? m.kubeconfig ?? (Object.keys(m).length === 1 ? Object.values(m)[0] : undefined);
  };
  const plain = pick(s.stringData);
  if (typeof plain === 'string') return plain;
  const encoded = pick(s.data);
  if (typeof encoded === 'string') return Buffer.from(encoded, 'base64').toString('utf8');
  throw new Error(key !== undefined ? `the Secret has no key "${key}"` : 'the Secret has no "value" (or single) key holding a kubeconfig');
}

/** A Secret's data key: what Kubernetes allows, never a path. */
const SECRET_KEY = /^[-._A-Za-z0-9]+$/;

/** The files that may hold a secret's kubeconfig, most specific first. */
function secretFiles(dir: string, ref: KubeconfigSecretRef): string[] {
  const { namespace, name, key } = ref;
  const bases = [...(namespace ? [`${dir}/${namespace}/${name}`] : []), `${dir}/${name}`];
  return bases.flatMap((base) => (key !== undefined ? [`${base}/${key}`, base] : [base]));
}

/** A cluster's connection through its kubeconfig Secret in the secrets directory. */
function connectThroughSecret(cluster: string, ref: KubeconfigSecretRef, dir: string, readFile: ReadTextFile): ConnectionResult {
  const { namespace, name, key } = ref;
  const what = `${namespace ? `${namespace}/` : ''}${name}${key !== undefined ? ` (key ${key})` : ''}`;
  if (
    !SAFE_SEGMENT.test(name) ||
    (namespace && !SAFE_SEGMENT.test(namespace)) ||
    (key !== undefined && !SECRET_KEY.test(key)) ||
    key === '.' ||
    key === '..'
  )
    return { ok: false, cluster, error: `secret ${what} is not a valid secret reference` };
  const candidates = secretFiles(dir, ref);
  for (const file of candidates) {
    const text = readFile(file);
    if (text === null) continue;
    try {
      // A file named by the key is that key's value; any other file may be the whole Secret.
      const kc = loadKubeConfig(key !== undefined && file.endsWith(`/${key}`) ? text : kubeconfigFromSecretFile(text, key), null);
      const current = kc.getCurrentContext() || kc.getContexts()[0]?.name;
      if (!current) return { ok: false, cluster, error: `${file} defines no context` };
      return {
        ok: true,
        endpoint: { cluster, via: `secret ${namespace ? `${namespace}/` : ''}${name}`, kubeConfig: withContext(kc, current) },
      };
    } catch (e) {
      return { ok: false, cluster, error: `${file} is not a kubeconfig: ${kubeconfigErrorText(e)}` };
    }
  }
  return { ok: false, cluster, error: `no kubeconfig for secret ${what} in ${dir} (looked for ${candidates.join(', ')})` };
}

/** Resolves every cluster's connection; problems come back per cluster, never thrown. */
export function resolveConnections(
  clusters: ReadonlyArray<{ name: string; secretRef?: KubeconfigSecretRef }>,
  settings: ConnectionSettings,
  readFile: ReadTextFile,
): ConnectionResult[] {
  let base: KubeConfig | null = null;
  let baseError: string | null = null;
  if (settings.kubeconfigText !== null) {
    try {
      base = loadKubeConfig(settings.kubeconfigText, settings.kubeconfigDir);
    } catch (e) {
      const which = settings.kubeconfigFile ? `the kubeconfig ${settings.kubeconfigFile}` : 'the kubeconfig';
      baseError = `${which} cannot be read: ${kubeconfigErrorText(e)}`;
    }
  }
  const contextNames = new Set(base?.getContexts().map((c) => c.name) ?? []);
  return [...clusters]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c): ConnectionResult => {
      const mapped = settings.contexts[c.name];
      if (mapped !== undefined) {
        if (!base)
          return {
            ok: false,
            cluster: c.name,
            error: baseError ?? `contexts maps ${c.name} to "${mapped}" but no kubeconfig is configured`,
          };
        if (!contextNames.has(mapped))
          return { ok: false, cluster: c.name, error: `contexts maps ${c.name} to "${mapped}", which the kubeconfig does not define` };
        return { ok: true, endpoint: { cluster: c.name, via: `context ${mapped}`, kubeConfig: withContext(base, mapped) } };
      }
      if (base && contextNames.has(c.name))
        return { ok: true, endpoint: { cluster: c.name, via: `context ${c.name}`, kubeConfig: withContext(base, c.name) } };
      if (c.secretRef && settings.secretsDir) return connectThroughSecret(c.name, c.secretRef, settings.secretsDir, readFile);
      if (baseError) return { ok: false, cluster: c.name, error: baseError };
      return {
        ok: false,
        cluster: c.name,
        error:
          `no connection: the kubeconfig has no context named ${c.name}` +
          (c.secretRef ? ` and no secrets directory is configured for its secretRef ${c.secretRef.name}` : '') +
          "; add one, or map it in the kubernetes target's contexts",
      };
    });
}
