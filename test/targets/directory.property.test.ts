// The directory target tells a layout path inside its root by the path's text: the same verdict as
// resolving it against the root (what it did per file before), for any root and any text.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interleaveFolders, isClimbFreeLayoutPath } from '../../src/targets/directory.js';

/** The rule by resolution: below the root, and no segment empty or `..`. */
function insideByResolving(root: string, p: string): boolean {
  const abs = path.posix.resolve(root, p);
  return abs.startsWith(root + '/') && !p.split('/').some((s) => s === '..' || s === '');
}

const segment = fc.constantFrom('a', 'b.yaml', '.', '..', '...', '', ' ', '.a', 'a..', '\\', '..\\x', '~');

describe.runIf(path.sep === '/')('directory target: inside its root by the text of a layout path', () => {
  it('agrees with path.resolve on every path of dots, slashes and names, under any root', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('/tmp/out', '/', '/a/b/c'),
        fc.array(segment, { minLength: 0, maxLength: 6 }),
        fc.boolean(),
        (root, segments, absolute) => {
          const p = (absolute ? '/' : '') + segments.join('/');
          const rootHoldsChildren = path.posix.resolve(root, 'x').startsWith(root + '/');
          expect(rootHoldsChildren && isClimbFreeLayoutPath(p)).toBe(insideByResolving(root, p));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('directory target: the order of its writes (interleaveFolders)', () => {
  const folderOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

  it('writes every file once, one of each folder in turn, each folder in its own order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(fc.constantFrom('c1/default', 'c1/kube-system', 'c2/default', 'c3/x', ''), fc.integer({ min: 0, max: 40 })),
          { maxLength: 120, selector: ([f, n]) => `${f}/${n}` },
        ),
        (entries) => {
          const paths = entries.map(([f, n]) => (f === '' ? `f${n}.yaml` : `${f}/f${n}.yaml`));
          const out = interleaveFolders(paths);
          expect([...out].sort()).toEqual([...paths].sort());
          const folders = [...new Set(paths.map(folderOf))];
          for (const folder of folders)
            expect(out.filter((p) => folderOf(p) === folder)).toEqual(paths.filter((p) => folderOf(p) === folder));
          // Round by round: a folder's k-th file comes after every folder's (k-1)-th.
          const rank = new Map<string, number>();
          const seen = new Map<string, number>();
          for (const p of paths) {
            const f = folderOf(p);
            rank.set(p, seen.get(f) ?? 0);
            seen.set(f, (seen.get(f) ?? 0) + 1);
          }
          for (let i = 1; i < out.length; i++) expect(rank.get(out[i]!)!).toBeGreaterThanOrEqual(rank.get(out[i - 1]!)!);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spreads a plan that lists folder after folder', () => {
    const paths = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1'];
    expect(interleaveFolders(paths)).toEqual(['a/1', 'b/1', 'c/1', 'a/2', 'b/2', 'a/3']);
  });
});
