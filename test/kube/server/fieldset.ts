// Field sets in the FieldsV1 format of metadata.managedFields (sigs.k8s.io/structured-merge-diff):
// a path is a list of elements, `f:<field>` for a map field and `k:{"name":"web"}` for an item of a
// list keyed by its key fields. The double has no OpenAPI schemas, so which lists are keyed is a
// rule of thumb (see listKeyFields); every other list is atomic, i.e. a single leaf.
import { isPlainObject } from './types.js';

/** A field path: FieldsV1 elements from the object's root. */
export type FieldPath = readonly string[];

/** A set of field paths, keyed by their joined elements. */
export type FieldSet = Map<string, FieldPath>;

/** The map key of a path in a FieldSet. */
export function pathKey(path: FieldPath): string {
  return path.join('\u0000');
}

/** A set holding these paths. */
export function fieldSet(paths: Iterable<FieldPath>): FieldSet {
  const set: FieldSet = new Map();
  for (const p of paths) set.set(pathKey(p), p);
  return set;
}

/**
 * The key fields of a list, or null when the list is atomic. Real schemas key containers, env and
 * volumes by name, container ports by containerPort+protocol, service ports by port+protocol and
 * volumeMounts by mountPath; any other list whose items all carry a distinct `name` is keyed by name.
 */
export function listKeyFields(fieldName: string, items: readonly unknown[]): string[] | null {
  if (items.length === 0 || !items.every(isPlainObject)) return null;
  const objects = items as Record<string, unknown>[];
  let keys: string[] | null = null;
  if (fieldName === 'ports' && objects.every((i) => i.containerPort !== undefined)) keys = ['containerPort', 'protocol'];
  else if (fieldName === 'ports' && objects.every((i) => i.port !== undefined)) keys = ['port', 'protocol'];
  else if (fieldName === 'volumeMounts' && objects.every((i) => typeof i.mountPath === 'string')) keys = ['mountPath'];
  else if (objects.every((i) => typeof i.name === 'string')) keys = ['name'];
  if (!keys) return null;
  const seen = new Set(objects.map((i) => keyElement(i, keys)));
  return seen.size === objects.length ? keys : null; // duplicate keys: treat the list as atomic
}

/** The `k:{...}` element of a list item (protocol defaults to TCP, as the API server defaults it). */
export function keyElement(item: Record<string, unknown>, keys: readonly string[]): string {
  const key: Record<string, unknown> = {};
  for (const k of keys) {
    const value = k === 'protocol' ? (item[k] ?? 'TCP') : item[k];
    if (value !== undefined) key[k] = value;
  }
  return 'k:' + JSON.stringify(key);
}

/** The leaf paths (and keyed list items) of an object's content, as SSA records what a manager set. */
export function fieldSetOf(content: Record<string, unknown>): FieldSet {
  const set: FieldSet = new Map();
  const add = (path: string[]) => set.set(pathKey(path), path);
  const walk = (value: unknown, path: string[], fieldName: string): void => {
    if (isPlainObject(value)) {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      if (entries.length === 0) add(path);
      for (const [k, v] of entries) walk(v, [...path, `f:${k}`], k);
    } else if (Array.isArray(value)) {
      const keys = listKeyFields(fieldName, value);
      if (!keys) {
        add(path);
        return;
      }
      for (const item of value as Record<string, unknown>[]) {
        const itemPath = [...path, keyElement(item, keys)];
        add(itemPath);
        for (const [k, v] of Object.entries(item)) if (v !== undefined) walk(v, [...itemPath, `f:${k}`], k);
      }
    } else add(path);
  };
  for (const [k, v] of Object.entries(content)) if (v !== undefined) walk(v, [`f:${k}`], k);
  return set;
}

interface TreeNode {
  self: boolean;
  children: Map<string, TreeNode>;
}

/** The FieldsV1 JSON of a set: `{}` for a leaf, `".": {}` for a member that also has children. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: TreeNode = { self: false, children: new Map() };
  for (const path of set.values()) {
    let node = root;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) {
        child = { self: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.self = true;
  }
  const render = (node: TreeNode): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (node.self && node.children.size > 0) out['.'] = {};
    for (const key of [...node.children.keys()].sort()) out[key] = render(node.children.get(key)!);
    return out;
  };
  return render(root);
}

/** The set a FieldsV1 JSON value describes. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Map();
  const walk = (node: unknown, path: string[]): void => {
    if (!isPlainObject(node)) return;
    for (const [key, child] of Object.entries(node)) {
      if (key === '.') set.set(pathKey(path), path);
      else if (isPlainObject(child) && Object.keys(child).length === 0) {
        const p = [...path, key];
        set.set(pathKey(p), p);
      } else walk(child, [...path, key]);
    }
  };
  walk(fields, []);
  return set;
}

/** A path as the API server prints it in conflicts: `.spec.template.spec.containers[name="web"].image`. */
export function pathString(path: FieldPath): string {
  return path
    .map((element) => {
      if (element.startsWith('f:')) return '.' + element.slice(2);
      if (element.startsWith('k:')) {
        const key = JSON.parse(element.slice(2)) as Record<string, unknown>;
        return (
          '[' +
          Object.entries(key)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',') +
          ']'
        );
      }
      return element;
    })
    .join('');
}

/** Is `path` equal to `ancestor` or below it? */
export function isWithin(path: FieldPath, ancestor: FieldPath): boolean {
  return ancestor.length <= path.length && ancestor.every((e, i) => path[i] === e);
}

/** Finds the list item a `k:` element names. */
function findItem(list: unknown[], element: string): number {
  const keys = Object.keys(JSON.parse(element.slice(2)) as Record<string, unknown>);
  return list.findIndex((item) => isPlainObject(item) && keyElement(item, keys) === element);
}

/** The value at a path, or undefined when the object has nothing there. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let node = obj;
  for (const element of path) {
    if (element.startsWith('f:') && isPlainObject(node)) node = node[element.slice(2)];
    else if (element.startsWith('k:') && Array.isArray(node)) node = node[findItem(node, element)];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Removes the field or list item at a path; maps and lists left empty by the removal are removed
 * too (up to, not including, the object's top-level fields' parent, metadata). Returns whether
 * anything was removed.
 */
export function removeAt(obj: Record<string, unknown>, path: FieldPath): boolean {
  const chain: unknown[] = [obj];
  for (const element of path.slice(0, -1)) {
    const next = valueAt(chain[chain.length - 1], [element]);
    if (next === undefined) return false;
    chain.push(next);
  }
  const removeFrom = (container: unknown, element: string): boolean => {
    if (element.startsWith('f:') && isPlainObject(container)) {
      const field = element.slice(2);
      if (!(field in container)) return false;
      delete container[field];
      return true;
    }
    if (element.startsWith('k:') && Array.isArray(container)) {
      const index = findItem(container, element);
      if (index < 0) return false;
      container.splice(index, 1);
      return true;
    }
    return false;
  };
  if (!removeFrom(chain[chain.length - 1], path[path.length - 1]!)) return false;
  for (let depth = chain.length - 1; depth >= 1; depth -= 1) {
    const container = chain[depth];
    const empty = Array.isArray(container) ? container.length === 0 : isPlainObject(container) && Object.keys(container).length === 0;
    if (!empty || (depth === 1 && path[0] === 'f:metadata')) break;
    removeFrom(chain[depth - 1], path[depth - 1]!);
  }
  return true;
}
