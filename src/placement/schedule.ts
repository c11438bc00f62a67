// Karmada's scheduling pipeline for one resource (docs/reference/semantics.md §3, generic_scheduler.go):
// filter → score → select (spread constraints) → assign replicas, keeping per-cluster reasons.
import type {
  Cluster,
  ClusterAffinity,
  ClusterVerdict,
  Manifest,
  Placement,
  PlacementResult,
  PolicyRef,
  PreviousPlacement,
  TargetCluster,
} from '../model/types.js';
import type { ObjectRef } from '../objects/identity.js';
import { FlotillaError } from '../model/diagnostics.js';
import { sortCandidates, ScheduleError, type Candidate } from './candidate.js';
import {
  divideByAvailability,
  divideByStaticWeight,
  divideDuplicated,
  divideWithOverflow,
  enforceMaxSkew,
  type DivisionResult,
} from './division.js';
import { estimateAllocatableReplicas, podRequestsOf } from './estimator.js';
import { filterCluster, fitErrorMessage, type FilterContext, type FilterFailure } from './filter.js';
import { matchesLabelSelector, clusterMatches } from '../objects/label-selector.js';
import { selectClusters } from './spread.js';
import { replicasOf } from './workload.js';

export interface ScheduleInput {
  resource: Manifest;
  placement: Placement;
  policy: PolicyRef;
  /** Every cluster the placement may use (a fleet's members for its default placement). */
  clusters: readonly Cluster[];
  previous?: PreviousPlacement;
  /**
   * False: the per-cluster verdicts and the explanation steps are not computed at all (the result
   * carries NO_DETAILS for both); everything else of the result is the same. Only `explain`, `plan`
   * and the dashboard show them, and filtering a hundred clusters per resource to say why each was
   * left out costs more than the scheduling itself. Default true.
   */
  details?: boolean;
}

/** The verdicts and explanation of a result scheduled without details: one frozen empty list, never filled. */
export const NO_DETAILS = Object.freeze([]) as unknown as never[];

/** Karmada's ClusterLocality score for clusters already in the previous result. */
const LOCALITY_SCORE = 100;
/** Karmada's MaxInt32 stand-in for "no estimate" (non-workloads). */
const UNLIMITED = 2147483647;

/** The identity of a manifest as the contract prints it. */
export function refOf(m: Manifest): ObjectRef {
  return { apiVersion: m.apiVersion, kind: m.kind, namespace: m.namespace, name: m.name };
}

function uidOf(m: Manifest): string {
  const uid = (m.object.metadata as { uid?: unknown } | undefined)?.uid;
  return typeof uid === 'string' ? uid : '';
}

/** Labels a preference can match: the cluster's labels, plus provider/region/zone from its fields. */
function preferenceLabels(c: Cluster): Record<string, string> {
  const extra: Record<string, string> = {};
  if (c.provider) extra.provider = c.provider;
  if (c.region) extra.region = c.region;
  if (c.zones.length === 1) extra.zone = c.zones[0]!;
  return { ...extra, ...c.labels };
}

interface Attempt {
  clusters: TargetCluster[];
  verdicts: ClusterVerdict[];
  explanation: string[];
}

class AttemptError extends Error {
  constructor(
    readonly failure: ScheduleError,
    readonly verdicts: ClusterVerdict[],
    readonly explanation: string[],
  ) {
    super(failure.message);
  }
}

/** Schedules one resource; never throws for scheduling failures (they become `error`). */
export function scheduleResource(input: ScheduleInput): PlacementResult {
  const { resource, placement } = input;
  const replicas = replicasOf(resource);
  const base = { resource: refOf(resource), policy: input.policy, replicas };
  const terms = placement.clusterAffinities ?? [];
  const details = input.details ?? true;

  if (terms.length === 0) {
    try {
      const a = attempt(input, placement.clusterAffinity, [], null);
      return { ...base, clusters: a.clusters, error: null, affinityName: null, explanation: a.explanation, verdicts: a.verdicts };
    } catch (e) {
      if (!(e instanceof AttemptError)) throw e;
      return { ...base, clusters: [], error: e.failure.message, affinityName: null, explanation: e.explanation, verdicts: e.verdicts };
    }
  }

  // §3.7: start at the observed term, try the following ones in order, never go back on our own.
  const observed = input.previous?.affinityName ?? null;
  let start = terms.findIndex((t) => t.affinityName === observed);
  if (start < 0) start = 0;
  const explanation: string[] = [];
  let first: AttemptError | null = null;
  for (let i = start; i < terms.length; i++) {
    const term = terms[i]!;
    try {
      const a = attempt(input, term, term.overflowAffinities ?? [], term.affinityName);
      if (details) explanation.push(...a.explanation);
      const kept = details ? explanation : NO_DETAILS;
      return { ...base, clusters: a.clusters, error: null, affinityName: term.affinityName, explanation: kept, verdicts: a.verdicts };
    } catch (e) {
      if (!(e instanceof AttemptError)) throw e;
      if (details) explanation.push(...e.explanation, `clusterAffinities term "${term.affinityName}" failed: ${e.failure.message}`);
      first ??= e;
    }
  }
  const err = first!;
  const kept = details ? explanation : NO_DETAILS;
  return { ...base, clusters: [], error: err.failure.message, affinityName: observed, explanation: kept, verdicts: err.verdicts };
}

