// The take-over rule case by case: one row per rule, each a live object (or none), the desired
// object's ownership annotations, what the inventory recorded and the target's force, and what the
// apply stage may do — create, update (with the origin it keeps), adopt, or refuse with a conflict
// naming the object. Pure, so no cluster (prune-safety.test.ts and ownership.test.ts drive the
// same rule end to end against the test API server).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/api.js';
import { takeOver, withOriginMark, type TakeOver, type TakeOverInput } from '../../src/kube/take-over.js';
import { ADOPTED_ANNOTATION, CONFLICT_RESOLUTION_ANNOTATION, POLICY_ANNOTATION, PRUNE_ANNOTATION } from '../../src/objects/tracking.js';

/** A live ConfigMap kube-system/coredns with these managedFields (manager:operation) and annotations. */
function live(managers: string[], annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'coredns',
      namespace: 'kube-system',
      annotations,
      managedFields: managers.map((m) => ({ manager: m.split(':')[0], operation: m.split(':')[1], fieldsType: 'FieldsV1' })),
    },
    data: { Corefile: '.:53 {}' },
  };
}

function desired(annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'coredns',
      namespace: 'kube-system',
      annotations: { [POLICY_ANNOTATION]: 'PropagationPolicy/kube-system/dns', ...annotations },
    },
    data: { Corefile: '.:53 {}' },
  };
}

const OVERWRITE = { [CONFLICT_RESOLUTION_ANNOTATION]: 'Overwrite' };
const BASE: TakeOverInput = {
  live: null,
  desired: desired(),
  fieldManager: 'flotilla',
  recorded: undefined,
  force: false,
  describe: 'ConfigMap kube-system/coredns',
  cluster: 'c1',
};

interface Row {
  name: string;
  input: Partial<TakeOverInput>;
  expected: TakeOver['action'] | `update:${'created' | 'adopted'}`;
  message?: RegExp;
}

