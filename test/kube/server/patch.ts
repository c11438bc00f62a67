// The non-apply PATCH types: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic
// merge patch, which the double treats as a merge patch (a documented limitation: real strategic
// merge merges lists such as containers by key and honours $patch directives).
import { badRequest, ApiError } from './status.js';
import { clone, isPlainObject, jsonEqual } from './types.js';

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Decodes one RFC 6901 pointer into its reference tokens. */
function pointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw badRequest(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path === ''
    ? []
    : path
        .slice(1)
        .split('/')
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container a pointer's last token refers into, and that token. */
function parentOf(doc: unknown, tokens: string[]): { parent: Record<string, unknown> | unknown[]; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(token)] : isPlainObject(node) ? node[token] : undefined;
    if (node === undefined) throw new ApiError(422, 'Invalid', `json patch: path /${tokens.join('/')} does not exist`);
  }
  if (!Array.isArray(node) && !isPlainObject(node))
    throw new ApiError(422, 'Invalid', `json patch: path /${tokens.join('/')} does not exist`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let node = doc;
  for (const token of tokens) node = Array.isArray(node) ? node[Number(token)] : isPlainObject(node) ? node[token] : undefined;
  return node;
}

function removeAt(doc: unknown, tokens: string[]): unknown {
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length)) throw new ApiError(422, 'Invalid', `json patch: remove of missing index ${key}`);
    return parent.splice(index, 1)[0];
  }
  if (!(key in parent)) throw new ApiError(422, 'Invalid', `json patch: remove of missing key ${key}`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!(index >= 0 && index <= parent.length)) throw new ApiError(422, 'Invalid', `json patch: index ${key} out of range`);
    parent.splice(index, 0, clone(value));
  } else parent[key] = clone(value);
  return doc;
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isPlainObject(op)) throw badRequest('json patch operation must be an object');
    const path = pointer(op.path);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'replace':
        removeAt(doc, path);
        doc = addAt(doc, path, op.value);
        break;
      case 'move': {
        const value = removeAt(doc, pointer(op.from));
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, getAt(doc, pointer(op.from)));
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, path), op.value)) throw new ApiError(422, 'Invalid', `json patch: test failed at ${String(op.path)}`);
        break;
      default:
        throw badRequest(`json patch: unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
