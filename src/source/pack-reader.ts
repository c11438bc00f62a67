// Reading objects straight from a repository's packs (gitformat-pack(5): idx v2, OFS and REF
// deltas). isomorphic-git's readBlob first tries the object as a loose file (a failed open and a
// thrown error per object) and lists objects/pack again on every call: restoring the applied state
// of 71,000 objects from the status branch spent more time there than reading them. Here each idx
// is read once, each pack stays open, and an object costs one positional read (plus its delta
// bases). What is not in a known pack (a loose object, a pack written since) the caller reads with
// isomorphic-git.
import fs from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { FlotillaError } from '../model/diagnostics.js';
import { idxPosition, objectOid, readIdx } from './packfile.js';

const OFS_DELTA = 6;
const REF_DELTA = 7;
/** Delta bases kept inflated (a base shared by many deltas is inflated once while they are read). */
const BASE_CACHE_ENTRIES = 256;
/**
 * Bytes read at an entry's offset first: its header (at most 30 bytes) and, for most entries, all
 * of its deflated data. An entry's end is not looked up: finding it took the offsets of every entry
 * sorted when a pack was opened (20-40 ms for the 186,000 entries of a fleet's status branch, at
 * every restart); inflating stops where the deflated stream does, whatever follows it.
 */
const ENTRY_WINDOW = 4096;

/** Deflated data is never longer than this for `size` bytes, as zlib writes it (deflateBound, with room to spare). */
const deflatedBound = (size: number) => size + (size >> 12) + (size >> 14) + 64;

export interface PackedObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  body: Buffer;
}

const TYPES: Partial<Record<number, PackedObject['type']>> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/** What a pack's idx tells, kept across readers (a pack's name is its checksum: its idx never changes). */
export interface PackTable {
  idx: Buffer;
  count: number;
}

/** One pack open for reading: its table, its file and where its entries end. */
interface Pack extends PackTable {
  name: string;
  dataEnd: number;
  handle: fs.promises.FileHandle;
}

function corrupt(pack: string, what: string): FlotillaError {
  return new FlotillaError('INTERNAL', `pack ${pack}: ${what}`);
}

/** The pack offset of the idx's `i`-th object (a 31-bit offset, or one of the 64-bit table). */
function idxOffset(idx: Buffer, count: number, i: number): number {
  const offsets = 8 + 256 * 4 + count * 24;
  const v = idx.readUInt32BE(offsets + i * 4);
  if ((v & 0x80000000) === 0) return v;
  return Number(idx.readBigUInt64BE(offsets + count * 4 + (v & 0x7fffffff) * 8));
}

/** Applies a git delta to `base`: copy and insert instructions after the two sizes. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let at = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[at++]!;
      n += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80);
    return n;
  };
  if (varint() !== base.length) throw new FlotillaError('INTERNAL', 'delta base size mismatch');
  const out = Buffer.allocUnsafe(varint());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) offset += delta[at++]! * 2 ** (8 * b);
      for (let b = 0; b < 3; b++) if (op & (1 << (4 + b))) size += delta[at++]! << (8 * b);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || written + size > out.length) throw new FlotillaError('INTERNAL', 'delta copies out of range');
      written += base.copy(out, written, offset, offset + size);
    } else if (op > 0) {
      if (written + op > out.length || at + op > delta.length) throw new FlotillaError('INTERNAL', 'delta inserts out of range');
      written += delta.copy(out, written, at, at + op);
      at += op;
    } else throw new FlotillaError('INTERNAL', 'delta opcode 0');
  }
  if (written !== out.length) throw new FlotillaError('INTERNAL', 'delta result size mismatch');
  return out;
}

/**
 * Reads objects from the packs of one git directory. Packs found are kept open; a pack that appears
 * later is found when an object is in none of the known ones. `close` once the packs may have been
 * replaced (a repack); the owner then makes a new reader.
 */
export class PackReader {
  private readonly packs = new Map<string, Pack>();
  private scanning: Promise<Pack[]> | null = null;
  /** Closed: reads still under way find nothing more, and a scan under way opens nothing it keeps. */
  private closed = false;
  private readonly bases = new Map<string, PackedObject>();

  /** `tables`: idx tables by pack name, shared by the readers of one repository (ObjectStore's). */
  constructor(
    private readonly gitdir: string,
    private readonly tables: Map<string, PackTable> = new Map(),
  ) {}

  /**
   * The object `oid` from a pack, checked against its oid; null when no pack has it (a loose
   * object), or it is a delta whose base is in no pack.
   */
  async read(oid: string, opts: { scan?: boolean } = {}): Promise<PackedObject | null> {
    if (this.closed) return null;
    const bytes = Buffer.from(oid, 'hex');
    // scan: false looks in the packs already open only (a caller that tries loose objects next lists
    // objects/pack once they are not loose either, not for every loose object).
    const found =
      (await this.find(bytes, [...this.packs.values()])) ?? (opts.scan === false ? null : await this.find(bytes, await this.scan()));
    if (found === null) return null;
    const object = await this.readAt(found.pack, found.offset);
    if (object === null) return null;
    const actual = objectOid(object.type, object.body);
    if (actual !== oid) throw corrupt(found.pack.name, `object ${oid} reads as ${actual}`);
    return object;
  }

  /** Closes the packs. */
  async close(): Promise<void> {
    this.closed = true;
    const packs = [...this.packs.values()];
    this.packs.clear();
    this.bases.clear();
    await Promise.all(packs.map((p) => p.handle.close().catch(() => undefined)));
  }

  private async find(oid: Buffer, packs: readonly Pack[]): Promise<{ pack: Pack; offset: number } | null> {
    for (const pack of packs) {
      const i = idxPosition(pack.idx, oid);
      if (i >= 0) return { pack, offset: idxOffset(pack.idx, pack.count, i) };
    }
    return null;
  }

