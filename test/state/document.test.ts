import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseStatus,
  placementsAreJson,
  previousOfStatus,
  sameStatus,
  serializeStatus,
  statusCommitMessage,
  type ReconcileStatus,
} from '../../src/state/document.js';
import { statusReadme } from '../../src/state/readme.js';
import { ObjectStore } from '../../src/source/objects.js';
import { previousFromJson } from '../../src/render/contract.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const REV = 'a'.repeat(40);
function status(over: Partial<ReconcileStatus> = {}): ReconcileStatus {
  return {
    apiVersion: 'flotilla.dev/v1alpha1',
    kind: 'ReconcileStatus',
    source: { url: 'https://git.example.com/fleet.git', branch: 'main', path: '' },
    sourceRevision: REV,
    phase: 'Synced',
    stage: null,
    reason: null,
    message: `revision ${REV} is in force`,
    lastGoodRevision: REV,
    reconciledAt: '2024-01-01T00:00:00.000Z',
    objects: { total: 3, created: 3, configured: 0, unchanged: 0, deleted: 0, failed: 0 },
    clusters: {
      east: { reachable: true, applied: 2, unchanged: 0, deleted: 0, failed: 0 },
      west: { reachable: true, applied: 1, unchanged: 0, deleted: 0, failed: 0 },
    },
    targets: [
      {
        name: 'directory:out',
        type: 'directory',
        phase: 'Applied',
        created: 3,
        configured: 0,
        unchanged: 0,
        deleted: 0,
        failed: 0,
        message: null,
      },
    ],
    heldBack: null,
    placements: [
      {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' },
        policy: { kind: 'PropagationPolicy', namespace: 'default', name: 'web' },
        replicas: 3,
        clusters: [
          { name: 'east', replicas: 2 },
          { name: 'west', replicas: 1 },
        ],
        error: null,
      },
    ],
    diagnostics: [{ severity: 'error', code: 'YAML_PARSE', message: 'bad | pipe', file: 'apps/web.yaml', line: 7, column: 3 }],
    ...over,
  };
}

