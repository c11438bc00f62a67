// flotilla render: placements and per-cluster manifests of a revision (docs/reference/contract.md).
import path from 'node:path';
import { renderJsonChunks } from '../../render/contract.js';
import { toStableYaml } from '../../objects/serialize.js';
import { writeManifestTree } from '../../output/directory.js';
import { formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command, type CommandIO } from '../io.js';

/** Failed files printed one per line; the rest are counted. */
const MAX_FAILURES_SHOWN = 20;

const USAGE = `flotilla render ${FLEET_FLAGS_USAGE} [--out DIR] [--format yaml|json]`;

/** Output is written in pieces of about this many characters: few writes, and never the whole document at once. */
const WRITE_SIZE = 1 << 16;

/** Writes `chunks` to stdout in pieces of about WRITE_SIZE, waiting for the reader whenever stdout asks to. */
async function writeChunks(io: CommandIO, chunks: Iterable<string>): Promise<void> {
  let piece = '';
  for (const chunk of chunks) {
    piece += chunk;
    if (piece.length < WRITE_SIZE) continue;
    io.stdout(piece);
    piece = '';
    await io.stdoutDrained?.();
  }
  if (piece) io.stdout(piece);
}

/** Renders and prints (or writes with --out); exit 1 when any error diagnostic exists or a file could not be written. */
export const renderCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, out: { type: 'string' } }, USAGE);
  const format = checkFormat(values.format, ['yaml', 'json'] as const, 'yaml');
  // --observed / --previous auto: the reconciler's observation and placements, so CI renders its split.
  const result = await renderFromOptions(fleetOptions(values));
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');
  let writeFailed = false;

  if (values.out) {
    if (hasErrors) {
      io.stderr(formatDiagnosticsText(result.diagnostics));
      io.stderr(`nothing written to ${values.out}: ${summarizeDiagnostics(result.diagnostics)}\n`);
    } else {
      const { written, failed } = await writeManifestTree(values.out, result.manifests);
      // One object's I/O error fails that object: the others are written, the failed ones named.
      for (const f of failed.slice(0, MAX_FAILURES_SHOWN)) io.stderr(`cannot write ${path.join(values.out, f.path)}: ${f.reason}\n`);
      if (failed.length > MAX_FAILURES_SHOWN) io.stderr(`…and ${failed.length - MAX_FAILURES_SHOWN} more that could not be written\n`);
      const failures = failed.length > 0 ? `; ${failed.length} could not be written` : '';
      io.stderr(`wrote ${written.length} manifests for ${Object.keys(result.manifests).length} clusters to ${values.out}${failures}\n`);
      writeFailed = failed.length > 0;
    }
  }
  if (format === 'json') {
    await writeChunks(io, renderJsonChunks(result));
  } else if (!values.out) {
    const docs: string[] = [];
    for (const [cluster, objects] of Object.entries(result.manifests)) {
      for (const o of objects) docs.push(`# cluster: ${cluster}\n${toStableYaml(o)}`);
    }
    io.stdout(docs.join('---\n'));
    if (result.diagnostics.length > 0) io.stderr(formatDiagnosticsText(result.diagnostics));
  } else if (!hasErrors && result.diagnostics.length > 0) {
    io.stderr(formatDiagnosticsText(result.diagnostics));
  }
  return hasErrors || writeFailed ? Exit.ERRORS : Exit.OK;
};
