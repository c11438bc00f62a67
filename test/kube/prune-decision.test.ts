// The prune rule case by case: one row per rule and per combination that matters, each row an
// inventory entry, what was read of its live object and the pass's context, and the decision —
// delete, release (left on the cluster, flotilla's claim removed) or keep, with its reason. The
// rule is pure, so no cluster is needed (prune-safety.test.ts and reconcile/ownership.test.ts
// drive the same rules end to end against the test API server).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/api.js';
import {
  PRUNE_KEEP_REASONS,
  PRUNE_RELEASE_REASONS,
  pruneDecision,
  type LiveView,
  type PruneContext,
  type PruneKeepReason,
  type PruneReleaseReason,
} from '../../src/kube/prune-decision.js';
import { refOf, type InventoryEntry } from '../../src/kube/sync.js';
import {
  ADOPTED_ANNOTATION,
  CLUSTER_ANNOTATION,
  MANAGED_LABEL,
  MANAGED_VALUE,
  PRESERVE_ANNOTATION,
  PRUNE_ANNOTATION,
} from '../../src/objects/tracking.js';

interface Shape {
  label?: boolean;
  /** managedFields entries as manager:operation. */
  managers?: string[];
  /** flotilla.dev/cluster (null: none). */
  cluster?: string | null;
  prune?: string;
  /** flotilla.dev/adopted: "true" (the apply engine's mark on what it adopted). */
  adopted?: boolean;
  /** flotilla.dev/preserve-resources-on-deletion: "true" (the policy's preserveResourcesOnDeletion). */
  preserve?: boolean;
}

/** A live object; by default flotilla's own for cluster c1 (label, Apply entry, cluster annotation). */
function live(base: { apiVersion: string; kind: string; namespace?: string; name: string }, shape: Shape = {}): KubeObject {
  const { label = true, managers = ['flotilla:Apply'], cluster = 'c1', prune } = shape;
  const annotations: Record<string, string> = {};
  if (cluster !== null) annotations[CLUSTER_ANNOTATION] = cluster;
  if (prune !== undefined) annotations[PRUNE_ANNOTATION] = prune;
  if (shape.adopted) annotations[ADOPTED_ANNOTATION] = 'true';
  if (shape.preserve) annotations[PRESERVE_ANNOTATION] = 'true';
  return {
    apiVersion: base.apiVersion,
    kind: base.kind,
    metadata: {
      name: base.name,
      ...(base.namespace ? { namespace: base.namespace } : {}),
      ...(label ? { labels: { [MANAGED_LABEL]: MANAGED_VALUE } } : {}),
      annotations,
      managedFields: managers.map((m) => ({ manager: m.split(':')[0], operation: m.split(':')[1], fieldsType: 'FieldsV1' })),
    },
  };
}

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings' };
const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace', name: 'shop' };
const CRD = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
const CRD_V1BETA1 = { ...CRD, apiVersion: 'apiextensions.k8s.io/v1beta1' };
/** A custom kind that happens to be named Namespace: an ordinary object. */
const FAKE_NAMESPACE = { apiVersion: 'example.com/v1', kind: 'Namespace', name: 'shop' };

function entry(
  base: { apiVersion: string; kind: string; namespace?: string; name: string },
  origin?: 'created' | 'adopted',
): InventoryEntry {
  const { id, ref } = refOf(live(base));
  return { id, ...ref, ...(origin ? { origin } : {}) };
}

const found = (o: KubeObject): LiveView => ({ state: 'found', object: o });

const BASE: PruneContext = {
  cluster: 'c1',
  fieldManager: 'flotilla',
  desired: new Set(),
  held: null,
  desiredElsewhere: new Map(),
  namespacesHoldingOptedOut: new Set(),
  cascade: 'not-checked',
};

interface Row {
  name: string;
  entry: InventoryEntry;
  live: LiveView;
  context?: Partial<PruneContext>;
  /** 'delete', the keep reason, or `release:` and the release reason. */
  expected: 'delete' | PruneKeepReason | `release:${PruneReleaseReason}`;
  /** Part of the keep or release message (the reason the pass reports). */
  message?: string | RegExp;
}

