// The REST semantics of the test API server, independent of HTTP: URL → resource, the verbs
// (get, list, create, update, patch, delete, deletecollection), optimistic concurrency,
// generation, dryRun=All, managedFields, and CRDs registering kinds. Everything is synchronous,
// so each request is atomic with respect to the others.
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { serverSideApply, stripNulls, trackUpdate, type Scope } from './managed-fields.js';
import { jsonPatch, mergePatch } from './patch.js';
import { readyStatus } from './readiness.js';
import { groupVersion, Registry, type ResourceType } from './registry.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { alreadyExists, ApiError, badRequest, invalid, notFound, staleConflict } from './status.js';
import { ObjectStore } from './store.js';
import { clone, isPlainObject, jsonEqual, type KubeObject, type ManagedFieldsEntry } from './types.js';
import { validateObject } from './validation.js';

/** One request as the REST layer sees it. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  accept: string;
  body: string;
  userAgent: string;
}

/** The answer: status code and JSON body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/** Options of the REST layer. */
export interface ApiOptions {
  /** Workloads report a finished rollout in status whenever they are written. */
  autoReady: boolean;
  /** Creating an object in a namespace that does not exist is 404, as on a real server. */
  requireNamespace: boolean;
  /** Reported by /version. */
  version: { major: string; minor: string };
  /**
   * A deleted Namespace stays Terminating this long before it and its objects are removed (a real
   * namespace controller takes seconds); 0 removes at once.
   */
  namespaceDeletionDelayMs: number;
  /** host:port, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
  now: () => Date;
}

/** What a resource URL addresses. */
interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** One change, as a watch streams it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
  resourceVersion: number;
}

/** How many past events a watch from an older resourceVersion can replay. */
const HISTORY_LIMIT = 10000;

/** Kinds whose status a real server resets on create (controllers fill it in later). */
const STATUS_KEPT_ON_CREATE = new Set(['Pod', 'Node', 'Service']);

const NOT_FOUND = new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

/** A nanosecond-free RFC 3339 timestamp, as metav1.Time serializes. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specContent(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/** The object without volatile bookkeeping, to tell a no-op write from a real one. */
function comparable(obj: KubeObject): unknown {
  const copy = clone(obj);
  if (copy.metadata) {
    delete copy.metadata.resourceVersion;
    copy.metadata.managedFields = (copy.metadata.managedFields ?? []).map((e) => ({ ...e, time: '' }));
  }
  return copy;
}

/** ObjectMeta's labels and annotations are `omitempty` maps: a write that empties one stores none. */
function dropEmptyMetadataMaps(metadata: NonNullable<KubeObject['metadata']>): void {
  for (const key of ['labels', 'annotations'] as const) {
    const v: unknown = metadata[key];
    if (isPlainObject(v) && Object.keys(v).length === 0) delete metadata[key];
  }
}

/**
 * The managedFields a non-apply write starts from. As on a real API server ("Clearing
 * ManagedFields" in the server-side apply docs), a write may rewrite metadata.managedFields: a
 * non-empty list that differs from the stored one replaces it (one empty entry `[{}]` clears them
 * all), and the write's own changes are then tracked on top; an empty or unchanged list, or one
 * that does not decode (an entry without manager and operation), leaves the stored ones.
 */
function ownersBefore(existing: KubeObject, next: KubeObject): KubeObject {
  const given: unknown = next.metadata?.managedFields;
  if (!Array.isArray(given) || given.length === 0 || jsonEqual(given, existing.metadata?.managedFields)) return existing;
  const entries = given.filter((e) => !(isPlainObject(e) && Object.keys(e).length === 0));
  const decodes = (e: unknown) =>
    isPlainObject(e) && typeof e.manager === 'string' && (e.operation === 'Apply' || e.operation === 'Update') && isPlainObject(e.fieldsV1);
  if (!entries.every(decodes)) return existing;
  return { ...existing, metadata: { ...existing.metadata, managedFields: clone(entries) as ManagedFieldsEntry[] } };
}

