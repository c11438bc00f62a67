// Kurator's rollout block (RolloutConfig/RolloutPolicy) read by parseRolloutConfig: the fixture in
// the Application shape, Kurator's defaults, and every mistake reported at its path, never guessed.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRolloutConfig } from '../../src/traffic/rollout-config.js';

const FIXTURE = 'fixtures/traffic/kurator-canary-application.yaml';

describe('parseRolloutConfig', () => {
  it("reads Kurator's canary example from an Application's syncPolicies[].rollout: steps 10..50", () => {
    const app = parse(readFileSync(FIXTURE, 'utf8')) as { spec: { syncPolicies: Array<{ rollout: unknown }> } };
    const { config, problems, notApplied } = parseRolloutConfig(app.spec.syncPolicies[0]!.rollout, FIXTURE);
    expect(problems).toEqual([]);
    expect(config).toEqual({
      workload: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'backend', namespace: 'webapp' },
      serviceName: 'backend',
      port: 9898,
      hosts: ['backend.webapp'],
      gateways: ['istio-system/public-gateway'],
      steps: [10, 20, 30, 40, 50],
      checkIntervalSeconds: 90,
      checkFailedTimes: 2,
      metrics: [
        { name: 'request-success-rate', min: 99, max: null, intervalSeconds: 90 },
        { name: 'request-duration', min: null, max: 500, intervalSeconds: 90 },
      ],
      rolloutTimeoutSeconds: 900,
      skipTrafficAnalysis: false,
      suspend: false,
      clusters: 'OneFirst',
    });
    expect(notApplied).toEqual(['testLoader', 'rolloutPolicy.trafficRouting.timeoutSeconds']);
  });

  it("fills Kurator's defaults: interval 60 s, timeout 600 s, maxWeight 100, hosts [serviceName]", () => {
    const { config } = parseRolloutConfig(
      { serviceName: 'web', port: 80, rolloutPolicy: { trafficRouting: { canaryStrategy: { stepWeight: 30 } } } },
      'x.yaml',
      'All',
    );
    expect(config).toMatchObject({
      steps: [30, 60, 90, 100],
      checkIntervalSeconds: 60,
      rolloutTimeoutSeconds: 600,
      hosts: ['web'],
      clusters: 'All',
    });
  });

  it('stepWeights are taken as given and must increase', () => {
    const ok = parseRolloutConfig(
      { serviceName: 'w', port: 1, rolloutPolicy: { trafficRouting: { canaryStrategy: { stepWeights: [1, 10, 20, 80] } } } },
      'f',
    );
    expect(ok.config?.steps).toEqual([1, 10, 20, 80]);
    const bad = parseRolloutConfig(
      { serviceName: 'w', port: 1, rolloutPolicy: { trafficRouting: { canaryStrategy: { stepWeight: 5, stepWeights: [20, 10] } } } },
      'f',
    );
    expect(bad.config).toBeNull();
    expect(bad.problems.map((p) => `${p.file} ${p.path.join('.')}: ${p.message}`)).toEqual([
      'f rolloutPolicy.trafficRouting.canaryStrategy.stepWeights: stepWeight and stepWeights cannot both be set (Kurator)',
      'f rolloutPolicy.trafficRouting.canaryStrategy.stepWeights: weights must increase from step to step',
    ]);
  });

  it('reports unknown fields, missing service and port, strategies flotilla does not implement', () => {
    const { config, problems } = parseRolloutConfig(
      { serviceNme: 'w', rolloutPolicy: { trafficRouting: { analysisTimes: 3 }, trafficAnalysis: { checkFailedTimes: 0 } } },
      'app.yaml',
    );
    expect(config).toBeNull();
    expect(problems.map((p) => p.path.join('.'))).toEqual([
      'serviceNme',
      'serviceName',
      'port',
      'rolloutPolicy.trafficRouting',
      'rolloutPolicy.trafficRouting',
      'rolloutPolicy.trafficAnalysis.checkFailedTimes',
    ]);
    expect(problems[3]!.message).toContain('not implemented: A/B testing and blue/green');
  });
});
