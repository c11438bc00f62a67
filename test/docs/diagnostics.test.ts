// docs/reference/diagnostics.md against the code: every diagnostic, risk and error code src/ uses is
// listed there, and every code listed there is still used. The codes are UPPER_SNAKE string
// literals (`sink.error('YAML_PARSE', …)`, `new FlotillaError('USAGE', …)`, `{ code: 'LARGE_MOVE' }`,
// `'KUBE_CONFLICT' | …` unions, `as const` maps), so the scan reads every string literal of every
// .ts file under src/ with the TypeScript parser (comments and template text never count) and
// needs no file paths: folders may move.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const DOC = path.join(ROOT, 'docs/reference/diagnostics.md');

/** The shape of a code: CODE or SOME_CODE. */
const CODE_SHAPE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
/** The shape of a status reason: FetchFailed, DeletionHeldBack, Unhealthy. */
const REASON_SHAPE = /^[A-Z][a-z]+(?:[A-Z][a-z]+)*$/;

/**
 * UPPER_SNAKE literals of src/ that are not flotilla's codes. Add a name here only when it is
 * someone else's code or a name, never to hide a code of flotilla's that the doc lacks.
 */
const NOT_CODES: ReadonlyMap<string, string> = new Map([
  ['ABORT_ERR', "Node.js's code for an aborted request (retried as transient)"],
  ['EAI_AGAIN', "Node.js's code for a temporary DNS failure (retried as transient)"],
  ['UND_ERR_SOCKET', "undici's code for a broken socket (retried as transient)"],
  ['UND_ERR_CONNECT_TIMEOUT', "undici's code for a connect timeout (retried as transient)"],
  ['DUPLICATE_KEY', "the yaml library's error code, reported as YAML_DUPLICATE_KEY"],
  ['MISSING_CHAR', "the yaml library's error code, reported as YAML_PARSE"],
  ['BAD_INDENT', "the yaml library's error code, reported as YAML_PARSE"],
  ['UNEXPECTED_TOKEN', "the yaml library's error code, reported as YAML_PARSE"],
  ['POD_NAME', 'the default of ha.identityEnv: an environment variable name'],
  ['Z_BUF_ERROR', "zlib's code for a deflate stream that ends early (PackReader then reads more of the entry)"],
]);
/** Single-word errno names (ECONNRESET, ENOENT, …) are Node's, never flotilla's. */
const ERRNO = /^E[A-Z]+$/;

interface Use {
  code: string;
  /** file:line of the first use. */
  at: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

function nameOf(name: ts.PropertyName | ts.BindingName): string | null {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : null;
}

/**
 * Whether a literal sits where a code goes. Needed for single-word codes (USAGE, INTERNAL,
 * AMBIGUOUS, UNSCHEDULABLE), which look like any other capitalised word (GET, NAME, HEAD).
 */
function inCodePosition(literal: ts.StringLiteralLike): boolean {
  // `'CODE' as const`, `('CODE')`, `'CODE' satisfies Code` sit where the literal would.
  let node: ts.Node = literal;
  const isWrapper = (n: ts.Node) => ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isParenthesizedExpression(n);
  while (isWrapper(node.parent)) node = node.parent;
  const p = node.parent;
  // new FlotillaError('CODE', …), new KubeApiError('CODE', …)
  if (ts.isNewExpression(p) && p.arguments?.[0] === node && /Error$/.test(p.expression.getText())) return true;
  // sink.error('CODE', …), r.warn('CODE', …), r.info('CODE', …), sink.report(severity, 'CODE', …)
  if (ts.isCallExpression(p) && ts.isPropertyAccessExpression(p.expression)) {
    const method = p.expression.name.text;
    if (['error', 'warn', 'info'].includes(method) && p.arguments[0] === node) return true;
    if (method === 'report' && p.arguments[1] === node) return true;
  }
  // { code: 'CODE' }
  if (ts.isPropertyAssignment(p) && p.initializer === node && nameOf(p.name) === 'code') return true;
  // x.code === 'CODE'
  const equality = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken];
  if (ts.isBinaryExpression(p) && equality.includes(p.operatorToken.kind)) {
    const other = p.left === node ? p.right : p.left;
    if (ts.isPropertyAccessExpression(other) && other.name.text === 'code') return true;
  }
  // code: 'A' | 'B' in a type, or type SomethingCode = 'A' | 'B'
  if (ts.isLiteralTypeNode(p)) {
    let t: ts.Node = p.parent;
    while (ts.isUnionTypeNode(t) || ts.isParenthesizedTypeNode(t)) t = t.parent;
    if ((ts.isPropertySignature(t) || ts.isParameter(t)) && nameOf(t.name) === 'code') return true;
    if (ts.isTypeAliasDeclaration(t) && /Code/.test(t.name.text)) return true;
  }
  return false;
}

