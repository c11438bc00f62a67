import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { importClosure, moduleImports, RENDERER_MODULES, rendererBuild } from '../../src/reconcile/build-identity.js';
import { cleanupRepos, makeTempDir } from '../helpers/git.js';

afterAll(cleanupRepos);

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Writes `files` (path → text) under a new folder; its path. */
async function moduleTree(files: Record<string, string>): Promise<string> {
  const root = await makeTempDir('flotilla-closure-');
  for (const [p, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fs.writeFile(path.join(root, p), text);
  }
  return root;
}

describe('the renderer build: the modules the renderer imports, followed', () => {
  it('follows imports, re-exports and literal import() across folders, and leaves out what they never reach', async () => {
    const root = await moduleTree({
      'render/incremental.js': "import { a } from './a.js';\nexport * from '../model/types.js';\n",
      'render/a.js': "import '../load/side.js';\nexport const a = () => import('./lazy.js');\n",
      'model/types.js': 'export const t = 1;\n',
      'load/side.js': 'globalThis.x = 1;\n',
      'render/lazy.js': 'export const l = 1;\n',
      'server/dashboard.js': "import { a } from '../render/a.js';\n",
    });
    expect(importClosure(root, ['render/incremental'])).toEqual([
      'load/side.js',
      'model/types.js',
      'render/a.js',
      'render/incremental.js',
      'render/lazy.js',
    ]);
  });

  it('is unknown when a module imports what no literal names, or a module that is not there', async () => {
    const opaque = await moduleTree({
      'render/incremental.js': "import { a } from './a.js';\n",
      'render/a.js': "const name = './b.js';\nexport const a = () => import(name);\n",
    });
    expect(importClosure(opaque, ['render/incremental'])).toBeNull();
    const missing = await moduleTree({ 'render/incremental.js': "import { gone } from './gone.js';\n" });
    expect(importClosure(missing, ['render/incremental'])).toBeNull();
  });

  it('finds in every module of the sources every import TypeScript finds, and only imports named by literals', async () => {
    const files = (await fs.readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const text = await fs.readFile(path.join(SRC, f), 'utf8');
      const theirs = ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName);
      const ours = moduleImports(text);
      // The scan reads comments too: one written like an import adds a module, which is safe; missing one is not.
      expect({ file: f, missed: theirs.filter((s) => !ours.specifiers.includes(s)), opaque: ours.opaque }).toEqual({
        file: f,
        missed: [],
        opaque: false,
      });
    }
  });

  it('of the sources holds the renderer’s modules and not the service’s', () => {
    const closure = importClosure(SRC, RENDERER_MODULES);
    expect(closure).not.toBeNull();
    expect(closure).toEqual(
      expect.arrayContaining(['render/incremental.ts', 'placement/schedule.ts', 'load/parse.ts', 'render/layout.ts']),
    );
    for (const outside of ['server/service.ts', 'targets/directory.ts', 'reconcile/reconciler.ts', 'cli/main.ts'])
      expect(closure).not.toContain(outside);
    // This process's renderer is named by that closure, not by the whole build.
    expect(rendererBuild()).toMatch(/^renderer:[0-9a-f]{16}$/);
  });
});
