// readStableYaml (src/objects/stable-yaml-read.ts), how a restart without the render index reads
// the status branch's manifests/: for anything toStableYaml wrote it gives what the yaml library
// reads, and for any other text it gives either that too or nothing (the caller then asks the
// library) — never another value.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { readStableYaml } from '../../src/objects/stable-yaml-read.js';
import { toStableYaml } from '../../src/objects/serialize.js';
import { fixtureFiles, render } from '../helpers/fleet.js';
import { yamlValue } from '../helpers/yaml-arbitraries.js';

const library = (text: string) => parse(text, { version: '1.1' }) as unknown;

/** Edits a written text the way a hand, another tool or a bug might. */
const edit = fc.oneof(
  fc.constant((t: string) => `# comment\n${t}`),
  fc.constant((t: string) => t.replace('\n', ' # trailing\n')),
  fc.constant((t: string) => t.replace(/\n {2}(?=\S)/, '\n   ')),
  fc.constant((t: string) => t.replace(/\n {2}(?=\S)/, '\n ')),
  fc.constant((t: string) => t.replace(': ', ':  ')),
  fc.constant((t: string) => t.replace(': ', ': &a ')),
  fc.constant((t: string) => t.replace('- ', '-  ')),
  fc.constant((t: string) => `---\n${t}`),
  fc.constant((t: string) => `${t}\n`),
  fc.constant((t: string) => t.slice(0, -1)),
  fc.constant((t: string) => t.replace(/\n[^\n]*\n$/, '\n')),
  fc.constant((t: string) => t.replace(/'/, '"')),
  fc.constant((t: string) => t.replace(/\|-?\n/, '>\n')),
  fc.constant((t: string) => t.replaceAll('\n', '\r\n')),
  // Still YAML of the same value, not as toStableYaml lays it out: what the reader checks as it reads.
  fc.constant((t: string) => t.replace(/^([^\n]*)\n([^\n]*)\n/, '$2\n$1\n')), // two lines swapped (keys out of order)
  fc.constant((t: string) => t.replace(/: (\d+)\n/, ': $1.0\n')), // a number written otherwise
  fc.constant((t: string) => t.replace(/: true\n/, ': yes\n')), // a YAML 1.1 boolean written otherwise
  fc.constant((t: string) => t.replace(/: ([a-z][a-z0-9-]*)\n/, ": '$1'\n")), // quotes where none are needed
  fc.constant((t: string) => t.replace(/^([a-z][\w-]*): ([^\n]+)\n/m, "'$1': $2\n")), // a key quoted
  fc.constant((t: string) => t.replace(/\n( *)(?=\S)/g, '\n$1$1')), // every block indented twice as far
  fc.constant((t: string) => t.replace(/:\n/, ': \n')), // a trailing space after a bare key
);

describe('readStableYaml', () => {
  it('reads anything toStableYaml wrote as the yaml library does, or leaves it to the library (property)', () => {
    let read = 0;
    fc.assert(
      fc.property(yamlValue, (v) => {
        const text = toStableYaml(v) as string | undefined;
        if (text === undefined) return; // undefined writes nothing
        const fast = readStableYaml(text);
        if (fast === undefined) return;
        read++;
        expect(fast).toEqual(library(text));
      }),
      { numRuns: 3000 },
    );
    // It is a fast path, not a refusal: most generated values are read by it.
    expect(read).toBeGreaterThan(1500);
  });

  it('reads an edited text only when it is still toStableYaml of what the library reads, and then as the library (property)', () => {
    let readEdited = 0;
    fc.assert(
      fc.property(yamlValue, edit, (v, change) => {
        const written = toStableYaml(v) as string | undefined;
        if (written === undefined) return;
        const text = change(written);
        const fast = readStableYaml(text);
        let expected: unknown;
        try {
          expected = library(text);
        } catch {
          expect(fast).toBeUndefined(); // not YAML at all: never a value
          return;
        }
        if ((toStableYaml(expected) as string | undefined) !== text) expect(fast).toBeUndefined();
        else if (fast !== undefined) {
          // (It may still leave such a text to the library: a __proto__ key, say.)
          expect(fast).toEqual(expected);
          readEdited++;
        }
      }),
      { numRuns: 3000 },
    );
    // Some edits leave a text toStableYaml would write (e.g. a quote style it also uses): those are read.
    expect(readEdited).toBeGreaterThan(0);
  });

  it('reads every rendered object of the bundled fixtures itself, block scalars and nested lists included', async () => {
    let n = 0;
    for (const fixture of ['seed', 'seed-article', 'kurator', 'traffic']) {
      const result = render(await fixtureFiles(fixture));
      for (const list of Object.values(result.manifests)) {
        for (const object of list) {
          const text = toStableYaml(object);
          expect(readStableYaml(text), text).toEqual(library(text));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(40);
    const awkward = {
      data: { 'settings.yaml': 'a: 1\nb:\n  - x\n', 'keep.txt': 'trailing\n\n\n', 'lead.txt': '  indented first\nline\n' },
      lists: [[1, [2, []]], [{}], [{ a: [{ b: 'yes' }] }]],
      'key: colon': '0777',
      "it's": ['1.0', 'on', '~', 'null', '- dash', '#hash', ''],
      n: [0, -0, 1.5e300, -7],
    };
    const text = toStableYaml(awkward);
    expect(readStableYaml(text)).toEqual(library(text));
    expect(readStableYaml(text)).toEqual(awkward);
  });

  it('leaves hand-written YAML to the library: comments, anchors, flow maps, another indentation', () => {
    for (const text of [
      'kind: ConfigMap # a comment\n',
      'a: &x 1\nb: *x\n',
      'a: {b: 1}\n',
      'a:\n    b: 1\n',
      'a:\n- 1\n',
      'a: 1\na: 2\n',
    ]) {
      expect(readStableYaml(text), text).toBeUndefined();
    }
  });

  it('leaves to the library a text of the same value in another layout than toStableYaml’s, each rule it checks', () => {
    const texts: Record<string, string> = {
      'keys out of order': 'b: 1\na: 2\n',
      'a nested map four columns in': 'a:\n  b:\n      c: 1\n',
      'a list four columns in': 'a:\n    - 1\n',
      'a block scalar four columns in': 'a: |-\n    x\n    y\n',
      'a list item’s block scalar four columns in': '- |-\n    x\n    y\n',
      'a blank line of spaces in a block scalar': 'a: |-\n  x\n  \n  y\n',
      'a number written otherwise': 'a: 1.0\n',
      'a quoted key': "'a': 1\n",
      'quotes where none are needed': "a: 'x'\n",
      'a trailing space after a bare key': 'a: \n  b: 1\n',
    };
    for (const [what, text] of Object.entries(texts)) {
      expect(toStableYaml(parse(text)), what).not.toBe(text);
      expect(readStableYaml(text), what).toBeUndefined();
    }
    // The very layout is read.
    expect(readStableYaml('a:\n  b: |-\n    x\n    y\nc:\n  - 1\n')).toEqual({ a: { b: 'x\ny' }, c: [1] });
  });
});
