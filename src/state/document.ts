// status.yaml of the status branch (docs/reference/contract.md "The status branch"): what the last reconcile
// did, per stage, cluster and target, plus the placements in force and the diagnostics. Pure:
// compose, serialise, parse, compare.
import type { TrafficStatus } from './traffic.js';
import { parse } from 'yaml';
import { boundDiagnostics, MAX_DIAGNOSTICS, type Diagnostic } from '../model/diagnostics.js';
import { toStableYaml, sortKeysDeep, toSortedJsonLine } from '../objects/serialize.js';
import { readStableYaml } from '../objects/stable-yaml-read.js';
import { ownCopy } from '../objects/json.js';
import type { PreviousPlacement } from '../model/types.js';
import { previousFromJson, previousFromPlacements } from '../render/contract.js';
import type { DeletionCheck, DeletionRecord } from './deletion-guard.js';

export const STATUS_API_VERSION = 'flotilla.dev/v1alpha1';
export const STATUS_KIND = 'ReconcileStatus';
export const STATUS_FILE = 'status.yaml';
export const README_FILE = 'README.md';
/** Folder of the status branch holding the last good desired state, in the `render --out` layout. */
export const MANIFESTS_DIR = 'manifests';

export type Phase = 'Synced' | 'Progressing' | 'Degraded' | 'Failed' | 'Invalid';
/** The reconcile stages (docs/design/conventions.md): each failure names the one that broke. */
export type Stage = 'fetch' | 'load' | 'observe' | 'place' | 'render' | 'diff' | 'write' | 'status';

/** File of the status branch holding the observed-clusters file the last recorded render used. */
export const OBSERVED_FILE = 'observed-clusters.yaml';

export interface ClusterStatus {
  /**
   * With a kubernetes target: flotilla connected to the cluster and it answered. Otherwise: every
   * target wrote this cluster's objects.
   */
  reachable: boolean;
  /** Objects created or changed by this reconcile. */
  applied: number;
  unchanged: number;
  deleted: number;
  /** Objects a target failed to write. */
  failed: number;
  /** Live clusters only: failover's Ready condition (null: not probed, no connection). */
  ready?: boolean | null;
  /** Live clusters only: health roll-up of the objects applied to it (null: none read). */
  health?: string | null;
  /** Live clusters only: objects changed behind flotilla's back, corrected by this reconcile. */
  drifted?: number;
  /** Live clusters only: why the cluster failed, is not ready or cannot be connected. */
  message?: string | null;
}

/** Failover's state kept between passes and restarts (kubernetes target only). */
export interface FailoverStatus {
  conditions: Array<{
    cluster: string;
    ready: boolean;
    transitionAt: number | null;
    streakSince: number | null;
    lastProbeAt: number;
    lastError: string | null;
  }>;
  /** The newest events, oldest first; `at` in ms since the epoch. */
  events: Array<{ cluster: string; at: number; type: string; message: string }>;
  /**
   * Application failover's eviction tasks in force (src/live/application-failover.ts): which
   * workload, from which cluster, since when (ms since the epoch) and why. Absent: none.
   */
  evictions?: Array<{
    resource: { apiVersion: string; kind: string; namespace: string; name: string };
    cluster: string;
    purgeMode: string;
    gracePeriodSeconds: number | null;
    unhealthySince: number;
    evictedAt: number;
    reason: string;
    /** The eviction ended for a Divided workload: held out until its placement or replicas change. */
    ended?: { at: number; rescheduleKey: string };
  }>;
}

/**
 * What a pass did to the objects of its desired state, as its targets reported it (one target: its
 * counts; several: the largest each reported). `failed`: objects a target could not write.
 */
export interface ObjectCounts {
  total: number;
  created: number;
  configured: number;
  unchanged: number;
  deleted: number;
  failed: number;
}

export interface TargetStatus {
  name: string;
  type: string;
  phase: 'Applied' | 'Unchanged' | 'Failed' | 'Skipped';
  created: number;
  configured: number;
  unchanged: number;
  deleted: number;
  failed: number;
  message: string | null;
}

/** One Application's source as fetched for a revision. */
export interface ApplicationSourceRecord {
  /** namespace/name of the Application. */
  application: string;
  file: string;
  /** The repository URL, without credentials. */
  url: string;
  /** What the Application asked for: `branch main`, `commit <sha>`. */
  ref: string;
  /** The 40-hex commit built. */
  revision: string;
}

