// Starting the shard manager: a broken management-cluster kubeconfig is reported without its secrets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/server/metrics.js';
import { shardManagerFromConfig } from '../../src/server/start-service.js';

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
