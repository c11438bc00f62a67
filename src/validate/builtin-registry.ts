// The Kubernetes API schema of the built-in kinds, as @kubernetes/client-node ships it: every
// generated model class has a static getAttributeTypeMap() ([{name, baseName, type, format}],
// generated from the API server's OpenAPI document), and every API class (AppsV1Api…) has one
// create method per kind it serves (createNamespacedDeployment). The registry is derived from those
// two, never written by hand, so a client-node upgrade brings the new kinds and fields with it.
//
// The generator erased one type: resource.Quantity became "string" (the OpenAPI v2 document says
// so), though the API server also accepts a JSON number (`cpu: 1`). QUANTITY_FIELDS puts it back.
import * as k8s from '@kubernetes/client-node';

/** One attribute of a generated model class. */
export interface AttributeType {
  name: string;
  /** The JSON field name. */
  baseName: string;
  type: string;
  format: string;
}

/** What a field's value must be. */
export type Shape =
  | { kind: 'string'; format: 'byte' | '' }
  | { kind: 'quantity' }
  | { kind: 'integer'; format: 'int32' | 'int64' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'intOrString' }
  | { kind: 'any' }
  | { kind: 'list'; of: Shape }
  | { kind: 'map'; of: Shape }
  | { kind: 'object'; model: string };

/** A model's fields by JSON name. */
export interface Model {
  /** The class name, e.g. V1Container. */
  name: string;
  /** Without its version: Container. */
  type: string;
  fields: ReadonlyMap<string, Shape>;
}

const LIBRARY = k8s as unknown as Record<string, unknown>;

function attributesOf(className: string): AttributeType[] | undefined {
  const c = LIBRARY[className];
  if (typeof c !== 'function') return undefined;
  const typeMap = (c as { getAttributeTypeMap?: unknown }).getAttributeTypeMap;
  return typeof typeMap === 'function' ? (typeMap.call(c) as AttributeType[]) : undefined;
}

/** A class name without its version prefix: V1beta2DeviceCapacity → DeviceCapacity. */
export function unversionedName(className: string): string {
  return className.replace(/^(?:[A-Z][a-z]+)*V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])/, '');
}

/**
 * Quantity-typed fields (apimachinery resource.Quantity, alone or as a ResourceList's values), by
 * unversioned model name, so every version of resource.k8s.io is covered. Status types are left
 * out: status is never checked. test/validate/builtin-schema.test.ts checks each is in the library.
 */
export const QUANTITY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ResourceRequirements: ['limits', 'requests'],
  VolumeResourceRequirements: ['limits', 'requests'],
  EmptyDirVolumeSource: ['sizeLimit'],
  ResourceFieldSelector: ['divisor'],
  LimitRangeItem: ['default', 'defaultRequest', 'max', 'maxLimitRequestRatio', 'min'],
  ResourceQuotaSpec: ['hard'],
  PersistentVolumeSpec: ['capacity'],
  PodSpec: ['overhead'],
  Overhead: ['podFixed'],
  CSIStorageCapacity: ['capacity', 'maximumVolumeSize'],
  MetricTarget: ['averageValue', 'value'],
  DeviceCapacity: ['value'],
  Counter: ['value'],
  CapacityRequestPolicy: ['default', 'validValues'],
  CapacityRequestPolicyRange: ['max', 'min', 'step'],
  CapacityRequirements: ['requests'],
};

const shapeCache = new Map<string, Shape>();

/** The shape of a type-map type string; a string in a quantity field is a quantity. */
export function shapeOf(type: string, format: string, quantity = false): Shape {
  const key = `${type}|${format}|${quantity}`;
  let shape = shapeCache.get(key);
  if (!shape) {
    shape = parseShape(type.trim(), format, quantity);
    shapeCache.set(key, shape);
  }
  return shape;
}

