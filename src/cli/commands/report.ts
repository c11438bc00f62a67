// flotilla report: one self-contained HTML file (its script, style and data inside; no network when
// viewed) of a render, or with --base of a plan: the placement matrix before → after with the
// changed cells highlighted, the risks and the diagnostics. CI uploads it as an artifact.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { FlotillaError } from '../../model/diagnostics.js';
import { planReportData, renderReportData, type ReportData } from '../../view/data.js';
import { reportHtml } from '../../view/page.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { Exit, parseFlags, type Command, type CommandIO } from '../io.js';
import { planFromFlags } from './plan.js';

const USAGE =
  `flotilla report [--out FILE] ${FLEET_FLAGS_USAGE}\n` +
  '       flotilla report --base REF [--head REF] [--out FILE] [--repo DIR] [--path SUBDIR] [--max-move PCT] [--fresh]\n' +
  '              [--observed FILE|auto] [--previous FILE|auto] [--config FILE]';

/** Where the report goes when --out is not given. */
const DEFAULT_REPORT_FILE = 'flotilla-report.html';

const PLAN_ONLY = ['head', 'max-move', 'fresh'] as const;

/** Writes `text` to `file` through a temporary file in the same folder: a reader never sees half a report. */
async function writeWhole(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fsp.writeFile(tmp, text);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new FlotillaError('REPORT_UNWRITABLE', `cannot write the report to ${file}: ${(e as Error).message}`, { file });
  }
}

function short(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 12) : revision;
}

/** Writes the report; exit 1 when the (head) revision has error diagnostics — the report is written all the same. */
export const reportCommand: Command = async (argv: string[], io: CommandIO) => {
  const { values } = parseFlags(
    argv,
    {
      ...FLEET_FLAGS,
      base: { type: 'string' },
      head: { type: 'string' },
      'max-move': { type: 'string' },
      fresh: { type: 'boolean' },
      out: { type: 'string' },
    },
    USAGE,
  );
  if (values.format !== undefined) throw new FlotillaError('USAGE', `report writes HTML only (no --format)\nusage: ${USAGE}`);
  let data: ReportData;
  let title: string;
  let errors: number;
  if (values.base !== undefined) {
    if (values.ref !== undefined) throw new FlotillaError('USAGE', `--ref goes without --base; a plan takes --head\nusage: ${USAGE}`);
    if (values['status-branch'] !== undefined) throw new FlotillaError('USAGE', `--status-branch goes without --base\nusage: ${USAGE}`);
    const { base, head, report } = await planFromFlags({ ...values, base: values.base });
    data = planReportData(base, head, report);
    title = `flotilla plan ${short(report.base.revision)} → ${short(report.head.revision)}`;
    errors = report.head.errors;
  } else {
    const extra = PLAN_ONLY.find((f) => values[f] !== undefined);
    if (extra) throw new FlotillaError('USAGE', `--${extra} goes with --base (a plan)\nusage: ${USAGE}`);
    const render = await renderFromOptions(fleetOptions(values));
    data = renderReportData(render);
    title = `flotilla render ${short(render.revision)}`;
    errors = render.diagnostics.filter((d) => d.severity === 'error').length;
  }
  const html = reportHtml(title, data);
  const out = values.out ?? DEFAULT_REPORT_FILE;
  if (out === '-') io.stdout(html);
  else {
    await writeWhole(path.resolve(out), html);
    io.stderr(`wrote ${out} (${title}, ${data.matrix.rows.length} resources × ${data.matrix.clusters.length} clusters)\n`);
  }
  return errors > 0 ? Exit.ERRORS : Exit.OK;
};