const cm = entry(CONFIGMAP);
const ns = entry(NAMESPACE);
const crd = entry(CRD);
const KUBE_SYSTEM = { apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' };
const COREDNS = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' };

const ROWS: Row[] = [
  // Flotilla's own, for this cluster, nothing in the way.
  { name: "flotilla's ConfigMap: label, Apply entry, this cluster", entry: cm, live: found(live(CONFIGMAP)), expected: 'delete' },
  {
    name: 'Apply entry among other managers (kubectl edited a field, a controller updated status)',
    entry: cm,
    live: found(live(CONFIGMAP, { managers: ['kubectl-edit:Update', 'flotilla:Apply', 'kube-controller-manager:Update'] })),
    expected: 'delete',
  },
  {
    name: 'a configured field manager is the one looked for',
    entry: cm,
    live: found(live(CONFIGMAP, { managers: ['flotilla-ci:Apply'] })),
    context: { fieldManager: 'flotilla-ci' },
    expected: 'delete',
  },
  {
    name: 'a ConfigMap needs no cascade check',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { cascade: 'not-checked' },
    expected: 'delete',
  },
  {
    name: 'the opted-out-namespaces rule is for Namespaces only',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { namespacesHoldingOptedOut: new Set(['shop']) },
    expected: 'delete',
  },
  {
    name: 'created by flotilla and annotated flotilla.dev/prune: "true": deleted as anything it created',
    entry: entry(CONFIGMAP, 'created'),
    live: found(live(CONFIGMAP, { prune: 'true' })),
    expected: 'delete',
  },
  {
    name: 'an unknown flotilla.dev/prune value changes nothing',
    entry: cm,
    live: found(live(CONFIGMAP, { prune: 'maybe' })),
    expected: 'delete',
  },
  {
    name: 'a ConfigMap named like a protected Namespace, in it, is an ordinary object (coredns that flotilla created)',
    entry: entry(COREDNS, 'created'),
    live: found(live(COREDNS)),
    expected: 'delete',
  },
  {
    name: 'desired by another cluster name on another entry only',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { desiredElsewhere: new Map([['|ConfigMap|shop|other', 'c1-eu']]) },
    expected: 'delete',
  },

  // Not leaving, or not judged this pass.
  {
    name: 'an old copy a graceful eviction keeps (application failover): nothing needs reading',
    entry: cm,
    live: { state: 'not-read' },
    context: { retained: new Map([[cm.id, 'not deleted: application failover evicted it (graceful eviction)']]) },
    expected: 'graceful-eviction',
    message: /graceful eviction/,
  },
  {
    name: 'a graceful eviction keeps its copy even when it would be deleted; another id is not kept',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { retained: new Map([['apps|Deployment|shop|web', 'kept']]) },
    expected: 'delete',
  },
  { name: 'still desired', entry: cm, live: { state: 'not-read' }, context: { desired: new Set([cm.id]) }, expected: 'still-desired' },
  {
    name: 'still desired wins over pruning held back',
    entry: cm,
    live: { state: 'not-read' },
    context: { desired: new Set([cm.id]), held: 'the revision has error diagnostics' },
    expected: 'still-desired',
  },
  {
    name: 'pruning held back (revision with errors): nothing needs reading',
    entry: cm,
    live: { state: 'not-read' },
    context: { held: 'the revision has error diagnostics' },
    expected: 'prune-held',
    message: 'not deleted: the revision has error diagnostics',
  },
  {
    name: 'pruning held back wins over an object that would be deleted',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { held: '3 of 4 objects (75%) would be deleted, over the mass-deletion limit of 50%' },
    expected: 'prune-held',
    message: 'not deleted: 3 of 4 objects (75%) would be deleted, over the mass-deletion limit of 50%',
  },
  { name: 'live object not read yet', entry: cm, live: { state: 'not-read' }, expected: 'not-read' },
  {
    name: 'its kind is briefly not served (CRD reinstalled, aggregated API down)',
    entry: cm,
    live: { state: 'not-served' },
    expected: 'kind-not-served',
    message: 'not deleted: the cluster does not serve v1 ConfigMap now; kept in the inventory until it does',
  },
  { name: 'already gone', entry: cm, live: { state: 'gone' }, expected: 'already-gone' },

  // Whose it is.
  {
    name: 'no flotilla label (flotilla did not create it), even with an Apply entry',
    entry: cm,
    live: found(live(CONFIGMAP, { label: false })),
    expected: 'no-managed-label',
    message: `not deleted: it does not carry ${MANAGED_LABEL}=${MANAGED_VALUE}, so flotilla did not create it`,
  },
  {
    name: 'label copied with a manifest, applied by kubectl',
    entry: cm,
    live: found(live(CONFIGMAP, { managers: ['kubectl:Apply'] })),
    expected: 'not-applied-by-flotilla',
    message: /flotilla never applied it \(no Apply entry by field manager flotilla in its managedFields\)/,
  },
  {
    name: "flotilla's manager with an Update, not an Apply",
    entry: cm,
    live: found(live(CONFIGMAP, { managers: ['flotilla:Update'] })),
    expected: 'not-applied-by-flotilla',
  },
  {
    name: 'no managedFields at all',
    entry: cm,
    live: found(live(CONFIGMAP, { managers: [] })),
    expected: 'not-applied-by-flotilla',
  },
  {
    name: 'applied by the default manager while another one is configured',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { fieldManager: 'flotilla-ci' },
    expected: 'not-applied-by-flotilla',
  },
  {
    name: 'last applied for another cluster name on the same API server',
    entry: cm,
    live: found(live(CONFIGMAP, { cluster: 'c1-eu' })),
    expected: 'applied-for-other-cluster',
    message:
      `not deleted: its ${CLUSTER_ANNOTATION} annotation is "c1-eu", not "c1" — ` +
      "it was last applied for another cluster name on the same API server; dropped from this cluster's inventory",
  },
  {
    name: 'cluster annotation missing',
    entry: cm,
    live: found(live(CONFIGMAP, { cluster: null })),
    expected: 'applied-for-other-cluster',
    message: `its ${CLUSTER_ANNOTATION} annotation is missing, not "c1"`,
  },
  {
    name: 'desired this pass by another cluster name on the same API server',
    entry: cm,
    live: found(live(CONFIGMAP)),
    context: { desiredElsewhere: new Map([[cm.id, 'c1-eu']]) },
    expected: 'desired-elsewhere',
    message: "not deleted: cluster c1-eu reaches the same API server and applies it in this pass; dropped from this cluster's inventory",
  },
  {
    name: 'opted out: flotilla.dev/prune: "false"',
    entry: cm,
    live: found(live(CONFIGMAP, { prune: 'false' })),
    expected: 'prune-disabled',
    message: `not deleted: annotated ${PRUNE_ANNOTATION}: "false"; left as it is and forgotten`,
  },
  {
    name: 'opted out: flotilla.dev/prune: disabled (the older spelling of "false")',
    entry: cm,
    live: found(live(CONFIGMAP, { prune: 'disabled' })),
    expected: 'prune-disabled',
    message: `not deleted: annotated ${PRUNE_ANNOTATION}: "disabled"`,
  },

  // Deleted only if flotilla created it: released otherwise.
  {
    name: 'adopted (the inventory says so): released, not deleted',
    entry: entry(CONFIGMAP, 'adopted'),
    live: found(live(CONFIGMAP)),
    expected: 'release:adopted',
    message: /released, not deleted: flotilla adopted it .*\(annotate it flotilla\.dev\/prune: "true" to have it deleted\)/,
  },
  {
    name: 'adopted (no inventory origin, a restart without the cache): the flotilla.dev/adopted mark on the object says so',
    entry: cm,
    live: found(live(CONFIGMAP, { adopted: true })),
    expected: 'release:adopted',
  },
  {
    name: 'the mark wins over an inventory that says created (the safe side: released, never deleted)',
    entry: entry(CONFIGMAP, 'created'),
    live: found(live(CONFIGMAP, { adopted: true })),
    expected: 'release:adopted',
  },
  {
    name: 'adopted and annotated flotilla.dev/prune: "true": deleted',
    entry: entry(CONFIGMAP, 'adopted'),
    live: found(live(CONFIGMAP, { adopted: true, prune: 'true' })),
    expected: 'delete',
  },
  {
    name: 'adopted and annotated flotilla.dev/prune: "false": kept as it is (not even released)',
    entry: entry(CONFIGMAP, 'adopted'),
    live: found(live(CONFIGMAP, { adopted: true, prune: 'false' })),
    expected: 'prune-disabled',
  },
  {
    name: 'adopted, but pruning held back: nothing is written, released neither',
    entry: entry(CONFIGMAP, 'adopted'),
    live: found(live(CONFIGMAP, { adopted: true })),
    context: { held: 'the revision has error diagnostics' },
    expected: 'prune-held',
  },
  {
    name: "adopted, but another manager applied it last with the label copied: not flotilla's to release",
    entry: entry(CONFIGMAP, 'adopted'),
    live: found(live(CONFIGMAP, { adopted: true, managers: ['kubectl:Apply'] })),
    expected: 'not-applied-by-flotilla',
  },
  {
    name: 'an adopted Namespace is released without a cascade check (nothing is deleted)',
    entry: entry(NAMESPACE, 'adopted'),
    live: found(live(NAMESPACE, { adopted: true })),
    expected: 'release:adopted',
  },
  {
    name: 'its policy said preserveResourcesOnDeletion: released, even though flotilla created it',
    entry: entry(CONFIGMAP, 'created'),
    live: found(live(CONFIGMAP, { preserve: true })),
    expected: 'release:preserve-on-deletion',
    message: /released, not deleted: its policy sets preserveResourcesOnDeletion/,
  },
  {
    name: 'preserveResourcesOnDeletion and flotilla.dev/prune: "true": the object\'s own word wins, deleted',
    entry: entry(CONFIGMAP, 'created'),
    live: found(live(CONFIGMAP, { preserve: true, prune: 'true' })),
    expected: 'delete',
  },
  {
    name: 'preserveResourcesOnDeletion and flotilla.dev/prune: "false": kept as it is',
    entry: entry(CONFIGMAP, 'created'),
    live: found(live(CONFIGMAP, { preserve: true, prune: 'false' })),
    expected: 'prune-disabled',
  },
  {
    name: 'the kube-system Namespace, even created by flotilla: released, never deleted',
    entry: entry(KUBE_SYSTEM, 'created'),
    live: found(live(KUBE_SYSTEM)),
    context: { cascade: 'clear' },
    expected: 'release:protected-namespace',
    message: /released, never deleted: Namespace kube-system is one every cluster needs/,
  },
  ...['default', 'kube-public', 'kube-node-lease'].map((name): Row => ({
    name: `the ${name} Namespace annotated flotilla.dev/prune: "true": still released`,
    entry: entry({ ...KUBE_SYSTEM, name }, 'created'),
    live: found(live({ ...KUBE_SYSTEM, name }, { prune: 'true' })),
    context: { cascade: 'clear' },
    expected: 'release:protected-namespace',
  })),
  {
    name: 'an adopted kube-system: the protected-Namespace reason speaks first',
    entry: entry(KUBE_SYSTEM, 'adopted'),
    live: found(live(KUBE_SYSTEM, { adopted: true })),
    expected: 'release:protected-namespace',
  },
  {
    name: "kube-system that is not flotilla's: not touched at all",
    entry: entry(KUBE_SYSTEM),
    live: found(live(KUBE_SYSTEM, { label: false, managers: ['kube-apiserver:Update'] })),
    expected: 'no-managed-label',
  },
  {
    name: 'a Namespace merely starting with kube- is not protected',
    entry: entry({ ...KUBE_SYSTEM, name: 'kube-extra' }, 'created'),
    live: found(live({ ...KUBE_SYSTEM, name: 'kube-extra' })),
    context: { cascade: 'clear' },
    expected: 'delete',
  },

  // Which rule speaks first when several apply.
  {
    name: 'opted out but not labelled: the ownership reason comes first',
    entry: cm,
    live: found(live(CONFIGMAP, { label: false, prune: 'disabled' })),
    expected: 'no-managed-label',
  },
  {
    name: 'opted out but applied for another cluster name: that reason comes first',
    entry: cm,
    live: found(live(CONFIGMAP, { cluster: 'c1-eu', prune: 'disabled' })),
    expected: 'applied-for-other-cluster',
  },
  {
    name: 'applied for another cluster name and desired by a third: the annotation speaks first',
    entry: cm,
    live: found(live(CONFIGMAP, { cluster: 'c1-eu' })),
    context: { desiredElsewhere: new Map([[cm.id, 'c1-us']]) },
    expected: 'applied-for-other-cluster',
  },
  {
    name: 'desired elsewhere and opted out: desired elsewhere first',
    entry: cm,
    live: found(live(CONFIGMAP, { prune: 'disabled' })),
    context: { desiredElsewhere: new Map([[cm.id, 'c1-eu']]) },
    expected: 'desired-elsewhere',
  },
  {
    name: 'a foreign Namespace is never cascade-checked',
    entry: ns,
    live: found(live(NAMESPACE, { managers: ['kubectl:Apply'] })),
    context: { cascade: { hold: 'deleting the Namespace deletes everything in it, and …' } },
    expected: 'not-applied-by-flotilla',
  },

  // Namespaces and CRDs: what their deletion would take with it.
  {
    name: 'Namespace, cascade not checked yet',
    entry: ns,
    live: found(live(NAMESPACE)),
    expected: 'cascade-not-checked',
  },
  { name: 'Namespace, nothing foreign inside', entry: ns, live: found(live(NAMESPACE)), context: { cascade: 'clear' }, expected: 'delete' },
  {
    name: 'Namespace holding a foreign ConfigMap',
    entry: ns,
    live: found(live(NAMESPACE)),
    context: {
      cascade: {
        hold:
          'deleting the Namespace deletes everything in it, and it holds 1 object flotilla is not pruning: ConfigMap shop/theirs; ' +
          'kept in the inventory until they are gone',
      },
    },
    expected: 'cascade-hold',
    message:
      'not deleted: deleting the Namespace deletes everything in it, and it holds 1 object flotilla is not pruning: ConfigMap shop/theirs',
  },
  {
    name: 'Namespace holding an object kept as opted out this pass',
    entry: ns,
    live: found(live(NAMESPACE)),
    context: { namespacesHoldingOptedOut: new Set(['shop']), cascade: 'clear' },
    expected: 'namespace-holds-opted-out',
    message: `not deleted: it holds objects annotated ${PRUNE_ANNOTATION}: "false"`,
  },
  {
    name: 'Namespace holding opted-out objects: before the cascade check',
    entry: ns,
    live: found(live(NAMESPACE)),
    context: { namespacesHoldingOptedOut: new Set(['shop']) },
    expected: 'namespace-holds-opted-out',
  },
  {
    name: 'opted-out objects in another namespace do not hold this one',
    entry: ns,
    live: found(live(NAMESPACE)),
    context: { namespacesHoldingOptedOut: new Set(['elsewhere']), cascade: 'clear' },
    expected: 'delete',
  },
  {
    name: 'a Namespace that opted out itself',
    entry: ns,
    live: found(live(NAMESPACE, { prune: 'disabled' })),
    context: { cascade: 'clear' },
    expected: 'prune-disabled',
  },
  { name: 'CRD, cascade not checked yet', entry: crd, live: found(live(CRD)), expected: 'cascade-not-checked' },
  { name: 'CRD, no foreign custom resource', entry: crd, live: found(live(CRD)), context: { cascade: 'clear' }, expected: 'delete' },
  {
    name: 'CRD with a foreign custom resource',
    entry: crd,
    live: found(live(CRD)),
    context: { cascade: { hold: 'deleting the CRD deletes every Widget, and 1 Widget flotilla is not pruning exists: app/prod-data' } },
    expected: 'cascade-hold',
    message: /deleting the CRD deletes every Widget/,
  },
  {
    name: 'CRD of an older apiextensions version is a CRD too',
    entry: entry(CRD_V1BETA1),
    live: found(live(CRD_V1BETA1)),
    expected: 'cascade-not-checked',
  },
  {
    name: 'a custom kind named Namespace cascades nothing',
    entry: entry(FAKE_NAMESPACE),
    live: found(live(FAKE_NAMESPACE)),
    context: { namespacesHoldingOptedOut: new Set(['shop']) },
    expected: 'delete',
  },
];

describe('pruneDecision', () => {
  it.each(ROWS)('$name → $expected', (row) => {
    const decision = pruneDecision(row.entry, row.live, { ...BASE, ...row.context });
    if (row.expected === 'delete') {
      expect(decision).toEqual({ action: 'delete' });
      return;
    }
    if (row.expected.startsWith('release:')) expect(decision).toMatchObject({ action: 'release', reason: row.expected.slice(8) });
    else expect(decision).toMatchObject({ action: 'keep', reason: row.expected });
    if (row.message !== undefined && decision.action !== 'delete') {
      if (typeof row.message === 'string') expect(decision.message).toContain(row.message);
      else expect(decision.message).toMatch(row.message);
    }
  });

  it('every keep and release reason has a row', () => {
    const covered = new Set<string>(ROWS.map((r) => r.expected));
    expect(Object.keys(PRUNE_KEEP_REASONS).filter((r) => !covered.has(r))).toEqual([]);
    expect(PRUNE_RELEASE_REASONS.filter((r) => !covered.has(`release:${r}`))).toEqual([]);
  });

  it('is pure: inputs frozen deep, the same answer every time', () => {
    const freeze = <T>(v: T): T => {
      if (v && typeof v === 'object' && !(v instanceof Set) && !(v instanceof Map)) {
        for (const x of Object.values(v)) freeze(x);
        Object.freeze(v);
      }
      return v;
    };
    for (const row of ROWS) {
      const args = freeze({ entry: row.entry, live: row.live, context: { ...BASE, ...row.context } });
      const first = pruneDecision(args.entry, args.live, args.context);
      expect(pruneDecision(args.entry, args.live, args.context)).toEqual(first);
    }
  });
});

describe('what each keep reason does to the inventory entry', () => {
  // stays: tried again on a later pass; leaves: flotilla forgets it on this cluster.
  const EFFECTS: Array<[PruneKeepReason, 'reported' | 'silent', 'stays' | 'leaves']> = [
    ['still-desired', 'silent', 'leaves'], // its record follows the apply stage, not the prune
    ['graceful-eviction', 'reported', 'stays'], // pruned once its eviction ends
    ['prune-held', 'reported', 'stays'],
    ['not-read', 'reported', 'stays'],
    ['kind-not-served', 'reported', 'stays'],
    ['already-gone', 'silent', 'leaves'],
    ['no-managed-label', 'reported', 'leaves'],
    ['not-applied-by-flotilla', 'reported', 'leaves'],
    ['applied-for-other-cluster', 'reported', 'leaves'],
    ['desired-elsewhere', 'reported', 'leaves'],
    ['prune-disabled', 'reported', 'leaves'],
    ['namespace-holds-opted-out', 'reported', 'leaves'],
    ['cascade-not-checked', 'reported', 'stays'],
    ['cascade-hold', 'reported', 'stays'],
  ];
  it.each(EFFECTS)('%s: %s, %s', (reason, reported, inventory) => {
    expect(PRUNE_KEEP_REASONS[reason]).toEqual({ reported: reported === 'reported', staysInInventory: inventory === 'stays' });
  });
  it('every reason is listed', () => {
    expect(EFFECTS.map((e) => e[0]).sort()).toEqual(Object.keys(PRUNE_KEEP_REASONS).sort());
  });
});
