// The `server:` and `ha:` sections of flotilla.yaml, validated apart from the rest so the config
// loader only has to hand them over. Same rules as the loader: every problem with its dot-path,
// unknown keys are errors, secrets only by environment variable name (never in the file).
import { isMap } from '../objects/json.js';

/** Webhook limits where `server.webhook` leaves them out. */
export const DEFAULT_WEBHOOK_LIMITS = { maxBodyBytes: 1024 * 1024, rateLimit: { burst: 10, perSecond: 1 } } as const;

export interface ServerConfig {
  host: string;
  port: number;
  /** Upper bound of a graceful shutdown (below the pod's terminationGracePeriodSeconds). */
  shutdownTimeoutSeconds: number;
  /** null: /hooks/git is off. */
  webhook: {
    secretEnv: string | null;
    allowUnsigned: boolean;
    maxBodyBytes: number;
    rateLimit: { burst: number; perSecond: number };
  } | null;
  /** null: no dashboard. */
  dashboard: DashboardConfig | null;
}

/** `server.dashboard`: the read-only dashboard on a listener of its own (loopback unless configured). */
export interface DashboardConfig {
  host: string;
  port: number;
  /** URL path it is served under, with a leading and trailing slash ("/", "/flotilla/"). */
  path: string;
  /** Environment variable holding the bearer token the API and events require (null: none). */
  tokenEnv: string | null;
}

/** Loopback: the dashboard shows the whole fleet, so it is reachable from elsewhere only when configured. */
export const DEFAULT_DASHBOARD_LISTEN = '127.0.0.1:8090';

export interface HaConfig {
  shards: number;
  leaseNamespace: string;
  /** Lease name prefix and group label (default "flotilla"). */
  leaseName: string;
  /** Environment variable with this replica's name (default POD_NAME, then HOSTNAME). */
  identityEnv: string;
  /** Kubeconfig of the management cluster (absolute); null: in-cluster ServiceAccount. */
  kubeconfig: string | null;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface ServiceSections {
  server: ServerConfig | null;
  ha: HaConfig | null;
  /** The webhook secret read from `server.webhook.secretEnv` (never logged, never in the config). */
  webhookSecret: string | null;
  /** The dashboard's bearer token read from `server.dashboard.tokenEnv` (never logged, never in the config). */
  dashboardToken?: string | null;
}

/** 25 s: under Kubernetes' default terminationGracePeriodSeconds of 30. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 25;

type Problem = { path: string; message: string };
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Validates the two sections; `problems` gets one entry per mistake. */
export function readServiceSections(
  raw: { server?: unknown; ha?: unknown },
  /** env null: the secret is not read (the rendering commands read a config for its scope only). */
  opts: { env: NodeJS.ProcessEnv | null; resolve(p: string): string },
  problems: Problem[],
): ServiceSections {
  const check = new Checker(problems);
  let server: ServerConfig | null = null;
  let webhookSecret: string | null = null;
  let dashboardToken: string | null = null;
  if (raw.server !== undefined) {
    if (!isMap(raw.server)) check.fail('server', 'must be a mapping');
    else ({ server, webhookSecret, dashboardToken } = readServer(raw.server, check, opts.env));
  }
  let ha: HaConfig | null = null;
  if (raw.ha !== undefined) {
    if (!isMap(raw.ha)) check.fail('ha', 'must be a mapping');
    else ha = readHa(raw.ha, check, (p) => opts.resolve(p));
  }
  return { server, ha, webhookSecret, dashboardToken };
}

/** Typed reads of config values: a wrong value is a problem at its dot-path and reads as undefined. */
class Checker {
  constructor(private readonly problems: Problem[]) {}

  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Every key of `o` (at `at`) must be one of `keys`. */
  known(o: Record<string, unknown>, at: string, keys: string[]): void {
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(`${at}.${k}`, `unknown key (expected one of ${keys.join(', ')})`);
  }

  num(v: unknown, at: string, min: number, max: number, integer = false): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      this.fail(at, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
      return undefined;
    }
    return v;
  }

  str(v: unknown, at: string): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') {
      this.fail(at, 'must be a non-empty string');
      return undefined;
    }
    return v;
  }
}

