// A canary across the fleet as a pure state machine (docs/reference/semantics.md §9): a new pod
// template of a workload under a rollout starts it; each check interval one analysis (pods ready,
// metrics within their thresholdRange) either advances the canary's weight one step, counts a
// failure, or — after checkFailedTimes failures or past rolloutTimeoutSeconds — rolls it back.
// With clusters OneFirst the steps run with the canary on one cluster, then once more on every
// cluster at the last weight, then it is promoted. The state is plain data kept on the status branch.
import type { RolloutConfig } from './rollout-config.js';

export type CanaryPhase = 'Progressing' | 'Promoted' | 'RolledBack';

export interface CanaryState {
  /** Identity of the workload (objects/identity.ts key). */
  workload: string;
  phase: CanaryPhase;
  /** Hash of the pod template in force (the primary runs it). */
  stableHash: string;
  /** The stable pod template itself: what the primary renders while a canary runs or after a rollback. */
  stableTemplate: Record<string, unknown>;
  /** Hash of the template under test (null: none). */
  canaryHash: string | null;
  /** Index into the rollout's steps (-1: not started). */
  step: number;
  /** The canary's share of traffic now. */
  weight: number;
  /** Whether the canary runs on every cluster (OneFirst: after the steps on the first). */
  allClusters: boolean;
  failedChecks: number;
  startedAt: number;
  lastCheckAt: number;
  /** Why it rolled back (the failing metric and value, or the timeout), or what the last check found. */
  message: string | null;
}

/** One analysis: null when every check passed, else what failed. */
export interface CanaryCheck {
  failure: string | null;
}

/** A workload with a rollout as the repository declares it now. */
export interface DeclaredTemplate {
  workload: string;
  hash: string;
  template: Record<string, unknown>;
}

/** The progress fields of a run that has not started yet: no step, no weight, no checks, timed from `now`. */
function unstarted(
  now: number,
): Pick<CanaryState, 'step' | 'weight' | 'allClusters' | 'failedChecks' | 'startedAt' | 'lastCheckAt' | 'message'> {
  return { step: -1, weight: 0, allClusters: false, failedChecks: 0, startedAt: now, lastCheckAt: now, message: null };
}

/** The state for a workload seen for the first time: what the repository declares is stable (nothing to compare with). */
export function initialCanary(d: DeclaredTemplate, now: number): CanaryState {
  return {
    workload: d.workload,
    phase: 'Promoted',
    stableHash: d.hash,
    stableTemplate: d.template,
    canaryHash: null,
    ...unstarted(now),
  };
}

/**
 * What a new declaration does to the state: a template other than the stable one and the one last
 * rolled back starts a canary (a new commit during a canary restarts it with the newer template);
 * the stable template again ends any canary without analysis (Git went back).
 */
export function declare(state: CanaryState, d: DeclaredTemplate, now: number): CanaryState {
  if (d.hash === state.stableHash) {
    return state.canaryHash === null && state.phase === 'Promoted'
      ? state
      : { ...initialCanary(d, now), stableTemplate: state.stableTemplate };
  }
  if (d.hash === state.canaryHash) return state;
  return { ...state, phase: 'Progressing', canaryHash: d.hash, ...unstarted(now) };
}

/**
 * One pass of the canary at `now`. Before the first check the canary starts at step 0 at once (its
 * pods must exist to be checked); afterwards a check counts only once per check interval.
 * `declared` carries the declared template, which becomes the stable one on promotion.
 */
export function advanceCanary(
  state: CanaryState,
  rollout: Pick<RolloutConfig, 'steps' | 'checkIntervalSeconds' | 'checkFailedTimes' | 'rolloutTimeoutSeconds' | 'suspend' | 'clusters'>,
  check: CanaryCheck,
  now: number,
  declared: DeclaredTemplate,
  /** The check could not be made (a metric query failed): neither a step nor a failure, only the timeout counts. */
  held = false,
): CanaryState {
  if (state.phase !== 'Progressing' || rollout.suspend) return state;
  if (state.step < 0)
    return { ...state, step: 0, weight: rollout.steps[0] ?? 0, allClusters: rollout.clusters === 'All', lastCheckAt: now };
  if (now - state.startedAt >= rollout.rolloutTimeoutSeconds * 1000) {
    const why = check.failure ? `; last check: ${check.failure}` : '';
    return rolledBack(state, now, `no promotion within rolloutTimeoutSeconds ${rollout.rolloutTimeoutSeconds}${why}`);
  }
  if (held || now - state.lastCheckAt < rollout.checkIntervalSeconds * 1000) return state;
  if (check.failure) {
    const failedChecks = state.failedChecks + 1;
    if (failedChecks >= rollout.checkFailedTimes) return rolledBack({ ...state, failedChecks }, now, check.failure);
    return {
      ...state,
      failedChecks,
      lastCheckAt: now,
      message: `check ${failedChecks} of ${rollout.checkFailedTimes} failed: ${check.failure}`,
    };
  }
  const last = rollout.steps.length - 1;
  if (state.step < last) return { ...state, step: state.step + 1, weight: rollout.steps[state.step + 1]!, lastCheckAt: now, message: null };
  if (!state.allClusters)
    return { ...state, allClusters: true, lastCheckAt: now, message: 'steps passed on the first cluster: canary on every cluster' };
  return {
    ...state,
    phase: 'Promoted',
    stableHash: declared.hash,
    stableTemplate: declared.template,
    canaryHash: null,
    weight: 0,
    allClusters: false,
    lastCheckAt: now,
    message: `promoted after ${rollout.steps.length} step(s)`,
  };
}

function rolledBack(state: CanaryState, now: number, why: string): CanaryState {
  return { ...state, phase: 'RolledBack', weight: 0, lastCheckAt: now, message: why };
}
