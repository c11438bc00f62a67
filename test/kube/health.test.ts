import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { objectHealth, rollUpHealth, worstHealth, type HealthStatus } from '../../src/kube/health.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/health');
const STATES: Record<string, HealthStatus> = {
  healthy: 'Healthy',
  progressing: 'Progressing',
  degraded: 'Degraded',
  suspended: 'Suspended',
};

describe('health per kind: fixtures/health/<kind>-<state>[-detail].yaml', () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  it('has golden inputs for Deployment, StatefulSet, DaemonSet, Job and a kind without rollout', () => {
    expect(new Set(files.map((f) => f.split('-')[0]))).toEqual(new Set(['deployment', 'statefulset', 'daemonset', 'job', 'configmap']));
  });
  for (const file of files) {
    const expected = STATES[file.replace('.yaml', '').split('-')[1]!]!;
    it(`${file} → ${expected}`, () => {
      const obj = parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, unknown>;
      expect(objectHealth(obj).status).toBe(expected);
    });
  }
  it('messages say what is waited for: "1 of 3 replicas updated"', () => {
    const obj = parse(readFileSync(path.join(DIR, 'deployment-progressing.yaml'), 'utf8')) as Record<string, unknown>;
    expect(objectHealth(obj).message).toBe('1 of 3 replicas updated');
  });
  it('an object that does not exist is Missing', () => {
    expect(objectHealth(null).status).toBe('Missing');
  });
});

describe('roll-up', () => {
  it('Healthy + Progressing + Degraded → Degraded; nothing → Healthy', () => {
    expect(worstHealth(['Healthy', 'Progressing', 'Degraded'])).toBe('Degraded');
    expect(worstHealth([])).toBe('Healthy');
  });
  it('counts per status: 2 Healthy, 1 Missing → Missing', () => {
    expect(rollUpHealth(['Healthy', 'Missing', 'Healthy'])).toEqual({
      status: 'Missing',
      counts: { Healthy: 2, Suspended: 0, Progressing: 0, Missing: 1, Degraded: 0 },
    });
  });
});
