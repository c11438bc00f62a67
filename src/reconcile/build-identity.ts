// Which flotilla is running, read from its own files once per process (the edge: the render
// index's codec only compares the strings). The package version is what `flotilla version` prints;
// the build tells two builds of one version apart, for the render index's seeds and parses.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's version: package.json sits two folders above this module in src/ and in dist/. */
export function flotillaVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

let build: string | null = null;

/**
 * The exact code this process runs: the package's version and codeHash of its own modules (dist/ or
 * src/, whichever this module was loaded from) and of package-lock.json (a dependency upgrade, e.g.
 * of the yaml parser, is another build too). The version alone did not tell two builds apart: every
 * image built from a changed tree before the next release carried the same one, and would have
 * reused the seeds of code that scheduled differently. When the files cannot be read, the build is
 * one no index can name (this process's own), so no seed of another build is ever trusted.
 */
export function flotillaBuild(): string {
  if (build !== null) return build;
  try {
    const root = fileURLToPath(new URL('../', import.meta.url));
    const lock = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
    build = `${flotillaVersion()}+${codeHash(root, [lock])}`;
  } catch {
    build = `${flotillaVersion()}+unread-${process.pid}-${Date.now()}`;
  }
  return build;
}

/**
 * SHA-256 (16 hex digits) of the .js and .ts modules under `root` (not .d.ts, not source maps) —
 * their paths and bytes — and of the `extra` files that exist.
 */
export function codeHash(root: string, extra: readonly string[] = []): string {
  const hash = createHash('sha256');
  const files = (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
  for (const f of files)
    hash
      .update(`${f}\0`)
      .update(readFileSync(path.join(root, f)))
      .update('\0');
  for (const file of extra) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue; // an installed package may come without its lockfile
    }
    hash.update(`${path.basename(file)}\0`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}
