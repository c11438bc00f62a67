// Git's tree oid of a set of files, computed in memory: what `git write-tree` would give for a
// folder holding exactly those files (mode 100644). Equal to a commit's tree oid, it proves the
// files are that tree's, path for path and blob for blob, without reading a single tree object
// (the render index's check, issue 13). Pure: no I/O.
import { createHash } from 'node:crypto';

/** A folder being built: name → blob oid (a file) or a folder. */
type Folder = Map<string, string | Folder>;

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const OID = /^[0-9a-f]{40}$/;

/**
 * The tree oid of `files` (path relative to the tree → blob oid), each a regular file (100644), or
 * null when they cannot be one git tree: a malformed oid or path (empty, `.` or `..` segment), a
 * path given twice, or a path that is both a file and a folder. No files: the empty tree.
 */
export function treeOidOfFiles(files: Iterable<readonly [string, string]>): string | null {
  const root: Folder = new Map();
  for (const [p, oid] of files) {
    if (!OID.test(oid)) return null;
    const parts = p.split('/');
    let folder = root;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      if (name === '' || name === '.' || name === '..') return null;
      const entry = folder.get(name);
      if (i === parts.length - 1) {
        if (entry !== undefined) return null;
        folder.set(name, oid);
      } else if (entry === undefined) {
        const sub: Folder = new Map();
        folder.set(name, sub);
        folder = sub;
      } else if (typeof entry === 'string') {
        return null;
      } else folder = entry;
    }
  }
  return root.size === 0 ? EMPTY_TREE : hashFolder(root);
}

/** Git's tree object of one folder, its subfolders hashed first; returns its oid. */
function hashFolder(folder: Folder): string {
  const entries: Array<{ key: Buffer; head: Buffer; oid: string }> = [];
  for (const [name, entry] of folder) {
    const isTree = typeof entry !== 'string';
    // Git sorts a folder as if its name ended in "/", by bytes: "a-b" < "a.b" < folder "a" < "a0".
    entries.push({
      key: Buffer.from(isTree ? `${name}/` : name, 'utf8'),
      head: Buffer.from(`${isTree ? '40000' : '100644'} ${name}\0`, 'utf8'),
      oid: isTree ? hashFolder(entry) : entry,
    });
  }
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  const body = Buffer.concat(entries.flatMap((e) => [e.head, Buffer.from(e.oid, 'hex')]));
  return createHash('sha1').update(`tree ${body.byteLength}\0`).update(body).digest('hex');
}
