// Prune, the third stage of a cluster's sync pass: each inventory entry that left the desired
// state is read, judged by pruneDecision (prune-decision.ts) and deleted or released (release.ts:
// left on the cluster, flotilla's claim on it removed) when the rule says so — in delete order
// (order.ts: the reverse of apply order, so a Namespace's or a CRD's contents go before it). This
// stage does the I/O the rule needs: the live object, the cascade check.
import type { KubeApi, KubeObject } from './api.js';
import { cascadeHold } from './cascade.js';
import type { Discovery } from './discovery.js';
import { KubeApiError } from './errors.js';
import { uidOf } from './live-object.js';
import { sortForDelete } from './order.js';
import { releasePatch } from './release.js';
import { PRUNE_KEEP_REASONS, pruneDecision, type LiveView, type PruneContext, type PruneDecision } from './prune-decision.js';
import {
  abortCause,
  ClusterAbort,
  guard,
  isClusterWide,
  objectPath,
  ownReadFailure,
  stoppedError,
  toldToStop,
  type PassMappings,
} from './sync-pass.js';
import { objectResult, type InventoryEntry, type ResultsById, type SyncOptions } from './sync-types.js';

export interface Pruned {
  /** One result per entry deleted, failed or reported kept. */
  results: ResultsById;
  /** Ids of entries that stay in the inventory although they left the desired state (tried again later). */
  keep: Set<string>;
  /** The live copies of the entries read. */
  liveOfLeaving: Map<string, KubeObject>;
  /** Why pruning did not run, when entries left the desired state and it was held back. */
  pruneHeld: string | null;
  /** Set when the pass stopped (the cluster became unusable, or shouldContinue said no). */
  abort: KubeApiError | null;
}

interface PruneInput {
  api: KubeApi;
  discovery: Discovery;
  mappings: PassMappings;
  inventory: readonly InventoryEntry[];
  /** What observe listed by flotilla's label, by id (read instead of a GET). */
  listed: ReadonlyMap<string, KubeObject>;
  /** The rule's context, less what this stage learns as it goes (opted-out namespaces, each cascade check). */
  context: Omit<PruneContext, 'namespacesHoldingOptedOut' | 'cascade'>;
  options: SyncOptions;
}

/** This stage's own record while it runs. */
interface PruneRun extends Pruned {
  input: PruneInput;
  optedOutIn: Set<string>;
}

export async function pruneLeaving(input: PruneInput): Promise<Pruned> {
  const run: PruneRun = {
    input,
    results: new Map(),
    keep: new Set(),
    liveOfLeaving: new Map(),
    pruneHeld: null,
    abort: null,
    optedOutIn: new Set(),
  };
  try {
    for (const e of sortForDelete(input.inventory, (x) => x)) {
      let decided: Awaited<ReturnType<typeof decide>>;
      try {
        decided = await decide(run, e);
      } catch (err) {
        // A read of this object alone failed (a 403 for its kind): kept, and said so; the rest go on.
        const own = ownReadFailure(err);
        if (own === null) throw err;
        run.results.set(e.id, objectResult(e, 'failed', { code: own.code, message: `not pruned: cannot read it: ${own.message}` }));
        run.keep.add(e.id);
        continue;
      }
      const { decision, path } = decided;
      if (decision.action === 'delete') await deleteEntry(run, e, path!);
      else if (decision.action === 'release') await releaseEntry(run, e, path!, decision.message);
      else keepEntry(run, e, decision);
    }
  } catch (e) {
    run.abort = abortCause(e);
  }
  const { results, keep, liveOfLeaving, pruneHeld, abort } = run;
  return { results, keep, liveOfLeaving, pruneHeld, abort };
}

/**
 * Asks the rule, reading the live object and running the cascade check only when the rule needs
 * them; with the object's URL path once read.
 */
