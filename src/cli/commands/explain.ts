// flotilla explain KIND/NAMESPACE/NAME: why each cluster was chosen or filtered out, and how the
// replicas were computed (Karmada's "0/7 clusters are available: ..." plus the arithmetic).
import { FlotillaError } from '../../model/diagnostics.js';
import type { PlacementResult } from '../../model/types.js';
import { policyContest, type PolicyContest } from '../../placement/contest.js';
import { placementJson } from '../../render/contract.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderWithTraffic } from '../input.js';
import type { CanaryState } from '../../traffic/canary.js';
import type { RouteRecord, TrafficRecord } from '../../traffic/decide.js';
import { checkFormat, Exit, parseFlags, type Command } from '../io.js';
import { describeRef, objectKey } from '../../objects/identity.js';

const USAGE = `flotilla explain KIND/NAMESPACE/NAME ${FLEET_FLAGS_USAGE} [--format text|json]`;

/** Finds the placement a KIND/NS/NAME (or KIND/NAME) argument names; kind is case-insensitive. */
export function findPlacement(placements: readonly PlacementResult[], target: string): PlacementResult {
  const parts = target.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p, i) => p === '' && !(parts.length === 3 && i === 1))) {
    throw new FlotillaError('USAGE', `expected KIND/NAMESPACE/NAME or KIND/NAME, got "${target}"\nusage: ${USAGE}`);
  }
  const [kind, ns, name] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
  const kindMatches = (p: PlacementResult) => {
    const k = kind!.toLowerCase();
    const group = p.resource.apiVersion.includes('/') ? p.resource.apiVersion.split('/')[0] : '';
    return p.resource.kind.toLowerCase() === k || `${p.resource.kind}.${group}`.toLowerCase() === k;
  };
  const found = placements.filter((p) => kindMatches(p) && p.resource.name === name && (ns === undefined || p.resource.namespace === ns));
  if (found.length === 0) throw new FlotillaError('NOT_FOUND', `no resource ${target} in the fleet`);
  if (found.length > 1) {
    const names = found.map((p) => `${p.resource.kind}.${p.resource.apiVersion}/${p.resource.namespace}/${p.resource.name}`).join(', ');
    throw new FlotillaError(
      'AMBIGUOUS',
      `${target} matches ${found.length} resources: ${names}; add the namespace or the API group (KIND.GROUP)`,
    );
  }
  return found[0]!;
}

