// Apply, the second stage of a cluster's sync pass: each desired object is compared with its live
// copy (normalize.ts: only the fields flotilla sends) and, when it differs, sent with server-side
// apply — phase by phase (order.ts: Namespaces and CRDs first, one by one; webhooks last), the
// rest of a phase in parallel. Nothing that is equal is sent.
//
// Before anything is compared, takeOver (take-over.ts) decides whether the object is flotilla's to
// apply at all: an object already on the cluster that flotilla did not create is not touched under
// the claiming policy's conflictResolution Abort (Karmada's default) — its apply fails with a
// conflict naming it, the rest of the cluster goes on — and is adopted under Overwrite. On an object
// flotilla manages, a 409 conflict means another manager changed a field flotilla owns — drift —
// and the apply is forced so the repository wins, as Flux does; an adopted object is forced too,
// as Karmada's Overwrite overwrites.
import type { KubeApi, KubeObject } from './api.js';
import type { Discovery, ResourceMapping } from './discovery.js';
import { KubeApiError } from './errors.js';
import { objectHealth } from './health.js';
import { mapLimit } from './limit.js';
import { crdDefines, groupOf, isNamespace } from './live-object.js';
import { compareWithLive } from './normalize.js';
import { applyPhase, sortForApply } from './order.js';
import { abortCause, ClusterAbort, guard, isClusterWide, objectPath, stoppedError, toldToStop, type PassMappings } from './sync-pass.js';
import { describeRef, objectResult, type DesiredObject, type ResultsById, type SyncOptions } from './sync-types.js';
import { takeOver, withOriginMark, type Origin } from './take-over.js';

export interface Applied {
  /** One result per desired object handled (absent: not reached before the pass stopped). */
  results: ResultsById;
  /** The live object after the apply (the server's answer), or the unchanged live object. */
  liveAfter: Map<string, KubeObject | null>;
  /** Live copies read in this stage: objects whose kind only became served when their CRD was applied. */
  liveFound: Map<string, KubeObject | null>;
  /** Whether flotilla created or adopted each desired object it applied or found its own (for the inventory). */
  origins: Map<string, Origin>;
  /** Set when the pass stopped (the cluster became unusable, or shouldContinue said no). */
  abort: KubeApiError | null;
}

interface ApplyInput {
  api: KubeApi;
  discovery: Discovery;
  mappings: PassMappings;
  desired: readonly DesiredObject[];
  /** The observe stage's live copies by id. */
  liveBefore: ReadonlyMap<string, KubeObject | null>;
  /** The inventory's origin of each entry that has one. */
  recorded: ReadonlyMap<string, Origin>;
  options: SyncOptions;
}

/** This stage's own record while it runs: what it decided so far, and whether it was told to stop. */
interface ApplyRun extends Applied {
  input: ApplyInput;
  /** group|kind of the CRDs desired in this pass: a kind not served yet may be served once they are applied. */
  definedByDesiredCrds: ReadonlySet<string>;
  /** Namespaces created in this pass (a dry run's later objects in them cannot be found). */
  namespacesCreated: Set<string>;
  stopped: boolean;
}

export async function applyDesired(input: ApplyInput): Promise<Applied> {
  const run: ApplyRun = {
    input,
    results: new Map(),
    liveAfter: new Map(),
    liveFound: new Map(),
    origins: new Map(),
    abort: null,
    definedByDesiredCrds: new Set(input.desired.flatMap((d) => (crdDefines(d.object) ? [keyOfDefined(crdDefines(d.object)!)] : []))),
    namespacesCreated: new Set(),
    stopped: false,
  };
  try {
    const ordered = sortForApply(input.desired, (d) => d.ref);
    for (const phase of [0, 1, 2] as const) {
      const items = ordered.filter((d) => applyPhase(d.ref.apiVersion, d.ref.kind) === phase);
      // Namespaces and CRDs one by one (later ones may depend on earlier ones); the rest in parallel.
      await mapLimit(items, phase === 0 ? 1 : input.options.objectConcurrency, (d) => applyOne(run, d));
      if (run.stopped) throw new ClusterAbort(stoppedError());
    }
  } catch (e) {
    run.abort = abortCause(e);
  }
  return { results: run.results, liveAfter: run.liveAfter, liveFound: run.liveFound, origins: run.origins, abort: run.abort };
}

function keyOfDefined(k: { group: string; kind: string }): string {
  return `${k.group}|${k.kind}`;
}

