import { describe, expect, it } from 'vitest';
import { makeFieldLocator, MAX_DOCUMENTS_PER_FILE, parseFleetFiles, type SourceFile } from '../../src/load/parse.js';
import { DiagnosticSink } from '../../src/model/diagnostics.js';

function parse(files: Record<string, string>, maxFileBytes?: number) {
  const sources: SourceFile[] = Object.entries(files).map(([path, text]) => ({ path, text }));
  const sink = new DiagnosticSink(makeFieldLocator(sources));
  const manifests = parseFleetFiles(sources, sink, maxFileBytes === undefined ? {} : { maxFileBytes });
  const diags = sink.items.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}:${d.column}`);
  return { manifests, diags, sink };
}

const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

describe('parseFleetFiles: documents', () => {
  it('empty and comment-only documents are skipped silently; 3 separators around 2 manifests → 2 manifests, docIndex 1 and 3', () => {
    const { manifests, diags } = parse({ 'a.yaml': `---\n# nothing here\n---\n${cm('one')}---\n---\n${cm('two')}` });
    expect(diags).toEqual([]);
    expect(manifests.map((m) => [m.name, m.source.docIndex, m.source.line])).toEqual([
      ['one', 1, 4],
      ['two', 3, 10],
    ]);
  });

  it(
    `more than ${MAX_DOCUMENTS_PER_FILE} documents in a file: one error at the first document ` + `past the limit, nothing of it loaded`,
    () => {
      const many = parse({ 'a.yaml': '--- {}\n'.repeat(MAX_DOCUMENTS_PER_FILE + 1), 'b.yaml': cm('other') });
      expect(many.diags).toEqual([`error YAML_TOO_MANY_DOCUMENTS a.yaml:${MAX_DOCUMENTS_PER_FILE + 1}:1`]);
      expect(many.manifests.map((m) => m.name)).toEqual(['other']);
      // At the limit the file loads, document by document.
      const limit = parse({ 'a.yaml': `${cm('one')}\n${'---\n'.repeat(MAX_DOCUMENTS_PER_FILE - 2)}---\n${cm('two')}` });
      expect(limit.diags).toEqual([]);
      expect(limit.manifests.map((m) => m.name)).toEqual(['one', 'two']);
    },
  );

  it('a YAML error skips only its document: the next document of the file and the next file still load', () => {
    const { manifests, diags } = parse({ 'a.yaml': `${cm('bad')}data: [x\n---\n${cm('good')}`, 'b.yaml': cm('other') });
    expect(diags).toEqual(['error YAML_PARSE a.yaml:5:7']); // where the bracket opened, not where yaml gave up
    expect(manifests.map((m) => m.name)).toEqual(['good', 'other']);
  });

  it('a duplicate key is YAML_DUPLICATE_KEY at the second key (line 7, column 3)', () => {
    const { diags } = parse({ 'a.yaml': cm('x', 'data:\n  k: 1\n  k: 2\n') });
    expect(diags).toEqual(['error YAML_DUPLICATE_KEY a.yaml:7:3']);
  });

  it('YAML 1.1 like kubectl: `yes` → true, `010` → 8 (octal), `1_000` → 1000', () => {
    const { manifests } = parse({ 'a.yaml': cm('x', 'data:\n  a: yes\n  b: 010\n  c: 1_000\n') });
    expect(manifests[0]!.object.data).toEqual({ a: true, b: 8, c: 1000 });
  });

  it('like kubectl, timestamps and "22:22" stay strings (not a Date, not sexagesimal 1342)', () => {
    const { manifests } = parse({ 'a.yaml': cm('x', 'data:\n  port: 22:22\n  when: 2001-12-14\n  t: 1:30.5\n') });
    expect(manifests[0]!.object.data).toEqual({ port: '22:22', when: '2001-12-14', t: '1:30.5' });
  });

  it('an unknown tag is a YAML_WARNING and the document still loads', () => {
    const { manifests, diags } = parse({ 'a.yaml': cm('x', 'data:\n  a: !custom v\n') });
    expect(diags).toEqual(['warning YAML_WARNING a.yaml:6:6']);
    expect(manifests).toHaveLength(1);
  });

  it('a `__proto__` key stays an own property and does not pollute Object.prototype', () => {
    const { manifests } = parse({ 'a.yaml': cm('x', '__proto__:\n  polluted: true\n') });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(manifests[0]!.object, '__proto__')).toBe(true);
  });

  it('a List, or any object with a top-level items list, is MANIFEST_LIST at that field and left out: kubectl would expand it', () => {
    const list = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: pwn}}',
      '',
    ].join('\n');
    const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: web}\nitems:\n- {kind: Secret}\n';
    const { manifests, diags } = parse({ 'list.yaml': list, 'widget.yaml': widget, 'fine.yaml': cm('fine') });
    expect(diags).toEqual(['error MANIFEST_LIST list.yaml:2:1', 'error MANIFEST_LIST widget.yaml:4:1']);
    expect(manifests.map((m) => m.name)).toEqual(['fine']);
  });

  it('kinds that differ only in case are one identity (one file of the layout): the second is DUPLICATE_RESOURCE', () => {
    const quota = (kind: string) => `apiVersion: v1\nkind: ${kind}\nmetadata: {name: quota, namespace: web}\nspec: {}\n`;
    const { manifests, diags } = parse({ 'a.yaml': quota('ResourceQuota'), 'b.yaml': quota('Resourcequota') });
    expect(diags).toEqual(['error DUPLICATE_RESOURCE b.yaml:1:1']);
    expect(manifests.map((m) => m.kind)).toEqual(['ResourceQuota']);
  });

  it('an alias bomb is YAML_ALIAS_LIMIT at the document start, in milliseconds', () => {
    let text = cm('bomb') + 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (const [n, p] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
      ['h', 'g'],
    ]) {
      text += `${n}: &${n} [${Array(10).fill(`*${p}`).join(', ')}]\n`;
    }
    const started = Date.now();
    const { diags, manifests } = parse({ 'bomb.yaml': text });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(diags).toEqual(['error YAML_ALIAS_LIMIT bomb.yaml:1:1']);
    expect(manifests).toEqual([]);
  });

  it('a flow collection nested 100 000 deep is a YAML_PARSE error, not a crash; 500 deep still loads', () => {
    const nested = (n: number) => cm('deep', `data: ${'['.repeat(n)}${']'.repeat(n)}\n`);
    // The column is where the parser's stack ran out, which depends on the machine: assert the line.
    const { sink } = parse({ 'a.yaml': nested(100_000) });
    // How many errors yaml reports there also depends on where the stack ran out (one or two): all of them at line 5.
    expect([...new Set(sink.items.map((d) => `${d.severity} ${d.code} ${d.file}:${d.line}`))]).toEqual(['error YAML_PARSE a.yaml:5']);
    expect(parse({ 'a.yaml': nested(500) }).manifests).toHaveLength(1);
  });

  it('a handful of aliases (a YAML anchor reused twice) is fine', () => {
    const { manifests, diags } = parse({ 'a.yaml': cm('x', 'data:\n  a: &v hello\n  b: *v\n  c: *v\n') });
    expect(diags).toEqual([]);
    expect(manifests[0]!.object.data).toEqual({ a: 'hello', b: 'hello', c: 'hello' });
  });
});

