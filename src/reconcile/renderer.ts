// The render stage as the reconciler sees it: a stateful renderer fed each revision's changed
// files. The incremental render engine (src/render/incremental.ts) re-parses and re-schedules only
// what a change affects, and keeps the object identity of everything it did not re-render (the
// diff stage skips those without comparing). FullRenderer renders the whole file set every time:
// the reference the property tests compare against.
import type { SourceFile } from '../load/parse.js';
import type { PreviousPlacement } from '../model/types.js';
import { IncrementalRenderer } from '../render/incremental.js';
import { fileOfChange, type FileChange, type ParsedFileRecord } from '../render/incremental/sources.js';
import { renderFleet, type RenderResult } from '../render/render-fleet.js';

/** One file of a new revision (the engine's own type): `text: null` means the file is gone. */
export type { FileChange };

export interface RenderStats {
  reparsedFiles: number;
  rescheduled: number;
  rerenderedObjects: number;
  full: boolean;
}

/** What the reconciler needs of a renderer. */
export interface FleetRenderer {
  update(input: {
    revision: string;
    changes: readonly FileChange[];
    previous?: ReadonlyMap<string, import('../model/types.js').PreviousPlacement>;
  }): RenderResult & { stats: RenderStats };
  files(): SourceFile[];
  /** The parses a later process may start from (the render index); absent: none kept. */
  parsedFiles?(): ParsedFileRecord[];
}

/** Renders the whole current file set on every update: correct, not incremental. */
export class FullRenderer implements FleetRenderer {
  private readonly current = new Map<string, SourceFile>();

  update(input: {
    revision: string;
    changes: readonly FileChange[];
    previous?: ReadonlyMap<string, PreviousPlacement>;
  }): RenderResult & { stats: RenderStats } {
    for (const c of input.changes) {
      if (c.text === null) this.current.delete(c.path);
      else this.current.set(c.path, fileOfChange({ ...c, text: c.text }));
    }
    const result = renderFleet({ files: this.files(), revision: input.revision, previous: input.previous });
    const objects = Object.values(result.manifests).reduce((n, l) => n + l.length, 0);
    return {
      ...result,
      stats: { reparsedFiles: this.current.size, rescheduled: result.placements.length, rerenderedObjects: objects, full: true },
    };
  }

  files(): SourceFile[] {
    return [...this.current.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** The renderer the reconciler uses: the incremental engine, starting from an earlier process's parses when given. */
export function createFleetRenderer(seeds: Iterable<ParsedFileRecord> = []): FleetRenderer {
  return new IncrementalRenderer(seeds);
}
