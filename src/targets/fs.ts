// The file-system adapter of the directory target: the few operations it needs, so tests can
// count writes or inject failures, and nothing else of node:fs leaks into the target.
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface TargetFs {
  /** The file's text, or null when it does not exist. */
  readFile(file: string): Promise<string | null>;
  /** Writes a file, creating its folders. */
  writeFile(file: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing file is not an error. */
  removeFile(file: string): Promise<void>;
  /** Removes a folder only when it is empty. */
  removeEmptyDir(dir: string): Promise<boolean>;
  exists(file: string): Promise<boolean>;
}

/** The real file system. */
export const nodeTargetFs: TargetFs = {
  async readFile(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return null;
      throw e;
    }
  },
  async writeFile(file, text) {
    // Folders are created only when missing: most writes go to an existing folder, and a
    // mkdir per file doubled the cost of a full reconcile.
    try {
      await writeFile(file, text);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }
  },
  rename: (from, to) => rename(from, to),
  removeFile: (file) => rm(file, { force: true }),
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
};
