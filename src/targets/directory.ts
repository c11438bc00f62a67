// The directory target: the desired state as files in the `render --out` layout
// (<cluster>/<namespace or _cluster>/<kind>-<name>.yaml). It records every file it wrote, with
// its blob oid, in `.flotilla-inventory.json` at the root: only those files are ever rewritten
// or deleted (Flux's inventory: pruning is an inventory diff), so files a person put in the
// folder are never touched.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { FlotillaError } from '../model/diagnostics.js';
import { mapLimit } from '../kube/limit.js';
import { describeIoError } from '../output/directory.js';
import type { EntryKind, TargetFs } from './fs.js';
import type { Target, TargetPlan, TargetReport } from './target.js';
import type { ObjectChange } from '../state/change-set.js';
import { parse as parseYaml } from 'yaml';
import { isSuspendedObject, SUSPENDED_ANNOTATION } from '../objects/tracking.js';

export const INVENTORY_FILE = '.flotilla-inventory.json';
/**
 * What changed since INVENTORY_FILE was written, one entry a line, appended after each pass that
 * changed some (rewriting a 7 MB inventory for a one-file commit was a restart's cost); its first
 * line names the inventory file it follows (`generation`), so a journal left behind by a rewrite
 * that stopped before removing it is never applied to the newer file.
 */
export const INVENTORY_JOURNAL = '.flotilla-inventory.journal';
/**
 * File-system calls in flight at once (folders listed, files written or deleted): awaited one at a
 * time each costs ~0.5 ms of latency, with 16–32 in flight ~0.08 ms.
 */
const IO_CONCURRENCY = 32;
/** Inventory entry of a file flotilla owns whose content is unknown (a write failed part-way): never equal to a blob oid. */
const UNKNOWN_OID = '';

/**
 * The inventory format this build writes: format 2 with a `generation` and INVENTORY_JOURNAL. Format 2
 * (the same without them, no journal) and format 1 (no `version`, `files` an object) are still read.
 */
const INVENTORY_VERSION = 3;
/** Journal entries past which the next save writes the inventory whole instead (and starts a new journal). */
const journalLimit = (entries: number) => Math.max(256, entries >> 4);

/**
 * `paths` reordered to take one file of each folder in turn, each folder's files in their order:
 * the kernel creates one file at a time in a folder (ext4 holds the folder's lock), so the writes
 * in flight, all in the plan's current folder, could run nearly one after another. What
 * `node bench/file-write-bench.mjs` shows of it depends on the disk: 0.84× the wall time while it
 * was slow from large deletes, no difference on a settled one (BENCHMARKS.md, "File writes").
 */
export function interleaveFolders(paths: readonly string[]): string[] {
  const folders = new Map<string, string[]>();
  for (const p of paths) {
    const folder = p.slice(0, Math.max(0, p.lastIndexOf('/')));
    let list = folders.get(folder);
    if (list === undefined) folders.set(folder, (list = []));
    list.push(p);
  }
  if (folders.size < 2) return [...paths];
  const out: string[] = [];
  // The folders with files left, in first-seen order: one round takes the next file of each.
  const active = [...folders.values()];
  for (let round = 0; active.length > 0; round++) {
    let left = 0;
    for (let i = 0; i < active.length; i++) {
      const list = active[i]!;
      out.push(list[round]!);
      if (round + 1 < list.length) active[left++] = list;
    }
    active.length = left;
  }
  return out;
}

/**
 * The inventory file's bytes: `head`, one `"path","oid"` pair a line, `tail`. Made a piece of
 * about 16 KiB at a time into bytes outside the JS heap: made as one string (a line per file, the
 * lines joined, the whole), a full reconcile's inventory (18 MB at 170,000 files) took about three
 * times its size of heap at the end of the write stage, the pass's largest live heap.
 */
function inventoryBytes(head: string, paths: readonly string[], inventory: ReadonlyMap<string, string>, tail: string): Buffer {
  const pieces: Buffer[] = [];
  let piece = head;
  for (const [i, p] of paths.entries()) {
    piece += `${i === 0 ? '' : ',\n'}${JSON.stringify(p)},${JSON.stringify(inventory.get(p))}`;
    if (piece.length >= 1 << 14) {
      pieces.push(Buffer.from(piece, 'utf8'));
      piece = '';
    }
  }
  pieces.push(Buffer.from(piece + tail, 'utf8'));
  return Buffer.concat(pieces);
}

