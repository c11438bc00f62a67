// The 422 Invalid checks the double makes — a small subset of kube-apiserver's validation, enough
// that a bad object fails the way a real one does: names, labels, workload selectors and CRDs.
import type { ResourceType } from './registry.js';
import type { StatusCause } from './status.js';
import { isPlainObject, type KubeObject } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function required(field: string, detail: string): StatusCause {
  return { type: 'FieldValueRequired', field, message: `Required value${detail ? ': ' + detail : ''}` };
}

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

/** Name rules by kind: DNS labels for namespaces and services, path segments for RBAC, else subdomains. */
function nameProblem(type: ResourceType, name: string): string | undefined {
  if (type.group === 'rbac.authorization.k8s.io') {
    return name === '.' || name === '..' || /[/%]/.test(name) ? 'may not contain "/" or "%" and may not be "." or ".."' : undefined;
  }
  if (type.kind === 'Namespace' || type.kind === 'Service') {
    return name.length <= 63 && DNS_LABEL.test(name)
      ? undefined
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " +
          'must start and end with an alphanumeric character';
  }
  return name.length <= 253 && DNS_SUBDOMAIN.test(name)
    ? undefined
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or " +
        "'.', and must start and end with an alphanumeric character";
}

function labelProblems(labels: unknown): StatusCause[] {
  if (labels === undefined) return [];
  if (!isPlainObject(labels)) return [invalidValue('metadata.labels', labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
    if (name === '' || name.length > 63 || !LABEL_VALUE.test(name) || (slash >= 0 && !DNS_SUBDOMAIN.test(prefix))) {
      causes.push(invalidValue('metadata.labels', key, "name part must consist of alphanumeric characters, '-', '_' or '.'"));
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(
        invalidValue(
          'metadata.labels',
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'",
        ),
      );
    }
  }
  return causes;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

function workloadProblems(obj: KubeObject): StatusCause[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const causes: StatusCause[] = [];
  const selector = spec.selector;
  if (!isPlainObject(selector)) causes.push(required('spec.selector', ''));
  const template = spec.template;
  if (!isPlainObject(template)) {
    causes.push(required('spec.template', ''));
    return causes;
  }
  const matchLabels = isPlainObject(selector) && isPlainObject(selector.matchLabels) ? selector.matchLabels : {};
  const templateLabels = isPlainObject(template.metadata) && isPlainObject(template.metadata.labels) ? template.metadata.labels : {};
  if (Object.entries(matchLabels).some(([k, v]) => templateLabels[k] !== v)) {
    causes.push(invalidValue('spec.template.metadata.labels', templateLabels, '`selector` does not match template `labels`'));
  }
  return causes;
}

function crdProblems(obj: KubeObject): StatusCause[] {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const names = isPlainObject(spec.names) ? spec.names : {};
  const causes: StatusCause[] = [];
  if (!spec.group) causes.push(required('spec.group', ''));
  if (!names.plural) causes.push(required('spec.names.plural', ''));
  if (!names.kind) causes.push(required('spec.names.kind', ''));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    causes.push(invalidValue('spec.scope', spec.scope ?? '', 'must be either Namespaced or Cluster'));
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isPlainObject) : [];
  if (versions.length === 0) causes.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage === true).length !== 1)
    causes.push(invalidValue('spec.versions', versions.length, 'must have exactly one version marked as storage version'));
  const expected = `${String(names.plural ?? '')}.${String(spec.group ?? '')}`;
  if (obj.metadata?.name !== expected)
    causes.push(invalidValue('metadata.name', obj.metadata?.name, `must be spec.names.plural+"."+spec.group`));
  return causes;
}

/** Every validation failure of an object about to be stored (empty when valid). */
export function validateObject(type: ResourceType, obj: KubeObject): StatusCause[] {
  const name = obj.metadata?.name;
  const causes: StatusCause[] = [];
  if (!name) causes.push(required('metadata.name', 'name or generateName is required'));
  else {
    const problem = nameProblem(type, name);
    if (problem) causes.push(invalidValue('metadata.name', name, problem));
  }
  causes.push(...labelProblems(obj.metadata?.labels));
  if (type.group === 'apps' && WORKLOADS.has(type.kind)) causes.push(...workloadProblems(obj));
  if (type.kind === 'CustomResourceDefinition') causes.push(...crdProblems(obj));
  return causes;
}
