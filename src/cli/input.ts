// Reads the fleet a command works on: the working tree of --repo, or a Git revision of it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readFleetDirectory } from '../load/files.js';
import type { SourceFile } from '../load/parse.js';
import { readRevisionFiles, resolveRevision } from '../source/git-revision.js';
import { previousFromJson } from '../render/contract.js';
import { renderFleet, type RenderResult } from '../render/render-fleet.js';
import type { PreviousPlacement } from '../model/types.js';

export interface FleetSourceOptions {
  repo?: string;
  ref?: string;
  path?: string;
}

/** Files and revision of the fleet: a commit (40-hex) when --ref is given, else "worktree". */
export async function readFleetSource(opts: FleetSourceOptions): Promise<{ files: SourceFile[]; revision: string }> {
  const dir = path.resolve(opts.repo ?? '.');
  if (opts.ref) {
    const commit = await resolveRevision({ dir, ref: opts.ref });
    const files = await readRevisionFiles({ dir, commit, subpath: opts.path });
    return { files, revision: commit };
  }
  const files = await readFleetDirectory(dir, opts.path);
  return { files, revision: 'worktree' };
}

/** Reads `--previous FILE`. */
export async function readPrevious(file: string | undefined): Promise<Map<string, PreviousPlacement> | undefined> {
  if (!file) return undefined;
  return previousFromJson(await readFile(file, 'utf8'), file);
}

/** Reads and renders in one step, as most commands need. */
export async function renderFromOptions(opts: FleetSourceOptions & { previous?: string }): Promise<RenderResult> {
  const { files, revision } = await readFleetSource(opts);
  return renderFleet({ files, revision, previous: await readPrevious(opts.previous) });
}
