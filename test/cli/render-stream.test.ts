// render and validate streamed a cluster at a time (issue 13): stdout is what the whole render
// printed, and an error found half-way — an override that fails only on the last cluster rendered —
// leaves `--out DIR` exactly as it was: nothing written, no hidden staging folder, exit 1.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCommand } from '../../src/cli/commands/render.js';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { renderJsonChunks } from '../../src/render/contract.js';
import { renderFleet } from '../../src/render/render-fleet.js';
import { layoutManifests } from '../../src/objects/layout.js';
import { toStableYaml } from '../../src/objects/serialize.js';
import { withScope } from '../../src/validate/scope.js';
import { defaultScope } from '../../src/config/scope.js';
import { readFleetDirectory } from '../../src/load/files.js';
import { configMapYaml, duplicatedFleet } from '../helpers/fleet.js';
import { fakeIO } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flotilla-render-stream-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CLUSTERS = ['alpha', 'bravo', 'charlie'];

/** An override on the ConfigMaps that replaces a field they lack — an error — on `failOn` only. */
const overrideYaml = (failOn: string) => `apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: o, namespace: default}
spec:
  resourceSelectors: [{apiVersion: v1, kind: ConfigMap}]
  overrideRules:
  - targetCluster: {clusterNames: [${failOn}]}
    overriders:
      plaintext: [{path: /spec/missing, operator: replace, value: 1}]
`;

function fleetDir(name: string, failOn: string | null): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'fleet.yaml'), duplicatedFleet(CLUSTERS));
  for (const n of ['one', 'two']) writeFileSync(path.join(dir, `${n}.yaml`), configMapYaml(n));
  if (failOn) writeFileSync(path.join(dir, 'override.yaml'), overrideYaml(failOn));
  return dir;
}

/** What the whole render (renderFleet, then withScope) gives for a directory. */
async function wholeRender(dir: string) {
  return withScope(renderFleet({ files: await readFleetDirectory(dir), revision: 'worktree' }), defaultScope());
}

describe('streamed render', () => {
  it('prints the YAML stream and the JSON document of the whole render, byte for byte', async () => {
    const dir = fleetDir('valid', null);
    const whole = await wholeRender(dir);
    const yaml = fakeIO();
    expect(await renderCommand(['--repo', dir], yaml)).toBe(0);
    const docs = Object.entries(whole.manifests).flatMap(([c, list]) => list.map((o) => `# cluster: ${c}\n${toStableYaml(o)}`));
    expect(yaml.out).toBe(docs.join('---\n'));
    expect(docs).toHaveLength(6); // two ConfigMaps on each of three clusters
    const json = fakeIO();
    expect(await renderCommand(['--repo', dir, '--format', 'json'], json)).toBe(0);
    expect(json.out).toBe([...renderJsonChunks(whole)].join(''));
  });

  it('--out into a directory that has files: adds the render beside them, deletes nothing, leaves no staging folder', async () => {
    const dir = fleetDir('valid-out', null);
    const out = path.join(tmp, 'out-existing');
    mkdirSync(path.join(out, 'alpha/default'), { recursive: true });
    writeFileSync(path.join(out, 'alpha/default/configmap-old.yaml'), 'kept\n');
    writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const io = fakeIO();
    expect(await renderCommand(['--repo', dir, '--out', out], io)).toBe(0);
    const whole = await wholeRender(dir);
    const expected = layoutManifests(whole.manifests);
    expect(io.err).toBe(`wrote ${expected.length} manifests for 3 clusters to ${out}\n`);
    for (const { path: rel, object } of expected) expect(readFileSync(path.join(out, rel), 'utf8')).toBe(toStableYaml(object));
    expect(readFileSync(path.join(out, 'alpha/default/configmap-old.yaml'), 'utf8')).toBe('kept\n');
    expect(readdirSync(out).sort()).toEqual(['alpha', 'bravo', 'charlie', 'notes.txt']);
  });

  it('an override failing on the last cluster only: exit 1, nothing reaches --out, a new DIR is not even left behind', async () => {
    const dir = fleetDir('late-error', 'charlie');
    const fresh = path.join(tmp, 'out-fresh', 'nested');
    const io = fakeIO();
    expect(await renderCommand(['--repo', dir, '--out', fresh], io)).toBe(1);
    expect(io.err).toMatch(/OVERRIDE_FAILED|on cluster charlie/);
    expect(io.err).toContain(`nothing written to ${fresh}: 2 errors`);
    expect(existsSync(path.join(tmp, 'out-fresh'))).toBe(false);

    const existing = path.join(tmp, 'out-kept');
    mkdirSync(existing);
    writeFileSync(path.join(existing, 'notes.txt'), 'mine\n');
    expect(await renderCommand(['--repo', dir, '--out', existing], fakeIO())).toBe(1);
    expect(readdirSync(existing)).toEqual(['notes.txt']);
  });

  it('validate counts the streamed objects and reports the late error with its file and line', async () => {
    const dir = fleetDir('validate-late', 'charlie');
    const whole = await wholeRender(dir);
    const io = fakeIO();
    expect(await validateCommand(['--repo', dir], io)).toBe(1);
    const objects = Object.values(whole.manifests).reduce((n, l) => n + l.length, 0);
    expect(io.out).toContain(`invalid: 2 resources, 3 clusters, ${objects} rendered objects; 2 errors`);
    expect(io.out).toMatch(/override\.yaml:\d+:\d+/);
  });
});
