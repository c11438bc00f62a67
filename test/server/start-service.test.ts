// Starting the service: a broken management-cluster kubeconfig is reported without its secrets; cluster
// isolation is turned on for the service's passes, and a stop waits for the clusters still applying.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/server/metrics.js';
import type { ReconcileOutcome } from '../../src/reconcile/reconciler.js';
import { PASS_DEADLINE_MS, serveReconciler, shardManagerFromConfig } from '../../src/server/start-service.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-ha-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shardManagerFromConfig', () => {
  it('a malformed ha.kubeconfig fails with KUBECONFIG_UNREADABLE naming the file and line, never the token', () => {
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(file, 'apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: SUPERSECRETTOKEN123\n   bad: [indent\n');
    const ha = {
      shards: 3,
      leaseNamespace: 'flotilla',
      leaseName: 'flotilla',
      identityEnv: 'POD_NAME',
      kubeconfig: file,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    };
    let error: unknown;
    try {
      shardManagerFromConfig(ha, {
        env: {},
        log: createLogger({ json: true, write: () => {}, level: 'error' }),
        metrics: createMetrics(),
        onGained: () => {},
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'KUBECONFIG_UNREADABLE' });
    expect(String((error as Error).message)).toContain(file);
    expect(String((error as Error).message)).not.toContain('SUPERSECRETTOKEN123');
  });
});

describe('serveReconciler', () => {
  it('turns cluster isolation on (30 s); a stop waits for the pass, then for runs still applying, queued work dropped', async () => {
    const calls: string[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    const outcome = {
      revision: 'r',
      phase: 'Synced',
      stage: null,
      skipped: false,
      timings: {},
      durationMs: 1,
    } as unknown as ReconcileOutcome;
    const result = serveReconciler({
      reconciler: {
        status: null,
        reconcileOnce: async () => {
          calls.push('pass');
          stop();
          return outcome;
        },
        applyInBackground: (ms) => void calls.push(`background ${ms}`),
        settle: async (o) => void calls.push(`settle ${JSON.stringify(o)}`),
      },
      schedule: '0 0 1 1 *',
      branch: 'main',
      sections: { server: null, ha: null, webhookSecret: null },
      shards: null,
      metrics: createMetrics({ defaultMetrics: false }),
      stopSignal,
      log: silentLogger(),
    });
    expect((await result).clean).toBe(true);
    expect(PASS_DEADLINE_MS).toBe(30_000);
    expect(calls).toEqual(['background 30000', 'pass', 'settle {"dropQueued":true}']);
  });
});
