import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import {
  importClosure,
  lockedPackages,
  moduleImports,
  RENDERER_MODULES,
  rendererBuild,
  rendererOf,
} from '../../src/reconcile/build-identity.js';
import { cleanupRepos, makeTempTree } from '../helpers/git.js';

afterAll(cleanupRepos);

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const DIST_IDENTITY = new URL('../../dist/reconcile/build-identity.js', import.meta.url).href;

/** A new folder of modules (path → text). */
const moduleTree = (files: Record<string, string>) => makeTempTree(files, 'flotilla-closure-');

describe('the renderer build: the modules the renderer imports, followed', () => {
  it('follows imports, re-exports and literal import() across folders, and leaves out what they never reach', async () => {
    const root = await moduleTree({
      'render/incremental.js':
        "import { a } from './a.js';\nimport type { T } from '../server/types.js';\nexport * from '../model/types.js';\n",
      'render/a.js': "import '../load/side.js';\nexport const a = () => import('./lazy.js');\n",
      'model/types.js':
        "import { parse } from 'yaml';\nimport { Api } from '@kubernetes/client-node/dist/api.js';\nimport fs from 'node:fs';\n",
      'load/side.js': 'globalThis.x = 1;\n',
      'render/lazy.js': 'export const l = 1;\n',
      'server/types.js': "import { a } from '../render/a.js';\n",
      'server/dashboard.js': "import { a } from '../render/a.js';\n",
    });
    expect(importClosure(root, ['render/incremental'])?.files).toEqual([
      'load/side.js',
      'model/types.js',
      'render/a.js',
      'render/incremental.js',
      'render/lazy.js',
    ]);
    // The packages they load, by name; Node's own are not packages.
    expect(importClosure(root, ['render/incremental'])?.packages).toEqual(['@kubernetes/client-node', 'yaml']);
  });

  it('is unknown when a module imports what no literal names, or a module that is not there', async () => {
    const opaque = await moduleTree({
      'render/incremental.js': "import { a } from './a.js';\n",
      'render/a.js': "const name = './b.js';\nexport const a = () => import(name);\n",
    });
    expect(importClosure(opaque, ['render/incremental'])).toBeNull();
    const required = await moduleTree({ 'render/incremental.js': "const lib = require('./lib.js');\n" });
    expect(importClosure(required, ['render/incremental'])).toBeNull();
    // package.json "imports" map a # name to a file of the package: not followed, so not known.
    const mapped = await moduleTree({ 'render/incremental.js': "import { x } from '#internal/x.js';\n" });
    expect(importClosure(mapped, ['render/incremental'])).toBeNull();
    const missing = await moduleTree({ 'render/incremental.js': "import { gone } from './gone.js';\n" });
    expect(importClosure(missing, ['render/incremental'])).toBeNull();
  });

  it('finds in every module, as source and compiled, every import TypeScript finds in the compiled module', async () => {
    const files = (await fs.readdir(SRC, { recursive: true })).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) {
      const text = await fs.readFile(path.join(SRC, f), 'utf8');
      // What runs: the module with its types erased, as dist/ holds it.
      const compiled = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const theirs = ts.preProcessFile(compiled, true, true).importedFiles.map((i) => i.fileName);
      // The scan reads comments too: one written like an import adds a module, which is safe; missing one is not.
      for (const scanned of [text, compiled]) {
        const ours = moduleImports(scanned);
        expect({ file: f, missed: theirs.filter((s) => !ours.specifiers.includes(s)), opaque: ours.opaque }).toEqual({
          file: f,
          missed: [],
          opaque: false,
        });
      }
    }
  });

  it('of the sources holds the renderer’s modules and not the service’s', () => {
    const closure = importClosure(SRC, RENDERER_MODULES)?.files;
    expect(closure).toBeDefined();
    expect(closure).toEqual(
      expect.arrayContaining(['render/incremental.ts', 'placement/schedule.ts', 'load/parse.ts', 'objects/layout.ts']),
    );
    for (const outside of ['server/service.ts', 'targets/directory.ts', 'reconcile/reconciler.ts', 'cli/main.ts', 'kube/apply.ts'])
      expect(closure).not.toContain(outside);
    // This process's renderer is named by that closure, not by the whole build.
    expect(rendererBuild()).toMatch(/^renderer:[0-9a-f]{16}$/);
  });

  it('of the compiled modules (dist/, what a deployment runs) is named by their closure too', async () => {
    // npm test compiles dist/ first; the import scan must see through what the compiler writes.
    const compiled = (await import(DIST_IDENTITY)) as typeof import('../../src/reconcile/build-identity.js');
    expect(compiled.rendererBuild()).toMatch(/^renderer:[0-9a-f]{16}$/);
  });

  it('follows the lockfile only for the packages the renderer loads: another release or another package leaves it alone', () => {
    const lock = (version: string, yaml: string, pino: string) =>
      JSON.stringify({
        name: 'flotilla',
        version,
        lockfileVersion: 3,
        packages: {
          '': { version, dependencies: { yaml: '^2', pino: '^9' } },
          'node_modules/yaml': { version: yaml, integrity: `sha512-yaml${yaml}`, dependencies: { tiny: '^1' } },
          'node_modules/yaml/node_modules/tiny': { version: '1.0.1', integrity: 'sha512-nested' },
          'node_modules/tiny': { version: '2.0.0', integrity: 'sha512-top' },
          'node_modules/pino': { version: pino, integrity: `sha512-pino${pino}` },
        },
      });
    const base = lockedPackages(lock('0.1.0', '2.9.1', '9.0.0'), ['yaml']);
    // yaml and the tiny it resolves to (its own nested copy, as Node resolves it), not the top-level one.
    expect(JSON.parse(base!)).toEqual([
      ['node_modules/yaml', '2.9.1', 'sha512-yaml2.9.1', null],
      ['node_modules/yaml/node_modules/tiny', '1.0.1', 'sha512-nested', null],
    ]);
    expect(lockedPackages(lock('0.2.0', '2.9.1', '9.1.0'), ['yaml'])).toBe(base);
    expect(lockedPackages(lock('0.1.0', '2.9.2', '9.0.0'), ['yaml'])).not.toBe(base);
    // A package the lock does not list: it cannot say.
    expect(lockedPackages(lock('0.1.0', '2.9.1', '9.0.0'), ['yaml', 'undici'])).toBeNull();
  });

  it('changes with the renderer’s code, its packages and Node, and not with the service’s code or packages', async () => {
    const modules: Record<string, string> = Object.fromEntries(RENDERER_MODULES.map((m) => [`${m}.js`, 'export {};\n']));
    const root = await moduleTree({
      ...modules,
      'render/incremental.js': "import { parse } from 'yaml';\nimport { h } from './helper.js';\n",
      'render/helper.js': 'export const h = 1;\n',
      'server/service.js': "import pino from 'pino';\nimport { h } from '../render/helper.js';\n",
    });
    const lock = (o: { yaml?: string; tiny?: string; pino?: string; link?: boolean } = {}) =>
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { version: '0.1.0' },
          'node_modules/yaml': o.link
            ? { resolved: '../yaml', link: true }
            : { version: o.yaml ?? '2.9.1', integrity: `sha512-y${o.yaml ?? '2.9.1'}`, dependencies: { tiny: '^1' } },
          'node_modules/tiny': { version: o.tiny ?? '1.0.0', integrity: `sha512-t${o.tiny ?? '1.0.0'}` },
          'node_modules/pino': { version: o.pino ?? '9.0.0', integrity: `sha512-p${o.pino ?? '9.0.0'}` },
        },
      });
    const base = rendererOf(root, lock(), 'v20.20.2');
    expect(base).toMatch(/^renderer:[0-9a-f]{16}$/);
    expect(rendererOf(root, lock({ pino: '9.1.0' }), 'v20.20.2')).toBe(base);
    expect(rendererOf(root, lock({ yaml: '2.9.2' }), 'v20.20.2')).not.toBe(base);
    expect(rendererOf(root, lock({ tiny: '1.0.1' }), 'v20.20.2')).not.toBe(base);
    expect(rendererOf(root, lock(), 'v22.0.0')).not.toBe(base);
    // A linked package's code is not in the lock, nor is anything without a lock: the whole build stands for the renderer.
    expect(rendererOf(root, lock({ link: true }), 'v20.20.2')).toBeNull();
    expect(rendererOf(root, null, 'v20.20.2')).toBeNull();
    await fs.writeFile(path.join(root, 'server', 'service.js'), "import pino from 'pino';\nexport const changed = true;\n");
    expect(rendererOf(root, lock(), 'v20.20.2')).toBe(base);
    await fs.writeFile(path.join(root, 'render', 'helper.js'), 'export const h = 2;\n');
    expect(rendererOf(root, lock(), 'v20.20.2')).not.toBe(base);
  });

  it('resolves each dependency as Node does, up the nested node_modules, and skips optional ones not installed', () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-a', dependencies: { b: '^1' } },
        'node_modules/a/node_modules/b': {
          version: '1.0.0',
          integrity: 'sha512-b',
          dependencies: { c: '^1' },
          optionalDependencies: { fsevents: '^2' },
        },
        'node_modules/c': { version: '1.0.0', integrity: 'sha512-c' },
      },
    });
    // b's c is found two levels up, at the top; the optional fsevents is not installed.
    expect(JSON.parse(lockedPackages(lock, ['a'])!).map((row: unknown[]) => row[0])).toEqual([
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/c',
    ]);
    // A required dependency the lock does not hold: it cannot say.
    expect(lockedPackages(lock.replace('"node_modules/c"', '"node_modules/elsewhere"'), ['a'])).toBeNull();
  });
});
