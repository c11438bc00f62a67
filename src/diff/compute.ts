// `flotilla diff`'s core: desired objects (a render) against observed ones (the status branch),
// one unified diff per object, both sides normalized and Secret values redacted.
import type { Diagnostic } from '../model/diagnostics.js';
import { layoutManifests } from '../objects/layout.js';
import { toStableYaml } from '../objects/serialize.js';
import { CLUSTER_ANNOTATION } from '../objects/tracking.js';
import { identityKey } from '../objects/identity.js';
import { normalizeObject, redactSecretPair } from '../objects/normalize.js';
import { unifiedDiff } from './text-diff.js';
import type { LiveState } from '../state/applied-files.js';

/** One object that differs. Paths are in the render layout (`<cluster>/<ns>/<kind>-<name>.yaml`). */
export interface ObjectDiff {
  cluster: string;
  change: 'added' | 'removed' | 'changed';
  livePath: string | null;
  desiredPath: string | null;
  /** Unified diff, `--- live/<path>` / `+++ desired/<path>` (`/dev/null` for a missing side). */
  diff: string;
}

/** Where the observed state came from. */
export interface LiveSource {
  /** The ref that was read (`flotilla-status` or `origin/flotilla-status`). */
  ref: string;
  commit: string;
}

/** Everything `flotilla diff` reports. */
export interface DiffReport {
  desiredRevision: string;
  live: (LiveSource & { sourceRevision: string | null }) | null;
  /** Set when there is no observed state to compare with. */
  note: string | null;
  objects: ObjectDiff[];
  summary: { added: number; removed: number; changed: number; clusters: number; unchanged: number };
  /** Status-branch files that could not be read. */
  liveProblems: string[];
  diagnostics: Diagnostic[];
  /** Against live clusters (`--kubeconfig`): every cluster with work, reached or why not. */
  liveClusters?: Array<{ cluster: string; reachable: boolean; via: string | null; error: string | null }>;
  /** Against live clusters: objects the server's dry run refused (conflict, invalid, unknown kind). */
  liveFailures?: Array<{ cluster: string; object: string; message: string }>;
}

/**
 * The texts the two sides are compared as: normalized, stable YAML, Secret values redacted as a
 * pair (`<redacted>`, `<redacted, changed>` on the desired side where a value differs), so the
 * output never depends on a value (docs/guide/ci-and-review.md). A missing side is ''.
 */
export function comparableYamlPair(
  live: Record<string, unknown> | null,
  desired: Record<string, unknown> | null,
): { before: string; after: string } {
  const r = redactSecretPair(live && normalizeObject(live), desired && normalizeObject(desired));
  return { before: r.before ? toStableYaml(r.before) : '', after: r.after ? toStableYaml(r.after) : '' };
}

function clusterFromPath(path: string): string {
  return path.slice(0, path.indexOf('/'));
}

/** Objects sorted by cluster then path, and the counts of the report's summary (both diff sources). */
export function sortedWithSummary(objects: ObjectDiff[], unchanged: number): { objects: ObjectDiff[]; summary: DiffReport['summary'] } {
  const pathOf = (o: ObjectDiff) => o.desiredPath ?? o.livePath ?? '';
  objects.sort((a, b) =>
    a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0,
  );
  return {
    objects,
    summary: {
      added: objects.filter((o) => o.change === 'added').length,
      removed: objects.filter((o) => o.change === 'removed').length,
      changed: objects.filter((o) => o.change === 'changed').length,
      clusters: new Set(objects.map((o) => o.cluster)).size,
      unchanged,
    },
  };
}

type Located = { cluster: string; path: string; object: Record<string, unknown> };

/**
 * Diffs desired manifests (per cluster) against the observed state; `live` null means no status
 * branch yet, so every desired object is "added" and a note says why. `desired` may come a cluster
 * at a time (render/stream.ts): each cluster is compared and let go before the next.
 */
