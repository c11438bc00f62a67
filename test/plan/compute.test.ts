import { describe, it, expect } from 'vitest';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { computePlan, planExitCode, previousFromRender } from '../../src/plan/compute.js';
import { formatPlanMarkdown, PLAN_COMMENT_MARKER } from '../../src/plan/format-markdown.js';
import { formatPlanText } from '../../src/plan/format-text.js';
import type { SourceFile } from '../../src/load/parse.js';
import { editFile, fixtureFiles } from '../helpers/fleet.js';

const seed = await fixtureFiles('seed');

function plan(head: readonly SourceFile[], opts: { maxMove?: number; fresh?: boolean } = {}) {
  const base = renderFleet({ files: seed, revision: 'a'.repeat(40) });
  const h: RenderResult = renderFleet({
    files: head,
    revision: 'b'.repeat(40),
    previous: opts.fresh ? undefined : previousFromRender(base),
  });
  return computePlan(base, h, { maxMove: opts.maxMove, headScheduledOnBase: !opts.fresh });
}

const nginx5050 = editFile(editFile(seed, '05-nginx.yaml', 'weight: 60', 'weight: 50'), '05-nginx.yaml', 'weight: 40', 'weight: 50');

describe('computePlan', () => {
  it('same revision twice → no changes, exit 0 (head on base placements is a fixpoint)', () => {
    const r = plan(seed);
    expect(r.summary.changed).toBe(false);
    expect(r.workloads).toEqual([]);
    expect(r.objects).toEqual([]);
    expect(planExitCode(r)).toBe(0);
  });

  it('nginx weights 60/40 → 50/50 over 10 replicas: hangzhou 6→5, shanghai 4→5, 1 replica moves, reason names the weights', () => {
    const r = plan(nginx5050);
    expect(planExitCode(r)).toBe(2);
    expect(r.workloads).toHaveLength(1);
    const w = r.workloads[0]!;
    expect(w.clusters.map((c) => [c.cluster, c.before, c.after, c.delta, c.reasonKind, c.reason])).toEqual([
      ['cluster-hangzhou', 6, 5, -1, 'weight', 'static weight 60 → 50'],
      ['cluster-shanghai', 4, 5, 1, 'weight', 'static weight 40 → 50'],
    ]);
    expect(w.moved).toBe(1);
    expect(r.risks).toEqual([]);
    expect(r.objects.map((c) => [c.cluster, c.changed.map((o) => o.fields)])).toEqual([
      ['cluster-hangzhou', [['spec.replicas: 6 → 5']]],
      ['cluster-shanghai', [['spec.replicas: 4 → 5']]],
    ]);
  });

  it('--max-move: 1 of 10 replicas moving (10%) warns at 5%, not at the default 50%', () => {
    expect(plan(nginx5050).risks).toEqual([]);
    const r = plan(nginx5050, { maxMove: 0.05 });
    expect(r.risks.map((x) => x.code)).toEqual(['LARGE_MOVE']);
    expect(r.risks[0]!.message).toContain('1 of 10 replicas (10%)');
  });

  it('fresh schedule with a shanghai taint: reviews-v2 (only on shanghai) becomes unschedulable, head errors → exit 1', () => {
    const head = [
      ...seed,
      {
        path: 'zz-taint.yaml',
        text:
          'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: ' +
          'cluster-shanghai\nspec:\n  taints:\n  - {key: maintenance, effect: NoSchedule}\n',
      },
    ];
    const r = plan(head, { fresh: true });
    expect(planExitCode(r)).toBe(1);
    const codes = r.risks.map((x) => x.code);
    expect(codes).toContain('UNSCHEDULABLE');
    expect(codes).toContain('FLEET_CLUSTER_TO_ZERO');
    expect(codes).toContain('VS_SUBSET_UNBACKED');
    const nginx = r.workloads.find((w) => w.resource.name === 'nginx')!;
    expect(nginx.clusters.find((c) => c.cluster === 'cluster-shanghai')).toMatchObject({ before: 4, after: null, reasonKind: 'taint' });
    expect(nginx.clusters.find((c) => c.cluster === 'cluster-hangzhou')).toMatchObject({ before: 6, after: 10 });
    // Every object of the emptied cluster is listed as a deletion.
    const shanghai = r.objects.find((c) => c.cluster === 'cluster-shanghai')!;
    expect(shanghai.state).toBe('drops-out');
    expect(shanghai.removed.length).toBe(11);
  });

  it('on base placements the same taint moves nothing and the plan says why', () => {
    const head = [
      ...seed,
      {
        path: 'zz-taint.yaml',
        text:
          'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: ' +
          'cluster-shanghai\nspec:\n  taints:\n  - {key: maintenance, effect: NoSchedule}\n',
      },
    ];
    const r = plan(head);
    expect(r.workloads).toEqual([]);
    expect(r.notes[0]).toContain('cluster-shanghai gains taint {maintenance:NoSchedule}');
    expect(r.clusterDeclarations.map((d) => [d.kind, d.name, d.change])).toEqual([['Cluster', 'cluster-shanghai', 'changed']]);
  });

  it('a region leaving a workload: global-app on frankfurt only removed → REGION_TO_ZERO eu-central and fleet-wide', () => {
    const head = editFile(
      seed,
      '03-cross-cloud-config.yaml',
      '        - cluster-shanghai\n        - cluster-frankfurt\n---',
      '        - cluster-shanghai\n---',
    );
    const r = plan(head);
    const messages = r.risks.map((x) => `${x.code} ${x.message}`);
    expect(messages).toContain('REGION_TO_ZERO Deployment default/global-app: region eu-central goes from 2 to 0 replicas');
    expect(messages).toContain('FLEET_REGION_TO_ZERO region eu-central loses all its replicas (2 → 0) across the fleet');
    expect(r.workloads[0]!.clusters.find((c) => c.cluster === 'cluster-frankfurt')!.reasonKind).toBe('affinity');
  });

  it('spec.replicas 10 → 20 on nginx: cells 6→12, 4→8 with the reason, no replicas moved', () => {
    const head = editFile(seed, '05-nginx.yaml', 'replicas: 10', 'replicas: 20');
    const w = plan(head).workloads[0]!;
    expect(w.clusters.map((c) => `${c.before}→${c.after} ${c.reason}`)).toEqual([
      '6→12 spec.replicas 10 → 20',
      '4→8 spec.replicas 10 → 20',
    ]);
    expect(w.moved).toBe(0);
  });

  it('a Secret change is summarized with redacted values, never the value itself', () => {
    const secret = (v: string) => ({
      path: 'zz-secret.yaml',
      text:
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels: {fleet.kurator.dev/name: ` +
        `global-production}\ndata:\n  password: ${v}\n`,
    });
    const base = renderFleet({ files: [...seed, secret('c2VjcmV0MQ==')], revision: 'worktree' });
    const head = renderFleet({ files: [...seed, secret('c2VjcmV0Mg==')], revision: 'worktree', previous: previousFromRender(base) });
    const r = computePlan(base, head);
    const text = formatPlanText(r);
    expect(text).toContain('data.password: "<redacted>" → "<redacted, changed>"');
    expect(text).not.toContain('sha256');
    expect(text).not.toContain('c2VjcmV0');
  });
});

describe('formatPlanText', () => {
  it('colours only on a TTY: red for the cell losing a replica, green for the one gaining', () => {
    const r = plan(nginx5050);
    expect(formatPlanText(r)).not.toContain('\x1b[');
    const tty = formatPlanText(r, { color: true });
    expect(tty).toContain('\x1b[31m    cluster-hangzhou');
    expect(tty).toMatch(/cluster-hangzhou +6→5 +-1/);
    expect(tty).toContain('\x1b[32m    cluster-shanghai');
    expect(tty).toMatch(/cluster-shanghai +4→5 +\+1/);
  });
});

describe('formatPlanMarkdown', () => {
  it('starts with the comment marker and has a before→after matrix', () => {
    const md = formatPlanMarkdown(plan(nginx5050));
    expect(md.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(md).toContain('| Deployment default/nginx | **6→5** | **4→5** |');
    expect(md).toContain('<details><summary><b>cluster-hangzhou</b>: 1 changed</summary>');
  });

  it('a huge plan is cut under the limit at a block boundary, keeping summary and warnings, with a note', () => {
    // 300 new workloads each on two clusters, and a large move to warn about.
    const extra = Array.from({ length: 300 }, (_, i) => ({
      path: `zz-app-${String(i).padStart(3, '0')}.yaml`,
      text:
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  replicas: ` +
        `2\n  template:\n    spec:\n      containers:\n      - {name: main, image: "app:${i}"}\n`,
    }));
    const r = plan([...nginx5050, ...extra], { maxMove: 0.05 });
    const full = formatPlanMarkdown(r, { limit: 10_000_000 });
    expect(full.length).toBeGreaterThan(60_000);
    const md = formatPlanMarkdown(r);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md).toContain('**Plan truncated**');
    expect(md).toContain('301 resources change placement');
    expect(md).toContain('LARGE_MOVE');
    // Cut between blocks: every <details> that opens also closes.
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
    const small = formatPlanMarkdown(r, { limit: 3_000 });
    expect(small.length).toBeLessThanOrEqual(3_000);
    expect(small).toContain('301 resources change placement');
  });

  it('field values from the repository go into code spans, where markdown shows HTML literally', () => {
    const head = editFile(seed, '05-nginx.yaml', 'image: nginx:1.25', 'image: "nginx:<img src=x>1.26"');
    const md = formatPlanMarkdown(plan(head));
    expect(md).toContain('`spec.template.spec.containers[0].image: "nginx:1.25" → "nginx:<img src=x>1.26"`');
    expect(md.replace(/`[^`]*`/g, '')).not.toContain('<img');
  });
});

describe('computePlan: suspension (docs/reference/semantics.md §2.4)', () => {
  it('a suspended cluster is listed as suspended, and its objects are neither updated nor counted as changes', () => {
    const held = editFile(
      editFile(
        seed,
        '05-nginx.yaml',
        '      name: nginx\n  placement:',
        '      name: nginx\n  suspension: {dispatchingOnClusters: {clusterNames: [cluster-shanghai]}}\n  placement:',
      ),
      '05-nginx.yaml',
      'image: nginx:1.25',
      'image: nginx:1.27',
    );
    const r = plan(held);
    expect(r.suspended).toEqual([
      { resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'nginx' }, clusters: ['cluster-shanghai'] },
    ]);
    // The image change reaches hangzhou only: shanghai is held.
    expect(r.objects.map((c) => `${c.cluster}: ${c.changed.map((o) => o.name).join(',')}`)).toEqual(['cluster-hangzhou: nginx']);
    expect(formatPlanText(r)).toContain(
      'suspended (1 resource: nothing created, updated or deleted there):\n  Deployment default/nginx  on cluster-shanghai',
    );
  });
});
