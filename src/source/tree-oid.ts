// Git's tree oid of a set of files, computed in memory: what `git write-tree` would give for a
// folder holding exactly those files (mode 100644). Equal to a commit's tree oid, it proves the
// files are that tree's, path for path and blob for blob, without reading a single tree object
// (the render index's check, issue 13). Pure: no I/O.
import { createHash } from 'node:crypto';
import { compareStrings } from '../model/order.js';

/** A folder being built: name → blob oid (a file) or a folder. */
type Folder = Map<string, string | Folder>;

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

const OID = /^[0-9a-f]{40}$/;

/** Whether `s` is a full object id: 40 lowercase hex digits. */
export function isObjectId(s: string): boolean {
  return OID.test(s);
}

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
  let names: NameKind = NameKind.Ascii;
  for (const [p, oid] of files) {
    if (!OID.test(oid)) return null;
    const slash = p.lastIndexOf('/');
    const name = p.slice(slash + 1);
    // The same folder as the last file's: compared in place, without cutting its path out again.
    const sameDir = lastDir !== null && (slash < 0 ? lastDir === '' : slash === lastDir.length && p.startsWith(lastDir));
    if (!sameDir) {
      const dir = slash < 0 ? '' : p.slice(0, slash);
      const folder = dir === '' ? root : folderAt(root, dir.split('/'));
      if (folder === null) return null;
      lastDir = dir;
      lastFolder = folder;
      names = moreGeneral(names, nameKind(dir));
    }
    if (!validName(name) || lastFolder.has(name)) return null;
    lastFolder.set(name, oid);
    names = moreGeneral(names, nameKind(name));
  }
  return root.size === 0 ? EMPTY_TREE : hashFolder(root, names);
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

/**
 * What the names hold, which decides how a folder is sorted and written: ASCII (one byte a
 * character: compared and written as they are), other characters below U+D800 (UTF-16 order is
 * UTF-8 byte order), or wide (surrogates sort before U+E000–U+FFFF in UTF-16 only: compared as bytes).
 */
const NameKind = { Ascii: 0, Unicode: 1, Wide: 2 } as const;
type NameKind = (typeof NameKind)[keyof typeof NameKind];

const NON_ASCII = /[\u0080-\uffff]/;
const WIDE = /[\ud800-\uffff]/;

const moreGeneral = (a: NameKind, b: NameKind): NameKind => (a > b ? a : b);

function nameKind(name: string): NameKind {
  if (!NON_ASCII.test(name)) return NameKind.Ascii;
  return WIDE.test(name) ? NameKind.Wide : NameKind.Unicode;
}

const compareBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const FILE_MODE = '100644 ';
const TREE_MODE = '40000 ';

/** Git's tree object of one folder, its subfolders hashed first; returns its oid. `names`: how to sort and write them. */
function hashFolder(folder: Folder, names: NameKind): string {
  // Git sorts a folder as if its name ended in "/", by bytes: "a-b" < "a.b" < folder "a" < "a0".
  const keys: string[] = [];
  for (const [name, entry] of folder) keys.push(typeof entry === 'string' ? name : `${name}/`);
  const compare = names === NameKind.Wide ? compareBytes : compareStrings;
  // Files usually arrive in git's order already: checked in one pass before sorting.
  if (!keys.every((k, i) => i === 0 || compare(keys[i - 1]!, k) < 0)) keys.sort(compare);
  const encoding = names === NameKind.Ascii ? 'latin1' : 'utf8';
  let size = 0;
  for (const key of keys) {
    const isTree = key.endsWith('/');
    // mode, space, name, NUL, 20-byte oid (the "/" of a folder's key stands for the NUL).
    size += (isTree ? TREE_MODE.length : FILE_MODE.length + 1) + Buffer.byteLength(key, encoding) + 20;
  }
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const key of keys) {
    const isTree = key.endsWith('/');
    const name = isTree ? key.slice(0, -1) : key;
    const entry = folder.get(name)!;
    at += body.write(isTree ? TREE_MODE : FILE_MODE, at, 'latin1');
    at += body.write(name, at, encoding);
    body[at++] = 0;
    at += body.write(typeof entry === 'string' ? entry : hashFolder(entry, names), at, 'hex');
  }
  return createHash('sha1').update(`tree ${size}\0`).update(body).digest('hex');
}
