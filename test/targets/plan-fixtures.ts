// Hand-made target plans for the directory and git target tests.
import fs from 'node:fs/promises';
import { expect } from 'vitest';
import path from 'node:path';
import { INVENTORY_FILE, INVENTORY_JOURNAL } from '../../src/targets/directory.js';
import type { ObjectChange } from '../../src/state/change-set.js';
import { blobOid } from '../../src/source/objects.js';
import { visitFiles, type TargetPlan } from '../../src/targets/target.js';

export const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' };

/** A plan whose desired state is `files` (path → text), reached from the previous state by `changes`. */
export function plan(files: Record<string, string>, changes: ObjectChange[], full = false): TargetPlan {
  const oids = new Map(Object.entries(files).map(([p, t]) => [p, blobOid(t)]));
  const texts = new Map(Object.values(files).map((t) => [blobOid(t), t]));
  return {
    revision: 'r',
    changes,
    files: () => oids,
    forEachFile: visitFiles(oids),
    total: oids.size,
    manifestsTree: null,
    previousManifestsTree: null,
    readText: async (oid) => texts.get(oid)!,
    full,
    clusterOf: (p) => p.split('/')[0]!,
  };
}

/** A created (or configured) object at `p`. */
export const write = (p: string, text: string, action: 'created' | 'configured' = 'created'): ObjectChange => ({
  action,
  id: p,
  cluster: p.split('/')[0]!,
  ref,
  path: p,
  text,
  oid: blobOid(text),
});
/** A deleted object at `p`. */
export const del = (p: string): ObjectChange => ({ action: 'deleted', id: p, cluster: p.split('/')[0]!, ref, path: p });

/**
 * The directory target's inventory under `root`, read as its format says: INVENTORY_FILE's entries,
 * then INVENTORY_JOURNAL's when it follows that file's generation. Layout path → blob oid.
 */
export async function inventoryOf(root: string): Promise<Record<string, string>> {
  const doc = JSON.parse(await fs.readFile(path.join(root, INVENTORY_FILE), 'utf8')) as {
    version: number;
    generation: string;
    pathsAndOids: string[];
  };
  expect(doc.version).toBe(3);
  const files: Record<string, string> = {};
  for (let i = 0; i < doc.pathsAndOids.length; i += 2) files[doc.pathsAndOids[i]!] = doc.pathsAndOids[i + 1]!;
  const journal = await fs.readFile(path.join(root, INVENTORY_JOURNAL), 'utf8').catch(() => null);
  if (journal === null) return files;
  const [head, ...lines] = journal.split('\n');
  if ((JSON.parse(head!) as { generation: string }).generation !== doc.generation) return files;
  expect(lines.pop()).toBe('');
  for (const line of lines) {
    const [p, oid] = JSON.parse(line) as [string, string?];
    if (oid === undefined) delete files[p];
    else files[p] = oid;
  }
  return files;
}
