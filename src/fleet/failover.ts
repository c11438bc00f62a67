// spec.failover of a PropagationPolicy (docs/reference/semantics.md §1.1, §4.5): Karmada's
// ApplicationFailoverBehavior with the defaults its mutating webhook sets and the checks of its
// validating webhook (pkg/util/validation: ValidateApplicationFailover). The reconciler acts on it
// with live health (src/live/application-failover.ts); what flotilla does not implement
// (statePreservation, per-policy cluster failover) is reported, never silently ignored.
import type { ApplicationFailover, FieldPath, PurgeMode } from '../model/types.js';
import { has, type ManifestReader } from '../model/fields.js';
import { isMap } from '../objects/json.js';

/** Karmada's defaults: decisionConditions.tolerationSeconds and gracePeriodSeconds (with Graciously). */
const DEFAULT_TOLERATION_SECONDS = 300;
export const DEFAULT_GRACE_PERIOD_SECONDS = 600;

/** purgeMode values, with the spellings newer Karmada releases use for the first two. */
const PURGE_MODES: Readonly<Record<string, PurgeMode>> = {
  Immediately: 'Immediately',
  Directly: 'Immediately',
  Graciously: 'Graciously',
  Gracefully: 'Graciously',
  Never: 'Never',
};

/** spec.failover: the application failover it asks for (undefined: none, or the policy is invalid). */
export function parseFailover(r: ManifestReader, spec: Record<string, unknown>): ApplicationFailover | undefined {
  if (!has(spec, 'failover')) return undefined;
  const failover = r.record(spec.failover, ['spec', 'failover']);
  if (!failover) return undefined;
  if (has(failover, 'cluster'))
    r.unsupported(
      'warning',
      ['spec', 'failover', 'cluster'],
      'per-policy cluster failover is not done; the reconciler moves replicas off clusters that stop answering for every ' +
        'resource alike (the kubernetes target’s failover settings)',
    );
  if (!has(failover, 'application')) return undefined;
  return parseApplication(r, failover.application, ['spec', 'failover', 'application']);
}

function parseApplication(r: ManifestReader, value: unknown, path: FieldPath): ApplicationFailover | undefined {
  const app = r.record(value, path);
  if (!app) return undefined;
  const before = r.errors;
  // decisionConditions is +required in Karmada's API; its tolerationSeconds defaults to 300.
  if (!has(app, 'decisionConditions')) r.error('INVALID_POLICY', 'spec.failover.application.decisionConditions is required', path);
  const conditions = isMap(app.decisionConditions) ? app.decisionConditions : {};
  if (has(app, 'decisionConditions')) r.record(app.decisionConditions, [...path, 'decisionConditions']);
  const tolerationPath = [...path, 'decisionConditions', 'tolerationSeconds'];
  const tolerationSeconds = r.integer(conditions.tolerationSeconds, tolerationPath) ?? DEFAULT_TOLERATION_SECONDS;
  if (tolerationSeconds < 0)
    r.error(
      'INVALID_POLICY',
      `spec.failover.application.decisionConditions.tolerationSeconds ${tolerationSeconds}: must be >= 0`,
      tolerationPath,
    );
  const rawMode = r.string(app.purgeMode, [...path, 'purgeMode']) || 'Graciously';
  const purgeMode = PURGE_MODES[rawMode];
  if (!purgeMode)
    r.error(
      'INVALID_POLICY',
      `spec.failover.application.purgeMode: unsupported value "${rawMode}", must be Immediately, Graciously or Never`,
      [...path, 'purgeMode'],
    );
  const gracePath = [...path, 'gracePeriodSeconds'];
  const grace = r.integer(app.gracePeriodSeconds, gracePath);
  if (grace !== undefined && purgeMode && purgeMode !== 'Graciously')
    r.error('INVALID_POLICY', `spec.failover.application.gracePeriodSeconds only takes effect when purgeMode is Graciously`, gracePath);
  if (grace !== undefined && grace <= 0)
    r.error('INVALID_POLICY', `spec.failover.application.gracePeriodSeconds ${grace}: must be greater than 0`, gracePath);
  if (has(app, 'statePreservation'))
    r.unsupported(
      'warning',
      [...path, 'statePreservation'],
      'the state of the evicted copy is not injected into the new ones as labels; the workload is evicted and rescheduled without it',
    );
  if (r.errors > before || !purgeMode) return undefined;
  return {
    tolerationSeconds,
    purgeMode,
    gracePeriodSeconds: purgeMode === 'Graciously' ? (grace ?? DEFAULT_GRACE_PERIOD_SECONDS) : null,
  };
}
