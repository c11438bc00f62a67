// A line diff (Myers' O(ND) algorithm) and git-style unified hunks, written here rather than taken
// from a dependency: `flotilla diff` needs only lines, and the output must be byte-stable.

/** One line of an edit script: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** Splits text into lines; a trailing newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * The shortest edit script turning `a` into `b` (Myers 1986, greedy forward search with a trace
 * for backtracking). Ties prefer deletions before insertions, as `diff -u` and git print them.
 */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  // Common prefix and suffix are cheap to strip and keep the search small for typical edits.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  return [
    ...a.slice(0, start).map((text) => ({ op: ' ' as const, text })),
    ...middle,
    ...a.slice(endA).map((text) => ({ op: ' ' as const, text })),
  ];
}

function myers(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((text) => ({ op: '+', text }));
  if (m === 0) return a.map((text) => ({ op: '-', text }));
  const max = n + m;
  const offset = max;
  let v: Int32Array = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      // Move down (insertion) from k+1, or right (deletion) from k-1, whichever reaches further.
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Backtrack through the saved frontiers to recover the path.
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: ' ', text: a[--x]! });
      y--;
    }
    if (d === 0) break;
    if (x === prevX) out.push({ op: '+', text: b[--y]! });
    else out.push({ op: '-', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: ' ', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** A hunk header range: `start,count`, with git's conventions for empty ranges and single lines. */
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  if (count === 1) return `${start}`;
  return `${start},${count}`;
}

/**
 * A unified diff of two texts with `context` lines around each change, headed by `--- from` and
 * `+++ to`. Equal texts give ''. Always ends in a newline when not empty.
 */
export function unifiedDiff(from: string, to: string, oldText: string, newText: string, context = 3): string {
  if (oldText === newText) return '';
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const lines = diffLines(a, b);
  const out = [`--- ${from}`, `+++ ${to}`];
  // Group changes whose context windows touch into one hunk.
  const changed = lines.map((l, i) => (l.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) {
    // Texts differ only in a trailing newline; say so as diff does.
    out.push('@@ trailing newline differs @@');
    return out.join('\n') + '\n';
  }
  let i = 0;
  while (i < changed.length) {
    const first = changed[i]!;
    let last = first;
    while (i + 1 < changed.length && changed[i + 1]! - last <= 2 * context + 1) last = changed[++i]!;
    i++;
    const from0 = Math.max(0, first - context);
    const to0 = Math.min(lines.length - 1, last + context);
    // Line numbers where the hunk starts in each file: count the lines before it.
    let oldLine = 1;
    let newLine = 1;
    for (let j = 0; j < from0; j++) {
      if (lines[j]!.op !== '+') oldLine++;
      if (lines[j]!.op !== '-') newLine++;
    }
    const body = lines.slice(from0, to0 + 1);
    const oldCount = body.filter((l) => l.op !== '+').length;
    const newCount = body.filter((l) => l.op !== '-').length;
    out.push(
      `@@ -${range(oldCount === 0 ? oldLine - 1 : oldLine, oldCount)} +${range(newCount === 0 ? newLine - 1 : newLine, newCount)} @@`,
    );
    for (const l of body) out.push(`${l.op}${l.text}`);
  }
  return out.join('\n') + '\n';
}
