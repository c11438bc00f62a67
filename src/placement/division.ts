// Replica assignment: how a workload's replicas are divided over the selected clusters
// (Karmada pkg/scheduler/core/assignment.go, division_algorithm.go, common.go; docs/reference/semantics.md §3.8, §4),
// plus flotilla's maxSkew and HPA-bound extensions. Every function also returns the arithmetic as
// human-readable steps for `flotilla explain`.
import type { StaticClusterWeight, TargetCluster } from '../model/types.js';
import { ScheduleError } from './candidate.js';
import type { Candidate } from './candidate.js';
import { clusterMatches } from '../objects/label-selector.js';
import { allocateWebsterSeats, tieBreakerByUid } from './webster.js';
import type { Party } from './webster.js';
import { compareStrings } from '../model/order.js';

/** Per-cluster replicas (sorted by name, no 0-replica entries) and how they were computed. */
export interface DivisionResult {
  clusters: TargetCluster[];
  steps: string[];
}

/** Karmada's dynamic strategies: DynamicWeight (dynamicWeight: AvailableReplicas) and Aggregated. */
export type AvailabilityMode = 'DynamicWeight' | 'Aggregated';

/** Divides `replicas` over one overflow tier; `previous` is the whole previous result. */
export type TierDivision = (replicas: number, tier: readonly Candidate[], previous: readonly TargetCluster[]) => DivisionResult;

interface Count {
  name: string;
  replicas: number;
}

function replicasOf(t: TargetCluster): number {
  return t.replicas ?? 0;
}

/** Sorted by name with 0-replica entries dropped (Karmada's removeZeroReplicasCluster). */
function finish(counts: readonly Count[]): TargetCluster[] {
  return counts
    .filter((c) => c.replicas > 0)
    .map((c) => ({ name: c.name, replicas: c.replicas }))
    .sort((a, b) => compareStrings(a.name, b.name));
}

/** "a:1 b:2" — an input list (weights, availability) in the order it is used. */
function listText(items: readonly Count[]): string {
  return items.length === 0 ? '(none)' : items.map((i) => `${i.name}:${i.replicas}`).join(' ');
}

/** "a 1, b 2" — a result, by name. */
function resultText(counts: readonly TargetCluster[]): string {
  return counts.length === 0 ? 'no replicas' : counts.map((c) => `${c.name} ${replicasOf(c)}`).join(', ');
}

function sum(items: readonly Count[]): number {
  return items.reduce((s, i) => s + i.replicas, 0);
}

function requireSelected(selected: readonly Candidate[]): void {
  // Karmada's AssignReplicas checks this before any strategy runs (core/common.go).
  if (selected.length === 0) throw new ScheduleError('Unschedulable', 'no clusters available to schedule');
}

/** Webster over `votes` from zero seats with the resource's UID tie-break. */
function webster(replicas: number, votes: readonly Count[], uid: string): Count[] {
  const parties: Party[] = votes.map((v) => ({ name: v.name, votes: v.replicas }));
  return allocateWebsterSeats(replicas, parties, undefined, tieBreakerByUid(uid)).map((s) => ({ name: s.name, replicas: s.seats }));
}

/** Duplicated: every selected cluster runs all `replicas` (assignByDuplicatedStrategy). */
export function divideDuplicated(replicas: number, selected: readonly Candidate[]): DivisionResult {
  requireSelected(selected);
  const clusters = finish(selected.map((c) => ({ name: c.cluster.name, replicas })));
  return {
    clusters,
    steps: [`duplicated: each of ${selected.length} selected cluster(s) gets all ${replicas} replicas → ${resultText(clusters)}`],
  };
}

/**
 * Static weights (assignByStaticWeightStrategy, docs/reference/semantics.md §4.2): a cluster's weight is the
 * highest weight among the rules whose targetCluster matches it; weight-0 clusters are left out;
 * no match at all ⇒ weight 1 each; Webster from zero seats — the previous result is ignored.
 */