describe('status.yaml', () => {
  it('round-trips through YAML with the contract fields', () => {
    const s = status();
    const text = serializeStatus(s);
    const doc = parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining(['sourceRevision', 'phase', 'clusters', 'placements', 'diagnostics', 'lastGoodRevision']),
    );
    expect(doc.clusters).toEqual({
      east: { reachable: true, applied: 2, unchanged: 0, deleted: 0, failed: 0 },
      west: { reachable: true, applied: 1, unchanged: 0, deleted: 0, failed: 0 },
    });
    expect(parseStatus(text)).toEqual(s);
  });

  it('600 placements are written one JSON line each and read back the same', () => {
    const p = status().placements[0]!;
    const placements = Array.from({ length: 600 }, (_, i) => ({ ...p, resource: { ...(p.resource as object), name: `web-${i}` } }));
    const s = status({ placements });
    const text = serializeStatus(s);
    expect(text).toContain('placements:\n  - {"clusters":[{"name":"east","replicas":2}');
    expect(parseStatus(text)!.placements).toEqual(placements);
  });

  it('a large status reads the same through its JSON placement lines as through YAML, and a hand-edited one still reads', () => {
    const p = status().placements[0]!;
    const placements = Array.from({ length: 600 }, (_, i) => ({ ...p, resource: { ...(p.resource as object), name: `web-${i}: "x"\n` } }));
    const s = status({ placements, message: 'a message with\nplacements:\n  - {"not": "one"}' });
    const text = serializeStatus(s);
    expect(parseStatus(text)).toEqual(s);
    expect(parseStatus(text)).toEqual(parseStatus(text.replace('\nplacements:\n', '\nplacements:\n\n')));
    // A line that is YAML but not JSON (edited by hand): read as YAML, not dropped.
    const edited = text.replace(/\n {2}- \{[^\n]*\n$/, '\n  - {resource: {name: edited}}\n');
    expect(parseStatus(edited)!.placements.at(-1)).toEqual({ resource: { name: 'edited' } });
    expect(parseStatus(edited)!.placements).toHaveLength(600);
  });

  it('placementsAreJson tells the JSON placement lines from a status read as YAML; a hand-edited head still reads', () => {
    const p = status().placements[0]!;
    const placements = Array.from({ length: 600 }, (_, i) => ({ ...p, resource: { ...(p.resource as object), name: `web-${i}` } }));
    const text = serializeStatus(status({ placements }));
    expect(placementsAreJson(parseStatus(text)!)).toBe(true);
    expect(placementsAreJson(parseStatus(serializeStatus(status()))!)).toBe(false);
    // A head that is not stable YAML (a comment, a flow map) is read by the library, as before.
    const edited = text
      .replace('phase: Synced\n', 'phase: Synced # by hand\n')
      .replace(/clusters:\n(?: {2}.*\n)+/, 'clusters: {east: {reachable: true}}\n');
    expect(edited).not.toBe(text);
    const read = parseStatus(edited)!;
    expect(read.phase).toBe('Synced');
    expect(read.clusters).toEqual({ east: { reachable: true } });
    expect(read.placements).toEqual(placements);
    expect(placementsAreJson(read)).toBe(true);
  });

  it('previousOfStatus reads JSON placement lines as previousFromJson reads them', () => {
    const p = status().placements[0]!;
    const placements = Array.from({ length: 600 }, (_, i) => ({ ...p, resource: { ...(p.resource as object), name: `web-${i}` } }));
    const read = parseStatus(serializeStatus(status({ placements })))!;
    expect(placementsAreJson(read)).toBe(true);
    expect(previousOfStatus(read, 'status.yaml')).toEqual(previousFromJson(JSON.stringify({ placements: read.placements }), 'status.yaml'));
    expect(previousOfStatus(read, 'status.yaml').size).toBe(600);
  });

  it('previousOfStatus makes a status read as YAML JSON first: an unquoted date-like cluster name is its ISO text', () => {
    // Hand-edited: YAML 1.1 reads `2024-01-01` as a date; `--previous auto` (previousFromJson) sees the JSON text of it.
    const text = serializeStatus(status()).replace('- name: east', '- name: 2024-01-01');
    const read = parseStatus(text)!;
    expect(placementsAreJson(read)).toBe(false);
    const clusters = [...previousOfStatus(read, 'status.yaml').values()][0]!.clusters;
    expect(clusters.map((c) => c.name)).toEqual(['2024-01-01T00:00:00.000Z', 'west']);
  });

  it('placements that share cluster lists and policies are written as when each had its own copy (the memo is by identity)', () => {
    const p = status().placements[0]!;
    const clusters = [{ replicas: 2, name: 'east' }];
    const policy = { name: 'pp', namespace: 'default', kind: 'PropagationPolicy' };
    const shared = Array.from({ length: 600 }, (_, i) => ({
      ...p,
      clusters,
      policy,
      resource: { ...(p.resource as object), name: `w-${i}` },
    }));
    const copies = shared.map((x) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>);
    expect(serializeStatus(status({ placements: shared }))).toBe(serializeStatus(status({ placements: copies })));
    expect(serializeStatus(status({ placements: shared }))).toContain('"clusters":[{"name":"east","replicas":2}],');
  });

  it('sameStatus ignores the time and change counts, not the phase or revision', () => {
    expect(
      sameStatus(
        status(),
        status({
          reconciledAt: '2030-01-01T00:00:00Z',
          objects: { total: 3, created: 0, configured: 0, unchanged: 3, deleted: 0, failed: 0 },
        }),
      ),
    ).toBe(true);
    expect(sameStatus(status(), status({ phase: 'Failed' }))).toBe(false);
    expect(sameStatus(status(), status({ sourceRevision: 'b'.repeat(40) }))).toBe(false);
    // Placements by content: a copy is the same, one replica moved is news.
    const placements = status().placements;
    const copy = JSON.parse(JSON.stringify(placements)) as ReconcileStatus['placements'];
    expect(sameStatus(status({ placements }), status({ placements: copy }))).toBe(true);
    const moved = [{ ...copy[0]!, replicas: Number(copy[0]!.replicas) + 1 }, ...copy.slice(1)];
    expect(sameStatus(status({ placements }), status({ placements: moved }))).toBe(false);
    expect(sameStatus(status({ placements }), status({ placements: [] }))).toBe(false);
  });

  it('live clusters: a new probe time is not news; a cluster turning not ready, drift or a failover event is', () => {
    const cond = (lastProbeAt: number, ready = true) => ({
      cluster: 'east',
      ready,
      transitionAt: null,
      streakSince: null,
      lastProbeAt,
      lastError: null,
    });
    const live = (over: Partial<ReconcileStatus> = {}, east: Record<string, unknown> = {}) =>
      status({
        clusters: {
          east: {
            reachable: true,
            applied: 2,
            unchanged: 0,
            deleted: 0,
            failed: 0,
            ready: true,
            health: 'Healthy',
            drifted: 0,
            message: null,
            ...east,
          },
        },
        health: 'Healthy',
        failover: { conditions: [cond(1000)], events: [] },
        ...over,
      });
    const a = live();
    expect(sameStatus(a, live({ failover: { conditions: [cond(31_000)], events: [] } }))).toBe(true);
    expect(sameStatus(a, live({}, { ready: false, message: 'not ready: ECONNREFUSED' }))).toBe(false);
    expect(sameStatus(a, live({}, { drifted: 1 }))).toBe(false);
    expect(
      sameStatus(
        a,
        live({ failover: { conditions: [cond(2000)], events: [{ cluster: 'east', at: 2000, type: 'NotReady', message: 'down' }] } }),
      ),
    ).toBe(false);
    // And it all reads back from status.yaml, the README shows the live columns and the events.
    const withEvent = live(
      {
        failover: {
          conditions: [cond(2000, false)],
          events: [
            { cluster: 'east', at: Date.parse('2026-03-01T10:00:00Z'), type: 'NotReady', message: 'cluster east stopped answering' },
          ],
        },
      },
      { ready: false },
    );
    expect(parseStatus(serializeStatus(withEvent))).toEqual(withEvent);
    const md = statusReadme(withEvent);
    expect(md).toContain('| Cluster | Sync | Applied | Unchanged | Deleted | Failed | Ready | Health | Drifted | Message |');
    expect(md).toContain('| 2026-03-01T10:00:00.000Z | east | NotReady | cluster east stopped answering |');
  });

  it('the commit message names the phase and the full source revision', () => {
    expect(statusCommitMessage(status()).split('\n')[0]).toBe(`flotilla: Synced at ${REV}`);
  });

  it('README.md: phase, clusters × sync state, placements and diagnostics tables, pipes escaped', () => {
    const md = statusReadme(status({ phase: 'Invalid', stage: 'load', reason: 'InvalidRevision' }));
    expect(md).toContain('# flotilla status: ⛔ Invalid');
    expect(md).toContain('| east | ⏸ held | 2 | 0 | 0 | 0 |');
    expect(md).toContain('| Deployment default/web | PropagationPolicy/web | 3 | east=2, west=1 |');
    expect(md).toContain('| error | YAML_PARSE | apps/web.yaml:7 | bad \\| pipe |');
  });
});

