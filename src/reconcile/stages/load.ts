// The load stage: the fleet files that changed between the revision the renderer is at and the
// head (every fleet file for an empty renderer). When the old revision cannot be compared (history
// rewritten, cache repacked) the renderer starts over from the whole revision.
import { SourceBuilder, type RepositoryChange } from '../../generate/builder.js';
import { isFleetFilePath } from '../../source/git-revision.js';
import { summarize } from '../../source/remote.js';
import type { PassContext, ReconcilerState, StageResult } from '../context.js';
import { stageFailure } from '../context.js';
import type { LoadReason } from '../reasons.js';
import type { FileChange } from '../renderer.js';
import { resetRender } from './render.js';

/** A repository file as the builder takes it. */
function fileChange(path: string, f: { text: string; size?: number }): RepositoryChange {
  return f.size === undefined ? { path, text: f.text } : { path, text: f.text, size: f.size };
}

/**
 * The changed files since the renderer's revision (all files for an empty renderer): every file,
 * not only YAML, since a Kustomize or generator folder reads any file under it.
 */
async function readChanges(ctx: PassContext, state: ReconcilerState): Promise<RepositoryChange[]> {
  const { git, head } = ctx;
  const sub = ctx.config.source.path;
  const from = state.revisions.rendered;
  if (from === head) return [];
  if (from !== null) {
    try {
      const changed = (await git.changedPaths(from, head)).map((c) => c.path).filter((p) => isFleetFilePath(p, sub, true));
      const files = await git.objects.readFleetFilesAt(head, changed, sub, undefined, true);
      return changed.map((p, i) => {
        const f = files[i];
        return f ? fileChange(p, f) : { path: p, text: null };
      });
    } catch (e) {
      // The old revision may be gone (history rewritten, cache repacked): start over from all files.
      ctx.log.warn({ err: summarize(e), from }, 'cannot list changed files; reading the whole revision');
      resetRender(ctx, state);
    }
  }
  // After a restart, a file whose blob is a text the render index kept is not read again.
  const known = state.keptSources ? { texts: state.keptSources, reused: 0 } : undefined;
  state.keptSources = null;
  const files = await git.readFleetFiles(head, sub, true, known);
  if (known) ctx.revisionLog.debug({ files: files.length, read: files.length - known.reused }, 'read the revision, kept texts reused');
  return files.map((f) => fileChange(f.path, f));
}

/** The renderer's changes: plain YAML files as they are, each Kustomize or generator folder as its build output. */
async function buildChanges(ctx: PassContext, state: ReconcilerState, changes: readonly RepositoryChange[]): Promise<FileChange[]> {
  const r = state.render;
  const source = ctx.config.source;
  // Applications' sources are cloned next to the fleet repository's clone, with its timeouts; one
  // over the fleet's own URL claims its paths.
  r.builder ??= new SourceBuilder(ctx.config.build, {
    applications: { cacheDir: source.cacheDir, timeoutSeconds: source.timeoutSeconds, fleetUrl: source.url, log: ctx.log },
  });
  const out = await r.builder.update(changes);
  if (r.builder.lastBuilds > 0) ctx.revisionLog.debug({ builds: r.builder.lastBuilds }, 'built folders');
  return out;
}

export async function loadStage(ctx: PassContext, state: ReconcilerState): Promise<StageResult<{ changes: FileChange[] }, LoadReason>> {
  try {
    const changes = await readChanges(ctx, state);
    // A renderer reset while reading (history rewritten) starts its builder over too.
    return { ok: true, changes: await buildChanges(ctx, state, changes) };
  } catch (e) {
    resetRender(ctx, state);
    return stageFailure('load', 'LoadFailed', e);
  }
}
