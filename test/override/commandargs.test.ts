import { describe, it, expect } from 'vitest';
import type { CommandArgsOverrider } from '../../src/model/types.js';
import { override } from './fixtures.js';

type Target = 'command' | 'args';

function workload(kind: string, containers: Array<Record<string, unknown>>): Record<string, unknown> {
  const apiVersion = kind === 'Pod' ? 'v1' : kind === 'Job' ? 'batch/v1' : 'apps/v1';
  return {
    apiVersion,
    kind,
    metadata: { name: 'nginx', namespace: 'default' },
    spec: kind === 'Pod' ? { containers } : { template: { spec: { containers } } },
  };
}

function containersOf(object: Record<string, unknown>): Array<Record<string, unknown>> {
  const spec = object.spec as any;
  return (spec.template?.spec ?? spec).containers;
}

function run(kind: string, target: Target, containers: Array<Record<string, unknown>>, overrider: CommandArgsOverrider) {
  return override(workload(kind, containers), target === 'command' ? { commandOverrider: [overrider] } : { argsOverrider: [overrider] });
}

// Karmada commandargsoverride_test.go, as before → after.
describe('commandOverrider / argsOverrider', () => {
  const cases: Array<[string, Target, string[] | undefined, CommandArgsOverrider, string[] | undefined]> = [
    [
      'Deployment',
      'command',
      ['nginx', '-v', '-t'],
      { containerName: 'nginx', operator: 'add', value: ["&& echo 'hello karmada'"] },
      ['nginx', '-v', '-t', "&& echo 'hello karmada'"],
    ],
    ['Deployment', 'command', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: ['-t'] }, ['nginx', '-v']],
    ['Deployment', 'command', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: [] }, ['nginx', '-v', '-t']],
    [
      'Pod',
      'command',
      ['nginx', '-v', '-t'],
      { containerName: 'nginx', operator: 'add', value: ["echo 'hello karmada'"] },
      ['nginx', '-v', '-t', "echo 'hello karmada'"],
    ],
    [
      'StatefulSet',
      'command',
      ['nginx', '-v', '-t'],
      { containerName: 'nginx', operator: 'add', value: ["echo 'hello karmada'"] },
      ['nginx', '-v', '-t', "echo 'hello karmada'"],
    ],
    ['ReplicaSet', 'command', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: ['-t'] }, ['nginx', '-v']],
    ['DaemonSet', 'command', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: ['-t'] }, ['nginx', '-v']],
    ['Job', 'command', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: ['-t'] }, ['nginx', '-v']],
    [
      'Deployment',
      'args',
      ['nginx', '-v', '-t'],
      { containerName: 'nginx', operator: 'add', value: ["&& echo 'hello karmada'"] },
      ['nginx', '-v', '-t', "&& echo 'hello karmada'"],
    ],
    ['Deployment', 'args', ['nginx', '-v', '-t'], { containerName: 'nginx', operator: 'remove', value: ['-t'] }, ['nginx', '-v']],
    ['Deployment', 'args', undefined, { containerName: 'nginx', operator: 'add', value: ['-t'] }, ['-t']],
    ['Deployment', 'args', ['-a', '-b', '-a'], { containerName: 'nginx', operator: 'remove', value: ['-a'] }, ['-b']],
    // An empty list would be dropped by the API server anyway; flotilla does not render one.
    ['Deployment', 'args', undefined, { containerName: 'nginx', operator: 'remove', value: ['-t'] }, undefined],
  ];
  for (const [kind, target, before, overrider, after] of cases) {
    it(
      `${kind} ${target} ${overrider.operator} ${JSON.stringify(overrider.value)}: ` +
        `${JSON.stringify(before)} → ${JSON.stringify(after)}`,
      () => {
        const container: Record<string, unknown> = { name: 'nginx', image: 'nginx:1' };
        if (before) container[target] = before;
        const r = run(kind, target, [container], overrider);
        expect(r.problems).toEqual([]);
        expect(containersOf(r.object)[0]![target]).toEqual(after);
      },
    );
  }

  it('only the named container changes: nginx [nginx -v -t] + "x" → [... x]; sidecar [sidecar] unchanged', () => {
    const r = run(
      'Deployment',
      'command',
      [
        { name: 'nginx', image: 'nginx:1', command: ['nginx', '-v', '-t'] },
        { name: 'sidecar', image: 'sidecar:1', command: ['sidecar'] },
      ],
      { containerName: 'nginx', operator: 'add', value: ['x'] },
    );
    expect(containersOf(r.object).map((c) => c.command)).toEqual([['nginx', '-v', '-t', 'x'], ['sidecar']]);
  });

  it('command then args of the same block both apply: [/app] + --a, args [] + --b', () => {
    const r = override(workload('Deployment', [{ name: 'app', image: 'app:1', command: ['/app'] }]), {
      commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--a'] }],
      argsOverrider: [{ containerName: 'app', operator: 'add', value: ['--b'] }],
    });
    expect(containersOf(r.object)[0]).toMatchObject({ command: ['/app', '--a'], args: ['--b'] });
  });

  it('no container named "app" → warning OVERRIDE_NO_CONTAINER at containerName; the object is otherwise overridden', () => {
    const obj = workload('Deployment', [{ name: 'web', image: 'web:1', command: ['/web'] }]);
    const r = override(obj, {
      commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--x'] }],
      labelsOverrider: [{ operator: 'add', value: { env: 'prod' } }],
    });
    expect(r.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'OVERRIDE_NO_CONTAINER',
        path: ['spec', 'overrideRules', 0, 'overriders', 'commandOverrider', 0, 'containerName'],
      }),
    ]);
    expect(r.problems[0]!.message).toContain('"app"');
    expect(containersOf(r.object)[0]!.command).toEqual(['/web']);
    expect((r.object.metadata as any).labels).toEqual({ env: 'prod' });
    expect(r.applied).toEqual([{ policy: { kind: 'OverridePolicy', namespace: 'default', name: 'p' }, rule: 0 }]);
  });

  it('a kind without containers gets neither a change nor a warning: ConfigMap unchanged', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: 'b' } };
    const r = override(cm, { commandOverrider: [{ containerName: 'app', operator: 'add', value: ['--x'] }] });
    expect(r.problems).toEqual([]);
    expect(r.object).toEqual(cm);
  });

  it('a command that is not a list aborts: command "sh" → OVERRIDE_FAILED, object unchanged', () => {
    const obj = workload('Deployment', [{ name: 'app', image: 'app:1', command: 'sh' }]);
    const r = override(obj, { commandOverrider: [{ containerName: 'app', operator: 'add', value: ['-c'] }] });
    expect(r.problems.map((p) => p.code)).toEqual(['OVERRIDE_FAILED']);
    expect(r.object).toBe(obj);
  });
});
