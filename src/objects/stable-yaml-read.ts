// Reading back what toStableYaml wrote, fast (issue 13): a restart without the render index reads
// every file of the status branch's manifests/, and the yaml library's parser (a token stream, a
// syntax tree and a document per file, then toJS) was most of that 44 s restore at 71,000 objects.
// Files flotilla wrote have one layout — block maps and lists indented by two, one entry or item
// per line, block scalars for multi-line text — so this reader lays out the structure itself and
// asks the library only for each distinct scalar's value, memoised, as the fast writer asks it how
// to write one. It is trusted only when writing its result with toStableYaml gives back the very
// text: since the library reads back what toStableYaml writes, the result is then what the library
// would have read. Anything else (a file edited by hand, comments, anchors, flow collections,
// another layout) gives undefined and the caller parses the text with the library.
import { parse } from 'yaml';
import { isPlainText, toStableYaml } from './serialize.js';

/** The value `text` holds when it is exactly what toStableYaml writes for it; undefined otherwise. */
export function readStableYaml(text: string): unknown {
  if (!text.endsWith('\n') || text.includes('\t') || text.includes('\r')) return undefined;
  try {
    const reader = new BlockReader(text);
    const value = reader.document();
    return value !== undefined && toStableYaml(value) === text ? value : undefined;
  } catch (e) {
    if (e === NOT_STABLE) return undefined;
    throw e;
  }
}

class NotStable extends Error {}
const NOT_STABLE = new NotStable();

interface Line {
  indent: number;
  text: string;
}

/**
 * The memos hold each distinct scalar's text and value (a fleet repeats names, labels and whole
 * ConfigMap texts across clusters), up to about 16 million characters of both; then they start over.
 */
const MAX_MEMO_CHARS = 16 * 2 ** 20;
const MAX_MEMO_TEXT = 64 * 2 ** 10;
const scalars = new Map<string, string | number | boolean | null>();
const keys = new Map<string, string>();
let memoChars = 0;

function remember<V>(memo: Map<string, V>, text: string, value: V): V {
  if (text.length > MAX_MEMO_TEXT) return value;
  const chars = text.length + (typeof value === 'string' ? value.length : 0);
  if (memoChars + chars > MAX_MEMO_CHARS) {
    scalars.clear();
    keys.clear();
    memoChars = 0;
  }
  memo.set(text, value);
  memoChars += chars;
  return value;
}

/** The library's value of a one-line scalar (or a block scalar's mini document), as a map value. */
function libraryScalar(yaml: string): string | number | boolean | null {
  let doc: unknown;
  try {
    doc = parse(yaml, { version: '1.1' });
  } catch {
    throw NOT_STABLE;
  }
  const v = (doc as { v?: unknown } | null)?.v;
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw NOT_STABLE;
}

function scalarValue(text: string): unknown {
  if (text === '{}') return {};
  if (text === '[]') return [];
  // Flow collections, anchors, aliases, tags, comments, directives: not what toStableYaml writes inline.
  if ('{[&*!|>#%@`'.includes(text[0]!)) throw NOT_STABLE;
  if (isPlainText(text)) return text;
  const known = scalars.get(text);
  if (known !== undefined) return known;
  return remember(scalars, text, libraryScalar(`v: ${text}\n`));
}

function keyValue(text: string): string {
  if (isPlainText(text)) return text;
  const known = keys.get(text);
  if (known !== undefined) return known;
  let doc: unknown;
  try {
    doc = parse(`${text}: 0\n`, { version: '1.1' });
  } catch {
    throw NOT_STABLE;
  }
  const names = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : [];
  if (names.length !== 1) throw NOT_STABLE;
  return remember(keys, text, names[0]!);
}

/** Where the quoted scalar starting `text` ends (the index after its closing quote). */
function quotedEnd(text: string): number {
  const q = text[0]!;
  for (let j = 1; j < text.length; j++) {
    if (q === '"' && text[j] === '\\') j++;
    else if (text[j] === q) {
      if (q === "'" && text[j + 1] === "'") j++;
      else return j + 1;
    }
  }
  throw NOT_STABLE;
}