async function decide(run: PruneRun, e: InventoryEntry): Promise<{ decision: PruneDecision; path: string | null }> {
  const context: PruneContext = { ...run.input.context, namespacesHoldingOptedOut: run.optedOutIn, cascade: 'not-checked' };
  let live: LiveView = { state: 'not-read' };
  let path: string | null = null;
  let decision = pruneDecision(e, live, context);
  if (decision.action === 'keep' && decision.reason === 'not-read') {
    ({ live, path } = await readLive(run, e));
    decision = pruneDecision(e, live, context);
  }
  if (decision.action === 'keep' && decision.reason === 'cascade-not-checked' && live.state === 'found') {
    const deleted = [...run.results.values()].filter((r) => r.action === 'deleted').map((r) => r.id);
    const pruned = {
      ids: new Set(deleted),
      uids: new Set(deleted.map((id) => uidOf(run.liveOfLeaving.get(id))).filter((u): u is string => u !== null)),
    };
    const { api, discovery, mappings } = run.input;
    const hold = await cascadeHold(api, discovery, e, live.object, pruned, mappings.namespaced());
    decision = pruneDecision(e, live, { ...context, cascade: hold === null ? 'clear' : { hold } });
  }
  return { decision, path };
}

/** The entry's live object: the listed copy, or read by name when its kind is served. */
async function readLive(run: PruneRun, e: InventoryEntry): Promise<{ live: LiveView; path: string | null }> {
  const { api, mappings, listed } = run.input;
  const m = await guard(() => mappings.of(e));
  if (!m) return { live: { state: 'not-served' }, path: null };
  const path = objectPath(m, e);
  const live = listed.get(e.id) ?? (await guard(() => api.get(path)));
  if (!live) return { live: { state: 'gone' }, path };
  run.liveOfLeaving.set(e.id, live);
  return { live: { state: 'found', object: live }, path };
}

function keepEntry(run: PruneRun, e: InventoryEntry, decision: Extract<PruneDecision, { action: 'keep' }>): void {
  const effect = PRUNE_KEEP_REASONS[decision.reason];
  if (decision.reason === 'prune-disabled') run.optedOutIn.add(e.namespace);
  if (decision.reason === 'prune-held') run.pruneHeld = run.input.context.held;
  if (effect.reported) run.results.set(e.id, objectResult(e, 'skipped', { message: decision.message }));
  if (effect.staysInInventory) run.keep.add(e.id);
}

async function deleteEntry(run: PruneRun, e: InventoryEntry, path: string): Promise<void> {
  const { api, options } = run.input;
  if (toldToStop(options)) throw new ClusterAbort(stoppedError());
  try {
    await api.delete(path, { dryRun: options.dryRun });
    run.results.set(e.id, objectResult(e, 'deleted'));
  } catch (err) {
    writeFailed(run, e, 'delete', err);
  }
}

/** Leaves the object on the cluster and removes flotilla's claim on it (its field manager, label and annotations). */
async function releaseEntry(run: PruneRun, e: InventoryEntry, path: string, message: string): Promise<void> {
  const { api, options } = run.input;
  const patch = releasePatch(run.liveOfLeaving.get(e.id)!, options.fieldManager);
  if (patch === null) {
    run.results.set(e.id, objectResult(e, 'released', { message }));
    return;
  }
  if (toldToStop(options)) throw new ClusterAbort(stoppedError());
  try {
    await api.mergePatch(path, patch, { fieldManager: options.fieldManager, dryRun: options.dryRun });
    run.results.set(e.id, objectResult(e, 'released', { message }));
  } catch (err) {
    writeFailed(run, e, 'release', err);
  }
}

/** A delete or release the cluster refused: that entry fails, stays in the inventory and is tried again next pass. */
function writeFailed(run: PruneRun, e: InventoryEntry, what: 'delete' | 'release', err: unknown): void {
  if (isClusterWide(err)) throw new ClusterAbort(err);
  run.results.set(
    e.id,
    objectResult(e, 'failed', {
      code: err instanceof KubeApiError ? err.code : 'KUBE_API',
      message: `${what} failed: ${(err as Error).message}`,
    }),
  );
  run.keep.add(e.id);
}
