// Sticky claims against Karmada's preemption rules stated from first principles (pkg/detector/
// preemption.go; docs/reference/semantics.md §2.2), over random sets of policies: the holder keeps
// the resource unless a policy with preemption Always that names it preempts — a PropagationPolicy
// a ClusterPropagationPolicy, or one of the holder's kind with a strictly higher priority.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildClaimIndex, claimResource, stickyClaim } from '../../src/placement/claim.js';
import type { FleetModel, Manifest, PropagationPolicy } from '../../src/model/types.js';

const SOURCE = { file: 'p.yaml', docIndex: 0, line: 1, column: 1 };
const WEB: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  name: 'web',
  namespace: 'default',
  object: { metadata: { name: 'web', namespace: 'default' } },
  source: SOURCE,
};

const policyArb = fc.record({
  cluster: fc.boolean(),
  priority: fc.integer({ min: -2, max: 3 }),
  always: fc.boolean(),
  byName: fc.boolean(),
});

function policies(specs: ReadonlyArray<{ cluster: boolean; priority: number; always: boolean; byName: boolean }>): PropagationPolicy[] {
  return specs.map((s, i) => ({
    kind: s.cluster ? 'ClusterPropagationPolicy' : 'PropagationPolicy',
    name: `p${i}`,
    namespace: s.cluster ? '' : 'default',
    priority: s.priority,
    // The webhook requires a name with preemption Always.
    preemption: s.always ? 'Always' : 'Never',
    resourceSelectors: [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', ...(s.byName || s.always ? { name: 'web' } : {}) },
    ],
    placement: { clusterTolerations: [], spreadConstraints: [] },
    conflictResolution: 'Abort',
    preserveResourcesOnDeletion: false,
    propagateDeps: false,
    dependentOverrides: [],
    source: SOURCE,
  }));
}

function mayPreempt(p: PropagationPolicy, holder: PropagationPolicy): boolean {
  if (p === holder || p.preemption !== 'Always') return false;
  if (p.kind === 'PropagationPolicy' && holder.kind === 'ClusterPropagationPolicy') return true;
  return p.kind === holder.kind && p.priority > holder.priority;
}

describe('stickyClaim (property)', () => {
  it('keeps the holder unless a policy may preempt it, and then gives the resource to one that may', () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 6 }), fc.nat(), (specs, pick) => {
        const all = policies(specs);
        const model = {
          propagationPolicies: all.filter((p) => p.kind === 'PropagationPolicy'),
          clusterPropagationPolicies: all.filter((p) => p.kind === 'ClusterPropagationPolicy'),
          fleets: [],
        } as unknown as FleetModel;
        const index = buildClaimIndex(model);
        const holder = all[pick % all.length]!;
        const previous = {
          clusters: [],
          policy: { kind: holder.kind, namespace: holder.namespace, name: holder.name },
          claimedSince: 'r1',
        };
        const claim = stickyClaim(index, WEB, previous, 'r2');
        expect(claim.kind).toBe('policy');
        if (claim.kind !== 'policy') return;
        const preemptors = all.filter((p) => mayPreempt(p, holder));
        if (preemptors.length === 0) {
          expect(claim.policy).toBe(holder);
          expect(claim.record).toMatchObject({ change: 'kept', since: 'r1' });
        } else {
          expect(preemptors).toContain(claim.policy);
          expect(claim.record).toMatchObject({ change: 'preempted', since: 'r2' });
          // A PropagationPolicy that may preempt goes first, then the highest priority.
          const kind = preemptors.some((p) => p.kind === 'PropagationPolicy') ? 'PropagationPolicy' : 'ClusterPropagationPolicy';
          expect(claim.policy.kind).toBe(kind);
          expect(claim.policy.priority).toBe(Math.max(...preemptors.filter((p) => p.kind === kind).map((p) => p.priority)));
        }
        // Without a previous claim, the claim is made from scratch.
        const fresh = claimResource(index, WEB);
        expect(stickyClaim(index, WEB, undefined, 'r2')).toMatchObject({
          kind: 'policy',
          policy: fresh.kind === 'policy' ? fresh.policy : null,
        });
      }),
      { numRuns: 500 },
    );
  });
});
