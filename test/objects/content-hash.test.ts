// contentHash is what the diff, the render index and a restore compare objects by when they do not
// hold them. It leaves out the revision annotation's line of the stable YAML, and only that line: two
// objects that differ in anything else must hash apart, or a change would never be written.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { contentHash, textContentHash, withoutVolatileLines } from '../../src/objects/content-hash.js';
import { toStableYaml } from '../../src/objects/serialize.js';
import { REVISION_ANNOTATION } from '../../src/objects/tracking.js';
import { awkwardString, yamlValue } from '../helpers/yaml-arbitraries.js';

const config = (revision: unknown, extra: Record<string, unknown> = {}, annotations: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cfg', namespace: 'default', annotations: { ...annotations, [REVISION_ANNOTATION]: revision } },
  ...extra,
});

/** A stable YAML text read back, the same way for both sides of a comparison (YAML 1.2: `<<` is a key, not a merge). */
const read = (text: string) => parse(text) as unknown;

/** The object without its revision annotation (every other key kept as an own member, `__proto__` too). */
const withoutRevision = (o: ReturnType<typeof config>) => ({
  ...o,
  metadata: {
    ...o.metadata,
    annotations: Object.fromEntries(Object.entries(o.metadata.annotations).filter(([k]) => k !== REVISION_ANNOTATION)),
  },
});

/** The revision annotation's line as stable YAML writes it. */
const revisionLine = (revision: string) => `    ${REVISION_ANNOTATION}: ${revision}\n`;

describe('contentHash', () => {
  it('is the first 32 base64url characters of the SHA-256 of the stable YAML without the revision line', () => {
    const o = config('r9', { data: { b: '2', a: '1' } }, { team: 'blue' });
    const text = toStableYaml(o);
    expect(text).toContain(revisionLine('r9'));
    const expected = createHash('sha256')
      .update(text.replace(revisionLine('r9'), ''))
      .digest('base64url')
      .slice(0, 32);
    expect(contentHash(o)).toBe(expected);
    expect(textContentHash(text)).toBe(expected);
    expect(contentHash(config('r10', { data: { a: '1', b: '2' } }, { team: 'blue' }))).toBe(expected);
    expect(contentHash(config('r9', { data: { a: '1', b: '3' } }, { team: 'blue' }))).not.toBe(expected);
    expect(contentHash(config('r9', { data: { a: '1', b: '2' } }, { team: 'red' }))).not.toBe(expected);
  });

  it('leaves alone the lines that only look like the annotation: in a ConfigMap file before metadata, in labels, in spec', () => {
    // A block scalar under data: indents its lines by four spaces, as metadata.annotations' keys are.
    const file = (revision: string) => ({ 'app.conf': `mode: a\n${REVISION_ANNOTATION}: ${revision}\n` });
    const inData = (revision: string) => config('r1', { data: file(revision) });
    expect(toStableYaml(inData('x'))).toContain(revisionLine('x'));
    expect(contentHash(inData('x'))).not.toBe(contentHash(inData('y')));
    expect(contentHash(inData('x'))).not.toBe(contentHash(config('r1', { data: { 'app.conf': 'mode: a\n' } })));

    const labelled = (revision: string) => ({
      ...config('r1'),
      metadata: { ...config('r1').metadata, labels: { [REVISION_ANNOTATION]: revision } },
    });
    expect(contentHash(labelled('x'))).not.toBe(contentHash(labelled('y')));
    const inSpec = (revision: string) => config('r1', { spec: { extra: { [REVISION_ANNOTATION]: revision } } });
    expect(toStableYaml(inSpec('x'))).toContain(revisionLine('x'));
    expect(contentHash(inSpec('x'))).not.toBe(contentHash(inSpec('y')));
  });

  it('leaves out the continuation lines of a revision written over several lines, and nothing after them', () => {
    const text = toStableYaml(config('line\nbreak', {}, { zz: 'after' }));
    expect(withoutVolatileLines(text)).toBe(toStableYaml(config('r1', {}, { zz: 'after' })).replace(revisionLine('r1'), ''));
    expect(contentHash(config('line\nbreak', {}, { zz: 'after' }))).toBe(contentHash(config('r1', {}, { zz: 'after' })));
  });

  it('keeps a text with no annotations, or laid out otherwise, as it is', () => {
    for (const text of ['kind: A\n', 'metadata:\n  name: a\n', 'kind: A\nmetadata: {}\n', 'metadata:\n  annotations: {}\n']) {
      expect(withoutVolatileLines(text)).toBe(text);
    }
  });

  const revision = fc.oneof(awkwardString, fc.string());
  const annotations = fc.dictionary(fc.oneof(awkwardString, fc.string()), yamlValue, { maxKeys: 4 });

  it('ignores the revision and nothing else: the text without it reads as the object without it (property)', () => {
    fc.assert(
      fc.property(revision, revision, annotations, yamlValue, (r1, r2, extra, data) => {
        const [a, b] = [config(r1, { data }, extra), config(r2, { data }, extra)];
        expect(contentHash(a)).toBe(contentHash(b));
        // Injective: what the hash reads is the normalized object, so objects that differ hash apart.
        const stripped = read(withoutVolatileLines(toStableYaml(a))) as { metadata: { annotations: unknown } };
        stripped.metadata.annotations ??= {};
        expect(stripped).toEqual(read(toStableYaml(withoutRevision(a))));
      }),
      { numRuns: 1500 },
    );
  });

  it('hashes two objects alike exactly when their stable YAML without the revision is alike (property)', () => {
    fc.assert(
      fc.property(revision, revision, yamlValue, fc.option(yamlValue, { nil: undefined }), (r1, r2, d1, d2) => {
        const [a, b] = [config(r1, { data: d1 }), config(r2, { data: d2 === undefined ? d1 : d2 })];
        const same = toStableYaml(withoutRevision(a)) === toStableYaml(withoutRevision(b));
        expect(contentHash(a) === contentHash(b)).toBe(same);
      }),
      { numRuns: 1500 },
    );
  });
});
