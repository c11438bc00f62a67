// What the pages receive: the dashboard's fleet view (the status's headline, the matrix, the
// diagnostics) and the report's data (a render, or a plan's matrix with its summary and risks).
// Built from the render, computePlan's report and the status document the CLI prints; the status's
// source URL and failover internals are left out, as nothing on a page needs them.
import type { Diagnostic } from '../model/diagnostics.js';
import type { PlanDiagnostic, PlanReport } from '../plan/types.js';
import type { RenderResult, RenderSummary } from '../render/render-fleet.js';
import type { ReconcileStatus } from '../state/document.js';
import { fleetMatrix, planMatrix, type CellHealth, type MatrixView } from './matrix.js';

export interface StatusHeadline {
  phase: ReconcileStatus['phase'];
  stage: ReconcileStatus['stage'];
  reason: string | null;
  message: string;
  sourceRevision: string;
  lastGoodRevision: string | null;
  reconciledAt: string;
  objects: ReconcileStatus['objects'];
  health: string | null;
}

export interface FleetData {
  status: StatusHeadline | null;
  matrix: MatrixView | null;
  diagnostics: Diagnostic[];
}

export interface ReportData {
  matrix: MatrixView;
  plan: Pick<PlanReport, 'base' | 'head' | 'summary' | 'risks' | 'notes'> | null;
  diagnostics: Array<Diagnostic | PlanDiagnostic>;
}

function statusHeadline(s: ReconcileStatus): StatusHeadline {
  return {
    phase: s.phase,
    stage: s.stage,
    reason: s.reason,
    message: s.message,
    sourceRevision: s.sourceRevision,
    lastGoodRevision: s.lastGoodRevision,
    reconciledAt: s.reconciledAt,
    objects: s.objects,
    health: s.health ?? null,
  };
}

/** The dashboard's fleet view: the last render with the status and the last pass's unhealthy objects. */
export function fleetData(render: RenderResult | null, status: ReconcileStatus | null, unhealthy: readonly CellHealth[] = []): FleetData {
  return {
    status: status ? statusHeadline(status) : null,
    matrix: render ? fleetMatrix(render, status, unhealthy) : null,
    diagnostics: render ? render.diagnostics : (status?.diagnostics ?? []),
  };
}

/** The report of one render. */
export function renderReportData(render: RenderResult): ReportData {
  return { matrix: fleetMatrix(render), plan: null, diagnostics: render.diagnostics };
}

/** The report of a plan: base → head, the changed cells marked, the risks and head's diagnostics. */
export function planReportData(base: RenderSummary, head: RenderSummary, report: PlanReport): ReportData {
  const { summary, risks, notes } = report;
  return {
    matrix: planMatrix(base, head, report),
    plan: { base: report.base, head: report.head, summary, risks, notes },
    diagnostics: report.diagnostics,
  };
}
