// The incremental renderer: what each kind of change recomputes, and that the result is always
// what renderFleet gives for the whole file set (issue 3, incremental sync).
import { describe, expect, it } from 'vitest';
import type { PreviousPlacement } from '../../src/model/types.js';
import { IncrementalRenderer, type FileChange } from '../../src/render/incremental.js';
import { renderFleet, type RenderResult } from '../../src/render/render-fleet.js';
import { versionedKey as resourceKey } from '../../src/objects/identity.js';
import { REVISION_ANNOTATION } from '../../src/objects/tracking.js';
import { applyEdit, changesBetween, fleetFiles, initialFleet, sourceFiles, type FleetEdit, type FleetState } from './incremental-fleet.js';

/** A fleet under test: its state, files, engine and the last result. */
class Harness {
  readonly engine = new IncrementalRenderer();
  state: FleetState = initialFleet();
  files = fleetFiles(this.state);
  revision = 0;
  last: RenderResult & { stats: { reparsedFiles: number; rescheduled: number; rerenderedObjects: number; full: boolean } };

  constructor() {
    this.last = this.engine.update({ revision: 'rev-0', changes: changesBetween(new Map(), this.files) });
  }

  /** Commits edits of the fleet; returns the incremental result after checking it against renderFleet. */
  commit(edits: FleetEdit[], previous?: ReadonlyMap<string, PreviousPlacement>) {
    for (const e of edits) this.state = applyEdit(this.state, e);
    const next = fleetFiles(this.state);
    return this.commitChanges(changesBetween(this.files, next), previous, next);
  }

  /** Commits raw file changes. */
  commitChanges(changes: FileChange[], previous?: ReadonlyMap<string, PreviousPlacement>, next?: Map<string, string>) {
    if (!next) {
      next = new Map(this.files);
      for (const c of changes) {
        if (c.text === null) next.delete(c.path);
        else next.set(c.path, c.text);
      }
    }
    const revision = `rev-${++this.revision}`;
    this.last = this.engine.update({ revision, changes, previous });
    this.files = next;
    expectSame(this.last, this.full(previous));
    return this.last;
  }

  full(previous?: ReadonlyMap<string, PreviousPlacement>): RenderResult {
    return renderFleet({ files: sourceFiles(this.files), revision: `rev-${this.revision}`, previous });
  }
}

function expectSame(incremental: RenderResult & { stats: unknown }, full: RenderResult): void {
  const { stats: _stats, ...rest } = incremental;
  expect(JSON.stringify(rest) === JSON.stringify(full)).toBe(true);
}

const nonFollowers = (r: RenderResult) =>
  r.placements.filter((p) => !(p.resource.kind === 'HorizontalPodAutoscaler' && !p.explanation[0]?.startsWith('claimed'))).length;
const objectCount = (r: RenderResult) => Object.values(r.manifests).reduce((n, l) => n + l.length, 0);
/** Claimed by the policy (not HPAs following, nor objects only taken along as a propagateDeps dependency). */
const placedBy = (r: RenderResult, policy: string) =>
  r.placements.filter((p) => p.policy?.name === policy && p.resource.kind !== 'HorizontalPodAutoscaler' && !p.dependency?.attachedOnly);