/** A map entry's key text and what follows `key:` on its line; null when the line is not an entry. */
function splitEntry(text: string): { key: string; rest: string } | null {
  let end: number;
  if (text[0] === '"' || text[0] === "'") {
    end = quotedEnd(text);
    if (text[end] !== ':') return null;
  } else {
    end = text.indexOf(': ');
    if (end < 0) end = text.endsWith(':') ? text.length - 1 : -1;
    if (end <= 0) return null;
  }
  if (end + 1 < text.length && text[end + 1] !== ' ') return null;
  return { key: text.slice(0, end), rest: text.slice(end + 2) };
}

const isItem = (text: string) => text === '-' || text.startsWith('- ');
const isBlockHeader = (text: string) => /^[|>][-+]?[1-9]?$/.test(text);

class BlockReader {
  private readonly lines: Line[];
  private i = 0;

  constructor(text: string) {
    this.lines = text
      .slice(0, -1)
      .split('\n')
      .map((l) => {
        let indent = 0;
        while (l.charCodeAt(indent) === 32) indent++;
        return { indent, text: l.slice(indent) };
      });
  }

  document(): unknown {
    const first = this.lines[0];
    if (!first || first.indent !== 0 || first.text === '' || first.text === '---') return undefined;
    const value = this.node(0);
    return this.i === this.lines.length ? value : undefined;
  }

  /** The block at this line, which is at `indent`: a list, a map, or (as a list item's rest) one scalar. */
  private node(indent: number): unknown {
    const line = this.lines[this.i]!;
    if (line.indent !== indent || line.text === '') throw NOT_STABLE;
    if (isItem(line.text)) return this.list(indent);
    if (splitEntry(line.text)) return this.map(indent);
    this.i++;
    return scalarValue(line.text);
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.lines[this.i]; line && line.indent >= indent; line = this.lines[this.i]) {
      if (line.indent > indent) throw NOT_STABLE;
      const entry = splitEntry(line.text);
      if (!entry) throw NOT_STABLE;
      const key = keyValue(entry.key);
      if (key === '__proto__' || Object.hasOwn(out, key)) throw NOT_STABLE;
      this.i++;
      out[key] = this.value(entry.rest, indent);
    }
    return out;
  }

  private list(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.lines[this.i]; line && line.indent >= indent; line = this.lines[this.i]) {
      if (line.indent > indent || !isItem(line.text) || line.text === '-') throw NOT_STABLE;
      const rest = line.text.slice(2);
      if (isBlockHeader(rest)) {
        this.i++;
        out.push(this.blockScalar(rest, indent));
        continue;
      }
      // The item's content starts two columns in, where its further lines are: read it as a block there.
      this.lines[this.i] = { indent: indent + 2, text: rest };
      out.push(this.node(indent + 2));
    }
    return out;
  }

  /** A map value: on its line, a block scalar, or a block on the lines below (deeper than `indent`). */
  private value(rest: string, indent: number): unknown {
    if (rest !== '') return isBlockHeader(rest) ? this.blockScalar(rest, indent) : scalarValue(rest);
    const next = this.lines[this.i];
    if (!next || next.indent <= indent || next.text === '') throw NOT_STABLE;
    return this.node(next.indent);
  }

  /** A block scalar whose lines follow (deeper than `indent`, or blank), read by the library as one. */
  private blockScalar(header: string, indent: number): string {
    let yaml = `v: ${header}\n`;
    for (let line = this.lines[this.i]; line && (line.indent > indent || line.text === ''); line = this.lines[this.i]) {
      yaml += `${' '.repeat(Math.max(0, line.indent - indent))}${line.text}\n`;
      this.i++;
    }
    const known = scalars.get(yaml);
    const value = known !== undefined ? known : remember(scalars, yaml, libraryScalar(yaml));
    if (typeof value !== 'string') throw NOT_STABLE;
    return value;
  }
}
