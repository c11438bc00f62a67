// Apply, the second stage of a cluster's sync pass: each desired object is compared with its live
// copy (normalize.ts: only the fields flotilla sends) and, when it differs, sent with server-side
// apply — phase by phase (order.ts: Namespaces and CRDs first, one by one; webhooks last), the
// rest of a phase in parallel. Nothing that is equal is sent.
//
// Conflicts (409) with another field manager: on an object flotilla already manages (its field
// manager is on it), the other manager changed a field flotilla owns — drift — and the apply is
// forced so the repository wins, as Flux does. On an object flotilla never applied, someone else
// owns it: the conflict is reported and not forced unless `force` is configured.
import type { KubeApi, KubeObject } from './api.js';
import type { Discovery, ResourceMapping } from './discovery.js';
import { KubeApiError } from './errors.js';
import { objectHealth } from './health.js';
import { mapLimit } from './limit.js';
import { crdDefines, groupOf, isNamespace, managedBy } from './live-object.js';
import { compareWithLive } from './normalize.js';
import { applyPhase, sortForApply } from './order.js';
import { abortCause, ClusterAbort, guard, isClusterWide, objectPath, stoppedError, toldToStop, type PassMappings } from './sync-pass.js';
import { objectResult, type DesiredObject, type ResultsById, type SyncOptions } from './sync-types.js';

export interface Applied {
  /** One result per desired object handled (absent: not reached before the pass stopped). */
  results: ResultsById;
  /** The live object after the apply (the server's answer), or the unchanged live object. */
  liveAfter: Map<string, KubeObject | null>;
  /** Live copies read in this stage: objects whose kind only became served when their CRD was applied. */
  liveFound: Map<string, KubeObject | null>;
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
  return { results: run.results, liveAfter: run.liveAfter, liveFound: run.liveFound, abort: run.abort };
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
  const live = run.input.liveBefore.get(d.id) ?? run.liveFound.get(d.id) ?? null;
  let drift: string[] = [];
  if (live) {
    const cmp = compareWithLive(d.object, live, options.fieldManager);
    if (!cmp.differs) {
      run.results.set(d.id, objectResult(d, 'unchanged', { health: objectHealth(live) }));
      run.liveAfter.set(d.id, live);
      return;
    }
    if (!d.changed) drift = cmp.fields;
  }
  const ours = live ? managedBy(live, options.fieldManager) : false;
  // Stopped: no more writes; the writes already sent finish before the pass ends (inventory).
  if (run.stopped || toldToStop(options)) {
    run.stopped = true;
    return;
  }
  try {
    const after = await api.apply(objectPath(m, d.ref), d.object, {
      fieldManager: options.fieldManager,
      force: options.force || ours,
      dryRun: options.dryRun,
    });
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
  let message = err ? err.message : String(e);
  if (err?.code === 'KUBE_CONFLICT')
    message =
      `${message} — another field manager owns these fields; ` +
      'flotilla does not take over objects it never applied unless the kubernetes target sets force: true';
  run.results.set(d.id, objectResult(d, 'failed', { code: err?.code ?? 'KUBE_API', message, drift }));
}
