// Reading and validating the reconciler's config file once, at the boundary (docs/design/conventions.md: config is
// validated once, collecting *all* errors with dot-paths, as changesets does). Everything after
// this point works with a complete ReconcileConfig and never re-checks it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import cron from 'node-cron';
import { parseDocument } from 'yaml';
import { FlotillaError } from '../model/diagnostics.js';
import { impersonationOf, readImpersonate, readScope } from './scope.js';
import { readServiceSections } from './service.js';
import {
  DEFAULT_AUTHOR,
  DEFAULT_BUILD_MAX_OUTPUT_BYTES,
  DEFAULT_BUILD_TIMEOUT_SECONDS,
  defaultBuildConfig,
  DEFAULT_KUBE_FAILOVER,
  DEFAULT_KUBE_TIMEOUT_SECONDS,
  DEFAULT_DELETION_WINDOW_MINUTES,
  DEFAULT_MAX_DELETE_PERCENT,
  DEFAULT_MAX_DELETIONS,
  DEFAULT_RETRY,
  DEFAULT_SCHEDULE,
  DEFAULT_STATUS_BRANCH,
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_METRICS_TIMEOUT_SECONDS,
  PREDEFINED_METRIC_QUERIES,
  TOKEN_USERNAME,
  type BuildConfig,
  type MetricsConfig,
  type ReconcileConfig,
  type SourceConfig,
  type SourceCredentials,
  type KubernetesTargetConfig,
  type TargetConfig,
} from './schema.js';

/** One problem in the config file, at a dot-path such as `targets[1].git.branch`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export interface LoadedConfig {
  config: ReconcileConfig;
  /** null when the source is anonymous. */
  credentials: SourceCredentials | null;
  /** The push webhook's shared secret, read from `server.webhook.secretEnv` (null: none). Never logged. */
  webhookSecret: string | null;
  /** The dashboard's bearer token, read from `server.dashboard.tokenEnv` (null: none). Never logged. */
  dashboardToken: string | null;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParseOptions {
  file?: string;
  /** Where `*Env` names are read; null: secrets are not read (credentials and webhook secret null, unset variables no problem). */
  env: NodeJS.ProcessEnv | null;
  baseDir: string;
}

/** Reads and validates a config file; relative paths in it resolve against its directory. */
export async function readConfigFile(file: string, env: NodeJS.ProcessEnv | null): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FlotillaError('CONFIG_NOT_FOUND', `cannot read config file ${file}: ${(e as Error).message}`, { file });
  }
  return parseConfig(text, { file, env, baseDir: path.dirname(path.resolve(file)) });
}

/**
 * Validates a config text. Throws FlotillaError INVALID_CONFIG listing every problem (data.problems),
 * so one run shows the user all they must fix. With `env: null` (the rendering commands' --config,
 * which need only the scope) no secret is read.
 */