export function divideByStaticWeight(
  replicas: number,
  selected: readonly Candidate[],
  weights: readonly StaticClusterWeight[] | undefined,
  uid: string,
): DivisionResult {
  requireSelected(selected);
  const steps: string[] = [];
  let list: Count[];
  if (weights === undefined) {
    list = selected.map((c) => ({ name: c.cluster.name, replicas: 1 }));
    steps.push('no weightPreference: every selected cluster weight 1');
  } else {
    list = [];
    const left: string[] = [];
    for (const c of selected) {
      let weight = 0;
      for (const rule of weights) if (clusterMatches(c.cluster, rule.targetCluster)) weight = Math.max(weight, rule.weight);
      if (weight > 0) list.push({ name: c.cluster.name, replicas: weight });
      else left.push(c.cluster.name);
    }
    if (sum(list) === 0) {
      list = selected.map((c) => ({ name: c.cluster.name, replicas: 1 }));
      steps.push('no staticWeightList rule matches a selected cluster: every selected cluster weight 1');
    } else if (left.length > 0) {
      steps.push(`no staticWeightList rule matches ${[...left].sort(compareStrings).join(', ')}: left out`);
    }
  }
  const byNameList = [...list].sort((a, b) => compareStrings(a.name, b.name));
  const clusters = finish(webster(replicas, list, uid));
  steps.push(`static weights ${listText(byNameList)} → Webster over ${replicas} replicas → ${resultText(clusters)}`);
  return { clusters, steps };
}

/** Stable sort by replicas descending (Karmada sorts TargetClustersList by Replicas desc). */
function sortDescending(items: readonly Count[]): Count[] {
  return [...items].sort((a, b) => b.replicas - a.replicas);
}

/**
 * dynamicDivideReplicas: fail when the availability cannot hold `target`; Aggregated first moves
 * clusters already holding replicas to the front and keeps the shortest prefix covering the target;
 * then Webster over the availability numbers, added to `scheduled`.
 */
function divideOverAvailability(
  mode: AvailabilityMode,
  target: number,
  available: readonly Count[],
  scheduled: readonly Count[],
  uid: string,
  steps: string[],
): Count[] {
  const total = sum(available);
  if (total < target) {
    throw new ScheduleError('Unschedulable', `Clusters available replicas ${total} are not enough to schedule.`);
  }
  let votes = [...available];
  if (mode === 'Aggregated') {
    const prior = new Set(scheduled.filter((s) => s.replicas > 0).map((s) => s.name));
    if (prior.size > 0) {
      votes = [...votes.filter((v) => prior.has(v.name)), ...votes.filter((v) => !prior.has(v.name))];
    }
    let acc = 0;
    for (let i = 0; i < votes.length; i++) {
      acc += votes[i]!.replicas;
      if (acc >= target) {
        votes = votes.slice(0, i + 1);
        break;
      }
    }
    steps.push(
      `aggregated: ${prior.size > 0 ? 'clusters already in use first, then ' : ''}the fewest ` +
        `clusters whose availability covers ${target}: ${listText(votes)}`,
    );
  }
  const added = webster(target, votes, uid);
  const addedResult = finish(added);
  steps.push(`Webster over ${target} replicas by availability ${listText(votes)} → ${resultText(addedResult)}`);
  // util.MergeTargetClusters: add the new replicas to what the clusters already hold.
  const merged = new Map<string, number>();
  for (const s of scheduled) merged.set(s.name, (merged.get(s.name) ?? 0) + s.replicas);
  for (const a of added) merged.set(a.name, (merged.get(a.name) ?? 0) + a.replicas);
  return [...merged].map(([name, replicas]) => ({ name, replicas }));
}

/**
 * Dynamic weight and Aggregated (assignByDynamicStrategy, docs/reference/semantics.md §4.3). Steady mode keeps
 * the previous result where it can: unchanged total ⇒ unchanged; scale down ⇒ re-divide by the
 * previous replicas; scale up / first schedule ⇒ divide the extra by AllocatableReplicas and add.
 * `fresh` (a triggered reschedule) re-divides everything by allocatable + previously held.
 */
