// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line must be
// a HELP/TYPE comment or a sample; samples are returned by name and labels.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// NaN in any case: Prometheus reads values with Go's strconv.ParseFloat, which does, and prom-client
// writes "Nan" (its event-loop lag before the first sample).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?(?:[0-9.]+(?:e[+-]?[0-9]+)?|\+Inf|-Inf|[Nn][Aa][Nn]))( -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"(,|$)/y;

/** Parses the exposition; throws on the first malformed line. */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) throw new Error(`line ${i + 1}: bad type ${type}`);
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < m[3].length) {
        const l = LABEL.exec(m[3]);
        if (!l) throw new Error(`line ${i + 1}: bad labels: ${m[3]}`);
        labels[l[1]!] = l[2]!;
      }
    }
    out.push({
      name: m[1]!,
      labels,
      value: m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : /^nan$/i.test(m[4]!) ? NaN : Number(m[4]),
    });
  }
  return out;
}

/** The value of the one sample matching name and labels (0 when absent). */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}
