// The render JSON document (docs/reference/contract.md) written piece by piece: the same bytes as the
// document built whole, whatever a manifest holds, and never one piece per document.
import { describe, expect, it } from 'vitest';
import { placementJson, previousFromJson, previousFromPlacements, renderJson, renderJsonChunks } from '../../src/render/contract.js';
import { fixtureFiles, render } from '../helpers/fleet.js';

const CLUSTERS = `apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: "10"
  labels: {zone: b, "2": two, "10": ten, app: x}
spec: {region: east}
---
apiVersion: cluster.karmada.io/v1alpha1
kind: Cluster
metadata:
  name: east-1
spec: {region: east}
`;

/**
 * A ConfigMap and a Deployment with what sorts awkwardly or serialises specially: array-index keys,
 * unicode, escapes, a YAML 1.1 timestamp (loaded as a string), empty objects and lists.
 */
const AWKWARD = `apiVersion: v1
kind: ConfigMap
metadata:
  name: awkward
  annotations: {"b": "1", "a": "2"}
data:
  "9": nine
  "10": ten
  "01": zero-one
  zebra: "tab\\there \\"quoted\\" back\\\\slash"
  émoji: "😀 and \\u2028"
  Apple: upper
binaryData: {}
immutable: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 3
  selector: {matchLabels: {app: app}}
  template:
    metadata:
      labels: {app: app}
      annotations: {deployed: 2001-12-14}
    spec:
      containers:
      - {name: main, image: "app:1", args: [], env: [{value: "1.50", name: RATIO}], resources: {}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata:
  name: everywhere
spec:
  resourceSelectors:
  - {apiVersion: v1, kind: ConfigMap}
  - {apiVersion: apps/v1, kind: Deployment}
  placement:
    replicaScheduling: {replicaSchedulingType: Divided}
`;

describe('renderJsonChunks', () => {
  it('joins to JSON.stringify(renderJson(r), null, 2) + newline for awkward manifests and cluster names', () => {
    const r = render([
      { path: 'clusters.yaml', text: CLUSTERS },
      { path: 'apps.yaml', text: AWKWARD },
    ]);
    expect(Object.keys(r.manifests)).toEqual(['10', 'east-1']);
    const expected = JSON.stringify(renderJson(r), null, 2) + '\n';
    expect([...renderJsonChunks(r)].join('')).toBe(expected);
    // The document really holds what makes this hard: index keys first, then sorted names, and escapes.
    expect(expected).toMatch(/"9": "nine",\n\s+"10": "ten",\n\s+"01": "zero-one",\n\s+"Apple": "upper"/);
    expect(expected).toContain('"zebra": "tab\\there \\"quoted\\" back\\\\slash"');
  });

  it('an empty fleet: empty lists and an empty manifests object', () => {
    const r = render([]);
    const text = [...renderJsonChunks(r)].join('');
    expect(text).toBe(JSON.stringify(renderJson(r), null, 2) + '\n');
    expect(text).toContain('"manifests": {}');
  });

  it('comes in pieces: one per cluster entry, placement and manifest, so the writer never holds the whole document', () => {
    const r = render([
      { path: 'clusters.yaml', text: CLUSTERS },
      { path: 'apps.yaml', text: AWKWARD },
    ]);
    const chunks = [...renderJsonChunks(r)];
    const objects = Object.values(r.manifests).reduce((n, list) => n + list.length, 0);
    expect(chunks.length).toBeGreaterThanOrEqual(r.clusters.length + r.placements.length + objects);
    const longest = Math.max(...chunks.map((c) => c.length));
    expect(longest).toBeLessThan(chunks.join('').length / 4);
  });
});

describe('previousFromPlacements', () => {
  it('gives what previousFromJson gives for the same placements written as JSON, odd numbers included', async () => {
    const placements = render(await fixtureFiles('seed')).placements.map(placementJson);
    // JSON.parse can give -0 and Infinity, which a JSON round trip writes as 0 and null.
    const odd = '[{"resource":{"kind":"Deployment","name":"x"},"clusters":[{"name":"a","replicas":-0},{"name":"b","replicas":1e999}]}]';
    for (const text of [JSON.stringify(placements), odd]) {
      const parsed = JSON.parse(text) as unknown[];
      const viaText = previousFromJson(JSON.stringify({ placements: parsed }), 'status.yaml');
      const direct = previousFromPlacements(parsed, 'status.yaml');
      expect([...direct]).toEqual([...viaText]);
      expect(direct.size).toBeGreaterThan(0);
    }
    const [[, odd0]] = [...previousFromPlacements(JSON.parse(odd), 'status.yaml')];
    expect(Object.is(odd0!.clusters[0]!.replicas, 0)).toBe(true);
    expect(odd0!.clusters[1]!.replicas).toBeNull();
    expect(() => previousFromPlacements({}, 'status.yaml')).toThrow(/placements/);
  });
});
