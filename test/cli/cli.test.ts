// The CLI end to end (docs/reference/contract.md): exit statuses, the render JSON contract, --out, --ref, explain,
// validate formats and the demo.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flotilla, ROOT } from '../helpers/cli.js';
import { cleanupRepos, commitFiles, git, makeRepo } from '../helpers/git.js';
import { expectGolden } from '../helpers/golden.js';
import { render } from '../helpers/fleet.js';
import { readFleetDirectory } from '../../src/load/files.js';
import { renderJson } from '../../src/render/contract.js';

const SEED = path.join(ROOT, 'fixtures/seed');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await cleanupRepos();
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

describe('flotilla render', () => {
  it('--format json prints the contract document, exit 0, byte-identical on a second run', async () => {
    const a = await flotilla(['render', '--repo', SEED, '--format', 'json']);
    expect(a.code).toBe(0);
    const doc = JSON.parse(a.stdout);
    expect(Object.keys(doc)).toEqual(['revision', 'clusters', 'placements', 'manifests', 'diagnostics']);
    expect(doc.revision).toBe('worktree');
    const nginx = doc.placements.find((p: any) => p.resource.name === 'nginx');
    expect(nginx).toEqual({
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'nginx' },
      policy: { kind: 'PropagationPolicy', namespace: 'default', name: 'nginx-propagation' },
      replicas: 10,
      clusters: [
        { name: 'cluster-hangzhou', replicas: 6 },
        { name: 'cluster-shanghai', replicas: 4 },
      ],
      error: null,
    });
    const keys = doc.placements.map((p: any) => [p.resource.apiVersion, p.resource.kind, p.resource.namespace, p.resource.name].join('|'));
    expect(keys).toEqual([...keys].sort());
    const b = await flotilla(['render', '--repo', SEED, '--format', 'json']);
    expect(b.stdout).toBe(a.stdout);
  });

  it('--format json on the seed fleet prints exactly test/golden/seed-render.json', async () => {
    const r = await flotilla(['render', '--repo', SEED, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(path.join(ROOT, 'test/golden/seed-render.json'), 'utf8'));
  });

  it('--format json into a slowly read pipe: written as the reader takes it, the bytes of the document built whole', async () => {
    const fleet = path.join(tmp, 'large-json');
    mkdirSync(path.join(fleet, 'apps'), { recursive: true });
    const clusters = ['east', 'north', 'west'].map(
      (name) => `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ${name}}\n`,
    );
    writeFileSync(path.join(fleet, 'clusters.yaml'), clusters.join('---\n'));
    const policy = 'apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\nmetadata: {name: all}\n';
    writeFileSync(path.join(fleet, 'policy.yaml'), `${policy}spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n`);
    for (let i = 0; i < 150; i++) {
      writeFileSync(
        path.join(fleet, 'apps', `app-${i}.yaml`),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-${i}, labels: {team: t${i % 7}, app: app-${i}}}\n` +
          `spec:\n  replicas: ${i % 9}\n  selector: {matchLabels: {app: app-${i}}}\n` +
          `  template:\n    metadata: {labels: {app: app-${i}}}\n    spec:\n      containers:\n` +
          `      - {name: main, image: "registry.example.com/app-${i}:1.${i}", env: [{name: Z, value: "1"}, {name: A, value: "2"}]}\n`,
      );
    }
    const expected = JSON.stringify(renderJson(render(await readFleetDirectory(fleet))), null, 2) + '\n';
    expect(expected.length).toBeGreaterThan(512 * 1024); // several times a pipe's buffer, so the writer has to wait
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/flotilla.js'), 'render', '--repo', fleet, '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pieces: Buffer[] = [];
    for await (const piece of child.stdout) {
      pieces.push(piece as Buffer);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const code = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    expect(code).toBe(0);
    expect(pieces.length).toBeGreaterThan(4);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(expected);
  });

  it('--out writes <cluster>/<namespace or _cluster>/<kind>-<name>.yaml', async () => {
    const out = path.join(tmp, 'rendered');
    const r = await flotilla(['render', '--repo', SEED, '--out', out]);
    expect(r.code).toBe(0);
    const files = listFiles(out);
    expect(files).toContain('cluster-hangzhou/default/deployment-nginx.yaml');
    expect(files).toContain('cluster-hangzhou/_cluster/namespace-kurator-system.yaml');
    expect(readFileSync(path.join(out, 'cluster-shanghai/default/deployment-nginx.yaml'), 'utf8')).toMatch(/replicas: 4/);
    expectGolden('render-out-tree.txt', files.sort().join('\n') + '\n');
  });

  it('--out never writes outside its directory, whatever names a manifest has', async () => {
    const fleet = path.join(tmp, 'evil');
    mkdirSync(fleet, { recursive: true });
    writeFileSync(
      path.join(fleet, 'fleet.yaml'),
      `apiVersion: fleet.kurator.dev/v1alpha1
kind: Fleet
metadata: {name: f, namespace: default}
spec:
  clusters: [{name: member}]
  placement: {}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: "../../../escaped", namespace: default}
spec: {}
`,
    );
    const out = path.join(tmp, 'evil-out');
    const r = await flotilla(['render', '--repo', fleet, '--out', out]);
    expect(existsSync(path.join(tmp, 'escaped.yaml'))).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.includes('escaped'))).toEqual([]);
    if (r.code === 0) {
      for (const f of listFiles(out)) expect(path.resolve(out, f).startsWith(out + path.sep)).toBe(true);
    } else {
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an invalid revision writes nothing with --out and exits 1 with file:line diagnostics', async () => {
    const fleet = path.join(tmp, 'broken');
    cpSync(SEED, fleet, { recursive: true });
    writeFileSync(
      path.join(fleet, '05-nginx.yaml'),
      readFileSync(path.join(SEED, '05-nginx.yaml'), 'utf8').replace('weight: 40', 'weight: 0'),
    );
    const out = path.join(tmp, 'broken-out');
    const r = await flotilla(['render', '--repo', fleet, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/05-nginx\.yaml:\d+:\d+: error INVALID_WEIGHT/);
    expect(r.stderr).toMatch(/nothing written/);
    expect(existsSync(out)).toBe(false);
  });

  it('--ref renders a commit without a checkout; revision is the 40-hex commit', async () => {
    const files = Object.fromEntries(readdirSync(SEED).map((f) => [f, readFileSync(path.join(SEED, f), 'utf8')]));
    const { dir, commit: first } = await makeRepo(files);
    await commitFiles(dir, { '05-nginx.yaml': files['05-nginx.yaml']!.replace('replicas: 10', 'replicas: 20') }, 'scale nginx');
    const old = JSON.parse((await flotilla(['render', '--repo', dir, '--ref', 'HEAD~1', '--format', 'json'])).stdout);
    const nowText = (await flotilla(['render', '--repo', dir, '--ref', 'main', '--format', 'json'])).stdout;
    const now = JSON.parse(nowText);
    // Packed (as a CI checkout is), the revision's objects come from the pack: the same bytes.
    await git(dir, 'gc', '-q', '--prune=now');
    expect((await flotilla(['render', '--repo', dir, '--ref', 'main', '--format', 'json'])).stdout).toBe(nowText);
    expect(old.revision).toBe(first);
    expect(now.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(old.placements.find((p: any) => p.resource.name === 'nginx').clusters).toEqual([
      { name: 'cluster-hangzhou', replicas: 6 },
      { name: 'cluster-shanghai', replicas: 4 },
    ]);
    expect(now.placements.find((p: any) => p.resource.name === 'nginx').clusters).toEqual([
      { name: 'cluster-hangzhou', replicas: 12 },
      { name: 'cluster-shanghai', replicas: 8 },
    ]);
    const missing = await flotilla(['render', '--repo', dir, '--ref', 'no-such-branch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/unknown revision "no-such-branch"/);
  });

  it('--previous: dynamic weights scale up on top of the previous result', async () => {
    const fleet = path.join(tmp, 'dynamic');
    mkdirSync(fleet, { recursive: true });
    const cluster = (name: string, pods: number) =>
      `apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: ` +
      `${name}}\nstatus:\n  resourceSummary:\n    allocatable: {pods: "${pods}"}\n---\n`;
    const app = (replicas: number) => `${cluster('m1', 6)}${cluster('m2', 8)}${cluster('m3', 10)}apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: app}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: app}]
  placement:
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: {dynamicWeight: AvailableReplicas}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: a}}
  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: a, image: a}]}}
