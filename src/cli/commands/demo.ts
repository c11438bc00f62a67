// flotilla demo: the bundled seed fleet rendered and explained, with no cluster and no network.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnosticsText, summarizeDiagnostics } from '../../model/diagnostics-format.js';
import { renderFromOptions } from '../input.js';
import { Exit, parseFlags, type Command } from '../io.js';
import { explainText, findPlacement } from './explain.js';
import { clustersTable, placementsTable } from './get.js';

/** fixtures/seed of the installed package (dist/cli/commands → repository root). */
export function bundledFleet(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/seed');
}

/** Prints clusters, placements, one explanation and the diagnostics of the bundled fleet. */
export const demoRenderCommand: Command = async (argv, io) => {
  const { values } = parseFlags(
    argv,
    { repo: { type: 'string' }, explain: { type: 'string' } },
    'flotilla demo [--repo DIR] [--explain KIND/NS/NAME]',
  );
  const repo = values.repo ?? bundledFleet();
  const result = await renderFromOptions({ repo });
  const objects = Object.values(result.manifests).reduce((n, l) => n + l.length, 0);
  io.stdout(`flotilla demo: rendering ${path.relative(process.cwd(), repo) || '.'} (no cluster, no network)\n\n`);
  io.stdout(`== clusters ==\n${clustersTable(result)}\n`);
  io.stdout(`== placements ==\n${placementsTable(result)}\n`);
  io.stdout(
    `== explain ${values.explain ?? 'Deployment/default/nginx'} ` +
      `==\n${explainText(findPlacement(result.placements, values.explain ?? 'Deployment/default/nginx'))}\n`,
  );
  io.stdout(`== diagnostics (${summarizeDiagnostics(result.diagnostics)}) ==\n${formatDiagnosticsText(result.diagnostics)}\n`);
  io.stdout(
    `${objects} objects rendered for ${Object.keys(result.manifests).length} clusters. Write ` +
      `them with: npx flotilla render --repo ${path.relative(process.cwd(), repo) || '.'} --out rendered/\n`,
  );
  return result.diagnostics.some((d) => d.severity === 'error') ? Exit.ERRORS : Exit.OK;
};