describe('parseFleetFiles: identity fields', () => {
  it('a scalar document is MANIFEST_NOT_OBJECT', () => {
    expect(parse({ 'a.yaml': 'just a string\n' }).diags).toEqual(['error MANIFEST_NOT_OBJECT a.yaml:1:1']);
  });

  it('missing apiVersion and kind are both reported at the document start (line 2 after a comment)', () => {
    expect(parse({ 'a.yaml': '# comment\nmetadata:\n  name: x\n' }).diags).toEqual([
      'error MANIFEST_MISSING_FIELD a.yaml:2:1',
      'error MANIFEST_MISSING_FIELD a.yaml:2:1',
    ]);
  });

  it('an empty kind is reported at the key (line 2), a non-string name at its key (line 4, column 3)', () => {
    expect(parse({ 'a.yaml': 'apiVersion: v1\nkind: ""\nmetadata:\n  name: x\n' }).diags).toEqual([
      'error MANIFEST_MISSING_FIELD a.yaml:2:1',
    ]);
    expect(parse({ 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x]\n' }).diags).toEqual([
      'error MANIFEST_MISSING_FIELD a.yaml:4:3',
    ]);
  });

  it(
    'names: `../x` and `Web` are INVALID_NAME; a ClusterRole may be `system:aggregate-to-view`; ' + 'a Service must start with a letter',
    () => {
      expect(parse({ 'a.yaml': cm('../x') }).diags).toEqual(['error INVALID_NAME a.yaml:4:3']);
      expect(parse({ 'a.yaml': cm('Web') }).diags).toEqual(['error INVALID_NAME a.yaml:4:3']);
      const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:aggregate-to-view\n';
      expect(parse({ 'a.yaml': role }).diags).toEqual([]);
      const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n';
      expect(parse({ 'a.yaml': svc }).diags).toEqual(['error INVALID_NAME a.yaml:4:3']);
    },
  );

  it('namespaces: absent → default; Team_A → INVALID_NAME at the namespace key', () => {
    expect(parse({ 'a.yaml': cm('x') }).manifests[0]!.namespace).toBe('default');
    expect(parse({ 'a.yaml': cm('x', '  namespace: Team_A\n') }).diags).toEqual(['error INVALID_NAME a.yaml:5:3']);
  });

  it('cluster-scoped kinds get namespace "" even when one is written; Kurator clusters stay namespaced', () => {
    const { manifests } = parse({
      'a.yaml': [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n',
        'apiVersion: policy.karmada.io/v1alpha1\nkind: ClusterPropagationPolicy\nmetadata:\n  name: all\n  namespace: shop\n',
        'apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: member\n',
        'apiVersion: cluster.kurator.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: member\n',
      ].join('---\n'),
    });
    expect(manifests.map((m) => `${m.kind}:${m.namespace}`)).toEqual([
      'Namespace:',
      'ClusterPropagationPolicy:',
      'Cluster:',
      'Cluster:default',
    ]);
  });

  it('a CRD with scope Cluster makes its kind cluster-scoped, even when the CRD comes later in file order', () => {
    const crd = [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata:',
      '  name: gateways.example.com',
      'spec:',
      '  group: example.com',
      '  scope: Cluster',
      '  names: {kind: Gateway, plural: gateways}',
      '',
    ].join('\n');
    const gw = 'apiVersion: example.com/v1\nkind: Gateway\nmetadata:\n  name: edge\n';
    const other = 'apiVersion: other.com/v1\nkind: Gateway\nmetadata:\n  name: edge\n';
    const { manifests } = parse({ 'a.yaml': gw + '---\n' + other, 'z-crd.yaml': crd });
    expect(manifests.map((m) => `${m.apiVersion}:${m.namespace}`)).toEqual([
      'example.com/v1:',
      'other.com/v1:default',
      'apiextensions.k8s.io/v1:',
    ]);
  });

  it(
    'same group+kind+namespace+name under two versions is DUPLICATE_RESOURCE at the second; ' + 'other groups or namespaces are distinct',
    () => {
      const d = (api: string, ns: string) => `apiVersion: ${api}\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns}\n`;
      const { manifests, diags, sink } = parse({
        'a.yaml': d('apps/v1', 'shop'),
        'b.yaml': `${d('apps/v1beta1', 'shop')}---\n${d('extensions/v1beta1', 'shop')}---\n${d('apps/v1', 'other')}`,
      });
      expect(diags).toEqual(['error DUPLICATE_RESOURCE b.yaml:1:1']);
      expect(sink.items[0]!.message).toContain('a.yaml:1');
      expect(manifests.map((m) => `${m.source.file}:${m.apiVersion}:${m.namespace}`)).toEqual([
        'a.yaml:apps/v1:shop',
        'b.yaml:extensions/v1beta1:shop',
        'b.yaml:apps/v1:other',
      ]);
    },
  );

  it('a kustomization.yaml is an UNSUPPORTED_KIND warning, not a missing-name error', () => {
    expect(
      parse({ 'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n' }).diags,
    ).toEqual(['warning UNSUPPORTED_KIND kustomization.yaml:2:1']);
  });
});

