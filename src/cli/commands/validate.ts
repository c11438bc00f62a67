// flotilla validate: load and schedule, print every diagnostic, exit 1 on any error (and, with
// --strict, on any warning: CI can hold a fleet to "no warnings"). Renders a cluster at a time.
import type { Diagnostic } from '../../model/diagnostics.js';
import { formatDiagnosticsGithub, formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, streamFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command } from '../io.js';

const USAGE = `flotilla validate ${FLEET_FLAGS_USAGE} [--format text|json|github] [--strict]`;

/** --strict: every warning is reported, and counted, as an error; info notes stay notes. */
function promoteWarnings(items: readonly Diagnostic[]): Diagnostic[] {
  return items.map((d) => (d.severity === 'warning' ? { ...d, severity: 'error' } : d));
}

/** Prints diagnostics in the chosen format; exit 1 when any is an error. */
export const validateCommand: Command = async (argv, io) => {
  const { values } = parseFlags(argv, { ...FLEET_FLAGS, strict: { type: 'boolean' } }, USAGE);
  const format = checkFormat(values.format, ['text', 'json', 'github'] as const, 'text');
  // A cluster at a time: only the count of its objects outlives it.
  const result = await streamFromOptions(fleetOptions(values));
  let objects = 0;
  for (const [, list] of result.manifests()) objects += list.length;
  const diagnostics = values.strict ? promoteWarnings(result.diagnostics()) : result.diagnostics();
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (format === 'json') {
    io.stdout(JSON.stringify({ revision: result.revision, valid: errors === 0, diagnostics }, null, 2) + '\n');
  } else if (format === 'github') {
    io.stdout(formatDiagnosticsGithub(diagnostics));
  } else {
    io.stdout(formatDiagnosticsText(diagnostics));
    const counts = `${result.placements.length} resources, ${result.clusters.length} clusters, ${objects} rendered objects`;
    const strictNote = values.strict ? ' (--strict: warnings count as errors)' : '';
    io.stdout(`${errors === 0 ? 'valid' : 'invalid'}: ${counts}; ${summarizeDiagnostics(diagnostics)}${strictNote}\n`);
  }
  return errors > 0 ? Exit.ERRORS : Exit.OK;
};
