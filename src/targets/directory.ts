// The directory target: the desired state as files in the `render --out` layout
// (<cluster>/<namespace or _cluster>/<kind>-<name>.yaml). It records every file it wrote, with
// its blob oid, in `.flotilla-inventory.json` at the root: only those files are ever rewritten
// or deleted (Flux's inventory: pruning is an inventory diff), so files a person put in the
// folder are never touched.
import path from 'node:path';
import { FlotillaError } from '../model/diagnostics.js';
import type { TargetFs } from './fs.js';
import type { Target, TargetPlan, TargetReport } from './target.js';

export const INVENTORY_FILE = '.flotilla-inventory.json';

interface InventoryDoc {
  apiVersion: string;
  kind: 'Inventory';
  revision: string;
  /** layout path → blob oid of the text written there. */
  files: Record<string, string>;
}

export class DirectoryTarget implements Target {
  readonly type = 'directory' as const;
  readonly name: string;
  private readonly root: string;
  private inventory: Map<string, string> | null = null;

  constructor(
    root: string,
    private readonly fs: TargetFs,
  ) {
    this.root = path.resolve(root);
    this.name = `directory:${root}`;
  }

  /** The files this target wrote (path → oid), as recorded on disk. */
  async readInventory(): Promise<Map<string, string>> {
    const text = await this.fs.readFile(path.join(this.root, INVENTORY_FILE));
    if (text === null) return new Map();
    let doc: InventoryDoc;
    try {
      doc = JSON.parse(text) as InventoryDoc;
    } catch (e) {
      throw new FlotillaError('INVENTORY_CORRUPT', `${path.join(this.root, INVENTORY_FILE)} is not valid JSON (${(e as Error).message}); fix or delete it (flotilla then deletes nothing it wrote before)`);
    }
    const files = new Map<string, string>();
    for (const [p, oid] of Object.entries(doc.files ?? {})) if (typeof oid === 'string' && this.inside(p)) files.set(p, oid);
    return files;
  }

  async apply(plan: TargetPlan): Promise<TargetReport> {
    if (plan.full || !this.inventory) this.inventory = await this.readInventory();
    const inventory = this.inventory;
    const writes = new Map<string, { oid: string; text?: string }>();
    const deletes = new Set<string>();
    const desired = plan.full ? plan.files() : null;
    if (desired) {
      for (const [p, oid] of desired) {
        if (inventory.get(p) !== oid || !(await this.fs.exists(this.abs(p)))) writes.set(p, { oid });
      }
      for (const p of inventory.keys()) if (!desired.has(p)) deletes.add(p);
      for (const c of plan.changes) if (c.text !== undefined && writes.has(c.path)) writes.set(c.path, { oid: c.oid!, text: c.text });
    } else {
      for (const c of plan.changes) {
        if (c.previousPath !== undefined) deletes.add(c.previousPath);
        if (c.action === 'deleted') deletes.add(c.path);
        else if (inventory.get(c.path) !== c.oid) writes.set(c.path, { oid: c.oid!, text: c.text });
      }
      for (const p of writes.keys()) deletes.delete(p);
    }

    let created = 0;
    let configured = 0;
    let deleted = 0;
    let changed = false;
    const total = plan.total;
    const done = new Set<string>();
    try {
      for (const [p, w] of writes) {
        const existed = inventory.has(p);
        await this.fs.writeFile(this.abs(p), w.text ?? (await plan.readText(w.oid)));
        inventory.set(p, w.oid);
        done.add(p);
        changed = true;
        if (existed) configured++;
        else created++;
      }
      const folders = new Set<string>();
      for (const p of [...deletes].sort()) {
        // Only what this target wrote: a path missing from the inventory is someone else's file.
        if (!inventory.has(p)) continue;
        await this.fs.removeFile(this.abs(p));
        inventory.delete(p);
        done.add(p);
        changed = true;
        deleted++;
        folders.add(path.posix.dirname(p));
      }
      await this.pruneEmptyFolders(folders);
    } catch (e) {
      if (changed) await this.saveInventory(plan.revision).catch(() => undefined);
      this.inventory = null; // re-read next time; the next apply runs in full
      const left = [...[...writes.keys()].filter((p) => !done.has(p)), ...[...deletes].filter((p) => inventory.has(p))];
      return {
        created,
        configured,
        deleted,
        unchanged: 0,
        failed: left.length,
        failedClusters: [...new Set(left.map((p) => plan.clusterOf(p)))].sort(),
        ok: false,
        message: `writing ${this.root} failed: ${(e as Error).message}`,
      };
    }
    if (changed || plan.full) await this.saveInventory(plan.revision);
    return { created, configured, deleted, unchanged: Math.max(0, total - created - configured), failed: 0, failedClusters: [], ok: true, message: null };
  }

  /** Removes folders that became empty, deepest first, never the root itself. */
  private async pruneEmptyFolders(folders: Set<string>): Promise<void> {
    const all = new Set<string>();
    for (const f of folders) for (let d = f; d !== '.' && d !== ''; d = path.posix.dirname(d)) all.add(d);
    for (const d of [...all].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1))) {
      await this.fs.removeEmptyDir(this.abs(d));
    }
  }

  private async saveInventory(revision: string): Promise<void> {
    const files: Record<string, string> = {};
    for (const p of [...this.inventory!.keys()].sort()) files[p] = this.inventory!.get(p)!;
    const doc: InventoryDoc = { apiVersion: 'flotilla.dev/v1alpha1', kind: 'Inventory', revision, files };
    const target = path.join(this.root, INVENTORY_FILE);
    await this.fs.writeFile(`${target}.tmp`, JSON.stringify(doc, null, 1) + '\n');
    await this.fs.rename(`${target}.tmp`, target);
  }

  private inside(p: string): boolean {
    const abs = path.resolve(this.root, p);
    return abs.startsWith(this.root + path.sep) && !p.split('/').some((s) => s === '..' || s === '');
  }

  /** Absolute path of a layout path; refuses anything that would leave the root. */
  private abs(p: string): string {
    if (!this.inside(p)) throw new FlotillaError('PATH_OUTSIDE_OUTPUT', `refusing to touch ${p}: it resolves outside ${this.root}`);
    return path.resolve(this.root, p);
  }
}
