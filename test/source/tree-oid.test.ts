// treeOidOfFiles (src/source/tree-oid.ts): the tree oid computed in memory from (path, blob oid)
// pairs is the one the real git CLI writes for those files, including git's ordering rule (a
// folder sorts as if its name ended in "/"), so the render index's check proves what it claims.
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRepos, git, makeRepo } from '../helpers/git.js';
import { treeOidOfFiles } from '../../src/source/tree-oid.js';

afterAll(cleanupRepos);

/** The files of a tree as git lists them (path → blob oid), and the tree's oid. */
async function gitTree(dir: string, treeish: string): Promise<{ oid: string; files: Array<[string, string]> }> {
  const listing = await git(dir, 'ls-tree', '-r', '-z', treeish);
  const files = listing
    .split('\0')
    .filter((l) => l !== '')
    .map((l) => {
      const [meta, p] = l.split('\t') as [string, string];
      return [p, meta.split(' ')[2]!] as [string, string];
    });
  return { oid: await git(dir, 'rev-parse', treeish), files };
}

describe('treeOidOfFiles', () => {
  it('equals the tree oid git writes, for names that exercise its ordering rule', async () => {
    const files = {
      // Folder a sorts after a-b and a.b ("a/"), where a file a would sort before them.
      'a-b': 'dash\n',
      'a.b': 'dot\n',
      'a/x.yaml': 'in a\n',
      'a/y/z.yaml': 'deeper\n',
      'a0/q': 'after a/\n',
      'b.d/c': 'folder with a dot\n',
      'b.d.e': 'file after it\n',
      'b/c': 'folder b\n',
      'c1/default/configmap-cm-1.yaml': 'kind: ConfigMap\n',
      'c1/default-x/configmap-cm-1.yaml': 'kind: ConfigMap\n',
      'c1/default.x': 'x\n',
      'c1/d': 'a file before d-x and d.x\n',
      'c1/d-x': 'x\n',
      'c1/d.x': 'x\n',
      'Z/upper': 'upper case sorts first\n',
      'é/ü.yaml': 'not ascii\n',
      // UTF-16 puts the surrogate pair of 😀 before U+E000; UTF-8, as git compares, after it.
      'w/\u{1F600}': 'outside the BMP\n',
      'w/\ue000': 'private use\n',
    };
    const { dir } = await makeRepo(files);
    const root = await gitTree(dir, 'HEAD^{tree}');
    expect(root.files).toHaveLength(Object.keys(files).length);
    // In any order of the pairs.
    expect(treeOidOfFiles(root.files)).toBe(root.oid);
    expect(treeOidOfFiles([...root.files].reverse())).toBe(root.oid);
    // A folder met again after another one's files (w/ holds two).
    const [w1, w2] = root.files.filter(([p]) => p.startsWith('w/'));
    const notW = root.files.filter(([p]) => !p.startsWith('w/'));
    expect(treeOidOfFiles([w1!, ...notW, w2!])).toBe(root.oid);
    // Names all ASCII (written a byte a character).
    const ascii = root.files.filter(([p]) => !/[\u0080-\uffff]/.test(p));
    const asciiRepo = await makeRepo(Object.fromEntries(Object.entries(files).filter(([p]) => !/[\u0080-\uffff]/.test(p))));
    expect(treeOidOfFiles(ascii)).toBe((await gitTree(asciiRepo.dir, 'HEAD^{tree}')).oid);
    // A subtree, with paths relative to it (the status branch's manifests/).
    const sub = await gitTree(dir, 'HEAD:c1');
    expect(treeOidOfFiles(sub.files)).toBe(sub.oid);
  });

  it('differs when one blob, one path or one file more differs, and refuses pairs that are no tree', async () => {
    const { dir } = await makeRepo({ 'a/b.yaml': '1\n', 'a/c.yaml': '2\n', d: '3\n' });
    const { oid, files } = await gitTree(dir, 'HEAD^{tree}');
    const [first, ...rest] = files as [[string, string], ...Array<[string, string]>];
    expect(treeOidOfFiles([[first[0], 'f'.repeat(40)], ...rest])).not.toBe(oid);
    expect(treeOidOfFiles([[`${first[0]}x`, first[1]], ...rest])).not.toBe(oid);
    expect(treeOidOfFiles(rest)).not.toBe(oid);
    expect(treeOidOfFiles([...files, ['e', first[1]]])).not.toBe(oid);
    expect(treeOidOfFiles([...files, first])).toBeNull();
    expect(treeOidOfFiles([...files, ['a', first[1]]])).toBeNull();
    expect(treeOidOfFiles([...files, ['d/x', first[1]]])).toBeNull();
    expect(treeOidOfFiles([['a//b', first[1]]])).toBeNull();
    expect(treeOidOfFiles([['../b', first[1]]])).toBeNull();
    expect(treeOidOfFiles([['b', 'not an oid']])).toBeNull();
    expect(treeOidOfFiles([])).toBe(await git(dir, 'hash-object', '-t', 'tree', '/dev/null'));
  });
});