/** Age as kubectl prints it: 5s, 3m, 2h, 4d. */
function age(created: string | undefined, now: Date): string {
  if (!created) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(created)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** The REST layer: a registry of kinds and a store of objects. */
export class KubeApi {
  readonly registry = new Registry();
  readonly store = new ObjectStore();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<(event: WatchEvent) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly options: ApiOptions) {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.write({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'kube-apiserver');
    }
  }

  /** Answers one request; throws ApiError for failures. */
  handle(request: ApiRequest): ApiResponse {
    const parts = request.path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    if (request.method === 'GET') {
      const discovery = this.discovery(parts);
      if (discovery) return { status: 200, body: discovery };
    }
    return this.resourceRequest(this.resolve(parts), request);
  }

  /** Is this request a watch (GET ?watch=true)? */
  static isWatch(method: string, query: URLSearchParams): boolean {
    return method === 'GET' && (query.get('watch') === 'true' || query.get('watch') === '1');
  }

  /**
   * Opens a watch: checks the request (throwing ApiError), then returns a function that starts
   * streaming events to `send` and returns a function that stops it. Without resourceVersion (or
   * with "0") the current objects come first as ADDED; with a resourceVersion, later events are
   * replayed from the recent history.
   */
  openWatch(request: ApiRequest): (send: (event: { type: string; object: KubeObject }) => void) => () => void {
    const parts = request.path
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const target = this.resolve(parts);
    const { type, namespace, name } = target;
    if (type.namespaced && name !== undefined && namespace === undefined) throw NOT_FOUND;
    const labels = parseLabelSelector(request.query.get('labelSelector'));
    const fields = parseFieldSelector(request.query.get('fieldSelector'));
    const matches = (event: WatchEvent): boolean =>
      event.resource.group === type.group &&
      event.resource.resource === type.resource &&
      (namespace === undefined || event.object.metadata?.namespace === namespace) &&
      (name === undefined || event.object.metadata?.name === name) &&
      labels(event.object) &&
      fields(event.object);
    const since = request.query.get('resourceVersion');
    return (send) => {
      const deliver = (event: WatchEvent) => {
        if (matches(event)) send({ type: event.type, object: this.served(type, event.object) });
      };
      if (!since || since === '0') {
        for (const obj of this.store.list(type, namespace)) {
          deliver({ type: 'ADDED', resource: type, object: obj, resourceVersion: Number(obj.metadata?.resourceVersion) });
        }
      } else for (const event of this.history) if (event.resourceVersion > Number(since)) deliver(event);
      this.watchers.add(deliver);
      return () => this.watchers.delete(deliver);
    };
  }

  /** Cancels pending namespace removals (the server is closing). */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.watchers.clear();
  }

  private emit(type: WatchEvent['type'], resource: ResourceType, object: KubeObject): void {
    const event: WatchEvent = { type, resource, object: clone(object), resourceVersion: Number(object.metadata?.resourceVersion) };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const watcher of this.watchers) watcher(event);
  }

  /** The resource a path addresses (after discovery paths are ruled out). */
  private resolve(parts: string[]): Target {
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') [group, version, rest] = ['', 'v1', parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    else throw NOT_FOUND;
    return this.target(group, version, rest);
  }

  /** Discovery documents and /version, or undefined when the path is not one. */
  private discovery(parts: string[]): unknown {
    const [a, b, c] = parts;
    const { major, minor } = this.options.version;
    if (parts.length === 1 && a === 'version') {
      const gitVersion = `v${major}.${minor}.0-flotilla-test-double`;
      return {
        major,
        minor,
        gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    }
    if (parts.length === 1 && a === 'api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.options.serverAddress() }],
      };
    }
    if (parts.length === 2 && a === 'api' && b === 'v1') return this.registry.apiResourceList('', 'v1');
    if (parts.length === 1 && a === 'apis') return this.registry.apiGroupList();
    if (parts.length === 2 && a === 'apis')
      return (
        this.registry.apiGroup(b!) ??
        (() => {
          throw NOT_FOUND;
        })()
      );
    if (parts.length === 3 && a === 'apis')
      return (
        this.registry.apiResourceList(b!, c!) ??
        (() => {
          throw NOT_FOUND;
        })()
      );
    return undefined;
  }

  /** Resolves the path after the group version, as kube-apiserver's RequestInfo does. */
  private target(group: string, version: string, rest: string[]): Target {
    let namespace: string | undefined;
    let parts = rest;
    // namespaces/<ns>/<resource>/...; but namespaces/<name>/status addresses the Namespace itself.
    if (parts[0] === 'namespaces' && parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') {
      namespace = parts[1];
      parts = parts.slice(2);
    }
    if (parts.length === 0 || parts.length > 3) throw NOT_FOUND;
    const type = this.registry.find(group, version, parts[0]!);
    if (!type) throw NOT_FOUND;
    if (namespace !== undefined && !type.namespaced) throw NOT_FOUND;
    const [, name, subresource] = parts;
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource)) throw NOT_FOUND;
    return { type, namespace, name, subresource };
  }

  private resourceRequest(target: Target, request: ApiRequest): ApiResponse {
    const { type, namespace, name } = target;
    const { method, query } = request;
    const dryRun = query.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) throw badRequest(`unsupported dry run value: ${dryRun.join(',')}`);
    const isDryRun = dryRun.length > 0;
    if (type.namespaced && name !== undefined && namespace === undefined) throw NOT_FOUND;
    if (method === 'GET' && name !== undefined) return { status: 200, body: this.asTable(request, type, [this.get(target)], false) };
    if (method === 'GET') return { status: 200, body: this.asTable(request, type, this.list(target, query), true) };
    if (method === 'POST' && name === undefined) return this.create(target, this.parseBody(request), request, isDryRun);
    if (method === 'PUT' && name !== undefined) return this.update(target, this.parseBody(request), request, isDryRun);
    if (method === 'PATCH' && name !== undefined) return this.patch(target, request, isDryRun);
    if (method === 'DELETE' && name !== undefined) return { status: 200, body: this.delete(target, request, isDryRun) };
    if (method === 'DELETE') return { status: 200, body: this.deleteCollection(target, request, isDryRun) };
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {});
  }

  /** Parses a JSON (or YAML) request body into an object. */
  private parseBody(request: ApiRequest): KubeObject {
    let body: unknown;
    try {
      body = request.contentType.includes('yaml') ? YAML.parse(request.body, { version: '1.1' }) : JSON.parse(request.body);
    } catch (error) {
      throw badRequest(`error decoding request body: ${(error as Error).message}`);
    }
    if (!isPlainObject(body)) throw badRequest('the request body must be an object');
    return body as KubeObject;
  }

  /** The field manager of a write: ?fieldManager=, else the User-Agent up to its first "/". */
  private manager(request: ApiRequest, required: boolean): string {
    const manager = request.query.get('fieldManager');
    if (manager !== null && manager.length > 128) throw badRequest('fieldManager: Too long: must have at most 128 bytes');
    if (manager) return manager;
    if (required) throw badRequest('PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
    return (request.userAgent.split('/')[0] || 'unknown').slice(0, 128);
  }

  /** 400 when the body's apiVersion/kind is not the URL's resource (a real server's decoder rejects it too). */
  private checkKind(type: ResourceType, obj: KubeObject, requireTypeMeta: boolean): void {
    const gv = groupVersion(type.group, type.version);
    if ((obj.apiVersion !== undefined || requireTypeMeta) && obj.apiVersion !== gv) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion ?? '')}) does not match the expected API version (${gv})`);
    }
    if ((obj.kind !== undefined || requireTypeMeta) && obj.kind !== type.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind ?? '')}) does not match the expected kind (${type.kind})`);
    }
  }

  /** The stored object as the requested group version serves it. */
  private served(type: ResourceType, obj: KubeObject): KubeObject {
    return { ...clone(obj), apiVersion: groupVersion(type.group, type.version), kind: type.kind };
  }

  private get({ type, namespace, name }: Target): KubeObject {
    const obj = this.store.get(type, namespace, name!);
    if (!obj) throw notFound(type.resource, type.group, name!);
    return this.served(type, obj);
  }

  private list({ type, namespace }: Target, query: URLSearchParams): KubeObject[] {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    return this.store
      .list(type, namespace)
      .filter((obj) => labels(obj) && fields(obj))
      .map((obj) => this.served(type, obj));
  }

  /** A list (with limit/continue paging), or a meta.k8s.io Table when the client asked for one (kubectl get). */
  private asTable(request: ApiRequest, type: ResourceType, objects: KubeObject[], isList: boolean): unknown {
    let items = objects;
    let continueToken: string | undefined;
    let remaining: number | undefined;
    if (isList) {
      const start = Number(request.query.get('continue') ? Buffer.from(request.query.get('continue')!, 'base64url').toString() : 0) || 0;
      const limit = Number(request.query.get('limit') ?? 0);
      items = objects.slice(start, limit > 0 ? start + limit : undefined);
      if (limit > 0 && start + limit < objects.length) {
        continueToken = Buffer.from(String(start + limit)).toString('base64url');
        remaining = objects.length - start - limit;
      }
    }
    const metadata = {
      resourceVersion: this.store.resourceVersion,
      ...(continueToken ? { continue: continueToken, remainingItemCount: remaining } : {}),
    };
    if (!/as=Table/.test(request.accept)) {
      if (!isList) return items[0];
      return { kind: `${type.kind}List`, apiVersion: groupVersion(type.group, type.version), metadata, items };
    }
    const include = request.query.get('includeObject') ?? 'Metadata';
    const now = this.options.now();
    return {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      columnDefinitions: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
        { name: 'Age', type: 'date', format: '', description: 'CreationTimestamp of the object.', priority: 0 },
      ],
      rows: items.map((obj) => ({
        cells: [obj.metadata?.name, age(obj.metadata?.creationTimestamp, now)],
        ...(include === 'None'
          ? {}
          : {
              object: include === 'Object' ? obj : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
            }),
      })),
    };
  }

  private namespaceMustExist(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced || !this.options.requireNamespace) return;
    const nsType = this.registry.find('', 'v1', 'namespaces')!;
    const ns = this.store.get(nsType, undefined, namespace!);
    if (!ns) throw notFound('namespaces', '', namespace!);
    if (ns.metadata?.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${type.resource} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          kind: type.resource,
          causes: [{ type: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
    }
  }

  /** Fills in namespace from the URL (400 when the body disagrees). */
  private placeInNamespace(type: ResourceType, obj: KubeObject, namespace: string | undefined): void {
    obj.metadata = obj.metadata ?? {};
    if (!type.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  private create(target: Target, body: KubeObject, request: ApiRequest, dryRun: boolean): ApiResponse {
    const { type, namespace } = target;
    this.checkKind(type, body, false);
    const obj = clone(body);
    this.placeInNamespace(type, obj, namespace);
    const metadata = obj.metadata!;
    if (!metadata.name && metadata.generateName) metadata.name = metadata.generateName + randomUUID().replace(/-/g, '').slice(0, 5);
    return { status: 201, body: this.createObject(type, obj, this.manager(request, false), dryRun, 'main', undefined) };
  }

  /** Creates an object (by POST or by an apply that found nothing): system metadata, checks, store. */
  private createObject(
    type: ResourceType,
    obj: KubeObject,
    manager: string,
    dryRun: boolean,
    scope: Scope,
    applied: KubeObject | undefined,
  ): KubeObject {
    const metadata = (obj.metadata = obj.metadata ?? {});
    const causes = validateObject(type, obj);
    if (causes.length > 0) throw invalid(type.kind, type.group, metadata.name ?? '', causes);
    this.namespaceMustExist(type, metadata.namespace);
    if (this.store.get(type, metadata.namespace, metadata.name!)) throw alreadyExists(type.resource, type.group, metadata.name!);
    const now = timestamp(this.options.now());
    obj.apiVersion = groupVersion(type.group, type.version);
    obj.kind = type.kind;
    const appliedFields = applied?.metadata?.managedFields;
    delete metadata.resourceVersion;
    delete metadata.managedFields;
    metadata.uid = randomUUID();
    metadata.creationTimestamp = now;
    metadata.generation = 1;
    if (type.statusSubresource && !STATUS_KEPT_ON_CREATE.has(type.kind)) delete obj.status;
    this.systemStatus(type, obj);
    if (!applied) {
      metadata.managedFields = trackUpdate({
        before: undefined,
        after: obj,
        manager,
        apiVersion: obj.apiVersion,
        scope,
        hasStatusSubresource: type.statusSubresource,
        now,
      });
    } else metadata.managedFields = appliedFields;
    return this.commit(type, obj, dryRun);
  }

  /** Status the server itself maintains: Namespace phase, CRD conditions, autoReady rollouts. */
  private systemStatus(type: ResourceType, obj: KubeObject): void {
    if (type.kind === 'Namespace' && type.group === '') obj.status = { phase: obj.metadata?.deletionTimestamp ? 'Terminating' : 'Active' };
    if (type.kind === 'CustomResourceDefinition') {
      const spec = obj.spec as Record<string, unknown>;
      const when = obj.metadata!.creationTimestamp;
      obj.status = {
        acceptedNames: spec.names,
        storedVersions: (spec.versions as Record<string, unknown>[]).filter((v) => v.storage === true).map((v) => v.name),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: when },
          {
            type: 'Established',
            status: 'True',
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
            lastTransitionTime: when,
          },
        ],
      };
    }
    if (this.options.autoReady) {
      const nodes = this.store.list(this.registry.find('', 'v1', 'nodes')!).length;
      // Timestamps from creation, so that re-writing an unchanged object stays a no-op.
      const status = readyStatus(obj, obj.metadata!.creationTimestamp ?? timestamp(this.options.now()), nodes);
      if (status) obj.status = status;
    }
  }

  /** Stores a finished object (unless dry run) with a fresh resourceVersion; CRDs (re)register their kinds. */
  private commit(type: ResourceType, obj: KubeObject, dryRun: boolean): KubeObject {
    if (dryRun) return this.served(type, obj);
    const isNew = !this.store.get(type, obj.metadata?.namespace, obj.metadata!.name!);
    obj.metadata!.resourceVersion = this.store.nextResourceVersion();
    this.store.put(type, obj);
    if (type.kind === 'CustomResourceDefinition') this.registry.registerCrd(obj);
    this.emit(isNew ? 'ADDED' : 'MODIFIED', type, obj);
    return this.served(type, obj);
  }

  /**
   * Finishes a write to an existing object: status kept or taken per scope, generation, managedFields,
   * validation; an unchanged result is not written (no new resourceVersion), as on a real server.
   */
  private updateObject(
    type: ResourceType,
    existing: KubeObject,
    next: KubeObject,
    scope: Scope,
    managed: 'update' | 'applied',
    manager: string,
    dryRun: boolean,
  ): KubeObject {
    const now = timestamp(this.options.now());
    let obj: KubeObject;
    if (scope === 'status') {
      obj = { ...clone(existing), status: clone(next.status) };
      if (managed === 'applied') obj.metadata!.managedFields = next.metadata?.managedFields;
    } else {
      obj = clone(next);
      obj.metadata = obj.metadata ?? {};
      if (type.statusSubresource) {
        if (existing.status === undefined) delete obj.status;
        else obj.status = clone(existing.status);
      }
    }
    const metadata = obj.metadata!;
    dropEmptyMetadataMaps(metadata);
    for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'namespace', 'name'] as const) {
      if (existing.metadata?.[key] === undefined) delete metadata[key];
      else (metadata as Record<string, unknown>)[key] = existing.metadata[key];
    }
    if (!type.namespaced) delete metadata.namespace;
    metadata.generation = existing.metadata?.generation ?? 1;
    if (!jsonEqual(specContent(existing), specContent(obj))) metadata.generation += 1;
    obj.apiVersion = existing.apiVersion;
    obj.kind = existing.kind;
    if (managed === 'update') {
      metadata.managedFields = trackUpdate({
        before: scope === 'main' ? ownersBefore(existing, next) : existing,
        after: obj,
        manager,
        apiVersion: groupVersion(type.group, type.version),
        scope,
        hasStatusSubresource: type.statusSubresource,
        now,
      });
    }
    if (scope === 'main') this.systemStatus(type, obj);
    const causes = validateObject(type, obj);
    if (causes.length > 0) throw invalid(type.kind, type.group, metadata.name ?? '', causes);
    metadata.resourceVersion = existing.metadata?.resourceVersion;
    if (jsonEqual(comparable(existing), comparable(obj))) return this.served(type, existing);
    return this.commit(type, obj, dryRun);
  }

  private existing({ type, namespace, name }: Target): KubeObject {
    const obj = this.store.get(type, namespace, name!);
    if (!obj) throw notFound(type.resource, type.group, name!);
    return obj;
  }

  /** 409 when a write names a resourceVersion that is no longer current. */
  private checkResourceVersion(type: ResourceType, existing: KubeObject, wanted: unknown): void {
    if (wanted !== undefined && wanted !== null && wanted !== '' && wanted !== existing.metadata?.resourceVersion) {
      throw staleConflict(type.resource, type.group, existing.metadata!.name!);
    }
  }

  private update(target: Target, body: KubeObject, request: ApiRequest, dryRun: boolean): ApiResponse {
    const { type, name } = target;
    this.checkKind(type, body, false);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const existing = this.existing(target);
    this.checkResourceVersion(type, existing, body.metadata?.resourceVersion);
    const scope: Scope = target.subresource === 'status' ? 'status' : 'main';
    const obj = this.updateObject(type, existing, body, scope, 'update', this.manager(request, false), dryRun);
    return { status: 200, body: obj };
  }

  private patch(target: Target, request: ApiRequest, dryRun: boolean): ApiResponse {
    const { type, namespace, name } = target;
    const scope: Scope = target.subresource === 'status' ? 'status' : 'main';
    const contentType = request.contentType.split(';')[0]!.trim();
    if (contentType === 'application/apply-patch+yaml') return this.apply(target, request, scope, dryRun);
    const existing = this.existing(target);
    let patch: unknown;
    try {
      patch = JSON.parse(request.body);
    } catch (error) {
      throw badRequest(`error decoding patch: ${(error as Error).message}`);
    }
    let next: unknown;
    if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
      next = mergePatch(existing, patch);
    } else if (contentType === 'application/json-patch+json') next = jsonPatch(existing, patch);
    else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ` +
          `application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, ` +
          `application/strategic-merge-patch+json`,
        {},
      );
    if (!isPlainObject(next)) throw new ApiError(422, 'Invalid', 'the patched object is not an object', {});
    const patched = next as KubeObject;
    this.checkResourceVersion(type, existing, patched.metadata?.resourceVersion);
    if (patched.metadata?.name !== name || (type.namespaced && patched.metadata?.namespace !== namespace)) {
      throw badRequest('metadata.name and metadata.namespace cannot be changed by a patch');
    }
    return { status: 200, body: this.updateObject(type, existing, patched, scope, 'update', this.manager(request, false), dryRun) };
  }

  /** Server-side apply (PATCH application/apply-patch+yaml): creates or merges, tracking ownership. */
  private apply(target: Target, request: ApiRequest, scope: Scope, dryRun: boolean): ApiResponse {
    const { type, namespace, name } = target;
    const manager = this.manager(request, true);
    const force = request.query.get('force') === 'true';
    const applied = this.parseBody({ ...request, contentType: 'application/yaml' });
    this.checkKind(type, applied, true);
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && applied.metadata?.namespace !== undefined && applied.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const existing = this.store.get(type, namespace, name!);
    if (!existing && scope === 'status') throw notFound(type.resource, type.group, name!);
    if (existing) this.checkResourceVersion(type, existing, applied.metadata?.resourceVersion);
    const apiVersion = groupVersion(type.group, type.version);
    const skeleton: KubeObject = { apiVersion, kind: type.kind, metadata: type.namespaced ? { name, namespace } : { name } };
    const merged = serverSideApply({
      live: existing,
      skeleton,
      applied: stripNulls(applied) as KubeObject,
      manager,
      force,
      apiVersion,
      scope,
      hasStatusSubresource: type.statusSubresource,
      now: timestamp(this.options.now()),
    });
    if (!existing) return { status: 201, body: this.createObject(type, merged, manager, dryRun, scope, merged) };
    return { status: 200, body: this.updateObject(type, existing, merged, scope, 'applied', manager, dryRun) };
  }

  /** Reads DeleteOptions (body or query) and checks its preconditions. */
  private checkDeletePreconditions(type: ResourceType, existing: KubeObject, request: ApiRequest): void {
    let options: Record<string, unknown> = {};
    if (request.body.trim() !== '') {
      try {
        const parsed = JSON.parse(request.body) as unknown;
        if (isPlainObject(parsed)) options = parsed;
      } catch {
        throw badRequest('error decoding DeleteOptions');
      }
    }
    const policy = options.propagationPolicy ?? request.query.get('propagationPolicy');
    if (policy !== undefined && policy !== null && !['Orphan', 'Background', 'Foreground'].includes(String(policy))) {
      throw invalid('DeleteOptions', '', '', [
        { type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(policy)}` },
      ]);
    }
    const pre = isPlainObject(options.preconditions) ? options.preconditions : {};
    if (
      (pre.uid !== undefined && pre.uid !== existing.metadata?.uid) ||
      (pre.resourceVersion !== undefined && pre.resourceVersion !== existing.metadata?.resourceVersion)
    ) {
      throw staleConflict(type.resource, type.group, existing.metadata!.name!);
    }
  }

  private delete(target: Target, request: ApiRequest, dryRun: boolean): KubeObject {
    const existing = this.existing(target);
    this.checkDeletePreconditions(target.type, existing, request);
    if (dryRun) return this.served(target.type, existing);
    if (target.type.kind === 'Namespace' && target.type.group === '') return this.terminateNamespace(target.type, existing);
    this.removeObject(target.type, existing);
    return this.served(target.type, existing);
  }

  /**
   * A deleted Namespace turns Terminating (deletionTimestamp, phase Terminating; new content is
   * refused) and is removed with its objects after namespaceDeletionDelayMs — so `kubectl delete -f`
   * of a namespace and its objects can still delete the objects, as against a real cluster.
   */
  private terminateNamespace(type: ResourceType, existing: KubeObject): KubeObject {
    if (existing.metadata?.deletionTimestamp) return this.served(type, existing);
    const obj = clone(existing);
    obj.metadata!.deletionTimestamp = timestamp(this.options.now());
    obj.status = { phase: 'Terminating' };
    const result = this.commit(type, obj, false);
    const finalize = () => {
      const current = this.store.get(type, undefined, obj.metadata!.name!);
      if (current && current.metadata?.uid === obj.metadata!.uid) this.removeObject(type, current);
    };
    if (this.options.namespaceDeletionDelayMs <= 0) finalize();
    else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        finalize();
      }, this.options.namespaceDeletionDelayMs);
      this.timers.add(timer);
    }
    return result;
  }

  private deleteCollection(target: Target, request: ApiRequest, dryRun: boolean): unknown {
    const items = this.list(target, request.query);
    if (!dryRun)
      for (const obj of items) this.removeObject(target.type, this.store.get(target.type, obj.metadata?.namespace, obj.metadata!.name!)!);
    return {
      kind: `${target.type.kind}List`,
      apiVersion: groupVersion(target.type.group, target.type.version),
      metadata: { resourceVersion: this.store.resourceVersion },
      items,
    };
  }

  /**
   * Deletes at once (no finalizers): a Namespace takes its objects with it, a CRD its kinds and
   * custom resources. Each removal is a DELETED event with a new resourceVersion.
   */
  private removeObject(type: ResourceType, obj: KubeObject): void {
    const name = obj.metadata!.name!;
    if (type.kind === 'Namespace' && type.group === '') {
      for (const t of this.registry.all()) {
        if (t.namespaced && t.version === this.storageVersion(t)) for (const o of this.store.list(t, name)) this.removeObject(t, o);
      }
    }
    if (type.kind === 'CustomResourceDefinition') {
      const types = this.registry.unregisterCrd(name);
      for (const t of types) if (t.version === types[0]!.version) for (const o of this.store.list(t)) this.removeObject(t, o);
    }
    this.store.remove(type, obj.metadata?.namespace, name);
    const gone = clone(obj);
    gone.metadata!.resourceVersion = this.store.nextResourceVersion();
    this.emit('DELETED', type, gone);
  }

  /** One version per stored resource, so objects shared by a CRD's versions are visited once. */
  private storageVersion(type: ResourceType): string {
    return this.registry.all().find((t) => t.group === type.group && t.resource === type.resource)!.version;
  }

  /** Creates or replaces an object directly (test set-up): same checks and bookkeeping as a PUT/POST. */
  write(obj: KubeObject, manager: string): KubeObject {
    const type = this.registry.findKind(String(obj.apiVersion ?? ''), String(obj.kind ?? ''));
    if (!type) throw badRequest(`no kind ${String(obj.kind)} is served in ${String(obj.apiVersion)}`);
    const copy = clone(obj);
    const namespace = type.namespaced ? (copy.metadata?.namespace ?? 'default') : undefined;
    this.placeInNamespace(type, copy, namespace);
    const existing = this.store.get(type, namespace, copy.metadata?.name ?? '');
    if (!existing) {
      const created = this.createObject(type, clone(copy), manager, false, 'main', undefined);
      // Status given by the test (seeded pods, nodes, workloads) is kept, as a controller would write it.
      if (copy.status === undefined) return created;
      const stored = this.store.get(type, namespace, copy.metadata!.name!)!;
      return this.updateObject(type, stored, { ...stored, status: copy.status }, 'status', 'update', manager, false);
    }
    const updated = this.updateObject(type, existing, copy, 'main', 'update', manager, false);
    if (copy.status === undefined || !type.statusSubresource) return updated;
    const stored = this.store.get(type, namespace, copy.metadata!.name!)!;
    return this.updateObject(type, stored, { ...stored, status: copy.status }, 'status', 'update', manager, false);
  }

  /** The stored object for an apiVersion/kind/namespace/name, if any. */
  read(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = this.registry.findKind(apiVersion, kind);
    const obj = type && this.store.get(type, namespace ?? 'default', name);
    return obj && type ? this.served(type, obj) : undefined;
  }

  /** Stored objects of a kind (in a namespace, or all). */
  readAll(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const type = this.registry.findKind(apiVersion, kind);
    return type ? this.store.list(type, namespace).map((o) => this.served(type, o)) : [];
  }

  /** Deletes directly (test set-up); returns whether the object existed. */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    const type = this.registry.findKind(apiVersion, kind);
    const obj = type && this.store.get(type, namespace ?? 'default', name);
    if (!type || !obj) return false;
    this.removeObject(type, obj);
    return true;
  }
}
