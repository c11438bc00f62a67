// Writing many objects at once as one packfile (git's documented pack format, gitformat-pack(5)):
// a full first reconcile stores tens of thousands of blobs, and as loose objects each cost a probe,
// a write and a rename (~0.25 ms with 16 in flight) where one pack is a few large writes. Also
// what tells whether an object already sits in a pack, so loose writes dedupe against packs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { FlotillaError } from '../model/diagnostics.js';
import { Slices } from '../model/slices.js';

export type ObjectType = 'commit' | 'tree' | 'blob';

/**
 * An object to store: its type, its content (without git's header; a string is UTF-8 text,
 * turned into bytes only while it is written, so a batch holds no second copy of every text) and
 * its oid.
 */
export interface RawObject {
  type: ObjectType;
  body: Buffer | string;
  oid: string;
  /** The oid was computed by the caller: checked against the bytes as they are stored (each text turned into bytes once). */
  check?: boolean;
}

/**
 * zlib at level 1 into an output buffer about the size of the input: deflateSync's default 16 KiB
 * output chunk would otherwise be allocated per object (a ~500-byte result keeps it alive, and
 * tens of thousands of them raised the peak memory of a full reconcile).
 */
export function deflateObject(bytes: Buffer): Buffer {
  return deflateSync(bytes, { level: 1, chunkSize: Math.max(64, bytes.byteLength + 64) });
}

/** An object's content as bytes; an oid the caller computed must be the bytes' (or the recorded state would not be what was written). */
export function bodyBytes(o: RawObject): Buffer {
  const bytes = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : o.body;
  if (o.check) checkOid(o, bytes);
  return bytes;
}

/** Throws when `o`'s content does not hash to its oid. */
export function checkOid(o: RawObject, body: Buffer | string = o.body): void {
  const actual = objectOid(o.type, body);
  if (actual !== o.oid) throw new FlotillaError('INTERNAL', `${o.type} oid mismatch: ${o.oid} expected, its content hashes to ${actual}`);
}

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };
/** isomorphic-git reads only 32-bit idx offsets: a pack stays well below 2 GiB (a larger batch is split). */
const MAX_PACK_BYTES = 1 << 30;
const IDX_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);

/** Git's oid of an object: SHA-1 of "<type> <size>\0<body>". */
export function objectOid(type: ObjectType | 'tag', body: Buffer | string): string {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
  return createHash('sha1').update(`${type} ${size}\0`).update(body).digest('hex');
}