export function parseConfig(text: string, opts: ParseOptions): LoadedConfig {
  const file = opts.file ?? '';
  const problems: ConfigProblem[] = [];
  // YAML 1.2 here, unlike fleet manifests (read as 1.1 like kubectl): under 1.1, docs/reference/contract.md's own
  // `path: .` would be read as a float (NaN) and `branch: no` as false.
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  for (const e of doc.errors) problems.push({ path: '(file)', message: `YAML: ${e.message.split('\n')[0]}` });
  const raw = problems.length === 0 ? (doc.toJS({ maxAliasCount: 100 }) as unknown) : undefined;
  const v = new Validator(problems);

  let config: ReconcileConfig | null = null;
  let credentials: SourceCredentials | null = null;
  let webhookSecret: string | null = null;
  let dashboardToken: string | null = null;
  if (problems.length === 0) {
    const root = v.object(raw, '', true) ?? {};
    v.known(root, '', ['source', 'status', 'targets', 'safety', 'scope', 'kustomize', 'generators', 'log', 'server', 'ha', 'metrics']);
    const sourceRaw = v.object(root.source, 'source', true);
    const source = sourceRaw ? readSource(v, sourceRaw, opts.baseDir) : null;
    credentials = source && opts.env ? readCredentials(v, source, opts.env) : null;
    const statusRaw = v.object(root.status, 'status', false) ?? {};
    v.known(statusRaw, 'status', ['branch', 'author']);
    const authorRaw = v.object(statusRaw.author, 'status.author', false) ?? {};
    v.known(authorRaw, 'status.author', ['name', 'email']);
    const status = {
      branch: v.branch(statusRaw.branch, 'status.branch') ?? DEFAULT_STATUS_BRANCH,
      author: {
        name: v.string(authorRaw.name, 'status.author.name') ?? DEFAULT_AUTHOR.name,
        email: v.string(authorRaw.email, 'status.author.email') ?? DEFAULT_AUTHOR.email,
      },
    };
    const scope = readScope(root.scope, (at, message) => v.fail(at, message));
    const targets = readTargets(v, root.targets, opts.baseDir).map((t) =>
      t.type === 'kubernetes' ? { ...t, impersonation: impersonationOf(t.impersonate, scope) } : t,
    );
    for (const [i, t] of targets.entries()) {
      if (t.type === 'git' && (t.branch === status.branch || t.branch === source?.branch)) {
        v.fail(
          `targets[${i}].git.branch`,
          `"${t.branch}" is already the ${t.branch === status.branch ? 'status' : 'source'} branch; ` +
            `rendered manifests need a branch of their own`,
        );
      }
    }
    if (source && status.branch === source.branch)
      v.fail('status.branch', `"${status.branch}" is the source branch; status commits need a branch of their own`);
    const safetyRaw = v.object(root.safety, 'safety', false) ?? {};
    v.known(safetyRaw, 'safety', ['maxDeletePercent', 'maxDeletions', 'deletionWindowMinutes']);
    const safety = {
      maxDeletePercent: v.number(safetyRaw.maxDeletePercent, 'safety.maxDeletePercent', 0, 100) ?? DEFAULT_MAX_DELETE_PERCENT,
      maxDeletions: v.integer(safetyRaw.maxDeletions, 'safety.maxDeletions', 0, 1_000_000_000) ?? DEFAULT_MAX_DELETIONS,
      deletionWindowMinutes:
        v.number(safetyRaw.deletionWindowMinutes, 'safety.deletionWindowMinutes', 0, 7 * 24 * 60) ?? DEFAULT_DELETION_WINDOW_MINUTES,
    };
    const build = { ...readBuild(v, root.kustomize, root.generators, opts.baseDir), scopePaths: scope.paths };
    const logRaw = v.object(root.log, 'log', false) ?? {};
    v.known(logRaw, 'log', ['level']);
    const level = v.oneOf(logRaw.level, 'log.level', LOG_LEVELS) ?? 'info';
    // The service sections validate themselves (same dot-path problems, secrets by env name only).
    const service = readServiceSections(
      { server: root.server ?? undefined, ha: root.ha ?? undefined },
      { env: opts.env, resolve: (p) => path.resolve(opts.baseDir, p) },
      problems,
    );
    webhookSecret = service.webhookSecret;
    dashboardToken = service.dashboardToken ?? null;
    const metrics = readMetrics(v, root.metrics);
    if (source)
      config = {
        file,
        source,
        status,
        targets,
        safety,
        scope,
        build,
        log: { level },
        server: service.server,
        ha: service.ha,
        metrics,
      };
  }
  if (problems.length > 0 || !config) {
    const where = file ? `${file}: ` : '';
    const list = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
    throw new FlotillaError(
      'INVALID_CONFIG',
      `${where}invalid config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}`,
      { file, problems },
    );
  }
  return { config, credentials, webhookSecret, dashboardToken };
}

