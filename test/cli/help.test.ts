// The CLI explains itself: help per command (exit 0), --version, completion scripts, NO_COLOR and
// --no-color, and operating-system errors as one line naming the path, never a stack trace.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_HELP, completionScript } from '../../src/cli/help.js';
import { main } from '../../src/cli/main.js';
import { fakeIO, flotilla, ROOT } from '../helpers/cli.js';
import { cleanupRepos } from '../helpers/git.js';
import { scenarioRepo } from '../plan/scenarios.js';

afterAll(cleanupRepos);

const SEED = path.join(ROOT, 'fixtures/seed');
const COMMANDS = Object.keys(COMMAND_HELP).filter((c) => c !== 'help' && c !== 'completion');

describe('flotilla help', () => {
  it('every command answers --help and -h on stdout with exit 0, naming its usage', async () => {
    for (const name of COMMANDS) {
      for (const flag of ['--help', '-h']) {
        const io = fakeIO();
        expect(await main([name, flag], io, {})).toBe(0);
        expect(io.out).toContain(`usage: flotilla ${name}`);
        expect(io.err).toBe('');
      }
    }
  });

  it('flotilla help COMMAND is the same text; an unknown topic is exit 1', async () => {
    const a = fakeIO();
    const b = fakeIO();
    await main(['help', 'plan'], a, {});
    await main(['plan', '--help'], b, {});
    expect(a.out).toBe(b.out);
    expect(a.out).toContain('--max-move PCT');
    const bad = fakeIO();
    expect(await main(['help', 'frobnicate'], bad, {})).toBe(1);
    expect(bad.err).toContain('no command "frobnicate"');
  });

  it('every flag the help names is one the command accepts', async () => {
    for (const name of COMMANDS) {
      for (const f of COMMAND_HELP[name]!.flags) {
        const [flag, placeholder] = f.flag.split(' ');
        const argv = [name, flag!, ...(placeholder ? ['x'] : []), '--not-a-flag-of-anything'];
        const io = fakeIO();
        await main(argv, io, {});
        // parseArgs stops at the first unknown option: it must be the sentinel, not the documented flag.
        expect(io.err, `${name} ${flag}`).toContain("Unknown option '--not-a-flag-of-anything'");
      }
    }
  });

  it('--version prints the package version, from the built binary too', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const io = fakeIO();
    expect(await main(['--version'], io, {})).toBe(0);
    expect(io.out).toBe(`flotilla ${version}\n`);
    const r = await flotilla(['render', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: flotilla render');
    expect((await flotilla(['--version'])).stdout).toBe(`flotilla ${version}\n`);
  });

  it('completion scripts complete every command and parse in bash', () => {
    const bash = completionScript('bash')!;
    for (const name of Object.keys(COMMAND_HELP)) expect(bash).toContain(name);
    expect(bash).toContain('--max-move');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-completion-'));
    try {
      writeFileSync(path.join(dir, 'c.bash'), bash);
      execFileSync('bash', ['-n', path.join(dir, 'c.bash')]);
      // Completing "flotilla pl" offers plan; "flotilla plan --ma" offers --max-move.
      const complete = (line: string) =>
        execFileSync(
          'bash',
          [
            '-c',
            `source ${dir}/c.bash; COMP_WORDS=(${line}); COMP_CWORD=${line.split(' ').length - 1}; _flotilla; echo "\${COMPREPLY[@]}"`,
          ],
          {
            encoding: 'utf8',
          },
        ).trim();
      expect(complete('flotilla pl')).toBe('plan');
      expect(complete('flotilla plan --ma')).toBe('--max-move');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(completionScript('zsh')).toContain('compdef _flotilla flotilla');
    expect(completionScript('fish')).toBeNull();
  });
});

describe('colour', () => {
  it('a terminal gets colour; NO_COLOR or --no-color turn it off', async () => {
    const { dir, base, head } = await scenarioRepo('weight-change');
    const run = async (extra: string[], env: NodeJS.ProcessEnv) => {
      const io = fakeIO(true);
      await main(['plan', '--repo', dir, '--base', base, '--head', head, '--format', 'text', ...extra], io, env);
      return io.out;
    };
    expect(await run([], {})).toContain('\x1b[');
    expect(await run([], { NO_COLOR: '1' })).not.toContain('\x1b[');
    expect(await run(['--no-color'], {})).not.toContain('\x1b[');
    expect(await run([], { NO_COLOR: '' })).toContain('\x1b['); // no-color.org: only a non-empty value counts
  });
});

describe('errors of the operating system', () => {
  it('render --out onto a file: one line naming the path, no stack trace, exit 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flotilla-oserr-'));
    try {
      const file = path.join(dir, 'a-file');
      writeFileSync(file, 'x');
      const r = await flotilla(['render', '--repo', SEED, '--out', path.join(file, 'out')]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${file}`);
      expect(r.stderr).toMatch(/not a directory \(ENOTDIR\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reader that closes the pipe early (`| head`): exit 141 as git, no stack trace', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/flotilla.js'), 'render', '--repo', path.join(ROOT, 'fixtures/seed'), '--format', 'json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