/** The kind's mapping; a kind one of this pass's CRDs defines is asked of discovery again (its CRD was applied in phase 0). */
async function mappingFor(run: ApplyRun, d: DesiredObject): Promise<ResourceMapping | null> {
  const { api, mappings, liveBefore } = run.input;
  let m = await guard(() => mappings.of(d.ref));
  if (!m && run.definedByDesiredCrds.has(keyOfDefined({ group: groupOf(d.ref.apiVersion), kind: d.ref.kind }))) {
    mappings.forget(d.ref);
    m = await guard(() => mappings.of(d.ref));
    if (m && !liveBefore.has(d.id)) {
      const found = m;
      run.liveFound.set(d.id, await guard(() => api.get(objectPath(found, d.ref))));
    }
  }
  return m;
}

async function applyOne(run: ApplyRun, d: DesiredObject): Promise<void> {
  const { api, discovery, options } = run.input;
  const m = await mappingFor(run, d);
  if (!m) {
    run.results.set(
      d.id,
      objectResult(d, 'failed', {
        code: 'KUBE_UNKNOWN_KIND',
        message: `the cluster does not serve ${d.ref.apiVersion} ${d.ref.kind} (is its CRD installed?)`,
      }),
    );
    return;
  }
  // The render judged the object namespaced, by a repository that does not declare its kind; this
  // cluster serves it cluster-wide, so the namespace would be dropped and the object placed for the
  // whole cluster: judged again as what it is here, before anything is sent.
  const asClusterScoped = !m.namespaced && d.ref.namespace !== '' ? (options.clusterScopedRefusal?.(d.object) ?? null) : null;
  if (asClusterScoped !== null) {
    const message =
      `this cluster serves ${d.ref.apiVersion} ${d.ref.kind} cluster-wide, which the repository does not declare (no CRD of it), ` +
      `so the render judged it in namespace ${d.ref.namespace}; as a cluster-scoped object it is outside the scope: ${asClusterScoped}`;
    run.results.set(d.id, objectResult(d, 'failed', { code: 'SCOPE_DENIED', message }));
    return;
  }
  const live = run.input.liveBefore.get(d.id) ?? run.liveFound.get(d.id) ?? null;
  const decision = takeOver({
    live,
    desired: d.object,
    fieldManager: options.fieldManager,
    recorded: run.input.recorded.get(d.id),
    force: options.force,
    describe: describeRef(d.ref),
    cluster: run.input.api.cluster,
  });
  if (decision.action === 'refuse') {
    run.results.set(d.id, objectResult(d, 'failed', { code: 'KUBE_CONFLICT', message: decision.message }));
    return;
  }
  const origin: Origin = decision.action === 'update' ? decision.origin : decision.action === 'adopt' ? 'adopted' : 'created';
  const sent = withOriginMark(d.object, origin);
  let drift: string[] = [];
  if (live) {
    const cmp = compareWithLive(sent, live, options.fieldManager);
    if (!cmp.differs) {
      run.results.set(d.id, objectResult(d, 'unchanged', { health: objectHealth(live) }));
      run.liveAfter.set(d.id, live);
      run.origins.set(d.id, origin);
      return;
    }
    if (!d.changed && decision.action === 'update') drift = cmp.fields;
  }
  // Stopped: no more writes; the writes already sent finish before the pass ends (inventory).
  if (run.stopped || toldToStop(options)) {
    run.stopped = true;
    return;
  }
  try {
    // flotilla's own object: a conflict is drift, the repository wins; an adopted one is overwritten (Karmada's Overwrite).
    const after = await api.apply(objectPath(m, d.ref), sent, {
      fieldManager: options.fieldManager,
      force: decision.action !== 'create' || options.force,
      dryRun: options.dryRun,
    });
    run.origins.set(d.id, origin);
    run.liveAfter.set(d.id, after);
    run.results.set(d.id, objectResult(d, live ? 'configured' : 'created', { drift, health: objectHealth(after) }));
    if (!live && isNamespace(d.ref)) run.namespacesCreated.add(d.ref.name);
    const defines = crdDefines(d.object);
    if (defines && !options.dryRun) discovery.invalidate(defines.group);
  } catch (e) {
    if (isClusterWide(e)) throw new ClusterAbort(e);
    applyFailed(run, d, e, drift);
  }
}

function applyFailed(run: ApplyRun, d: DesiredObject, e: unknown, drift: string[]): void {
  const err = e instanceof KubeApiError ? e : null;
  if (run.input.options.dryRun && err?.code === 'KUBE_NOT_FOUND' && d.ref.namespace && run.namespacesCreated.has(d.ref.namespace)) {
    // A dry run persists nothing, so the Namespace created earlier in this pass is not there.
    run.results.set(d.id, objectResult(d, 'created', { message: `dry run: namespace ${d.ref.namespace} would be created first` }));
    return;
  }
  const message = err ? err.message : String(e);
  run.results.set(d.id, objectResult(d, 'failed', { code: err?.code ?? 'KUBE_API', message, drift }));
}
