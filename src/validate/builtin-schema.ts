// Built-in Kubernetes kinds are checked against the API server's schema, for every resource of the
// revision, whether a policy claims it or not (issue 10, "strict by default"): what an API server
// would refuse at apply time, on every cluster, is an error here, at the line of the offending field.
//   - SCHEMA_UNKNOWN_FIELD: a field the kind does not have (kubectl's strict field validation),
//     with "did you mean" when a known field is within two edits;
//   - SCHEMA_TYPE: a value of the wrong type (a string where an int32 goes, `data.example: 1` in a
//     ConfigMap, a fraction in an integer, a malformed quantity, invalid base64 in a Secret);
//   - SCHEMA_INVALID: a cross-field rule of the API server's validation (builtin-rules.ts).
// The schema is @kubernetes/client-node's (builtin-registry.ts). `status` is never checked, `null`
// is absent (as in the API server's JSON decoding) and kinds the library does not know — custom
// resources, removed API versions — are skipped: a custom resource is for a check against its
// CustomResourceDefinition (a CustomResourceDefinition itself is a built-in kind, checked here).
// The schema is that of the library's Kubernetes version (1.34 for client-node 1.4.0): a field added
// in a later release is unknown until the library is upgraded.
import type { DiagnosticCode, DiagnosticSink } from '../model/diagnostics.js';
import { describeValue, formatPath } from '../model/fields.js';
import { isMap } from '../objects/json.js';
import type { FieldPath, Manifest } from '../model/types.js';
import { closestMatch } from '../objects/edit-distance.js';
import { parseQuantityExact } from '../objects/quantity.js';
import { replicaProblem } from '../placement/workload.js';
import { modelNamed, modelOfKind, type Shape } from './builtin-registry.js';
import { RULES_BY_MODEL } from './builtin-rules.js';

export type SchemaCode = Extract<DiagnosticCode, 'SCHEMA_UNKNOWN_FIELD' | 'SCHEMA_TYPE' | 'SCHEMA_INVALID'>;

/** One problem of one manifest, at a path from its root. */
export interface SchemaFinding {
  code: SchemaCode;
  path: FieldPath;
  message: string;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_LIMIT = 2 ** 63;
/** Deeper than any real manifest; bounds the recursion a self-nesting schema (JSONSchemaProps) allows. */
const MAX_DEPTH = 100;
/** Go's encoding/json decodes []byte with base64.StdEncoding: padded, standard alphabet; it skips \r and \n. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isQuantity(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'string') return false;
  try {
    parseQuantityExact(v);
    return true;
  } catch {
    return false;
  }
}

/** What a value of a shape must be, for messages; null when the value fits. */
function typeMismatch(shape: Shape, v: unknown): string | null {
  switch (shape.kind) {
    case 'string':
      if (typeof v !== 'string') return 'a string';
      return shape.format === 'byte' && !BASE64.test(v.replace(/[\r\n]/g, '')) ? 'base64-encoded' : null;
    case 'quantity':
      return isQuantity(v) ? null : 'a quantity (a number, or a string such as "500m", "2" or "16Gi")';
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) return shape.format === 'int32' ? 'an integer (int32)' : 'an integer';
      if (shape.format === 'int32' && (v < INT32_MIN || v > INT32_MAX)) return `an int32, from ${INT32_MIN} to ${INT32_MAX}`;
      return Math.abs(v) >= INT64_LIMIT ? 'an int64' : null;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'a number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'a boolean (true or false)';
    case 'date':
      return typeof v === 'string' ? null : 'a date-time string';
    case 'intOrString':
      if (typeof v === 'string') return null;
      return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? null : 'an integer or a string';
    case 'list':
      return Array.isArray(v) ? null : 'a list';
    case 'map':
    case 'object':
      return isMap(v) ? null : 'a mapping';
    case 'any':
      return null;
  }
}

/**
 * Walks one manifest against its model, collecting findings. The path to the current value is one
 * array, pushed and popped: a 10,000-Deployment fleet walks millions of fields, and a path is only
 * copied for a finding.
 */
class SchemaWalk {
  readonly findings: SchemaFinding[] = [];
  private readonly path: Array<string | number> = [];

