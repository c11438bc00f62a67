// The `scope:` section of flotilla.yaml and the kubernetes target's `impersonate:` (issue 11): what a
// fleet repository may place on the member clusters, and with whose identity flotilla writes it.
// Operator-owned: read from the config file only, never from the fleet repository. Validated like
// the rest of the config (every problem with its dot-path); the check itself is
// src/validate/scope.ts, the impersonation headers src/kube/transport.ts. Both find an object's rule
// with scopeEntryFor, so the rule that judged an object and the identity that writes it agree.
import path from 'node:path';
import { isMap } from '../objects/json.js';

/**
 * What is refused even without a `scope:` section, unless an entry's `allowProtected` names it:
 * objects in the system namespaces (and those Namespaces), RoleBindings and ClusterRoleBindings
 * granting the `cluster-admin` ClusterRole, and admission webhook configurations.
 */
export const PROTECTED_CATEGORIES = ['systemNamespaces', 'clusterAdminBindings', 'admissionWebhooks'] as const;
export type ProtectedCategory = (typeof PROTECTED_CATEGORIES)[number];

/** The namespaces of `systemNamespaces`. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** An identity flotilla impersonates (`Impersonate-User`, `Impersonate-Group`). */
export interface Identity {
  user: string;
  groups: string[];
}

/** Allow and deny globs; null in a path entry: inherited from `scope.default`. */
export interface PatternRule<T = string[] | null> {
  allow: T;
  deny: T;
}

/** One scope entry as written; null: the path entry inherits `scope.default`'s value. */
export interface ScopeEntry {
  namespaces: PatternRule;
  kinds: PatternRule;
  clusterScoped: boolean | null;
  allowProtected: ProtectedCategory[] | null;
}

/** `scope.default`, every field filled in. */
export interface ScopeDefault {
  namespaces: PatternRule<string[]>;
  kinds: PatternRule<string[]>;
  clusterScoped: boolean;
  allowProtected: ProtectedCategory[];
}

/** `scope.paths[]`: a folder (or file) of the repository, relative to its root, without a trailing slash. */
export interface ScopePath extends ScopeEntry {
  path: string;
  /** Objects of this path are written with this identity instead of the kubernetes target's (null: the target's). */
  impersonate: Identity | null;
}

export interface ScopeConfig {
  default: ScopeDefault;
  paths: ScopePath[];
}

/**
 * The identities a kubernetes target writes with: its own (null: the kubeconfig's user, no
 * impersonation) and, per scope path, the one for that path's objects (null: the target's).
 */
export interface Impersonation {
  identity: Identity | null;
  paths: Array<{ path: string; identity: Identity | null }>;
}

/** No `scope:` section: everything may be placed except the protected categories. */
export function defaultScope(): ScopeConfig {
  return {
    default: { namespaces: { allow: ['*'], deny: [] }, kinds: { allow: ['*'], deny: [] }, clusterScoped: true, allowProtected: [] },
    paths: [],
  };
}

/** True when `file` is `entry` or inside the folder `entry` (both repository-relative, posix). */
/**
 * Whether `file` is the entry or below it; what flotilla generates from a file (an Application's
 * output: `teams/web/app.yaml (Application web/app app-0)`) is named after that file, a space and a
 * parenthesis, and belongs to the file's entry (a file entry judges, and impersonates, its output).
 */
function isUnder(file: string, entry: string): boolean {
  return file === entry || file.startsWith(entry + '/') || file.startsWith(entry + ' (');
}

/** Index of the longest `paths[]` entry that contains `file`, or -1 (then `scope.default` applies). */
export function scopeEntryFor(paths: ReadonlyArray<{ path: string }>, file: string): number {
  let best = -1;
  for (const [i, p] of paths.entries()) if (isUnder(file, p.path) && (best < 0 || p.path.length > paths[best]!.path.length)) best = i;
  return best;
}

