// The review commands over a repository of Kustomize overlays and a chart folder (fixtures/kustomize
// with the operator's config fixtures/generators/flotilla.yaml): validate, explain and plan read the
// builds exactly as the reconciler does.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { planCommand } from '../../src/cli/commands/plan.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { cleanupRepos, commitFiles, makeRepo } from '../helpers/git.js';
import { FIXTURES, folderFiles } from '../helpers/fleet.js';
import { kustomizeAvailable } from '../helpers/kustomize.js';
import { runCommand } from '../plan/scenarios.js';

const withKustomize = await kustomizeAvailable();
const REPO = path.join(FIXTURES, 'kustomize');
const CONFIG = path.join(FIXTURES, 'generators', 'flotilla.yaml');
afterAll(cleanupRepos);

describe.skipIf(!withKustomize)('review commands over Kustomize folders (FLOTILLA_ALLOW_NO_KUSTOMIZE=1 skips)', () => {
  it('validate: the overlays and the chart build, nothing to report (exit 0)', async () => {
    const r = await runCommand(validateCommand, ['--repo', REPO, '--config', CONFIG]);
    expect(r.stdout).toContain('valid: 8 resources, 4 clusters, 20 rendered objects; 0 errors, 0 warnings');
    expect(r.code).toBe(0);
  });

  it('without the generator the chart folder is plain YAML and its template does not parse: an error, exit 1', async () => {
    const r = await runCommand(validateCommand, ['--repo', REPO]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('charts/cache/Chart.yaml');
  });

  it('explain: the overlay build is claimed by its region policy and divided over that region', async () => {
    const r = await runCommand(explainCommand, ['Deployment/web/web-eu', '--repo', REPO, '--config', CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('policy:   PropagationPolicy web/web-eu\nreplicas: 4\nresult:   eu-1=2, eu-2=2');
  });

  it("plan: a change to the base shows on both regions' overlays", async () => {
    const files = await folderFiles(REPO);
    const { dir, commit: base } = await makeRepo(files);
    const head = await commitFiles(dir, { 'apps/web/base/settings.properties': 'greeting=hi\ncache.size=64\n' }, 'base: a new greeting');
    const r = await runCommand(planCommand, ['--repo', dir, '--base', base, '--head', head, '--config', CONFIG, '--format', 'json']);
    expect(r.code).toBe(2);
    const text = JSON.stringify(JSON.parse(r.stdout));
    expect(text).toContain('web-settings-eu');
    expect(text).toContain('web-settings-us');
    expect(text).not.toContain('"web-eu"');
  });
});
