// The seed's KarmadaConfig: flotilla's own tuning, never propagated (docs/reference/semantics.md extensions).
// `spec.scheduler.parallelism` = clusters applied at once; `spec.estimator.timeout` = capacity
// query timeout; everything else is accepted and reported as not applicable.
import type { FieldPath, Tuning } from '../model/types.js';
import { formatPath, type ManifestReader } from '../model/fields.js';
import { isMap } from '../objects/json.js';

/** Karmada-ish defaults: 10 parallel workers, a 3s estimator timeout. */
export const DEFAULT_TUNING: Readonly<Tuning> = { parallelism: 10, estimatorTimeoutSeconds: 3 };

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds of a Go duration string ("30s", "1m30s", "500ms"), or null when it is not one. */
export function parseDurationSeconds(text: string): number | null {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : null;
}

/** Leaf field paths of a mapping, for the NOT_APPLICABLE listing. */
function leafPaths(value: unknown, path: FieldPath, out: FieldPath[]): void {
  if (isMap(value) && Object.keys(value).length > 0) {
    for (const key of Object.keys(value).sort()) leafPaths(value[key], [...path, key], out);
  } else {
    out.push(path);
  }
}

/** Reads a KarmadaConfig into Tuning; unknown settings are listed in one NOT_APPLICABLE note. */
export function readTuning(r: ManifestReader): Tuning {
  const tuning: Tuning = { ...DEFAULT_TUNING };
  const spec = r.record(r.manifest.object.spec, ['spec']);
  if (!spec) return tuning;
  const used = new Set(['spec.scheduler.parallelism', 'spec.estimator.timeout']);

  const scheduler = isMap(spec.scheduler) ? spec.scheduler : {};
  const parallelismPath = ['spec', 'scheduler', 'parallelism'];
  const parallelism = r.integer(scheduler.parallelism, parallelismPath);
  if (parallelism !== undefined) {
    if (parallelism < 1)
      r.error('INVALID_CONFIG', `${formatPath(parallelismPath)} must be at least 1, found ${parallelism}`, parallelismPath);
    else tuning.parallelism = parallelism;
  }

  const estimator = isMap(spec.estimator) ? spec.estimator : {};
  const timeoutPath = ['spec', 'estimator', 'timeout'];
  const timeout = estimator.timeout;
  if (timeout !== undefined && timeout !== null) {
    const seconds = typeof timeout === 'number' ? timeout : typeof timeout === 'string' ? parseDurationSeconds(timeout) : null;
    if (seconds === null || !(seconds > 0)) {
      r.error(
        'INVALID_CONFIG',
        `${formatPath(timeoutPath)} must be a positive duration such as "30s", found ${JSON.stringify(timeout)}`,
        timeoutPath,
      );
    } else {
      tuning.estimatorTimeoutSeconds = seconds;
    }
  }

  const leaves: FieldPath[] = [];
  leafPaths(spec, ['spec'], leaves);
  const ignored = leaves.filter((p) => !used.has(formatPath(p)));
  if (ignored.length > 0) {
    r.info('NOT_APPLICABLE', `settings with no effect in flotilla: ${ignored.map(formatPath).join(', ')}`, ignored[0]!);
  }
  return tuning;
}