export function computeDiff(input: {
  desiredRevision: string;
  desired: Record<string, ReadonlyArray<Record<string, unknown>>> | Iterable<readonly [string, ReadonlyArray<Record<string, unknown>>]>;
  /** The desired state's diagnostics; a function when they are known only once `desired` was iterated. */
  diagnostics: Diagnostic[] | (() => Diagnostic[]);
  live: { source: LiveSource; state: LiveState } | null;
  /** Name of the status branch, for the note when it does not exist. */
  statusBranch?: string;
}): DiffReport {
  const live = new Map<string, Located>();
  for (const o of input.live?.state.objects ?? []) {
    const meta = (o.object.metadata ?? {}) as { annotations?: Record<string, string> };
    live.set(`${o.clusterSegment}|${identityKey(o.object)}`, {
      cluster: meta.annotations?.[CLUSTER_ANNOTATION] ?? o.clusterSegment,
      path: o.path,
      object: o.object,
    });
  }
  const objects: ObjectDiff[] = [];
  let unchanged = 0;
  const compare = (d: Located | undefined, l: Located | undefined): void => {
    const { before, after } = comparableYamlPair(l?.object ?? null, d?.object ?? null);
    if (d && l && before === after) {
      unchanged++;
      return;
    }
    const diff = unifiedDiff(l ? `live/${l.path}` : '/dev/null', d ? `desired/${d.path}` : '/dev/null', before, after);
    objects.push({
      cluster: (d ?? l)!.cluster,
      change: !l ? 'added' : !d ? 'removed' : 'changed',
      livePath: l?.path ?? null,
      desiredPath: d?.path ?? null,
      diff,
    });
  };
  const clusters = Symbol.iterator in input.desired ? input.desired : Object.entries(input.desired);
  for (const [cluster, list] of clusters) {
    for (const [key, d] of desiredOfCluster(cluster, list)) {
      compare(d, live.get(key));
      live.delete(key);
    }
  }
  for (const l of live.values()) compare(undefined, l);
  return {
    desiredRevision: input.desiredRevision,
    live: input.live ? { ...input.live.source, sourceRevision: input.live.state.sourceRevision } : null,
    note: input.live ? null : noStatusBranchNote(input.statusBranch),
    ...sortedWithSummary(objects, unchanged),
    liveProblems: input.live?.state.problems ?? [],
    diagnostics: typeof input.diagnostics === 'function' ? input.diagnostics() : input.diagnostics,
  };
}

/** One cluster's desired objects by `<cluster folder>|<identity>`, with their layout paths. */
function desiredOfCluster(cluster: string, objects: ReadonlyArray<Record<string, unknown>>): Map<string, Located> {
  const desired = new Map<string, Located>();
  for (const { path, object } of layoutManifests({ [cluster]: objects })) {
    const meta = (object.metadata ?? {}) as { annotations?: Record<string, string> };
    desired.set(`${clusterFromPath(path)}|${identityKey(object)}`, {
      cluster: meta.annotations?.[CLUSTER_ANNOTATION] ?? clusterFromPath(path),
      path,
      object,
    });
  }
  return desired;
}

function noStatusBranchNote(statusBranch: string | undefined): string {
  const which = statusBranch ? ` ${statusBranch} (nor origin/${statusBranch})` : '';
  return `no status branch${which} yet: nothing has been recorded as applied, so every desired object is new`;
}

/**
 * docs/reference/contract.md's exit status: 1 when desired has errors (or, against live clusters, a cluster could
 * not be reached or an object's dry run failed), 2 when anything differs, else 0.
 */
export function diffExitCode(report: DiffReport): 0 | 1 | 2 {
  if (report.diagnostics.some((d) => d.severity === 'error')) return 1;
  if (report.liveClusters?.some((c) => c.error !== null) || (report.liveFailures?.length ?? 0) > 0) return 1;
  return report.objects.length > 0 ? 2 : 0;
}