/** The `server:` section: listen address, shutdown timeout, and the webhook with its secret. */
function readServer(
  s: Record<string, unknown>,
  check: Checker,
  env: NodeJS.ProcessEnv | null,
): { server: ServerConfig; webhookSecret: string | null; dashboardToken: string | null } {
  check.known(s, 'server', ['listen', 'shutdownTimeoutSeconds', 'webhook', 'dashboard']);
  const { host, port } = readListen(check.str(s.listen, 'server.listen') ?? '0.0.0.0:8080', 'server.listen', check, 8080);
  let dashboard: DashboardConfig | null = null;
  let dashboardToken: string | null = null;
  if (s.dashboard !== undefined) {
    if (!isMap(s.dashboard)) check.fail('server.dashboard', 'must be a mapping');
    else ({ dashboard, dashboardToken } = readDashboard(s.dashboard, check, env));
  }
  let webhook: ServerConfig['webhook'] = null;
  let webhookSecret: string | null = null;
  if (s.webhook !== undefined) {
    if (!isMap(s.webhook)) check.fail('server.webhook', 'must be a mapping');
    else ({ webhook, webhookSecret } = readWebhook(s.webhook, check, env));
  }
  const shutdownTimeoutSeconds =
    check.num(s.shutdownTimeoutSeconds, 'server.shutdownTimeoutSeconds', 1, 3600) ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  // The dashboard has a listener of its own: the same port would fail at start with EADDRINUSE.
  const overlaps = (a: string, b: string) => a === b || a === '0.0.0.0' || b === '0.0.0.0' || a === '::' || b === '::';
  if (dashboard && dashboard.port !== 0 && dashboard.port === port && overlaps(dashboard.host, host))
    check.fail('server.dashboard.listen', `must not be the port of server.listen (${port}): the dashboard has a listener of its own`);
  const server = { host, port, shutdownTimeoutSeconds, webhook, dashboard };
  return { server, webhookSecret, dashboardToken };
}

/** "host:port" (IPv6 in brackets) → its parts; a malformed one is a problem at `at` and reads as the default. */
function readListen(listen: string, at: string, check: Checker, defaultPort: number): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) check.fail(at, `must be host:port, e.g. "0.0.0.0:${defaultPort}" (got "${listen}")`);
  return {
    host: m ? m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0' : '0.0.0.0',
    port: Number.isFinite(port) && port <= 65535 ? port : defaultPort,
  };
}

/** `server.dashboard`: listen address (loopback by default), URL path, and the bearer token's variable (read here). */
function readDashboard(
  d: Record<string, unknown>,
  check: Checker,
  env: NodeJS.ProcessEnv | null,
): { dashboard: DashboardConfig; dashboardToken: string | null } {
  check.known(d, 'server.dashboard', ['listen', 'path', 'tokenEnv']);
  const { host, port } = readListen(
    check.str(d.listen, 'server.dashboard.listen') ?? DEFAULT_DASHBOARD_LISTEN,
    'server.dashboard.listen',
    check,
    8090,
  );
  const rawPath = check.str(d.path, 'server.dashboard.path') ?? '/';
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(rawPath) || rawPath.includes('//'))
    check.fail('server.dashboard.path', `must be a URL path starting with "/" of letters, digits and . _ ~ - / (got "${rawPath}")`);
  const tokenEnv = check.str(d.tokenEnv, 'server.dashboard.tokenEnv') ?? null;
  if (tokenEnv !== null && !ENV_NAME.test(tokenEnv)) check.fail('server.dashboard.tokenEnv', 'must be an environment variable name');
  let dashboardToken: string | null = null;
  if (tokenEnv !== null && env !== null) {
    const value = env[tokenEnv];
    if (!value) check.fail('server.dashboard.tokenEnv', `environment variable ${tokenEnv} is not set`);
    else if (value.length < 16) check.fail('server.dashboard.tokenEnv', `the token in ${tokenEnv} is shorter than 16 characters`);
    else dashboardToken = value;
  }
  const path = rawPath.endsWith('/') ? rawPath : `${rawPath}/`;
  return { dashboard: { host, port, path, tokenEnv }, dashboardToken };
}