describe('IncrementalRenderer', () => {
  it('first update parses all 12 files, schedules every resource and equals renderFleet', () => {
    const h = new Harness();
    expect(h.last.stats).toMatchObject({ reparsedFiles: 12, full: true });
    expect(h.last.stats.rescheduled).toBe(nonFollowers(h.last));
    expect(h.last.stats.rerenderedObjects).toBeGreaterThan(0);
    expectSame(h.last, h.full());
    expect(h.engine.files().map((f) => f.path)).toEqual([...h.files.keys()].sort());
  });

  it('a commit with no changed file recomputes nothing: 0 parsed, 0 scheduled, 0 rendered, only the revision annotation moves', () => {
    const h = new Harness();
    const before = h.last.manifests['member-a']![0]!;
    const r = h.commitChanges([]);
    expect(r.stats).toEqual({ reparsedFiles: 0, rescheduled: 0, rerenderedObjects: 0, full: false, knownHashes: 0 });
    for (const list of Object.values(r.manifests))
      for (const o of list) expect((o.metadata as { annotations: Record<string, string> }).annotations[REVISION_ANNOTATION]).toBe('rev-1');
    // Untouched objects keep their identity (the reconciler's diff skips them without comparing).
    expect(r.manifests['member-a']![0]).toBe(before);
  });

  it('editing app-0 replicas 2 → 5 re-parses 1 file and reschedules only its Deployment and ConfigMap', () => {
    const h = new Harness();
    const otherBefore = h.last.manifests['member-c']!.find((o) => (o.metadata as { name: string }).name === 'app-4');
    const r = h.commit([{ op: 'replicas', app: 0, replicas: 5 }]);
    expect(r.stats).toMatchObject({ reparsedFiles: 1, rescheduled: 2, full: false });
    // app-0 (Duplicated on member-a and member-b): Deployment + ConfigMap on 2 clusters; its HPA follows.
    expect(r.stats.rerenderedObjects).toBe(6);
    expect(r.manifests['member-c']!.find((o) => (o.metadata as { name: string }).name === 'app-4')).toBe(otherBefore);
  });

  it('static weights of place-g1 2:1:1 → 1:1:3 reschedule the 2 resources it claims and nothing else', () => {
    const h = new Harness();
    const claimed = placedBy(h.last, 'place-g1').length;
    expect(claimed).toBe(2); // PropagationPolicy in team-a: app-2 and its ConfigMap
    const r = h.commit([{ op: 'weights', policy: 1, weights: [1, 1, 3, 1] }]);
    expect(r.stats).toMatchObject({ reparsedFiles: 1, rescheduled: claimed });
  });

  it('a relabel moving app-0 from place-g0 to place-g2 reschedules the file it is in and equals the full render', () => {
    const h = new Harness();
    const r = h.commit([{ op: 'relabel', app: 0, group: 2 }]);
    expect(r.placements.find((p) => p.resource.name === 'app-0' && p.resource.kind === 'Deployment')!.policy!.name).toBe('place-g2');
    expect(r.stats.rescheduled).toBe(2);
  });

  it('a taint on member-a reschedules every resource (all candidate sets may change)', () => {
    const h = new Harness();
    const r = h.commit([{ op: 'taint', cluster: 0 }]);
    expect(r.stats.rescheduled).toBe(nonFollowers(r));
    expect(Object.keys(r.manifests)).not.toContain('member-a');
  });

  it('an OverridePolicy edit reschedules nothing and re-renders only the g1 Deployment it selects (app-2 on 3 clusters)', () => {
    const h = new Harness();
    const r = h.commit([{ op: 'override', registry: 'mirror.example.org', cluster: 1 }]);
    expect(r.stats).toMatchObject({ reparsedFiles: 1, rescheduled: 0, rerenderedObjects: 3 });
    const image = (
      r.manifests['member-b']!.find((o) => (o.metadata as { name: string }).name === 'app-2') as {
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
      }
    ).spec.template.spec.containers[0]!.image;
    expect(image).toBe('mirror.example.org/library/app-2:1.0');
  });

  it('a new previous placement for one dynamic-weight workload reschedules that workload only', () => {
    const h = new Harness();
    const key = resourceKey({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team-a', name: 'app-4' });
    const first = h.commitChanges([], new Map([[key, { clusters: [{ name: 'member-a', replicas: 6 }] }]]));
    expect(first.stats.rescheduled).toBe(1);
    // The same previous again (a new but equal map) changes nothing.
    const again = h.commitChanges([], new Map([[key, { clusters: [{ name: 'member-a', replicas: 6 }] }]]));
    expect(again.stats.rescheduled).toBe(0);
    const dropped = h.commitChanges([]);
    expect(dropped.stats.rescheduled).toBe(1);
  });

  it('deleting and renaming files: resources leave with their file, a rename moves the source-path annotation', () => {
    const h = new Harness();
    const deleted = h.commit([{ op: 'delete', app: 1 }]);
    expect(deleted.placements.some((p) => p.resource.name === 'app-1')).toBe(false);
    const renamed = h.commit([{ op: 'rename', app: 0 }]);
    const path = h.state.apps.find((a) => a.name === 'app-0')!.path;
    expect(renamed.stats.reparsedFiles).toBe(1);
    expect(
      (
        renamed.manifests['member-a']!.find((o) => (o.metadata as { name: string }).name === 'app-0')!.metadata as {
          annotations: Record<string, string>;
        }
      ).annotations['flotilla.dev/source-path'],
    ).toBe(path);
  });

  it('broken YAML drops the file with a YAML_PARSE error at its line; the fix brings it back', () => {
    const h = new Harness();
    const broken = h.commit([{ op: 'break', app: 2 }]);
    const error = broken.diagnostics.find((d) => d.code === 'YAML_PARSE')!;
    expect(error.file).toBe('apps/team-a/app-2.yaml');
    expect(broken.stats.full).toBe(false);
    const fixed = h.commit([{ op: 'fix' }]);
    expect(fixed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(fixed.placements.some((p) => p.resource.name === 'app-2')).toBe(true);
  });

  it('a Deployment declared in two files: the revision is parsed whole and DUPLICATE_RESOURCE names the first file', () => {
    const h = new Harness();
    // The synthetic fleet's own warnings (an app no policy selects: NOT_PROPAGATED) stay as they were.
    const before = h.last.diagnostics;
    const copy = h.files.get('apps/team-a/app-0.yaml')!;
    const r = h.commitChanges([{ path: 'zz/copy.yaml', text: copy }]);
    expect(r.stats.full).toBe(true);
    // Deployment, ConfigMap and HPA of app-0, each reported at the copy and pointing to the original.
    const duplicates = r.diagnostics.filter((d) => d.code === 'DUPLICATE_RESOURCE');
    expect(duplicates.map((d) => d.file)).toEqual(['zz/copy.yaml', 'zz/copy.yaml', 'zz/copy.yaml']);
    for (const d of duplicates) expect(d.message).toContain('already declared at apps/team-a/app-0.yaml');
    const back = h.commitChanges([{ path: 'zz/copy.yaml', text: null }]);
    expect(back.stats.full).toBe(false);
    expect(back.diagnostics).toEqual(before);
  });

  it('a cluster-scoped CRD in one file makes its kind cluster-scoped in another: whole parse, namespace empty', () => {
    const h = new Harness();
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
`;
    const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, labels: {group: g0}}\n';
    const r = h.commitChanges([
      { path: 'crds/widget.yaml', text: crd },
      { path: 'widgets/w1.yaml', text: widget },
    ]);
    expect(r.stats.full).toBe(true);
    expect(r.model.resources.find((m) => m.kind === 'Widget')!.namespace).toBe('');
    // Without the CRD the kind is namespaced again ('default'), per file.
    const gone = h.commitChanges([{ path: 'crds/widget.yaml', text: null }]);
    expect(gone.stats.full).toBe(false);
    expect(gone.model.resources.find((m) => m.kind === 'Widget')!.namespace).toBe('default');
  });

  it('declaring Namespace team-a with labels replaces the generated one on every cluster', () => {
    const h = new Harness();
    const r = h.commitChanges([
      { path: 'namespaces.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a, labels: {owner: team-a}}\n' },
    ]);
    const ns = r.manifests['member-c']!.find((o) => o.kind === 'Namespace' && (o.metadata as { name: string }).name === 'team-a')!;
    expect((ns.metadata as { labels: Record<string, string> }).labels.owner).toBe('team-a');
    h.commitChanges([{ path: 'namespaces.yaml', text: null }]);
  });

  it('reset() forgets the file set: the next update starts over with every file', () => {
    const h = new Harness();
    h.engine.reset();
    expect(h.engine.files()).toEqual([]);
    const r = h.engine.update({ revision: 'rev-0', changes: changesBetween(new Map(), h.files) });
    expect(r.stats).toMatchObject({ reparsedFiles: 12, full: true });
    expectSame(r, h.full());
  });

  it('a change whose text equals the current file is not re-parsed', () => {
    const h = new Harness();
    const r = h.commitChanges([{ path: 'clusters.yaml', text: h.files.get('clusters.yaml')! }]);
    expect(r.stats).toMatchObject({ reparsedFiles: 0, rescheduled: 0 });
    expect(objectCount(r)).toBe(objectCount(h.full()));
  });
});

describe('IncrementalRenderer started from kept parses (the render index)', () => {
  it('keeps no parse JSON would change (.nan, -0), and a renderer seeded with the rest equals renderFleet', () => {
    const files = fleetFiles(initialFleet());
    files.set('odd.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odd, namespace: default}\nimmutable: .nan\n');
    files.set('zero.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: zero, namespace: default}\nbinaryData: {n: -0}\n');
    const earlier = new IncrementalRenderer();
    earlier.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
    const kept = earlier.parsedFiles();
    expect(kept.map((r) => r.path)).not.toContain('odd.yaml');
    expect(kept.map((r) => r.path)).not.toContain('zero.yaml');
    expect(kept).toHaveLength(files.size - 2);
    const engine = new IncrementalRenderer(JSON.parse(JSON.stringify(kept)) as typeof kept);
    const got = engine.update({ revision: 'rev-1', changes: changesBetween(new Map(), files) });
    expect(got.stats.reparsedFiles).toBe(2);
    const { stats: _stats, ...result } = got;
    expect(JSON.stringify(result)).toBe(JSON.stringify(renderFleet({ files: sourceFiles(files), revision: 'rev-1' })));
  });

  it('a kept parse brings what the schema check found in its manifests: a new process reports it without walking them again', () => {
    const files = fleetFiles(initialFleet());
    files.set('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad, namespace: default}\ndata: {count: 1}\n');
    const earlier = new IncrementalRenderer();
    const first = earlier.update({ revision: 'rev-0', changes: changesBetween(new Map(), files) });
    const typeError = first.diagnostics.find((d) => d.code === 'SCHEMA_TYPE' && d.file === 'bad.yaml');
    expect(typeError?.message).toMatch(/data\.count must be a string/);
    const kept = JSON.parse(JSON.stringify(earlier.parsedFiles())) as ReturnType<typeof earlier.parsedFiles>;
    const bad = kept.find((r) => r.path === 'bad.yaml')!;
    expect(bad.schema).toEqual([[expect.objectContaining({ code: 'SCHEMA_TYPE', path: ['data', 'count'] })]]);
    // The kept finding is what the new process reports: it did not walk the manifest (the walk would say "must be a string").
    bad.schema = [[{ ...bad.schema[0]![0]!, message: 'data.count as the earlier process found it' }]];
    const got = new IncrementalRenderer(kept).update({ revision: 'rev-1', changes: changesBetween(new Map(), files) });
    expect(got.stats.reparsedFiles).toBe(0);
    const reported = got.diagnostics.filter((d) => d.code === 'SCHEMA_TYPE' && d.file === 'bad.yaml').map((d) => d.message);
    expect(reported).toEqual([typeError!.message.replace(/data\.count must be .*/, 'data.count as the earlier process found it')]);
    // Without kept parses, the walk.
    const fresh = new IncrementalRenderer().update({ revision: 'rev-1', changes: changesBetween(new Map(), files) });
    expect(fresh.diagnostics.find((d) => d.code === 'SCHEMA_TYPE' && d.file === 'bad.yaml')?.message).toBe(typeError!.message);
  });
});