/** One attempt's per-cluster verdicts and explanation so far; an AttemptError carries both. */
interface AttemptRecord {
  /** False: nothing is recorded (ScheduleInput.details); verdicts and explanation stay empty. */
  details: boolean;
  verdicts: Map<string, ClusterVerdict>;
  explanation: string[];
}

/** Ends the attempt with `error`, the verdicts so far and the explanation followed by the error's message. */
function failAttempt(record: AttemptRecord, error: ScheduleError): never {
  if (!record.details) throw new AttemptError(error, NO_DETAILS, NO_DETAILS);
  throw new AttemptError(error, [...record.verdicts.values()], [...record.explanation, error.message]);
}

/** What the replica estimate and the overflow tiers of one attempt need to know about the resource. */
interface ScoringInput {
  affinity: ClusterAffinity | undefined;
  overflow: readonly ClusterAffinity[];
  termName: string | null;
  /** Replicas per cluster in the previous placement. */
  prevReplicas: ReadonlyMap<string, number>;
  isWorkload: boolean;
  requests: Record<string, number> | undefined;
  replicas: number | null;
}

/** One pass of the pipeline with one affinity term: filter, score, select, assign replicas. */
function attempt(
  input: ScheduleInput,
  affinity: ClusterAffinity | undefined,
  overflow: readonly ClusterAffinity[],
  termName: string | null,
): Attempt {
  const { resource, placement, previous } = input;
  const replicas = replicasOf(resource);
  const requests = podRequestsOf(resource.object);
  const isWorkload = replicas !== null && (replicas > 0 || requests !== undefined);
  const prevReplicas = new Map((previous?.clusters ?? []).map((c) => [c.name, c.replicas ?? 0]));
  const ctx: FilterContext = {
    resource: refOf(resource),
    affinity,
    overflow: isWorkload ? overflow : [],
    placement,
    previous: new Set(prevReplicas.keys()),
    ...(previous?.evicted?.length ? { evicted: new Set(previous.evicted) } : {}),
  };
  const record: AttemptRecord = { details: input.details ?? true, verdicts: new Map(), explanation: [] };
  if (termName && record.details) record.explanation.push(`using clusterAffinities term "${termName}"`);

  const feasible = filterFeasible(input.clusters, ctx, record);
  const scoring: ScoringInput = { affinity, overflow, termName, prevReplicas, isWorkload, requests, replicas };
  const sorted = scoreCandidates(feasible, scoring, record);
  const selected = selectCandidates(sorted, placement, replicas, record);
  let division: DivisionResult;
  try {
    division = assignReplicas(input, selected, replicas, isWorkload, termName !== null && overflow.length > 0);
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    failAttempt(record, e);
  }
  division = { ...division, clusters: division.clusters.filter((c) => c.replicas === null || c.replicas > 0 || !isWorkload) };
  if (!record.details) return { clusters: division.clusters, verdicts: NO_DETAILS, explanation: NO_DETAILS };
  record.explanation.push(...division.steps);
  for (const t of division.clusters) {
    const v = record.verdicts.get(t.name)!;
    v.selected = true;
    v.replicas = t.replicas;
  }
  for (const c of selected) {
    const v = record.verdicts.get(c.cluster.name)!;
    if (!v.selected) v.reasons.push('selected, but received 0 replicas');
  }
  return { clusters: division.clusters, verdicts: [...record.verdicts.values()], explanation: record.explanation };
}

