// The `rollout` block of a Kurator Application read from its file (findApplications: parsed by
// parseRolloutConfig, each problem at its field's line) and attached to the workload it names in a
// sync policy's build output (attachRollout), which the traffic reader then takes as the annotation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { attachRollout } from '../../src/generate/app-rollout.js';
import { findApplications, type Application } from '../../src/generate/application.js';
import { ROLLOUT_ANNOTATION, trafficDeclarations } from '../../src/traffic/declarations.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';
import { buildFleetModel } from '../../src/fleet/build.js';
import { parseFleetFiles } from '../../src/load/parse.js';
import { FIXTURES } from '../helpers/fleet.js';

const KURATOR = readFileSync(path.join(FIXTURES, 'traffic/kurator-canary-application.yaml'), 'utf8');

function appOf(text: string): Application {
  const apps = findApplications([{ path: 'apps/rollout.yaml', text }]);
  expect(apps).toHaveLength(1);
  return apps[0]!;
}

const BUILT = [
  'apiVersion: v1',
  'kind: Service',
  'metadata:',
  '  name: backend',
  '  namespace: webapp',
  'spec:',
  '  ports:',
  '  - port: 9898',
  '---',
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: backend',
  '  namespace: webapp',
  'spec:',
  '  template:',
  '    spec:',
  '      containers:',
  '      - {name: backend, image: "backend:1"}',
  '',
].join('\n');

describe('an Application rollout block', () => {
  it("Kurator's canary example parses with no problem, at the line of its `rollout:` key", () => {
    const app = appOf(KURATOR);
    expect(app.rollouts).toHaveLength(1);
    const [r] = app.rollouts;
    expect(r!.problems).toEqual([]);
    expect(r!.line).toBe(KURATOR.split('\n').findIndex((l) => l.trim() === 'rollout:') + 1);
    expect(r!.config).toMatchObject({ serviceName: 'backend', port: 9898, steps: [10, 20, 30, 40, 50], checkIntervalSeconds: 90 });
  });

  it('each problem is at the line of its field; a block without workload is a problem of its own', () => {
    const bad = KURATOR.replace('              stepWeight: 10\n', '              stepWeight: 0\n').replace(
      / {8}workload:\n( {10}.*\n){4}/,
      '',
    );
    const app = appOf(bad);
    const stepLine = bad.split('\n').findIndex((l) => l.trim() === 'stepWeight: 0') + 1;
    const { problems } = app.rollouts[0]!;
    expect(problems).toContainEqual({
      line: stepLine,
      message: 'rollout.rolloutPolicy.trafficRouting.canaryStrategy.stepWeight: must be an integer from 1 to 100, got 0',
    });
    expect(problems).toContainEqual({ line: app.rollouts[0]!.line, message: expect.stringContaining('rollout.workload is required') });
    const out = attachRollout(BUILT, app, app.rollouts[0]!);
    expect(out).toEqual({
      problem: {
        code: 'ROLLOUT_INVALID',
        file: 'apps/rollout.yaml',
        line: stepLine,
        message: expect.stringMatching(/stepWeight: must be .*; rollout\.workload is required.* \(line \d+\)$/),
      },
    });
  });

  it('attaches the block as written to the named workload only, leaving the other documents byte for byte', () => {
    const app = appOf(KURATOR);
    const out = attachRollout(BUILT, app, app.rollouts[0]!);
    if (!('text' in out)) throw new Error(out.problem.message);
    expect(out.text.startsWith(BUILT.split('---')[0]!)).toBe(true);
    const deployment = parse(out.text.split('---\n')[1]!) as { metadata: { annotations: Record<string, string> } };
    expect(parse(deployment.metadata.annotations[ROLLOUT_ANNOTATION]!)).toEqual(parse(KURATOR).spec.syncPolicies[0].rollout);
    // The traffic reader takes it as a canary declaration of the Deployment, with Kurator's steps.
    const sink = new DiagnosticSink();
    const model = buildFleetModel(parseFleetFiles([{ path: 'built.yaml', text: out.text }], sink), sink);
    const { rollouts } = trafficDeclarations(model, sink);
    expect(rollouts.map((r) => [r.key, r.config.steps])).toEqual([['apps|Deployment|webapp|backend', [10, 20, 30, 40, 50]]]);
    expect(sink.items.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('a workload not in the output, of another kind, or already annotated is ROLLOUT_INVALID at the rollout block', () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        KURATOR.replace('namespace: webapp', 'namespace: other'),
        BUILT,
        /names apps\/v1 Deployment other\/backend, which this sync policy does not produce/,
      ],
      [KURATOR.replace('kind: Deployment', 'kind: DaemonSet'), BUILT, /applies to apps\/v1 Deployments and StatefulSets only/],
      [
        KURATOR,
        BUILT.replace(
          '  name: backend\n  namespace: webapp\nspec:\n  template',
          `  name: backend\n  namespace: webapp\n  annotations: {${ROLLOUT_ANNOTATION}: "x"}\nspec:\n  template`,
        ),
        /already carries a flotilla\.dev\/rollout annotation/,
      ],
    ];
    for (const [application, built, message] of cases) {
      const app = appOf(application);
      const out = attachRollout(built, app, app.rollouts[0]!);
      expect(out).toEqual({
        problem: {
          code: 'ROLLOUT_INVALID',
          file: 'apps/rollout.yaml',
          line: app.rollouts[0]!.line,
          message: expect.stringMatching(message),
        },
      });
    }
  });
});
