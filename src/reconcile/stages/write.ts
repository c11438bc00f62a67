// The write stage: the desired state's changed blobs and tree into the object database, then every
// target in order. A target that writes files only is skipped when nothing changed and it owes no
// full compare; a target over live clusters is written every pass (drift). A failed target is
// reported, not thrown, and compares everything next pass. adoptDesired then makes the desired
// state the one the next pass starts from.
//
// The blobs are stored while the targets that need only the texts write (the directory and
// Kubernetes targets: the plan carries each text, and readText waits for the store): at fleet
// scale deflating them took the main thread about 4 s of a full pass's write stage, and the
// directory target's writes leave it idle about half the time, waiting on the disk. A target that
// reads the object database itself (git: it commits the manifests/ tree) starts once they are
// stored. The stage ends when both are done; a failed store fails it, as before, though the
// targets that ran beside it have written (each records what it wrote, and the next pass, which
// starts from the last applied state again, completes the rest).
import { versionedKey } from '../../objects/identity.js';
import { safeSegment } from '../../objects/layout.js';
import { summarize } from '../../source/remote.js';
import { forEachStateFile, stateFiles, type DesiredDiff, type ObjectChange } from '../../state/change-set.js';
import { writesLiveClusters, type Target, type TargetPlan, type TargetReport } from '../../targets/target.js';
import type { PassContext, ReconcilerState, StageResult } from '../context.js';
import { stageFailure } from '../context.js';
import { editManifestsTree, storeManifestBlobs } from '../../state/branch.js';
import type { WriteReason } from '../reasons.js';
import { adopted } from '../revisions.js';
import type { CheckedRevision, Diffed } from './diff.js';
import { placementRecords, previousPlacements } from './render.js';

/** A value computed on first use. */
function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

/** What a target that had nothing to write reports. */
function untouched(total: number): TargetReport {
  return { created: 0, configured: 0, unchanged: total, deleted: 0, failed: 0, failedClusters: [], ok: true, message: null };
}

/** What a target that threw reports: everything failed on every cluster of the diff. */
function thrown(diff: DesiredDiff, total: number, e: unknown): TargetReport {
  const failedClusters = [...diff.perCluster.keys()];
  return { created: 0, configured: 0, unchanged: 0, deleted: 0, failed: total, failedClusters, ok: false, message: summarize(e).message };
}

/** Whether a target reads the object database itself, beyond plan.readText: it waits until the blobs are stored. */
const readsObjectStore = (target: Target): boolean => target.type === 'git';

/**
 * Every target in order, each with the plan from the applied state to the desired one, while the
 * blobs are stored (`stored`). Stops before a target that reads the object database when storing them failed.
 */
async function applyTargets(ctx: PassContext, state: ReconcilerState, diffed: Diffed, manifestsTree: string | null, stored: Promise<void>) {
  const { diff, total } = diffed;
  const plan: Omit<TargetPlan, 'full'> = {
    revision: ctx.head,
    changes: diff.changes,
    files: lazy(() => stateFiles(diff.next)),
    forEachFile: (visit) => forEachStateFile(diff.next, visit),
    total,
    manifestsTree,
    previousManifestsTree: state.revisions.manifestsTree,
    readText: async (oid) => {
      await stored;
      return ctx.git.objects.readBlobText(oid);
    },
    clusterOf: clusterOfPath([...diff.next.keys(), ...state.applied.state.keys()]),
    ...(diffed.deletionsAllowed !== null ? { deletionsAllowed: diffed.deletionsAllowed } : {}),
  };
  const reports = new Map<Target, TargetReport>();
  for (const target of ctx.targets) {
    const full = state.needFull.has(target);
    if (!writesLiveClusters(target) && !full && diff.changes.length === 0) {
      // Nothing new for a target that only writes what changed (a live poll without a commit).
      reports.set(target, untouched(total));
      continue;
    }
    if (
      readsObjectStore(target) &&
      !(await stored.then(
        () => true,
        () => false,
      ))
    )
      break;
    const report = await target.apply({ ...plan, full }).catch((e: unknown) => thrown(diff, total, e));
    reports.set(target, report);
    if (report.ok) state.needFull.delete(target);
    else {
      state.needFull.add(target);
      ctx.revisionLog.error({ target: target.name, failedClusters: report.failedClusters }, report.message ?? 'target failed');
    }
  }
  return reports;
}

/** Cluster of a layout path: its first segment maps back to the cluster name. */
function clusterOfPath(clusters: readonly string[]): (path: string) => string {
  const bySegment = new Map(clusters.map((c) => [safeSegment(c), c]));
  return (p) => bySegment.get(p.split('/')[0]!) ?? p.split('/')[0]!;
}

export interface Written {
  manifestsTree: string | null;
  reports: Map<Target, TargetReport>;
}

/** The write stage: the desired tree, then every target, the blobs stored meanwhile. */
export async function writeStage(ctx: PassContext, state: ReconcilerState, diffed: Diffed): Promise<StageResult<Written, WriteReason>> {
  const stored = storeManifestBlobs(ctx.git.objects, diffed.diff.changes);
  // Awaited below, whatever the targets do: not an unhandled rejection while they run.
  stored.catch(() => undefined);
  let manifestsTree: string | null;
  try {
    manifestsTree = await editManifestsTree(ctx.git.objects, state.revisions.manifestsTree, diffed.diff.changes);
  } catch (e) {
    await stored.catch(() => undefined);
    return stageFailure('write', 'ObjectWriteFailed', e);
  }
  const reports = await applyTargets(ctx, state, diffed, manifestsTree, stored);
  try {
    await stored;
  } catch (e) {
    // The status says the stage failed, and with the log what the targets that ran beside the store wrote.
    const wrote = [...reports].map(([t, r]) => ({ target: t.name, created: r.created, configured: r.configured, deleted: r.deleted }));
    ctx.revisionLog.error({ targets: wrote }, 'storing the blobs failed; these targets wrote beside it');
    return { ...stageFailure('write', 'ObjectWriteFailed', e), written: { diff: diffed.diff, reports } };
  }
  releaseTexts(diffed.diff.changes);
  return { ok: true, manifestsTree, reports };
}

/**
 * Once the blobs are stored and the targets have written, the change set keeps only their oids:
 * what reads a text later reads it from the object database (TargetPlan.readText: the Kubernetes
 * target's applies that go on in the background). A full reconcile's texts (about 100 MB at
 * 170,000 objects) were otherwise held through the status commit and the render index write, the
 * largest live heap of the pass.
 */
function releaseTexts(changes: readonly ObjectChange[]): void {
  // Set to undefined rather than deleted: every change keeps its shape (a deleted property makes each a dictionary).
  for (const c of changes) c.text = undefined;
}

/**
 * The desired state is now the one the next diff starts from (targets that failed catch up from it
 * next pass) and its placements the next schedule's previous result. Whether it is the last good
 * one is the record stage's to say, by what the targets report.
 */
export function adoptDesired(ctx: PassContext, state: ReconcilerState, checked: CheckedRevision, diffed: Diffed, written: Written): void {
  state.applied = { ...state.applied, state: diffed.diff.next, lists: diffed.diff.lists };
  const previous = previousPlacements(state.render, checked.result);
  // A kept placement stays the base of the next schedule, so it returns where it was.
  for (const k of checked.kept) previous.set(versionedKey(k.placement.resource), k.previous);
  const desired = { revision: ctx.head, placements: placementRecords(state.render, checked.result), previous };
  state.revisions = adopted(state.revisions, written.manifestsTree, desired);
  if (state.render.last) state.render.last.desired = desired;
}
