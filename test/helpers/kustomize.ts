// Kustomize in the tests: kubectl's built-in kustomize is on the project's machines, so the tests
// that build folders fail — never skip — when none is found, unless FLOTILLA_ALLOW_NO_KUSTOMIZE=1
// says this machine knowingly has none (then they are skipped, with that reason in their name).
import path from 'node:path';
import { readConfigFile } from '../../src/config/load.js';
import type { BuildConfig } from '../../src/config/schema.js';
import { kustomizeCommand } from '../../src/generate/tools.js';
import { readFleetDirectory } from '../../src/load/files.js';
import type { SourceFile } from '../../src/load/parse.js';
import { FIXTURES } from './fleet.js';

/** Whether the Kustomize tests run: true with kustomize, false only when FLOTILLA_ALLOW_NO_KUSTOMIZE=1; otherwise it throws. */
export async function kustomizeAvailable(): Promise<boolean> {
  if (await kustomizeCommand(null)) return true;
  if (process.env.FLOTILLA_ALLOW_NO_KUSTOMIZE === '1') return false;
  throw new Error('neither kustomize nor kubectl is on PATH: the Kustomize tests need one (FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips them)');
}

/** The operator's config of fixtures/kustomize (fixtures/generators/flotilla.yaml): kubectl kustomize and the fake helm generator. */
export async function fixtureBuildConfig(): Promise<BuildConfig> {
  return (await readConfigFile(path.join(FIXTURES, 'generators', 'flotilla.yaml'), null)).config.build;
}

/** Every file of a fixture repository (not only YAML), as the builder reads it. */
export async function fixtureRepository(name: string): Promise<SourceFile[]> {
  return readFleetDirectory(path.join(FIXTURES, name), '.', { allFiles: true });
}
