// Traffic on the status branch (docs/reference/contract.md "traffic.yaml"): `traffic.yaml` holds
// every computed weight with its inputs and arithmetic and every canary's full state (its stable
// templates included), so a restart or a shard hand-over continues where the last pass was;
// status.yaml's `traffic` is its summary, which changes whenever a weight or a canary does, so
// the status is committed (and traffic.yaml with it) exactly then.
import { parse } from 'yaml';
import { isMap } from '../objects/json.js';
import { toStableYaml } from '../objects/serialize.js';
import type { ObjectStore } from '../source/objects.js';
import type { CanaryState } from '../traffic/canary.js';
import type { TrafficRecord } from '../traffic/decide.js';

export const TRAFFIC_FILE = 'traffic.yaml';
export const TRAFFIC_KIND = 'TrafficStatus';

/** The reason a canary's phase is reported with (Kurator/Flagger's wording). */
export const CANARY_REASONS = { Progressing: 'CanaryProgressing', Promoted: 'CanaryPromoted', RolledBack: 'CanaryRolledBack' } as const;

export interface TrafficStatus {
  routes: Array<{ virtualService: string; route: string; declared: number[]; effective: number[] }>;
  canaries: Array<{
    workload: string;
    phase: CanaryState['phase'];
    reason: (typeof CANARY_REASONS)[keyof typeof CANARY_REASONS];
    step: number;
    weight: number;
    allClusters: boolean;
    failedChecks: number;
    message: string | null;
  }>;
  /** What could not be used this pass (a failed metric query, a workload that could not be read). */
  problems: string[];
}

/** status.yaml's `traffic`: the record without inputs, steps, times and templates. */
export function trafficSummary(record: TrafficRecord, problems: readonly string[]): TrafficStatus {
  return {
    routes: record.routes.map((r) => ({
      virtualService: r.virtualService,
      route: r.route,
      declared: r.destinations.map((d) => d.declared),
      effective: r.destinations.map((d) => d.effective),
    })),
    canaries: record.canaries.map((c) => ({
      workload: c.workload,
      phase: c.phase,
      reason: CANARY_REASONS[c.phase],
      step: c.step,
      weight: c.weight,
      allClusters: c.allClusters,
      failedChecks: c.failedChecks,
      message: c.message,
    })),
    problems: [...problems],
  };
}

/** traffic.yaml's text: stable YAML, times as ISO strings. */
export function serializeTraffic(record: TrafficRecord): string {
  const canaries = record.canaries.map((c) => ({
    ...c,
    startedAt: new Date(c.startedAt).toISOString(),
    lastCheckAt: new Date(c.lastCheckAt).toISOString(),
  }));
  return toStableYaml({ apiVersion: 'flotilla.dev/v1alpha1', kind: TRAFFIC_KIND, routes: record.routes, canaries });
}

function isCanary(c: unknown): c is Record<string, unknown> {
  return (
    isMap(c) && typeof c.workload === 'string' && typeof c.stableHash === 'string' && isMap(c.stableTemplate) && typeof c.phase === 'string'
  );
}

/** traffic.yaml back (null: not a traffic record). Entries that do not parse are dropped: that canary starts afresh. */
/** The traffic record at `commit` of the status branch (null: no traffic.yaml, or not one flotilla reads). */
export async function readTrafficAt(objects: Pick<ObjectStore, 'readTextAt'>, commit: string): Promise<TrafficRecord | null> {
  const text = await objects.readTextAt(commit, TRAFFIC_FILE);
  return text === null ? null : parseTraffic(text);
}

export function parseTraffic(text: string): TrafficRecord | null {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.2' });
  } catch {
    return null;
  }
  if (!isMap(doc) || doc.kind !== TRAFFIC_KIND) return null;
  const routes = (Array.isArray(doc.routes) ? doc.routes : []).filter(
    (r): r is TrafficRecord['routes'][number] => isMap(r) && typeof r.virtualService === 'string' && Array.isArray(r.destinations),
  );
  const canaries = (Array.isArray(doc.canaries) ? doc.canaries : [])
    .filter(isCanary)
    .map(
      (c) =>
        ({ ...c, startedAt: Date.parse(String(c.startedAt)), lastCheckAt: Date.parse(String(c.lastCheckAt)) }) as unknown as CanaryState,
    );
  return { routes, canaries };
}
