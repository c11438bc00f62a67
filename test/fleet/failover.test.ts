// spec.failover of a PropagationPolicy (src/fleet/failover.ts): Karmada's defaults for
// failover.application and the checks of its validating webhook, each at the line it is about;
// what flotilla does not implement (statePreservation, failover.cluster) stays an honest warning.
import { describe, expect, it } from 'vitest';
import { makeFieldLocator, parseFleetFiles, type SourceFile } from '../../src/load/parse.js';
import { buildFleetModel } from '../../src/fleet/build.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';

/** A PropagationPolicy whose spec.failover is `failover` (indented under it); line 8 is `failover:`. */
function policy(failover: string): string {
  return `apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: p, namespace: shop}
spec:
  resourceSelectors:
    - {apiVersion: apps/v1, kind: Deployment, name: web}
  placement: {}
  failover:
${failover
  .split('\n')
  .map((l) => (l ? `    ${l}` : l))
  .join('\n')}
`;
}

function build(text: string) {
  const files: SourceFile[] = [{ path: 'p.yaml', text }];
  const sink = new DiagnosticSink(makeFieldLocator(files));
  const model = buildFleetModel(parseFleetFiles(files, sink), sink);
  return {
    failover: model.propagationPolicies[0]?.applicationFailover,
    policies: model.propagationPolicies.length,
    diags: sink.items.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`),
    messages: sink.items.map((d) => d.message),
  };
}

describe('spec.failover.application', () => {
  it('Karmada’s defaults: tolerationSeconds 300, purgeMode Graciously with gracePeriodSeconds 600; no diagnostic', () => {
    const r = build(policy('application:\n  decisionConditions: {}\n'));
    expect(r.diags).toEqual([]);
    expect(r.failover).toEqual({ tolerationSeconds: 300, purgeMode: 'Graciously', gracePeriodSeconds: 600 });
  });

  it('each purgeMode as written; newer Karmada spellings Directly and Gracefully are the same modes', () => {
    const mode = (m: string, extra = '') =>
      build(policy(`application:\n  decisionConditions: {tolerationSeconds: 30}\n  purgeMode: ${m}\n${extra}`));
    expect(mode('Immediately').failover).toEqual({ tolerationSeconds: 30, purgeMode: 'Immediately', gracePeriodSeconds: null });
    expect(mode('Directly').failover?.purgeMode).toBe('Immediately');
    expect(mode('Never').failover).toEqual({ tolerationSeconds: 30, purgeMode: 'Never', gracePeriodSeconds: null });
    expect(mode('Gracefully', '  gracePeriodSeconds: 90\n').failover).toEqual({
      tolerationSeconds: 30,
      purgeMode: 'Graciously',
      gracePeriodSeconds: 90,
    });
  });

  it('the webhook’s rejections are INVALID_POLICY at their line, and the policy is left out', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['application:\n  decisionConditions: {tolerationSeconds: -1}\n', 'error INVALID_POLICY p.yaml:10', /must be >= 0/],
      [
        'application:\n  decisionConditions: {}\n  purgeMode: Sometimes\n',
        'error INVALID_POLICY p.yaml:11',
        /unsupported value "Sometimes"/,
      ],
      [
        'application:\n  decisionConditions: {}\n  purgeMode: Never\n  gracePeriodSeconds: 60\n',
        'error INVALID_POLICY p.yaml:12',
        /only takes effect when purgeMode is Graciously/,
      ],
      ['application:\n  decisionConditions: {}\n  gracePeriodSeconds: 0\n', 'error INVALID_POLICY p.yaml:11', /must be greater than 0/],
      ['application:\n  purgeMode: Never\n', 'error INVALID_POLICY p.yaml:9', /decisionConditions is required/],
    ];
    for (const [failover, diag, message] of cases) {
      const r = build(policy(failover));
      expect(r.diags, failover).toEqual([diag]);
      expect(r.messages[0]).toMatch(message);
      expect(r.policies).toBe(0);
    }
  });

  it('statePreservation and failover.cluster are not implemented: UNSUPPORTED_FIELD warnings, the failover still applies', () => {
    const r = build(
      policy(
        'application:\n  decisionConditions: {tolerationSeconds: 10}\n  purgeMode: Never\n' +
          '  statePreservation: {rules: [{aliasLabelName: a, jsonPath: "{ .x }"}]}\n' +
          'cluster: {purgeMode: Directly}\n',
      ),
    );
    expect(r.diags).toEqual(['warning UNSUPPORTED_FIELD p.yaml:13', 'warning UNSUPPORTED_FIELD p.yaml:12']);
    expect(r.messages[1]).toMatch(/statePreservation .*not injected/);
    expect(r.failover).toEqual({ tolerationSeconds: 10, purgeMode: 'Never', gracePeriodSeconds: null });
  });

  it('a typo inside failover.application is UNKNOWN_FIELD', () => {
    expect(build(policy('application:\n  decisionConditions: {tolerationSecs: 10}\n')).diags).toEqual(['error UNKNOWN_FIELD p.yaml:10']);
  });
});
