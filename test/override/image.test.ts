import { describe, it, expect } from 'vitest';
import type { ImageOverrider } from '../../src/model/types.js';
import { images, override } from './fixtures.js';

const REGISTRY_IMAGE = 'fictional.registry.example/imagename:v1.0.0';
const DIGEST = 'sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';

function workload(kind: string, containerImages: string[]): Record<string, unknown> {
  const containers = containerImages.map((image, i) => ({ name: i === 0 ? 'nginx' : `c${i}`, image }));
  const apiVersion = kind === 'Job' ? 'batch/v1' : kind === 'Pod' ? 'v1' : 'apps/v1';
  const spec = kind === 'Pod' ? { containers } : { template: { spec: { containers } } };
  return { apiVersion, kind, metadata: { name: 'nginx', namespace: 'default' }, spec };
}

function overrideImages(kind: string, containerImages: string[], overrider: ImageOverrider): unknown[] {
  const r = override(workload(kind, containerImages), { imageOverrider: [overrider] });
  expect(r.problems).toEqual([]);
  return images(r.object);
}

// Karmada imageoverride_test.go TestParseJSONPatchesByImageOverrider, as before → after.
describe('imageOverrider without predicate', () => {
  const cases: Array<[string, string, string, ImageOverrider, string]> = [
    [
      'Job',
      'perl:5.34.0',
      'Registry add',
      { component: 'Registry', operator: 'add', value: 'registry.k8s.io' },
      'registry.k8s.io/perl:5.34.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Registry add',
      { component: 'Registry', operator: 'add', value: '.test' },
      'fictional.registry.example.test/imagename:v1.0.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Registry replace',
      { component: 'Registry', operator: 'replace', value: 'fictional.registry.us' },
      'fictional.registry.us/imagename:v1.0.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Registry remove',
      { component: 'Registry', operator: 'remove', value: 'fictional.registry.us' },
      'imagename:v1.0.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Repository add',
      { component: 'Repository', operator: 'add', value: '/nginx' },
      'fictional.registry.example/imagename/nginx:v1.0.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Repository replace',
      { component: 'Repository', operator: 'replace', value: 'nginx' },
      'fictional.registry.example/nginx:v1.0.0',
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Repository remove',
      { component: 'Repository', operator: 'remove', value: 'nginx' },
      'fictional.registry.example/:v1.0.0',
    ],
    // "v1.0.0" + "sha256:…" is neither a valid tag nor a valid digest, so nothing changes.
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Tag add with a digest value (silently does nothing)',
      { component: 'Tag', operator: 'add', value: DIGEST },
      REGISTRY_IMAGE,
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Tag replace with a digest',
      { component: 'Tag', operator: 'replace', value: DIGEST },
      `fictional.registry.example/imagename@${DIGEST}`,
    ],
    [
      'Deployment',
      REGISTRY_IMAGE,
      'Tag remove',
      { component: 'Tag', operator: 'remove', value: DIGEST },
      'fictional.registry.example/imagename',
    ],
    [
      'Pod',
      REGISTRY_IMAGE,
      'Repository replace',
      { component: 'Repository', operator: 'replace', value: 'nginx' },
      'fictional.registry.example/nginx:v1.0.0',
    ],
    [
      'StatefulSet',
      REGISTRY_IMAGE,
      'Repository replace',
      { component: 'Repository', operator: 'replace', value: 'nginx' },
      'fictional.registry.example/nginx:v1.0.0',
    ],
    [
      'ReplicaSet',
      REGISTRY_IMAGE,
      'Repository replace',
      { component: 'Repository', operator: 'replace', value: 'nginx' },
      'fictional.registry.example/nginx:v1.0.0',
    ],
    [
      'DaemonSet',
      REGISTRY_IMAGE,
      'Repository replace',
      { component: 'Repository', operator: 'replace', value: 'nginx' },
      'fictional.registry.example/nginx:v1.0.0',
    ],
    ['Deployment', 'nginx', 'Tag add on an untagged image', { component: 'Tag', operator: 'add', value: 'v2' }, 'nginx:v2'],
    ['Deployment', 'nginx:v1', 'Tag add a suffix', { component: 'Tag', operator: 'add', value: '-debug' }, 'nginx:v1-debug'],
    ['Deployment', 'nginx:v1', 'Tag replace', { component: 'Tag', operator: 'replace', value: 'v2' }, 'nginx:v2'],
    [
      'Deployment',
      'nginx:v1',
      'Tag replace with an invalid tag (unchanged)',
      { component: 'Tag', operator: 'replace', value: 'not a tag' },
      'nginx:v1',
    ],
    [
      'Deployment',
      `nginx@${DIGEST}`,
      'Tag replace a digest with a tag',
      { component: 'Tag', operator: 'replace', value: 'v3' },
      'nginx:v3',
    ],
    ['Deployment', `nginx@${DIGEST}`, 'Tag remove a digest', { component: 'Tag', operator: 'remove' }, 'nginx'],
    ['Deployment', 'nginx:v1', 'Repository remove on an image with no registry', { component: 'Repository', operator: 'remove' }, ':v1'],
    [
      'Deployment',
      'global-app:2.3',
      'Registry replace',
      { component: 'Registry', operator: 'replace', value: 'registry.x/company' },
      'registry.x/company/global-app:2.3',
    ],
  ];
  for (const [kind, before, what, overrider, after] of cases) {
    it(`${kind} ${what}: ${before} → ${after}`, () => {
      expect(overrideImages(kind, [before], overrider)).toEqual([after]);
    });
  }

  it(
    'every container is rewritten: imagename:v1.0.0 & registry.k8s.io/nginx-slim:0.8, ' +
      'Repository replace nginx → …/nginx:v1.0.0 & registry.k8s.io/nginx:0.8',
    () => {
      expect(
        overrideImages('Deployment', [REGISTRY_IMAGE, 'registry.k8s.io/nginx-slim:0.8'], {
          component: 'Repository',
          operator: 'replace',
          value: 'nginx',
        }),
      ).toEqual(['fictional.registry.example/nginx:v1.0.0', 'registry.k8s.io/nginx:0.8']);
    },
  );

  it('init containers are not touched: initContainers busybox:1 stays busybox:1', () => {
    const obj = workload('Deployment', ['app:1']);
    (obj.spec as any).template.spec.initContainers = [{ name: 'init', image: 'busybox:1' }];
    const r = override(obj, { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'r.example.com' }] });
    expect((r.object.spec as any).template.spec.initContainers[0].image).toBe('busybox:1');
    expect(images(r.object)).toEqual(['r.example.com/app:1']);
  });

  it('a kind without containers is left alone, without a problem: CronJob unchanged', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'app:1' }] } } } } },
    };
    const r = override(cronJob, { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'r.example.com' }] });
    expect(r.problems).toEqual([]);
    expect(r.object).toEqual(cronJob);
  });

  it('overriders apply in sequence on the result of the previous one: Registry add "r.io" then Tag replace v2: app:1 → r.io/app:v2', () => {
    const r = override(workload('Deployment', ['app:1']), {
      imageOverrider: [
        { component: 'Registry', operator: 'add', value: 'r.io' },
        { component: 'Tag', operator: 'replace', value: 'v2' },
      ],
    });
    expect(images(r.object)).toEqual(['r.io/app:v2']);
  });

  it('an image that does not parse aborts: "Nginx:1" → OVERRIDE_FAILED, object unchanged', () => {
    const obj = workload('Deployment', ['Nginx:1']);
    const r = override(obj, { imageOverrider: [{ component: 'Tag', operator: 'replace', value: 'v2' }] });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({
      severity: 'error',
      code: 'OVERRIDE_FAILED',
      path: ['spec', 'overrideRules', 0, 'overriders', 'imageOverrider', 0],
    });
    expect(r.problems[0]!.message).toMatch(/Nginx:1.*lowercase/);
    expect(r.object).toBe(obj);
  });
});

