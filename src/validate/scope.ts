// Scope (issue 11): what the fleet repository may place on the member clusters, judged on the
// rendered objects — after overrides, so an OverridePolicy cannot move an object out of its lane —
// and on the documents that steer the fleet (policies, fleets, clusters: a path's policy may not
// reach past its lane either), reported at the file:line as SCOPE_DENIED, naming the rule. Pure:
// `validate`, `render`, `plan`, `diff` and the reconciler's render stage all call withScope, so a
// pull request shows exactly what the reconciler would refuse. The rules: docs/guide/configuration.md
// "scope"; the config: src/config/scope.ts.
import {
  globMatch,
  kindMatch,
  scopeEntryFor,
  SYSTEM_NAMESPACES,
  type PatternRule,
  type ProtectedCategory,
  type ScopeConfig,
} from '../config/scope.js';
import { sortDiagnostics, type Diagnostic } from '../model/diagnostics.js';
import type { Manifest } from '../model/types.js';
import { roleOf, type ManifestRole } from '../fleet/kinds.js';
import { describeRef, refOfObject, versionedKey } from '../objects/identity.js';
import { apiGroup, clusterScopedKindOfCrd, isClusterScoped, type CustomScopes } from '../objects/scope.js';
import { annotationsOf, overridingFiles, POLICY_ANNOTATION, PRUNE_ANNOTATION, SOURCE_ANNOTATION } from '../objects/tracking.js';
import { layoutClashes } from '../objects/layout.js';
import { overrideOf } from '../override/overridden-by.js';

/** A setting with the dot-path of the entry it came from (messages name the rule). */
interface Setting<T> {
  value: T;
  at: string;
}

/** The rule of one file: its scope entry, with `scope.default`'s settings where the entry has none. */
export interface EffectiveScope {
  namespaces: PatternRule<Setting<readonly string[]>>;
  kinds: PatternRule<Setting<readonly string[]>>;
  clusterScoped: Setting<boolean>;
  allowProtected: Setting<readonly ProtectedCategory[]>;
}