export interface ReconcileStatus {
  apiVersion: string;
  kind: string;
  source: { url: string; branch: string; path: string };
  /** The 40-hex commit this reconcile looked at. */
  sourceRevision: string;
  phase: Phase;
  /** The stage that failed or held the revision back; null when Synced. */
  stage: Stage | null;
  reason: string | null;
  message: string;
  /**
   * The newest revision every target applied in full (a kubernetes target: on every cluster it had
   * objects to apply or prune on); manifests/ holds its desired state. A pass that applied its
   * revision in part, or not at all, leaves it where it was.
   */
  lastGoodRevision: string | null;
  reconciledAt: string;
  objects: ObjectCounts;
  clusters: Record<string, ClusterStatus>;
  targets: TargetStatus[];
  /** The mass-deletion guard's numbers when it held the revision back. */
  heldBack: DeletionCheck | null;
  /**
   * Deletions of the revisions applied within the guard's window, oldest first: the guard counts
   * them after a restart too. Absent in older statuses.
   */
  deletions?: DeletionRecord[];
  /**
   * The placements of the desired state the reconciler applies (docs/reference/contract.md render
   * shape), the base of Karmada's scale up/down: the last good revision's, or of a newer revision
   * applied in part.
   */
  placements: Array<Record<string, unknown>>;
  diagnostics: Diagnostic[];
  /**
   * Kurator Applications' Git sources, each pinned to the commit this revision was built from
   * (docs/reference/contract.md "The status branch"). Absent without Applications.
   */
  applications?: ApplicationSourceRecord[];
  /** Fleet-wide health roll-up of the live clusters (kubernetes target only). */
  health?: string | null;
  /** Failover conditions and events (kubernetes target only). */
  failover?: FailoverStatus | null;
  /** Effective weights of adaptive routes and canaries by phase (docs/guide/traffic.md); absent without any. */
  traffic?: TrafficStatus | null;
}

/** Above this many placements they are written one JSON line each (valid YAML, and fast). */
const FLOW_PLACEMENTS_ABOVE = 500;

/**
 * What status.yaml holds at most. A 41 MB status.yaml (300,000 diagnostics) crash-looped the daemon
 * under its 1 Gi limit: the daemon parses and composes it whole. Lists that grow with what goes
 * wrong are capped, with a summary of the rest; `placements` and `clusters` grow with the fleet and
 * are kept whole, since the next pass schedules on them (Karmada's previous result).
 */
export const STATUS_LIMITS = {
  /** Diagnostics, then one DIAGNOSTICS_TRUNCATED summary (the render keeps this many already). */
  diagnostics: MAX_DIAGNOSTICS,
  /** Failover events, the newest (failover itself keeps 20). */
  events: 100,
  /** Characters of one message (status, target, cluster, diagnostic, event), "… (N more characters)" included. */
  text: 2000,
} as const;

/** At most STATUS_LIMITS.text characters, the cut marked; a text already cut stays as it is. */
function boundText(text: string): string {
  const max = STATUS_LIMITS.text;
  if (text.length <= max) return text;
  const cut = max - 40; // room for the marker, so the result is within the limit
  return `${text.slice(0, cut)}… (${text.length - cut} more characters)`;
}

function boundMessage<T extends { message?: string | null }>(item: T): T {
  return typeof item.message === 'string' && item.message.length > STATUS_LIMITS.text
    ? { ...item, message: boundText(item.message) }
    : item;
}

/** A status within STATUS_LIMITS: what status.yaml and the status README are written from. */
export function boundStatus(s: ReconcileStatus): ReconcileStatus {
  const failover = s.failover
    ? {
        conditions: s.failover.conditions.map((c) =>
          c.lastError !== null && c.lastError.length > STATUS_LIMITS.text ? { ...c, lastError: boundText(c.lastError) } : c,
        ),
        events: s.failover.events.slice(-STATUS_LIMITS.events).map(boundMessage),
        ...(s.failover.evictions ? { evictions: s.failover.evictions } : {}),
      }
    : s.failover;
  return {
    ...s,
    message: boundText(s.message),
    clusters: Object.fromEntries(Object.entries(s.clusters).map(([name, c]) => [name, boundMessage(c)])),
    targets: s.targets.map(boundMessage),
    diagnostics: boundDiagnostics(s.diagnostics, STATUS_LIMITS.diagnostics).map(boundMessage),
    ...(s.failover !== undefined ? { failover } : {}),
  };
}

/** status.yaml text: stable key order; large placement lists as one flow mapping per line; within STATUS_LIMITS. */
export function serializeStatus(s: ReconcileStatus): string {
  const { placements, ...rest } = boundStatus(s);
  const head = toStableYaml(sortKeysDeep(orderedStatus(rest)));
  if (placements.length <= FLOW_PLACEMENTS_ABOVE) return head + toStableYaml({ placements: sortKeysDeep(placements) });
  // JSON is YAML's flow style: every parser reads the same data, and it is 100× faster to write.
  return head + 'placements:\n' + placements.map((p) => `  - ${flowLine(p)}\n`).join('');
}