describe('imageOverrider with predicate', () => {
  it(
    'Job, predicate /spec/template/spec/containers/0/image, Registry add registry.k8s.io: ' + 'perl:5.34.0 → registry.k8s.io/perl:5.34.0',
    () => {
      expect(
        overrideImages('Job', ['perl:5.34.0'], {
          predicate: { path: '/spec/template/spec/containers/0/image' },
          component: 'Registry',
          operator: 'add',
          value: 'registry.k8s.io',
        }),
      ).toEqual(['registry.k8s.io/perl:5.34.0']);
    },
  );

  it('predicate on container 1 only: [imagename:v1.0.0, nginx-slim:0.8] → [unchanged, registry.k8s.io/nginx:0.8]', () => {
    expect(
      overrideImages('Deployment', [REGISTRY_IMAGE, 'registry.k8s.io/nginx-slim:0.8'], {
        predicate: { path: '/spec/template/spec/containers/1/image' },
        component: 'Repository',
        operator: 'replace',
        value: 'nginx',
      }),
    ).toEqual([REGISTRY_IMAGE, 'registry.k8s.io/nginx:0.8']);
  });

  it('a predicate reaches images elsewhere: CronJob jobTemplate image app:1 → r.io/app:1', () => {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'app:1' }] } } } } },
    };
    const r = override(cronJob, {
      imageOverrider: [
        {
          predicate: { path: '/spec/jobTemplate/spec/template/spec/containers/0/image' },
          component: 'Registry',
          operator: 'replace',
          value: 'r.io',
        },
      ],
    });
    expect(r.problems).toEqual([]);
    expect((r.object.spec as any).jobTemplate.spec.template.spec.containers[0].image).toBe('r.io/app:1');
  });

  const bad: Array<[string, string]> = [
    ['/spec/template/spec/containers/5/image', 'index out of range'],
    ['/spec/template/spec/containers/0/missing', 'missing key'],
    ['/spec/template/spec/containers/0', 'an object, not a string'],
    ['/spec/replicas', 'a number, not a string'],
  ];
  for (const [path, why] of bad) {
    it(`predicate ${path} (${why}) → OVERRIDE_FAILED, object unchanged`, () => {
      const obj = workload('Deployment', ['app:1']);
      (obj.spec as any).replicas = 3;
      const r = override(obj, { imageOverrider: [{ predicate: { path }, component: 'Registry', operator: 'replace', value: 'r.io' }] });
      expect(r.problems.map((p) => [p.severity, p.code])).toEqual([['error', 'OVERRIDE_FAILED']]);
      expect(r.problems[0]!.message).toContain(path);
      expect(r.object).toBe(obj);
      expect(images(r.object)).toEqual(['app:1']);
    });
  }
});
