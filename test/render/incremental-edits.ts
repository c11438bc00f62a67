// Random commits of the incremental renderer's fleet (incremental-fleet.ts) for the property tests:
// every kind of edit, and the revision-wide ones (clusters, policies, overrides) every resource's
// schedule or render may depend on.
import fc from 'fast-check';
import { CLUSTERS, type FleetEdit } from './incremental-fleet.js';

const taint = fc.record({ op: fc.constant('taint' as const), cluster: fc.nat(CLUSTERS.length - 1) });
const weights = fc.record({
  op: fc.constant('weights' as const),
  policy: fc.nat(2),
  weights: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
});
const clusterNames = fc.record({ op: fc.constant('clusterNames' as const), policy: fc.nat(2), mask: fc.integer({ min: 1, max: 15 }) });
const override = (registries: readonly string[]) =>
  fc.record({ op: fc.constant('override' as const), registry: fc.constantFrom(...registries), cluster: fc.nat(3) });

/** Any edit of the fleet. */
export const fleetEdit: fc.Arbitrary<FleetEdit> = fc.oneof(
  fc.record({ op: fc.constant('replicas' as const), app: fc.nat(40), replicas: fc.integer({ min: 0, max: 12 }) }),
  fc.record({
    op: fc.constant('add' as const),
    namespace: fc.nat(1),
    group: fc.nat(2),
    replicas: fc.integer({ min: 1, max: 9 }),
    hpa: fc.boolean(),
  }),
  fc.record({ op: fc.constant('delete' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('rename' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('relabel' as const), app: fc.nat(40), group: fc.nat(2) }),
  weights,
  clusterNames,
  fc.record({
    op: fc.constant('mode' as const),
    policy: fc.nat(2),
    mode: fc.constantFrom('duplicated' as const, 'static' as const, 'dynamic' as const),
  }),
  taint,
  override(['registry.example.com', 'mirror.example.org', 'eu.example.net']),
  fc.record({ op: fc.constant('break' as const), app: fc.nat(40) }),
  fc.record({ op: fc.constant('fix' as const) }),
);

/** Edits every resource's schedule or render may depend on: clusters, policies, overrides (each changes the registry). */
export const revisionWideEdit: fc.Arbitrary<FleetEdit> = fc.oneof(
  taint,
  weights,
  clusterNames,
  override(['mirror.example.org', 'eu.example.net']),
);
