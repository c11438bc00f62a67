import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readTextFileOrNull } from '../../src/kube/clients.js';
import { kubeconfigFromSecretFile, resolveConnections, type ConnectionSettings } from '../../src/kube/connections.js';

const kubeconfig = (names: string[], current = names[0]) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current,
    clusters: names.map((n) => ({ name: n, cluster: { server: `https://${n}.example:6443` } })),
    users: names.map((n) => ({ name: n, user: { token: `t-${n}` } })),
    contexts: names.map((n) => ({ name: n, context: { cluster: n, user: n } })),
  });
const settings = (over: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
  kubeconfigText: kubeconfig(['east', 'west', 'prod-eu']),
  kubeconfigDir: null,
  contexts: {},
  secretsDir: null,
  ...over,
});
const server = (r: ReturnType<typeof resolveConnections>[number]) =>
  r.ok ? r.endpoint.kubeConfig.getCurrentCluster()!.server : `error: ${r.error}`;

describe('connections: context per cluster, mapping, secretRef directory', () => {
  it('context name = cluster name', () => {
    const [east] = resolveConnections([{ name: 'east' }], settings(), () => null);
    expect(server(east!)).toBe('https://east.example:6443');
  });
  it('a mapping wins over a same-named context', () => {
    const [east] = resolveConnections([{ name: 'east' }], settings({ contexts: { east: 'prod-eu' } }), () => null);
    expect(server(east!)).toBe('https://prod-eu.example:6443');
  });
  it('a mapping to a context the kubeconfig lacks is an error naming both', () => {
    const [r] = resolveConnections([{ name: 'east' }], settings({ contexts: { east: 'nope' } }), () => null);
    expect(r!.ok).toBe(false);
    expect(server(r!)).toContain('"nope"');
  });
  it('AttachedCluster secretRef kurator-system/cluster-01-kubeconfig → <dir>/kurator-system/cluster-01-kubeconfig', () => {
    const files = new Map([['/secrets/kurator-system/cluster-01-kubeconfig', kubeconfig(['attached'])]]);
    const [r] = resolveConnections(
      [{ name: 'production-cluster-01', secretRef: { namespace: 'kurator-system', name: 'cluster-01-kubeconfig' } }],
      settings({ secretsDir: '/secrets' }),
      (p) => files.get(p) ?? null,
    );
    expect(server(r!)).toBe('https://attached.example:6443');
    expect(r!.ok && r!.endpoint.via).toBe('secret kurator-system/cluster-01-kubeconfig');
  });
  it('the secret file may be the Secret manifest itself (data.value, base64)', () => {
    const secret = stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { value: Buffer.from(kubeconfig(['inside'])).toString('base64') },
    });
    expect(kubeconfigFromSecretFile(secret)).toContain('https://inside.example:6443');
  });
  it("Kurator's {name, key}: the Secret mounted as a directory, <dir>/<namespace>/<name>/<key>", () => {
    const files = new Map([['/secrets/default/kurator-member1/kurator-member1.config', kubeconfig(['member1'])]]);
    const read: string[] = [];
    const [r] = resolveConnections(
      [{ name: 'kurator-member1', secretRef: { namespace: 'default', name: 'kurator-member1', key: 'kurator-member1.config' } }],
      settings({ kubeconfigText: null, secretsDir: '/secrets' }),
      (p) => (read.push(p), files.get(p) ?? null),
    );
    expect(server(r!)).toBe('https://member1.example:6443');
    expect(read).toEqual(['/secrets/default/kurator-member1/kurator-member1.config']);
  });
  it("Kurator's {name, key}: a Secret manifest file takes the kubeconfig from its key, never from another one", () => {
    const secret = stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kurator-member2' },
      data: {
        value: Buffer.from(kubeconfig(['wrong'])).toString('base64'),
        'kurator-member2.config': Buffer.from(kubeconfig(['member2'])).toString('base64'),
      },
    });
    const files = new Map([['/secrets/kurator-member2', secret]]);
    const ref = { namespace: 'default', name: 'kurator-member2', key: 'kurator-member2.config' };
    const [r] = resolveConnections(
      [{ name: 'm2', secretRef: ref }],
      settings({ kubeconfigText: null, secretsDir: '/secrets' }),
      (p) => files.get(p) ?? null,
    );
    expect(server(r!)).toBe('https://member2.example:6443');
    const [missing] = resolveConnections(
      [{ name: 'm2', secretRef: { ...ref, key: 'other.config' } }],
      settings({ kubeconfigText: null, secretsDir: '/secrets' }),
      (p) => files.get(p) ?? null,
    );
    expect(server(missing!)).toBe('error: /secrets/kurator-member2 is not a kubeconfig: the Secret has no key "other.config"');
  });
  it('real files: a key is looked for inside a secret that is a plain file (ENOTDIR) or a folder (EISDIR), then the file is read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-secrets-'));
    try {
      mkdirSync(path.join(dir, 'default', 'kurator-member1'), { recursive: true });
      writeFileSync(path.join(dir, 'kurator-member1'), kubeconfig(['plain-file']));
      const [r] = resolveConnections(
        [{ name: 'm1', secretRef: { namespace: 'default', name: 'kurator-member1', key: 'kurator-member1.config' } }],
        settings({ kubeconfigText: null, secretsDir: dir }),
        readTextFileOrNull,
      );
      expect(server(r!)).toBe('https://plain-file.example:6443');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a secret key with a path in it is refused, never read', () => {
    const read: string[] = [];
    const [r] = resolveConnections(
      [{ name: 'x', secretRef: { namespace: 'ns', name: 's', key: '../../etc/passwd' } }],
      settings({ secretsDir: '/secrets' }),
      (p) => (read.push(p), null),
    );
    expect(server(r!)).toBe('error: secret ns/s (key ../../etc/passwd) is not a valid secret reference');
    expect(read).toEqual([]);
  });
  it('a secret name with a path in it is refused, never read', () => {
    const read: string[] = [];
    const [r] = resolveConnections(
      [{ name: 'x', secretRef: { namespace: 'ns', name: '../etc' } }],
      settings({ secretsDir: '/secrets' }),
      (p) => (read.push(p), null),
    );
    expect(r!.ok).toBe(false);
    expect(read).toEqual([]);
  });
  it('a cluster nothing names gets an error that says what to add; results sorted by cluster', () => {
    const rs = resolveConnections([{ name: 'zeta' }, { name: 'west' }], settings(), () => null);
    expect(rs.map((r) => (r.ok ? r.endpoint.cluster : r.cluster))).toEqual(['west', 'zeta']);
    expect(server(rs[1]!)).toMatch(/no context named zeta.*contexts/);
  });
  it('each connection is independent: its current context is its own', () => {
    const [a, b] = resolveConnections([{ name: 'east' }, { name: 'west' }], settings(), () => null);
    expect([a, b].map((r) => r!.ok && r!.endpoint.kubeConfig.getCurrentContext())).toEqual(['east', 'west']);
  });
});

