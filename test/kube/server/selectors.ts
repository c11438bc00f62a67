// Label and field selectors as the `labelSelector` / `fieldSelector` query parameters spell them
// (k8s.io/apimachinery/pkg/labels and pkg/fields): `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
// `a notin (x)`, `a` (exists) and `!a` (does not exist), requirements joined by commas.
import { badRequest } from './status.js';
import { isPlainObject, type KubeObject } from './types.js';

/** A parsed selector: true when an object matches. */
export type Selector = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

type Requirement = (labels: Record<string, string>) => boolean;

/** One label requirement; throws 400 on syntax kube-apiserver would also reject. */
function parseLabelRequirement(text: string): Requirement {
  let m = /^!\s*([A-Za-z0-9._/-]+)$/.exec(text);
  if (m) {
    const key = m[1]!;
    return (labels) => !(key in labels);
  }
  m = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (m) {
    const key = m[1]!;
    const values = new Set(m[3]!.split(',').map((v) => v.trim()));
    // `notin` also matches objects without the label, as in apimachinery.
    return m[2] === 'in'
      ? (labels) => key in labels && values.has(labels[key]!)
      : (labels) => !(key in labels) || !values.has(labels[key]!);
  }
  m = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(text);
  if (m) {
    const key = m[1]!;
    const value = m[3]!;
    return m[2] === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  m = /^([A-Za-z0-9._/-]+)$/.exec(text);
  if (m) {
    const key = m[1]!;
    return (labels) => key in labels;
  }
  throw badRequest(`unable to parse requirement: ${JSON.stringify(text)}`);
}

/** Parses a `labelSelector` query value. */
export function parseLabelSelector(text: string | null): Selector {
  if (!text) return () => true;
  const requirements = splitRequirements(text).map(parseLabelRequirement);
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    return requirements.every((r) => r(labels));
  };
}

/** The value at a dotted field path, as the string a field selector compares. */
function fieldValue(obj: KubeObject, path: string): string {
  let value: unknown = obj;
  for (const part of path.split('.')) value = isPlainObject(value) ? value[part] : undefined;
  return value === undefined || value === null ? '' : String(value);
}

/**
 * Parses a `fieldSelector` query value: `path=value`, `path==value`, `path!=value`. The real server
 * supports only a few fields per kind (metadata.name, metadata.namespace, spec.nodeName, …); the
 * double accepts any dotted path.
 */
export function parseFieldSelector(text: string | null): Selector {
  if (!text) return () => true;
  const requirements = splitRequirements(text).map((part) => {
    const m = /^([A-Za-z0-9._]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(part)}`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    return (obj: KubeObject) => (op === '!=' ? fieldValue(obj, path) !== value : fieldValue(obj, path) === value);
  });
  return (obj) => requirements.every((r) => r(obj));
}
