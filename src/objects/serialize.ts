// Byte-stable serialisation: the same object always gives the same text (sorted keys, no line
// wrapping, YAML 1.1 quoting so kubectl reads back exactly what we wrote).
import { stringify } from 'yaml';
import { compareStrings } from '../model/order.js';
import { ownCopy, setMember } from './json.js';

const STABLE_OPTIONS = { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' } as const;

/** One manifest as stable YAML (sorted keys, no wrapping, quoted where YAML 1.1 would misread). */
export function toStableYaml(value: unknown): string {
  return fastStableYaml(value) ?? libraryYaml(value);
}

/** toStableYaml through the yaml library alone: the reference the fast writer must equal byte for byte. */
export function libraryYaml(value: unknown): string {
  return stringify(value, STABLE_OPTIONS);
}

// The fast writer (issue 13): at 71,000 rendered objects the yaml library's stringify was a quarter
// of a full reconcile's CPU time, building a node tree per object. This writer lays out the block
// structure itself and asks the library how to write each distinct scalar once (quoting, YAML 1.1
// booleans, numbers), memoised: manifests repeat the same keys and values across clusters. What
// it does not lay out the same way — keys that are not one-line text,
// undefined in a list, anything but plain objects, arrays, strings, numbers, booleans and null —
// makes it give up, and the library writes the whole value. test/objects/serialize.property.test.ts
// checks it equals the library.
const MAX_SCALAR_MEMO = 200_000;
/** Longer strings (a ConfigMap's file) are written without the memo, which must not hold fleets of large texts. */
const MAX_MEMO_STRING = 256;
const scalarMemo = {
  key: new Map<string, string | null>(),
  value: new Map<string, string | null>(),
  item: new Map<string, string | null>(),
};

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

/**
 * Strings every YAML 1.1 reader takes as plain text and the library writes bare, as key, value or
 * item: a letter, then letters, digits, `.`, `_`, `/` and `-` — no indicator, no space, nothing a
 * number, date or timestamp starts with — except the words YAML 1.1 reads as booleans or null and
 * an exponent alone (`e5` is a float to the library's yaml-1.1 schema). Names, labels and most values of a manifest are such strings:
 * asking the library for each distinct one was most of writing and reading a fleet's files.
 * test/objects/serialize.property.test.ts checks the rule against the library.
 */
const PLAIN_TEXT = /^[A-Za-z][A-Za-z0-9._/-]*$/;
const YAML11_WORDS = /^(?:[YyNn]|[Yy]es|YES|[Nn]o|NO|[Tt]rue|TRUE|[Ff]alse|FALSE|[Oo]n|ON|[Oo]ff|OFF|[Nn]ull|NULL|[eE]-?[0-9]+)$/;
export function isPlainText(s: string): boolean {
  return PLAIN_TEXT.test(s) && !YAML11_WORDS.test(s);
}

/** How the library writes `v` as a map key, a map value or a list item; null when not on one line. */
function scalarText(kind: 'key' | 'value' | 'item', v: string | number | boolean | null): string {
  if (typeof v === 'string' && isPlainText(v)) return v;
  const memoKey = typeof v === 'number' ? `n${Object.is(v, -0) ? '-0' : String(v)}` : typeof v === 'string' ? `s${v}` : `o${String(v)}`;
  const memo = scalarMemo[kind];
  let text = memo.get(memoKey);
  if (text === undefined) {
    const probe = kind === 'key' ? { [String(v)]: null } : kind === 'value' ? { v } : [v];
    const out = libraryYaml(probe);
    const [prefix, suffix] = kind === 'key' ? ['', ': null\n'] : kind === 'value' ? ['v: ', '\n'] : ['- ', '\n'];
    const inner = out.slice(prefix.length, out.length - suffix.length);
    // A value or item may be a block scalar (multi-line text): its lines are indented from the parent's indent, added when written.
    const ok = out.startsWith(prefix) && out.endsWith(suffix) && inner.length > 0 && (kind !== 'key' || !inner.includes('\n'));
    text = ok ? inner : null;
    if (memo.size >= MAX_SCALAR_MEMO) memo.clear();
    if (memoKey.length <= MAX_MEMO_STRING) memo.set(memoKey, text);
  }
  if (text === null) throw UNSUPPORTED;
  return text;
}

/** A scalar's text whose block lines (if any) are indented from `indent`; blank lines stay blank. */
function placed(text: string, indent: string): string {
  return indent === '' || !text.includes('\n') ? text : text.replace(/\n(?=[^\n])/g, `\n${indent}`);
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A collection's lines at `indent`, the first one's indent replaced by `first` (a list item's "- "). */
function writeNode(v: unknown, indent: string, first: string, out: string[], depth: number): void {
  if (depth > 100) throw UNSUPPORTED;
  if (Array.isArray(v)) {
    let lead = first;
    for (const item of v) {
      writeItem(item, indent, lead, out, depth);
      lead = indent;
    }
    return;
  }
  if (typeof v !== 'object' || v === null || !isPlainObject(v)) throw UNSUPPORTED;
  let lead = first;
  for (const k of Object.keys(v).sort()) {
    const child = v[k];
    if (child === undefined) continue;
    const key = scalarText('key', k);
    if (isScalar(child)) out.push(`${lead}${key}: ${placed(scalarText('value', child), indent)}\n`);
    else if (
      Array.isArray(child) ? child.length === 0 : typeof child === 'object' && isPlainObject(child) && Object.keys(child).length === 0
    )
      out.push(`${lead}${key}: ${Array.isArray(child) ? '[]' : '{}'}\n`);
    else {
      // A map of undefined values only: the library writes it as {} (left to it).
      if (!Array.isArray(child) && Object.values(child as object).every((x) => x === undefined)) throw UNSUPPORTED;
      out.push(`${lead}${key}:\n`);
      const inner = `${indent}  `;
      writeNode(child, inner, inner, out, depth + 1);
    }
    lead = indent;
  }
}

/** One list item at `indent` (its first line starting with `lead`). */
function writeItem(item: unknown, indent: string, lead: string, out: string[], depth: number): void {
  if (isScalar(item)) return void out.push(`${lead}- ${placed(scalarText('item', item), indent)}\n`);
  if (
    Array.isArray(item)
      ? item.length === 0
      : typeof item === 'object' && item !== null && isPlainObject(item) && Object.keys(item).length === 0
  ) {
    return void out.push(`${lead}- ${Array.isArray(item) ? '[]' : '{}'}\n`);
  }
  if (typeof item === 'object' && item !== null && Object.values(item).every((x) => x === undefined)) throw UNSUPPORTED;
  const inner = `${indent}  `;
  writeNode(item, inner, `${lead}- `, out, depth + 1);
}

/** toStableYaml without the library's node tree; null when the value has a shape it leaves to the library. */
export function fastStableYaml(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value) ? value.length === 0 : !isPlainObject(value) || Object.keys(value).length === 0) return null;
  if (!Array.isArray(value) && Object.values(value).every((x) => x === undefined)) return null;
  const out: string[] = [];
  try {
    writeNode(value, '', '', out, 0);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
  return out.join('');
}

/** Recursively sorts object keys so JSON output is byte-stable too. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as Record<string, unknown>).sort())
      setMember(out, k, sortKeysDeep((value as Record<string, unknown>)[k]));
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
  return compareStrings(a, b);
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
    // Object.keys made a fresh array: sorted in place when it holds no array index (nearly always).
    if (keys[i - 1]! > keys[i]!) return named === 0 ? keys.sort() : [...keys.slice(0, named), ...keys.slice(named).sort()];
  }
  return keys;
}

/** Characters JSON.stringify escapes in a string (quotes, backslashes, control characters, surrogates if lone). */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** How deep toSortedJsonLine's memo reaches: the value written (0) and the objects and arrays in it (1). */
const MEMO_DEPTH = 1;

/** What scalarJson gives for an object or an array, which each writer lays out its own way. */
const COMPOSITE = Symbol('composite');

/** JSON.stringify of a value that is not an object or array (undefined: JSON leaves it out); COMPOSITE for one that is. */
function scalarJson(value: unknown): string | undefined | typeof COMPOSITE {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : COMPOSITE;
    default:
      return JSON.stringify(value) as string | undefined; // undefined, a function or a symbol: left out; a bigint throws
  }
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
    const scalar = scalarJson(value);
    if (scalar !== COMPOSITE) return scalar;
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
    for (const key of sortedKeys(value as object)) {
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

/**
 * JSON.stringify(sortKeysDeep(value)) (no indentation) without the sorted copy. With `memo`, the
 * value and the objects and arrays directly in it are remembered by identity and written once:
 * only for values that never change after they are first written (status.yaml's placement
 * records, whose cluster lists and policies the renderer shares between resources — ~150 lists for
 * 10,000 placements). What lies deeper (a list's `{name, replicas}` entries) is written each time:
 * remembered, it took a copy and a memo entry per entry, about 9 KB per placement of a restart,
 * most of them for lists no other resource shares (divided replicas).
 */
export function toSortedJsonLine(value: unknown, memo?: WeakMap<object, string>, depth = 0): string | undefined {
  const scalar = scalarJson(value);
  if (scalar !== COMPOSITE) return scalar;
  const remembered = memo !== undefined && depth <= MEMO_DEPTH ? memo : undefined;
  let text = remembered?.get(value as object);
  if (text !== undefined) return text;
  if (Array.isArray(value)) {
    text = '[';
    // Indexed, not mapped: a hole is written null, as JSON.stringify writes it.
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + (toSortedJsonLine(value[i], memo, depth + 1) ?? 'null');
    text += ']';
  } else {
    text = '';
    for (const key of sortedKeys(value as object)) {
      // The sorted copy keeps an own toJSON, which JSON.stringify then calls: left to them.
      if (key === 'toJSON') return JSON.stringify(sortKeysDeep(value));
      const member = toSortedJsonLine((value as Record<string, unknown>)[key], memo, depth + 1);
      if (member === undefined) continue;
      text += `${text === '' ? '{' : ','}${quote(key)}:${member}`;
    }
    text = text === '' ? '{}' : `${text}}`;
  }
  // Kept as long as the value: a copy of its own, not the tree of pieces `+=` built (10,000
  // placement lines held 1.45 million pieces, 44 MiB).
  if (remembered) remembered.set(value as object, (text = ownCopy(text)));
  return text;
}
