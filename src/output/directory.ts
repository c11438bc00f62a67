// Writes rendered manifests under a directory (the `render --out` layout). The only file-system
// writes of `render`; every target path is checked to stay inside the directory. One object's
// I/O error (a folder where its file goes, no permission) fails that object, never the others.
// A streamed render (ManifestTreeWriter) writes a cluster at a time into a hidden folder inside the
// directory and moves the files into place only once the whole render turned out valid.
import { lstat, mkdir, mkdtemp, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FlotillaError } from '../model/diagnostics.js';
import { layoutManifests } from '../objects/layout.js';
import { toStableYaml } from '../objects/serialize.js';

/** What ManifestTreeWriter.commit() did: the relative paths written, and those that failed with why. */
export interface ManifestTreeResult {
  written: string[];
  failed: Array<{ path: string; reason: string }>;
}

/** The hidden folder a streamed render writes into before it moves its files into place. */
export const PARTIAL_PREFIX = '.flotilla-partial-';

/**
 * Writes a render cluster by cluster as it streams: each object into a hidden folder
 * (`.flotilla-partial-*`, a name no cluster folder can have) inside the directory, then, on
 * commit(), every file moved into its place — so a render found invalid half-way (abort()) leaves
 * the directory as it was. Never deletes anything but its own hidden folder.
 */
export class ManifestTreeWriter {
  /** Written files by their cluster folder, in layout order. */
  private written = new Map<string, string[]>();
  private readonly failed: Array<{ path: string; reason: string }> = [];
  private clusters = 0;

  private constructor(
    private readonly root: string,
    private readonly partial: string,
    /** The outermost folder open() created (undefined: the directory was there). */
    private readonly created: string | undefined,
  ) {}

  /** Creates the directory (a failure there throws: it is the whole command's) and the hidden folder. */
  static async open(dir: string): Promise<ManifestTreeWriter> {
    const root = path.resolve(dir);
    const created = await mkdir(root, { recursive: true });
    return new ManifestTreeWriter(root, await mkdtemp(path.join(root, PARTIAL_PREFIX)), created);
  }

  /** Writes one cluster's objects (the `--out` layout) into the hidden folder. */
  async writeCluster(cluster: string, objects: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    this.clusters++;
    const files: string[] = [];
    for (const { path: rel, object } of layoutManifests({ [cluster]: objects })) {
      const target = insideRoot(this.root, rel);
      const staged = path.join(this.partial, path.relative(this.root, target));
      try {
        await mkdir(path.dirname(staged), { recursive: true });
        await writeFile(staged, toStableYaml(object));
        files.push(rel);
      } catch (e) {
        this.failed.push({ path: rel, reason: describeIoError(e) });
      }
    }
    if (files.length > 0) this.written.set(files[0]!.slice(0, files[0]!.indexOf('/')), files);
  }

  /**
   * Moves every written file into its place; one that cannot go there fails alone. A cluster folder
   * the directory does not have yet moves in one rename.
   */
  async commit(): Promise<ManifestTreeResult & { clusters: number }> {
    const moved: string[] = [];
    for (const [folder, files] of this.written) {
      if (!(await exists(path.join(this.root, folder)))) {
        try {
          await rename(path.join(this.partial, folder), path.join(this.root, folder));
          moved.push(...files);
          continue;
        } catch {
          // Made meanwhile, or not movable whole: file by file below.
        }
      }
      for (const rel of files) {
        const target = path.join(this.root, rel);
        try {
          await mkdir(path.dirname(target), { recursive: true });
          await rename(path.join(this.partial, rel), target);
          moved.push(rel);
        } catch (e) {
          this.failed.push({ path: rel, reason: describeIoError(e) });
        }
      }
    }
    this.written = new Map();
    await rm(this.partial, { recursive: true, force: true });
    return { written: moved, failed: this.failed, clusters: this.clusters };
  }

  /** Removes the hidden folder and what is in it, and the folders open() made: nothing reaches the directory. */
  async abort(): Promise<void> {
    await rm(this.partial, { recursive: true, force: true });
    if (this.created === undefined) return;
    // Only empty folders go (rmdir): never anything someone else put there meanwhile.
    for (let dir = this.root; dir.startsWith(this.created); dir = path.dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** `root/rel`, refusing a path that would leave `root`. */
function insideRoot(root: string, rel: string): string {
  const target = path.resolve(root, rel);
  if (!target.startsWith(root + path.sep)) {
    throw new FlotillaError('PATH_OUTSIDE_OUTPUT', `refusing to write ${rel}: it resolves outside ${root}`);
  }
  return target;
}

/** An I/O error in a few words and its code, without the absolute path (the caller names the path). */
export function describeIoError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (typeof err?.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return message;
  const words = message.startsWith(`${err.code}: `) ? message.slice(err.code.length + 2).split(',')[0]! : message;
  return `${words} (${err.code})`;
}
