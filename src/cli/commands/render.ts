// flotilla render: placements and per-cluster manifests of a revision (docs/reference/contract.md).
import { renderJson } from '../../render/contract.js';
import { toStableYaml } from '../../objects/serialize.js';
import { writeManifestTree } from '../../output/directory.js';
import { formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command } from '../io.js';

const USAGE = `flotilla render ${FLEET_FLAGS_USAGE} [--out DIR] [--format yaml|json]`;

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
    io.stdout(JSON.stringify(renderJson(result), null, 2) + '\n');
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
