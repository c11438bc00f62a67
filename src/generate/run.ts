// Running kustomize or an operator's generator: no shell, a bounded time and output, an environment
// reduced to what the config names. The process gets a group of its own so that a timeout also
// stops what it started (a `sleep` under a shell script would otherwise keep the pipes open).
import { spawn } from 'node:child_process';

export interface RunOptions {
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Standard output over this many bytes stops the process. */
  maxOutputBytes: number;
}

export type RunResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; why: 'exit' | 'timeout' | 'output' | 'spawn'; code: number | null; stderr: string; message: string };

/** Standard error kept for the diagnostic: enough for any real error message, bounded against a flood. */
const MAX_STDERR_BYTES = 16 * 1024;

/** Runs `command` to its end, or stops it at the time or output bound. Never throws. */
export function runBounded(opts: RunOptions): Promise<RunResult> {
  const [file, ...args] = opts.command;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = Buffer.alloc(0);
    let stopped: 'timeout' | 'output' | null = null;
    let settled = false;
    const child = spawn(file!, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
    const stop = (why: 'timeout' | 'output') => {
      stopped ??= why;
      try {
        // The whole group: the generator and whatever it started.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const finish = (result: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped) return;
      outBytes += chunk.length;
      if (outBytes > opts.maxOutputBytes) stop('output');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < MAX_STDERR_BYTES) err = Buffer.concat([err, chunk]).subarray(0, MAX_STDERR_BYTES);
    });
    child.on('error', (e) => finish({ ok: false, why: 'spawn', code: null, stderr: '', message: `cannot run ${file}: ${e.message}` }));
    child.on('close', (code, signal) => {
      const stderr = err.toString('utf8').trim();
      if (stopped === 'timeout') {
        finish({ ok: false, why: 'timeout', code, stderr, message: `${file} was stopped after ${opts.timeoutMs / 1000} s` });
      } else if (stopped === 'output') {
        finish({ ok: false, why: 'output', code, stderr, message: `${file} was stopped: its output passed ${opts.maxOutputBytes} bytes` });
      } else if (code !== 0) {
        const status = code === null ? `signal ${signal}` : `status ${code}`;
        finish({ ok: false, why: 'exit', code, stderr, message: `${file} exited with ${status}` });
      } else {
        finish({ ok: true, stdout: Buffer.concat(out).toString('utf8'), stderr });
      }
    });
  });
}
