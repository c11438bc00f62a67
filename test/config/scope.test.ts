// flotilla.yaml's scope: and the kubernetes target's impersonate: (issue 11), read with the rest of the
// config: defaults, the impersonation plan a target gets, dot-path problems, and reading a config
// for its scope alone (the rendering commands' --config) without the secrets it names.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { identityFor } from '../../src/config/scope.js';

const load = (text: string, env: NodeJS.ProcessEnv | null = {}) =>
  parseConfig(text, { env, baseDir: '/etc/flotilla', file: 'flotilla.yaml' });

describe('scope: and impersonate: in flotilla.yaml', () => {
  it('without scope: the safe defaults (everything but the protected categories)', () => {
    expect(load('source: {url: ../fleet}\n').config.scope).toEqual({
      default: { namespaces: { allow: ['*'], deny: [] }, kinds: { allow: ['*'], deny: [] }, clusterScoped: true, allowProtected: [] },
      paths: [],
    });
  });

  it('a target identity and per-path identities make the plan every request to the clusters follows', () => {
    const { config } = load(`source: {url: ../fleet}
targets:
  - kubernetes:
      kubeconfig: kube
      impersonate: {user: flotilla-deployer, groups: [flotilla, deployers]}
scope:
  default: {allowProtected: [systemNamespaces]}
  paths:
    - path: teams/payments/
      namespaces: {allow: [payments-*]}
      impersonate: {serviceAccount: payments/deployer}
    - path: teams/payments/readonly
    - path: teams/web/app.yaml
      impersonate: {user: web-deployer}
`);
    const target = config.targets[0]!;
    if (target.type !== 'kubernetes') throw new Error('not a kubernetes target');
    expect(target.impersonate).toEqual({ user: 'flotilla-deployer', groups: ['flotilla', 'deployers'] });
    expect(target.impersonation.paths).toEqual([
      { path: 'teams/payments', identity: { user: 'system:serviceaccount:payments:deployer', groups: [] } },
      { path: 'teams/payments/readonly', identity: null },
      { path: 'teams/web/app.yaml', identity: { user: 'web-deployer', groups: [] } },
    ]);
    const who = (file: string | null) => identityFor(target.impersonation, file)?.user;
    expect(who('teams/payments/app.yaml')).toBe('system:serviceaccount:payments:deployer');
    // The longest path wins, and a path without an identity falls back to the target's.
    expect(who('teams/payments/readonly/app.yaml')).toBe('flotilla-deployer');
    expect(who('apps/web.yaml')).toBe('flotilla-deployer');
    // A file entry covers what flotilla generates from that file (an Application's output), not a sibling whose name starts alike.
    expect(who('teams/web/app.yaml (Application web/app app-0)')).toBe('web-deployer');
    expect(who('teams/web/app.yaml.bak/x.yaml')).toBe('flotilla-deployer');
    expect(who(null)).toBe('flotilla-deployer');
    expect(config.scope.default.allowProtected).toEqual(['systemNamespaces']);
  });

  it('problems are listed with the others, each at its dot-path', () => {
    expect(() =>
      load(`source: {url: ../fleet}
targets:
  - kubernetes: {kubeconfig: kube, impersonate: {groups: [x]}}
scope:
  default: {clusterScoped: maybe}
  paths: [{path: /abs}]
`),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        data: expect.objectContaining({
          problems: [
            { path: 'scope.default.clusterScoped', message: 'must be true or false' },
            {
              path: 'scope.paths[0].path',
              message:
                'must be a folder or file inside the repository, relative to its root (got "/abs"); scope.default covers the whole ' +
                'repository',
            },
            {
              path: 'targets[0].kubernetes.impersonate.user',
              message: 'required: the user to impersonate (or serviceAccount: namespace/name)',
            },
          ],
        }),
      }),
    );
  });

  it('env null (render/validate/plan/diff --config) reads the scope without the secrets the config names', () => {
    const text = `source: {url: https://git.example.com/fleet.git, auth: {tokenEnv: GIT_TOKEN}}
server: {webhook: {secretEnv: HOOK_SECRET}}
scope: {default: {namespaces: {deny: [kube-*]}}}
`;
    expect(() => load(text, {})).toThrow(/GIT_TOKEN is not set/);
    const loaded = load(text, null);
    expect(loaded.credentials).toBeNull();
    expect(loaded.webhookSecret).toBeNull();
    expect(loaded.config.scope.default.namespaces.deny).toEqual(['kube-*']);
  });
});
