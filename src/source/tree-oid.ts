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
  // Files come grouped by folder (the layout's order): the last folder found is looked up once.
  let lastDir: string | null = null;
  let lastFolder: Folder = root;
  for (const [p, oid] of files) {
    if (!OID.test(oid)) return null;
    const slash = p.lastIndexOf('/');
    const dir = slash < 0 ? '' : p.slice(0, slash);
    const name = p.slice(slash + 1);
    if (dir !== lastDir) {
      const folder = dir === '' ? root : folderAt(root, dir.split('/'));
      if (folder === null) return null;
      lastDir = dir;
      lastFolder = folder;
    }
    if (!validName(name) || lastFolder.has(name)) return null;
    lastFolder.set(name, oid);
  }
  return root.size === 0
    ? EMPTY_TREE
    : hashFolder(
        root,
        [...names(root)].some((n) => WIDE.test(n)),
      );
}

const validName = (name: string) => name !== '' && name !== '.' && name !== '..';

/** The folder at `parts` below `root`, made when missing; null when a file is in the way or a name is not valid. */
function folderAt(root: Folder, parts: readonly string[]): Folder | null {
  let folder = root;
  for (const name of parts) {
    if (!validName(name)) return null;
    const entry = folder.get(name);
    if (entry === undefined) {
      const sub: Folder = new Map();
      folder.set(name, sub);
      folder = sub;
    } else if (typeof entry === 'string') return null;
    else folder = entry;
  }
  return folder;
}

/** Every name in a folder and below it. */
function* names(folder: Folder): Generator<string> {
  for (const [name, entry] of folder) {
    yield name;
    if (typeof entry !== 'string') yield* names(entry);
  }
}

/** Characters whose UTF-16 order is not their UTF-8 byte order (surrogates sort before U+E000–U+FFFF in UTF-16 only). */
const WIDE = /[\ud800-\uffff]/;

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compareBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Git's tree object of one folder, its subfolders hashed first; returns its oid. `wide`: compare names as bytes. */
function hashFolder(folder: Folder, wide: boolean): string {
  const entries: Array<{ key: string; head: string; oid: string }> = [];
  let size = 0;
  for (const [name, entry] of folder) {
    const isTree = typeof entry !== 'string';
    const head = `${isTree ? '40000' : '100644'} ${name}\0`;
    size += Buffer.byteLength(head, 'utf8') + 20;
    // Git sorts a folder as if its name ended in "/", by bytes: "a-b" < "a.b" < folder "a" < "a0".
    entries.push({ key: isTree ? `${name}/` : name, head, oid: isTree ? hashFolder(entry, wide) : entry });
  }
  entries.sort((a, b) => (wide ? compareBytes(a.key, b.key) : compareStrings(a.key, b.key)));
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const e of entries) {
    at += body.write(e.head, at, 'utf8');
    at += body.write(e.oid, at, 'hex');
  }
  return createHash('sha1').update(`tree ${size}\0`).update(body).digest('hex');
}