describe('tree edits without a work tree', () => {
  it('nested edits, deletes and emptied folders give trees git fsck accepts, untouched subtrees keep their oids', async () => {
    const dir = await makeTempDir();
    const gitdir = path.join(dir, 'r.git');
    await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
    const store = new ObjectStore(gitdir);
    const a = await store.writeBlob('a\n');
    const b = await store.writeBlob('b\n');
    const t1 = await store.editTree(
      null,
      new Map([
        ['x/y/a.yaml', a],
        ['x/y/b.yaml', b],
        ['z/c.yaml', a],
        ['top.md', b],
      ]),
    );
    expect([...(await store.listTree(t1))].sort()).toEqual([
      ['top.md', b],
      ['x/y/a.yaml', a],
      ['x/y/b.yaml', b],
      ['z/c.yaml', a],
    ]);
    const zBefore = (await git.readTree({ fs, gitdir, oid: t1, filepath: 'z' })).oid;
    const t2 = await store.editTree(
      t1,
      new Map([
        ['x/y/a.yaml', null],
        ['x/y/b.yaml', null],
        ['x/new.yaml', a],
      ]),
    );
    expect([...(await store.listTree(t2)).keys()].sort()).toEqual(['top.md', 'x/new.yaml', 'z/c.yaml']);
    expect((await git.readTree({ fs, gitdir, oid: t2, filepath: 'z' })).oid).toBe(zBefore);
    expect(await store.editTree(t2, new Map([['z/c.yaml', a]]))).toBe(t2);
    const commit = await store.writeCommit({ tree: t2, parents: [], message: 'm', author: { name: 'n', email: 'e@x', timestamp: 1 } });
    await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: commit });
    const out = await new Promise<string>((resolve, reject) =>
      execFile('git', ['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling'], (e, so, se) =>
        e ? reject(new Error(se)) : resolve(String(so) + String(se)),
      ),
    );
    expect(out.trim()).toBe('');
  });
});
