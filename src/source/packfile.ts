// Writing many objects at once as one packfile (git's documented pack format, gitformat-pack(5)):
// a full first reconcile stores tens of thousands of blobs, and as loose objects each cost a probe,
// a write and a rename (~0.25 ms with 16 in flight) where one pack is a few large writes. Also
// what tells whether an object already sits in a pack, so loose writes dedupe against packs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

export type ObjectType = 'commit' | 'tree' | 'blob';

/** An object to store: its type, its content (without git's header) and its oid. */
export interface RawObject {
  type: ObjectType;
  body: Buffer;
  oid: string;
}

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };
/** isomorphic-git reads only 32-bit idx offsets: a pack stays well below 2 GiB (a larger batch is split). */
const MAX_PACK_BYTES = 1 << 30;
const IDX_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);

/** Git's oid of an object: SHA-1 of "<type> <size>\0<body>". */
export function objectOid(type: ObjectType, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.byteLength}\0`).update(body).digest('hex');
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

/** A pack's bytes (as chunks), its checksum and the matching idx v2; `objects` sorted by oid, no duplicates. */
function buildPack(objects: readonly RawObject[]): { chunks: Buffer[]; checksum: Buffer; idx: Buffer } {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const sha = createHash('sha1').update(header);
  const chunks = [header];
  const offsets: number[] = [];
  const crcs: number[] = [];
  let offset = header.length;
  for (const o of objects) {
    const entry = Buffer.concat([entryHeader(o.type, o.body.byteLength), deflateSync(o.body, { level: 1 })]);
    offsets.push(offset);
    crcs.push(crc32(entry));
    sha.update(entry);
    chunks.push(entry);
    offset += entry.length;
  }
  const checksum = sha.digest();
  chunks.push(checksum);
  return { chunks, checksum, idx: buildIdx(objects, offsets, crcs, checksum) };
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
    for (let bytes = 0; end < objects.length && (end === start || bytes < MAX_PACK_BYTES); end++) bytes += objects[end]!.body.byteLength;
    const { chunks, checksum, idx } = buildPack(objects.slice(start, end));
    const name = path.join(dir, `pack-${checksum.toString('hex')}`);
    const temp = path.join(dir, `tmp_pack_${process.pid}_${(tempCounter = (tempCounter + 1) % 1e9)}`);
    await writeSynced(`${temp}.pack`, chunks);
    await writeSynced(`${temp}.idx`, [idx]);
    await fs.promises.rename(`${temp}.pack`, `${name}.pack`);
    await fs.promises.rename(`${temp}.idx`, `${name}.idx`);
    start = end;
  }
}

async function writeSynced(file: string, chunks: readonly Buffer[]): Promise<void> {
  const handle = await fs.promises.open(file, 'w', 0o444);
  try {
    await handle.writev(chunks as Buffer[]);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Whether a v2 idx lists `oid` (20 bytes): the fanout narrows it to one first byte, then a binary search. */
function idxHas(idx: Buffer, oid: Buffer): boolean {
  const first = oid[0]!;
  let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
  let hi = idx.readUInt32BE(8 + first * 4);
  const base = 8 + 256 * 4;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = idx.compare(oid, 0, 20, base + mid * 20, base + mid * 20 + 20);
    if (c === 0) return true;
    if (c > 0) hi = mid;
    else lo = mid + 1;
  }
  return false;
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
      return tables.some((t) => idxHas(t, bytes));
    };
  }

  /** Forgets the idx files read (after a repack replaced them). */
  clear(): void {
    this.idx.clear();
  }
}

/** A v2 idx file's bytes, or null for one unreadable or of another version (then: not known to be packed, written loose). */
async function readIdx(file: string): Promise<Buffer | null> {
  const bytes = await fs.promises.readFile(file).catch(() => null);
  if (!bytes || bytes.length < 8 + 256 * 4 || !bytes.subarray(0, 4).equals(IDX_MAGIC) || bytes.readUInt32BE(4) !== 2) return null;
  return bytes;
}
