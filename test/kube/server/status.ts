// metav1.Status errors, as kube-apiserver writes them: kind Status, apiVersion v1, status Failure,
// message, reason, code and details. Clients (kubectl, client-go, client-node) branch on reason and
// code, so these follow k8s.io/apimachinery/pkg/api/errors exactly where the double produces them.

/** One entry of status.details.causes. */
export interface StatusCause {
  type?: string;
  message?: string;
  field?: string;
}

/** The identifying details of a Status error. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** An error the server answers with as a metav1.Status body. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** The metav1.Status JSON body. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** The reason kube-apiserver uses for a bare status code (for injected faults). */
export function reasonForCode(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    406: 'NotAcceptable',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

/** `resource "name"` with the group, as apierrors qualifies it ("deployments.apps"). */
function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** 404: `configmaps "x" not found`. */
export function notFound(resource: string, group: string, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

/** 409 AlreadyExists on create. */
export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

/** 409 Conflict on a stale resourceVersion (optimistic concurrency). */
export function staleConflict(resource: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has ` +
      `been modified; please apply your changes to the latest version and try again`,
    { name, group: group || undefined, kind: resource },
  );
}

/** 422 Invalid with one cause per field error, worded like apimachinery's field.ErrorList. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}