/**
 * Memo of flowLine, a pure function of an object treated as immutable: the reconciler passes the
 * same placement records from pass to pass, so only re-placed resources are serialised again. A new
 * process makes new records, but their cluster lists and policies are shared between resources
 * (the render index keeps each distinct one once): those are memoised by identity too, and a
 * restart's first status writes ~150 cluster lists where it wrote 10,000.
 */
const flowLines = new WeakMap<object, string>();

function flowLine(p: Record<string, unknown>): string {
  // toSortedJsonLine looks the memo up first.
  return toSortedJsonLine(p, flowLines)!;
}

/** The fields of status.yaml in reading order (stable YAML sorts keys anyway; this only filters). */
function orderedStatus(s: Omit<ReconcileStatus, 'placements'>): Record<string, unknown> {
  return { ...s };
}

/**
 * status.yaml as serializeStatus writes a large one: the YAML head, then `placements:` with one JSON
 * line per placement, read with JSON.parse (YAML's flow style is a superset of JSON; the yaml
 * parser took 1.5 s on 10,000 placements). Null when the text is not in that shape (hand-edited,
 * or a short list): the caller reads it as YAML.
 */
function parseFlowPlacements(text: string): unknown {
  const at = text.lastIndexOf('\nplacements:\n');
  if (at < 0) return null;
  const lines = text.slice(at + '\nplacements:\n'.length).split('\n');
  if (lines.pop() !== '') return null;
  const placements: unknown[] = [];
  for (const line of lines) {
    if (!line.startsWith('  - {')) return null;
    try {
      placements.push(JSON.parse(line.slice(4)));
    } catch {
      return null;
    }
  }
  // The head as serializeStatus wrote it is stable YAML, read without the library's parser (a restart
  // reads it first thing, with the parser not warmed up); anything else (edited by hand) is parsed by the library.
  // A copy of its own: the revisions read from it are kept for the process's life, and as views
  // into a slice of `text` they kept the whole status.yaml alive (9.4 MB at 10,000 placements).
  const headText = ownCopy(text.slice(0, at + 1));
  const head: unknown = readStableYaml(headText) ?? parse(headText, { version: '1.1', maxAliasCount: 100 });
  if (!head || typeof head !== 'object' || 'placements' in head) return null;
  jsonPlacements.add(placements);
  return { ...head, placements };
}

/** Placement lists parseFlowPlacements read with JSON.parse: plain JSON data, nothing YAML alone gives (a Date, NaN). */
const jsonPlacements = new WeakSet<object>();

/**
 * Whether a parsed status's placements are what JSON.parse gave (its large lists, one JSON line each),
 * so a reader that wants JSON data takes them as they are instead of writing and parsing them again.
 */
export function placementsAreJson(s: ReconcileStatus): boolean {
  return jsonPlacements.has(s.placements);
}

/**
 * The previous result a status's placements stand for, as `--previous` reads a render document
 * (previousFromJson): JSON placement lines taken as parsed, a status read as YAML first made JSON
 * (a YAML date becomes its text). The restore and `--previous auto` both read it so.
 */
export function previousOfStatus(s: ReconcileStatus, file: string): Map<string, PreviousPlacement> {
  return placementsAreJson(s)
    ? previousFromPlacements(s.placements, file)
    : previousFromJson(JSON.stringify({ placements: s.placements }), file);
}

