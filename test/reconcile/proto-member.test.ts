// A `__proto__` key in a manifest (a ConfigMap may hold one: keys are [-._a-zA-Z0-9]+) is a member
// like any other: the reconciler writes it, sees it change, and a restart keeps seeing it. Assigned
// as `out[key] = value`, it would set an object's prototype instead, and the content hash, the diff
// and `render --format json` would not see it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRepos, commitFiles } from '../helpers/git.js';
import { configFrom, configMapFleetFolder, readTree, reconcilerFor } from './harness.js';

afterAll(cleanupRepos);

const protoConfigMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keys, namespace: default}\ndata:\n  __proto__: ${value}\n  other: same\n`;

describe('a __proto__ key in a manifest', () => {
  it('is written, a change of it applied by the running reconciler and by a new one', async () => {
    const base = await configMapFleetFolder(['c1', 'c2'], 1, 'flotilla-proto-');
    const repo = path.join(base, 'repo');
    const loaded = configFrom(await fs.readFile(path.join(base, 'flotilla.yaml'), 'utf8'), base);
    const keysFile = async () => {
      const tree = await readTree(path.join(base, 'out'));
      return Object.entries(tree)
        .filter(([p]) => p.includes('keys'))
        .map(([p, text]) => [p, text.match(/__proto__: (\w+)/)?.[1]]);
    };
    await commitFiles(repo, { 'keys.yaml': protoConfigMap('one') }, 'keys');
    const { reconciler } = await reconcilerFor(loaded);
    expect((await reconciler.reconcileOnce()).phase).toBe('Synced');
    expect(await keysFile()).toEqual([
      ['c1/default/configmap-keys.yaml', 'one'],
      ['c2/default/configmap-keys.yaml', 'one'],
    ]);

    await commitFiles(repo, { 'keys.yaml': protoConfigMap('two') }, 'two');
    const steady = await reconciler.reconcileOnce();
    expect(steady.phase).toBe('Synced');
    expect(steady.counts.configured).toBe(2);
    expect(await keysFile()).toEqual([
      ['c1/default/configmap-keys.yaml', 'two'],
      ['c2/default/configmap-keys.yaml', 'two'],
    ]);

    // A new process restores the applied state (its render index) and still tells the values apart.
    await commitFiles(repo, { 'keys.yaml': protoConfigMap('three') }, 'three');
    const restarted = await (await reconcilerFor(loaded)).reconciler.reconcileOnce();
    expect(restarted.phase).toBe('Synced');
    expect(await keysFile()).toEqual([
      ['c1/default/configmap-keys.yaml', 'three'],
      ['c2/default/configmap-keys.yaml', 'three'],
    ]);
  });
});
