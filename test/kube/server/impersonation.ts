// Impersonation on the test API server (a test double of kube-apiserver): the Impersonate-User and
// Impersonate-Group headers of every request are recorded, and an optional policy plays the member
// cluster's RBAC for impersonated writes, so a test can show that the cluster — not flotilla —
// decides what an impersonated identity may change. Not Kubernetes' authorizer: one allow list of
// namespaces (and whether cluster-scoped writes are allowed) per impersonated user.
import type http from 'node:http';
import { ApiError } from './status.js';

/** The identity a request asked to act as. */
export interface ImpersonatedIdentity {
  user: string;
  groups: string[];
}

/** What one impersonated user may write. */
export interface ImpersonationRule {
  user: string;
  /** Namespaces (exact names) whose objects the user may create, change and delete. */
  namespaces: string[];
  /** Whether it may write cluster-scoped objects (Namespaces included); default false. */
  clusterScoped?: boolean;
}

/**
 * The cluster's stand-in RBAC for impersonated writes: a write impersonating a user without a rule,
 * or outside its rule, is 403 Forbidden. With `require`, a write without Impersonate-User is 403 too
 * (the kubeconfig's own user may only read). Reads are never refused.
 */
export interface ImpersonationPolicy {
  require?: boolean;
  rules: ImpersonationRule[];
}

/** The Impersonate-* headers of a request (undefined: none). */
export function impersonationOf(req: http.IncomingMessage): ImpersonatedIdentity | undefined {
  const users = req.headersDistinct['impersonate-user'];
  if (!users || users.length === 0) return undefined;
  return { user: users[0]!, groups: [...(req.headersDistinct['impersonate-group'] ?? [])] };
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Group, resource, namespace ('' for cluster scope) and name of an API path; null for other paths. */
export function parseApiPath(path: string): { group: string; resource: string; namespace: string; name: string } | null {
  const m = /^\/api\/v1\/(.*)$/.exec(path) ?? /^\/apis\/([^/]+)\/[^/]+\/(.*)$/.exec(path);
  if (!m) return null;
  const group = m.length === 3 ? m[1]! : '';
  const rest = m[m.length - 1]!.split('/').filter((s) => s !== '');
  if (rest[0] === 'namespaces' && rest.length >= 3) return { group, namespace: rest[1]!, resource: rest[2]!, name: rest[3] ?? '' };
  return { group, namespace: '', resource: rest[0] ?? '', name: rest[1] ?? '' };
}

/** The 403 a real API server answers for a write the identity may not make, or null when allowed. */
export function forbiddenWrite(
  policy: ImpersonationPolicy | null,
  identity: ImpersonatedIdentity | undefined,
  method: string,
  path: string,
): ApiError | null {
  if (!policy || !VERBS[method]) return null;
  const target = parseApiPath(path);
  if (!target) return null;
  let allowed: boolean;
  if (!identity) allowed = !policy.require;
  else {
    const rule = policy.rules.find((r) => r.user === identity.user);
    allowed = !!rule && (target.namespace === '' ? rule.clusterScoped === true : rule.namespaces.includes(target.namespace));
  }
  if (allowed) return null;
  const who = identity ? `User "${identity.user}"` : 'the kubeconfig user (writes must be impersonated)';
  const verb = target.name === '' && method === 'DELETE' ? 'deletecollection' : VERBS[method]!;
  const where = target.namespace === '' ? 'at the cluster scope' : `in the namespace "${target.namespace}"`;
  const subject = target.name ? `${target.resource} "${target.name}"` : target.resource;
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: ${who} cannot ${verb} resource "${target.resource}" in API group "${target.group}" ${where}`,
    { name: target.name, group: target.group, kind: target.resource },
  );
}
