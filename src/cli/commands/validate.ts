// flotilla validate: load and schedule, print every diagnostic, exit 1 on any error.
import { formatDiagnosticsGithub, formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command } from '../io.js';

const USAGE = `flotilla validate ${FLEET_FLAGS_USAGE} [--format text|json|github]`;

/** Prints diagnostics in the chosen format; exit 1 when any is an error. */
export const validateCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, FLEET_FLAGS, USAGE);
  const format = checkFormat(values.format, ['text', 'json', 'github'] as const, 'text');
  const result = await renderFromOptions(fleetOptions(values));
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (format === 'json') {
    io.stdout(JSON.stringify({ revision: result.revision, valid: errors === 0, diagnostics: result.diagnostics }, null, 2) + '\n');
  } else if (format === 'github') {
    io.stdout(formatDiagnosticsGithub(result.diagnostics));
  } else {
    io.stdout(formatDiagnosticsText(result.diagnostics));
    const objects = Object.values(result.manifests).reduce((n, l) => n + l.length, 0);
    io.stdout(
      `${errors === 0 ? 'valid' : 'invalid'}: ${result.placements.length} resources, ${result.clusters.length} clusters, ${objects} rendered objects; ${summarizeDiagnostics(result.diagnostics)}\n`,
    );
  }
  return errors > 0 ? Exit.ERRORS : Exit.OK;
};
