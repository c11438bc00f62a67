// The house as a stack (docs/design/architecture.md): every folder of src/ sits in a tier, imports
// go only to the same tier or below, folders never import each other in a cycle, and no file
// cites a document the repository does not have.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

/** The tiers, lowest first. A folder may import its own tier and those below it. */
export const TIERS: readonly (readonly string[])[] = [
  ['model', 'objects', 'config', 'log'], // T0 base vocabulary
  ['load', 'fleet', 'placement', 'override', 'validate', 'render', 'traffic'], // T1 the pure compiler
  ['state', 'live', 'source', 'kube', 'output', 'generate'], // T2 state and adapters
  ['reconcile', 'targets', 'plan', 'diff', 'view'], // T3 engine and review
  ['cli', 'server', 'ha'], // T4 applications
];

const tierOf = new Map(TIERS.flatMap((folders, tier) => folders.map((f) => [f, tier] as const)));

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

function folderOf(file: string): string {
  const parts = path.relative(src, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : '(src root)';
}

/** Folder-to-folder imports of src/, with the file and specifier that make each. */
export function folderEdges(files: readonly string[]): Edge[] {
  const edges: Edge[] = [];
  for (const file of files) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(src + path.sep)) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file: path.relative(root, file), spec });
    }
  }
  return edges;
}

/** Strongly connected groups of more than one node (Tarjan): each is a cycle of folders. */
export function cycles(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
    if (!next.has(e.to)) next.set(e.to, new Set());
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** Imports from a lower tier into a higher one, or from or to a folder with no tier. */
export function tierViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const a = tierOf.get(e.from);
    const b = tierOf.get(e.to);
    if (a === undefined || b === undefined) continue; // reported by the folder test
    if (b > a) out.push(`${e.file} imports ${e.spec}: ${e.from} (T${a}) may not import ${e.to} (T${b})`);
  }
  return out;
}

/** Files whose mentions of documents are checked: code, tests, benchmarks and the docs themselves. */
function documentedFiles(): string[] {
  const listed: string[] = [];
  for (const dir of ['src', 'test', 'bench', 'docs', 'deploy', '.ci']) {
    const abs = path.join(root, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })) {
      if (/\.(ts|mjs|js|md|yaml|yml)$/.test(f) || dir === '.ci') listed.push(path.join(abs, f));
    }
  }
  for (const f of fs.readdirSync(root)) if (f.endsWith('.md')) listed.push(path.join(root, f));
  // This file names missing documents on purpose, to test the check.
  const self = fileURLToPath(import.meta.url);
  return listed.filter((f) => fs.statSync(f).isFile() && !f.includes(`${path.sep}golden${path.sep}`) && f !== self);
}

/**
 * Mentions of documents that do not exist: upper-case names (a brief such as DESIGN plus .md) anywhere in the
 * repository, paths under docs/ from the repository root, and relative markdown links.
 */
export function danglingDocuments(files: readonly string[], exists: (p: string) => boolean, names: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(root, file);
    for (const m of text.matchAll(/\b([A-Z][A-Z_-]*\.md)\b/g)) if (!names.has(m[1]!)) out.push(`${rel}: ${m[1]}`);
    for (const m of text.matchAll(/(?<![\w./-])(docs\/[\w./-]+\.md)\b/g)) if (!exists(path.join(root, m[1]!))) out.push(`${rel}: ${m[1]}`);
    if (file.endsWith('.md')) {
      for (const m of text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:\/\//.test(m[1]!)) continue;
        if (!exists(path.resolve(path.dirname(file), m[1]!))) out.push(`${rel}: ${m[1]}`);
      }
    }
  }
  return out;
}

describe('architecture', () => {
  const files = sourceFiles(src);
  const edges = folderEdges(files);

  it('every folder of src/ has a tier', () => {
    const folders = [...new Set(files.map(folderOf))].sort();
    expect(folders.filter((f) => !tierOf.has(f))).toEqual([]);
  });

  it('imports go only to the same tier or below', () => {
    expect(tierViolations(edges)).toEqual([]);
  });

  it('no two folders import each other, directly or around a cycle', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('no file cites a document the repository does not have', () => {
    const all = documentedFiles();
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name === '.git' || e.name === 'dist') continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.md')) names.add(e.name);
      }
    };
    walk(root);
    expect(danglingDocuments(all, (p) => fs.existsSync(p), names)).toEqual([]);
  });

  // The checks themselves must be able to fail.
  it('the checks find a cycle, an upward import and a missing document when there is one', () => {
    expect(
      cycles([
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'a' },
        { from: 'c', to: 'd' },
      ]),
    ).toEqual([['a', 'b', 'c']]);
    expect(tierViolations([{ from: 'model', to: 'cli', file: 'src/model/x.ts', spec: '../cli/y.js' }])).toHaveLength(1);
    expect(tierViolations([{ from: 'cli', to: 'model', file: 'src/cli/x.ts', spec: '../model/y.js' }])).toHaveLength(0);
    const tmp = fs.mkdtempSync(path.join(root, '.tmp-arch-'));
    try {
      const f = path.join(tmp, 'a.ts');
      const missing = ['NOWHERE', 'md'].join('.'); // spelled apart so that no checker of this repository counts it
      fs.writeFileSync(f, `// see ${missing} §2 and docs/nowhere.md\n`);
      expect(danglingDocuments([f], () => false, new Set())).toHaveLength(2);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