describe('parseFleetFiles: size limit', () => {
  it('a file over maxFileBytes (64 bytes) is FILE_TOO_LARGE and not parsed; a file of exactly 64 bytes is read', () => {
    const exact = cm('x').padEnd(64, '#');
    expect(Buffer.byteLength(exact)).toBe(64);
    const { manifests, diags } = parse({ 'big.yaml': exact + '#', 'ok.yaml': exact }, 64);
    expect(diags).toEqual(['error FILE_TOO_LARGE big.yaml:1:1']);
    expect(manifests.map((m) => m.source.file)).toEqual(['ok.yaml']);
  });

  it('a 20 MB text handed over in memory (e.g. from git) is refused by its byte length without parsing', () => {
    const huge = 'a: ' + 'x'.repeat(20 * 1024 * 1024) + '\n';
    const started = Date.now();
    const { diags } = parse({ 'huge.yaml': huge });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(diags).toEqual(['error FILE_TOO_LARGE huge.yaml:1:1']);
  });

  it('a file announced by size (text left empty by the reader) is refused by that size', () => {
    const sink = new DiagnosticSink();
    expect(parseFleetFiles([{ path: 'big.yaml', text: '', size: 11 * 1024 * 1024 }], sink)).toEqual([]);
    expect(sink.items.map((d) => d.code)).toEqual(['FILE_TOO_LARGE']);
  });
});

