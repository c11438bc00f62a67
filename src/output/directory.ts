// Writes rendered manifests under a directory (the `render --out` layout). The only file-system
// writes of `render`; every target path is checked to stay inside the directory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FlotillaError } from '../model/diagnostics.js';
import { layoutManifests } from '../render/layout.js';
import { toStableYaml } from '../objects/serialize.js';

/** Writes every object as YAML; returns the relative paths written. Never deletes anything. */
export async function writeManifestTree(dir: string, manifests: Record<string, ReadonlyArray<Record<string, unknown>>>): Promise<string[]> {
  const root = path.resolve(dir);
  const written: string[] = [];
  for (const { path: rel, object } of layoutManifests(manifests)) {
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) {
      throw new FlotillaError('PATH_OUTSIDE_OUTPUT', `refusing to write ${rel}: it resolves outside ${root}`);
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, toStableYaml(object));
    written.push(rel);
  }
  return written;
}