/** Reads status.yaml; tolerant of missing fields (older or hand-edited files), strict about the kind. */
export function parseStatus(text: string): ReconcileStatus | null {
  let doc: unknown;
  try {
    doc = parseFlowPlacements(text) ?? parse(text, { version: '1.1', maxAliasCount: 100 });
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object' || (doc as { kind?: unknown }).kind !== STATUS_KIND) return null;
  const d = doc as Partial<ReconcileStatus>;
  return {
    apiVersion: d.apiVersion ?? STATUS_API_VERSION,
    kind: STATUS_KIND,
    source: d.source ?? { url: '', branch: '', path: '' },
    sourceRevision: String(d.sourceRevision ?? ''),
    phase: d.phase ?? 'Failed',
    stage: d.stage ?? null,
    reason: d.reason ?? null,
    message: d.message ?? '',
    lastGoodRevision: d.lastGoodRevision ?? null,
    reconciledAt: d.reconciledAt ?? '',
    objects: { total: 0, created: 0, configured: 0, unchanged: 0, deleted: 0, failed: 0, ...d.objects },
    clusters: d.clusters ?? {},
    targets: d.targets ?? [],
    heldBack: d.heldBack ?? null,
    ...(Array.isArray(d.deletions) ? { deletions: d.deletions.filter(isDeletionRecord) } : {}),
    placements: Array.isArray(d.placements) ? d.placements : [],
    diagnostics: Array.isArray(d.diagnostics) ? d.diagnostics : [],
    ...(Array.isArray(d.applications) ? { applications: d.applications } : {}),
    ...(d.health !== undefined ? { health: d.health } : {}),
    ...(d.failover && typeof d.failover === 'object'
      ? {
          failover: {
            conditions: Array.isArray(d.failover.conditions) ? d.failover.conditions : [],
            events: Array.isArray(d.failover.events) ? d.failover.events : [],
            ...(Array.isArray(d.failover.evictions) ? { evictions: d.failover.evictions } : {}),
          },
        }
      : {}),
    ...(d.traffic && typeof d.traffic === 'object' ? { traffic: d.traffic } : {}),
  };
}

function isDeletionRecord(r: unknown): r is DeletionRecord {
  const x = r as Partial<DeletionRecord> | null;
  return !!x && typeof x.at === 'string' && typeof x.revision === 'string' && typeof x.deleted === 'number' && x.deleted >= 0;
}

/**
 * Whether two statuses say the same thing. The time, this reconcile's change counts and the
 * deletion window (it changes with the revisions that delete, and its entries age out by the clock)
 * are left out: a poll that finds nothing new must not add a commit (the branch records changes,
 * not polls).
 */
export function sameStatus(a: ReconcileStatus | null, b: ReconcileStatus | null): boolean {
  if (!a || !b) return a === b;
  if (a.placements.length !== b.placements.length) return false;
  // The rest first: a new revision differs there, and 10,000 placements read from the branch are
  // written out only when it does not (about 0.1 s of a restart's status stage at fleet scale).
  if (!sameBesidesPlacements(a, b)) return false;
  // Placements by reference first: the reconciler reuses the records of resources it did not re-place.
  for (let i = 0; i < a.placements.length; i++) {
    const pa = a.placements[i]!;
    const pb = b.placements[i]!;
    if (pa !== pb && flowLine(pa) !== flowLine(pb)) return false;
  }
  return true;
}

/** sameStatus of all but the placements. */
function sameBesidesPlacements(a: ReconcileStatus, b: ReconcileStatus): boolean {
  const strip = (s: ReconcileStatus) => ({
    ...s,
    placements: [],
    reconciledAt: '',
    deletions: [],
    objects: { total: s.objects.total },
    // Live fields that say something about the cluster (not its probe times) count as news.
    clusters: Object.fromEntries(
      Object.entries(s.clusters).map(([k, c]) => [
        k,
        {
          reachable: c.reachable,
          failed: c.failed,
          ready: c.ready ?? null,
          health: c.health ?? null,
          drifted: c.drifted ?? 0,
          message: c.message ?? null,
        },
      ]),
    ),
    failover: s.failover
      ? {
          conditions: s.failover.conditions.map((c) => ({ cluster: c.cluster, ready: c.ready, transitionAt: c.transitionAt })),
          events: s.failover.events,
          evictions: (s.failover.evictions ?? []).map(
            (e) => `${e.cluster}:${e.resource.kind}/${e.resource.namespace}/${e.resource.name}${e.ended ? ':ended' : ''}`,
          ),
        }
      : null,
    health: s.health ?? null,
    targets: s.targets.map((t) => ({
      name: t.name,
      phase: t.phase === 'Unchanged' ? 'Applied' : t.phase,
      failed: t.failed,
      message: t.phase === 'Failed' ? t.message : null,
    })),
  });
  return JSON.stringify(sortKeysDeep(strip(a))) === JSON.stringify(sortKeysDeep(strip(b)));
}

/**
 * "12 (0 created, 0 configured, 0 unchanged, 0 deleted, 12 failed)": the one wording of a pass's
 * object counts, shared by `flotilla status`, the status README and the status commit message.
 */
export function describeObjects(o: ObjectCounts): string {
  const failed = o.failed > 0 ? `, ${o.failed} failed` : '';
  return `${o.total} (${o.created} created, ${o.configured} configured, ${o.unchanged} unchanged, ${o.deleted} deleted${failed})`;
}

/** The commit message of a status commit: names the phase and the full source revision. */
export function statusCommitMessage(s: ReconcileStatus): string {
  const head = `flotilla: ${s.phase} at ${s.sourceRevision}`;
  const lines = [s.message];
  if (s.lastGoodRevision && s.lastGoodRevision !== s.sourceRevision) lines.push(`Last good revision: ${s.lastGoodRevision}`);
  lines.push(`Objects: ${describeObjects(s.objects)}`);
  return `${head}\n\n${lines.filter(Boolean).join('\n')}\n`;
}
