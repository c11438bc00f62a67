import { describe, it, expect } from 'vitest';
import {
  formatImageReference,
  parseImageReference,
  splitHostname,
  withTagOrDigest,
  withoutTagOrDigest,
  type ImageReference,
} from '../../src/override/image-reference.js';

const DIGEST = 'sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c';

function parsed(image: string): ImageReference {
  const r = parseImageReference(image);
  if (!r.ok) throw new Error(r.reason);
  return r.ref;
}

describe('parseImageReference (Karmada imageparser TestParse)', () => {
  const cases: Array<[string, string, string, string, string]> = [
    // image, host, repository, tag, digest
    ['pause', '', 'pause', '', ''],
    ['subpath/imagename:v1.0.0', '', 'subpath/imagename', 'v1.0.0', ''],
    ['fictional.registry.example/imagename:v1.0.0', 'fictional.registry.example', 'imagename', 'v1.0.0', ''],
    ['fictional.registry.example:10443/subpath/imagename:v1.0.0', 'fictional.registry.example:10443', 'subpath/imagename', 'v1.0.0', ''],
    [`fictional.registry.example:10443/subpath/imagename@${DIGEST}`, 'fictional.registry.example:10443', 'subpath/imagename', '', DIGEST],
    ['localhost/app:1', 'localhost', 'app', '1', ''],
    ['localhost:5000/team/app', 'localhost:5000', 'team/app', '', ''],
    ['global-app:2.3', '', 'global-app', '2.3', ''],
  ];
  for (const [image, host, repository, tag, digest] of cases) {
    it(`${image} → host "${host}", repository "${repository}", tag "${tag}", digest "${digest ? 'sha256:…' : ''}" and round-trips`, () => {
      const ref = parsed(image);
      expect(ref).toEqual({ host, repository, tag, digest });
      expect(formatImageReference(ref)).toBe(image);
    });
  }

  it('name:tag@digest keeps only the tag: app:v1@sha256:… → app:v1', () => {
    expect(formatImageReference(parsed(`app:v1@${DIGEST}`))).toBe('app:v1');
  });

  it('a first segment without "." or ":" is part of the repository: library/nginx → host ""', () => {
    expect(parsed('library/nginx')).toEqual({ host: '', repository: 'library/nginx', tag: '', digest: '' });
  });

  const invalid: Array<[string, RegExp]> = [
    ['', /at least one component/],
    ['Nginx:1', /lowercase/],
    ['nginx:', /invalid reference format/],
    ['nginx@sha256:abc', /invalid reference format/],
    [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm/],
    [`nginx@sha256:${'a'.repeat(63)}`, /length/],
    [`nginx@sha256:${'A'.repeat(64)}`, /lower case/],
    [`${'a'.repeat(256)}:1`, /255/],
  ];
  for (const [image, reason] of invalid) {
    it(`"${image.length > 40 ? image.slice(0, 20) + '…' : image}" does not parse (${reason.source})`, () => {
      const r = parseImageReference(image);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }
});

describe('splitHostname (Karmada TestSplitHostname)', () => {
  const cases: Array<[string, string, string]> = [
    ['', '', ''],
    ['imagename', '', 'imagename'],
    ['subpath/imagename', '', 'subpath/imagename'],
    ['fictional.registry.example/subpath/imagename', 'fictional.registry.example', 'subpath/imagename'],
    ['fictional.registry.example:10443/subpath/imagename', 'fictional.registry.example:10443', 'subpath/imagename'],
    ['10.10.10.10:10443/subpath/imagename', '10.10.10.10:10443', 'subpath/imagename'],
  ];
  for (const [input, host, repository] of cases) {
    it(`"${input}" → host "${host}", repository "${repository}"`, () => {
      expect(splitHostname(input)).toEqual({ host, repository });
    });
  }
});

describe('tag/digest edits (Karmada ExampleComponents_SetTagOrDigest)', () => {
  it('gcr.io/kube-apiserver: set v1.19.0 → :v1.19.0; remove → bare; set digest → @sha256; remove → bare', () => {
    let ref = parsed('gcr.io/kube-apiserver');
    ref = withTagOrDigest(ref, 'v1.19.0');
    expect(formatImageReference(ref)).toBe('gcr.io/kube-apiserver:v1.19.0');
    ref = withoutTagOrDigest(ref);
    expect(formatImageReference(ref)).toBe('gcr.io/kube-apiserver');
    ref = withTagOrDigest(ref, DIGEST);
    expect(formatImageReference(ref)).toBe(`gcr.io/kube-apiserver@${DIGEST}`);
    ref = withoutTagOrDigest(ref);
    expect(formatImageReference(ref)).toBe('gcr.io/kube-apiserver');
  });

  it('a value that is neither tag nor digest changes nothing: app:v1 set "v1@x" → app:v1', () => {
    expect(formatImageReference(withTagOrDigest(parsed('app:v1'), 'v1@x'))).toBe('app:v1');
  });

  it('a digest replaces a tag: app:v1 set sha256:… → app@sha256:…', () => {
    expect(formatImageReference(withTagOrDigest(parsed('app:v1'), DIGEST))).toBe(`app@${DIGEST}`);
  });
});