  private report(code: SchemaCode, at: FieldPath, message: string): void {
    this.findings.push({ code, path: [...this.path, ...at], message });
  }

  private child(key: string | number, v: unknown, shape: Shape): void {
    this.path.push(key);
    this.value(v, shape);
    this.path.pop();
  }

  value(v: unknown, shape: Shape): void {
    if (v === null || v === undefined || this.path.length > MAX_DEPTH) return;
    const expected = typeMismatch(shape, v);
    if (expected) {
      this.report('SCHEMA_TYPE', [], `${formatPath(this.path)} must be ${expected}, found ${describeValue(v)}`);
      return;
    }
    if (shape.kind === 'list') {
      const items = v as unknown[];
      for (let i = 0; i < items.length; i++) this.child(i, items[i], shape.of);
    } else if (shape.kind === 'map') {
      for (const k of Object.keys(v as object)) this.child(k, (v as Record<string, unknown>)[k], shape.of);
    } else if (shape.kind === 'object') this.object(v as Record<string, unknown>, shape.model);
  }

  object(o: Record<string, unknown>, modelName: string): void {
    const model = modelNamed(modelName);
    if (!model) return;
    for (const key of Object.keys(o)) {
      if (this.path.length === 0 && key === 'status') continue;
      const shape = model.fields.get(key);
      if (shape) {
        this.child(key, o[key], shape);
        continue;
      }
      const hint = closestMatch(key, model.fields.keys());
      const where = formatPath([...this.path, key]);
      this.report('SCHEMA_UNKNOWN_FIELD', [key], `${where} is not a field of ${model.type}${hint ? `; did you mean ${hint}?` : ''}`);
    }
    const rules = RULES_BY_MODEL.get(model.type);
    if (!rules) return;
    const prefix = this.path.length ? `${formatPath(this.path)}: ` : '';
    for (const rule of rules) rule.check(o, (at, message) => this.report('SCHEMA_INVALID', at, `${prefix}${message}`));
  }
}

/**
 * Findings by manifest. Manifests are immutable once parsed, and the incremental renderer keeps an
 * unchanged file's manifests (that identity is how it knows they are unchanged), so a one-file commit
 * walks one file's manifests, not the whole repository's.
 */
const findingsOf = new WeakMap<Manifest, readonly SchemaFinding[]>();

/** The schema findings of one manifest; none for a kind the library does not know. */
export function schemaFindings(m: Manifest): readonly SchemaFinding[] {
  let findings = findingsOf.get(m);
  if (!findings) {
    const modelName = modelOfKind(m.apiVersion, m.kind);
    const walk = new SchemaWalk();
    if (modelName) walk.object(m.object, modelName);
    findings = walk.findings;
    findingsOf.set(m, findings);
  }
  return findings;
}

/**
 * Takes the findings an earlier process's walk gave for this very parse (a kept parse of the same
 * text, src/render/incremental/sources.ts): a restart need not walk every manifest of the fleet
 * again. A manifest already walked keeps its own.
 */
export function rememberSchemaFindings(m: Manifest, findings: readonly SchemaFinding[]): void {
  if (!findingsOf.has(m)) findingsOf.set(m, findings);
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Checks every manifest of a built-in kind against the Kubernetes schema and the API server's
 * cross-field rules; every finding is an error at its field. `replicasReported` says whether the
 * scheduler already reported a workload's invalid replica count (INVALID_FIELD_TYPE, for claimed
 * workloads): that one field is then not reported twice.
 */
export function checkBuiltinKinds(
  resources: readonly Manifest[],
  sink: DiagnosticSink,
  replicasReported: (m: Manifest) => boolean = () => false,
): void {
  for (const m of resources) {
    const findings = schemaFindings(m);
    if (findings.length === 0) continue;
    const reported = replicasReported(m) ? replicaProblem(m)?.path : undefined;
    const what = `${m.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
    for (const f of findings) {
      if (reported && samePath(f.path, reported)) continue;
      sink.error(f.code, `${what}: ${f.message}`, { source: m.source, path: f.path });
    }
  }
}
