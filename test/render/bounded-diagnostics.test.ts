// The diagnostics bound in both renders: the incremental renderer collects diagnostics from many
// small sinks (per file, per resource) and must give exactly what renderFleet's one sink gives —
// the same 1,000 kept and the same DIAGNOSTICS_TRUNCATED counts — before and after a change.
import { describe, expect, it } from 'vitest';
import { MAX_DIAGNOSTICS } from '../../src/model/diagnostics.js';
import { IncrementalRenderer, type FileChange } from '../../src/render/incremental.js';
import { renderFleet } from '../../src/render/render-fleet.js';

const name = (i: number) => `f${String(i).padStart(4, '0')}.yaml`;
/** A ConfigMap without apiVersion (an error); fixed, it is a warning: no policy propagates it (NOT_PROPAGATED). */
function text(i: number, broken = true): string {
  return `${broken ? '' : 'apiVersion: v1\n'}kind: ConfigMap\nmetadata: {name: c${i}, namespace: default}\n`;
}

describe('bounded diagnostics: incremental equals full', () => {
  it('1,500 broken files, then 600 fixed and 10 new: the same kept diagnostics and the same summary', () => {
    const files = new Map<string, string>();
    for (let i = 0; i < 1500; i++) files.set(name(i), text(i));
    const engine = new IncrementalRenderer();
    const first = engine.update({ revision: 'r1', changes: [...files].map(([path, t]) => ({ path, text: t })) });
    const full = () => renderFleet({ files: [...files].sort().map(([path, t]) => ({ path, text: t })), revision: 'r' }).diagnostics;
    expect(first.diagnostics).toEqual(full());
    expect(first.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(first.diagnostics.at(-1)).toMatchObject({ code: 'DIAGNOSTICS_TRUNCATED', severity: 'error' });

    const changes: FileChange[] = [];
    for (let i = 0; i < 600; i++) changes.push({ path: name(i), text: text(i, false) });
    for (let i = 1500; i < 1510; i++) changes.push({ path: name(i), text: text(i) });
    for (const c of changes) files.set(c.path, c.text!);
    const second = engine.update({ revision: 'r2', changes });
    expect(second.diagnostics).toEqual(full());
    // 910 errors now fit beside 90 of the 600 warnings; the summary counts only warnings, so it is a warning.
    expect(second.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(910);
    expect(second.diagnostics.at(-1)).toMatchObject({ code: 'DIAGNOSTICS_TRUNCATED', severity: 'warning' });
  });
});
