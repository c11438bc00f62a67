// The reconciler's configuration (docs/reference/contract.md "flotilla reconcile"), after validation: every
// default filled in, every relative path resolved against the config file's directory. Plain
// data with no secrets in it, so it can be logged and printed by `doctor`; the credentials the
// config names live apart, in SourceCredentials.
import type { Identity, Impersonation, ScopeConfig } from './scope.js';
import type { HaConfig, ServerConfig } from './service.js';

/** Where the fleet repository is and how to reach it. */
export interface SourceConfig {
  /** The URL or path as written in the config (never with credentials: validation refuses them). */
  url: string;
  /** `http` for http(s) URLs (cloned into the cache), `local` for a path or file:// URL (read in place). */
  transport: 'http' | 'local';
  /** Absolute path of a local repository (transport `local` only). */
  localPath: string | null;
  branch: string;
  /** Fleet folder inside the repository ('' = root). */
  path: string;
  /** node-cron expression (5 fields, or 6 with seconds). */
  schedule: string;
  /** Names of the environment variables that hold the credentials; null = anonymous. */
  auth: { usernameEnv: string | null; passwordEnv: string | null; tokenEnv: string | null } | null;
  /** Upper bound of every network call (clone, fetch, push), seconds. */
  timeoutSeconds: number;
  /** Retries of transient failures (5xx, 429, timeouts, connection errors) with exponential backoff. */
  retry: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  /** Where the clone and the reconciler's restart state live. */
  cacheDir: string;
}

export interface StatusConfig {
  branch: string;
  /** Author and committer of status and rendered-branch commits. */
  author: { name: string; email: string };
}

export type TargetConfig = { type: 'directory'; path: string } | { type: 'git'; branch: string } | KubernetesTargetConfig;

/** Live clusters (issue 4): server-side apply to every member cluster the kubeconfig or secrets reach. */
export interface KubernetesTargetConfig {
  type: 'kubernetes';
  /** Absolute path of the kubeconfig (null: none; clusters then need secretsDir). */
  kubeconfig: string | null;
  /** Cluster name → context of the kubeconfig, for contexts not named like the cluster. */
  contexts: Record<string, string>;
  /** Directory of kubeconfig files named by an AttachedCluster's secretRef (absolute; null: none). */
  secretsDir: string | null;
  /** Server-side dry run (dryRun=All): nothing changes on the clusters. */
  dryRun: boolean;
  /** Take over fields other managers own on objects flotilla never applied (409 conflicts). */
  force: boolean;
  /** Clusters applied at once; null = the fleet's KarmadaConfig parallelism. */
  parallelism: number | null;
  /** Per-request timeout, seconds. */
  timeoutSeconds: number;
  /** Karmada's cluster failover timings (--cluster-failure-threshold and friends), seconds. */
  failover: { failureThresholdSeconds: number; tolerationSeconds: number; recoveryThresholdSeconds: number; rebalanceOnRecovery: boolean };
  /** `impersonate:` as written (null: the kubeconfig's own user writes). */
  impersonate: Identity | null;
  /** The identities every request to the clusters carries: the target's, and per scope path (config/scope.ts). */
  impersonation: Impersonation;
}

export interface SafetyConfig {
  /** A commit whose deletions take those within the window past this share (0–100) of all objects is held back. */
  maxDeletePercent: number;
  /** ... or past this many objects within the window, whatever their share. */
  maxDeletions: number;
  /** The rolling window the guard counts deletions in, minutes (0: each commit on its own). */
  deletionWindowMinutes: number;
}

/** How kustomize is run (docs/guide/configuration.md "kustomize"). */
export interface KustomizeConfig {
  /** The command before the folder argument: [kustomize, build] or [kubectl, kustomize]; null = whichever is on PATH, kustomize first. */
  command: string[] | null;
  timeoutSeconds: number;
  maxOutputBytes: number;
}

/** An operator's generator (docs/guide/configuration.md "generators"): Argo CD's config-management plugins are the model. */
export interface GeneratorConfig {
  name: string;
  /** The file name that makes a folder this generator's (`Chart.yaml`). */
  match: string;
  /** Run with the folder as working directory, no shell. */
  command: string[];
  timeoutSeconds: number;
  maxOutputBytes: number;
  /** Names of flotilla's environment variables the generator also gets (besides PATH, and HOME set to a scratch folder). */
  env: string[];
}

