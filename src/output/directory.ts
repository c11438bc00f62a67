// Writes rendered manifests under a directory (the `render --out` layout). The only file-system
// writes of `render`; every target path is checked to stay inside the directory. One object's
// I/O error (a folder where its file goes, no permission) fails that object, never the others.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FlotillaError } from '../model/diagnostics.js';
import { layoutManifests } from '../render/layout.js';
import { toStableYaml } from '../objects/serialize.js';

/** What writeManifestTree did: the relative paths written, and those that failed with why. */
export interface ManifestTreeResult {
  written: string[];
  failed: Array<{ path: string; reason: string }>;
}

/**
 * Writes every object as YAML. Never deletes anything. The directory itself must be creatable: a
 * failure there is the whole command's and throws (one line naming the path, cli/main.ts).
 */
export async function writeManifestTree(
  dir: string,
  manifests: Record<string, ReadonlyArray<Record<string, unknown>>>,
): Promise<ManifestTreeResult> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const result: ManifestTreeResult = { written: [], failed: [] };
  for (const { path: rel, object } of layoutManifests(manifests)) {
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) {
      throw new FlotillaError('PATH_OUTSIDE_OUTPUT', `refusing to write ${rel}: it resolves outside ${root}`);
    }
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, toStableYaml(object));
      result.written.push(rel);
    } catch (e) {
      result.failed.push({ path: rel, reason: describeIoError(e) });
    }
  }
  return result;
}

/** An I/O error in a few words and its code, without the absolute path (the caller names the path). */
export function describeIoError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (typeof err?.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return message;
  const words = message.startsWith(`${err.code}: `) ? message.slice(err.code.length + 2).split(',')[0]! : message;
  return `${words} (${err.code})`;
}