interface InventoryDoc {
  apiVersion: string;
  kind: 'Inventory';
  /** The revision of the pass that last changed the file (a pass that changes nothing leaves it). */
  revision: string;
  version?: number;
  /**
   * Format 2: layout path, blob oid, layout path, … sorted by path, one file a line. An array of
   * strings parses several times faster than an object of 70,000 keys, and an older flotilla sees
   * no `files` in it, so it reads an empty inventory (deleting nothing) instead of misreading it.
   */
  pathsAndOids?: unknown[];
  /** Format 1: layout path → blob oid. */
  files?: Record<string, unknown>;
  /** Format 3: names this file for INVENTORY_JOURNAL's first line (random, new at each whole write). */
  generation?: unknown;
}

/** INVENTORY_JOURNAL as this target knows it to be on disk: follows `generation`, `lines` complete entries (absent: none). */
interface JournalState {
  generation: string;
  lines: number;
  exists: boolean;
}

/** The new and old paths of the plan's objects whose file name changed (ApplyProgress.moves). */
function movesOf(changes: readonly ObjectChange[]): ApplyProgress['moves'] {
  const to = new Set<string>();
  const from = new Set<string>();
  for (const c of changes) {
    if (c.previousPath === undefined || c.action === 'deleted') continue;
    to.add(c.path);
    from.add(c.previousPath);
  }
  return { to, from };
}

/** A file to write: its blob oid, and its text when the plan carries it (else read by oid). */
interface PendingWrite {
  readonly oid: string;
  readonly text?: string | undefined;
}

/** What one apply did so far; an apply that throws part-way reports from it. */
interface ApplyProgress {
  created: number;
  configured: number;
  deleted: number;
  /** Whether the inventory changed (and must be saved). */
  changed: boolean;
  /** Paths written, adopted or deleted. */
  done: Set<string>;
  /** Objects that failed one by one, with why: refused (a link, someone else's file) or an I/O error of their own. */
  refused: { path: string; reason: string }[];
  /** How many of the failed were writes (they count as neither created, configured nor unchanged). */
  refusedWrites: number;
  /**
   * The new and old files of objects whose file name changed (a name qualified by its group when
   * another kind of that name came, or no longer): the new one is counted as configured, the old
   * one's removal not as a deletion, as the diff and the deletion gate count them (one object, kept).
   */
  moves: { to: ReadonlySet<string>; from: ReadonlySet<string> };
}

export class DirectoryTarget implements Target {
  readonly type = 'directory' as const;
  readonly name: string;
  private readonly root: string;
  private inventory: Map<string, string> | null = null;
  /** Folders (layout paths) found by lstat to be real folders during the current apply. */
  private readonly safeFolders = new Set<string>();
  /** Whether a path below the root can be told inside it by its text (see inside). */
  private readonly rootHoldsChildren: boolean;
  /**
   * The journal on disk, when it is known to be exactly what it should be (else the next save writes
   * the inventory whole): known only when INVENTORY_FILE and the journal hold exactly `inventory`
   * as last read or saved, in the current format.
   */
  private journal: JournalState | null = null;
  /** Entries changed since the inventory was last saved: path → oid, or null when removed. */
  private unsaved = new Map<string, string | null>();
  /**
   * The inventory and which of its files are plain files on disk, read ahead for the next full
   * apply (prepareFullCompare); null when that read failed (the apply reads again, and reports).
   */
  private prepared: Promise<PreparedCompare | null> | null = null;

  constructor(
    root: string,
    private readonly fs: TargetFs,
  ) {
    this.root = path.resolve(root);
    this.name = `directory:${root}`;
    // `/` itself: `root + sep` is `//`, which no resolved path starts with (nothing is inside it).
    this.rootHoldsChildren = path.resolve(this.root, 'x').startsWith(this.root + path.sep);
  }

  /** The files this target wrote (path → oid), as recorded on disk. */
  async readInventory(): Promise<Map<string, string>> {
    return (await this.readInventoryFile()).files;
  }

