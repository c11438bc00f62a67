import { describe, it, expect } from 'vitest';
import { unifiedDiff } from '../../src/diff/text-diff.js';

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

  it('a missing final newline is no difference of its own: no "\\ No newline at end of file" marker', () => {
    expect(unifiedDiff('a', 'b', 'x\ny', 'x\nz\n')).toBe('--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n');
  });

  it('texts that differ only in the final newline say so in place of a hunk', () => {
    expect(unifiedDiff('a', 'b', 'x\ny\n', 'x\ny')).toBe('--- a\n+++ b\n@@ trailing newline differs @@\n');
  });
});
