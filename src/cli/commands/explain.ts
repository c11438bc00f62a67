// flotilla explain KIND/NAMESPACE/NAME: why each cluster was chosen or filtered out, and how the
// replicas were computed (Karmada's "0/7 clusters are available: ..." plus the arithmetic).
import { FlotillaError } from '../../model/diagnostics.js';
import type { FleetModel, PlacementResult } from '../../model/types.js';
import {
  buildClaimIndex,
  claimants,
  lossReason,
  notPreemptingReason,
  policyText,
  sinceText,
  specificityText,
  wouldWinFresh,
} from '../../placement/claim.js';
import { placementJson } from '../../render/contract.js';
import { FLEET_FLAGS, FLEET_FLAGS_USAGE, fleetOptions, renderFromOptions } from '../input.js';
import { checkFormat, Exit, parseFlags, type Command } from '../io.js';
import { describeRef, versionedKey } from '../../objects/identity.js';
import { refOf } from '../../placement/schedule.js';

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

/** A policy that selects the explained resource: the one that claims it, or one that lost it and why. */
export interface PolicyContest {
  kind: string;
  namespace: string;
  name: string;
  priority: number;
  /** How its best selector selects the resource: "by name", "by label", "by kind". */
  selects: string;
  claims: boolean;
  /** Why it does not claim the resource (absent for the one that does). */
  lostBecause?: string;
}

/**
 * Every PropagationPolicy and ClusterPropagationPolicy that selects the placed resource, the
 * claiming one first (docs/reference/semantics.md §2): a policy that loses has no effect on it, and
 * `explain` says so instead of leaving it unmentioned.
 */
export function policyContest(model: FleetModel, p: PlacementResult): PolicyContest[] {
  const resource = model.resources.find((m) => versionedKey(refOf(m)) === versionedKey(p.resource));
  if (!resource) return [];
  const all = claimants(buildClaimIndex(model), resource);
  // With a previous result the claim is sticky (§2.2): the claiming policy is the placement's, not the first claimant.
  const winner = p.policy ? all.find((c) => samePolicy(c.policy, p.policy!)) : undefined;
  const ordered = winner ? [winner, ...all.filter((c) => c !== winner)] : all;
  const record = p.claim;
  // The policy the claim was held by before this revision: the one a fresh winner would have had to preempt.
  const before = record?.previous ? all.find((c) => samePolicy(c.policy, record.previous!)) : undefined;
  return ordered.map((c, i) => {
    const claims = winner ? c === winner : i === 0;
    let lostBecause: string | undefined;
    if (!claims) {
      const first = winner ?? ordered[0]!;
      const sticky = winner && record && (record.change === 'kept' || record.change === 'preempted') && wouldWinFresh(c, winner);
      if (sticky && record.change === 'kept') {
        const kept = `kept by ${policyText(winner.policy)} ${sinceText(record.since)}`;
        lostBecause = `${kept}; ${notPreemptingReason(c.policy, winner.policy, resource)}`;
      } else if (sticky) {
        lostBecause = `${record.reason}; ${notPreemptingReason(c.policy, (before ?? winner).policy, resource)}`;
      } else lostBecause = lossReason(first, c);
    }
    return {
      kind: c.policy.kind,
      namespace: c.policy.namespace,
      name: c.policy.name,
      priority: c.policy.priority,
      selects: specificityText(c.implicitPriority),
      claims,
      ...(lostBecause === undefined ? {} : { lostBecause }),
    };
  });
}

function samePolicy(a: { kind: string; namespace: string; name: string }, b: { kind: string; namespace: string; name: string }): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
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

/** Prints the explanation; exit 1 when the resource is unschedulable. */
export const explainCommand: Command = async (argv, io) => {
  const { values, positionals } = parseFlags(argv, FLEET_FLAGS, USAGE);
  const format = checkFormat(values.format, ['text', 'json'] as const, 'text');
  if (positionals.length !== 1) throw new FlotillaError('USAGE', `explain takes one KIND/NAMESPACE/NAME\nusage: ${USAGE}`);
  const result = await renderFromOptions(fleetOptions(values));
  const p = findPlacement(result.placements, positionals[0]!);
  const policies = policyContest(result.model, p);
  if (format === 'json') {
    const claim = p.claim ? { claim: p.claim } : {};
    io.stdout(
      JSON.stringify({ ...placementJson(p), ...claim, explanation: p.explanation, verdicts: p.verdicts, policies }, null, 2) + '\n',
    );
  } else {
    io.stdout(explainText(p, policies));
  }
  return p.error ? Exit.ERRORS : Exit.OK;
};
