// The plan as JSON for tools: the report itself, keys in a fixed order, with the exit status.
import { planExitCode } from './compute.js';
import type { PlanReport } from './types.js';

/** One JSON document: `{ exitCode, ...report }`, two-space indented, newline-terminated. */
export function formatPlanJson(report: PlanReport): string {
  return JSON.stringify({ exitCode: planExitCode(report), ...report }, null, 2) + '\n';
}