/** The clusters that pass the filters, in name order; each cluster gets a verdict. None passing fails the attempt. */
function filterFeasible(candidates: readonly Cluster[], ctx: FilterContext, record: AttemptRecord): Cluster[] {
  const { verdicts } = record;
  const failures: FilterFailure[] = [];
  const feasible: Cluster[] = [];
  const clusters = sortedByName(candidates);
  let live = 0;
  const details = record.details;
  for (const c of clusters) {
    if (c.deleting) {
      if (details) verdicts.set(c.name, rejectedVerdict(c, '', 'cluster is being deleted (metadata.deletionTimestamp)'));
      continue;
    }
    live++;
    const f = filterCluster(c, ctx);
    if (f) {
      failures.push(f);
      if (details) verdicts.set(c.name, rejectedVerdict(c, f.plugin, f.detail));
      continue;
    }
    if (details) {
      verdicts.set(c.name, {
        name: c.name,
        feasible: true,
        reasons: [],
        score: 0,
        availableReplicas: null,
        selected: false,
        replicas: null,
      });
    }
    feasible.push(c);
  }
  // Karmada counts every cluster of the snapshot, those being deleted included.
  if (feasible.length === 0) failAttempt(record, new ScheduleError('NoClusterFit', fitErrorMessage(clusters.length, failures)));
  if (details) record.explanation.push(`${feasible.length}/${live} clusters passed the filters: ${feasible.map((c) => c.name).join(', ')}`);
  return feasible;
}

/** The feasible clusters as candidates, sorted: locality and preference scores, estimated replicas, overflow tier. */
function scoreCandidates(feasible: readonly Cluster[], s: ScoringInput, record: AttemptRecord): Candidate[] {
  const preferred = s.affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  const candidates: Candidate[] = feasible.map((c) => {
    let score = s.prevReplicas.has(c.name) ? LOCALITY_SCORE : 0;
    for (const p of preferred) if (matchesLabelSelector(p.preference, preferenceLabels(c))) score += p.weight;
    const allocatable = s.isWorkload ? estimate(c, s.requests, s.replicas!, record) : UNLIMITED;
    const tier = overflowTier(c, s.affinity, s.overflow, s.termName);
    const v = record.verdicts.get(c.name);
    if (v) {
      v.score = score;
      v.availableReplicas = s.isWorkload ? allocatable + (s.prevReplicas.get(c.name) ?? 0) : null;
    }
    return {
      cluster: c,
      score,
      allocatableReplicas: allocatable,
      availableReplicas: allocatable + (s.prevReplicas.get(c.name) ?? 0),
      overflowTier: tier,
    };
  });
  const sorted = sortCandidates(candidates);
  if (record.details && (preferred.length > 0 || s.prevReplicas.size > 0)) {
    record.explanation.push(`scores: ${sorted.map((c) => `${c.cluster.name} ${c.score}`).join(', ')}`);
  }
  return sorted;
}

/** The candidates the spread constraints select (the dropped ones say why); selecting none fails the attempt. */
function selectCandidates(sorted: Candidate[], placement: Placement, replicas: number | null, record: AttemptRecord): Candidate[] {
  let selected: Candidate[];
  try {
    const selection = selectClusters(sorted, placement, replicas ?? 0);
    if (record.details) {
      record.explanation.push(...selection.steps);
      for (const [name, why] of selection.dropped) record.verdicts.get(name)?.reasons.push(why);
    }
    selected = selection.selected;
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    failAttempt(record, e);
  }
  if (selected.length === 0) failAttempt(record, new ScheduleError('Unschedulable', 'no clusters available to schedule'));
  return selected;
}

// Most clusters are filtered out of most placements for the same reason (an affinity, a taint), so
// their verdicts are shared, frozen objects: a 10,000-resource × 100-cluster fleet keeps one per
// (cluster, reason) instead of a million copies. Keyed by the Cluster object, they go with the model.
const rejectedVerdicts = new WeakMap<Cluster, Map<string, Map<string, ClusterVerdict>>>();

function rejectedVerdict(c: Cluster, plugin: string, detail: string): ClusterVerdict {
  let byPlugin = rejectedVerdicts.get(c);
  if (!byPlugin) rejectedVerdicts.set(c, (byPlugin = new Map()));
  let byDetail = byPlugin.get(plugin);
  if (!byDetail) byPlugin.set(plugin, (byDetail = new Map()));
  let v = byDetail.get(detail);
  if (!v) {
    const reason = plugin ? `filtered out by ${plugin}: ${detail}` : detail;
    v = Object.freeze({
      name: c.name,
      feasible: false,
      reasons: Object.freeze([reason]) as unknown as string[],
      score: 0,
      availableReplicas: null,
      selected: false,
      replicas: null,
    });
    byDetail.set(detail, v);
  }
  return v;
}

