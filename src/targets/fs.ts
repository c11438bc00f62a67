// The file-system adapter of the directory target: the few operations it needs, so tests can
// count writes or inject failures, and nothing else of node:fs leaks into the target.
import { close, constants, open, write } from 'node:fs';
import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a path names, without following a symbolic link there. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

export interface TargetFs {
  /** The file's text, or null when it does not exist. */
  readFile(file: string): Promise<string | null>;
  /** The file's bytes, or null when it does not exist (to compare contents exactly). */
  readBytes(file: string): Promise<Uint8Array | null>;
  /**
   * Writes a file, creating its folders; never writes through a symbolic link at `file`. With
   * `exclusive`, only creates it: fails with EEXIST when anything (a file, a folder, a link) is there.
   */
  writeFile(file: string, text: string | Uint8Array, opts?: { exclusive?: boolean }): Promise<void>;
  /** Appends to an existing file (ENOENT when there is none); never writes through a symbolic link at `file`. */
  appendFile(file: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file (a symbolic link itself, never what it points to); a missing file is not an error. */
  removeFile(file: string): Promise<void>;
  /** Removes a folder only when it is empty. */
  removeEmptyDir(dir: string): Promise<boolean>;
  exists(file: string): Promise<boolean>;
  /** What is at `file` without following a symbolic link (lstat), or null when nothing is. */
  entryKind(file: string): Promise<EntryKind | null>;
  /**
   * The entries of a folder with their kinds as lstat would say (a link is 'symlink'), read in
   * one call; null when there is no folder at `dir`.
   */
  listFolder(dir: string): Promise<Map<string, EntryKind> | null>;
}

// O_NOFOLLOW makes the open fail (ELOOP) when the last path segment is a symbolic link, so a
// link planted where flotilla writes can never redirect the write. It is 0 where the platform
// lacks it (Windows); the directory target checks every segment with lstat before writing anyway.
const WRITE_NOFOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0);
const APPEND_NOFOLLOW = constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0);
// O_EXCL: the kernel checks that nothing is there and creates the file in one step.
const CREATE_ONLY = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

const missing = (e: unknown) => (e as { code?: string }).code === 'ENOENT';

/**
 * Writes `bytes` to a file opened with `flag`, through the callback API: a full reconcile creates a
 * file per rendered object, and the promise API's FileHandle (an object, an event emitter and a
 * promise per open, write and close) cost the main thread more per file than the write itself
 * (`node bench/file-write-bench.mjs`; BENCHMARKS.md, "File writes").
 */
function writeWithFlag(file: string, bytes: Buffer, flag: number): Promise<void> {
  return new Promise((resolve, reject) => {
    open(file, flag, 0o666, (openError, fd) => {
      if (openError) return reject(openError);
      const finish = (e: Error | null) => close(fd, (closeError) => ((e ?? closeError) ? reject(e ?? closeError) : resolve()));
      // A write may take fewer bytes than asked: the rest follows from where it stopped.
      const writeFrom = (at: number): void => {
        if (at >= bytes.length) return finish(null);
        write(fd, bytes, at, bytes.length - at, null, (writeError, n) => (writeError ? finish(writeError) : writeFrom(at + n)));
      };
      writeFrom(0);
    });
  });
}

function direntKind(d: Dirent): EntryKind {
  return d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : d.isDirectory() ? 'directory' : 'other';
}

/** The real file system. */
export const nodeTargetFs: TargetFs = {
  async readFile(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  async readBytes(file) {
    try {
      return await readFile(file);
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  async writeFile(file, text, opts) {
    const flag = opts?.exclusive ? CREATE_ONLY : WRITE_NOFOLLOW;
    // Folders are created only when missing: most writes go to an existing folder, and a
    // mkdir per file doubled the cost of a full reconcile.
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    try {
      await writeWithFlag(file, bytes, flag);
    } catch (e) {
      if (!missing(e)) throw e;
      await mkdir(path.dirname(file), { recursive: true });
      await writeWithFlag(file, bytes, flag);
    }
  },
  appendFile: (file, text) => writeFile(file, text, { flag: APPEND_NOFOLLOW }),
  rename: (from, to) => rename(from, to),
  async removeFile(file) {
    // unlink removes a link itself and never follows it (rm would too, but say so explicitly).
    try {
      await unlink(file);
    } catch (e) {
      if (!missing(e)) throw e;
    }
  },
  async removeEmptyDir(dir) {
    try {
      await rmdir(dir);
      return true;
    } catch {
      return false;
    }
  },
  async exists(file) {
    return stat(file).then(
      () => true,
      () => false,
    );
  },
  async entryKind(file) {
    try {
      const s = await lstat(file);
      return s.isSymbolicLink() ? 'symlink' : s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
    } catch (e) {
      if (missing(e) || (e as { code?: string }).code === 'ENOTDIR') return null;
      throw e;
    }
  },
  async listFolder(dir) {
    try {
      // Node lstat()s an entry whose type the file system does not report, so kinds never follow a link.
      return new Map((await readdir(dir, { withFileTypes: true })).map((d) => [d.name, direntKind(d)]));
    } catch (e) {
      if (missing(e) || (e as { code?: string }).code === 'ENOTDIR') return null;
      throw e;
    }
  },
};