/** `kustomize:` and `generators:` (docs/guide/configuration.md): commands as argument lists, never a shell line. */
function readBuild(v: Validator, kustomizeRaw: unknown, generatorsRaw: unknown, baseDir: string): BuildConfig {
  const build = defaultBuildConfig();
  const k = v.object(kustomizeRaw, 'kustomize', false) ?? {};
  v.known(k, 'kustomize', ['command', 'timeoutSeconds', 'maxOutputBytes']);
  build.kustomize = {
    command: k.command === undefined || k.command === null ? null : v.command(k.command, 'kustomize.command'),
    timeoutSeconds: v.number(k.timeoutSeconds, 'kustomize.timeoutSeconds', 1, 3600) ?? DEFAULT_BUILD_TIMEOUT_SECONDS,
    maxOutputBytes: v.integer(k.maxOutputBytes, 'kustomize.maxOutputBytes', 1024, 1 << 30) ?? DEFAULT_BUILD_MAX_OUTPUT_BYTES,
  };
  if (generatorsRaw === undefined || generatorsRaw === null) return build;
  if (!Array.isArray(generatorsRaw)) {
    v.fail('generators', 'must be a list');
    return build;
  }
  const names = new Set<string>();
  generatorsRaw.forEach((raw, i) => {
    const at = `generators[${i}]`;
    const g = v.object(raw, at, true);
    if (!g) return;
    v.known(g, at, ['name', 'match', 'command', 'timeoutSeconds', 'maxOutputBytes', 'env']);
    const name = v.string(g.name, `${at}.name`, true);
    const match = v.string(g.match, `${at}.match`, true);
    if (match !== undefined && match.includes('/')) v.fail(`${at}.match`, 'must be a file name, not a path');
    if (name !== undefined && names.has(name)) v.fail(`${at}.name`, `"${name}" is already the name of another generator`);
    if (name !== undefined) names.add(name);
    // A program named by a path (./fake-helm.sh) is the config's; one named bare (helm) is found on PATH.
    const command =
      v.command(g.command, `${at}.command`, true)?.map((arg, j) => (j === 0 && arg.includes('/') ? path.resolve(baseDir, arg) : arg)) ??
      null;
    const env = g.env === undefined ? [] : Array.isArray(g.env) ? g.env.map((e, j) => v.envName(e, `${at}.env[${j}]`) ?? '') : null;
    if (env === null) v.fail(`${at}.env`, 'must be a list of environment variable names');
    if (name === undefined || match === undefined || command === null) return;
    build.generators.push({
      name,
      match,
      command,
      timeoutSeconds: v.number(g.timeoutSeconds, `${at}.timeoutSeconds`, 1, 3600) ?? DEFAULT_BUILD_TIMEOUT_SECONDS,
      maxOutputBytes: v.integer(g.maxOutputBytes, `${at}.maxOutputBytes`, 1024, 1 << 30) ?? DEFAULT_BUILD_MAX_OUTPUT_BYTES,
      env: (env ?? []).filter((e) => e !== ''),
    });
  });
  return build;
}

/** `metrics:`: Prometheus's http(s) URL (no credentials in it), a timeout, PromQL per metric name over the predefined ones. */
function readMetrics(v: Validator, raw: unknown): MetricsConfig | null {
  const metrics = v.object(raw, 'metrics', false);
  if (!metrics) return null;
  v.known(metrics, 'metrics', ['prometheus', 'queries']);
  const prometheus = v.object(metrics.prometheus, 'metrics.prometheus', true) ?? {};
  v.known(prometheus, 'metrics.prometheus', ['url', 'timeoutSeconds']);
  const url = v.string(prometheus.url, 'metrics.prometheus.url', true) ?? '';
  if (url && !/^https?:\/\/[^/@\s]+(\/.*)?$/.test(url))
    v.fail('metrics.prometheus.url', `must be an http(s) URL without credentials, got ${JSON.stringify(redactUrl(url))}`);
  const queries: Record<string, string> = { ...PREDEFINED_METRIC_QUERIES };
  const rawQueries = v.object(metrics.queries, 'metrics.queries', false) ?? {};
  for (const [name, q] of Object.entries(rawQueries)) {
    const query = v.string(q, `metrics.queries.${name}`, true);
    if (query) queries[name] = query;
  }
  return {
    prometheus: {
      url: url.replace(/\/+$/, ''),
      timeoutSeconds: v.number(prometheus.timeoutSeconds, 'metrics.prometheus.timeoutSeconds', 0.1, 300) ?? DEFAULT_METRICS_TIMEOUT_SECONDS,
    },
    queries,
  };
}

