// The rendering commands judge the fleet by the operator's scope (issue 11): `--config FILE` reads
// flotilla.yaml's scope — without the secrets it names, so CI needs none — and without it the safe
// defaults apply. A violation is SCOPE_DENIED at file:line in validate, render, plan and diff.
// The first test runs the built CLI (bin/flotilla.js) as a user would; the others call main() in
// this process (the same code, minus a Node start per command).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeIO, flotilla, type CliResult } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, makeRepo, makeTempDir } from '../helpers/git.js';
import { SCOPE_FLEET as FLEET } from '../helpers/scope-fleet.js';

afterAll(cleanupRepos);

const configMap = (namespace: string, name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${namespace}}\n`;
const SYSTEM = `# tuning the cluster DNS\n${configMap('kube-system', 'coredns')}`;

/** Runs a command in this process, as main does for the binary. */
async function run(args: string[]): Promise<CliResult> {
  const io = fakeIO();
  const code = await main(args, io, { NO_COLOR: '1' });
  return { code, stdout: io.out, stderr: io.err };
}

/** A flotilla.yaml next to the repository; its source names a token variable the CLI never needs. */
async function configFile(dir: string, scope: string): Promise<string> {
  const file = path.join(await makeTempDir('flotilla-scope-cli-'), 'flotilla.yaml');
  writeFileSync(file, `source: {url: https://git.example.com/fleet.git, auth: {tokenEnv: UNSET_GIT_TOKEN_FOR_TEST}}\n${scope}`);
  return file;
}

describe('--config: the scope of flotilla.yaml in render, validate, plan and diff', () => {
  it('validate without --config: the safe defaults refuse a kube-system object at its file:line', async () => {
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'system/dns.yaml': SYSTEM, 'apps/web.yaml': configMap('default', 'web') });
    const r = await flotilla(['validate', '--repo', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'system/dns.yaml:2:1: error SCOPE_DENIED: ConfigMap kube-system/coredns is outside the scope: it is in the system namespace ' +
        'kube-system (allowed only where scope.default.allowProtected lists systemNamespaces)',
    );
    const gh = await flotilla(['validate', '--repo', dir, '--format', 'github']);
    expect(gh.stdout).toContain('::error file=system/dns.yaml,line=2');
  });

  it('validate --config with the one-line opt-in: valid; render then prints the object', async () => {
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'system/dns.yaml': SYSTEM });
    const config = await configFile(dir, 'scope: {default: {allowProtected: [systemNamespaces]}}\n');
    const r = await run(['validate', '--repo', dir, '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rendered = await run(['render', '--repo', dir, '--config', config]);
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain('namespace: kube-system');
  });

  it('validate --config: a path writing outside its namespaces is refused at its file:line, naming the rule', async () => {
    const { dir } = await makeRepo({
      'fleet.yaml': FLEET,
      'teams/payments/app.yaml': configMap('payments', 'app'),
      'teams/payments/steal.yaml': configMap('orders', 'steal'),
    });
    const config = await configFile(dir, 'scope:\n  paths:\n    - {path: teams/payments, namespaces: {allow: [payments]}}\n');
    const expected =
      'teams/payments/steal.yaml:1:1: error SCOPE_DENIED: ConfigMap orders/steal is outside the scope: namespace orders is not in ' +
      'scope.paths[0].namespaces.allow [payments]';
    const v = await run(['validate', '--repo', dir, '--config', config]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(expected);
    // Without the config the path is not scoped: the same fleet is valid.
    expect((await run(['validate', '--repo', dir])).code).toBe(0);
  });

  it('render --config: the refused object is reported and left out of the output', async () => {
    const { dir } = await makeRepo({
      'fleet.yaml': FLEET,
      'teams/payments/app.yaml': configMap('payments', 'app'),
      'teams/payments/steal.yaml': configMap('orders', 'steal'),
    });
    const config = await configFile(dir, 'scope:\n  paths:\n    - {path: teams/payments, namespaces: {allow: [payments]}}\n');
    const r = await run(['render', '--repo', dir, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('name: app');
    expect(r.stdout).not.toContain('name: steal');
    expect(r.stderr).toContain('teams/payments/steal.yaml:1:1: error SCOPE_DENIED');
  });

  it('plan --config shows the violation a pull request brings, at file:line, and exits 1', async () => {
    const { dir, commit: base } = await makeRepo({ 'fleet.yaml': FLEET, 'teams/payments/app.yaml': configMap('payments', 'app') });
    const head = await commitFiles(dir, { 'teams/payments/steal.yaml': `\n${configMap('orders', 'steal')}` }, 'steal');
    const config = await configFile(dir, 'scope:\n  paths:\n    - {path: teams/payments, namespaces: {allow: [payments]}}\n');
    const r = await run(['plan', '--repo', dir, '--base', base, '--head', head, '--config', config, '--format', 'markdown']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '`teams/payments/steal.yaml:2` **SCOPE_DENIED**: ConfigMap orders/steal is outside the scope: namespace orders is not in ' +
        'scope.paths[0].namespaces.allow [payments]',
    );
  });

  it('diff --config: the violation is an error (exit 1) and the refused object is no difference to apply', async () => {
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET, 'teams/payments/steal.yaml': configMap('orders', 'steal') });
    const config = await configFile(dir, 'scope:\n  paths:\n    - {path: teams/payments, namespaces: {allow: [payments]}}\n');
    const r = await run(['diff', '--repo', dir, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('teams/payments/steal.yaml:1:1: error SCOPE_DENIED');
    expect(r.stdout).not.toContain('steal');
  });

  it('a config with a mistake in scope: INVALID_CONFIG naming the dot-path, exit 1', async () => {
    const { dir } = await makeRepo({ 'fleet.yaml': FLEET });
    const config = await configFile(dir, 'scope: {default: {kinds: {deny: [ClusterRoleBinding]}}}\n');
    const r = await run(['validate', '--repo', dir, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'scope.default.kinds.deny[0]: "ClusterRoleBinding" names the core group, which has no ClusterRoleBinding: write ' +
        '"rbac.authorization.k8s.io/ClusterRoleBinding"',
    );
    expect(r.stderr).toContain('[INVALID_CONFIG]');
  });
});
