import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { diffLines, splitLines, unifiedDiff } from '../../src/diff/unified.js';

/** Applies an edit script to `a`, checking that kept and removed lines really are `a`'s. */
function apply(a: string[], script: ReturnType<typeof diffLines>): string[] {
  const out: string[] = [];
  let i = 0;
  for (const l of script) {
    if (l.op === '+') out.push(l.text);
    else {
      if (a[i] !== l.text) throw new Error(`line ${i} is ${a[i]}, script says ${l.text}`);
      if (l.op === ' ') out.push(l.text);
      i++;
    }
  }
  expect(i).toBe(a.length);
  return out;
}

/** Length of the longest common subsequence, by dynamic programming, to check minimality. */
function lcs(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
  return dp[a.length]![b.length]!;
}

describe('diffLines (Myers)', () => {
  it('one changed line in three → keep, -old, +new, keep', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
    ]);
  });

  it('empty → 2 lines is two insertions; 2 lines → empty is two deletions', () => {
    expect(
      diffLines([], ['a', 'b'])
        .map((l) => l.op)
        .join(''),
    ).toBe('++');
    expect(
      diffLines(['a', 'b'], [])
        .map((l) => l.op)
        .join(''),
    ).toBe('--');
  });

  it('ABCABBA → CBABAC needs 5 edits (Myers’ paper example: D = 5)', () => {
    const script = diffLines([...'ABCABBA'], [...'CBABAC']);
    expect(script.filter((l) => l.op !== ' ').length).toBe(5);
    expect(apply([...'ABCABBA'], script)).toEqual([...'CBABAC']);
  });

  it('property: the script turns a into b and keeps a longest common subsequence', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const script = diffLines(a, b);
        expect(apply(a, script)).toEqual(b);
        expect(script.filter((l) => l.op === ' ').length).toBe(lcs(a, b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('unifiedDiff', () => {
  it('equal texts give no diff', () => {
    expect(unifiedDiff('live/x', 'desired/x', 'a\nb\n', 'a\nb\n')).toBe('');
  });

  it('replicas 6 → 5 in a 9-line file: one hunk with 3 lines of context each side', () => {
    const before =
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: nginx',
        'spec:',
        '  replicas: 6',
        '  selector:',
        '    matchLabels:',
        '      app: nginx',
      ].join('\n') + '\n';
    const after = before.replace('replicas: 6', 'replicas: 5');
    expect(unifiedDiff('live/c/default/deployment-nginx.yaml', 'desired/c/default/deployment-nginx.yaml', before, after)).toBe(
      [
        '--- live/c/default/deployment-nginx.yaml',
        '+++ desired/c/default/deployment-nginx.yaml',
        '@@ -3,7 +3,7 @@',
        ' metadata:',
        '   name: nginx',
        ' spec:',
        '-  replicas: 6',
        '+  replicas: 5',
        '   selector:',
        '     matchLabels:',
        '       app: nginx',
        '',
      ].join('\n'),
    );
  });

  it('a new file is one hunk @@ -0,0 +1,N @@ from /dev/null', () => {
    expect(unifiedDiff('/dev/null', 'desired/a.yaml', '', 'a: 1\nb: 2\n')).toBe(
      '--- /dev/null\n+++ desired/a.yaml\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n',
    );
  });

  it('a deleted single-line file is @@ -1 +0,0 @@', () => {
    expect(unifiedDiff('live/a.yaml', '/dev/null', 'a: 1\n', '')).toBe('--- live/a.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a: 1\n');
  });

  it('changes 10 lines apart make two hunks (the second @@ -10,7 +10,7 @@); 6 apart (context windows touch) make one', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const edit = (idx: number[]) => lines.map((l, i) => (idx.includes(i) ? `${l}!` : l)).join('\n') + '\n';
    const base = lines.join('\n') + '\n';
    expect(unifiedDiff('a', 'b', base, edit([2, 12])).match(/^@@/gm)?.length).toBe(2);
    expect(unifiedDiff('a', 'b', base, edit([2, 8])).match(/^@@/gm)?.length).toBe(1);
    expect(unifiedDiff('a', 'b', base, edit([2, 12]))).toContain('@@ -10,7 +10,7 @@');
  });

  it('an insertion after line 3 of 3 is @@ -1,3 +1,4 @@ (context before, nothing after)', () => {
    expect(unifiedDiff('a', 'b', 'x\ny\nz\n', 'x\ny\nz\nw\n')).toBe('--- a\n+++ b\n@@ -1,3 +1,4 @@\n x\n y\n z\n+w\n');
  });

  it('splitLines: a trailing newline makes no extra line', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
  });
});