describe('connections: a kubeconfig that is not valid YAML never shows its content', () => {
  // line 6 is indented one space too far: js-yaml's message would quote lines 3-6, token included
  const broken = 'apiVersion: v1\nusers:\n- name: east\n  user:\n    token: SUPERSECRET-TOKEN\n   x: y\n';
  it('the operator kubeconfig: "cannot be read: YAML syntax error at line 6, column 4", no token', () => {
    const rs = resolveConnections([{ name: 'east' }, { name: 'west' }], settings({ kubeconfigText: broken }), () => null);
    for (const r of rs) {
      expect(r.ok).toBe(false);
      expect(server(r)).toBe('error: the kubeconfig cannot be read: YAML syntax error at line 6, column 4');
    }
  });
  it('names the kubeconfig file when it is known; an unterminated quote after the token reports where, not what', () => {
    const [r] = resolveConnections(
      [{ name: 'east' }],
      settings({
        kubeconfigText: 'users:\n- name: east\n  user:\n    token: "SUPERSECRET-TOKEN\n',
        kubeconfigFile: '/etc/flotilla/kubeconfig',
      }),
      () => null,
    );
    expect(server(r!)).toMatch(
      /^error: the kubeconfig \/etc\/flotilla\/kubeconfig cannot be read: YAML syntax error at line \d+, column \d+$/,
    );
    expect(server(r!)).not.toContain('SUPERSECRET');
  });
  it('a secret file (a Secret manifest whose data.value is the broken kubeconfig) → its path, line and column, no token', () => {
    const secret = stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { value: Buffer.from(broken).toString('base64') },
    });
    const files = new Map([
      ['/secrets/ns/s', secret],
      ['/secrets/plain', broken],
    ]);
    const rs = resolveConnections(
      [
        { name: 'a', secretRef: { namespace: 'ns', name: 's' } },
        { name: 'b', secretRef: { namespace: '', name: 'plain' } },
      ],
      settings({ kubeconfigText: null, secretsDir: '/secrets' }),
      (p) => files.get(p) ?? null,
    );
    expect(rs.map(server)).toEqual([
      'error: /secrets/ns/s is not a kubeconfig: YAML syntax error at line 6, column 4',
      'error: /secrets/plain is not a kubeconfig: YAML syntax error at line 6, column 4',
    ]);
  });
  it('a kubeconfig that is YAML but not a kubeconfig keeps client-node\'s field message ("users[0].name is missing")', () => {
    const [r] = resolveConnections(
      [{ name: 'east' }],
      settings({ kubeconfigText: 'users:\n- user:\n    token: SUPERSECRET-TOKEN\n' }),
      () => null,
    );
    expect(server(r!)).toBe('error: the kubeconfig cannot be read: users[0].name is missing');
  });
});
