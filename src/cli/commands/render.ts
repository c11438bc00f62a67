// flotilla render: placements and per-cluster manifests of a revision (docs/reference/contract.md).
import { renderJsonChunks } from '../../render/contract.js';
import { toStableYaml } from '../../objects/serialize.js';
import { writeManifestTree } from '../../output/directory.js';
import { formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command, type CommandIO } from '../io.js';

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

/** Renders and prints (or writes with --out); exit 1 when any error diagnostic exists. */
export const renderCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, out: { type: 'string' } }, USAGE);
  const format = checkFormat(values.format, ['yaml', 'json'] as const, 'yaml');
  // --observed / --previous auto: the reconciler's observation and placements, so CI renders its split.
  const result = await renderFromOptions(fleetOptions(values));
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');

  if (values.out) {
    if (hasErrors) {
      io.stderr(formatDiagnosticsText(result.diagnostics));
      io.stderr(`nothing written to ${values.out}: ${summarizeDiagnostics(result.diagnostics)}\n`);
    } else {
      const written = await writeManifestTree(values.out, result.manifests);
      io.stderr(`wrote ${written.length} manifests for ${Object.keys(result.manifests).length} clusters to ${values.out}\n`);
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
  return hasErrors ? Exit.ERRORS : Exit.OK;
};
