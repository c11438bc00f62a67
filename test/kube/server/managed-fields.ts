// Field ownership in metadata.managedFields, as kube-apiserver's fieldmanager keeps it:
// server-side apply (operation Apply: the manager owns exactly what it last applied; conflicts with
// other owners are 409 unless force; fields it stops applying are removed when nobody else owns
// them), and every other write (operation Update: the writer takes the fields it changed from
// everyone else, without conflicts).
import { ApiError, type StatusCause } from './status.js';
import {
  fieldSet,
  fieldSetOf,
  fromFieldsV1,
  isWithin,
  keyElement,
  listKeyFields,
  pathKey,
  pathString,
  removeAt,
  toFieldsV1,
  valueAt,
  type FieldPath,
  type FieldSet,
} from './fieldset.js';
import { clone, isPlainObject, jsonEqual, type KubeObject, type ManagedFieldsEntry } from './types.js';

/** Which part of an object a write addresses: the main resource or its status subresource. */
export type Scope = 'main' | 'status';

/** Metadata fields the server owns; they are never in a manager's field set. */
const SYSTEM_METADATA = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/**
 * The part of an object whose fields managers can own in a scope: everything but apiVersion, kind
 * and system metadata; status only through the status subresource when the kind has one.
 */
export function ownedContent(obj: KubeObject, scope: Scope, hasStatusSubresource: boolean): Record<string, unknown> {
  if (scope === 'status') return obj.status === undefined ? {} : { status: clone(obj.status) };
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || value === undefined) continue;
    if (key === 'status' && hasStatusSubresource) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      const metadata = Object.fromEntries(Object.entries(value).filter(([k]) => !SYSTEM_METADATA.includes(k)));
      if (Object.keys(metadata).length > 0) content.metadata = clone(metadata);
      continue;
    }
    content[key] = clone(value);
  }
  return content;
}

/** Drops nulls (kubectl sends `creationTimestamp: null`); an applied null means "not set". */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = stripNulls(v);
  return out;
}

interface Owner {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

function readOwners(obj: KubeObject | undefined): Owner[] {
  return (obj?.metadata?.managedFields ?? []).map((entry) => ({ entry: clone(entry), set: fromFieldsV1(entry.fieldsV1) }));
}

function writeOwners(owners: Owner[]): ManagedFieldsEntry[] {
  return owners.filter((o) => o.set.size > 0).map((o) => ({ ...o.entry, fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(o.set) }));
}

function sameManager(entry: ManagedFieldsEntry, manager: string, operation: 'Apply' | 'Update', scope: Scope): boolean {
  return entry.manager === manager && entry.operation === operation && (entry.subresource ?? '') === (scope === 'status' ? 'status' : '');
}

/** The manager as the API server names it in conflict messages ("x" using apps/v1 for Update). */
function printManager(entry: ManagedFieldsEntry): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  return entry.operation === 'Update' ? `${text} using ${entry.apiVersion}` : text;
}

/** Removes a path and everything below it from a set. */
function dropWithin(set: FieldSet, path: FieldPath): void {
  for (const [key, p] of set) if (isWithin(p, path)) set.delete(key);
}

/** Is the path a key field of a list item (`…k:{"name":"a"}.f:name`)? */
function isKeyField(path: FieldPath): boolean {
  const parent = path[path.length - 2];
  const last = path[path.length - 1]!;
  return (
    parent !== undefined && parent.startsWith('k:') && last.startsWith('f:') && last.slice(2) in (JSON.parse(parent.slice(2)) as object)
  );
}

/** Merges an applied configuration into a live value: maps by field, keyed lists by key, the rest replaced. */
function mergeApplied(live: unknown, applied: unknown, fieldName: string): unknown {
  if (isPlainObject(applied) && isPlainObject(live)) {
    const out: Record<string, unknown> = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(live[k], v, k);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const keys = listKeyFields(fieldName, applied);
    if (keys && live.every(isPlainObject)) {
      const byKey = new Map((applied as Record<string, unknown>[]).map((item) => [keyElement(item, keys), item]));
      const out = (live as Record<string, unknown>[]).map((item) => {
        const element = keyElement(item, keys);
        const match = byKey.get(element);
        byKey.delete(element);
        return match ? mergeApplied(item, match, '') : item;
      });
      return [...out, ...[...byKey.values()].map((item) => clone(item))];
    }
  }
  return clone(applied);
}

/** What a server-side apply is asked to do. */
export interface ApplyRequest {
  /** The stored object, or undefined when the apply creates it (already carrying name, namespace…). */
  live: KubeObject | undefined;
  /** A skeleton for creation: apiVersion, kind and system metadata of the new object. */
  skeleton: KubeObject;
  applied: KubeObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  scope: Scope;
  hasStatusSubresource: boolean;
  now: string;
}

/**
 * Server-side apply: the merged object with managedFields updated, or a 409 Conflict naming every
 * field another manager owns with a different value (unless force, which takes them over).
 */