/** The rule for objects of `file` (repository-relative): the longest `scope.paths[]` entry containing it, else `scope.default`. */
export function effectiveScope(scope: ScopeConfig, file: string): EffectiveScope {
  const d = scope.default;
  const i = scopeEntryFor(scope.paths, file);
  const p = i < 0 ? null : scope.paths[i]!;
  const pick = <T>(own: T | null | undefined, fallback: T, field: string): Setting<T> =>
    own !== null && own !== undefined
      ? { value: own, at: `scope.paths[${i}].${field}` }
      : { value: fallback, at: `scope.default.${field}` };
  return {
    namespaces: {
      allow: pick(p?.namespaces.allow, d.namespaces.allow, 'namespaces.allow'),
      deny: pick(p?.namespaces.deny, d.namespaces.deny, 'namespaces.deny'),
    },
    kinds: { allow: pick(p?.kinds.allow, d.kinds.allow, 'kinds.allow'), deny: pick(p?.kinds.deny, d.kinds.deny, 'kinds.deny') },
    clusterScoped: pick(p?.clusterScoped, d.clusterScoped, 'clusterScoped'),
    allowProtected: pick(p?.allowProtected, d.allowProtected, 'allowProtected'),
  };
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const ADMISSION_GROUP = 'admissionregistration.k8s.io';

/** The protected category an object falls in (null: none), and how to say so. */
function protectedCategory(object: Record<string, unknown>, clusterScoped: boolean): { category: ProtectedCategory; what: string } | null {
  const ref = refOfObject(object);
  const group = apiGroup(ref.apiVersion);
  if (!clusterScoped && SYSTEM_NAMESPACES.includes(ref.namespace))
    return { category: 'systemNamespaces', what: `it is in the system namespace ${ref.namespace}` };
  if (group === '' && ref.kind === 'Namespace' && SYSTEM_NAMESPACES.includes(ref.name))
    return { category: 'systemNamespaces', what: `it is the system namespace ${ref.name}` };
  if (group === RBAC_GROUP && (ref.kind === 'ClusterRoleBinding' || ref.kind === 'RoleBinding')) {
    const roleRef = (object.roleRef ?? {}) as { kind?: unknown; name?: unknown };
    if (roleRef.name === 'cluster-admin' && (roleRef.kind === undefined || roleRef.kind === 'ClusterRole'))
      return { category: 'clusterAdminBindings', what: 'it grants the cluster-admin ClusterRole' };
  }
  if (group === ADMISSION_GROUP && (ref.kind === 'ValidatingWebhookConfiguration' || ref.kind === 'MutatingWebhookConfiguration'))
    return { category: 'admissionWebhooks', what: `it is an admission webhook configuration` };
  return null;
}

const list = (patterns: readonly string[]) => `[${patterns.join(', ')}]`;

/**
 * Why `rule` refuses `object` (null: it may be placed). In order: the protected categories, cluster
 * scope, namespaces (a Namespace is judged by its own name), kinds; deny beats allow.
 * `clusterScoped`: whether the object's kind has no namespace (objects/scope.ts).
 */
export function scopeRefusal(rule: EffectiveScope, object: Record<string, unknown>, clusterScoped: boolean): string | null {
  const ref = refOfObject(object);
  const group = apiGroup(ref.apiVersion);
  const kindText = group === '' ? ref.kind : `${group}/${ref.kind}`;
  const prot = protectedCategory(object, clusterScoped);
  if (prot && !rule.allowProtected.value.includes(prot.category))
    return `${prot.what} (allowed only where ${rule.allowProtected.at} lists ${prot.category})`;
  if (clusterScoped && !rule.clusterScoped.value) return `${kindText} is cluster-scoped and ${rule.clusterScoped.at} is false`;
  const namespace = clusterScoped ? (group === '' && ref.kind === 'Namespace' ? ref.name : null) : ref.namespace;
  if (namespace !== null) {
    const denied = rule.namespaces.deny.value.find((p) => globMatch(p, namespace));
    if (denied !== undefined) return `namespace ${namespace} matches ${rule.namespaces.deny.at} "${denied}"`;
    if (!rule.namespaces.allow.value.some((p) => globMatch(p, namespace)))
      return `namespace ${namespace} is not in ${rule.namespaces.allow.at} ${list(rule.namespaces.allow.value)}`;
  }
  const deniedKind = rule.kinds.deny.value.find((p) => kindMatch(p, group, ref.kind));
  if (deniedKind !== undefined) return `kind ${kindText} matches ${rule.kinds.deny.at} "${deniedKind}"`;
  if (!rule.kinds.allow.value.some((p) => kindMatch(p, group, ref.kind)))
    return `kind ${kindText} is not in ${rule.kinds.allow.at} ${list(rule.kinds.allow.value)}`;
  return null;
}

/**
 * Why `scope` refuses `object` as a cluster-scoped object (null: it does not, or flotilla made the
 * object itself). The render judges a kind by the repository, which may not declare it (a CRD a
 * cluster got elsewhere); the kubernetes target asks this when a cluster's discovery says such a
 * kind is cluster-scoped, before it sends the object there.
 */
export function clusterScopedRefusal(scope: ScopeConfig, object: Record<string, unknown>): string | null {
  const file = sourceFile(object);
  if (file === null) return null;
  const own = scopeRefusal(effectiveScope(scope, file), object, true);
  if (own !== null) return own;
  // As the render judges it (ScopeJudge.refuses): an override of another path changed it, so that
  // path's rule must allow it too, here as the cluster-wide object it is on this cluster. The target
  // reads the object from its text, so the render's record of those policies is its annotation.
  for (const policyFile of overridingFiles(object)) {
    const why = scopeRefusal(effectiveScope(scope, policyFile), object, true);
    if (why !== null) return `an override policy of ${policyFile} changed it, and by that file's rule ${why}`;
  }
  return null;
}

/**
 * The documents whose effect reaches every path, though their kind may be namespaced: the clusters
 * are one set for the whole fleet (a declaration of a cluster merges into it, its labels and taints
 * steer every workload), and so are a Fleet's members and default placement and the tuning.
 */
const FLEET_WIDE: Partial<Record<ManifestRole, string>> = {
  Fleet: "a Fleet sets the fleet's members and its default placement",
  AttachedCluster: 'a cluster declaration changes a member cluster for every path',
  KuratorCluster: 'a cluster declaration changes a member cluster for every path',
  KarmadaCluster: 'a cluster declaration changes a member cluster for every path',
  KarmadaConfig: 'KarmadaConfig tunes the whole fleet',
};

/** What the check reads: the rendered objects per cluster and the templates they came from. */
export interface ScopeInput {
  manifests: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>;
  resources: readonly Manifest[];
  /** The documents that steer the fleet (FleetModel.controlPlane), judged as objects of their kinds. */
  controlPlane?: readonly Manifest[];
  /** The manifests are rendered again next pass (the reconciler): per-object checks are remembered beside them (layoutClashes). */
  kept?: boolean;
}

export interface ScopeCheck {
  /** One SCOPE_DENIED error per refused template (not per cluster), at its file:line. */
  diagnostics: Diagnostic[];
  /** The refused rendered objects. */
  refused: ReadonlySet<Record<string, unknown>>;
}

/** The rendered object's source file, or null for what flotilla adds itself (bare Namespaces: `(generated)`). */
function sourceFile(object: Record<string, unknown>): string | null {
  const annotations = ((object.metadata ?? {}) as { annotations?: Record<string, unknown> }).annotations ?? {};
  const file = annotations[SOURCE_ANNOTATION];
  return typeof file === 'string' && file !== '(generated)' ? file : null;
}

/** The template a rendered object came from: same identity in its file, else same kind and name (an override renamed its namespace). */
/** Whether two refs name one object: API group, kind, namespace and name (the version may differ). */
function sameIdentity(
  a: { apiVersion: string; kind: string; namespace: string; name: string },
  b: { apiVersion: string; kind: string; namespace: string; name: string },
): boolean {
  return apiGroup(a.apiVersion) === apiGroup(b.apiVersion) && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

function templateOf(byFile: ReadonlyMap<string, Manifest[]>, file: string, object: Record<string, unknown>): Manifest | undefined {
  const candidates = byFile.get(file) ?? [];
  const ref = refOfObject(object);
  const key = versionedKey(ref);
  return (
    candidates.find((m) => versionedKey(m) === key) ?? candidates.find((m) => m.kind === ref.kind && m.name === ref.name) ?? candidates[0]
  );
}

/**
 * A rule with what it said of each object type (`apiVersion kind namespace`): a fleet renders each
 * template on many clusters, and the verdict depends on the type alone for all but a few kinds.
 */
interface JudgedRule {
  scope: EffectiveScope;
  /** apiVersion → kind → namespace → why the rule refuses that type (null: it does not). */
  verdicts: Map<string, Map<string, Map<string, string | null>>>;
}

/**
 * Judges rendered objects one at a time by the rule of their source file, and remembers one
 * SCOPE_DENIED per refused template, so a render can be judged a cluster at a time as it streams.
 */
export class ScopeJudge {
  private readonly byFile = new Map<string, Manifest[]>();
  private readonly custom = new Set<string>();
  /** Per source file, its rule; files under the same `scope.paths[]` entry share one. */
  private readonly rules = new Map<string, JudgedRule>();
  private readonly byEntry = new Map<number, JudgedRule>();
  private readonly reported = new Map<string, Diagnostic>();
  /** The steering documents by `Kind/namespace/name`, as a rendered object's flotilla.dev/policy names its claiming policy. */
  private readonly policies = new Map<string, Manifest>();
  /** Whether a file is under one of scope.paths (not scope.default's), by file: asked per object of a claim. */
  private readonly scopedFiles = new Map<string, boolean>();

  /**
   * `controlPlane`: the documents that steer the fleet (FleetModel.controlPlane), judged here at once,
   * each by its file's rule as an object of its kind: a ClusterOverridePolicy rewrites objects of
   * every path, a PropagationPolicy places its namespace's, a Fleet or cluster declaration changes
   * where everything goes. They are never placed, so nothing is left out for them; their
   * SCOPE_DENIED makes the revision invalid as an object's does.
   */
  constructor(
    private readonly scope: ScopeConfig,
    resources: readonly Manifest[],
    controlPlane: readonly Manifest[] = [],
  ) {
    for (const m of resources) {
      const list = this.byFile.get(m.source.file);
      if (list) list.push(m);
      else this.byFile.set(m.source.file, [m]);
      const crd = clusterScopedKindOfCrd(m.apiVersion, m.kind, m.object);
      if (crd) this.custom.add(crd);
    }
    for (const m of controlPlane) {
      this.policies.set(`${m.kind}/${m.namespace}/${m.name}`, m); // policyRefText's form (placement/claim.ts)
      this.judgeDocument(m);
    }
  }

  /**
   * Judges a document flotilla reads but never places, as the object it is (its namespace as parsed,
   * '' when cluster-scoped); one whose effect is fleet-wide (FLEET_WIDE) as a cluster-scoped object,
   * whatever namespace it names.
   */
  private judgeDocument(m: Manifest): void {
    const rule = this.ruleOf(m.source.file).scope;
    const fleetWide = FLEET_WIDE[roleOf(m)];
    const metadata = m.namespace === '' ? { name: m.name } : { name: m.name, namespace: m.namespace };
    const why =
      fleetWide !== undefined && !rule.clusterScoped.value
        ? `${fleetWide}, which only a path whose ${rule.clusterScoped.at} is true may write`
        : scopeRefusal(rule, { apiVersion: m.apiVersion, kind: m.kind, metadata }, m.namespace === '' || fleetWide !== undefined);
    if (why !== null) this.report(m.source.file, m.source, `${describeRef(m)} is outside the scope: ${why}`);
  }

  /** Whether the scope refuses `object` (recording why); what flotilla generates itself is never judged. */
  refuses(object: Record<string, unknown>): boolean {
    const file = sourceFile(object);
    if (file === null) return false;
    const own = this.ruleOf(file);
    const why = this.verdictOn(own, object);
    if (why !== null) {
      const template = templateOf(this.byFile, file, object);
      this.report(file, template?.source ?? null, `${describeRef(refOfObject(object))} is outside the scope: ${why}`);
      return true;
    }
    if (this.claimedByAnotherPath(object, file, own)) return true;
    // An override of another path changed it: what it made must be within that path's lane too, reported at the policy.
    const override = overrideOf(object);
    if (override === undefined) return false;
    const { template } = override;
    const pruneChanged = annotationsOf(object)[PRUNE_ANNOTATION] !== annotationsOf(template.object)[PRUNE_ANNOTATION];
    for (const policy of override.policies) {
      const rule = this.ruleOf(policy.source.file);
      if (rule === own) continue;
      const by = describeRef(policy);
      // Whether flotilla deletes the object when its file drops it is that file's to say, or the platform's
      // (scope.default's, which releases deletions fleet-wide too), not another path's.
      if (pruneChanged && this.isScopedFile(policy.source.file)) {
        this.report(
          policy.source.file,
          policy.source,
          `${by} changes ${PRUNE_ANNOTATION} of ${describeRef(refOfObject(object))}, an object of ${file}: whether flotilla ` +
            "deletes an object is for the object's own file or scope.default's to say",
        );
        return true;
      }
      const theirs = this.verdictOn(rule, object);
      if (theirs !== null) {
        this.report(
          policy.source.file,
          policy.source,
          `${by} turns an object of ${file} into ${describeRef(refOfObject(object))}, ` +
            `which is outside the scope of the policy's file: ${theirs}`,
        );
        return true;
      }
      // Renamed, moved or re-kinded, it is another object: the original leaves its clusters (flotilla
      // deletes it) by another path's say. Changing the object is allowed, replacing it is not.
      if (!sameIdentity(refOfObject(object), template)) {
        this.report(
          policy.source.file,
          policy.source,
          `${by} turns ${describeRef(template)}, an object of ${file}, into ${describeRef(refOfObject(object))}: an override ` +
            'of another path may change an object, not rename, move or re-kind it (flotilla would delete the original)',
        );
        return true;
      }
    }
    return false;
  }

  /** Whether `file` is under one of scope.paths (not scope.default's). */
  private isScopedFile(file: string): boolean {
    let scoped = this.scopedFiles.get(file);
    if (scoped === undefined) this.scopedFiles.set(file, (scoped = scopeEntryFor(this.scope.paths, file) >= 0));
    return scoped;
  }

  /**
   * Whether `object` is claimed by a policy of another scope path than its file's (recording why). In
   * Karmada a namespace's PropagationPolicy claims what it selects there, the platform's objects too,
   * and so decides where they run, whether they are dispatched at all (suspension), whether they
   * are kept when dropped (preserveResourcesOnDeletion) and whether to take over what another tool
   * put on a cluster (conflictResolution Overwrite); on a cluster it no longer picks, flotilla deletes
   * them. Two red-team rounds used each of these on the platform's objects in a team's namespace, so
   * a scope path's policies place only that path's objects; scope.default's may place anyone's.
   */
  private claimedByAnotherPath(object: Record<string, unknown>, file: string, own: JudgedRule): boolean {
    if (this.scope.paths.length === 0) return false; // one rule for every file: no other path
    const claim = this.policies.get(String(annotationsOf(object)[POLICY_ANNOTATION]));
    if (claim === undefined || !this.isScopedFile(claim.source.file) || this.ruleOf(claim.source.file) === own) return false;
    this.report(
      claim.source.file,
      claim.source,
      `${describeRef(claim)} claims ${describeRef(refOfObject(object))}, an ` +
        `object of ${file}: a scope path's policies place only that path's objects (where another's runs, and whether it is ` +
        "kept, suspended, taken over or deleted, is for its own file or scope.default's policies to decide)",
    );
    return true;
  }

  /**
   * The objects of one cluster's list that the layout would write to one file with another (one
   * identity: group, kind in any case, namespace, name; or names that only meet in the file's name),
   * each reported as DUPLICATE_RESOURCE and refused, both. Parsing refuses two templates of one
   * identity; an override can still rename or re-kind an object onto another's, and a kind can be
   * spelled to meet another's file (layoutClashes): whichever came last would have replaced the
   * other, no deletion counted (a team's object over what the platform placed in its namespace).
   */
  collisions(objects: readonly Record<string, unknown>[], kept = false): Set<Record<string, unknown>> {
    const out = new Set<Record<string, unknown>>();
    for (const clash of layoutClashes(objects, kept)) {
      for (const o of clash.objects) out.add(o);
      const files = [...new Set(clash.objects.map((o) => sourceFile(o) ?? '(generated)'))].sort();
      const last = clash.objects[clash.objects.length - 1]!;
      const file = sourceFile(last) ?? clash.objects.map(sourceFile).find((f) => f !== null) ?? null;
      const template = file === null ? undefined : templateOf(this.byFile, file, last);
      const what = [...new Set(clash.objects.map((o) => describeRef(refOfObject(o))))].join(' and ');
      const message =
        `${what} would be written to one file on a cluster, ${clash.path} (from ${files.join(' and ')}): ` +
        'one file of a cluster has one object, so none of them is placed';
      this.report(file ?? '(generated)', template?.source ?? null, message, 'DUPLICATE_RESOURCE');
    }
    return out;
  }

  private report(
    file: string,
    at: { line: number; column: number } | null,
    message: string,
    code: 'SCOPE_DENIED' | 'DUPLICATE_RESOURCE' = 'SCOPE_DENIED',
  ): void {
    const d: Diagnostic = { severity: 'error', code, message, file, line: at?.line ?? null, column: at?.column ?? null };
    this.reported.set(`${file}|${d.line}|${message}`, d);
  }

  /**
   * Why `rule` refuses `object` (null: it does not), remembered per type where the type decides it.
   * Looked up by the object's own strings, without building a key: this runs once per rendered
   * object, every pass (a type key per object was most of the check's time at 174,721 objects).
   */
  private verdictOn(rule: JudgedRule, object: Record<string, unknown>): string | null {
    const { apiVersion, kind } = object;
    // Only a Namespace (its name) and a binding (its roleRef) are judged by more than apiVersion, kind and namespace.
    const byType =
      typeof apiVersion === 'string' &&
      typeof kind === 'string' &&
      kind !== 'Namespace' &&
      kind !== 'ClusterRoleBinding' &&
      kind !== 'RoleBinding';
    if (!byType) return scopeRefusal(rule.scope, object, isClusterScopedObject(object, this.custom));
    const namespace = (object.metadata as { namespace?: unknown } | undefined)?.namespace;
    const ns = typeof namespace === 'string' ? namespace : '';
    let kinds = rule.verdicts.get(apiVersion);
    if (!kinds) rule.verdicts.set(apiVersion, (kinds = new Map()));
    let namespaces = kinds.get(kind);
    if (!namespaces) kinds.set(kind, (namespaces = new Map()));
    let why = namespaces.get(ns);
    if (why === undefined) namespaces.set(ns, (why = scopeRefusal(rule.scope, object, isClusterScopedObject(object, this.custom))));
    return why;
  }

  /** The rule of `file`: the same object for every file under the same `scope.paths[]` entry (or none). */
  private ruleOf(file: string): JudgedRule {
    let rule = this.rules.get(file);
    if (!rule) {
      const entry = scopeEntryFor(this.scope.paths, file);
      rule = this.byEntry.get(entry);
      if (!rule) this.byEntry.set(entry, (rule = { scope: effectiveScope(this.scope, file), verdicts: new Map() }));
      this.rules.set(file, rule);
    }
    return rule;
  }

  /** Whether any object was refused so far. */
  hasRefused(): boolean {
    return this.reported.size > 0;
  }

  /** The SCOPE_DENIED errors so far, sorted. */
  diagnostics(): Diagnostic[] {
    return sortDiagnostics([...this.reported.values()]);
  }
}

/** Judges every rendered object by the rule of its source file. */
export function checkScope(scope: ScopeConfig, input: ScopeInput): ScopeCheck {
  const judge = new ScopeJudge(scope, input.resources, input.controlPlane);
  const refused = new Set<Record<string, unknown>>();
  for (const objects of Object.values(input.manifests)) {
    for (const object of judge.collisions(objects, input.kept)) refused.add(object);
    for (const object of objects) if (!refused.has(object) && judge.refuses(object)) refused.add(object);
  }
  return { diagnostics: judge.diagnostics(), refused };
}

/**
 * One cluster's objects without those `refused` says no to (asked once per object, in order), and
 * without the bare Namespaces flotilla generated only for them.
 */
export function keepInScope(
  objects: readonly Record<string, unknown>[],
  refused: (object: Record<string, unknown>) => boolean,
): Record<string, unknown>[] {
  const kept = objects.filter((o) => !refused(o));
  const needed = new Set(kept.map((o) => refOfObject(o).namespace).filter((ns) => ns !== ''));
  return kept.filter((o) => !(sourceFile(o) === null && o.kind === 'Namespace' && !needed.has(refOfObject(o).name)));
}

/**
 * Cluster-scoped by its kind (built-in or a CRD of the repository), or rendered without a
 * namespace. An override writing metadata.namespace into a ClusterRoleBinding does not make it
 * namespaced: the API server ignores that namespace.
 */
function isClusterScopedObject(object: Record<string, unknown>, custom: CustomScopes): boolean {
  const ref = refOfObject(object);
  return ref.namespace === '' || isClusterScoped(ref.apiVersion, ref.kind, custom);
}

/** What withScope needs of a render (RenderResult has it; render/ is not imported: it imports validate/). */
export interface ScopedRender {
  manifests: Record<string, Record<string, unknown>[]>;
  diagnostics: Diagnostic[];
  model: { resources: readonly Manifest[]; controlPlane: readonly Manifest[] };
}

/**
 * The render judged by the scope: the same object when nothing is refused; otherwise the SCOPE_DENIED
 * errors added (the revision is invalid) and the refused objects taken out of the manifests, with
 * the bare Namespaces flotilla generated only for them, so not even a dry run sends them.
 */
export function withScope<T extends ScopedRender>(result: T, scope: ScopeConfig, options: { kept?: boolean } = {}): T {
  const check = checkScope(scope, {
    manifests: result.manifests,
    resources: result.model.resources,
    controlPlane: result.model.controlPlane,
    ...options,
  });
  if (check.diagnostics.length === 0) return result;
  const manifests: Record<string, Record<string, unknown>[]> = {};
  for (const [cluster, objects] of Object.entries(result.manifests)) {
    const list = keepInScope(objects, (o) => check.refused.has(o));
    if (list.length > 0) manifests[cluster] = list;
  }
  return { ...result, manifests, diagnostics: sortDiagnostics([...result.diagnostics, ...check.diagnostics]) };
}
