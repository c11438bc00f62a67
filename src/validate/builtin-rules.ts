// Cross-field rules the Kubernetes API server enforces beyond what its schema says (a schema types
// replicas as int32; validation then refuses -3). Each rule names the API server validation it
// mirrors (k8s.io/kubernetes, pkg/apis/<group>/validation/validation.go) and is checked on every
// object of the models it lists, wherever it appears: a PodSpec rule covers a Pod, a Deployment's
// template and a CronJob's job template alike. Every violation is an error SCHEMA_INVALID.
import type { FieldPath } from '../model/types.js';

/** Reports a violation at a path relative to the checked object. */
export type RuleReport = (path: FieldPath, message: string) => void;

export interface ApiServerRule {
  /** Unversioned model names (DeploymentSpec), so every version of a kind is covered. */
  models: readonly string[];
  /** The API server validation the rule mirrors. */
  mirrors: string;
  check(object: Record<string, unknown>, report: RuleReport): void;
}

const MAX_PORT = 65535;

/** Integers only: a value of the wrong type is the schema's SCHEMA_TYPE, not a rule's business. */
function integerAt(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function nonNegative(o: Record<string, unknown>, keys: readonly string[], report: RuleReport): void {
  for (const key of keys) {
    const v = integerAt(o, key);
    if (v !== undefined && v < 0) report([key], `${key} must be greater than or equal to 0, found ${v}`);
  }
}

function portInRange(o: Record<string, unknown>, key: string, report: RuleReport, zeroAllowed: boolean): void {
  const v = integerAt(o, key);
  if (v === undefined || (zeroAllowed && v === 0)) return;
  if (v < 1 || v > MAX_PORT) report([key], `${key} must be between 1 and ${MAX_PORT}, found ${v}`);
}

/** In the API server's order: containers first, so the later of two twins is the one reported. */
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** The rules by name. */
export const API_SERVER_RULES: Readonly<Record<string, ApiServerRule>> = {
  'replicas-non-negative': {
    models: ['DeploymentSpec', 'ReplicaSetSpec', 'StatefulSetSpec', 'ReplicationControllerSpec'],
    mirrors:
      'apps ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateStatefulSetSpec; ' +
      'core ValidateReplicationControllerSpec: ValidateNonnegativeField(replicas)',
    check: (o, report) => nonNegative(o, ['replicas'], report),
  },
  'job-counts-non-negative': {
    models: ['JobSpec'],
    mirrors: 'batch validateJobSpec: ValidateNonnegativeField(parallelism), ValidateNonnegativeField(completions)',
    check: (o, report) => nonNegative(o, ['parallelism', 'completions'], report),
  },
  'hpa-replica-bounds': {
    models: ['HorizontalPodAutoscalerSpec'],
    mirrors:
      'autoscaling validateHorizontalPodAutoscalerSpec: minReplicas ≥ 1 (0 only behind the alpha HPAScaleToZero gate), ' +
      'maxReplicas ≥ 1, minReplicas ≤ maxReplicas',
    check(o, report) {
      const min = integerAt(o, 'minReplicas');
      const max = integerAt(o, 'maxReplicas');
      if (min !== undefined && min < 1) report(['minReplicas'], `minReplicas must be greater than or equal to 1, found ${min}`);
      if (o.maxReplicas === undefined || o.maxReplicas === null) report([], 'maxReplicas is required');
      else if (max !== undefined && max < 1) report(['maxReplicas'], `maxReplicas must be greater than 0, found ${max}`);
      if (min !== undefined && max !== undefined && min > max)
        report(['minReplicas'], `minReplicas (${min}) must be less than or equal to maxReplicas (${max})`);
    },
  },
  'pdb-one-budget': {
    models: ['PodDisruptionBudgetSpec'],
    mirrors: 'policy ValidatePodDisruptionBudgetSpec: "minAvailable and maxUnavailable cannot be both set"',
    check(o, report) {
      const set = (k: string) => o[k] !== undefined && o[k] !== null;
      if (set('minAvailable') && set('maxUnavailable')) report(['maxUnavailable'], 'minAvailable and maxUnavailable cannot be both set');
    },
  },
  'container-names-unique': {
    models: ['PodSpec'],
    mirrors:
      'core validateInitContainers, validateContainers, validateEphemeralContainers: one name space for all of them (field.Duplicate)',
    check(o, report) {
      const seen = new Map<string, string>();
      for (const list of CONTAINER_LISTS) {
        const items = o[list];
        if (!Array.isArray(items)) continue;
        items.forEach((c: unknown, i: number) => {
          const name = (c as { name?: unknown } | null)?.name;
          if (typeof name !== 'string') return;
          const first = seen.get(name);
          if (first) report([list, i, 'name'], `container name "${name}" is already used by ${first}`);
          else seen.set(name, `${list}[${i}]`);
        });
      }
    },
  },
  'service-port-range': {
    models: ['ServicePort'],
    mirrors:
      'core validateServicePort: IsValidPortNum(port) and, for a numeric targetPort (0 defaults to port), IsValidPortNum(targetPort)',
    check(o, report) {
      portInRange(o, 'port', report, false);
      portInRange(o, 'targetPort', report, true);
    },
  },
  'container-port-range': {
    models: ['ContainerPort'],
    mirrors: 'core validateContainerPorts: IsValidPortNum(containerPort); hostPort 0 (none) or IsValidPortNum',
    check(o, report) {
      portInRange(o, 'containerPort', report, false);
      portInRange(o, 'hostPort', report, true);
    },
  },
};

/** The rules by unversioned model name. */
export const RULES_BY_MODEL: ReadonlyMap<string, readonly ApiServerRule[]> = (() => {
  const map = new Map<string, ApiServerRule[]>();
  for (const rule of Object.values(API_SERVER_RULES)) {
    for (const model of rule.models) map.set(model, [...(map.get(model) ?? []), rule]);
  }
  return map;
})();
