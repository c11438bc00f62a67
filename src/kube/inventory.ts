// The inventory: per cluster, every object flotilla applied and has not deleted (Flux keeps it in
// the Kustomization's status; pruning is an inventory diff). The reconciler's applied state on the
// status branch (manifests/) already lists what each revision put on each cluster, and its
// `deleted` changes feed pruning across restarts; this store additionally remembers what a failed
// or held-back deletion left behind, so it is retried on a later pass. Stored as one JSON file.
// `nextInventory`, the last stage of a cluster's sync pass, computes a cluster's inventory from
// what the pass did (pure).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeObject } from './api.js';
import { managedBy } from './live-object.js';
import type { DesiredObject, InventoryEntry, ObjectResult } from './sync-types.js';
import type { Origin } from './take-over.js';

export type FleetInventory = Record<string, InventoryEntry[]>;

export interface InventoryStore {
  load(): Promise<FleetInventory | null>;
  save(inventory: FleetInventory): Promise<void>;
}

/** Keeps the inventory in memory only (tests, dry runs). */
export function memoryInventoryStore(initial: FleetInventory | null = null): InventoryStore & { current: FleetInventory | null } {
  const store = {
    current: initial,
    load: async () => store.current,
    save: async (inv: FleetInventory) => {
      store.current = inv;
    },
  };
  return store;
}

function isEntry(v: unknown): v is InventoryEntry {
  const e = v as Partial<InventoryEntry> | null;
  return (
    !!e &&
    typeof e.id === 'string' &&
    typeof e.apiVersion === 'string' &&
    typeof e.kind === 'string' &&
    typeof e.namespace === 'string' &&
    typeof e.name === 'string' &&
    (e.origin === undefined || e.origin === 'created' || e.origin === 'adopted')
  );
}

/** A JSON file (written to a temporary name, then renamed, so a crash never leaves half a file). */
export function fileInventoryStore(file: string): InventoryStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        return null;
      }
      try {
        const doc = JSON.parse(text) as { clusters?: Record<string, unknown[]> };
        const out: FleetInventory = {};
        for (const [cluster, entries] of Object.entries(doc.clusters ?? {}))
          out[cluster] = Array.isArray(entries) ? entries.filter(isEntry) : [];
        return out;
      } catch {
        return null; // unreadable: start from the reconciler's record alone
      }
    },
    async save(inventory) {
      await mkdir(path.dirname(file), { recursive: true });
      const clusters: FleetInventory = {};
      for (const c of Object.keys(inventory).sort()) clusters[c] = inventory[c]!;
      await writeFile(
        `${file}.tmp`,
        JSON.stringify({ apiVersion: 'flotilla.dev/v1alpha1', kind: 'KubernetesInventory', clusters }, null, 1) + '\n',
      );
      await rename(`${file}.tmp`, file);
    },
  };
}

function byId(a: InventoryEntry, b: InventoryEntry): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The inventory after a pass: desired objects that are flotilla's — created in this pass, or live
 * with flotilla's Apply entry in managedFields (applied now or before) — each with its origin
 * (created, or adopted: already there, taken over under conflictResolution Overwrite), plus
 * objects that left the desired state and were not deleted or released for a reason that may pass
 * (`keep`: held back, write failed, API not served, a Namespace or CRD still holding foreign
 * objects). A desired object that was refused (already there, someone else's, conflictResolution
 * Abort) or whose apply failed is not recorded: it is not flotilla's. Objects found gone, not
 * flotilla's, opted out or released leave it. An entry whose object could not be looked at (its
 * kind not served now), and after an aborted pass anything previously recorded, is never
 * forgotten. Entries `adopted` in this pass (a lost inventory rebuilt) are added. Sorted by id.
 */
export function nextInventory(pass: {
  previous: readonly InventoryEntry[];
  desired: readonly DesiredObject[];
  results: ReadonlyMap<string, ObjectResult>;
  liveBefore: ReadonlyMap<string, KubeObject | null>;
  liveAfter: ReadonlyMap<string, KubeObject | null>;
  /** The apply stage's origin of each desired object it made or found flotilla's. */
  origins: ReadonlyMap<string, Origin>;
  keep: ReadonlySet<string>;
  aborted: boolean;
  adopted: readonly InventoryEntry[];
  fieldManager: string;
}): InventoryEntry[] {
  const { previous, results, liveBefore, liveAfter, aborted } = pass;
  const out = new Map<string, InventoryEntry>();
  const prev = new Map(previous.map((e) => [e.id, e]));
  for (const d of pass.desired) {
    const action = results.get(d.id)?.action;
    const live = liveAfter.get(d.id) ?? liveBefore.get(d.id) ?? null;
    const created = action === 'created';
    const ours = created || (live !== null && managedBy(live, pass.fieldManager));
    const unseen = !liveAfter.has(d.id) && !liveBefore.has(d.id);
    const before = prev.get(d.id);
    if (ours) {
      const origin = pass.origins.get(d.id) ?? before?.origin ?? (created ? 'created' : undefined);
      out.set(d.id, { id: d.id, ...d.ref, ...(origin ? { origin } : {}) });
    } else if (before && (aborted || unseen)) out.set(d.id, before);
  }
  for (const e of previous) {
    if (out.has(e.id)) continue;
    if (pass.keep.has(e.id) || (aborted && !FORGOTTEN_AFTER_ABORT.has(results.get(e.id)?.action ?? 'skipped'))) out.set(e.id, e);
  }
  return withAdopted([...out.values()].sort(byId), pass.adopted);
}

/** What a stopped pass already did to an entry that leaves the inventory anyway. */
const FORGOTTEN_AFTER_ABORT: ReadonlySet<string> = new Set(['deleted', 'released']);

/** `inventory` plus the adopted entries it does not hold, sorted by id. */
function withAdopted(inventory: InventoryEntry[], adopted: readonly InventoryEntry[]): InventoryEntry[] {
  if (adopted.length === 0) return inventory;
  const ids = new Set(inventory.map((e) => e.id));
  return [...inventory, ...adopted.filter((e) => !ids.has(e.id))].sort(byId);
}
