// The one logger (docs/design/conventions.md 10): created at start-up by the CLI and passed down as child loggers
// bound to { revision, stage, target }. JSON lines when the output is not a terminal (a daemon's
// log collector reads them); short human lines on a terminal. pino-pretty is not a dependency,
// so the human form is formatted here. Credentials never reach the output: known secret-bearing
// keys are redacted by path, and the secret values themselves are masked in every line written.
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Receives every finished line (with its trailing newline). */
  write: (line: string) => void;
  /** true: JSON lines; false: human lines. Callers pass `!isTTY`. */
  json: boolean;
  /** Secret values (passwords, tokens) to mask wherever they appear, even inside messages. */
  secrets?: readonly string[];
  /** Fixed fields on every line (default { app: 'flotilla' }). */
  base?: Record<string, unknown>;
}

/** Keys that hold credentials anywhere in a log object (pino redact paths). */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'authorization',
  'credentials',
  '*.password',
  '*.token',
  '*.authorization',
  '*.credentials',
  'headers.authorization',
  '*.headers.authorization',
];

export const REDACTED = '[Redacted]';

/** A pino logger writing through `write`, secrets redacted by key and masked by value. */
export function createLogger(opts: LoggerOptions): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const mask = (s: string): string => {
    let out = s;
    for (const secret of secrets) {
      out = out.split(secret).join(REDACTED);
      // JSON-escaped form, for secrets with quotes or backslashes.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) out = out.split(escaped).join(REDACTED);
    }
    return out;
  };
  const stream = {
    write: (line: string) => opts.write(opts.json ? line : formatHumanLine(line)),
  };
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? { app: 'flotilla' },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      hooks: { streamWrite: mask },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stream,
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app', 'v']);

/** One pino JSON line as `12:00:01 INFO  message key=value …` for people at a terminal. */
export function formatHumanLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof entry.time === 'string'
      ? entry.time.slice(11, 19)
      : typeof entry.time === 'number'
        ? new Date(entry.time).toISOString().slice(11, 19)
        : '';
  const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields: string[] = [];
  let errorText = '';
  for (const [k, v] of Object.entries(entry)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { message?: string; code?: string };
      errorText = `\n    ${e.code ? `[${e.code}] ` : ''}${e.message ?? ''}`;
      continue;
    }
    fields.push(`${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  }
  return `${time} ${level} ${String(entry.msg ?? '')}${fields.length ? '  ' + fields.join(' ') : ''}${errorText}\n`;
}
