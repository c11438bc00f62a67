import { afterAll, describe, it, expect } from 'vitest';
import { planCommand } from '../../src/cli/commands/plan.js';
import { cleanupRepos } from '../helpers/git.js';
import { expectGolden } from '../helpers/golden.js';
import { PLAN_SCENARIOS, runCommand, scenarioRepo } from '../plan/scenarios.js';

afterAll(cleanupRepos);

const run = (argv: string[]) => runCommand(planCommand, argv);

const EXPECTED_EXIT: Record<string, number> = {
  'weight-change': 2,
  'taint-added': 2,
  'cluster-removed': 2,
  'spread-new-region': 2,
  'priority-takeover': 2,
  // A higher-priority policy without preemption: the claim is kept, only the policy is new.
  'priority-no-preemption': 2,
  'override-change': 2,
  'invalid-head': 1,
  // The safe defaults refuse a binding to cluster-admin (SCOPE_DENIED): the head is invalid.
  'cluster-admin-binding': 1,
};

describe('plan golden outputs on fixture pairs (seed → scenario)', () => {
  it('every scenario under fixtures/plan has an expected exit status', () => {
    expect(PLAN_SCENARIOS).toEqual(Object.keys(EXPECTED_EXIT).sort());
  });

  for (const name of PLAN_SCENARIOS) {
    it(`${name}: markdown, text and json match test/golden/plan/${name}.*; exit ${EXPECTED_EXIT[name]}`, async () => {
      const { dir, base, head } = await scenarioRepo(name);
      for (const [format, ext] of [
        ['markdown', 'md'],
        ['text', 'txt'],
        ['json', 'json'],
      ] as const) {
        const r = await run(['--repo', dir, '--base', base, '--head', head, '--format', format]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(EXPECTED_EXIT[name]);
        expectGolden(`plan/${name}.${ext}`, r.stdout);
      }
    });
  }

  it('taint-added --fresh: scheduled from scratch, shanghai empties and reviews-v2 becomes unschedulable', async () => {
    const { dir, base, head } = await scenarioRepo('taint-added');
    const r = await run(['--repo', dir, '--base', base, '--head', head, '--format', 'text', '--fresh']);
    expect(r.code).toBe(1);
    expectGolden('plan/taint-added-fresh.txt', r.stdout);
  });
});