export function divideByAvailability(
  mode: AvailabilityMode,
  replicas: number,
  selected: readonly Candidate[],
  previous: readonly TargetCluster[],
  uid: string,
  fresh = false,
): DivisionResult {
  requireSelected(selected);
  const steps: string[] = [];
  const label = mode === 'Aggregated' ? 'aggregated' : 'dynamic weight';
  const candidateNames = new Set(selected.map((c) => c.cluster.name));
  // buildScheduledClusters: previous entries of clusters that are still candidates.
  const scheduled: Count[] = previous.filter((p) => candidateNames.has(p.name)).map((p) => ({ name: p.name, replicas: replicasOf(p) }));
  const assigned = sum(scheduled);
  const gone = previous.filter((p) => !candidateNames.has(p.name) && replicasOf(p) > 0);
  if (gone.length > 0 && !fresh) {
    steps.push(`previously on clusters no longer selected: ${gone.map((g) => `${g.name}:${replicasOf(g)}`).join(' ')} (placed again)`);
  }

  let result: Count[];
  if (fresh) {
    const held = new Map(scheduled.map((s) => [s.name, s.replicas]));
    const available = sortDescending(
      selected.map((c) => ({ name: c.cluster.name, replicas: c.allocatableReplicas + (held.get(c.cluster.name) ?? 0) })),
    );
    steps.push(`${label}, fresh reschedule of ${replicas} replicas: availability = allocatable + previously held, ${listText(available)}`);
    result = divideOverAvailability(mode, replicas, available, [], uid, steps);
  } else if (assigned > replicas) {
    const weights = sortDescending(scheduled);
    steps.push(`${label}, scale down ${assigned} → ${replicas}: divided in proportion to the previous replicas ${listText(weights)}`);
    result = divideOverAvailability(mode, replicas, weights, [], uid, steps);
  } else if (assigned < replicas) {
    const target = replicas - assigned;
    const available = sortDescending(selected.map((c) => ({ name: c.cluster.name, replicas: c.allocatableReplicas })));
    steps.push(
      assigned === 0 && scheduled.length === 0
        ? `${label}, first schedule of ${replicas} replicas: availability (allocatable) ${listText(available)}`
        : `${label}, scale up ${assigned} → ${replicas}: previous ${listText(scheduled)} kept, ` +
            `${target} more by availability (allocatable) ${listText(available)}`,
    );
    result = divideOverAvailability(mode, target, available, scheduled, uid, steps);
  } else {
    steps.push(`${label}: replicas unchanged (${replicas}), previous result kept`);
    result = scheduled;
  }
  const clusters = finish(result);
  steps.push(`→ ${resultText(clusters)}`);
  return { clusters, steps };
}

function tierName(tier: number): string {
  if (tier === 0) return 'primary affinity';
  if (tier >= 1000) return 'no affinity term';
  return `overflow affinity ${tier}`;
}

/**
 * Overflow affinities (assignWorkloadReplicas, docs/reference/semantics.md §3.8): tiers by overflowTier ascending;
 * each tier takes min(remaining, Σ its AvailableReplicas), divided inside the tier by `strategy` — a
 * dynamic mode (divideByAvailability with `uid`/`fresh`) or any TierDivision — which sees the whole
 * previous result, so a tier keeps what it held; later tiers only get the overflow.
 */
export function divideWithOverflow(
  strategy: AvailabilityMode | TierDivision,
  replicas: number,
  selected: readonly Candidate[],
  previous: readonly TargetCluster[],
  uid = '',
  fresh = false,
): DivisionResult {
  const divide: TierDivision =
    typeof strategy === 'function' ? strategy : (n, tier, prev) => divideByAvailability(strategy, n, tier, prev, uid, fresh);
  requireSelected(selected);
  const tiers = new Map<number, Candidate[]>();
  for (const c of selected) {
    const list = tiers.get(c.overflowTier);
    if (list) list.push(c);
    else tiers.set(c.overflowTier, [c]);
  }
  const steps: string[] = [];
  const results: TargetCluster[] = [];
  let remaining = replicas;
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const members = tiers.get(tier)!;
    const capacity = members.reduce((s, c) => s + c.availableReplicas, 0);
    const share = Math.min(remaining, capacity);
    steps.push(
      `${tierName(tier)} (${members
        .map((c) => c.cluster.name)
        .sort(compareStrings)
        .join(', ')}): available ${capacity}, takes ${share} of ${remaining} remaining`,
    );
    const part = divide(share, members, previous);
    steps.push(...part.steps.map((s) => `  ${s}`));
    results.push(...part.clusters);
    remaining -= share;
    if (remaining <= 0) break;
  }
  if (remaining > 0) {
    throw new ScheduleError('Unschedulable', 'Clusters available replicas are not enough to schedule.');
  }
  const clusters = finish(results.map((r) => ({ name: r.name, replicas: replicasOf(r) })));
  steps.push(`overflow result → ${resultText(clusters)}`);
  return { clusters, steps };
}

/**
 * flotilla extension `spreadConstraints[].maxSkew` (Divided only): moves replicas one at a time from
 * the largest group (ties: name asc) — from its cluster with the most replicas (ties: name desc) —
 * to the smallest group's cluster with the fewest replicas (ties: name asc), until the group totals
 * differ by at most maxSkew. Only groups of the given clusters count; pass 0-replica entries for
 * clusters that may receive replicas. Replicas are conserved. A skew that no single move can reduce
 * (e.g. maxSkew 0 with totals 3 and 2) is reported in the steps and left as close as possible.
 */
