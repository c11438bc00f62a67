// Content hashes: what the diff, the render index and the status branch's restore compare an object
// by when they do not hold it. An object's hash is the SHA-256 of its stable YAML — the very text
// flotilla writes for it — without the lines of the annotations that change with every commit
// (tracking.ts VOLATILE_ANNOTATIONS). Defined on the text rather than on a sorted JSON copy: a full
// pass hashes the text it writes anyway (hashing a second serialization of every object was 2.7 s
// of a 174,721-object first reconcile, and most of its garbage), and a restore hashes the files it
// reads as they are.
import { createHash } from 'node:crypto';
import { toStableYaml } from './serialize.js';
import { VOLATILE_ANNOTATIONS } from './tracking.js';

/**
 * What contentHash computes, numbered: change it when the hash of a text or an object changes. A
 * render index keeps content hashes across flotilla versions (a deploy of a new version reuses the
 * applied state's hashes) only while this number is the same. Version 1 hashed sorted JSON.
 */
export const CONTENT_HASH_VERSION = 2;

const METADATA = 'metadata:\n';
const ANNOTATIONS = '  annotations:\n';
/** An annotation key's line in stable YAML: four spaces, the key, a colon and a space. */
const VOLATILE_LINES = VOLATILE_ANNOTATIONS.map((key) => `    ${key}: `);

/**
 * The stable YAML `text` of an object without the lines of its volatile annotations (and of their
 * values' continuation lines, deeper than four spaces). Only `metadata.annotations` is looked in:
 * top-level keys are the only lines at column 0, metadata's children the only lines at two spaces in
 * its block, and annotation keys the only lines at four spaces in theirs — a value's text (a block
 * scalar, a ConfigMap's file) is always indented deeper than its key, so a line inside it never
 * matches. A text laid out otherwise keeps all its lines.
 */
export function withoutVolatileLines(text: string): string {
  const metadata = text.startsWith(METADATA) ? 0 : text.indexOf(`\n${METADATA}`) + 1;
  if (metadata === 0 && !text.startsWith(METADATA)) return text;
  let at = metadata + METADATA.length;
  if (!text.startsWith(ANNOTATIONS, at)) return text;
  at += ANNOTATIONS.length;
  let kept = '';
  let from = 0;
  // The annotations' block: the lines that start with four spaces.
  while (text.startsWith('    ', at)) {
    const end = lineEnd(text, at);
    if (VOLATILE_LINES.some((line) => text.startsWith(line, at))) {
      kept += text.slice(from, at);
      let next = end;
      while (text.startsWith('     ', next)) next = lineEnd(text, next);
      from = at = next;
    } else at = end;
  }
  return from === 0 ? text : kept + text.slice(from);
}

/** Where the line starting at `at` ends: just past its newline, or the text's end. */
function lineEnd(text: string, at: number): number {
  const newline = text.indexOf('\n', at);
  return newline === -1 ? text.length : newline + 1;
}

/** The content hash of an object's stable YAML `text`. */
export function textContentHash(text: string): string {
  // The first 24 bytes are the first 32 base64url characters, made as a string of their own:
  // slicing the 43-character digest kept both strings (two objects per hash).
  return createHash('sha256').update(withoutVolatileLines(text)).digest().toString('base64url', 0, 24);
}

/** Content hashes by object: rendered objects are reused from pass to pass with only a volatile annotation changed in place. */
const contentHashes = new WeakMap<object, string>();

/** The content hash of an object: its stable YAML's, volatile annotations left out. */
export function contentHash(o: Record<string, unknown>): string {
  let h = contentHashes.get(o);
  if (h === undefined) contentHashes.set(o, (h = textContentHash(toStableYaml(o))));
  return h;
}

/**
 * Memoizes content hashes known without computing them: objects the renderer rendered from the very
 * inputs of an earlier process's render seed, with the hash that process computed (a restart's
 * first diff then compares hashes without serializing every object). A hash already known stays.
 */
export function rememberContentHashes(known: Iterable<[Record<string, unknown>, string]>): void {
  for (const [o, h] of known) if (!contentHashes.has(o)) contentHashes.set(o, h);
}