export function serverSideApply(request: ApplyRequest): KubeObject {
  const { manager, scope } = request;
  const appliedContent = ownedContent(stripNulls(request.applied) as KubeObject, scope, request.hasStatusSubresource);
  const appliedSet = fieldSetOf(appliedContent);
  const live = request.live ? clone(request.live) : clone(request.skeleton);
  const owners = readOwners(request.live);
  let self = owners.find((o) => sameManager(o.entry, manager, 'Apply', scope));
  const others = owners.filter((o) => o !== self);

  const conflicts: { owner: Owner; path: FieldPath }[] = [];
  for (const owner of others) {
    for (const [key, path] of appliedSet) {
      if (!owner.set.has(key) || path[path.length - 1]!.startsWith('k:')) continue;
      if (!jsonEqual(valueAt(appliedContent, path), valueAt(live, path))) conflicts.push({ owner, path });
    }
  }
  if (conflicts.length > 0 && !request.force) throw conflictError(conflicts);
  for (const { owner, path } of conflicts) owner.set.delete(pathKey(path));

  // Fields this manager applied before and omits now go, unless someone else still owns them.
  const previous = self ? [...self.set.values()] : [];
  // Shortest first: a list item goes as a whole; its key fields stay while the item does.
  const omitted = previous.filter((p) => !appliedSet.has(pathKey(p))).sort((a, b) => a.length - b.length);
  for (const path of omitted) {
    const stillOwned = others.some((o) => [...o.set.values()].some((p) => isWithin(p, path)));
    if (!stillOwned && !isKeyField(path)) removeAt(live, path);
  }

  const merged = mergeApplied(live, appliedContent, '') as KubeObject;
  if (!self) {
    self = {
      entry: { manager, operation: 'Apply', apiVersion: request.apiVersion, time: request.now, fieldsType: 'FieldsV1', fieldsV1: {} },
      set: new Map(),
    };
    if (scope === 'status') self.entry.subresource = 'status';
    owners.push(self);
  }
  self.set = appliedSet;
  self.entry.apiVersion = request.apiVersion;
  self.entry.time = request.now;
  merged.metadata = { ...(merged.metadata ?? {}), managedFields: writeOwners(owners) };
  return merged;
}

/** The 409 the API server answers a conflicting apply with (k8s.io/apiserver fieldmanager). */
function conflictError(conflicts: { owner: Owner; path: FieldPath }[]): ApiError {
  const causes: StatusCause[] = conflicts.map(({ owner, path }) => ({
    type: 'FieldManagerConflict',
    message: `conflict with ${printManager(owner.entry)}`,
    field: pathString(path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.owner.entry)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { owner, path } of conflicts) {
      const name = printManager(owner.entry);
      byManager.set(name, [...(byManager.get(name) ?? []), pathString(path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((name) => [`conflicts with ${name}:`, ...byManager.get(name)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** What a non-apply write (create, update, merge or JSON patch) is. */
export interface UpdateRequest {
  before: KubeObject | undefined;
  after: KubeObject;
  manager: string;
  apiVersion: string;
  scope: Scope;
  hasStatusSubresource: boolean;
  now: string;
}

/**
 * managedFields after an Update-operation write: the writer owns the fields it changed or added,
 * other managers lose them, and removed fields leave every set.
 */
export function trackUpdate(request: UpdateRequest): ManagedFieldsEntry[] {
  const { before, after, scope } = request;
  const beforeContent = before ? ownedContent(before, scope, request.hasStatusSubresource) : {};
  const afterContent = ownedContent(after, scope, request.hasStatusSubresource);
  const beforeSet = fieldSetOf(beforeContent);
  const afterSet = fieldSetOf(afterContent);
  const changed = fieldSet(
    [...afterSet.entries()]
      .filter(
        ([key, path]) =>
          !beforeSet.has(key) ||
          (!path[path.length - 1]!.startsWith('k:') && !jsonEqual(valueAt(beforeContent, path), valueAt(afterContent, path))),
      )
      .map(([, path]) => path),
  );
  const removed = [...beforeSet.entries()].filter(([key]) => !afterSet.has(key)).map(([, p]) => p);
  const owners = readOwners(before);
  let self = owners.find((o) => sameManager(o.entry, request.manager, 'Update', scope));
  for (const owner of owners) {
    if (owner !== self) for (const key of changed.keys()) owner.set.delete(key);
    for (const path of removed) dropWithin(owner.set, path);
  }
  if (changed.size > 0) {
    if (!self) {
      self = {
        entry: {
          manager: request.manager,
          operation: 'Update',
          apiVersion: request.apiVersion,
          time: request.now,
          fieldsType: 'FieldsV1',
          fieldsV1: {},
        },
        set: new Map(),
      };
      if (scope === 'status') self.entry.subresource = 'status';
      owners.push(self);
    }
    for (const [key, path] of changed) self.set.set(key, path);
    self.entry.apiVersion = request.apiVersion;
    self.entry.time = request.now;
  }
  return writeOwners(owners);
}
