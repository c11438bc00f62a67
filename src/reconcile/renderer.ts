// The render stage as the reconciler sees it: a stateful renderer fed each revision's changed
// files. The incremental render engine (src/render/incremental.ts) re-parses and re-schedules only
// what a change affects, and keeps the object identity of everything it did not re-render (the
// diff stage skips those without comparing). FullRenderer renders the whole file set every time:
// the reference the property tests compare against.
//
// The reconciler's placements keep no per-cluster verdicts and explanation steps (placeFleet's
// `details: false`): nothing of a pass reads them, they outweigh the rest of a placement at a
// hundred clusters, and without them a placement can be kept for a later process (the render
// index's seeds). The dashboard's workload page computes them for its one resource
// (src/view/workload.ts).
import type { SourceFile } from '../load/parse.js';
import type { PreviousPlacement } from '../model/types.js';
import { IncrementalRenderer, type KeptRender, type RendererSeeds } from '../render/incremental.js';
import { fileOfChange, type FileChange, type ParsedFileRecord } from '../render/incremental/sources.js';
import { renderFleet, type RenderInput, type RenderResult } from '../render/render-fleet.js';

/** One file of a new revision (the engine's own type): `text: null` means the file is gone. */
export type { FileChange };

export interface RenderStats {
  reparsedFiles: number;
  rescheduled: number;
  rerenderedObjects: number;
  full: boolean;
  /** Rendered objects whose content hash the render index's seeds gave (absent: none kept). */
  knownHashes?: number;
}

/** Kept parses as the render index gives them back, with the seeds kept with them (null: none). */
export type KeptParses = Iterable<ParsedFileRecord> & { readonly seeds?: RendererSeeds | null };

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
  /** The parses and seeds a later process may start from (the render index); absent: parsedFiles() alone. */
  keep?(hashOf: (object: Record<string, unknown>) => string): KeptRender;
  /** Rendered objects whose content hash a seed gave, since the last call (the diff's hash memo takes them). */
  takeKnownHashes?(): Array<[Record<string, unknown>, string]>;
}

/** renderFleet with placeFleet's `details: false`: what the reconciler's renderer gives, rendered whole. */
export function renderFleetLean(input: RenderInput): RenderResult {
  return renderFleet(input, { details: false });
}

/** Renders the whole current file set on every update: correct, not incremental. */
export class FullRenderer implements FleetRenderer {
  private readonly current = new Map<string, SourceFile>();

  /** `details: false` renders as the reconciler's renderer does (renderFleetLean). */
  constructor(private readonly options: { details?: boolean } = {}) {}

  update(input: {
    revision: string;
    changes: readonly FileChange[];
    previous?: ReadonlyMap<string, PreviousPlacement>;
  }): RenderResult & { stats: RenderStats } {
    for (const c of input.changes) {
      if (c.text === null) this.current.delete(c.path);
      else this.current.set(c.path, fileOfChange({ ...c, text: c.text }));
    }
    const render = this.options.details === false ? renderFleetLean : renderFleet;
    const result = render({ files: this.files(), revision: input.revision, previous: input.previous });
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

/** The reconciler's renderer: the incremental engine without details, from an earlier process's parses and seeds when given. */
export function createFleetRenderer(parsed: KeptParses = []): FleetRenderer {
  return new IncrementalRenderer(parsed, { details: false, seeds: parsed.seeds ?? null });
}