`;
    writeFileSync(path.join(fleet, 'fleet.yaml'), app(12));
    const first = await flotilla(['render', '--repo', fleet, '--format', 'json']);
    const split = (doc: any) => Object.fromEntries(doc.placements[0].clusters.map((c: any) => [c.name, c.replicas]));
    expect(split(JSON.parse(first.stdout))).toEqual({ m1: 3, m2: 4, m3: 5 });
    writeFileSync(path.join(tmp, 'previous.json'), first.stdout);
    writeFileSync(path.join(fleet, 'fleet.yaml'), app(15));
    const fresh = JSON.parse((await flotilla(['render', '--repo', fleet, '--format', 'json'])).stdout);
    const stepped = JSON.parse(
      (await flotilla(['render', '--repo', fleet, '--format', 'json', '--previous', path.join(tmp, 'previous.json')])).stdout,
    );
    const sum = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);
    expect(sum(split(stepped))).toBe(15);
    // Scale-up keeps what each cluster had and adds the 3 new replicas on top.
    for (const [name, before] of Object.entries({ m1: 3, m2: 4, m3: 5 })) expect(split(stepped)[name]).toBeGreaterThanOrEqual(before);
    expect(sum(split(fresh))).toBe(15);
  });
});

describe('flotilla explain / validate / get / demo', () => {
  it('explain Deployment/default/web-frontend shows frankfurt dropped by the spread limit (golden)', async () => {
    const r = await flotilla(['explain', 'Deployment/default/web-frontend', '--repo', SEED]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cluster-frankfurt .*feasible, not selected/);
    expectGolden('explain-web-frontend.txt', r.stdout);
  });

  it('explain of an unschedulable resource prints the FitError histogram and exits 1', async () => {
    const fleet = path.join(tmp, 'unschedulable');
    cpSync(SEED, fleet, { recursive: true });
    writeFileSync(
      path.join(fleet, '09-hierarchical-scheduling.yaml'),
      readFileSync(path.join(SEED, '09-hierarchical-scheduling.yaml'), 'utf8').replace('        - cluster-zone-a\n', ''),
    );
    writeFileSync(
      path.join(fleet, '09-hierarchical-scheduling.yaml'),
      readFileSync(path.join(fleet, '09-hierarchical-scheduling.yaml'), 'utf8').replace(/ {4}tolerations:[\s\S]*?effect: NoSchedule\n/, ''),
    );
    const r = await flotilla(['explain', 'deployment/default/large-scale-app', '--repo', fleet]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        '0/8 clusters are available: 1 cluster\\(s\\) had untolerated taint \\{dedicated=special:NoSchedule\\}, ' +
          '7 cluster\\(s\\) did not match the placement cluster affinity constraint\\.',
      ),
    );
  });

  it(
    'render, validate, explain and get take the same fleet flags; --observed/--previous auto on ' +
      'a plain folder mean "never reconciled"',
    async () => {
      for (const args of [['render', '--format', 'json'], ['validate'], ['explain', 'Deployment/default/nginx'], ['get', 'placements']]) {
        const r = await flotilla([
          ...args,
          '--repo',
          SEED,
          '--observed',
          'auto',
          '--previous',
          'auto',
          '--status-branch',
          'flotilla-status',
        ]);
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
      }
      const diff = await flotilla(['diff', '--repo', SEED]);
      expect(diff.stdout).toMatch(/against no status branch/);
    },
  );

  it('explain of a missing resource exits 1 naming it', async () => {
    const r = await flotilla(['explain', 'Deployment/default/nope', '--repo', SEED]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no resource Deployment\/default\/nope/);
  });

  it('validate: 0 on the seed; github format emits annotations; 1 on errors', async () => {
    const ok = await flotilla(['validate', '--repo', SEED]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^valid: /m);
    const bad = await flotilla(['validate', '--repo', path.join(ROOT, 'fixtures/bad/weight-zero'), '--format', 'github']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^::error file=policy\.yaml,line=19,col=\d+,title=INVALID_WEIGHT::/m);
    const json = JSON.parse(
      (await flotilla(['validate', '--repo', path.join(ROOT, 'fixtures/bad/weight-zero'), '--format', 'json'])).stdout,
    );
    expect(json.valid).toBe(false);
  });

  it('get clusters and get placements print tables', async () => {
    const c = await flotilla(['get', 'clusters', '--repo', SEED]);
    expect(c.stdout.split('\n')[0]).toMatch(/^NAME +READY +PROVIDER +REGION/);
    expect(c.stdout).toMatch(/production-cluster-01 +True +alibaba +asia-east/);
    const p = await flotilla(['get', 'placements', '--repo', SEED]);
    expect(p.stdout).toMatch(/nginx +PropagationPolicy\/nginx-propagation +10 +cluster-hangzhou=6,cluster-shanghai=4/);
  });

  it('usage errors: unknown command, unknown flag, bad --format → exit 1 with a message', async () => {
    expect((await flotilla(['frobnicate'])).code).toBe(1);
    const flag = await flotilla(['render', '--repo', SEED, '--colour']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/Unknown option '--colour'/);
    const fmt = await flotilla(['render', '--repo', SEED, '--format', 'xml']);
    expect(fmt.stderr).toMatch(/--format must be one of yaml, json/);
  });

  it('npm run demo: renders and explains the bundled fleet with no cluster', async () => {
    const r = await flotilla(['demo']);
    // The demo keeps its folder for the user to look at (it prints where); the test removes it.
    const work = /directory target: (.+)\/rendered\n/.exec(r.stdout)?.[1];
    if (work && path.dirname(work) === os.tmpdir() && path.basename(work).startsWith('flotilla-demo-'))
      rmSync(work, { recursive: true, force: true });
    expect(work).toBeDefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nginx .*cluster-hangzhou=6,cluster-shanghai=4/);
    expect(r.stdout).toMatch(/== explain Deployment\/default\/nginx ==/);
  });
});

describe('arguments a command does not take', () => {
  it('are refused by name, with the flag that says it, before anything is read or written', async () => {
    const out = path.join(tmp, 'extra-argument-out');
    // `render fleet/` used to render the current folder (exit 0), the folder it was given never read.
    const cases: Array<[string[], RegExp]> = [
      [['render', SEED, '--out', out], /unexpected argument ".*fixtures\/seed" \(the fleet's folder or repository is --repo /],
      [['validate', SEED], /unexpected argument ".*fixtures\/seed" \(the fleet's folder or repository is --repo /],
      [['get', 'clusters', SEED], /unexpected argument ".*fixtures\/seed"/],
      [['explain', 'Deployment/default/nginx', 'extra', '--repo', SEED], /unexpected argument "extra"/],
      [['status', 'extra'], /unexpected argument "extra"/],
      [['doctor', 'extra'], /unexpected argument "extra"$/m],
    ];
    for (const [args, message] of cases) {
      const r = await flotilla(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).toContain('[USAGE]');
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(out)).toBe(false);
    // One positional where the command takes one still works.
    expect((await flotilla(['get', 'clusters', '--repo', SEED])).code).toBe(0);
  });
});