/** Query parameter names that carry a secret (GitLab's private_token, OAuth's access_token, api keys, …). */
const SECRET_QUERY_PARAM = /token|pass|pwd|secret|key|credential|auth|sig/i;

/**
 * A source URL as it may appear in a message: without `user:password@` (everything before the
 * last `@` of the authority, in case the password itself holds one), query string or fragment.
 * Text-based, because the URLs it serves are often ones `new URL` refused.
 */
export function redactUrl(url: string): string {
  const bare = url.replace(/[?#][\s\S]*$/, '');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(bare)?.[0] ?? '';
  const rest = bare.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  return at < 0 ? bare : `${scheme}***@${rest.slice(at + 1)}`;
}

function readSource(v: Validator, raw: Record<string, unknown>, baseDir: string): SourceConfig | null {
  v.known(raw, 'source', ['url', 'branch', 'path', 'schedule', 'auth', 'timeoutSeconds', 'retry', 'cacheDir']);
  const url = v.string(raw.url, 'source.url', true);
  let transport: SourceConfig['transport'] = 'local';
  let localPath: string | null = null;
  if (url !== undefined) {
    if (/^https?:\/\//i.test(url)) {
      transport = 'http';
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        // Never echo the URL as written: it may carry `user:token@` or `?access_token=`.
        v.fail('source.url', `not a valid URL: ${redactUrl(url)}`);
      }
      // A secret in the URL would end up in logs, in the status README, in the cache folder's
      // name and in error messages; only the environment (source.auth) may hold one.
      if (parsed && (parsed.username || parsed.password))
        v.fail('source.url', 'must not contain credentials; name environment variables in source.auth instead');
      const secretParams = parsed ? [...new Set([...parsed.searchParams.keys()].filter((k) => SECRET_QUERY_PARAM.test(k)))].sort() : [];
      if (secretParams.length > 0)
        v.fail(
          'source.url',
          `must not carry a secret in its query string ` +
            `(${secretParams.map((k) => `"${k}"`).join(', ')}); name environment variables in source.auth instead`,
        );
    } else if (/^file:\/\//i.test(url)) {
      localPath = path.resolve(baseDir, decodeURIComponent(url.replace(/^file:\/\//i, '')));
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\\]+@[^:]+:/.test(url)) {
      v.fail('source.url', `only http(s) URLs and local paths are supported (got "${redactUrl(url)}"); ssh is not`);
    } else {
      localPath = path.resolve(baseDir, url);
    }
  }
  const branch = v.branch(raw.branch, 'source.branch') ?? 'main';
  const subpath = v.string(raw.path, 'source.path') ?? '.';
  const normalized = path.posix.normalize(subpath.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../'))
    v.fail('source.path', `must stay inside the repository (got "${subpath}")`);
  const schedule = v.string(raw.schedule, 'source.schedule') ?? DEFAULT_SCHEDULE;
  const detail = cron.validateDetailed(schedule);
  if (!detail.valid) {
    const why = detail.errors.map((e) => e.message).join('; ');
    v.fail('source.schedule', `invalid cron expression "${schedule}"${why ? `: ${why}` : ''}`);
  }
  let auth: SourceConfig['auth'] = null;
  const authRaw = v.object(raw.auth, 'source.auth', false);
  if (authRaw) {
    v.known(authRaw, 'source.auth', ['usernameEnv', 'passwordEnv', 'tokenEnv']);
    auth = {
      usernameEnv: v.envName(authRaw.usernameEnv, 'source.auth.usernameEnv'),
      passwordEnv: v.envName(authRaw.passwordEnv, 'source.auth.passwordEnv'),
      tokenEnv: v.envName(authRaw.tokenEnv, 'source.auth.tokenEnv'),
    };
    if (!auth.passwordEnv && !auth.tokenEnv) v.fail('source.auth', 'name passwordEnv (with usernameEnv) or tokenEnv');
    if (auth.passwordEnv && auth.tokenEnv) v.fail('source.auth', 'name either passwordEnv or tokenEnv, not both');
    if (transport === 'local' && url !== undefined) v.fail('source.auth', 'credentials apply to http(s) sources only');
  }
  const timeoutSeconds = v.number(raw.timeoutSeconds, 'source.timeoutSeconds', 0.001, 3600) ?? DEFAULT_TIMEOUT_SECONDS;
  const retryRaw = v.object(raw.retry, 'source.retry', false) ?? {};
  v.known(retryRaw, 'source.retry', ['attempts', 'initialDelayMs', 'maxDelayMs']);
  const retry = {
    attempts: v.integer(retryRaw.attempts, 'source.retry.attempts', 1, 100) ?? DEFAULT_RETRY.attempts,
    initialDelayMs: v.number(retryRaw.initialDelayMs, 'source.retry.initialDelayMs', 0, 3_600_000) ?? DEFAULT_RETRY.initialDelayMs,
    maxDelayMs: v.number(retryRaw.maxDelayMs, 'source.retry.maxDelayMs', 0, 3_600_000) ?? DEFAULT_RETRY.maxDelayMs,
  };
  const cacheDir = path.resolve(baseDir, v.string(raw.cacheDir, 'source.cacheDir') ?? '.flotilla-cache');
  if (url === undefined) return null;
  return {
    url,
    transport,
    localPath,
    branch,
    path: normalized === '.' ? '' : normalized,
    schedule,
    auth,
    timeoutSeconds,
    retry,
    cacheDir,
  };
}

/** Reads the named environment variables; a named but unset variable is a config problem. */
function readCredentials(v: Validator, source: SourceConfig, env: NodeJS.ProcessEnv): SourceCredentials | null {
  const auth = source.auth;
  if (!auth) return null;
  const read = (name: string | null, at: string): string | undefined => {
    if (!name) return undefined;
    const value = env[name];
    if (value === undefined || value === '') {
      v.fail(at, `environment variable ${name} is not set`);
      return undefined;
    }
    return value;
  };
  if (auth.tokenEnv) {
    const token = read(auth.tokenEnv, 'source.auth.tokenEnv');
    const username = read(auth.usernameEnv, 'source.auth.usernameEnv') ?? TOKEN_USERNAME;
    return token === undefined ? null : { username, password: token };
  }
  const username = read(auth.usernameEnv, 'source.auth.usernameEnv') ?? 'git';
  const password = read(auth.passwordEnv, 'source.auth.passwordEnv');
  return password === undefined ? null : { username, password };
}

function readTargets(v: Validator, raw: unknown, baseDir: string): TargetConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    v.fail('targets', 'must be a list (each item one of kubernetes, git, directory)');
    return [];
  }
  const out: TargetConfig[] = [];
  const directories = new Map<string, number>();
  const kube: number[] = [];
  raw.forEach((item, i) => {
    const at = `targets[${i}]`;
    const obj = v.object(item, at, true);
    if (!obj) return;
    const keys = Object.keys(obj);
    if (keys.length !== 1 || !['kubernetes', 'git', 'directory'].includes(keys[0]!)) {
      v.fail(at, `must have exactly one of kubernetes, git, directory (got ${keys.length ? keys.join(', ') : 'nothing'})`);
      return;
    }
    const kind = keys[0]!;
    const body = v.object(obj[kind], `${at}.${kind}`, true) ?? {};
    if (kind === 'directory') {
      v.known(body, `${at}.directory`, ['path']);
      const p = v.string(body.path, `${at}.directory.path`, true);
      if (p === undefined) return;
      const abs = path.resolve(baseDir, p);
      if (directories.has(abs)) v.fail(`${at}.directory.path`, `same directory as targets[${directories.get(abs)}]`);
      directories.set(abs, i);
      out.push({ type: 'directory', path: abs });
    } else if (kind === 'git') {
      v.known(body, `${at}.git`, ['branch']);
      const branch = v.branch(body.branch, `${at}.git.branch`, true);
      if (branch !== undefined) out.push({ type: 'git', branch });
    } else {
      kube.push(i);
      out.push(readKubernetesTarget(v, body, `${at}.kubernetes`, baseDir));
    }
  });
  // One set of live clusters: two kubernetes targets would probe, fail over and prune the same
  // clusters twice with different views of them.
  for (const i of kube.slice(1))
    v.fail(
      `targets[${i}].kubernetes`,
      `only one kubernetes target is allowed (targets[${kube[0]}] is one); map every cluster in its contexts or secretsDir`,
    );
  return out;
}

const KUBE_FIELDS = [
  'kubeconfig',
  'contexts',
  'secretsDir',
  'dryRun',
  'force',
  'parallelism',
  'timeoutSeconds',
  'failover',
  'impersonate',
] as const;
const FAILOVER_FIELDS = ['failureThresholdSeconds', 'tolerationSeconds', 'recoveryThresholdSeconds'] as const;

/** The kubernetes target's settings; paths resolve against the config file's directory. */
function readKubernetesTarget(v: Validator, body: Record<string, unknown>, at: string, baseDir: string): KubernetesTargetConfig {
  v.known(body, at, KUBE_FIELDS);
  const kubeconfig = v.string(body.kubeconfig, `${at}.kubeconfig`);
  const secretsDir = v.string(body.secretsDir, `${at}.secretsDir`);
  const contexts: Record<string, string> = {};
  const contextsRaw = v.object(body.contexts, `${at}.contexts`, false) ?? {};
  for (const cluster of Object.keys(contextsRaw).sort()) {
    const context = v.string(contextsRaw[cluster], `${at}.contexts.${cluster}`, true);
    if (context !== undefined) contexts[cluster] = context;
  }
  if (kubeconfig === undefined && secretsDir === undefined)
    v.fail(at, 'name a kubeconfig or a secretsDir: flotilla takes cluster credentials only from them');
  if (Object.keys(contexts).length > 0 && kubeconfig === undefined)
    v.fail(`${at}.contexts`, 'names contexts but no kubeconfig is configured');
  const failoverRaw = v.object(body.failover, `${at}.failover`, false) ?? {};
  v.known(failoverRaw, `${at}.failover`, [...FAILOVER_FIELDS, 'rebalanceOnRecovery']);
  const failover: KubernetesTargetConfig['failover'] = { ...DEFAULT_KUBE_FAILOVER };
  for (const k of FAILOVER_FIELDS) failover[k] = v.number(failoverRaw[k], `${at}.failover.${k}`, 0, 86_400) ?? DEFAULT_KUBE_FAILOVER[k];
  failover.rebalanceOnRecovery =
    v.boolean(failoverRaw.rebalanceOnRecovery, `${at}.failover.rebalanceOnRecovery`) ?? DEFAULT_KUBE_FAILOVER.rebalanceOnRecovery;
  const impersonate = readImpersonate(body.impersonate, `${at}.impersonate`, (where, message) => v.fail(where, message));
  return {
    type: 'kubernetes',
    kubeconfig: kubeconfig === undefined ? null : path.resolve(baseDir, kubeconfig),
    contexts,
    secretsDir: secretsDir === undefined ? null : path.resolve(baseDir, secretsDir),
    dryRun: v.boolean(body.dryRun, `${at}.dryRun`) ?? false,
    force: v.boolean(body.force, `${at}.force`) ?? false,
    parallelism: v.integer(body.parallelism, `${at}.parallelism`, 1, 1000) ?? null,
    timeoutSeconds: v.number(body.timeoutSeconds, `${at}.timeoutSeconds`, 0.001, 3600) ?? DEFAULT_KUBE_TIMEOUT_SECONDS,
    failover,
    impersonate,
    // Filled in with the scope paths' identities once the whole file is read (parseConfig).
    impersonation: { identity: impersonate, paths: [] },
  };
}

/** Type checks that record a problem and return undefined instead of throwing. */
class Validator {
  constructor(private readonly problems: ConfigProblem[]) {}

  fail(at: string, message: string): void {
    this.problems.push({ path: at || '(root)', message });
  }

  object(value: unknown, at: string, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(at, 'required');
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(at, `must be a mapping (got ${describe(value)})`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  /** Unknown keys are errors: a typo such as `shedule` must not silently fall back to a default. */
  known(obj: Record<string, unknown>, at: string, keys: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!keys.includes(k)) this.fail(at ? `${at}.${k}` : k, `unknown field (expected one of ${keys.join(', ')})`);
    }
  }

  string(value: unknown, at: string, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(at, 'required');
      return undefined;
    }
    if (typeof value !== 'string' || value === '') {
      this.fail(at, `must be a non-empty string (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  number(value: unknown, at: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(at, `must be a number from ${min} to ${max} (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, at: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.fail(at, `must be true or false (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  integer(value: unknown, at: string, min: number, max: number): number | undefined {
    const n = this.number(value, at, min, max);
    if (n !== undefined && !Number.isInteger(n)) {
      this.fail(at, `must be a whole number (got ${n})`);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(value: unknown, at: string, allowed: readonly T[]): T | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(at, `must be one of ${allowed.join(', ')} (got ${describe(value)})`);
      return undefined;
    }
    return value as T;
  }

  /** A branch name git's check-ref-format accepts (short form, no refs/heads/). */
  branch(value: unknown, at: string, required = false): string | undefined {
    const s = this.string(value, at, required);
    if (s === undefined) return undefined;
    const name = s.replace(/^refs\/heads\//, '');

    if (
      // eslint-disable-next-line no-control-regex -- git's ref-name rules refuse control characters
      /[\x00-\x20\x7f~^:?*[\\]/.test(name) ||
      name.includes('..') ||
      name.includes('//') ||
      name.includes('@{') ||
      name.startsWith('-') ||
      name.startsWith('/') ||
      name.endsWith('/') ||
      name.endsWith('.lock') ||
      name.endsWith('.')
    ) {
      this.fail(at, `not a valid branch name: "${s}"`);
      return undefined;
    }
    return name;
  }

  /** A command as a non-empty list of strings (no shell ever parses it). */
  command(value: unknown, at: string, required = false): string[] | null {
    if (value === undefined || value === null) {
      if (required) this.fail(at, 'required');
      return null;
    }
    if (!Array.isArray(value) || value.length === 0 || value.some((x) => typeof x !== 'string' || x === '')) {
      this.fail(at, `must be a non-empty list of strings, e.g. [helm, template, release, .] (got ${describe(value)})`);
      return null;
    }
    return value as string[];
  }

  envName(value: unknown, at: string): string | null {
    const s = this.string(value, at);
    if (s === undefined) return null;
    if (!ENV_NAME.test(s)) {
      // Most likely the secret itself was pasted here: say so without echoing it.
      this.fail(at, 'must be the NAME of an environment variable (letters, digits, _), not its value');
      return null;
    }
    return s;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return String(value);
}
