// status.yaml is bounded (issue 10 item 11): a 41 MB status.yaml crash-looped the daemon under its
// 1 Gi limit. Diagnostics, messages and failover events are capped with a summary of the rest; a
// revision of 2,500 broken files is recorded Invalid in a status of a few hundred KB (the CLI's test
// takes 20,000 through validate; this one checks the reconciler's path at a cost the suite can pay).
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_DIAGNOSTICS, type Diagnostic } from '../../src/model/diagnostics.js';
import { parseStatus, serializeStatus, STATUS_LIMITS, type ReconcileStatus } from '../../src/state/document.js';
import { statusReadme } from '../../src/state/readme.js';
import { cleanupRepos, git, makeRepo, makeTempDir } from '../helpers/git.js';
import { configFrom, reconcilerFor } from '../reconcile/harness.js';

afterAll(cleanupRepos);

const REV = 'a'.repeat(40);
const KB = 1024;

/** Everything that grows with what goes wrong, grown far past the limits. */
function hugeStatus(): ReconcileStatus {
  const diagnostics: Diagnostic[] = Array.from({ length: 50_000 }, (_, i) => ({
    severity: i % 2 === 0 ? 'error' : 'warning',
    code: i % 2 === 0 ? 'MANIFEST_MISSING_FIELD' : 'UNKNOWN_FIELD',
    message: `problem ${i} `.repeat(i === 0 ? 10_000 : 4),
    file: `apps/f${String(i).padStart(5, '0')}.yaml`,
    line: 1,
    column: 1,
  }));
  const long = 'x'.repeat(1024 * 1024);
  return {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'ReconcileStatus',
    source: { url: 'https://git.example.com/fleet.git', branch: 'main', path: '' },
    sourceRevision: REV,
    phase: 'Invalid',
    stage: 'load',
    reason: 'InvalidRevision',
    message: long,
    lastGoodRevision: null,
    reconciledAt: '2024-01-01T00:00:00.000Z',
    objects: { total: 0, created: 0, configured: 0, unchanged: 0, deleted: 0, failed: 0 },
    clusters: { east: { reachable: false, applied: 0, unchanged: 0, deleted: 0, failed: 3, ready: false, message: long } },
    targets: [
      {
        name: 'directory:out',
        type: 'directory',
        phase: 'Failed',
        created: 0,
        configured: 0,
        unchanged: 0,
        deleted: 0,
        failed: 3,
        message: long,
      },
    ],
    heldBack: null,
    placements: [],
    diagnostics,
    failover: {
      conditions: [{ cluster: 'east', ready: false, transitionAt: 1, streakSince: 1, lastProbeAt: 2, lastError: long }],
      events: Array.from({ length: 5000 }, (_, i) => ({ cluster: 'east', at: i, type: 'NotReady', message: `event ${i}` })),
    },
  };
}

describe('status.yaml size', () => {
  it('50,000 diagnostics, 1 MB messages and 5,000 failover events: under 400 KB, the rest summarised', () => {
    const text = serializeStatus(hugeStatus());
    expect(text.length).toBeLessThan(400 * KB);
    const back = parseStatus(text)!;
    expect(back.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(back.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(MAX_DIAGNOSTICS + 1); // errors first
    expect(back.diagnostics.at(-1)).toMatchObject({
      severity: 'error',
      code: 'DIAGNOSTICS_TRUNCATED',
      omitted: [
        { severity: 'error', code: 'MANIFEST_MISSING_FIELD', count: 24_000 },
        { severity: 'warning', code: 'UNKNOWN_FIELD', count: 25_000 },
      ],
    });
    expect(back.diagnostics[0]!.message).toMatch(/… \(\d+ more characters\)$/);
    expect(back.message.endsWith('… (1046616 more characters)')).toBe(true);
    for (const text of [back.message, back.targets[0]!.message!, back.clusters.east!.message!, back.failover!.conditions[0]!.lastError!])
      expect(text.length).toBeLessThanOrEqual(STATUS_LIMITS.text);
    expect(back.failover!.events).toHaveLength(STATUS_LIMITS.events);
    expect(back.failover!.events.at(-1)!.message).toBe('event 4999');
    // Writing what was read back changes nothing: the bounds are a fixed point.
    expect(serializeStatus(back)).toBe(text);
  });

  it('the status README stays within the same bounds', () => {
    const readme = statusReadme(hugeStatus());
    expect(readme.length).toBeLessThan(100 * KB);
    expect(readme).toContain('…and 801 more (see status.yaml).');
  });
});

describe('a revision of 2,500 broken files in the reconciler', () => {
  it('is Invalid with the true error count, and its status.yaml and README stay small', { timeout: 120_000 }, async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 2500; i++) files[`f${String(i).padStart(4, '0')}.yaml`] = `kind: ConfigMap\nmetadata:\n  name: c${i}\n`;
    const { dir, commit } = await makeRepo(files);
    const base = await makeTempDir('flotilla-status-bounds-');
    const { reconciler } = await reconcilerFor(configFrom(`source: {url: ${dir}}\ntargets:\n  - directory: {path: out}\n`, base));
    const o = await reconciler.reconcileOnce();
    expect({ phase: o.phase, stage: o.stage, reason: o.reason, revision: o.revision, message: o.message }).toMatchObject({
      phase: 'Invalid',
      stage: 'render',
      reason: 'InvalidRevision',
      revision: commit,
    });
    expect(o.message).toContain('is invalid (2500 errors; first: f0000.yaml:1 MANIFEST_MISSING_FIELD');
    const text = await git(dir, 'show', 'flotilla-status:status.yaml');
    expect(text.length).toBeLessThan(300 * KB);
    const doc = parse(text) as ReconcileStatus;
    expect(doc.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(doc.diagnostics.at(-1)).toMatchObject({ code: 'DIAGNOSTICS_TRUNCATED', severity: 'error' });
    expect((await git(dir, 'show', 'flotilla-status:README.md')).length).toBeLessThan(100 * KB);
  });
});