  /**
   * The recorded files, and the journal when the files on disk hold exactly them in the current format
   * (null otherwise; a pass that changes none of them then leaves them as they are: rewriting 7 MB was
   * a restart's cost).
   */
  private async readInventoryFile(): Promise<{ files: Map<string, string>; journal: JournalState | null }> {
    const file = path.join(this.root, INVENTORY_FILE);
    const text = await this.fs.readFile(file);
    if (text === null) return { files: new Map(), journal: null };
    let doc: InventoryDoc;
    try {
      doc = JSON.parse(text) as InventoryDoc;
    } catch (e) {
      throw corrupt(file, e as Error);
    }
    const files = new Map<string, string>();
    let dropped = false;
    const record = (p: unknown, oid: unknown) => {
      if (typeof p === 'string' && typeof oid === 'string' && this.inside(p)) files.set(p, oid);
      else dropped = true;
    };
    if ((doc.version === 2 || doc.version === INVENTORY_VERSION) && Array.isArray(doc.pathsAndOids)) {
      const list = doc.pathsAndOids;
      for (let i = 0; i + 1 < list.length; i += 2) record(list[i], list[i + 1]);
      if (list.length % 2 !== 0 || files.size * 2 !== list.length) dropped = true;
      if (doc.version !== INVENTORY_VERSION || typeof doc.generation !== 'string') return { files, journal: null };
      const journal = await this.readJournal(doc.generation, files);
      return { files, journal: dropped ? null : journal };
    }
    for (const [p, oid] of Object.entries(doc.files ?? {})) record(p, oid);
    return { files, journal: null };
  }

  /**
   * Applies INVENTORY_JOURNAL to `files` when it follows the inventory of `generation`; returns what
   * it is on disk, or null when it must not be appended to (the next save writes the inventory whole):
   * it follows another inventory (ignored), its last line was cut short by a stop mid-append (that
   * entry is left out, as a stop before the save leaves out the pass's entries), or an entry is not
   * a path inside the root (dropped). A complete line that is not JSON makes the inventory corrupt.
   */
  private async readJournal(generation: string, files: Map<string, string>): Promise<JournalState | null> {
    const file = path.join(this.root, INVENTORY_JOURNAL);
    const text = await this.fs.readFile(file);
    if (text === null) return { generation, lines: 0, exists: false };
    const lines = text.split('\n');
    const torn = lines.pop() !== '';
    let head: unknown;
    try {
      head = JSON.parse(lines[0] ?? '');
    } catch {
      return null; // a header cut short: nothing after it was written
    }
    if ((head as { generation?: unknown } | null)?.generation !== generation) return null;
    let clean = !torn;
    for (let i = 1; i < lines.length; i++) {
      let entry: unknown;
      try {
        entry = JSON.parse(lines[i]!);
      } catch (e) {
        throw corrupt(file, e as Error);
      }
      const [p, oid] = Array.isArray(entry) ? (entry as unknown[]) : [];
      if (typeof p !== 'string' || !this.inside(p) || (entry as unknown[]).length > 2) clean = false;
      else if ((entry as unknown[]).length === 1) files.delete(p);
      else if (typeof oid === 'string') files.set(p, oid);
      else clean = false;
    }
    return clean ? { generation, lines: lines.length - 1, exists: true } : null;
  }

  /**
   * Reads the inventory and lists the folders of its files now, for the next full apply: at fleet
   * scale that listing is most of a restart's write stage, and nothing of it depends on the render.
   * The files are judged as they were when the pass began, as a restart judges those deleted by hand.
   */
  prepareFullCompare(): void {
    // After any earlier one (a pass that stopped before its write stage): once the apply has awaited
    // the last, none is still running, so none touches safeFolders while the apply writes.
    const earlier = this.prepared;
    this.prepared = (async (): Promise<PreparedCompare> => {
      await earlier;
      const read = await this.readInventoryFile();
      return { ...read, notPlain: await this.notPlainFiles([...read.files.keys()]) };
    })().catch(() => null);
  }

  async apply(plan: TargetPlan): Promise<TargetReport> {
    const prepared = this.prepared === null ? null : await this.prepared;
    this.prepared = null;
    let notPlain: ReadonlySet<string> | null = null;
    if (plan.full || !this.inventory) {
      const read = prepared ?? (await this.readInventoryFile());
      this.inventory = read.files;
      this.journal = read.journal;
      this.unsaved = new Map();
      notPlain = prepared?.notPlain ?? null;
    }
    const inventory = this.inventory;
    this.safeFolders.clear(); // a folder checked in an earlier pass may have been replaced since
    const { writes, deletes } = await this.pendingWork(plan, inventory, notPlain);
    const progress: ApplyProgress = {
      created: 0,
      configured: 0,
      deleted: 0,
      changed: false,
      done: new Set(),
      refused: [],
      refusedWrites: 0,
      moves: movesOf(plan.changes),
    };
    try {
      await this.writeFiles(plan, writes, inventory, progress);
      await this.deleteFiles(deletes, inventory, progress);
    } catch (e) {
      if (progress.changed) await this.saveInventory(plan.revision).catch(() => undefined);
      this.inventory = null; // re-read next time; the next apply runs in full
      return this.interruptedReport(plan, writes, deletes, inventory, progress, e as Error);
    }
    let inventoryError: string | null = null;
    if (progress.changed || (plan.full && this.journal === null)) {
      try {
        await this.saveInventory(plan.revision);
      } catch (e) {
        // What was written stays written; the next (full) pass adopts it by content.
        this.inventory = null;
        inventoryError = `cannot record ${INVENTORY_FILE}: ${describeIoError(e)}`;
      }
    }
    const { created, configured, deleted, refused } = progress;
    const unchanged = Math.max(0, plan.total - created - configured - progress.refusedWrites);
    if (refused.length > 0 || inventoryError !== null) {
      return {
        created,
        configured,
        deleted,
        unchanged,
        failed: refused.length,
        failedClusters: [...new Set(refused.map((r) => plan.clusterOf(r.path)))].sort(),
        ok: false,
        message: `${this.root}: ${[inventoryError, refused.length > 0 ? describeRefused(refused) : null].filter(Boolean).join('; ')}`,
      };
    }
    return { created, configured, deleted, unchanged, failed: 0, failedClusters: [], ok: true, message: null };
  }

