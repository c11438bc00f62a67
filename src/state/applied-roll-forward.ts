// Rolling a restored applied state forward (issue 13): the render index in the cache describes the
// status branch at the commit it was written for; a process that crashed, or that left the write
// for later, leaves it behind the branch's tip. Instead of reading every file of manifests/ again
// (a minute at 71,000 objects), the restore reads only the files that differ between the index's
// manifests/ tree and the tip's: the rows of the others stand. Whether the result is exactly the
// tip's files is then checked where it can differ (rolledRowsMismatch).
import type { ObjectStore } from '../source/objects.js';
import { readHashedEntries } from './branch.js';
import type { AppliedObject } from './change-set.js';

/** The applied state rolled forward, and how many files of manifests/ it read or dropped to get there. */
export interface RolledState {
  objects: AppliedObject[];
  changedFiles: number;
  /** The files that differ between the two trees: path → blob oid in the later one, null where it has none. */
  changed: ReadonlyMap<string, string | null>;
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
  if (changed.size === 0) return { objects: [...rows], changedFiles: 0, changed };
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
  return { objects: out, changedFiles: changed.size, changed };
}

/** Regular files, the only mode flotilla writes into manifests/. */
const FILE_MODE = 0o100644;

/** Every folder that holds `p`, from manifests/ itself (''): 'a/b/c.yaml' → '', 'a', 'a/b'. */
function addFoldersOf(p: string, into: Set<string>): void {
  into.add('');
  for (let at = p.indexOf('/'); at >= 0; at = p.indexOf('/', at + 1)) into.add(p.slice(0, at));
}

/**
 * Why `rolled` is not exactly manifests/ tree `to`'s files, path for path and blob for blob (null:
 * it is), for rows rolled forward from rows proven to be tree `from`'s (render-index.ts proves an
 * index's rows before it writes them). Below a folder that holds no changed path the rows are the
 * proven ones as they were, and that folder is the same tree in `from` and `to` (changedBlobs
 * compares folders by oid and does not go into equal ones), so they stand. Only the folders that
 * hold a changed path are read from `to`, each compared file by file with the rows right in it: a
 * few tree reads, where the tree oid of all the rows took about 0.3 s of a restart at 174,721
 * objects. And a row read anew must not have another row's id.
 */
export async function rolledRowsMismatch(objects: ObjectStore, rolled: RolledState, to: string | null): Promise<string | null> {
  const { changed } = rolled;
  if (changed.size === 0) return null;
  const folders = new Set<string>();
  for (const p of changed.keys()) addFoldersOf(p, folders);
  // The proven rows had each id once: only a row read anew (at a changed path) can repeat one.
  const freshIds = new Map<string, number>();
  for (const o of rolled.objects) if (changed.has(o.path)) freshIds.set(o.id, 0);
  const rowsIn = new Map<string, Map<string, string>>([...folders].map((f) => [f, new Map()]));
  for (const o of rolled.objects) {
    const seen = freshIds.get(o.id);
    if (seen !== undefined) {
      if (seen === 1) return `${o.id} twice`;
      freshIds.set(o.id, 1);
    }
    const slash = o.path.lastIndexOf('/');
    const here = rowsIn.get(slash < 0 ? '' : o.path.slice(0, slash));
    if (here === undefined) continue;
    const name = o.path.slice(slash + 1);
    if (here.has(name)) return `${o.path} twice`;
    here.set(name, o.oid);
  }
  // Each folder after the one above it, which says its tree in `to` (none: the folder is gone, and so must its rows be).
  const treeOf = new Map<string, string>(to === null ? [] : [['', to]]);
  const compare = async (folder: string): Promise<string | null> => {
    const tree = treeOf.get(folder);
    const rows = rowsIn.get(folder)!;
    let files = 0;
    for (const e of tree === undefined ? [] : await objects.treeEntries(tree)) {
      const p = folder === '' ? e.name : `${folder}/${e.name}`;
      if (e.type === 'tree') {
        if (folders.has(p)) treeOf.set(p, e.oid);
      } else if (e.type !== 'blob' || e.mode !== FILE_MODE || rows.get(e.name) !== e.oid) return `${p} is not the row's file`;
      else files++;
    }
    return files === rows.size ? null : `rows in ${folder || 'manifests/'} that are not its files`;
  };
  // Trees read from the packs by position: read by isomorphic-git, a tree in a pack loads that pack
  // into its cache for the process's life (after a `git gc`, every object of the repository).
  return objects.withPackReader(async () => {
    for (const folder of [...folders].sort((a, b) => a.length - b.length)) {
      const problem = await compare(folder);
      if (problem !== null) return problem;
    }
    return null;
  });
}
