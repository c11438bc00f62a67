// Sticky claims and preemption (docs/reference/semantics.md §2.2, Karmada pkg/detector/preemption.go):
// the previous revision's claim is kept unless its policy is gone, no longer selects the resource,
// or a policy with preemption Always preempts it. Each case renders two revisions, the second with
// the first's render document as its previous result (what --previous FILE and the status branch give).
import { describe, expect, it } from 'vitest';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { previousFromJson, renderJson } from '../../src/render/contract.js';
import { IncrementalRenderer } from '../../src/render/incremental.js';
import { explainText } from '../../src/cli/commands/explain.js';
import { policyContest } from '../../src/placement/contest.js';
import { karmadaClustersYaml } from '../helpers/fleet.js';

const CLUSTERS = karmadaClustersYaml(['member-a', 'member-b', 'member-c']);

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
`;

interface PolicyOptions {
  kind?: 'PropagationPolicy' | 'ClusterPropagationPolicy';
  priority?: number;
  preemption?: 'Always' | 'Never';
  /** The selector: by name (default) or by label. */
  by?: 'name' | 'label';
}

function policy(name: string, cluster: string, o: PolicyOptions = {}): string {
  const kind = o.kind ?? 'PropagationPolicy';
  const selector =
    o.by === 'label'
      ? `{apiVersion: apps/v1, kind: Deployment, labelSelector: {matchLabels: {app: web}}}`
      : `{apiVersion: apps/v1, kind: Deployment, name: web${kind === 'ClusterPropagationPolicy' ? ', namespace: default' : ''}}`;
  const priority = o.priority !== undefined ? `  priority: ${o.priority}\n` : '';
  const preemption = o.preemption ? `  preemption: ${o.preemption}\n` : '';
  return `apiVersion: policy.karmada.io/v1alpha1
kind: ${kind}
metadata: {name: ${name}${kind === 'PropagationPolicy' ? ', namespace: default' : ''}}
spec:
${priority}${preemption}  resourceSelectors: [${selector}]
  placement:
    clusterAffinity: {clusterNames: [${cluster}]}
