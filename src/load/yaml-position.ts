// Positions of fields inside a parsed YAML document, so diagnostics point at the line a user must
// edit rather than at the start of the document.
import { CST, isAlias, isMap, isPair, isScalar, isSeq, Parser, type Document, type LineCounter, type Node } from 'yaml';
import type { FieldPath } from '../model/types.js';
import { kubernetesYamlTags } from './kubernetes-yaml.js';

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** The parse options every flotilla YAML read uses (docs/design/libraries.md §3: YAML 1.1 like kubectl). */
export const YAML_PARSE_OPTIONS = {
  version: '1.1',
  customTags: kubernetesYamlTags,
  uniqueKeys: true,
  prettyErrors: false,
  logLevel: 'error',
} as const;

/** Position of a byte offset. */
export function offsetPosition(lineCounter: LineCounter, offset: number): Position {
  const p = lineCounter.linePos(offset);
  return { line: Math.max(p.line, 1), column: Math.max(p.col, 1) };
}

/**
 * Where a quoted scalar or a flow collection (`[a, b`, `{a: 1`) that never closes begins. yaml
 * reports the missing quote or bracket where it gave up — the next line, or the end of the file
 * when a quote swallowed the rest — but the line to fix is where it opened.
 */
export function unclosedOpenerOffset(text: string): number | null {
  let found: number | null = null;
  const check = (v: CST.Token | undefined): void => {
    if (found !== null || !v) return;
    if (v.type === 'double-quoted-scalar' || v.type === 'single-quoted-scalar') {
      const body = v.source.trimEnd();
      if (body.length < 2 || body[body.length - 1] !== v.source[0]) found = v.offset;
    } else if (v.type === 'flow-collection') {
      if (!v.end.some((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end')) found = v.start.offset;
    }
  };
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      check(item.key ?? undefined);
      check(item.value);
    });
    if (found !== null) break;
  }
  return found;
}

/** A yaml error about a quote or a flow collection left open, whose cause lies where it opened. */
export function isUnclosedError(code: string, message: string): boolean {
  return (code === 'MISSING_CHAR' || code === 'BAD_INDENT' || code === 'UNEXPECTED_TOKEN') && /quote|flow|[\]}]/i.test(message);
}

/** Where a document's content starts (its first key), or its `---` marker when it has no content. */
export function documentStart(doc: Document, lineCounter: LineCounter): Position {
  const offset = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
  return offsetPosition(lineCounter, offset);
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

/**
 * Walks `path` through the document's nodes: a map entry resolves to its key's position, a sequence
 * item to the item's. When the path leaves the document, the deepest existing ancestor is returned
 * (null when not even the first segment exists).
 */
export function locateInDocument(doc: Document, lineCounter: LineCounter, path: FieldPath): Position | null {
  let node: unknown = doc.contents;
  let found: Position | null = null;
  for (const segment of path) {
    if (isAlias(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (!pair) break;
      const keyRange = (pair.key as Node | null)?.range;
      if (keyRange) found = offsetPosition(lineCounter, keyRange[0]);
      node = pair.value;
      continue;
    }
    if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      if (item.range) found = offsetPosition(lineCounter, item.range[0]);
      node = item;
      continue;
    }
    break;
  }
  return found;
}