/** The text report of one placement; `contest` (policyContest) adds the policies that lost it, when there are any. */
export function explainText(p: PlacementResult, contest: readonly PolicyContest[] = []): string {
  const r = p.resource;
  const lines: string[] = [];
  lines.push(`${describeRef(r)} (${r.apiVersion})`);
  lines.push(`policy:   ${p.policy ? `${p.policy.kind} ${p.policy.namespace ? p.policy.namespace + '/' : ''}${p.policy.name}` : '(none)'}`);
  if (p.claim && p.claim.change !== 'new') lines.push(`claim:    ${p.claim.reason}`);
  if (p.lazyKept) lines.push('lazy:     activationPreference Lazy keeps the previous placement until the resource itself changes');
  if (p.suspendedClusters && p.suspendedClusters.length > 0) lines.push(`suspended: ${p.suspendedClusters.join(', ')}`);
  if (p.replicas !== null) lines.push(`replicas: ${p.replicas}`);
  if (p.affinityName) lines.push(`affinity: ${p.affinityName}`);
  const result =
    p.clusters.length === 0 ? '(no cluster)' : p.clusters.map((c) => (c.replicas === null ? c.name : `${c.name}=${c.replicas}`)).join(', ');
  lines.push(`result:   ${result}`);
  if (p.error) lines.push(`error:    ${p.error}`);
  if (contest.length > 1) {
    lines.push('', 'policies:');
    for (const c of contest) {
      const name = `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}`;
      lines.push(`  ${c.claims ? '✓' : '✗'} ${name} (priority ${c.priority}, selects it ${c.selects})${c.claims ? ': claims it' : ''}`);
      if (c.lostBecause) lines.push(`      loses it: ${c.lostBecause}`);
    }
  }
  lines.push('', 'steps:');
  for (const s of p.explanation) lines.push(`  - ${s}`);
  if (p.verdicts.length > 0) {
    lines.push('', 'clusters:');
    const width = Math.max(...p.verdicts.map((v) => v.name.length));
    for (const v of p.verdicts) {
      const mark = v.selected ? '✓' : '✗';
      const facts: string[] = [];
      if (v.selected && v.replicas !== null) facts.push(`${v.replicas} replica${v.replicas === 1 ? '' : 's'}`);
      if (v.feasible) facts.push(`score ${v.score}`);
      if (v.feasible && v.availableReplicas !== null) facts.push(`available ${v.availableReplicas}`);
      const head =
        `  ${mark} ${v.name.padEnd(width)}  ` +
        `${v.selected ? 'selected' : v.feasible ? 'feasible, not selected' : 'filtered out'}` +
        `${facts.length ? ` (${facts.join(', ')})` : ''}`;
      lines.push(head);
      for (const reason of v.reasons) lines.push(`      ${reason}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** What the reconciler recorded about the resource's traffic (traffic.yaml): its routes' arithmetic, or its canary. */
export function trafficOf(record: TrafficRecord, p: PlacementResult): { routes: RouteRecord[]; canary: CanaryState | null } | null {
  const name = `${p.resource.namespace}/${p.resource.name}`;
  const routes = p.resource.kind === 'VirtualService' ? record.routes.filter((r) => r.virtualService === name) : [];
  const canary = record.canaries.find((c) => c.workload === objectKey(p.resource)) ?? null;
  return routes.length > 0 || canary ? { routes, canary } : null;
}

/** The recorded traffic as text: per route declared → effective with every step, or the canary's phase and step. */
export function trafficText(t: { routes: RouteRecord[]; canary: CanaryState | null }): string {
  const lines = ['', 'traffic (recorded by the reconciler):'];
  for (const r of t.routes) {
    const declared = r.destinations.map((d) => d.declared).join('/');
    lines.push(`  ${r.route}: declared ${declared} → effective ${r.destinations.map((d) => d.effective).join('/')}`);
    for (const d of r.destinations)
      lines.push(`    ${d.name}: weight ${d.declared}, ready ${d.ready}/${d.desired}${d.latency !== null ? `, latency ${d.latency}` : ''}`);
    for (const s of r.steps) lines.push(`    - ${s}`);
  }
  if (t.canary) {
    const c = t.canary;
    lines.push(
      `  canary: ${c.phase}, step ${c.step}, weight ${c.weight}` +
        `${c.allClusters ? ', on every cluster' : ''}, failed checks ${c.failedChecks}`,
    );
    if (c.message) lines.push(`    ${c.message}`);
  }
  return lines.join('\n') + '\n';
}

/** Prints the explanation; exit 1 when the resource is unschedulable. */
export const explainCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(argv, FLEET_FLAGS, USAGE, 1);
  const format = checkFormat(values.format, ['text', 'json'] as const, 'text');
  if (positionals.length !== 1) throw new FlotillaError('USAGE', `explain takes one KIND/NAMESPACE/NAME\nusage: ${USAGE}`);
  const { result, traffic } = await renderWithTraffic(fleetOptions(values));
  const p = findPlacement(result.placements, positionals[0]!);
  const policies = policyContest(result.model, p);
  const recorded = traffic ? trafficOf(traffic, p) : null;
  if (format === 'json') {
    const json = {
      ...placementJson(p),
      ...(p.dependency ? { dependency: p.dependency } : {}),
      ...(p.claim ? { claim: p.claim } : {}),
      explanation: p.explanation,
      verdicts: p.verdicts,
      policies,
      ...(recorded ? { traffic: recorded } : {}),
    };
    io.stdout(JSON.stringify(json, null, 2) + '\n');
  } else {
    io.stdout(explainText(p, policies) + (recorded ? trafficText(recorded) : ''));
  }
  return p.error ? Exit.ERRORS : Exit.OK;
};
