// Byte-stable serialisation: the same object always gives the same text (sorted keys, no line
// wrapping, YAML 1.1 quoting so kubectl reads back exactly what we wrote).
import { stringify } from 'yaml';

/** One manifest as stable YAML (sorted keys, no wrapping, quoted where YAML 1.1 would misread). */
export function toStableYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

/** Recursively sorts object keys so JSON output is byte-stable too. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort()) out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

/** Whether `key` is an array index, which a JavaScript object always enumerates first, in numeric order. */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (key.length === 0 || key.length > 10 || first < 48 || first > 57 || (first === 48 && key.length > 1)) return false;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4294967295;
}

/**
 * The order in which a JavaScript object enumerates its keys once they were added sorted: array
 * indices first, numerically, then the other keys sorted. A render's `manifests` record lists its
 * clusters so, and a render streamed a cluster at a time keeps that order.
 */
export function compareRecordKeys(a: string, b: string): number {
  const ia = isArrayIndex(a);
  const ib = isArrayIndex(b);
  if (ia && ib) return Number(a) - Number(b);
  if (ia !== ib) return ia ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The keys of `object` in the order an object built by sortKeysDeep enumerates them: array indices
 * first (numerically, as every object lists them), then the other keys sorted. Keys already in order
 * are not sorted again.
 */
export function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  let named = 0;
  while (named < keys.length && isArrayIndex(keys[named]!)) named++;
  for (let i = named + 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) return [...keys.slice(0, named), ...keys.slice(named).sort()];
  }
  return keys;
}

/** Characters JSON.stringify escapes in a string (quotes, backslashes, control characters, surrogates if lone). */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** Writes one value at a depth; undefined for what JSON leaves out (undefined, a function, a symbol). */
export type SortedJsonWriter = (value: unknown, depth?: number) => string | undefined;

/**
 * A writer of JSON.stringify(sortKeysDeep(value), null, 2) for values written `depth` levels deep in a
 * larger document (lines after the first indented by 2·depth spaces), without making the sorted copy:
 * each object's keys are put in order as it is written. One writer per document: it keeps the quoted
 * keys and indentation it has made.
 */
export function sortedJsonWriter(): SortedJsonWriter {
  const keyTexts = new Map<string, string>();
  const open: string[] = [];
  const next: string[] = [];
  const close: string[] = [];
  const write = (value: unknown, depth: number): string | undefined => {
    switch (typeof value) {
      case 'string':
        return quote(value);
      case 'number':
        return Number.isFinite(value) ? String(value) : 'null';
      case 'boolean':
        return value ? 'true' : 'false';
      case 'object':
        break;
      default:
        return JSON.stringify(value) as string | undefined; // undefined, a function or a symbol: left out; a bigint throws
    }
    if (value === null) return 'null';
    if (open[depth] === undefined) {
      open[depth] = `\n${'  '.repeat(depth + 1)}`;
      next[depth] = `,${open[depth]}`;
      close[depth] = `\n${'  '.repeat(depth)}`;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      let text = '[';
      for (let i = 0; i < value.length; i++) text += (i === 0 ? open[depth] : next[depth]) + (write(value[i], depth + 1) ?? 'null');
      return `${text}${close[depth]}]`;
    }
    // Like the copy sortKeysDeep made, only own enumerable keys count and no toJSON is called (a Date is {}).
    let text = '';
    for (const key of sortedKeys(value)) {
      // The sorted copy assigned every key, and assigning __proto__ sets a prototype: the member was never written.
      if (key === '__proto__') continue;
      const member = write((value as Record<string, unknown>)[key], depth + 1);
      if (member === undefined) continue;
      let keyText = keyTexts.get(key);
      if (keyText === undefined) keyTexts.set(key, (keyText = `${quote(key)}: `));
      text += (text === '' ? `{${open[depth]}` : next[depth]) + keyText + member;
    }
    return text === '' ? '{}' : `${text}${close[depth]}}`;
  };
  return (value, depth = 0) => write(value, depth);
}

/** JSON.stringify(sortKeysDeep(value), null, 2) of a value written `depth` levels deep, without the sorted copy. */
export function toSortedJson(value: unknown, depth = 0): string | undefined {
  return sortedJsonWriter()(value, depth);
}