/** The identity that writes an object from `file` (null: no impersonation). */
export function identityFor(imp: Impersonation, file: string | null): Identity | null {
  if (file === null) return imp.identity;
  const i = scopeEntryFor(imp.paths, file);
  return (i < 0 ? null : imp.paths[i]!.identity) ?? imp.identity;
}

/** A target's impersonation plan: its own identity, and the scope paths' for their objects. */
export function impersonationOf(identity: Identity | null, scope: ScopeConfig): Impersonation {
  return { identity, paths: scope.paths.map((p) => ({ path: p.path, identity: p.impersonate })) };
}

/** The `Impersonate-*` headers of an identity (a header per group, as client-go sends them). */
export function impersonationHeaders(identity: Identity | null): Record<string, string | string[]> {
  if (!identity) return {};
  return identity.groups.length > 0
    ? { 'Impersonate-User': identity.user, 'Impersonate-Group': [...identity.groups] }
    : { 'Impersonate-User': identity.user };
}

// ---------------------------------------------------------------- patterns

const globCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character; anchored, case-sensitive. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/**
 * Whether a kind pattern matches an object's API group and kind. `*` is every kind of every group;
 * `Kind` and `v1/Kind` the core group; `group/Kind` that group (globs in either part).
 */
export function kindMatch(pattern: string, group: string, kind: string): boolean {
  if (pattern === '*') return true;
  const slash = pattern.indexOf('/');
  const groupPattern = slash < 0 || pattern.slice(0, slash) === 'v1' ? '' : pattern.slice(0, slash);
  return globMatch(groupPattern, group) && globMatch(pattern.slice(slash + 1), kind);
}

/** Well-known kinds outside the core group: a bare `Deployment` would silently match nothing. */
const GROUP_OF_KIND: Readonly<Record<string, string>> = {
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  HorizontalPodAutoscaler: 'autoscaling',
  Role: 'rbac.authorization.k8s.io',
  RoleBinding: 'rbac.authorization.k8s.io',
  ClusterRole: 'rbac.authorization.k8s.io',
  ClusterRoleBinding: 'rbac.authorization.k8s.io',
  Ingress: 'networking.k8s.io',
  IngressClass: 'networking.k8s.io',
  NetworkPolicy: 'networking.k8s.io',
  CustomResourceDefinition: 'apiextensions.k8s.io',
  ValidatingWebhookConfiguration: 'admissionregistration.k8s.io',
  MutatingWebhookConfiguration: 'admissionregistration.k8s.io',
  ValidatingAdmissionPolicy: 'admissionregistration.k8s.io',
  ValidatingAdmissionPolicyBinding: 'admissionregistration.k8s.io',
  PriorityClass: 'scheduling.k8s.io',
  StorageClass: 'storage.k8s.io',
  PodDisruptionBudget: 'policy',
  Lease: 'coordination.k8s.io',
  APIService: 'apiregistration.k8s.io',
};

// ---------------------------------------------------------------- validation

/** Records a problem at a dot-path. */
export type Fail = (at: string, message: string) => void;

const NAMESPACE_GLOB = /^[a-z0-9*?]([-a-z0-9*?]*)$/;
const GROUP_GLOB = /^[a-z0-9*?]([-a-z0-9.*?]*)$/;
const KIND_GLOB = /^[A-Za-z0-9*?]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\x00-\x1f\x7f]+$/;