function parseShape(type: string, format: string, quantity: boolean): Shape {
  const list = /^Array<(.+)>$/.exec(type);
  if (list) return { kind: 'list', of: shapeOf(list[1]!, format, quantity) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { kind: 'map', of: shapeOf(map[1]!, format, quantity) };
  switch (type) {
    case 'string':
      if (quantity) return { kind: 'quantity' };
      return { kind: 'string', format: format === 'byte' ? 'byte' : '' };
    case 'number':
      return format === 'int32' || format === 'int64' ? { kind: 'integer', format } : { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'Date':
    case 'V1MicroTime': // metav1.MicroTime: a type alias of Date, not a class
      return { kind: 'date' };
    case 'IntOrString':
      return { kind: 'intOrString' };
    default:
      // `any`, `object` and anything a later generator invents (a test lists those): accepted as they are.
      return attributesOf(type) ? { kind: 'object', model: type } : { kind: 'any' };
  }
}

const modelCache = new Map<string, Model | null>();

/** A model class's fields, or null when the library has no such class. */
export function modelNamed(className: string): Model | null {
  let model = modelCache.get(className);
  if (model === undefined) {
    const attributes = attributesOf(className);
    if (attributes) {
      const type = unversionedName(className);
      const quantities = new Set(QUANTITY_FIELDS[type] ?? []);
      const fields = new Map(attributes.map((a) => [a.baseName, shapeOf(a.type, a.format, quantities.has(a.baseName))]));
      model = { name: className, type, fields };
    } else model = null;
    modelCache.set(className, model);
  }
  return model;
}

/** The API groups whose names are not "<words>.k8s.io": core's is empty. */
const LEGACY_GROUPS: Readonly<Record<string, string>> = {
  Core: '',
  Apps: 'apps',
  Autoscaling: 'autoscaling',
  Batch: 'batch',
  Policy: 'policy',
};

/** The API group of an API class prefix: RbacAuthorization → rbac.authorization.k8s.io (the Kubernetes naming rule). */
export function groupOfPrefix(prefix: string): string {
  return LEGACY_GROUPS[prefix] ?? `${prefix.replace(/(?<=[a-z])(?=[A-Z])/g, '.').toLowerCase()}.k8s.io`;
}

const API_CLASS = /^([A-Z][A-Za-z]*?)(V\d+(?:alpha\d+|beta\d+)?)Api$/;
const CREATE_METHOD = /^create(?:Namespaced)?([A-Z][A-Za-z0-9]*)$/;

/** One API class of the library: its prefix (Apps), API group and version, and the kinds it creates. */
export interface ApiClass {
  className: string;
  prefix: string;
  group: string;
  version: string;
  kinds: string[];
}

/** Every versioned API class client-node exports, with the kinds its create methods take. */
export function apiClasses(): ApiClass[] {
  const out: ApiClass[] = [];
  for (const [className, value] of Object.entries(LIBRARY)) {
    const m = API_CLASS.exec(className);
    if (!m || typeof value !== 'function') continue;
    const kinds: string[] = [];
    for (const method of Object.getOwnPropertyNames((value as { prototype: object }).prototype)) {
      const create = CREATE_METHOD.exec(method);
      if (create && !method.endsWith('WithHttpInfo')) kinds.push(create[1]!);
    }
    const version = m[2]!.charAt(0).toLowerCase() + m[2]!.slice(1);
    out.push({ className, prefix: m[1]!, group: groupOfPrefix(m[1]!), version, kinds });
  }
  return out;
}

/**
 * The model class of a kind: `<Version><Kind>`, or, when two groups share a version and kind
 * (core and events.k8s.io Event), the generator's group-prefixed name (CoreV1Event, EventsV1Event).
 */
function kindClass(api: ApiClass, kind: string): string | null {
  const version = api.version.charAt(0).toUpperCase() + api.version.slice(1);
  const firstWord = /^[A-Z][a-z]*/.exec(api.prefix)![0];
  for (const name of [`${api.prefix}${version}${kind}`, `${firstWord}${version}${kind}`, `${version}${kind}`]) {
    const attributes = attributesOf(name);
    // A top-level object has apiVersion and kind; subresource bodies such as PodEviction have no class.
    if (attributes?.some((a) => a.baseName === 'kind') && attributes.some((a) => a.baseName === 'apiVersion')) return name;
  }
  return null;
}

let registry: ReadonlyMap<string, string> | null = null;

/** "group/version/Kind" (core's group empty: "/v1/ConfigMap") → model class name, built once. */
export function kindRegistry(): ReadonlyMap<string, string> {
  if (!registry) {
    const map = new Map<string, string>();
    for (const api of apiClasses()) {
      for (const kind of api.kinds) {
        const className = kindClass(api, kind);
        if (className) map.set(`${api.group}/${api.version}/${kind}`, className);
      }
    }
    registry = map;
  }
  return registry;
}

/** The model class name of a manifest's apiVersion and kind, or null for kinds the library does not know (CRDs among them). */
export function modelOfKind(apiVersion: string, kind: string): string | null {
  const slash = apiVersion.indexOf('/');
  const key = slash < 0 ? `/${apiVersion}/${kind}` : `${apiVersion}/${kind}`;
  return kindRegistry().get(key) ?? null;
}
