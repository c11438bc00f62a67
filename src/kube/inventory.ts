// The inventory: per cluster, every object flotilla applied and has not deleted (Flux keeps it in
// the Kustomization's status; pruning is an inventory diff). The reconciler's applied state on the
// status branch (manifests/) already lists what each revision put on each cluster, and its
// `deleted` changes feed pruning across restarts; this store additionally remembers what a failed
// or held-back deletion left behind, so it is retried on a later pass. Stored as one JSON file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InventoryEntry } from './sync.js';

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
    typeof e.name === 'string'
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
