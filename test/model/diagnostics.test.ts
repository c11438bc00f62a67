// The diagnostic sink's bound (issue 10 item 11): at most MAX_DIAGNOSTICS kept, the rest counted by
// severity and code in one DIAGNOSTICS_TRUNCATED summary, whatever order they come in.
import { describe, expect, it } from 'vitest';
import { boundDiagnostics, DiagnosticSink, MAX_DIAGNOSTICS, type Diagnostic } from '../../src/model/diagnostics.js';
import { countDiagnostics, formatDiagnosticsGithub, summarizeDiagnostics } from '../../src/model/diagnostics-format.js';

const at = (i: number) => ({ file: `f${String(i).padStart(6, '0')}.yaml`, line: 1, column: 1 });

/** Reports `n` errors and `n` warnings, interleaved in the order `order` gives. */
function fill(sink: DiagnosticSink, n: number, order: (i: number) => number = (i) => i): void {
  for (let k = 0; k < n; k++) {
    const i = order(k);
    sink.warn('UNKNOWN_FIELD', `field ${i}`, at(i));
    sink.error('MANIFEST_MISSING_FIELD', 'apiVersion is missing', at(i));
  }
}

describe('DiagnosticSink bound', () => {
  it(`keeps ${MAX_DIAGNOSTICS}, errors before warnings, and counts the rest by severity and code in one summary`, () => {
    const sink = new DiagnosticSink();
    fill(sink, 1500);
    const items = sink.sorted();
    expect(items).toHaveLength(MAX_DIAGNOSTICS + 1);
    const kept = items.slice(0, -1);
    // 1,500 errors: the first 1,000 by file are kept, no warning is.
    expect(new Set(kept.map((d) => d.code))).toEqual(new Set(['MANIFEST_MISSING_FIELD']));
    expect(kept[0]!.file).toBe('f000000.yaml');
    expect(kept.at(-1)!.file).toBe('f000999.yaml');
    expect(items.at(-1)).toEqual({
      severity: 'error',
      code: 'DIAGNOSTICS_TRUNCATED',
      message:
        '2000 more diagnostics not shown (at most 1000 are kept): ' +
        '500 errors (500 MANIFEST_MISSING_FIELD); 1500 warnings (1500 UNKNOWN_FIELD)',
      file: null,
      line: null,
      column: null,
      omitted: [
        { severity: 'error', code: 'MANIFEST_MISSING_FIELD', count: 500 },
        { severity: 'warning', code: 'UNKNOWN_FIELD', count: 1500 },
      ],
    });
    expect(sink.hasErrors()).toBe(true);
    expect(countDiagnostics(items)).toEqual({ error: 1500, warning: 1500, info: 0 });
    expect(summarizeDiagnostics(items)).toBe('1500 errors, 1500 warnings');
  });

  it('which ones are kept never depends on the order they were found', () => {
    const forward = new DiagnosticSink();
    const backward = new DiagnosticSink();
    const shuffled = new DiagnosticSink();
    fill(forward, 3000);
    fill(backward, 3000, (k) => 2999 - k);
    fill(shuffled, 3000, (k) => (k * 7919) % 3000);
    expect(backward.sorted()).toEqual(forward.sorted());
    expect(shuffled.sorted()).toEqual(forward.sorted());
  });

  it('the summary has the severity of the worst left out: warnings only → a warning; nothing left out → no summary', () => {
    const warnings = new DiagnosticSink(undefined, 10);
    for (let i = 0; i < 25; i++) warnings.warn('UNKNOWN_FIELD', `f ${i}`, at(i));
    expect(warnings.items.at(-1)).toMatchObject({ severity: 'warning', code: 'DIAGNOSTICS_TRUNCATED', omitted: [{ count: 15 }] });
    expect(warnings.hasErrors()).toBe(false);
    const few = new DiagnosticSink(undefined, 10);
    for (let i = 0; i < 10; i++) few.warn('UNKNOWN_FIELD', `f ${i}`, at(i));
    expect(few.items.map((d) => d.code)).not.toContain('DIAGNOSTICS_TRUNCATED');
    // Report order is kept in items() when nothing was left out.
    expect(few.items.map((d) => d.message)).toEqual(Array.from({ length: 10 }, (_, i) => `f ${i}`));
  });

  it('bounded parts merge exactly: bounding per part then together equals bounding the whole, and bounding twice changes nothing', () => {
    const whole = new DiagnosticSink(undefined, 50);
    const parts = [new DiagnosticSink(undefined, 50), new DiagnosticSink(undefined, 50), new DiagnosticSink(undefined, 50)];
    for (let i = 0; i < 300; i++) {
      const report = (s: DiagnosticSink) =>
        i % 3 === 0 ? s.error('INVALID_NAME', `name ${i}`, at(i)) : s.warn('UNKNOWN_FIELD', `field ${i}`, at(i));
      report(whole);
      report(parts[i % 3]!);
    }
    const merged = boundDiagnostics(
      parts.flatMap((p) => p.items),
      50,
    );
    expect(merged).toEqual(whole.sorted());
    expect(boundDiagnostics(merged, 50)).toEqual(merged);
    expect(parts[0]!.has('INVALID_NAME')).toBe(true);
  });

  it('holds a bounded number of diagnostics however many are reported (a million: the heap grows by far less than they weigh)', () => {
    const sink = new DiagnosticSink();
    const before = process.memoryUsage().heapUsed;
    const kept: Diagnostic[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const d = sink.error('MANIFEST_MISSING_FIELD', `apiVersion is missing in document ${i}`, at(i));
      if (i < 3) kept.push(d);
    }
    const grown = process.memoryUsage().heapUsed - before;
    // Kept whole, a million such diagnostics take over 200 MB.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    const items = sink.sorted();
    expect(items).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(items.at(-1)!.omitted).toEqual([{ severity: 'error', code: 'MANIFEST_MISSING_FIELD', count: 999_000 }]);
  });

  it('github annotations: the summary is one file-less annotation', () => {
    const sink = new DiagnosticSink(undefined, 2);
    for (let i = 0; i < 5; i++) sink.error('INVALID_NAME', `bad ${i}`, at(i));
    const lines = formatDiagnosticsGithub(sink.sorted()).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(
      '::error title=DIAGNOSTICS_TRUNCATED::3 more diagnostics not shown (at most 2 are kept): 3 errors (3 INVALID_NAME)',
    );
  });
});