/** An object's entry header: type and size as git's varint (4 size bits in the first byte, 7 after). */
function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (TYPE_CODE[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** Pack bytes gathered before one write: a batch never holds the whole pack in memory. */
const FLUSH_BYTES = 1 << 20;

/**
 * One buffer the texts of a batch are encoded into in turn (a Buffer per text made tens of
 * thousands of short-lived allocations outside the JS heap, which raised a full reconcile's peak).
 */
class Scratch {
  private buffer = Buffer.allocUnsafe(64 << 10);

  /** `o`'s content as bytes, valid until the next call; checked against its oid when the caller computed it. */
  bytesOf(o: RawObject): Buffer {
    if (typeof o.body !== 'string') return bodyBytes(o);
    const max = o.body.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (this.buffer.length < max) this.buffer = Buffer.allocUnsafe(Math.max(max, this.buffer.length * 2));
    const bytes = this.buffer.subarray(0, this.buffer.write(o.body, 0, 'utf8'));
    if (o.check) checkOid(o, bytes);
    return bytes;
  }
}

/** A pack's first 12 bytes: "PACK", version 2, the number of objects. */
function packHeader(count: number): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(count, 8);
  return header;
}

/**
 * A pack built in memory from objects as they come (what a push sends): the header once their
 * number is known, each object's header and zlib data as it is read (its content is not kept), and
 * the SHA-1 trailer. No deltas: every object is whole.
 */
export class PackBuilder {
  private readonly chunks: Buffer[] = [];
  private count = 0;

  add(type: ObjectType, body: Uint8Array): void {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.chunks.push(entryHeader(type, bytes.byteLength), deflateObject(bytes));
    this.count++;
  }

  /** The pack's bytes, in pieces (a request body of pieces is joined once, by the HTTP client). */
  finish(): Buffer[] {
    const header = packHeader(this.count);
    const sha = createHash('sha1').update(header);
    for (const c of this.chunks) sha.update(c);
    return [header, ...this.chunks, sha.digest()];
  }
}

/**
 * Streams a pack of `objects` (sorted by oid, no duplicates) into `file`, synced: "PACK", version
 * 2, count, then per object its header and zlib data, then the SHA-1 of all that. Returns the
 * checksum and each entry's offset and CRC32 (for the idx).
 */
async function writePackFile(
  file: string,
  objects: readonly RawObject[],
): Promise<{ checksum: Buffer; offsets: number[]; crcs: number[] }> {
  const header = packHeader(objects.length);
  const sha = createHash('sha1').update(header);
  const offsets: number[] = [];
  const crcs: number[] = [];
  const handle = await fs.promises.open(file, 'w', 0o444);
  try {
    let pending: Buffer[] = [header];
    let pendingBytes = header.length;
    let offset = header.length;
    const scratch = new Scratch();
    // In slices: a full reconcile stores its blobs while the directory target writes its files (reconcile/stages/write.ts).
    const slices = new Slices();
    for (const o of objects) {
      if (slices.due()) await slices.next();
      // Per object only its zlib output is allocated: the text's bytes go to a reused buffer.
      const body = scratch.bytesOf(o);
      const head = entryHeader(o.type, body.byteLength);
      const data = deflateObject(body);
      offsets.push(offset);
      crcs.push(crc32(data, crc32(head)));
      sha.update(head).update(data);
      pending.push(head, data);
      offset += head.length + data.length;
      // Counted by what the chunks hold on to (zlib's output buffers are larger than their data).
      pendingBytes += head.length + data.buffer.byteLength;
      if (pendingBytes >= FLUSH_BYTES) {
        await handle.write(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    }
    const checksum = sha.digest();
    pending.push(checksum);
    await handle.write(Buffer.concat(pending));
    await handle.sync();
    return { checksum, offsets, crcs };
  } finally {
    await handle.close();
  }
}

/** The idx v2 of a pack: magic, version, fanout, sorted oids, CRC32s, offsets, pack checksum, idx checksum. */
function buildIdx(objects: readonly RawObject[], offsets: readonly number[], crcs: readonly number[], packChecksum: Buffer): Buffer {
  const n = objects.length;
  const idx = Buffer.alloc(8 + 256 * 4 + n * 28 + 40);
  IDX_MAGIC.copy(idx, 0);
  idx.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const o of objects) fanout[parseInt(o.oid.slice(0, 2), 16)]!++;
  let at = 8;
  let total = 0;
  for (const count of fanout) {
    total += count;
    idx.writeUInt32BE(total, at);
    at += 4;
  }
  for (const o of objects) at += idx.write(o.oid, at, 'hex');
  for (const c of crcs) at = idx.writeUInt32BE(c >>> 0, at);
  for (const off of offsets) at = idx.writeUInt32BE(off, at);
  packChecksum.copy(idx, at);
  at += 20;
  createHash('sha1').update(idx.subarray(0, at)).digest().copy(idx, at);
  return idx;
}

let tempCounter = 0;

/**
 * Stores `objects` (sorted by oid, no duplicates, none already present) as packs in
 * objects/pack: each written under a temporary name, synced, then renamed — the .pack first and
 * its .idx last, since git and isomorphic-git find packs by their .idx. A crash part-way leaves
 * temporary files or a .pack without .idx, never a pack whose objects look present.
 */
export async function writePacks(gitdir: string, objects: readonly RawObject[]): Promise<void> {
  const dir = path.join(gitdir, 'objects', 'pack');
  await fs.promises.mkdir(dir, { recursive: true });
  for (let start = 0; start < objects.length;) {
    let end = start;
    for (let bytes = 0; end < objects.length && (end === start || bytes < MAX_PACK_BYTES); end++) bytes += sizeOf(objects[end]!);
    const part = objects.slice(start, end);
    const temp = path.join(dir, `tmp_pack_${process.pid}_${(tempCounter = (tempCounter + 1) % 1e9)}`);
    try {
      const { checksum, offsets, crcs } = await writePackFile(`${temp}.pack`, part);
      await writeSynced(`${temp}.idx`, buildIdx(part, offsets, crcs, checksum));
      const name = path.join(dir, `pack-${checksum.toString('hex')}`);
      await fs.promises.rename(`${temp}.pack`, `${name}.pack`);
      await fs.promises.rename(`${temp}.idx`, `${name}.idx`);
    } catch (e) {
      // Nothing half-written stays behind (a .pack already renamed without its .idx is invisible).
      await Promise.all([fs.promises.rm(`${temp}.pack`, { force: true }), fs.promises.rm(`${temp}.idx`, { force: true })]);
      throw e;
    }
    start = end;
  }
}

function sizeOf(o: RawObject): number {
  return typeof o.body === 'string' ? Buffer.byteLength(o.body, 'utf8') : o.body.byteLength;
}

async function writeSynced(file: string, bytes: Buffer): Promise<void> {
  const handle = await fs.promises.open(file, 'w', 0o444);
  try {
    await handle.write(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Position of `oid` (20 bytes) in a v2 idx's sorted oid table, or -1: the fanout narrows it to one
 * first byte, then a binary search. Also what PackReader (pack-reader.ts) looks objects up with.
 */
export function idxPosition(idx: Buffer, oid: Buffer): number {
  const first = oid[0]!;
  let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = idx.readUInt32BE(8 + first * 4);
  const base = 8 + 256 * 4;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // The idx's entry compared with `oid`.
    const c = idx.compare(oid, 0, 20, base + mid * 20, base + mid * 20 + 20);
    if (c === 0) return mid;
    if (c > 0) hi = mid;
    else lo = mid + 1;
  }
  return -1;
}

/**
 * The objects in a repository's packs, by their idx files (read once each; the folder is listed
 * on every call, so a pack written since — by us, a fetch or a repack — is seen).
 */
export class PackedObjects {
  private readonly idx = new Map<string, Buffer | null>();

  constructor(private readonly gitdir: string) {}

  /** A lookup over the packs present now. */
  async lookup(): Promise<(oid: string) => boolean> {
    const dir = path.join(this.gitdir, 'objects', 'pack');
    const names = (await fs.promises.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.idx')).sort();
    const tables: Buffer[] = [];
    for (const name of names) {
      if (!this.idx.has(name)) this.idx.set(name, await readIdx(path.join(dir, name)));
      const table = this.idx.get(name);
      if (table) tables.push(table);
    }
    return (oid) => {
      const bytes = Buffer.from(oid, 'hex');
      return tables.some((t) => idxPosition(t, bytes) >= 0);
    };
  }

  /** Forgets the idx files read (after a repack replaced them). */
  clear(): void {
    this.idx.clear();
  }
}

/** A v2 idx file's bytes, or null for one unreadable or of another version (then: not known to be packed, written loose). */
export async function readIdx(file: string): Promise<Buffer | null> {
  const bytes = await fs.promises.readFile(file).catch(() => null);
  if (!bytes || bytes.length < 8 + 256 * 4 || !bytes.subarray(0, 4).equals(IDX_MAGIC) || bytes.readUInt32BE(4) !== 2) return null;
  return bytes;
}
