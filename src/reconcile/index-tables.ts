// The render index's tables (src/reconcile/render-index.ts): values its rows repeat, written once
// at the end of the document and named by their position. At 100 clusters × 5,000 workloads the
// rows repeat a few dozen cluster names, kinds and namespaces 71,000 times, and the schedule seeds
// the same placements, claim records and previous placements 10,000 times: written in full, they
// were most of the index's 51 MB, and of the time a restart spent reading it.

/** Characters JSON writes as they are: a string of only these is its JSON text between quotes. */
const PLAIN = /^[\w\-./|:@ ]*$/;

/**
 * JSON.stringify of a string, without the call for the plain ones most are (names, paths, oids,
 * hashes): called for every row's oid and hash, the call was a tenth of writing the index.
 */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Values per JSON.stringify call of flatRows: about 20 KiB of JSON, a young-generation string. */
const CHUNK_VALUES = 2048;

/**
 * Rows of JSON values as the elements of one flat JSON list (the fields of every row in order),
 * a piece of text per CHUNK_VALUES values: one JSON.stringify of many rows at once was faster
 * than one call, or one template of per-field texts, per row.
 */
export function* flatRows(rows: Iterable<readonly unknown[]>): Generator<string> {
  let chunk: unknown[] = [];
  let first = true;
  const text = (): string => {
    const json = JSON.stringify(chunk).slice(1, -1);
    const out = first ? json : `,${json}`;
    first = false;
    chunk = [];
    return out;
  };
  for (const row of rows) {
    for (const v of row) chunk.push(v);
    if (chunk.length >= CHUNK_VALUES) yield text();
  }
  if (chunk.length > 0) yield text();
}

/** Strings or JSON texts, each kept once, numbered in the order first met. */
export class Interner {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();

  of(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(value, id);
      this.list.push(value);
    }
    return id;
  }
}

/** JSON values, each kept once by its text; a value met again as the same object is not serialized again. */
export class ValueInterner extends Interner {
  private readonly seen = new Map<object, number>();

  ofValue(value: object): number {
    let id = this.seen.get(value);
    if (id === undefined) {
      id = this.of(JSON.stringify(value));
      this.seen.set(value, id);
    }
    return id;
  }
}

/** What a writer interns into: strings, and JSON values by their text (`values.list` holds JSON texts). */
export interface WriteTables {
  strings: Interner;
  values: ValueInterner;
}

export function writeTables(): WriteTables {
  return { strings: new Interner(), values: new ValueInterner() };
}

/** The tables as read back: every string and every parsed value (values are shared by every row naming them). */
export interface ReadTables {
  strings: readonly string[];
  values: readonly unknown[];
}

/** The string numbered `id`, or undefined when `id` is not the number of one. */
export function stringAt(tables: ReadTables, id: unknown): string | undefined {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < tables.strings.length ? tables.strings[id] : undefined;
}

/** Whether `id` numbers a value of the table. */
export function isValueId(tables: ReadTables, id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < tables.values.length;
}

/**
 * The tables of a decoded document: `strings` must be a list of strings, `values` a list; null
 * when they are not.
 */
export function readTables(strings: unknown, values: unknown): ReadTables | null {
  if (!Array.isArray(strings) || !Array.isArray(values)) return null;
  for (const s of strings) if (typeof s !== 'string') return null;
  return { strings: strings as string[], values };
}
