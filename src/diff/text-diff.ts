// Unified diffs of two texts, computed by jsdiff (the `diff` package); only the output is shaped
// here, to the bytes `flotilla diff` has always printed: git's hunk headers (`@@ -3 +3,2 @@`: a
// count of 1 is left out, which jsdiff's formatPatch always prints), no "\ No newline at end of
// file" marker (a missing final newline is not a difference of the object), and no `Index:` line.
// Where several shortest edit scripts exist (repeated lines), jsdiff keeps the earliest match, where
// git first sets aside the common head and tail: both are minimal, the golden diffs are the same.
import { structuredPatch } from 'diff';

/** A hunk header range: `start,count`, with git's conventions for empty ranges and single lines. */
function range(start: number, count: number): string {
  // An empty range names the line before it (`-0,0` for an insertion at the top).
  const at = count === 0 ? start - 1 : start;
  return count === 1 ? `${at}` : `${at},${count}`;
}

/** The text's lines, each ending in a newline: a trailing newline does not make an extra empty line. */
function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * A unified diff of two texts with `context` lines around each change, headed by `--- from` and
 * `+++ to`. Equal texts give ''. Always ends in a newline when not empty.
 */
export function unifiedDiff(from: string, to: string, oldText: string, newText: string, context = 3): string {
  if (oldText === newText) return '';
  const out = [`--- ${from}`, `+++ ${to}`];
  const { hunks } = structuredPatch(from, to, withFinalNewline(oldText), withFinalNewline(newText), undefined, undefined, { context });
  // Texts differ only in a trailing newline; say so as diff does.
  if (hunks.length === 0) out.push('@@ trailing newline differs @@');
  for (const h of hunks) out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines);
  return out.join('\n') + '\n';
}
