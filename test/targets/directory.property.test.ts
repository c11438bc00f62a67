// The directory target tells a layout path inside its root by the path's text: the same verdict as
// resolving it against the root (what it did per file before), for any root and any text.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClimbFreeLayoutPath } from '../../src/targets/directory.js';

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