/** How folders are built before they are rendered. */
export interface BuildConfig {
  kustomize: KustomizeConfig;
  generators: GeneratorConfig[];
  /**
   * The folders of the scope's paths (config/scope.ts `scope.paths[].path`): a kustomization or an
   * Application under one path's rule does not take over the build of a folder under another's
   * (generate/units.ts). Empty without `scope.paths`.
   */
  scopePaths: ReadonlyArray<{ path: string }>;
}

export const DEFAULT_BUILD_TIMEOUT_SECONDS = 60;
export const DEFAULT_BUILD_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Kustomize found on PATH, no generators: what the rendering commands use without --config. */
export function defaultBuildConfig(): BuildConfig {
  return {
    kustomize: { command: null, timeoutSeconds: DEFAULT_BUILD_TIMEOUT_SECONDS, maxOutputBytes: DEFAULT_BUILD_MAX_OUTPUT_BYTES },
    generators: [],
    scopePaths: [],
  };
}

export interface ReconcileConfig {
  /** The config file (for messages); '' when the config did not come from a file. */
  file: string;
  source: SourceConfig;
  status: StatusConfig;
  targets: TargetConfig[];
  safety: SafetyConfig;
  /** What the fleet repository may place, per folder (config/scope.ts); the safe defaults without `scope:`. */
  scope: ScopeConfig;
  /** `kustomize:` and `generators:`: how Kustomize and generator folders are built. */
  build: BuildConfig;
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  /** The HTTP server of `flotilla reconcile` as a service (null: none; config/service.ts). */
  server: ServerConfig | null;
  /** Leader election and cluster sharding over Leases (null: a single replica; config/service.ts). */
  ha: HaConfig | null;
  /** Prometheus and the PromQL of each metric name, for adaptive weights and canary checks (null: no `metrics:`). */
  metrics: MetricsConfig | null;
}

/** `metrics:` (docs/guide/traffic.md): where Prometheus is and a PromQL template per metric name. */
export interface MetricsConfig {
  prometheus: { url: string; timeoutSeconds: number };
  /** Metric name → PromQL with {{ namespace }}, {{ target }}, {{ interval }}, {{ host }}, {{ subset }}; the predefined ones included. */
  queries: Record<string, string>;
}

export const DEFAULT_METRICS_TIMEOUT_SECONDS = 5;

/**
 * Kurator's two built-in metric names with Flagger's Istio queries: the share of non-5xx responses
 * of the target workload (0–100) and its P99 request duration in milliseconds.
 */
export const PREDEFINED_METRIC_QUERIES: Readonly<Record<string, string>> = {
  'request-success-rate':
    'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",' +
    'destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / ' +
    'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",' +
    'destination_workload=~"{{ target }}"}[{{ interval }}])) * 100',
  'request-duration':
    'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",' +
    'destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))',
};

/** Credentials read from the environment variables the config names. Never logged, never written. */
export interface SourceCredentials {
  username: string;
  password: string;
}

export const DEFAULT_SCHEDULE = '*/30 * * * * *';
export const DEFAULT_STATUS_BRANCH = 'flotilla-status';
export const DEFAULT_MAX_DELETE_PERCENT = 50;
export const DEFAULT_MAX_DELETIONS = 500;
export const DEFAULT_DELETION_WINDOW_MINUTES = 60;
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Per-request timeout of the kubernetes target (a cluster that takes longer is failing). */
export const DEFAULT_KUBE_TIMEOUT_SECONDS = 10;
/** Karmada's defaults: 30 s of failed probes → NotReady, 300 s NotReady → eviction, 30 s of answers → Ready. */
export const DEFAULT_KUBE_FAILOVER = {
  failureThresholdSeconds: 30,
  tolerationSeconds: 300,
  recoveryThresholdSeconds: 30,
  rebalanceOnRecovery: false,
} as const;
export const DEFAULT_RETRY = { attempts: 4, initialDelayMs: 500, maxDelayMs: 10_000 } as const;
export const DEFAULT_AUTHOR = { name: 'flotilla', email: 'flotilla@localhost' } as const;
/** Username sent with a bare token (`auth.tokenEnv`): GitHub, GitLab and Gitea accept it. */
export const TOKEN_USERNAME = 'x-access-token';