/** Every string literal of src/ (with where it is), and the ones that are codes. */
function scanSource(): { codes: Map<string, Use>; literals: Map<string, Use> } {
  const codes = new Map<string, Use>();
  const literals = new Map<string, Use>();
  for (const file of sourceFiles(SRC)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
        const text = node.text;
        const at = `${path.relative(ROOT, file)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        if (!literals.has(text)) literals.set(text, { code: text, at });
        const foreign = NOT_CODES.has(text) || (!text.includes('_') && ERRNO.test(text));
        if (CODE_SHAPE.test(text) && !foreign && (text.includes('_') || inCodePosition(node)) && !codes.has(text)) {
          codes.set(text, { code: text, at });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { codes, literals };
}

interface DocRow {
  section: string;
  name: string;
  severity: string;
}

/** Table rows of the doc whose first cell is one backticked name, with their `##` section. */
function readDoc(): DocRow[] {
  const rows: DocRow[] = [];
  let section = '';
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1]!.trim();
    const row = /^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (row) rows.push({ section, name: row[1]!, severity: row[2]! });
  }
  return rows;
}

const { codes, literals } = scanSource();
const rows = readDoc();
const codeRows = rows.filter((r) => r.section !== 'Status reasons');
const reasonRows = rows.filter((r) => r.section === 'Status reasons');
const documented = new Set(codeRows.map((r) => r.name));

describe('docs/reference/diagnostics.md', () => {
  it('the scan finds the codes (a scan that finds nothing proves nothing)', () => {
    expect(codes.size).toBeGreaterThan(50);
    for (const sample of ['YAML_PARSE', 'SCHEDULE_FAILED', 'USAGE', 'KUBE_CONFLICT', 'LARGE_MOVE', 'OVERRIDE_UNSAFE_PATH']) {
      expect(codes.has(sample), sample).toBe(true);
    }
  });

  it('lists every code src/ uses', () => {
    const missing = [...codes.values()].filter((u) => !documented.has(u.code)).map((u) => `${u.code} (${u.at})`);
    const why = 'add these codes to docs/reference/diagnostics.md (or, if one is not a flotilla code, to NOT_CODES here, saying why)';
    expect(missing, why).toEqual([]);
  });

  it('lists no code src/ no longer uses', () => {
    const stale = [...documented].filter((c) => !codes.has(c) && !literals.has(c));
    expect(stale, 'these codes are in docs/reference/diagnostics.md but nowhere in src/').toEqual([]);
  });

  it('gives every code a severity and names each code once per table section', () => {
    for (const r of codeRows) {
      expect(CODE_SHAPE.test(r.name), `${r.name} is not an UPPER_SNAKE code`).toBe(true);
      expect(['error', 'warning', 'info'], `${r.name}: severity "${r.severity}"`).toContain(r.severity);
    }
    const seen = new Set<string>();
    const duplicates = codeRows.map((r) => `${r.section}/${r.name}`).filter((k) => seen.has(k) || !seen.add(k));
    expect(duplicates).toEqual([]);
  });

  it('lists status reasons that src/ still uses', () => {
    // One way only until the reasons become one `as const` union (issue 9): reasons are CamelCase
    // literals that cannot be told apart from other words by their shape.
    expect(reasonRows.length).toBeGreaterThan(10);
    const stale = reasonRows.filter((r) => !REASON_SHAPE.test(r.name) || !literals.has(r.name)).map((r) => r.name);
    expect(stale, 'these reasons are in docs/reference/diagnostics.md but nowhere in src/').toEqual([]);
  });
});
