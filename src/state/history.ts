// The status branch as a timeline: its commits newest first, each with what status.yaml recorded
// (revision, phase, reason, counts) and the resources whose placement changed since the commit
// before it. Read without a work tree; the dashboard's history view shows it.
import { sortKeysDeep } from '../objects/serialize.js';
import type { ObjectStore } from '../source/objects.js';
import { readStatusAt, type StatusSnapshot } from './branch.js';
import type { ObjectCounts, Phase, Stage } from './document.js';

export interface HistoryEntry {
  /** The status commit. */
  commit: string;
  /** Its commit time, ISO 8601. */
  at: string;
  /** The source revision it recorded (empty when its status.yaml is unreadable). */
  revision: string;
  phase: Phase | null;
  stage: Stage | null;
  reason: string | null;
  message: string;
  lastGoodRevision: string | null;
  objects: ObjectCounts | null;
  /** KIND/NAMESPACE/NAME (as `explain` takes it) of the resources placed differently than at the commit before (sorted, ≤ MAX_CHANGED). */
  changed: string[];
  /** How many more changed than `changed` lists. */
  moreChanged: number;
}

/** The most commits one history read walks. */
export const MAX_HISTORY = 50;
const MAX_CHANGED = 20;

type PlacementRecord = Record<string, unknown>;

function placementName(p: PlacementRecord): string {
  const r = p.resource as { kind?: string; namespace?: string; name?: string } | undefined;
  return `${r?.kind ?? '?'}/${r?.namespace ? `${r.namespace}/` : ''}${r?.name ?? '?'}`;
}

function placementIndex(placements: readonly PlacementRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of placements)
    out.set(
      `${placementName(p)}|${JSON.stringify((p.resource as { apiVersion?: string })?.apiVersion ?? '')}`,
      JSON.stringify(sortKeysDeep(p)),
    );
  return out;
}

/** The resources placed differently in `after` than in `before` (added, removed or re-placed). */
export function changedPlacements(before: readonly PlacementRecord[] | null, after: readonly PlacementRecord[]): string[] {
  const a = placementIndex(before ?? []);
  const b = placementIndex(after);
  const out = new Set<string>();
  for (const [key, text] of b) if (a.get(key) !== text) out.add(key.split('|')[0]!);
  for (const key of a.keys()) if (!b.has(key)) out.add(key.split('|')[0]!);
  return [...out].sort();
}

/** The newest `limit` commits of the status branch from `tip`, following first parents. */
export async function readHistory(objects: ObjectStore, tip: string, limit = MAX_HISTORY): Promise<HistoryEntry[]> {
  const walked: Array<{ commit: string; timestamp: number; snapshot: StatusSnapshot }> = [];
  let commit: string | undefined = tip;
  // One more than shown, so the oldest shown entry can say what it changed.
  while (commit && walked.length <= limit) {
    const c = await objects.readCommit(commit);
    walked.push({ commit, timestamp: c.timestamp, snapshot: await readStatusAt(objects, commit) });
    commit = c.parents[0];
  }
  return walked.slice(0, limit).map((w, i) => {
    const s = w.snapshot.status;
    const parent = walked[i + 1]?.snapshot.status ?? null;
    const changed = s ? changedPlacements(parent ? parent.placements : null, s.placements) : [];
    return {
      commit: w.commit,
      at: new Date(w.timestamp * 1000).toISOString(),
      revision: s?.sourceRevision ?? '',
      phase: s?.phase ?? null,
      stage: s?.stage ?? null,
      reason: s?.reason ?? null,
      message: s?.message ?? 'status.yaml is missing or unreadable at this commit',
      lastGoodRevision: s?.lastGoodRevision ?? null,
      objects: s?.objects ?? null,
      changed: changed.slice(0, MAX_CHANGED),
      moreChanged: Math.max(0, changed.length - MAX_CHANGED),
    };
  });
}
