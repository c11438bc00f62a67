// flotilla get clusters | placements: the fleet at a glance (kurator get clusters / get workload).
import { FlotillaError } from '../../model/diagnostics.js';
import { placementJson } from '../../render/contract.js';
import type { RenderResult } from '../../render/render-fleet.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, table, type Command } from '../io.js';

const USAGE = `flotilla get clusters|placements ${FLEET_FLAGS_USAGE} [--format text|json]`;

/** Table of clusters: name, readiness, provider/region/zones, fleets, labels. */
export function clustersTable(r: RenderResult): string {
  const rows = [['NAME', 'READY', 'PROVIDER', 'REGION', 'ZONES', 'FLEETS', 'LABELS']];
  for (const c of r.clusters) {
    const labels = Object.keys(c.labels)
      .sort()
      .map((k) => `${k}=${c.labels[k]}`)
      .join(',');
    rows.push([
      c.name,
      c.ready ? 'True' : 'False',
      c.provider || '-',
      c.region || '-',
      c.zones.join(',') || '-',
      c.fleets.join(',') || '-',
      labels || '-',
    ]);
  }
  return table(rows);
}

/** Table of placements: resource, policy, replicas, where they go. */
export function placementsTable(r: RenderResult): string {
  const rows = [['KIND', 'NAMESPACE', 'NAME', 'POLICY', 'REPLICAS', 'CLUSTERS']];
  for (const p of r.placements) {
    const where = p.error
      ? `ERROR: ${p.error}`
      : p.clusters.map((c) => (c.replicas === null ? c.name : `${c.name}=${c.replicas}`)).join(',') || '-';
    rows.push([
      p.resource.kind,
      p.resource.namespace || '-',
      p.resource.name,
      p.policy ? `${p.policy.kind}/${p.policy.name}` : '-',
      p.replicas === null ? '-' : String(p.replicas),
      where,
    ]);
  }
  return table(rows);
}

/** `get clusters` or `get placements`. */
export const getCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(argv, FLEET_FLAGS, USAGE, 1);
  const format = checkFormat(values.format, ['text', 'json'] as const, 'text');
  const what = positionals[0];
  if (positionals.length !== 1 || !['clusters', 'placements', 'cluster', 'placement', 'workload', 'workloads'].includes(what!)) {
    throw new FlotillaError('USAGE', `get takes "clusters" or "placements"\nusage: ${USAGE}`);
  }
  const result = await renderFromOptions(fleetOptions(values));
  const clusters = what!.startsWith('cluster');
  if (format === 'json') {
    io.stdout(JSON.stringify(clusters ? result.clusters : result.placements.map(placementJson), null, 2) + '\n');
  } else {
    io.stdout(clusters ? clustersTable(result) : placementsTable(result));
  }
  return Exit.OK;
};
