// RFC 6901 pointers and RFC 6902 patches as every overrider uses them. Karmada turns each overrider
// into JSON-patch operations and applies them with evanphx/json-patch (overridemanager.go
// applyJSONPatch); flotilla does the same with fast-json-patch, behind two guards: no pointer may
// walk through `__proto__`, `constructor` or `prototype`, and no patch value is shared with the
// policy it came from.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { DiagnosticCode } from '../model/diagnostics.js';
import type { FieldPath } from '../model/types.js';
import { copyMembers, isMap, setMember } from '../objects/json.js';

/** Stable codes of the problems overriders report. */
export const OverrideCode = {
  /** An overrider could not be applied (Karmada aborts the whole override for the cluster). */
  Failed: 'OVERRIDE_FAILED',
  /** A pointer walks through a prototype-related key; the patch is refused. */
  UnsafePath: 'OVERRIDE_UNSAFE_PATH',
  /** A command/args overrider names no container of the workload; nothing changes. */
  NoContainer: 'OVERRIDE_NO_CONTAINER',
  /** A static check of Karmada's webhook/CRD schema fails. */
  Invalid: 'OVERRIDE_INVALID',
} as const satisfies Record<string, DiagnosticCode>;
export type OverrideCode = (typeof OverrideCode)[keyof typeof OverrideCode];

/** One problem found by an overrider; `path` points into the policy manifest. */
export interface OverriderIssue {
  severity: 'error' | 'warning';
  code: OverrideCode;
  message: string;
  path: FieldPath;
}

/** An RFC 6902 operation restricted to what Karmada's overriders emit. */
export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** What an overrider wants done to the current object, or why it cannot be done. */
export interface PatchPlan {
  ops: PatchOp[];
  issues: OverriderIssue[];
}

const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** RFC 6901 escaping of one reference token ('~' → '~0', '/' → '~1'). */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A pointer built from unescaped tokens, e.g. ['metadata', 'labels', 'a/b'] → '/metadata/labels/a~1b'. */
export function pointerOf(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + escapePointerSegment(String(s))).join('');
}

/** The unescaped tokens of an RFC 6901 pointer, or null if it is neither empty nor starts with '/'. */
export function parsePointer(pointer: string): string[] | null {
  if (typeof pointer !== 'string') return null;
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The first token of `pointer` that could reach Object.prototype, or null when it is safe. */
export function unsafePointerSegment(pointer: string): string | null {
  const segments = parsePointer(pointer) ?? (typeof pointer === 'string' ? pointer.split('/') : []);
  return segments.find((s) => UNSAFE_SEGMENTS.has(s)) ?? null;
}

/** The value a pointer designates, walking only own properties and in-range array indexes. */
export function resolvePointer(doc: unknown, pointer: string): { found: true; value: unknown } | { found: false; reason: string } {
  const segments = parsePointer(pointer);
  if (segments === null) return { found: false, reason: `"${pointer}" is not a JSON pointer (it must start with "/")` };
  let current: unknown = doc;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const at = pointerOf(segments.slice(0, i + 1));
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg) || Number(seg) >= current.length) {
        return { found: false, reason: `${at}: no element "${seg}" in a list of ${current.length}` };
      }
      current = current[Number(seg)];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.prototype.hasOwnProperty.call(current, seg)) return { found: false, reason: `${at} does not exist` };
      current = (current as Record<string, unknown>)[seg];
    } else {
      return { found: false, reason: `${at}: parent is ${describe(current)}, not an object or list` };
    }
  }
  return { found: true, value: current };
}

/** A short description of a JSON value's type for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const REASONS: Record<string, string> = {
  OPERATION_PATH_UNRESOLVABLE: 'the path does not exist',
  OPERATION_PATH_CANNOT_ADD: 'the parent of the path does not exist',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'the list index is out of bounds',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'the list index is not a number',
  OPERATION_VALUE_REQUIRED: 'a value is required',
  OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED: 'the value contains undefined',
  OPERATION_PATH_INVALID: 'the path must start with "/"',
  OPERATION_OP_INVALID: 'the operator must be add, remove or replace',
};

/**
 * Applies `ops` in order and returns the patched document. `doc` is copied first unless `inPlace`,
 * and no value of `ops` ends up shared with the result. Every op must be add/remove/replace over a
 * safe pointer; the first failing op is reported with its pointer and reason (evanphx/json-patch
 * aborts there too).
 */
