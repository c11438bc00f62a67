// `flotilla reconcile --once --wait[=DURATION]`: after the pass, keep reconciling until every
// workload it applied to the live clusters is Healthy or the time is up — what `flux reconcile`
// and `argocd app wait --health` do. Each further pass reads the live objects again (and corrects
// drift, as any poll would); nothing new is written when nothing changed, and the status branch
// gets a commit only when the status says something new (Progressing → Synced).
import type { Clock, ReconcileOutcome, UnhealthyObject } from './context.js';
import type { Reconcilable } from './loop.js';

/** How long `--wait` waits when given no duration. */
export const DEFAULT_WAIT_MS = 5 * 60_000;
/** Time between two passes while waiting. */
export const WAIT_INTERVAL_MS = 5_000;
/** The longest `--wait` accepted. */
const MAX_WAIT_MS = 24 * 3_600_000;

/** "5m", "90s", "1h30m", "45" (seconds) → milliseconds; null when it is not a duration between 1 s and 24 h. */
export function parseWaitDuration(text: string): number | null {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (m && text !== '') ms = (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000;
  else return null;
  return ms >= 1000 && ms <= MAX_WAIT_MS ? ms : null;
}

/** "5m0s", as durations are printed. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s % 60}s`;
}

/**
 * Whether a pass is worth waiting on: it applied its revision and only the health of what it
 * applied keeps it below Synced (rollouts in progress, unhealthy workloads, drift just corrected).
 * A failed, invalid, held-back or partly applied pass is not waited on: its exit status says so now.
 */
export function awaitsHealth(o: ReconcileOutcome): boolean {
  if (o.unhealthy.length === 0) return false;
  if (o.phase === 'Progressing') return true;
  return o.phase === 'Degraded' && (o.reason === 'Unhealthy' || o.reason === 'DriftCorrected');
}

export interface WaitResult {
  outcome: ReconcileOutcome;
  /** The time ran out with objects still not Healthy (outcome.unhealthy lists them). */
  timedOut: boolean;
  /** Passes run while waiting (after the first). */
  passes: number;
  waitedMs: number;
}

/** Reconciles every WAIT_INTERVAL_MS until `awaitsHealth` is false or `timeoutMs` has passed. */
export async function waitForHealth(
  reconciler: Reconcilable,
  first: ReconcileOutcome,
  opts: { clock: Clock; timeoutMs: number; intervalMs?: number },
): Promise<WaitResult> {
  const { clock } = opts;
  const start = clock.now();
  let outcome = first;
  let passes = 0;
  while (awaitsHealth(outcome)) {
    const left = start + opts.timeoutMs - clock.now();
    if (left <= 0) return { outcome, timedOut: true, passes, waitedMs: clock.now() - start };
    await clock.sleep(Math.min(opts.intervalMs ?? WAIT_INTERVAL_MS, left));
    outcome = await reconciler.reconcileOnce();
    passes++;
  }
  return { outcome, timedOut: false, passes, waitedMs: clock.now() - start };
}

/** "cluster a: Deployment default/web: Progressing (1 of 2 replicas updated)", one line per object. */
export function unhealthyLines(objects: readonly UnhealthyObject[]): string[] {
  return objects.map((o) => `  ${o.cluster}: ${o.object}: ${o.health}${o.message ? ` (${o.message})` : ''}`);
}
