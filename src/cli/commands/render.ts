// flotilla render: placements and per-cluster manifests of a revision (docs/reference/contract.md).
// Rendered a cluster at a time (render/stream.ts): each cluster's objects are written — to stdout,
// and with --out into a hidden folder moved into place only if the render is valid — and dropped
// before the next cluster is rendered.
import path from 'node:path';
import { RenderDocumentWriter } from '../../render/contract.js';
import { toStableYaml } from '../../objects/serialize.js';
import { ManifestTreeWriter } from '../../output/directory.js';
import { formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import type { Diagnostic } from '../../model/diagnostics.js';
import type { StreamedRender } from '../../render/stream.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, streamFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command, type CommandIO } from '../io.js';

/** Failed files printed one per line; the rest are counted. */
const MAX_FAILURES_SHOWN = 20;

const USAGE = `flotilla render ${FLEET_FLAGS_USAGE} [--out DIR] [--format yaml|json]`;

/** Output is written in pieces of about this many characters: few writes, and never the whole document at once. */
const WRITE_SIZE = 1 << 16;

/** Stdout in pieces of about WRITE_SIZE, waiting for the reader whenever stdout asks to. */
class ChunkedStdout {
  private piece = '';
  constructor(private readonly io: CommandIO) {}

  async write(chunks: Iterable<string>): Promise<void> {
    for (const chunk of chunks) {
      this.piece += chunk;
      if (this.piece.length < WRITE_SIZE) continue;
      this.io.stdout(this.piece);
      this.piece = '';
      await this.io.stdoutDrained?.();
    }
  }

  flush(): void {
    if (this.piece) this.io.stdout(this.piece);
    this.piece = '';
  }
}

/** What --out did; null without --out. */
type TreeOutcome = { written: number; clusters: number; failed: Array<{ path: string; reason: string }> } | 'invalid' | null;

/**
 * Streams every cluster to what the flags ask for: the JSON document or the YAML stream on stdout,
 * and with --out the tree (committed only when the render has no error; else nothing reaches DIR).
 */
async function streamOutputs(
  io: CommandIO,
  result: StreamedRender,
  format: 'yaml' | 'json',
  out: string | undefined,
): Promise<{ diagnostics: Diagnostic[]; tree: TreeOutcome }> {
  const stdout = new ChunkedStdout(io);
  const json = format === 'json' ? new RenderDocumentWriter() : null;
  const yaml = format === 'yaml' && !out;
  // Errors found while loading and placing: nothing will be written to DIR, so no folder is made.
  let tree = out && !result.hasErrors() ? await ManifestTreeWriter.open(out) : null;
  let invalid = out !== undefined && tree === null;
  try {
    if (json) await stdout.write(json.head(result));
    let docs = 0;
    for (const [cluster, objects] of result.manifests()) {
      if (tree && result.hasErrors()) {
        // An error mid-stream: what was staged is dropped, the rest is not written.
        await tree.abort();
        tree = null;
        invalid = true;
      }
      if (tree) await tree.writeCluster(cluster, objects);
      if (json) await stdout.write(json.cluster(cluster, objects));
      if (yaml) for (const o of objects) await stdout.write([`${docs++ === 0 ? '' : '---\n'}# cluster: ${cluster}\n${toStableYaml(o)}`]);
    }
    const diagnostics = result.diagnostics();
    if (json) await stdout.write(json.tail(diagnostics));
    stdout.flush();
    if (tree && result.hasErrors()) {
      await tree.abort();
      tree = null;
      invalid = true;
    }
    const committed = tree ? await tree.commit() : null;
    tree = null;
    return { diagnostics, tree: invalid ? 'invalid' : committed ? { ...committed, written: committed.written.length } : null };
  } finally {
    await tree?.abort();
  }
}

/** Renders and prints (or writes with --out); exit 1 when any error diagnostic exists or a file could not be written. */
export const renderCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, out: { type: 'string' } }, USAGE);
  const format = checkFormat(values.format, ['yaml', 'json'] as const, 'yaml');
  // --observed / --previous auto: the reconciler's observation and placements, so CI renders its split.
  const result = await streamFromOptions(fleetOptions(values));
  const { diagnostics, tree } = await streamOutputs(io, result, format, values.out);
  const hasErrors = diagnostics.some((d) => d.severity === 'error');
  let writeFailed = false;

  if (tree === 'invalid') {
    io.stderr(formatDiagnosticsText(diagnostics));
    io.stderr(`nothing written to ${values.out}: ${summarizeDiagnostics(diagnostics)}\n`);
  } else if (tree) {
    const { written, failed, clusters } = tree;
    // One object's I/O error fails that object: the others are written, the failed ones named.
    for (const f of failed.slice(0, MAX_FAILURES_SHOWN)) io.stderr(`cannot write ${path.join(values.out!, f.path)}: ${f.reason}\n`);
    if (failed.length > MAX_FAILURES_SHOWN) io.stderr(`…and ${failed.length - MAX_FAILURES_SHOWN} more that could not be written\n`);
    const failures = failed.length > 0 ? `; ${failed.length} could not be written` : '';
    io.stderr(`wrote ${written} manifests for ${clusters} clusters to ${values.out}${failures}\n`);
    writeFailed = failed.length > 0;
  }
  if (format === 'yaml' && !values.out) {
    if (diagnostics.length > 0) io.stderr(formatDiagnosticsText(diagnostics));
  } else if (format === 'yaml' && !hasErrors && diagnostics.length > 0) {
    io.stderr(formatDiagnosticsText(diagnostics));
  }
  return hasErrors || writeFailed ? Exit.ERRORS : Exit.OK;
};
