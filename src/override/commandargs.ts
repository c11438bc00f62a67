// commandOverrider / argsOverrider (Karmada pkg/util/overridemanager/commandargsoverride.go,
// docs/reference/semantics.md §5.2).
import type { CommandArgsOverrider, FieldPath } from '../model/types.js';
import { OverrideCode, describe, resolvePointer, type PatchOp, type PatchPlan } from './json-patch.js';
import { podSpecPointer } from './workload.js';

/** Which container list field an overrider edits. */
export type CommandArgsTarget = 'command' | 'args';

/** The list after one overrider: add appends, remove drops every element equal to any value, anything else keeps it. */
export function overrideCommandArgs(current: readonly string[], overrider: CommandArgsOverrider): string[] {
  const values = overrider.value ?? [];
  switch (overrider.operator) {
    case 'add':
      return [...current, ...values];
    case 'remove': {
      const drop = new Set(values);
      return current.filter((v) => !drop.has(v));
    }
    default:
      return [...current];
  }
}

/**
 * The patch one command/args overrider makes: for Pods and pod-template workloads, every container
 * named `containerName` gets its list rewritten. Other kinds are left alone, as in Karmada. When no
 * container has that name Karmada silently does nothing; flotilla does nothing too but warns
 * (OVERRIDE_NO_CONTAINER), since it is almost always a typo.
 */
export function commandArgsPatches(
  object: Record<string, unknown>,
  kind: string,
  target: CommandArgsTarget,
  overrider: CommandArgsOverrider,
  at: FieldPath,
): PatchPlan {
  const label = `${target === 'command' ? 'commandOverrider' : 'argsOverrider'}`;
  const fail = (message: string): PatchPlan => ({
    ops: [],
    issues: [{ severity: 'error', code: OverrideCode.Failed, path: at, message: `${label}: ${message}` }],
  });
  const prefix = podSpecPointer(kind);
  if (prefix === null) return { ops: [], issues: [] };
  const found = resolvePointer(object, `${prefix}/containers`);
  const containers = found.found && found.value !== null ? found.value : [];
  if (!Array.isArray(containers)) return fail(`${prefix}/containers is ${describe(containers)}, not a list`);

  const ops: PatchOp[] = [];
  let matched = false;
  for (let i = 0; i < containers.length; i++) {
    const c: unknown = containers[i];
    if (c === null || typeof c !== 'object' || Array.isArray(c))
      return fail(`${prefix}/containers/${i} is ${describe(c)}, not a container`);
    const container = c as Record<string, unknown>;
    if (container.name !== overrider.containerName) continue;
    matched = true;
    const pointer = `${prefix}/containers/${i}/${target}`;
    const current = container[target];
    if (current === undefined || current === null) {
      const created = overrideCommandArgs([], overrider);
      // Karmada emits `add` with the computed list even when it is empty; an empty list is dropped
      // by the API server (omitempty), so flotilla does not render one to keep diffs clean.
      if (created.length > 0) ops.push({ op: 'add', path: pointer, value: created });
      continue;
    }
    if (!Array.isArray(current)) return fail(`${pointer} is ${describe(current)}, not a list`);
    ops.push({ op: 'replace', path: pointer, value: overrideCommandArgs(current.map(String), overrider) });
  }
  if (!matched) {
    return {
      ops: [],
      issues: [
        {
          severity: 'warning',
          code: OverrideCode.NoContainer,
          path: [...at, 'containerName'],
          message: `${label}: no container named "${overrider.containerName}" in this ${kind}; nothing changed`,
        },
      ],
    };
  }
  return { ops, issues: [] };
}