  /**
   * The files to write (with their text when the plan carries it) and to delete. A full plan is
   * compared with the inventory and the disk; otherwise the plan's changes are trusted.
   */
  private async pendingWork(
    plan: TargetPlan,
    inventory: ReadonlyMap<string, string>,
    readAhead: ReadonlySet<string> | null,
  ): Promise<{ writes: Map<string, PendingWrite>; deletes: Set<string> }> {
    const writes = new Map<string, PendingWrite>();
    const deletes = new Set<string>();
    if (plan.full) {
      // Files recorded with the desired oid are rewritten only when no longer a plain file on disk
      // (deleted or replaced by hand); the writes keep the plan's order. The desired files are
      // walked, not gathered into a map (174,721 entries at fleet scale). Every inventory entry is
      // inside the root (checked when read, and before each write), so `recorded` need not ask.
      // Read ahead for every file of this very inventory (prepareFullCompare), or now for these.
      let notPlain = readAhead;
      if (notPlain === null) {
        const paths: string[] = [];
        plan.forEachFile((p, oid) => inventory.get(p) === oid && paths.push(p));
        notPlain = await this.notPlainFiles(paths);
      }
      // Desired files the inventory holds (a desired state has one path per object): when that is all of it, nothing is to be deleted.
      let recorded = 0;
      plan.forEachFile((p, oid) => {
        const was = inventory.get(p);
        if (was !== undefined) recorded++;
        if (was !== oid || notPlain.has(p)) writes.set(p, { oid });
      });
      if (recorded < inventory.size) {
        const desired = new Set<string>();
        plan.forEachFile((p) => desired.add(p));
        for (const p of inventory.keys()) if (!desired.has(p)) deletes.add(p);
      }
      // The change itself stands for its write (its oid and text): no second object per file of a full pass.
      for (const c of plan.changes) {
        if (c.text !== undefined && c.oid !== undefined && writes.has(c.path)) writes.set(c.path, c as PendingWrite);
      }
    } else {
      for (const c of plan.changes) {
        if (c.previousPath !== undefined) deletes.add(c.previousPath);
        if (c.action === 'deleted') deletes.add(c.path);
        else if (inventory.get(c.path) !== c.oid) writes.set(c.path, { oid: c.oid!, text: c.text });
      }
      for (const p of writes.keys()) deletes.delete(p);
    }
    return { writes, deletes };
  }