/** The clusters in name order; the model's list already is, so usually no copy is made. */
function sortedByName(clusters: readonly Cluster[]): readonly Cluster[] {
  for (let i = 1; i < clusters.length; i++) {
    if (clusters[i - 1]!.name > clusters[i]!.name) return [...clusters].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  return clusters;
}

function estimate(c: Cluster, requests: Record<string, number> | undefined, replicas: number, record: AttemptRecord): number {
  try {
    return estimateAllocatableReplicas(c, requests, replicas);
  } catch (e) {
    if (!(e instanceof FlotillaError)) throw e;
    failAttempt(record, new ScheduleError('Unschedulable', `cannot estimate the capacity of cluster ${c.name}: ${e.message}`));
  }
}

function overflowTier(
  c: Cluster,
  affinity: ClusterAffinity | undefined,
  overflow: readonly ClusterAffinity[],
  termName: string | null,
): number {
  if (termName === null) return 1000;
  if (!affinity || clusterMatches(c, affinity)) return 0;
  const k = overflow.findIndex((a) => clusterMatches(c, a));
  return k < 0 ? 1000 : k + 1;
}

/** §4: the division strategy; non-workloads go whole to every selected cluster. */
function assignReplicas(
  input: ScheduleInput,
  selected: readonly Candidate[],
  replicas: number | null,
  isWorkload: boolean,
  overflowActive: boolean,
): DivisionResult {
  const byName = (a: TargetCluster, b: TargetCluster) => (a.name < b.name ? -1 : 1);
  if (!isWorkload) {
    return {
      clusters: selected.map((c) => ({ name: c.cluster.name, replicas })).sort(byName),
      steps: [
        replicas === null
          ? `not a workload: sent whole to ${selected.length} cluster(s)`
          : `0 replicas: sent to ${selected.length} cluster(s) with replicas 0`,
      ],
    };
  }
  const n = replicas!;
  const rs = input.placement.replicaScheduling;
  const uid = uidOf(input.resource);
  const previous = input.previous?.clusters ?? [];
  // A triggered reschedule: Karmada's Fresh mode (docs/reference/semantics.md §4.3); static weights ignore the previous result anyway.
  const fresh = input.previous?.fresh === true;
  if (!rs || rs.replicaSchedulingType === 'Duplicated') return divideDuplicated(n, selected);
  if (rs.replicaSchedulingType !== 'Divided') {
    throw new ScheduleError(
      'InvalidStrategy',
      `unsupported replica scheduling strategy, replicaSchedulingType: ${String(rs.replicaSchedulingType)}`,
    );
  }
  const preference = rs.replicaDivisionPreference ?? 'Weighted';
  const dynamic = !!rs.weightPreference?.dynamicWeight;
  let result: DivisionResult;
  if (overflowActive && (preference === 'Aggregated' || dynamic)) {
    result = divideWithOverflow(preference === 'Aggregated' ? 'Aggregated' : 'DynamicWeight', n, selected, previous, uid, fresh);
  } else if (preference === 'Aggregated') {
    result = divideByAvailability('Aggregated', n, selected, previous, uid, fresh);
  } else if (preference === 'Weighted' && dynamic) {
    result = divideByAvailability('DynamicWeight', n, selected, previous, uid, fresh);
  } else if (preference === 'Weighted') {
    result = divideByStaticWeight(n, selected, rs.weightPreference?.staticWeightList, uid);
  } else {
    throw new ScheduleError('InvalidStrategy', `unsupported replica scheduling strategy, replicaDivisionPreference: ${String(preference)}`);
  }
  return applySkewLimits(result, input.placement, selected);
}

/** flotilla extension: maxSkew on region/zone/provider/cluster spread constraints of Divided placements. */
function applySkewLimits(result: DivisionResult, placement: Placement, selected: readonly Candidate[]): DivisionResult {
  const rules = [
    ...placement.spreadConstraints
      .filter((c) => c.maxSkew !== undefined && c.spreadByField)
      .map((c) => ({ field: c.spreadByField!, maxSkew: c.maxSkew! })),
    ...(placement.skewConstraints ?? []),
  ];
  const byName = new Map(selected.map((c) => [c.cluster.name, c.cluster]));
  let out = result;
  for (const rule of rules) {
    const groupOf = (name: string): string => {
      const c = byName.get(name);
      if (!c) return name;
      switch (rule.field) {
        case 'region':
          return c.region;
        case 'zone':
          return c.zones[0] ?? '';
        case 'provider':
          return c.provider;
        default:
          return c.name;
      }
    };
    // Selected clusters that got 0 replicas take part, so their group can receive some.
    const have = new Set(out.clusters.map((c) => c.name));
    const all = [...out.clusters, ...selected.filter((c) => !have.has(c.cluster.name)).map((c) => ({ name: c.cluster.name, replicas: 0 }))];
    const skewed = enforceMaxSkew(all, groupOf, rule.maxSkew, rule.field);
    out = { clusters: skewed.clusters, steps: [...out.steps, ...skewed.steps] };
  }
  return out;
}