export function enforceMaxSkew(
  clusters: TargetCluster[],
  groupOf: (name: string) => string,
  maxSkew: number,
  field: string,
): DivisionResult {
  const skew = Math.max(0, Math.floor(maxSkew));
  const counts = new Map<string, number>();
  for (const c of clusters) counts.set(c.name, (counts.get(c.name) ?? 0) + replicasOf(c));
  const members = new Map<string, string[]>();
  for (const name of [...counts.keys()].sort(compareStrings)) {
    const g = groupOf(name);
    const list = members.get(g);
    if (list) list.push(name);
    else members.set(g, [name]);
  }
  const groupNames = [...members.keys()].sort(compareStrings);
  const totals = new Map(groupNames.map((g) => [g, members.get(g)!.reduce((s, n) => s + counts.get(n)!, 0)]));
  const steps: string[] = [];
  const moves = new Map<string, { from: string; to: string; n: number }>();

  for (;;) {
    let largest = groupNames[0]!;
    let smallest = groupNames[0]!;
    for (const g of groupNames) {
      if (totals.get(g)! > totals.get(largest)!) largest = g;
      if (totals.get(g)! < totals.get(smallest)!) smallest = g;
    }
    const diff = groupNames.length === 0 ? 0 : totals.get(largest)! - totals.get(smallest)!;
    if (diff <= skew) break;
    if (diff < 2) {
      // Moving one replica would only swap which group is larger.
      steps.push(`maxSkew ${skew} by ${field} cannot be met exactly: group totals differ by ${diff}`);
      break;
    }
    let from = '';
    for (const n of members.get(largest)!) {
      if (from === '' || counts.get(n)! > counts.get(from)! || (counts.get(n)! === counts.get(from)! && n > from)) from = n;
    }
    let to = '';
    for (const n of members.get(smallest)!) {
      if (to === '' || counts.get(n)! < counts.get(to)!) to = n; // names ascend, so ties keep the first
    }
    counts.set(from, counts.get(from)! - 1);
    counts.set(to, counts.get(to)! + 1);
    totals.set(largest, totals.get(largest)! - 1);
    totals.set(smallest, totals.get(smallest)! + 1);
    const key = `${from}\u0000${to}`;
    const m = moves.get(key);
    if (m) m.n++;
    else moves.set(key, { from, to, n: 1 });
  }

  const totalsText = groupNames.map((g) => `${g} ${totals.get(g)}`).join(', ');
  if (moves.size === 0) {
    steps.unshift(`maxSkew ${skew} by ${field}: group totals ${totalsText} already within the limit`);
  } else {
    const moveText = [...moves.values()].map((m) => `${m.n} from ${m.from} (${groupOf(m.from)}) to ${m.to} (${groupOf(m.to)})`).join('; ');
    steps.unshift(`maxSkew ${skew} by ${field}: moved ${moveText} → group totals ${totalsText}`);
  }
  const result = finish([...counts].map(([name, replicas]) => ({ name, replicas })));
  steps.push(`→ ${resultText(result)}`);
  return { clusters: result, steps };
}

/**
 * flotilla extension: an autoscaling/v2 HPA follows its workload, so its minReplicas and
 * maxReplicas are each divided over the workload's clusters in proportion to their replicas
 * (Webster starting from 1 seat each, so every cluster gets at least 1 even when the bound is
 * smaller than the number of clusters). Sorted by cluster name.
 */
export function divideHpaBounds(
  minReplicas: number,
  maxReplicas: number,
  split: readonly TargetCluster[],
  uid: string,
): Array<{ name: string; minReplicas: number; maxReplicas: number }> {
  if (split.length === 0) return [];
  const parties: Party[] = split.map((t) => ({ name: t.name, votes: replicasOf(t) }));
  const initial: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const t of split) initial[t.name] = 1;
  const tie = tieBreakerByUid(uid);
  const spread = (bound: number) =>
    new Map(allocateWebsterSeats(Math.max(0, Math.floor(bound) - split.length), parties, initial, tie).map((s) => [s.name, s.seats]));
  const mins = spread(minReplicas);
  const maxs = spread(maxReplicas);
  return [...mins.keys()].sort(compareStrings).map((name) => ({ name, minReplicas: mins.get(name)!, maxReplicas: maxs.get(name)! }));
}
