// flotilla validate --strict: warnings are errors (exit 1), for CI; info notes stay notes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeIO, ROOT } from '../helpers/cli.js';

const SEED = path.join(ROOT, 'fixtures/seed');
const BAD = path.join(ROOT, 'fixtures/bad');

async function validate(...args: string[]) {
  const io = fakeIO();
  const code = await main(['validate', ...args], io, {});
  return { code, out: io.out, err: io.err };
}

describe('flotilla validate --strict', () => {
  it('the seed (warnings, no errors): exit 0 without --strict, 1 with it, each warning printed as an error', async () => {
    const plain = await validate('--repo', SEED);
    expect(plain.code).toBe(0);
    const warnings = plain.out.split('\n').filter((l) => / warning [A-Z_]+: /.test(l));
    expect(warnings.length).toBeGreaterThan(0);
    const strict = await validate('--repo', SEED, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.out).not.toMatch(/ warning [A-Z_]+: /);
    for (const w of warnings) expect(strict.out).toContain(w.replace(' warning ', ' error '));
    expect(strict.out).toMatch(/^invalid: .*; \d+ errors, 0 warnings \(--strict: warnings count as errors\)$/m);
    expect(strict.out).toContain(' info NOT_APPLICABLE: '); // notes are not promoted
  });

  it.each(['fixtures/kurator', 'fixtures/kurator-published'])('Kurator’s own forms (%s) pass --strict', async (dir) => {
    const strict = await validate('--repo', path.join(ROOT, dir), '--strict');
    expect(strict.out).toMatch(/^valid: .*; 0 errors, 0 warnings/m);
    expect(strict.code).toBe(0);
  });

  it('json and github formats carry the promoted severity', async () => {
    const json = JSON.parse((await validate('--repo', path.join(BAD, 'unknown-cluster'), '--strict', '--format', 'json')).out) as {
      valid: boolean;
      diagnostics: Array<{ severity: string; code: string }>;
    };
    expect(json.valid).toBe(false);
    expect(json.diagnostics.find((d) => d.code === 'UNKNOWN_CLUSTER')?.severity).toBe('error');
    const github = await validate('--repo', path.join(BAD, 'unknown-cluster'), '--strict', '--format', 'github');
    expect(github.code).toBe(1);
    expect(github.out).toMatch(/^::error file=policy\.yaml,line=14,.*title=UNKNOWN_CLUSTER::/m);
  });

  it('a fleet with no warnings passes --strict; a schema error fails with or without it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-strict-'));
    try {
      writeFileSync(
        path.join(dir, 'fleet.yaml'),
        `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata: {name: east}
spec: {region: us-east}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
data: {level: info}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: settings, namespace: default}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: settings}]
  placement: {clusterAffinity: {clusterNames: [east]}}
`,
      );
      const clean = await validate('--repo', dir, '--strict');
      expect(clean.out).toMatch(/^valid: .*; 0 errors, 0 warnings/m);
      expect(clean.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await validate('--repo', path.join(BAD, 'hpa-min-greater-than-max'), '--strict')).code).toBe(1);
    const schema = await validate('--repo', path.join(BAD, 'configmap-value-not-string'));
    expect(schema.code).toBe(1);
    expect(schema.out).toContain(
      'settings.yaml:7:3: error SCHEMA_TYPE: ConfigMap default/settings: data.example must be a string, found number 1',
    );
  });
});