`;
}

const files = (policies: Record<string, string>) =>
  Object.entries({ 'clusters.yaml': CLUSTERS, 'web.yaml': WEB, ...policies }).map(([path, text]) => ({ path, text }));

/** Renders `before` (claims made from scratch), then `after` with `before`'s render document as previous. */
function twoRevisions(before: Record<string, string>, after: Record<string, string>): { first: RenderResult; second: RenderResult } {
  const first = renderFleet({ files: files(before), revision: 'r1', previous: new Map() });
  const previous = previousFromJson(JSON.stringify(renderJson(first)), 'r1.json');
  const second = renderFleet({ files: files(after), revision: 'r2', previous });
  return { first, second };
}

const web = (r: RenderResult) => r.placements.find((p) => p.resource.name === 'web')!;
const claimedBy = (r: RenderResult) => web(r).policy?.name;
const clusters = (r: RenderResult) => web(r).clusters.map((c) => c.name);

const KEPT =
  'kept by PropagationPolicy default/low since revision r1; ' +
  'PropagationPolicy default/high (priority 10) does not preempt (preemption: Never)';

describe('sticky claims (§2.2)', () => {
  it('preemption Never (the default): a new higher-priority policy leaves the claim where it is', () => {
    const low = policy('low', 'member-a');
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'high.yaml': policy('high', 'member-b', { priority: 10 }) });
    expect(claimedBy(second)).toBe('low');
    expect(clusters(second)).toEqual(['member-a']);
    expect(web(second).claim).toMatchObject({ change: 'kept', since: 'r1', notPreempting: [{ name: 'high' }] });
    expect(web(second).claim!.reason).toBe(KEPT);
    // Without a previous result the same revision is claimed from scratch: the highest priority wins.
    expect(
      claimedBy(
        renderFleet({ files: files({ 'low.yaml': low, 'high.yaml': policy('high', 'member-b', { priority: 10 }) }), revision: 'r2' }),
      ),
    ).toBe('high');
  });

  it('preemption Always with a higher priority takes the resource', () => {
    const low = policy('low', 'member-a');
    const high = policy('high', 'member-b', { priority: 10, preemption: 'Always' });
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'high.yaml': high });
    expect(claimedBy(second)).toBe('high');
    expect(clusters(second)).toEqual(['member-b']);
    expect(web(second).claim).toMatchObject({ change: 'preempted', since: 'r2', previous: { name: 'low' } });
    expect(web(second).claim!.reason).toBe(
      'PropagationPolicy default/high (priority 10, preemption: Always) preempts PropagationPolicy default/low (priority 0)',
    );
  });

  it('preemption Always needs a strictly higher priority among policies of one kind', () => {
    const low = policy('low', 'member-a', { priority: 5 });
    const same = policy('same', 'member-b', { priority: 5, preemption: 'Always' });
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'same.yaml': same });
    expect(claimedBy(second)).toBe('low');
  });

  it('a PropagationPolicy with preemption Always preempts a ClusterPropagationPolicy whatever the priorities', () => {
    const cpp = policy('everything', 'member-a', { kind: 'ClusterPropagationPolicy', priority: 100 });
    const pp = policy('mine', 'member-c', { priority: -5, preemption: 'Always' });
    const { second } = twoRevisions({ 'cpp.yaml': cpp }, { 'cpp.yaml': cpp, 'pp.yaml': pp });
    expect(claimedBy(second)).toBe('mine');
    expect(clusters(second)).toEqual(['member-c']);
  });

  it('a PropagationPolicy without preemption does not take a resource a ClusterPropagationPolicy claims', () => {
    const cpp = policy('everything', 'member-a', { kind: 'ClusterPropagationPolicy' });
    const pp = policy('mine', 'member-c');
    const { second } = twoRevisions({ 'cpp.yaml': cpp }, { 'cpp.yaml': cpp, 'pp.yaml': pp });
    expect(claimedBy(second)).toBe('everything');
    expect(web(second).claim!.reason).toContain('PropagationPolicy default/mine (priority 0) does not preempt (preemption: Never)');
  });

  it('a ClusterPropagationPolicy never preempts a PropagationPolicy; a higher one preempts a ClusterPropagationPolicy', () => {
    const pp = policy('mine', 'member-a');
    const big = policy('big', 'member-b', { kind: 'ClusterPropagationPolicy', priority: 50, preemption: 'Always' });
    expect(claimedBy(twoRevisions({ 'pp.yaml': pp }, { 'pp.yaml': pp, 'big.yaml': big }).second)).toBe('mine');
    const small = policy('small', 'member-a', { kind: 'ClusterPropagationPolicy', priority: 1 });
    expect(claimedBy(twoRevisions({ 's.yaml': small }, { 's.yaml': small, 'big.yaml': big }).second)).toBe('big');
  });

  it('the claim is released when its policy is gone or no longer selects the resource, then made afresh', () => {
    const low = policy('low', 'member-a');
    const high = policy('high', 'member-b', { priority: 10 });
    const gone = twoRevisions(
      { 'low.yaml': low, 'other.yaml': policy('other', 'member-c', { priority: -1 }) },
      {
        'other.yaml': policy('other', 'member-c', { priority: -1 }),
      },
    ).second;
    expect(claimedBy(gone)).toBe('other');
    expect(web(gone).claim).toMatchObject({
      change: 'released',
      reason: 'PropagationPolicy/default/low is gone: claimed afresh by PropagationPolicy default/other',
    });

    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low.replace('name: web}', 'name: api}'), 'high.yaml': high });
    expect(claimedBy(second)).toBe('high');
    expect(web(second).claim).toMatchObject({ change: 'released' });
    expect(web(second).claim!.reason).toContain('no longer selects it');
  });

  it('a kept claim goes on from revision to revision with the revision it started at', () => {
    const low = policy('low', 'member-a');
    const both = files({ 'low.yaml': low, 'high.yaml': policy('high', 'member-b', { priority: 10 }) });
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'high.yaml': policy('high', 'member-b', { priority: 10 }) });
    const third = renderFleet({ files: both, revision: 'r3', previous: previousFromJson(JSON.stringify(renderJson(second)), 'r2.json') });
    expect(web(third).claim).toMatchObject({ change: 'kept', since: 'r1' });
    expect(JSON.stringify(renderJson(third))).toContain('"claimedSince":"r1"');
  });

  it('the incremental renderer keeps the same claims as the full render', () => {
    const low = policy('low', 'member-a');
    const high = policy('high', 'member-b', { priority: 10 });
    const renderer = new IncrementalRenderer();
    const first = renderer.update({ revision: 'r1', changes: files({ 'low.yaml': low }), previous: new Map() });
    const previous = previousFromJson(JSON.stringify(renderJson(first)), 'r1.json');
    const second = renderer.update({ revision: 'r2', changes: [{ path: 'high.yaml', text: high }], previous });
    const full = renderFleet({ files: files({ 'low.yaml': low, 'high.yaml': high }), revision: 'r2', previous });
    expect(claimedBy(second)).toBe('low');
    expect(JSON.stringify(renderJson(second))).toBe(JSON.stringify(renderJson(full)));
  });

  it('explain says which policy keeps the resource and why the others do not take it', () => {
    const low = policy('low', 'member-a', { by: 'label' });
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'high.yaml': policy('high', 'member-b', { priority: 10 }) });
    const text = explainText(web(second), policyContest(second.model, web(second)));
    expect(text).toContain(`claim:    ${KEPT}`);
    expect(text).toContain('✓ PropagationPolicy default/low (priority 0, selects it by label): claims it');
    expect(text).toContain(`  ✗ PropagationPolicy default/high (priority 10, selects it by name)\n      loses it: ${KEPT}`);
  });

  it('explain after a preemption: a policy that would win from scratch but does not preempt says why', () => {
    const low = policy('low', 'member-a');
    const mid = policy('mid', 'member-b', { priority: 5, preemption: 'Always' });
    const top = policy('top', 'member-c', { priority: 10 });
    const { second } = twoRevisions({ 'low.yaml': low }, { 'low.yaml': low, 'mid.yaml': mid, 'top.yaml': top });
    expect(claimedBy(second)).toBe('mid');
    const contest = policyContest(second.model, web(second));
    expect(contest.map((c) => [c.name, c.claims, c.lostBecause ?? ''])).toEqual([
      ['mid', true, ''],
      [
        'top',
        false,
        'PropagationPolicy default/mid (priority 5, preemption: Always) preempts PropagationPolicy default/low (priority 0); ' +
          'PropagationPolicy default/top (priority 10) does not preempt (preemption: Never)',
      ],
      ['low', false, 'lower priority (0 < 5)'],
    ]);
  });

  it('two tied policies: the one that keeps the claim is not reported as shadowing the other by name', () => {
    const b = policy('b', 'member-b');
    const a = policy('a', 'member-a');
    const { second } = twoRevisions({ 'b.yaml': b }, { 'a.yaml': a, 'b.yaml': b });
    expect(claimedBy(second)).toBe('b');
    expect(second.diagnostics.filter((d) => d.code === 'POLICY_SHADOWED')).toEqual([]);
    // From scratch, "a" wins on its name alone, which is reported.
    const fresh = renderFleet({ files: files({ 'a.yaml': a, 'b.yaml': b }), revision: 'r2' });
    expect(fresh.diagnostics.filter((d) => d.code === 'POLICY_SHADOWED')).toHaveLength(1);
  });
});
