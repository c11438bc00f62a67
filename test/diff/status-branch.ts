// A status branch as the reconciler writes it (docs/reference/contract.md): status.yaml plus every applied object
// under manifests/ in the `render --out` layout, committed in its own history and fetched into the
// fleet repository as `flotilla-status` (or as origin/flotilla-status).
import { layoutManifests } from '../../src/objects/layout.js';
import { toStableYaml } from '../../src/objects/serialize.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { git, makeRepo } from '../helpers/git.js';

/** Files of a status branch recording `files` rendered at `revision` as applied. */
export function statusFiles(files: Record<string, string>, revision: string): Record<string, string> {
  const r = renderFleet({ files: Object.entries(files).map(([path, text]) => ({ path, text })), revision });
  const out: Record<string, string> = {
    'status.yaml': toStableYaml({ sourceRevision: revision, phase: 'Synced', clusters: [], placements: [], diagnostics: [] }),
    'README.md': '# flotilla status\n',
  };
  for (const { path, object } of layoutManifests(r.manifests)) out[`manifests/${path}`] = toStableYaml(object);
  return out;
}

/** Commits `files` as the status branch of the repository at `dir`, under `ref` (a full ref name). */
export async function writeStatusBranch(dir: string, files: Record<string, string>, ref = 'refs/heads/flotilla-status'): Promise<string> {
  const { dir: statusDir, commit } = await makeRepo(files, { message: 'status' });
  await git(dir, 'fetch', '-q', statusDir, `main:${ref}`);
  return commit;
}