  /** Lists objects/pack and opens the packs not known yet; returns those (concurrent callers share one scan). */
  private scan(): Promise<Pack[]> {
    this.scanning ??= (async () => {
      try {
        const dir = path.join(this.gitdir, 'objects', 'pack');
        const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.idx')).sort();
        const added: Pack[] = [];
        for (const name of names) {
          if (this.packs.has(name)) continue;
          const pack = await openPack(path.join(dir, name.slice(0, -'.idx'.length)), this.tables);
          if (!pack) continue;
          if (this.closed) {
            await pack.handle.close();
            continue;
          }
          this.packs.set(name, pack);
          added.push(pack);
        }
        return added;
      } finally {
        this.scanning = null;
      }
    })();
    return this.scanning;
  }

  /** The object whose entry starts at `offset`, its deltas resolved; null when a REF_DELTA's base is in no known pack. */
  private async readAt(pack: Pack, offset: number, asBase = false): Promise<PackedObject | null> {
    const key = `${pack.name}:${offset}`;
    const cached = this.bases.get(key);
    if (cached) return cached;
    const entry = readEntry(pack, offset, ENTRY_WINDOW);
    let at = 0;
    // The header's bytes, each checked to be there before it is read: a header cut by the pack's end
    // is an error before any base is looked for (an offset made of missing bytes is no offset).
    const next = (length = 1): number => {
      if (at + length > entry.length) throw corrupt(pack.name, `entry at ${offset} cut short`);
      at += length;
      return entry[at - length]!;
    };
    let c = next();
    const type = (c >> 4) & 7;
    let size = c & 0x0f;
    for (let shift = 4; c & 0x80; shift += 7) {
      c = next();
      size += (c & 0x7f) * 2 ** shift;
    }
    let base: PackedObject | null = null;
    if (type === OFS_DELTA) {
      c = next();
      let back = c & 0x7f;
      while (c & 0x80) {
        c = next();
        back = (back + 1) * 128 + (c & 0x7f);
      }
      // A base lies before its delta: one at the delta's own offset would be read for ever.
      if (back === 0 || back > offset) throw corrupt(pack.name, `entry at ${offset} has its base ${back} bytes back`);
      base = await this.readAt(pack, offset - back, true);
    } else if (type === REF_DELTA) {
      next(20);
      base = await this.read(entry.toString('hex', at - 20, at));
    } else if (!TYPES[type]) throw corrupt(pack.name, `entry at ${offset} has type ${type}`);
    if ((type === OFS_DELTA || type === REF_DELTA) && base === null) return null;
    const data = inflateEntry(pack, offset, entry, at, size);
    if (data.length !== size) throw corrupt(pack.name, `entry at ${offset} inflates to ${data.length} bytes, not ${size}`);
    const object: PackedObject = base ? { type: base.type, body: applyDelta(base.body, data) } : { type: TYPES[type]!, body: data };
    if (!asBase) return object;
    // A delta's base is kept: the other deltas of its chain read it again.
    if (this.bases.size >= BASE_CACHE_ENTRIES) this.bases.delete(this.bases.keys().next().value!);
    this.bases.set(key, object);
    return object;
  }
}

/**
 * `length` bytes of the pack from `offset`, fewer where its data ends. A synchronous read: an entry
 * is a few hundred bytes, mostly in the page cache, and a thread-pool round trip per entry cost
 * several times the read itself.
 */
function readEntry(pack: Pack, offset: number, length: number): Buffer {
  const want = Math.min(length, pack.dataEnd - offset);
  if (offset < 0 || want <= 0) throw corrupt(pack.name, `no entry at ${offset}`);
  const entry = Buffer.allocUnsafe(want);
  const bytesRead = fs.readSync(pack.handle.fd, entry, 0, want, offset);
  if (bytesRead !== want) throw corrupt(pack.name, `entry at ${offset} cut short`);
  return entry;
}

/**
 * The entry's data, `size` bytes inflated from `entry` past its `at`-byte header. Read further when
 * the window may hold only part of it (its bound, then four times more each time the stream ends
 * early, for a writer that deflates worse than zlib), up to the end of the pack's data.
 */
function inflateEntry(pack: Pack, offset: number, entry: Buffer, at: number, size: number): Buffer {
  const available = pack.dataEnd - offset;
  let bytes = entry;
  let length = Math.max(bytes.length, at + deflatedBound(size));
  for (;;) {
    if (bytes.length < Math.min(length, available)) bytes = readEntry(pack, offset, length);
    try {
      return inflateSync(bytes.subarray(at), { maxOutputLength: Math.max(size, 1) });
    } catch (e) {
      // zlib's "unexpected end of file": the stream goes on past what was read.
      const cut = (e as { code?: string }).code === 'Z_BUF_ERROR' && bytes.length < available;
      if (!cut) throw corrupt(pack.name, `entry at ${offset} does not inflate: ${(e as Error).message}`);
      length = Math.min(available, bytes.length * 4);
    }
  }
}

/** A pack and its v2 idx, opened; null when the idx is not v2 or the pack is missing (read with isomorphic-git instead). */
async function openPack(base: string, tables: Map<string, PackTable>): Promise<Pack | null> {
  const name = path.basename(base);
  let table = tables.get(name);
  if (!table) {
    const idx = await readIdx(`${base}.idx`);
    if (!idx) return null;
    table = { idx, count: idx.readUInt32BE(8 + 255 * 4) };
    tables.set(name, table);
  }
  const handle = await fs.promises.open(`${base}.pack`, 'r').catch(() => null);
  if (!handle) return null;
  const { size } = await handle.stat();
  return { ...table, name, dataEnd: size - 20, handle };
}