  /**
   * Which of `files` are not plain files on disk, reached through real folders only: each folder is
   * listed once (a restart checks every file; one lstat each cost seconds at fleet scale) and a
   * segment's kind is read from its parent's listing, which never follows a link — so a linked
   * folder or file is not a plain file, as lstat from the root down would say. A folder that
   * cannot be listed falls back to one lstat per file below it.
   */
  private async notPlainFiles(files: readonly string[]): Promise<Set<string>> {
    // Each file's folder, the very string of the file before when they share it (files come grouped
    // by folder): a folder string is made and looked up once per folder, not once per file.
    const dirs: string[] = [];
    const folders = new Set<string>(['']);
    let last = '';
    for (const p of files) {
      const at = p.lastIndexOf('/');
      if (at !== last.length || !p.startsWith(last)) {
        last = at < 0 ? '' : p.slice(0, at);
        for (let d = last; d !== '' && !folders.has(d); d = parentOf(d)) folders.add(d);
      }
      dirs.push(last);
    }
    const listed = new Map<string, Map<string, EntryKind> | null | 'unreadable'>();
    const order = [...folders];
    await mapLimit(order, IO_CONCURRENCY, async (_item, i) => {
      const d = order[i]!;
      listed.set(d, await this.fs.listFolder(d === '' ? this.root : path.join(this.root, d)).catch(() => 'unreadable' as const));
    });
    const kindIn = (folder: string, name: string): EntryKind | null | 'unknown' => {
      const list = listed.get(folder);
      return list === 'unreadable' ? 'unknown' : (list?.get(name) ?? null);
    };
    // A folder's verdict is settled once for all the files below it (most share a few folders).
    const folderVerdicts = new Map<string, Verdict>([['', 'file']]);
    const folderVerdict = (d: string): Verdict => {
      let verdict = folderVerdicts.get(d);
      if (verdict === undefined) {
        const parent = parentOf(d);
        verdict = folderVerdict(parent);
        if (verdict === 'file') {
          const kind = kindIn(parent, parent === '' ? d : d.slice(parent.length + 1));
          verdict = kind === 'unknown' ? 'unknown' : kind === 'directory' ? 'file' : 'not';
        }
        folderVerdicts.set(d, verdict);
      }
      return verdict;
    };
    const notPlain = new Set<string>();
    const unsure: string[] = [];
    for (let i = 0; i < files.length; i++) {
      const p = files[i]!;
      const d = dirs[i]!;
      let verdict = folderVerdict(d);
      if (verdict === 'file') {
        const kind = kindIn(d, d === '' ? p : p.slice(d.length + 1));
        verdict = kind === 'unknown' ? 'unknown' : kind === 'file' ? 'file' : 'not';
      }
      if (verdict === 'not') notPlain.add(p);
      else if (verdict === 'unknown') unsure.push(p);
    }
    await mapLimit(unsure, IO_CONCURRENCY, async (_item, i) => {
      if ((await this.inspect(unsure[i]!)).kind !== 'file') notPlain.add(unsure[i]!);
    });
    return notPlain;
  }

  /**
   * Writes each file, or fails it one by one: refused (a symbolic link on the way, a file flotilla
   * did not write) or an I/O error of its own (a folder where the file goes, no permission). The
   * others are still written, and the target reports the failed ones.
   */
  private async writeFiles(
    plan: TargetPlan,
    writes: ReadonlyMap<string, PendingWrite>,
    inventory: Map<string, string>,
    progress: ApplyProgress,
  ): Promise<void> {
    // The paths alone, not a [path, write] pair per file: a full pass writes one per rendered object.
    const list = interleaveFolders([...writes.keys()]);
    // IO_CONCURRENCY files at once. Each write is its own: its verdict, inventory entry and count
    // are settled when it ends, so whatever stops the pass, the ones already done are recorded.
    await mapLimit(list, IO_CONCURRENCY, async (_item, i) => {
      const p = list[i]!;
      const w = writes.get(p)!;
      // Reading the desired text is the repository's business: a failure there stops the pass.
      const text = w.text ?? (await plan.readText(w.oid));
      // A suspended object (spec.suspension) is left as it is: the file keeps its last version, or stays absent.
      if (isSuspendedText(text)) return;
      try {
        await this.writeOne(p, w.oid, text, inventory, progress);
      } catch (e) {
        progress.refused.push({ path: p, reason: `cannot write: ${describeIoError(e)}` });
        progress.refusedWrites++;
      }
    });
  }

  /** Writes (or adopts) one file; throws its I/O error. */
  private async writeOne(p: string, oid: string, text: string, inventory: Map<string, string>, progress: ApplyProgress): Promise<void> {
    if (!inventory.has(p) && (await this.createNew(p, oid, text, inventory, progress))) return;
    const at = await this.inspect(p);
    let reason = at.refusal ?? (at.kind === 'directory' || at.kind === 'other' ? 'something other than a file is there' : null);
    if (reason === null && !inventory.has(p) && at.kind === 'file') {
      // Not in the inventory, yet something is there: a person's file (README: never touched).
      // Adopting it is harmless only when it already holds exactly what flotilla would write.
      const bytes = await this.fs.readBytes(this.abs(p));
      if (bytes !== null && Buffer.from(text, 'utf8').equals(bytes)) {
        this.setEntry(inventory, p, oid);
        progress.done.add(p);
        progress.changed = true;
        return;
      }
      reason =
        `a file flotilla did not write is already there (it is not in ${INVENTORY_FILE}); ` +
        'move it away to let flotilla write this object';
    }
    if (reason !== null) {
      progress.refused.push({ path: p, reason });
      progress.refusedWrites++;
      return;
    }
    const existed = inventory.has(p);
    try {
      await this.fs.writeFile(this.abs(p), text);
    } catch (e) {
      await this.recordFailedWrite(p, existed, inventory, progress);
      throw e;
    }
    this.setEntry(inventory, p, oid);
    progress.done.add(p);
    progress.changed = true;
    if (existed || progress.moves.to.has(p)) progress.configured++;
    else progress.created++;
  }