describe('makeFieldLocator', () => {
  const text = [
    'apiVersion: v1', // 1
    'kind: ConfigMap', // 2
    'metadata:', // 3
    '  name: first', // 4
    '---', // 5
    'apiVersion: policy.karmada.io/v1alpha1', // 6
    'kind: PropagationPolicy', // 7
    'metadata:', // 8
    '  name: p', // 9
    'spec:', // 10
    '  placement:', // 11
    '    clusterAffinity:', // 12
    '      clusterNames:', // 13
    '        - a', // 14
    '        - b', // 15
    '',
  ].join('\n');
  const files: SourceFile[] = [{ path: 'p.yaml', text }];
  const locate = makeFieldLocator(files);
  const source = { file: 'p.yaml', docIndex: 1, line: 6, column: 1 };

  it('a map entry resolves to its key: spec.placement.clusterAffinity → 12:5', () => {
    expect(locate(source, ['spec', 'placement', 'clusterAffinity'])).toEqual({ line: 12, column: 5 });
  });

  it('a sequence item resolves to the item: clusterNames[1] → 15:11', () => {
    expect(locate(source, ['spec', 'placement', 'clusterAffinity', 'clusterNames', 1])).toEqual({ line: 15, column: 11 });
  });

  it('a path that does not exist resolves to its nearest existing ancestor: …clusterNames[7] → 13:7', () => {
    expect(locate(source, ['spec', 'placement', 'clusterAffinity', 'clusterNames', 7])).toEqual({ line: 13, column: 7 });
    expect(locate(source, ['spec', 'placement', 'spreadConstraints', 0])).toEqual({ line: 11, column: 3 });
  });

  it('document 0 is a different document: metadata.name → 4:3; unknown files and documents → null', () => {
    expect(locate({ ...source, docIndex: 0, line: 1 }, ['metadata', 'name'])).toEqual({ line: 4, column: 3 });
    expect(locate({ ...source, file: 'missing.yaml' }, ['spec'])).toBeNull();
    expect(locate({ ...source, docIndex: 9 }, ['spec'])).toBeNull();
  });

  it('the sink turns a field path into the field line, and falls back to the document start', () => {
    const sink = new DiagnosticSink(locate);
    sink.error('INVALID_POLICY', 'm', { source, path: ['spec', 'placement'] });
    sink.error('UNKNOWN_FIELD', 'm', { source, path: ['nothing'] });
    expect(sink.items.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['INVALID_POLICY 11:3', 'UNKNOWN_FIELD 6:1']);
  });
});
