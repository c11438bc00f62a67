// Rolling a restored applied state forward (issue 13): the render index in the cache describes the
// status branch at the commit it was written for; a process that crashed, or that left the write
// for later, leaves it behind the branch's tip. Instead of reading every file of manifests/ again
// (a minute at 71,000 objects), the restore reads only the files that differ between the index's
// manifests/ tree and the tip's: the rows of the others stand. Whether the result is exactly the
// tip's files is then proven as for an index that matched (render-index.ts indexMismatch).
import type { ObjectStore } from '../source/objects.js';
import { readHashedEntries } from './branch.js';
import type { AppliedObject } from './change-set.js';

/** The applied state rolled forward, and how many files of manifests/ it read or dropped to get there. */
export interface RolledState {
  objects: AppliedObject[];
  changedFiles: number;
}

/**
 * `rows` (the applied state of manifests/ tree `from`) taken to manifests/ tree `to`: rows of
 * deleted files dropped, changed and new files read and hashed like the full restore
 * (readAppliedState), kept as content hashes. Null when a changed file is not exactly one object:
 * the caller then reads the whole tree, which warns about it. Throws when `from` cannot be read
 * (an object store that lost it).
 */
export async function rollAppliedForward(
  objects: ObjectStore,
  rows: readonly AppliedObject[],
  from: string | null,
  to: string | null,
): Promise<RolledState | null> {
  const changed = await objects.changedBlobs(from, to);
  if (changed.size === 0) return { objects: [...rows], changedFiles: 0 };
  const written = [...changed].filter((e): e is [string, string] => e[1] !== null);
  const fresh = new Map<string, AppliedObject>();
  for (const entry of await readHashedEntries(objects, written)) {
    if ('problem' in entry) return null;
    fresh.set(entry.path, entry);
  }
  // Rows keep their order; a changed file's row is replaced where it was, new files come last.
  const out: AppliedObject[] = [];
  for (const row of rows) {
    if (!changed.has(row.path)) out.push(row);
    else if (fresh.has(row.path)) {
      out.push(fresh.get(row.path)!);
      fresh.delete(row.path);
    }
  }
  out.push(...fresh.values());
  return { objects: out, changedFiles: changed.size };
}