const ROWS: Row[] = [
  { name: 'nothing there: created', input: {}, expected: 'create' },
  { name: 'nothing there under Overwrite: created all the same', input: { desired: desired(OVERWRITE) }, expected: 'create' },
  {
    name: "flotilla's (its Apply entry): updated, created by flotilla",
    input: { live: live(['flotilla:Apply']) },
    expected: 'update:created',
  },
  {
    name: "flotilla's among other managers (a controller wrote status, kubectl edited)",
    input: { live: live(['kubectl-edit:Update', 'flotilla:Apply']) },
    expected: 'update:created',
  },
  {
    name: "flotilla's, the inventory says adopted: stays adopted",
    input: { live: live(['kubectl:Update', 'flotilla:Apply']), recorded: 'adopted' },
    expected: 'update:adopted',
  },
  {
    name: "flotilla's, marked flotilla.dev/adopted on the cluster (the inventory was lost): stays adopted",
    input: { live: live(['kubectl:Update', 'flotilla:Apply'], { [ADOPTED_ANNOTATION]: 'true' }) },
    expected: 'update:adopted',
  },
  {
    name: "someone else's (kubectl created it), default Abort: refused, naming the object, the cluster, its managers and the way out",
    input: { live: live(['kubectl-client-side-apply:Update']) },
    expected: 'refuse',
    message: new RegExp(
      '^ConfigMap kube-system/coredns already exists on cluster c1 and flotilla did not create it ' +
        '\\(field managers: kubectl-client-side-apply\\); conflictResolution Abort \\(policy PropagationPolicy/kube-system/dns\\) ' +
        'does not take it over — set spec\\.conflictResolution: Overwrite on the policy to adopt it$',
    ),
  },
  {
    name: "someone else's with identical values (what server-side apply would silently co-own): refused",
    input: { live: live(['kube-apiserver:Update']), desired: desired() },
    expected: 'refuse',
  },
  {
    name: "no managedFields at all: not provably flotilla's, refused",
    input: { live: live([]) },
    expected: 'refuse',
    message: /flotilla did not create it; conflictResolution Abort/,
  },
  {
    name: "flotilla's field manager with an Update, not an Apply: not flotilla's",
    input: { live: live(['flotilla:Update']) },
    expected: 'refuse',
  },
  {
    name: 'another configured field manager: the default one does not count',
    input: { live: live(['flotilla:Apply']), fieldManager: 'flotilla-ci' },
    expected: 'refuse',
  },
  {
    name: "a copied flotilla.dev/adopted mark does not make it flotilla's",
    input: { live: live(['kubectl:Update'], { [ADOPTED_ANNOTATION]: 'true' }) },
    expected: 'refuse',
  },
  {
    name: "the inventory claims it, but flotilla's Apply entry is gone: refused",
    input: { live: live(['kubectl:Update']), recorded: 'created' },
    expected: 'refuse',
  },
  {
    name: 'flotilla\'s Apply entry but handed off (prune "false", in no inventory): refused, saying so (red team)',
    input: { live: live(['flotilla:Apply', 'helm:Update'], { [PRUNE_ANNOTATION]: 'false' }) },
    expected: 'refuse',
    message: /^ConfigMap kube-system\/coredns already exists on cluster c1 and flotilla handed it off \(flotilla\.dev\/prune "false"/,
  },
  {
    name: 'handed off, under Overwrite: adopted (so released, never deleted, when dropped)',
    input: { live: live(['flotilla:Apply'], { [PRUNE_ANNOTATION]: 'disabled' }), desired: desired(OVERWRITE) },
    expected: 'adopt',
  },
  {
    name: 'prune "false" and in the inventory (the repository keeps it): flotilla\'s, updated',
    input: { live: live(['flotilla:Apply'], { [PRUNE_ANNOTATION]: 'false' }), recorded: 'created' },
    expected: 'update:created',
  },
  {
    name: "someone else's under Overwrite: adopted",
    input: { live: live(['kubectl:Update']), desired: desired(OVERWRITE) },
    expected: 'adopt',
  },
  {
    name: "someone else's, the target sets force: true: adopted whatever the policy says",
    input: { live: live(['helm:Update']), force: true },
    expected: 'adopt',
  },
  {
    name: 'a conflict-resolution value other than Overwrite is Abort',
    input: { live: live(['kubectl:Update']), desired: desired({ [CONFLICT_RESOLUTION_ANNOTATION]: 'overwrite!' }) },
    expected: 'refuse',
  },
  {
    name: 'no policy annotation (a Fleet placed it): the message says "its policy"',
    input: { live: live(['kubectl:Update']), desired: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns' } } },
    expected: 'refuse',
    message: /conflictResolution Abort \(its policy\)/,
  },
];

describe('takeOver', () => {
  it.each(ROWS)('$name → $expected', (row) => {
    const decision = takeOver({ ...BASE, ...row.input });
    if (row.expected.startsWith('update:')) expect(decision).toEqual({ action: 'update', origin: row.expected.slice(7) });
    else expect(decision.action).toBe(row.expected);
    if (row.message) expect(decision.action === 'refuse' ? decision.message : '').toMatch(row.message);
  });

  it('every action has a row', () => {
    const actions = new Set(ROWS.map((r) => r.expected.split(':')[0]));
    expect([...actions].sort()).toEqual(['adopt', 'create', 'refuse', 'update']);
  });
});

describe('withOriginMark', () => {
  it('an adopted object is sent marked flotilla.dev/adopted: "true", its other annotations kept', () => {
    const sent = withOriginMark(desired(OVERWRITE), 'adopted');
    expect((sent.metadata as { annotations: Record<string, string> }).annotations).toEqual({
      [POLICY_ANNOTATION]: 'PropagationPolicy/kube-system/dns',
      ...OVERWRITE,
      [ADOPTED_ANNOTATION]: 'true',
    });
  });
  it('a created object is sent as rendered', () => {
    const d = desired();
    expect(withOriginMark(d, 'created')).toBe(d);
  });
});
