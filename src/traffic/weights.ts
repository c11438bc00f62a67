// Adaptive VirtualService weights (docs/reference/semantics.md §8): the declared weight of each
// destination scaled by its healthy share (ready / desired replicas on the clusters the route
// reaches) and optionally by a latency factor, renormalised to 100 with Webster's apportionment
// (the division code of replicas), within floors and ceilings, and changed only past a hysteresis
// band so traffic does not flap. Pure: the same inputs give the same weights and the same steps.
import { allocateWebsterSeats, type Party } from '../placement/webster.js';

/** What was observed of one destination. */
export interface DestinationInput {
  /** `host` or `host/subset`: names the destination in the steps and on the status branch. */
  name: string;
  declared: number;
  /** Ready replicas of the destination's workloads on the reached clusters. */
  ready: number;
  /** Desired replicas of those workloads there (0: none desired). */
  desired: number;
  /** The latency metric's value (lower is better), null: not asked for or not known. */
  latency: number | null;
}

export interface WeightSettings {
  /** Minimum weight of a destination that has healthy replicas (0–100). */
  floor: number;
  /** Maximum weight of any destination (0–100). */
  ceiling: number;
  /** Effective weights change only when one would move by at least this many points. */
  hysteresis: number;
}

export const DEFAULT_WEIGHT_SETTINGS: WeightSettings = { floor: 0, ceiling: 100, hysteresis: 5 };

export interface WeightResult {
  weights: number[];
  /** The arithmetic, one line per step, as `explain` and the status branch show it. */
  steps: string[];
}

/** Votes are the scaled weights in millionths: integer input for Webster, fine enough for any weight. */
const VOTE_SCALE = 1_000_000;

function apportion(total: number, names: readonly string[], raw: readonly number[]): number[] {
  const parties: Party[] = names.map((name, i) => ({ name: String(i).padStart(4, '0') + name, votes: Math.round(raw[i]! * VOTE_SCALE) }));
  const seats = new Map(allocateWebsterSeats(total, parties).map((s) => [s.name, s.seats]));
  return parties.map((p) => seats.get(p.name) ?? 0);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}

/**
 * Webster over 100 points by `raw`, then floors and ceilings: a destination pushed past its bound
 * is fixed at it and the rest is apportioned again over the others (at most one round per
 * destination). Bounds that cannot all hold (floors over 100, ceilings under it) are dropped, said so.
 */
function boundedApportion(names: readonly string[], raw: readonly number[], s: WeightSettings, steps: string[]): number[] {
  const live = raw.map((r) => r > 0);
  const n = live.filter(Boolean).length;
  if (s.floor * n > 100 || s.ceiling * n < 100) {
    steps.push(`floor ${s.floor} and ceiling ${s.ceiling} cannot hold over ${n} live destination(s): not applied`);
    return apportion(100, names, raw);
  }
  const fixed = new Map<number, number>();
  let weights = apportion(100, names, raw);
  for (let round = 0; round < names.length; round++) {
    const breach = weights.findIndex((w, i) => live[i] && !fixed.has(i) && (w < s.floor || w > s.ceiling));
    if (breach < 0) break;
    for (const [i, w] of weights.entries())
      if (live[i] && !fixed.has(i) && (w < s.floor || w > s.ceiling)) fixed.set(i, w < s.floor ? s.floor : s.ceiling);
    const left = 100 - [...fixed.values()].reduce((a, b) => a + b, 0);
    const free = raw.map((r, i) => (fixed.has(i) ? 0 : r));
    const rest = free.some((r) => r > 0) ? apportion(Math.max(left, 0), names, free) : raw.map(() => 0);
    weights = rest.map((w, i) => fixed.get(i) ?? w);
    steps.push(
      `bounds [${s.floor}, ${s.ceiling}]: ${[...fixed].map(([i, w]) => `${names[i]}=${w}`).join(', ')} fixed, ` +
        `${left} apportioned over the others → ${weights.join('/')}`,
    );
  }
  return weights;
}

/**
 * The effective weights of one route. `previous`: the effective weights in force (same
 * destinations, same order), kept unless a weight moves by the hysteresis band or more, or a
 * destination gains or loses all its healthy replicas (never keep traffic on nothing).
 */
export function adaptiveWeights(
  destinations: readonly DestinationInput[],
  settings: WeightSettings,
  previous: readonly number[] | null,
): WeightResult {
  const steps: string[] = [];
  const names = destinations.map((d) => d.name);
  const declared = destinations.map((d) => d.declared);
  const share = destinations.map((d) => (d.desired > 0 ? Math.min(d.ready, d.desired) / d.desired : 0));
  steps.push(
    `declared ${declared.join('/')}; healthy share ` +
      destinations.map((d, i) => `${d.name} ${d.ready}/${d.desired}=${fmt(share[i]!)}`).join(', '),
  );
  const latencies = destinations.map((d) => d.latency);
  let factor = destinations.map(() => 1);
  if (latencies.every((l): l is number => l !== null && l > 0)) {
    const best = Math.min(...latencies);
    factor = latencies.map((l) => best / l);
    steps.push(
      `latency ${destinations.map((d, i) => `${d.name} ${fmt(latencies[i]!)}`).join(', ')} → ` +
        `factor best/latency ${factor.map(fmt).join('/')}`,
    );
  } else if (latencies.some((l) => l !== null)) {
    steps.push('latency not known for every destination: not used');
  }
  const raw = declared.map((w, i) => w * share[i]! * factor[i]!);
  if (raw.every((r) => r === 0)) {
    const weights = [...declared];
    steps.push(
      declared.some((w, i) => w > 0 && share[i]! > 0)
        ? 'nothing left to apportion: declared weights stand'
        : `no destination with weight has healthy replicas: declared weights stand → ${weights.join('/')}`,
    );
    return { weights, steps };
  }
  steps.push(`declared × share × factor = ${raw.map(fmt).join('/')}`);
  const computed = boundedApportion(names, raw, settings, steps);
  steps.push(`Webster over 100 → ${computed.join('/')}`);
  if (previous && previous.length === computed.length) {
    const moved = Math.max(...computed.map((w, i) => Math.abs(w - previous[i]!)));
    if (moved === 0) return { weights: computed, steps };
    const emptied = computed.some((w, i) => (w === 0) !== (previous[i] === 0));
    if (!emptied && moved < settings.hysteresis) {
      steps.push(`largest move ${moved} < hysteresis ${settings.hysteresis}: keep ${previous.join('/')}`);
      return { weights: [...previous], steps };
    }
    if (moved > 0)
      steps.push(
        emptied
          ? 'a destination gained or lost all healthy traffic: apply'
          : `largest move ${moved} ≥ hysteresis ${settings.hysteresis}: apply`,
      );
  }
  return { weights: computed, steps };
}