  /**
   * A file flotilla has not written, created only if nothing is at its path (O_EXCL: no lstat of
   * the file first, the kernel checks and creates in one step), once its folders are checked.
   * False when something is there or a folder is refused: writeOne's checks then say what and why.
   */
  private async createNew(p: string, oid: string, text: string, inventory: Map<string, string>, progress: ApplyProgress): Promise<boolean> {
    if (!this.inside(p) || (await this.checkFolders(path.posix.dirname(p))).refusal !== null) return false;
    try {
      await this.fs.writeFile(this.abs(p), text, { exclusive: true });
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') return false;
      await this.recordFailedWrite(p, false, inventory, progress);
      throw e;
    }
    this.setEntry(inventory, p, oid);
    progress.done.add(p);
    progress.changed = true;
    if (progress.moves.to.has(p)) progress.configured++;
    else progress.created++;
    return true;
  }

  /**
   * Keeps the inventory truthful after a failed write, which may have truncated or created the
   * file: a file there now is flotilla's (it was, or nothing was there before this write) with
   * unknown content, recorded as UNKNOWN_OID so the next pass rewrites it and deletes it when its
   * object goes; a file of flotilla's that is gone leaves the inventory.
   */
  private async recordFailedWrite(p: string, existed: boolean, inventory: Map<string, string>, progress: ApplyProgress): Promise<void> {
    const now = await this.fs.entryKind(this.abs(p)).catch(() => undefined);
    if (now === 'file') this.setEntry(inventory, p, UNKNOWN_OID);
    else if (now === null && existed) this.setEntry(inventory, p, null);
    else return;
    progress.changed = true;
  }

  /** Deletes the files this target wrote (never anyone else's), then the folders that became empty. */
  private async deleteFiles(deletes: ReadonlySet<string>, inventory: Map<string, string>, progress: ApplyProgress): Promise<void> {
    const folders = new Set<string>();
    // Only what this target wrote: a path missing from the inventory is someone else's file.
    const list = [...deletes].filter((p) => inventory.has(p)).sort();
    await mapLimit(list, IO_CONCURRENCY, async (_item, i) => {
      const p = list[i]!;
      try {
        const at = await this.inspect(p);
        const reason = at.refusal ?? (at.kind === 'directory' || at.kind === 'other' ? 'something other than a file is there' : null);
        if (reason !== null) {
          progress.refused.push({ path: p, reason: `not deleting: ${reason}` });
          return;
        }
        if (at.kind === 'file') await this.fs.removeFile(this.abs(p));
      } catch (e) {
        // Still flotilla's and still there: it stays in the inventory, and a later pass deletes it.
        progress.refused.push({ path: p, reason: `cannot delete: ${describeIoError(e)}` });
        return;
      }
      this.setEntry(inventory, p, null);
      progress.done.add(p);
      progress.changed = true;
      if (!progress.moves.from.has(p)) progress.deleted++;
      folders.add(path.posix.dirname(p));
    });
    await this.pruneEmptyFolders(folders);
  }

  /** The report of an apply that threw part-way: what was left undone (or refused) failed. */
  private interruptedReport(
    plan: TargetPlan,
    writes: ReadonlyMap<string, PendingWrite>,
    deletes: ReadonlySet<string>,
    inventory: ReadonlyMap<string, string>,
    progress: ApplyProgress,
    error: Error,
  ): TargetReport {
    const { created, configured, deleted, done, refused } = progress;
    const refusedPaths = new Set(refused.map((r) => r.path));
    const left = [
      ...[...writes.keys()].filter((p) => !done.has(p) && !refusedPaths.has(p)),
      ...[...deletes].filter((p) => inventory.has(p) && !refusedPaths.has(p)),
      ...refusedPaths,
    ];
    return {
      created,
      configured,
      deleted,
      unchanged: 0,
      failed: left.length,
      failedClusters: [...new Set(left.map((p) => plan.clusterOf(p)))].sort(),
      ok: false,
      message: `writing ${this.root} failed: ${error.message}${refused.length > 0 ? `; ${describeRefused(refused)}` : ''}`,
    };
  }