/** Reads `scope:` (undefined: the defaults); every problem goes to `fail` with its dot-path. */
export function readScope(raw: unknown, fail: Fail): ScopeConfig {
  const scope = defaultScope();
  if (raw === undefined || raw === null) return scope;
  if (!isMap(raw)) {
    fail('scope', 'must be a mapping with default and/or paths');
    return scope;
  }
  known(raw, 'scope', ['default', 'paths'], fail);
  if (raw.default !== undefined && raw.default !== null) {
    if (!isMap(raw.default)) fail('scope.default', 'must be a mapping');
    else {
      known(raw.default, 'scope.default', ENTRY_KEYS, fail);
      const d = readEntry(raw.default, 'scope.default', fail);
      scope.default = {
        namespaces: { allow: d.namespaces.allow ?? ['*'], deny: d.namespaces.deny ?? [] },
        kinds: { allow: d.kinds.allow ?? ['*'], deny: d.kinds.deny ?? [] },
        clusterScoped: d.clusterScoped ?? true,
        allowProtected: d.allowProtected ?? [],
      };
    }
  }
  scope.paths = readPaths(raw.paths, fail);
  return scope;
}

const ENTRY_KEYS = ['namespaces', 'kinds', 'clusterScoped', 'allowProtected'];

function readPaths(raw: unknown, fail: Fail): ScopePath[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    fail('scope.paths', 'must be a list of entries, each with a path');
    return [];
  }
  const out: ScopePath[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = `scope.paths[${i}]`;
    if (!isMap(item)) return fail(at, 'must be a mapping with a path');
    known(item, at, ['path', 'impersonate', ...ENTRY_KEYS], fail);
    const p = readScopePath(item.path, `${at}.path`, fail);
    if (p === null) return;
    if (seen.has(p)) fail(`${at}.path`, `"${p}" is already scope.paths[${seen.get(p)}]`);
    seen.set(p, i);
    out.push({ path: p, impersonate: readImpersonate(item.impersonate, `${at}.impersonate`, fail), ...readEntry(item, at, fail) });
  });
  return out;
}

/** A repository-relative folder or file: no leading `/`, no `..`, no trailing slash kept. */
function readScopePath(raw: unknown, at: string, fail: Fail): string | null {
  if (typeof raw !== 'string' || raw.trim() === '') {
    fail(at, 'required: a folder or file of the repository, relative to its root (e.g. teams/payments/)');
    return null;
  }
  const p = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (p.startsWith('/') || p === '..' || p.startsWith('../') || p === '.' || p === '') {
    fail(
      at,
      `must be a folder or file inside the repository, relative to its root (got "${raw}"); scope.default covers the whole repository`,
    );
    return null;
  }
  return p.replace(/^\.\//, '');
}

function readEntry(raw: Record<string, unknown>, at: string, fail: Fail): ScopeEntry {
  return {
    namespaces: readRule(raw.namespaces, `${at}.namespaces`, fail, checkNamespacePattern),
    kinds: readRule(raw.kinds, `${at}.kinds`, fail, checkKindPattern),
    clusterScoped: readBoolean(raw.clusterScoped, `${at}.clusterScoped`, fail),
    allowProtected: readProtected(raw.allowProtected, `${at}.allowProtected`, fail),
  };
}

function readRule(raw: unknown, at: string, fail: Fail, check: (pattern: string) => string | null): PatternRule {
  if (raw === undefined || raw === null) return { allow: null, deny: null };
  if (!isMap(raw)) {
    fail(at, 'must be a mapping with allow and/or deny');
    return { allow: null, deny: null };
  }
  known(raw, at, ['allow', 'deny'], fail);
  const list = (value: unknown, key: string): string[] | null => {
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) {
      fail(`${at}.${key}`, 'must be a list of patterns');
      return null;
    }
    const out: string[] = [];
    value.forEach((v, i) => {
      const why = typeof v === 'string' && v !== '' ? check(v) : 'must be a non-empty string';
      if (why) fail(`${at}.${key}[${i}]`, why);
      else out.push(v as string);
    });
    return out;
  };
  return { allow: list(raw.allow, 'allow'), deny: list(raw.deny, 'deny') };
}

function checkNamespacePattern(p: string): string | null {
  return NAMESPACE_GLOB.test(p) ? null : `"${p}" is not a namespace or a glob of one (lower-case letters, digits, -, * and ?)`;
}

