// dependenciesOf over random pod templates: every reference it reports points (its path) at the
// name it reports, every name written in a referencing field is reported once per kind, and the
// "default" ServiceAccount and empty names never are.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Manifest } from '../../src/model/types.js';
import { dependenciesOf } from '../../src/placement/dependencies.js';

type Kind = 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
const name = fc.constantFrom('a', 'b', 'c', '');

/** A volume and the dependency it names (kind, name), or null for none. */
const volume = fc.oneof(
  name.map((n) => [{ configMap: { name: n } }, ['ConfigMap', n]] as const),
  name.map((n) => [{ secret: { secretName: n } }, ['Secret', n]] as const),
  name.map((n) => [{ persistentVolumeClaim: { claimName: n } }, ['PersistentVolumeClaim', n]] as const),
  name.map((n) => [{ projected: { sources: [{ configMap: { name: n } }] } }, ['ConfigMap', n]] as const),
  name.map((n) => [{ projected: { sources: [{ secret: { name: n } }] } }, ['Secret', n]] as const),
  name.map((n) => [{ csi: { driver: 'd', nodePublishSecretRef: { name: n } } }, ['Secret', n]] as const),
  fc.constant([{ emptyDir: {} }, null] as const),
);
const envFrom = fc.oneof(
  name.map((n) => [{ configMapRef: { name: n } }, ['ConfigMap', n]] as const),
  name.map((n) => [{ secretRef: { name: n } }, ['Secret', n]] as const),
);
const env = fc.oneof(
  name.map((n) => [{ name: 'E', valueFrom: { configMapKeyRef: { name: n, key: 'k' } } }, ['ConfigMap', n]] as const),
  name.map((n) => [{ name: 'E', valueFrom: { secretKeyRef: { name: n, key: 'k' } } }, ['Secret', n]] as const),
  fc.constant([{ name: 'E', value: 'x' }, null] as const),
);
const container = fc.record({ envFrom: fc.array(envFrom, { maxLength: 3 }), env: fc.array(env, { maxLength: 3 }) });
const podSpec = fc.record({
  volumes: fc.array(volume, { maxLength: 4 }),
  containers: fc.array(container, { minLength: 1, maxLength: 2 }),
  initContainers: fc.array(container, { maxLength: 1 }),
  pullSecrets: fc.array(name, { maxLength: 2 }),
  serviceAccount: fc.constantFrom(undefined, 'default', 'runner', ''),
});

function at(value: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}

describe('dependenciesOf (property)', () => {
  it('reports exactly the named references, once each, with a path to the name', () => {
    fc.assert(
      fc.property(podSpec, (g) => {
        const expected = new Set<string>();
        const add = (dep: readonly [Kind | 'ServiceAccount', string] | null) => {
          if (dep && dep[1] !== '') expected.add(`${dep[0]}/${dep[1]}`);
        };
        const toContainer = (c: (typeof g.containers)[number], i: number) => {
          c.envFrom.forEach(([, d]) => add(d));
          c.env.forEach(([, d]) => add(d));
          return { name: `c${i}`, envFrom: c.envFrom.map(([o]) => o), env: c.env.map(([o]) => o) };
        };
        g.volumes.forEach(([, d]) => add(d));
        g.pullSecrets.forEach((n) => add(['Secret', n]));
        if (g.serviceAccount && g.serviceAccount !== 'default') add(['ServiceAccount', g.serviceAccount]);
        const spec: Record<string, unknown> = {
          volumes: g.volumes.map(([v], i) => ({ name: `v${i}`, ...v })),
          containers: g.containers.map(toContainer),
          initContainers: g.initContainers.map(toContainer),
          imagePullSecrets: g.pullSecrets.map((n) => ({ name: n })),
        };
        if (g.serviceAccount !== undefined) spec.serviceAccountName = g.serviceAccount;
        const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' }, spec: { template: { spec } } };
        const m = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'w', object } as unknown as Manifest;
        const deps = dependenciesOf(m);
        expect(deps.map((d) => `${d.ref.kind}/${d.ref.name}`).sort()).toEqual([...expected].sort());
        for (const d of deps) {
          expect(d.ref.namespace).toBe('ns');
          expect(at(object, d.path)).toBe(d.ref.name);
        }
      }),
      { numRuns: 300 },
    );
  });
});