  /** Removes folders that became empty, deepest first, never the root itself. */
  private async pruneEmptyFolders(folders: Set<string>): Promise<void> {
    const all = new Set<string>();
    for (const f of folders) for (let d = f; d !== '.' && d !== ''; d = path.posix.dirname(d)) all.add(d);
    for (const d of [...all].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1))) {
      // Only a real folder inside the root: rmdir through a linked parent would act outside it.
      const at = await this.inspect(d).catch(() => null); // unreadable: left in place, like a folder that is not empty
      if (at?.refusal === null && at.kind === 'directory') await this.fs.removeEmptyDir(this.abs(d));
    }
  }

  /**
   * Appends the unsaved entries to the journal; a journal not there yet is created with its first
   * line only if nothing is at its path. False when the journal is not where it was left (something
   * is there already, or it is gone): the caller then writes the inventory whole from memory.
   */
  private async appendJournal(journal: JournalState): Promise<boolean> {
    let text = '';
    for (const [p, oid] of this.unsaved) text += `${JSON.stringify(oid === null ? [p] : [p, oid])}\n`;
    const file = path.join(this.root, INVENTORY_JOURNAL);
    try {
      if (journal.exists) await this.fs.appendFile(file, text);
      else await this.fs.writeFile(file, `${JSON.stringify({ generation: journal.generation })}\n${text}`, { exclusive: true });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === (journal.exists ? 'ENOENT' : 'EEXIST')) return false;
      throw e;
    }
    return true;
  }

  /** Records (oid) or removes (null) an entry of the inventory, to be saved. */
  private setEntry(inventory: Map<string, string>, p: string, oid: string | null): void {
    if (oid === null) inventory.delete(p);
    else inventory.set(p, oid);
    // Only a journal can take the entries alone; without one the next save writes the inventory
    // whole, and a first pass would keep a second map of every file it writes.
    if (this.journal !== null) this.unsaved.set(p, oid);
  }

  /**
   * Saves the inventory: the entries changed since the last save appended to INVENTORY_JOURNAL when
   * it is known exactly and stays short, else the whole inventory written (to a temporary file then
   * renamed) with a new generation, and the journal that followed the old one removed.
   */
  private async saveInventory(revision: string): Promise<void> {
    const inventory = this.inventory!;
    const journal = this.journal;
    this.journal = null; // unknown until the write below ends
    if (journal !== null && journal.lines + this.unsaved.size <= journalLimit(inventory.size) && (await this.appendJournal(journal))) {
      this.journal = { generation: journal.generation, lines: journal.lines + this.unsaved.size, exists: true };
    } else {
      const paths = [...inventory.keys()];
      // Read sorted and rewritten in place, the map is nearly always in order already.
      if (!isSorted(paths)) paths.sort();
      // A new name every time: a journal left from before (its removal below failed or never ran) follows another.
      const generation = randomBytes(16).toString('hex');
      const head = { apiVersion: 'flotilla.dev/v1alpha1', kind: 'Inventory', version: INVENTORY_VERSION, revision, generation };
      const text = inventoryBytes(`${JSON.stringify(head).slice(0, -1)},\n"pathsAndOids":[\n`, paths, inventory, '\n]}\n');
      const target = path.join(this.root, INVENTORY_FILE);
      await this.fs.writeFile(`${target}.tmp`, text);
      await this.fs.rename(`${target}.tmp`, target);
      await this.fs.removeFile(path.join(this.root, INVENTORY_JOURNAL));
      this.journal = { generation, lines: 0, exists: false };
    }
    this.unsaved = new Map();
  }

  /**
   * What is at layout path `p`, checked segment by segment with lstat from the root down: a
   * refusal when the text climbs out of the root, or when an existing segment is a symbolic link
   * (it could point anywhere — writing or deleting through it would act outside the root) or a
   * parent is not a folder. The root itself is taken as configured: the operator chose it.
   */
  private async inspect(p: string): Promise<{ kind: EntryKind | null; refusal: string | null }> {
    if (!this.inside(p)) return { kind: null, refusal: `it resolves outside ${this.root}` };
    const folders = await this.checkFolders(path.posix.dirname(p));
    if (folders.refusal !== null || folders.missing) return { kind: null, refusal: folders.refusal };
    const kind = await this.fs.entryKind(path.join(this.root, p));
    if (kind === 'symlink') return { kind, refusal: linkRefusal(p, this.root) };
    return { kind, refusal: null };
  }

  /**
   * The folders of layout folder `dir` (`.` for the root), each checked with lstat from the root
   * down (a real folder is remembered for the rest of the apply): a refusal at a symbolic link or
   * something other than a folder; `missing` when one does not exist (nothing below it does).
   */
  private async checkFolders(dir: string): Promise<{ refusal: string | null; missing: boolean }> {
    if (dir === '.' || this.safeFolders.has(dir)) return { refusal: null, missing: false };
    let rel = '';
    for (const segment of dir.split('/')) {
      rel = rel === '' ? segment : `${rel}/${segment}`;
      if (this.safeFolders.has(rel)) continue;
      const kind = await this.fs.entryKind(path.join(this.root, rel));
      if (kind === 'symlink') return { refusal: linkRefusal(rel, this.root), missing: false };
      if (kind === null) return { refusal: null, missing: true };
      if (kind !== 'directory') return { refusal: `${rel} is not a folder`, missing: false };
      this.safeFolders.add(rel);
    }
    return { refusal: null, missing: false };
  }

  /**
   * Whether layout path `p` names something strictly below the root. A layout path is relative
   * with `/` separators and never climbs (`..`) nor has an empty segment (an absolute path, `//`);
   * on POSIX such a path resolves below the root unless it is only `.` segments, so the check is on
   * the text (a path.resolve per file was a restart's cost at fleet scale). Where `\` separates too (Windows) it resolves.
   */
  private inside(p: string): boolean {
    if (!this.rootHoldsChildren || !isClimbFreeLayoutPath(p)) return false;
    if (path.sep === '/') return true;
    return path.resolve(this.root, p).startsWith(this.root + path.sep);
  }

  /** Absolute path of a layout path; refuses anything that would leave the root. */
  private abs(p: string): string {
    if (!this.inside(p)) throw new FlotillaError('PATH_OUTSIDE_OUTPUT', `refusing to touch ${p}: it resolves outside ${this.root}`);
    return path.resolve(this.root, p);
  }
}