function checkKindPattern(p: string): string | null {
  if (p === '*') return null;
  const parts = p.split('/');
  if (parts.length > 2) return `"${p}": write group/Kind without the version (e.g. apps/Deployment; core kinds as Kind or v1/Kind)`;
  const [group, kind] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['', parts[0]!];
  if (group === 'core') return `"${p}": the core group has no name; write "${kind}" or "v1/${kind}"`;
  if (group !== '' && !GROUP_GLOB.test(group)) return `"${p}": "${group}" is not an API group or a glob of one`;
  if (!KIND_GLOB.test(kind)) return `"${p}": "${kind}" is not a kind or a glob of one`;
  const home = GROUP_OF_KIND[kind];
  if ((group === '' || group === 'v1') && home)
    return `"${p}" names the core group, which has no ${kind}: write "${home}/${kind}" (or "*/${kind}" for every group)`;
  return null;
}

function readBoolean(raw: unknown, at: string, fail: Fail): boolean | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'boolean') {
    fail(at, 'must be true or false');
    return null;
  }
  return raw;
}

function readProtected(raw: unknown, at: string, fail: Fail): ProtectedCategory[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw)) {
    fail(at, `must be a list of ${PROTECTED_CATEGORIES.join(', ')} (or "*" for all)`);
    return null;
  }
  const out = new Set<ProtectedCategory>();
  raw.forEach((v, i) => {
    if (v === '*') for (const c of PROTECTED_CATEGORIES) out.add(c);
    else if (typeof v === 'string' && (PROTECTED_CATEGORIES as readonly string[]).includes(v)) out.add(v as ProtectedCategory);
    else fail(`${at}[${i}]`, `must be one of ${PROTECTED_CATEGORIES.join(', ')} or "*" (got ${JSON.stringify(v)})`);
  });
  return PROTECTED_CATEGORIES.filter((c) => out.has(c));
}

/** `impersonate: {user, groups}` or `{serviceAccount: namespace/name}`; undefined: none. */
export function readImpersonate(raw: unknown, at: string, fail: Fail): Identity | null {
  if (raw === undefined || raw === null) return null;
  if (!isMap(raw)) {
    fail(at, 'must be a mapping: {user, groups} or {serviceAccount: namespace/name}');
    return null;
  }
  known(raw, at, ['user', 'groups', 'serviceAccount'], fail);
  const groups: string[] = [];
  if (raw.groups !== undefined && raw.groups !== null) {
    if (!Array.isArray(raw.groups)) fail(`${at}.groups`, 'must be a list of group names');
    else
      raw.groups.forEach((g, i) => {
        if (typeof g === 'string' && PRINTABLE.test(g)) groups.push(g);
        else fail(`${at}.groups[${i}]`, 'must be a non-empty group name without control characters');
      });
  }
  if (raw.serviceAccount !== undefined) {
    if (raw.user !== undefined) fail(at, 'name either user or serviceAccount, not both');
    if (groups.length > 0) fail(`${at}.groups`, "goes with user only: a service account's groups are its own");
    const sa = typeof raw.serviceAccount === 'string' ? raw.serviceAccount.split('/') : [];
    if (sa.length !== 2 || !DNS_LABEL.test(sa[0]!) || !DNS_SUBDOMAIN.test(sa[1]!)) {
      fail(`${at}.serviceAccount`, 'must be namespace/name of a ServiceAccount');
      return null;
    }
    // The API server adds the service account's groups itself when none are sent.
    return { user: `system:serviceaccount:${sa[0]}:${sa[1]}`, groups: [] };
  }
  if (typeof raw.user !== 'string' || !PRINTABLE.test(raw.user)) {
    fail(`${at}.user`, 'required: the user to impersonate (or serviceAccount: namespace/name)');
    return null;
  }
  return { user: raw.user, groups };
}

function known(o: Record<string, unknown>, at: string, keys: readonly string[], fail: Fail): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${at}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
}