/** `server.webhook`: the secret's environment variable (read here) or allowUnsigned, and the limits. */
function readWebhook(
  w: Record<string, unknown>,
  check: Checker,
  env: NodeJS.ProcessEnv | null,
): { webhook: NonNullable<ServerConfig['webhook']>; webhookSecret: string | null } {
  check.known(w, 'server.webhook', ['secretEnv', 'allowUnsigned', 'maxBodyBytes', 'rateLimit']);
  const secretEnv = check.str(w.secretEnv, 'server.webhook.secretEnv') ?? null;
  if (secretEnv !== null && !ENV_NAME.test(secretEnv)) check.fail('server.webhook.secretEnv', 'must be an environment variable name');
  const allowUnsigned =
    w.allowUnsigned === undefined
      ? false
      : w.allowUnsigned === true
        ? true
        : w.allowUnsigned === false
          ? false
          : (check.fail('server.webhook.allowUnsigned', 'must be true or false'), false);
  if (secretEnv === null && !allowUnsigned)
    check.fail(
      'server.webhook.secretEnv',
      'required: name the environment variable holding the webhook secret (or set allowUnsigned: true)',
    );
  let webhookSecret: string | null = null;
  if (secretEnv !== null && env !== null) {
    const value = env[secretEnv];
    if (!value) check.fail('server.webhook.secretEnv', `environment variable ${secretEnv} is not set`);
    else if (value.length < 16) check.fail('server.webhook.secretEnv', `the secret in ${secretEnv} is shorter than 16 characters`);
    else webhookSecret = value;
  }
  const rl = isMap(w.rateLimit) ? w.rateLimit : {};
  if (w.rateLimit !== undefined && !isMap(w.rateLimit)) check.fail('server.webhook.rateLimit', 'must be a mapping');
  check.known(rl, 'server.webhook.rateLimit', ['burst', 'perSecond']);
  const webhook = {
    secretEnv,
    allowUnsigned,
    maxBodyBytes: check.num(w.maxBodyBytes, 'server.webhook.maxBodyBytes', 1024, 26_214_400, true) ?? DEFAULT_WEBHOOK_LIMITS.maxBodyBytes,
    rateLimit: {
      burst: check.num(rl.burst, 'server.webhook.rateLimit.burst', 1, 10_000, true) ?? DEFAULT_WEBHOOK_LIMITS.rateLimit.burst,
      perSecond: check.num(rl.perSecond, 'server.webhook.rateLimit.perSecond', 0.001, 10_000) ?? DEFAULT_WEBHOOK_LIMITS.rateLimit.perSecond,
    },
  };
  return { webhook, webhookSecret };
}

/** The `ha:` section: shards and the leader-election lease, with client-go's timing rules. */
function readHa(h: Record<string, unknown>, check: Checker, resolve: (p: string) => string): HaConfig {
  check.known(h, 'ha', [
    'shards',
    'leaseNamespace',
    'leaseName',
    'identityEnv',
    'kubeconfig',
    'leaseDurationSeconds',
    'renewDeadlineSeconds',
    'retryPeriodSeconds',
  ]);
  const leaseNamespace = check.str(h.leaseNamespace, 'ha.leaseNamespace') ?? 'flotilla-system';
  if (!DNS_LABEL.test(leaseNamespace)) check.fail('ha.leaseNamespace', 'must be a namespace name');
  const leaseName = check.str(h.leaseName, 'ha.leaseName') ?? 'flotilla';
  if (!DNS_LABEL.test(leaseName) || leaseName.length > 40) check.fail('ha.leaseName', 'must be a DNS label of at most 40 characters');
  const identityEnv = check.str(h.identityEnv, 'ha.identityEnv') ?? 'POD_NAME';
  const kubeconfig = check.str(h.kubeconfig, 'ha.kubeconfig');
  const leaseDurationSeconds = check.num(h.leaseDurationSeconds, 'ha.leaseDurationSeconds', 1, 3600) ?? 15;
  const renewDeadlineSeconds = check.num(h.renewDeadlineSeconds, 'ha.renewDeadlineSeconds', 0.5, 3600) ?? 10;
  const retryPeriodSeconds = check.num(h.retryPeriodSeconds, 'ha.retryPeriodSeconds', 0.1, 3600) ?? 2;
  // client-go's checks: others must wait longer than the holder keeps acting.
  if (leaseDurationSeconds <= renewDeadlineSeconds)
    check.fail('ha.leaseDurationSeconds', `must be greater than renewDeadlineSeconds (${renewDeadlineSeconds})`);
  if (renewDeadlineSeconds <= 1.2 * retryPeriodSeconds)
    check.fail('ha.renewDeadlineSeconds', `must be greater than 1.2 × retryPeriodSeconds (${retryPeriodSeconds})`);
  return {
    shards: check.num(h.shards, 'ha.shards', 1, 1024, true) ?? 1,
    leaseNamespace,
    leaseName,
    identityEnv,
    kubeconfig: kubeconfig === undefined ? null : resolve(kubeconfig),
    leaseDurationSeconds,
    renewDeadlineSeconds,
    retryPeriodSeconds,
  };
}