/**
 * What prepareFullCompare reads ahead: the inventory file, and which of its files are not plain
 * files on disk (most often none: a set of every plain file was 170,000 entries at fleet scale).
 */
interface PreparedCompare {
  files: Map<string, string>;
  journal: JournalState | null;
  notPlain: ReadonlySet<string>;
}

/** What notPlainFiles finds at a path: a plain file (for a folder: a real folder), something else, or unknown (unlistable parent). */
type Verdict = 'file' | 'not' | 'unknown';

function corrupt(file: string, e: Error): FlotillaError {
  return new FlotillaError(
    'INVENTORY_CORRUPT',
    `${file} is not valid JSON (${e.message}); fix or delete it (flotilla then deletes nothing it wrote before)`,
  );
}

function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]! > list[i]!) return false;
  return true;
}

/** The folder of a layout path, '' at the root (path.posix.dirname's '.'). */
function parentOf(p: string): string {
  const at = p.lastIndexOf('/');
  return at < 0 ? '' : p.slice(0, at);
}

/**
 * Whether `p` is a non-empty relative path of `/`-separated segments, none empty or `..`, at least
 * one other than `.` (only `.` segments name the root itself).
 */
export function isClimbFreeLayoutPath(p: string): boolean {
  let named = false;
  for (let start = 0; start <= p.length;) {
    let end = p.indexOf('/', start);
    if (end < 0) end = p.length;
    const length = end - start;
    if (length === 0) return false;
    if (length === 2 && p.charCodeAt(start) === 46 && p.charCodeAt(start + 1) === 46) return false; // `..`
    if (!(length === 1 && p.charCodeAt(start) === 46)) named = true; // not `.`
    start = end + 1;
  }
  return named;
}

/** Whether a rendered object's text carries SUSPENDED_ANNOTATION (the layout writes one object per file). */
function isSuspendedText(text: string): boolean {
  if (!text.includes(SUSPENDED_ANNOTATION)) return false;
  try {
    return isSuspendedObject(parseYaml(text) as { metadata?: unknown });
  } catch {
    return false;
  }
}

function linkRefusal(rel: string, root: string): string {
  return `${rel} is a symbolic link; flotilla never writes or deletes through one (it may point outside ${root})`;
}

/** One line naming the failed objects and why (the first few; a count for the rest). */
function describeRefused(unordered: readonly { path: string; reason: string }[]): string {
  // Concurrent writes fail in any order: the report names them by path, the same every run.
  const refused = [...unordered].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const shown = refused.slice(0, 3).map((r) => `${r.path}: ${r.reason}`);
  const more = refused.length > shown.length ? `; and ${refused.length - shown.length} more` : '';
  return `${refused.length} object(s) failed: ${shown.join('; ')}${more}`;
}