export function applyPatchOps(
  doc: unknown,
  ops: readonly PatchOp[],
  at: FieldPath | ((opIndex: number) => FieldPath),
  what: string,
  inPlace: boolean | { owned: Set<object> } = false,
): { ok: true; doc: unknown } | { ok: false; issue: OverriderIssue } {
  const pathOf = (i: number): FieldPath => (typeof at === 'function' ? at(i) : at);
  for (const [i, op] of ops.entries()) {
    const unsafe = unsafePointerSegment(op.path);
    if (unsafe !== null) {
      return {
        ok: false,
        issue: {
          severity: 'error',
          code: OverrideCode.UnsafePath,
          path: pathOf(i),
          message: `${what}: path "${op.path}" goes through "${unsafe}", which could change every object's prototype; refused`,
        },
      };
    }
    if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace') {
      return {
        ok: false,
        issue: {
          severity: 'error',
          code: OverrideCode.Failed,
          path: pathOf(i),
          message: `${what}: ${String(op.op)} ${op.path} failed: ${REASONS.OPERATION_OP_INVALID}`,
        },
      };
    }
  }
  if (ops.length === 0) return { ok: true, doc };
  let current: unknown = inPlace ? doc : structuredClone(doc);
  const owned = typeof inPlace === 'object' ? inPlace.owned : null;
  for (const [i, o] of ops.entries()) {
    // One op at a time: fast-json-patch's validation errors do not carry the op's index.
    const copy = o.op === 'remove' ? { op: o.op, path: o.path } : { op: o.op, path: o.path, value: cloneValue(o.value) };
    // Before each op, not all at first: an earlier op may have moved what a later one's path reaches (an insert into a list).
    if (owned) ownPathTo(current, o.path, owned);
    try {
      // validate=true: a replace/remove of a missing path fails instead of creating it;
      // banPrototypeModifications stays on as a second line of defence.
      current = jsonpatch.applyOperation(current, copy as Operation, true, true, true, i).newDocument;
    } catch (e) {
      const err = e as { name?: string; message?: string };
      const reason = (err.name && REASONS[err.name]) ?? err.message ?? String(e);
      return {
        ok: false,
        issue: { severity: 'error', code: OverrideCode.Failed, path: pathOf(i), message: `${what}: ${o.op} ${o.path} failed: ${reason}` },
      };
    }
  }
  return { ok: true, doc: current };
}

/**
 * Makes each object and list on the way to `pointer`'s parent one of `doc`'s own: a shallow copy put
 * in its place, remembered in `owned` (which holds `doc`, the caller's own copy). An op applied in
 * place then changes only copies, and what the rest is shared with (the resource's template, the
 * other clusters' copies) stays as it was. A path that does not exist is followed as far as it goes:
 * the op fails there, or adds its last member to a container made own.
 */
export function ownPathTo(doc: unknown, pointer: string, owned: Set<object>): void {
  const segments = parsePointer(pointer);
  if (segments === null) return;
  let node = doc;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    let child: unknown;
    if (Array.isArray(node)) child = /^(0|[1-9][0-9]*)$/.test(seg) ? node[Number(seg)] : undefined;
    else if (isMap(node) && Object.prototype.hasOwnProperty.call(node, seg)) child = node[seg];
    if (typeof child !== 'object' || child === null) return;
    if (!owned.has(child)) {
      const copy = Array.isArray(child) ? child.slice() : copyMembers(child as Record<string, unknown>);
      owned.add(copy);
      if (Array.isArray(node)) node[Number(seg)] = copy;
      else setMember(node as Record<string, unknown>, seg, copy);
      child = copy;
    }
    node = child;
  }
}

function cloneValue(v: unknown): unknown {
  return v === undefined ? undefined : structuredClone(v);
}
